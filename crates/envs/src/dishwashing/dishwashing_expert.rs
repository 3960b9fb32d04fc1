//! The scripted dishwashing expert: a state machine over privileged state
//! (dish poses, slots) that fetches the nearest dirty dish, washes it,
//! racks it and returns.
//!
//! `skill` in [0, 1] sets its quality: at 1.0 it moves at full speed
//! without noise or mistakes; lower skill moves more slowly, adds Gaussian
//! action noise, aims less precisely (missed grasps, dishes released beside
//! the slot) and sometimes drops a dish in transit or pauses.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapier3d::math::Vector;

use super::{DishStatus, DishwashingEnv};

const GAIN: f32 = 5.0;
/// Gain of the empty-gripper approach to a dish (1/s): stiffer than
/// [`GAIN`] so that a centimetre of error still asks for a clear move
/// (0.3 of full speed), which a clone can tell from its fitting noise;
/// nothing is carried, so nothing swings. Stable below 1 / control period.
const FETCH_GAIN: f32 = 15.0;
/// Speed cap of the fetch approach at the grasp point (m/s) …
const FETCH_SLOW_M_S: f32 = 0.08;
/// … rising with the distance to it (m/s per m): 0.2 m/s at 6 cm.
const FETCH_SLOW_PER_S: f32 = 2.0;
const SAFE_TIP_Y: f32 = 0.22;
const CLEAR_BOTTOM_Y: f32 = 0.17;
const AIM_TOL: f32 = 0.008;
/// Closes the gripper this close to the grasp point, well inside the env's
/// 3 cm grasp radius: a wider trigger than the aim tolerance gives a
/// clone of this expert a region, not a point, in which to decide.
const CLOSE_TOL: f32 = 0.025;
/// Gain of the yaw hold (1/s): the expert keeps the gripper square to the
/// counter, turning back any yaw it finds. At skill 1 it never yaws, so
/// this changes nothing in its own episodes; in a clone's (DAgger) it
/// labels the drift a clone's small yaw outputs leave.
const YAW_GAIN: f32 = 5.0;

/// A scripted dishwashing worker of a given skill.
#[derive(Debug, Clone)]
pub struct DishwashingExpert {
    skill: f32,
    rng: ChaCha8Rng,
    target: Option<usize>,
    aim_offset: Vector,
    drop_at: Option<f32>,
    carry_decided: bool,
    linger_steps: Option<u32>,
    pause_steps: u32,
}

impl DishwashingExpert {
    /// An expert with `skill` (clamped to [0, 1]) and its own random stream.
    pub fn new(skill: f32, seed: u64) -> Self {
        Self {
            skill: if skill.is_finite() {
                skill.clamp(0.0, 1.0)
            } else {
                1.0
            },
            rng: ChaCha8Rng::seed_from_u64(seed),
            target: None,
            aim_offset: Vector::ZERO,
            drop_at: None,
            carry_decided: false,
            linger_steps: None,
            pause_steps: 0,
        }
    }

    /// The skill in use.
    pub fn skill(&self) -> f32 {
        self.skill
    }

    /// Forgets per-episode state; call after each reset.
    pub fn reset(&mut self) {
        self.target = None;
        self.aim_offset = Vector::ZERO;
        self.drop_at = None;
        self.carry_decided = false;
        self.linger_steps = None;
        self.pause_steps = 0;
    }

    fn gaussian(&mut self) -> f32 {
        let u1: f32 = self.rng.random_range(f32::EPSILON..1.0);
        let u2: f32 = self.rng.random_range(0.0..1.0);
        (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
    }

    fn new_aim(&mut self) {
        let sd = 0.012 * (1.0 - self.skill);
        self.aim_offset = Vector::new(self.gaussian() * sd, 0.0, self.gaussian() * sd);
    }

    /// The action `[vx, vy, vz, yaw_rate, grip]` for the env's current state.
    pub fn act(&mut self, env: &DishwashingEnv) -> [f32; 5] {
        let unskilled = 1.0 - self.skill;
        if self.pause_steps > 0 {
            self.pause_steps -= 1;
            let grip = if env.gripper_closed() { 1.0 } else { -1.0 };
            return [0.0, 0.0, 0.0, 0.0, grip];
        }
        if self.rng.random::<f32>() < 0.01 * unskilled {
            self.pause_steps = self.rng.random_range(10..40);
        }
        let max_speed = env.config().max_speed_m_s;
        let speed_cap = max_speed * (0.45 + 0.55 * self.skill);
        let tip = env.tip_position();
        let dishes = env.dishes();
        let (goal, grip) = match env.held_dish() {
            Some(h) => {
                let d = dishes[h];
                let offset = tip - d.position;
                let hh = d.kind.half_height();
                let bottom = d.position.y - hh;
                if !d.clean {
                    let goal = env.wash_zone_center() + offset;
                    (route(tip, goal, CLEAR_BOTTOM_Y + hh + offset.y), 1.0)
                } else if self.linger_steps.is_none() {
                    // Just washed: a less skilled worker keeps scrubbing a while.
                    let extra = (1.0 - self.skill) * 0.8 * env.config().wash_time_s;
                    self.linger_steps = Some((extra / env.config().control_period_s) as u32);
                    (tip, 1.0)
                } else if self.linger_steps.is_some_and(|n| n > 0) {
                    self.linger_steps = self.linger_steps.map(|n| n - 1);
                    (tip, 1.0)
                } else if let Some(s) = env.free_slot() {
                    let release =
                        env.slot_center(s) + Vector::new(0.0, hh + 0.005, 0.0) + self.aim_offset;
                    let goal = release + offset;
                    if !self.carry_decided {
                        // Once per carry: does this one slip?
                        self.carry_decided = true;
                        if self.rng.random::<f32>() < 0.08 * unskilled {
                            self.drop_at = Some(self.rng.random_range(0.0..1.0));
                        }
                    }
                    let horizontal = Vector::new(goal.x - tip.x, 0.0, goal.z - tip.z).length();
                    let dropping = self
                        .drop_at
                        .is_some_and(|f| horizontal < 0.6 * f + 0.05 && bottom > 0.08);
                    let settled = horizontal < AIM_TOL && (d.position.y - release.y).abs() < 0.004;
                    let grip = if settled || dropping { -1.0 } else { 1.0 };
                    (route(tip, goal, CLEAR_BOTTOM_Y + hh + offset.y), grip)
                } else {
                    (tip, 1.0)
                }
            }
            None => {
                self.drop_at = None;
                self.carry_decided = false;
                self.linger_steps = None;
                if env.gripper_closed() {
                    return [0.0, 0.0, 0.0, 0.0, -1.0];
                }
                let valid = |i: usize| {
                    dishes
                        .get(i)
                        .is_some_and(|d| d.status == DishStatus::Loose && !d.clean)
                };
                // The nearest dirty dish, re-chosen every step: the one the
                // observation shows, so that a clone sees what the expert
                // aims at (a sticky choice made its labels contradict the
                // observation between two dishes).
                let nearest = dishes
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| valid(*i))
                    .min_by(|a, b| {
                        let da = a.1.grasp_point().distance(tip);
                        let db = b.1.grasp_point().distance(tip);
                        da.total_cmp(&db)
                    })
                    .map(|(i, _)| i);
                if nearest != self.target {
                    self.target = nearest;
                    self.new_aim();
                }
                match self.target {
                    Some(i) => {
                        let goal = dishes[i].grasp_point() + self.aim_offset * 0.5;
                        let close = goal.distance(tip) < CLOSE_TOL;
                        let g = funnel(tip, goal, SAFE_TIP_Y);
                        if close {
                            // next carry gets a fresh aim at the slot
                            self.new_aim();
                            (tip, 1.0)
                        } else {
                            (g, -1.0)
                        }
                    }
                    None => (Vector::new(0.0, 0.35, 0.25), -1.0),
                }
            }
        };
        // Fetching, near a dish slow down in proportion to the distance:
        // the last centimetres before the grasp take several steps, not
        // one, so the demonstrations show how the grasp is approached.
        let (gain, cap) = match (env.held_dish(), self.target) {
            (None, Some(i)) => {
                let near = dishes[i].grasp_point().distance(tip);
                (
                    FETCH_GAIN,
                    speed_cap.min(FETCH_SLOW_M_S + FETCH_SLOW_PER_S * near),
                )
            }
            (None, None) => (FETCH_GAIN, speed_cap),
            (Some(_), _) => (GAIN, speed_cap),
        };
        let mut v = (goal - tip) * gain;
        if v.length() > cap {
            v = v.normalize() * cap;
        }
        // Horizontal wobble, fading out near the goal (a careless worker
        // still slows down to set a dish down).
        let noise = 0.2 * unskilled * ((goal - tip).length() / 0.1).min(1.0);
        let yaw_rate = -YAW_GAIN * env.tip_yaw() / env.config().max_yaw_rate_rad_s;
        let mut a = [
            v.x / max_speed,
            v.y / max_speed,
            v.z / max_speed,
            yaw_rate,
            grip,
        ];
        if noise > 0.0 {
            a[0] += self.gaussian() * noise;
            a[2] += self.gaussian() * noise;
        }
        for x in &mut a {
            *x = x.clamp(-1.0, 1.0);
        }
        a
    }
}

/// Height gained per metre of horizontal distance on a [`funnel`].
const FUNNEL_SLOPE: f32 = 2.0;
/// Below the funnel's height by this much, the tip only climbs.
const FUNNEL_BAND: f32 = 0.04;

/// The next waypoint towards `goal` on a funnel: the tip's target height is
/// `goal.y + FUNNEL_SLOPE · horizontal distance`, capped at `clear_y` (where
/// whatever it carries clears the walls), and the horizontal move fades in
/// as the tip rises into the last `FUNNEL_BAND` below that height. The same
/// climb, cross and descend as [`route`], but continuous in the tip's
/// position: a policy cloned from this expert has no switching surface to
/// stall on (with `route` a clone hovered where "hold height" turns into
/// "descend at full speed").
pub(crate) fn funnel(tip: Vector, goal: Vector, clear_y: f32) -> Vector {
    let horizontal = Vector::new(goal.x - tip.x, 0.0, goal.z - tip.z).length();
    let height = (goal.y + FUNNEL_SLOPE * horizontal).min(clear_y.max(goal.y));
    let f = ((tip.y - (height - FUNNEL_BAND)) / FUNNEL_BAND).clamp(0.0, 1.0);
    Vector::new(
        tip.x + f * (goal.x - tip.x),
        height,
        tip.z + f * (goal.z - tip.z),
    )
}

/// The next waypoint towards `goal`: climb straight up until the tip is
/// at `clear_y` (where whatever it carries clears the walls), cross over at
/// that height, then descend onto the goal.
pub(crate) fn route(tip: Vector, goal: Vector, clear_y: f32) -> Vector {
    let horizontal = Vector::new(goal.x - tip.x, 0.0, goal.z - tip.z).length();
    if horizontal > 0.02 {
        if tip.y < clear_y - 0.02 {
            return Vector::new(tip.x, clear_y.max(goal.y), tip.z);
        }
        return Vector::new(goal.x, clear_y.max(goal.y), goal.z);
    }
    goal
}

impl crate::ScriptedExpert for DishwashingExpert {
    fn task_id(&self) -> &'static str {
        super::DISHWASHING_ID
    }

    fn reset(&mut self) {
        DishwashingExpert::reset(self);
    }

    fn act(&mut self, env: &dyn crate::Env, action: &mut [f32]) -> crate::Result<()> {
        crate::task::act_on::<DishwashingEnv, 5>(env, action, "DishwashingExpert::act", |task| {
            DishwashingExpert::act(self, task)
        })
    }
}
