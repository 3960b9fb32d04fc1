//! The scripted dishwashing expert: a state machine over privileged state
//! (dish poses, slots) that fetches the nearest dirty dish, washes it,
//! racks it and returns.
//!
//! `skill` in [0, 1] sets its quality: at 1.0 it moves at full speed
//! without noise or mistakes; lower skill moves more slowly, adds Gaussian
//! action noise, aims less precisely (missed grasps, dishes released beside
//! the slot) and sometimes drops a dish in transit or pauses.

use rapier3d::math::Vector;

use super::{DishStatus, DishwashingEnv};
use crate::pick_and_place::{ExpertSkill, ROUTE_CROSS, funnel, route, velocity_towards};

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
/// How close (m) above its slot a dish is brought, horizontally, before it
/// is lowered into the rack: a plate has 1.5 cm to spare each side between
/// the dividers, and the route's shared 2 cm tolerance lowered it with its
/// rim over a divider's top.
const RACK_ALIGN: f32 = 0.004;
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
    worker: ExpertSkill,
}

impl DishwashingExpert {
    /// The action `[vx, vy, vz, yaw_rate, grip]` for the env's current state.
    pub fn act(&mut self, env: &DishwashingEnv) -> [f32; 5] {
        if let Some(pause) = self.worker.pause(env.gripper_closed()) {
            return pause;
        }
        let cfg = env.config();
        let max_speed = cfg.max_speed_m_s;
        let speed_cap = self.worker.speed_cap(max_speed);
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
                    (
                        route(tip, goal, CLEAR_BOTTOM_Y + hh + offset.y, ROUTE_CROSS),
                        1.0,
                    )
                } else if self.worker.lingering(cfg.wash_time_s, cfg.control_period_s) {
                    // Just washed: a less skilled worker keeps scrubbing a while.
                    (tip, 1.0)
                } else if let Some(s) = env.free_slot() {
                    let release = env.slot_center(s)
                        + Vector::new(0.0, hh + 0.005, 0.0)
                        + self.worker.plan.aim_offset;
                    let goal = release + offset;
                    if !self.worker.plan.carry_decided {
                        // Once per carry: does this one slip?
                        self.worker.plan.carry_decided = true;
                        self.worker.decide_drop(0.08);
                    }
                    let horizontal = Vector::new(goal.x - tip.x, 0.0, goal.z - tip.z).length();
                    let dropping = self
                        .worker
                        .plan
                        .drop_at
                        .is_some_and(|f| horizontal < 0.6 * f + 0.05 && bottom > 0.08);
                    let settled = horizontal < AIM_TOL && (d.position.y - release.y).abs() < 0.004;
                    let grip = if settled || dropping { -1.0 } else { 1.0 };
                    (
                        route(tip, goal, CLEAR_BOTTOM_Y + hh + offset.y, RACK_ALIGN),
                        grip,
                    )
                } else {
                    (tip, 1.0)
                }
            }
            None => {
                self.worker.plan.end_carry();
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
                if nearest != self.worker.plan.target {
                    self.worker.plan.target = nearest;
                    self.worker.plan.aim_offset = self.worker.aim_offset();
                }
                match self.worker.plan.target {
                    Some(i) => {
                        let goal = dishes[i].grasp_point() + self.worker.plan.aim_offset * 0.5;
                        let close = goal.distance(tip) < CLOSE_TOL;
                        let g = funnel(tip, goal, SAFE_TIP_Y);
                        if close {
                            // next carry gets a fresh aim at the slot
                            self.worker.plan.aim_offset = self.worker.aim_offset();
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
        let (gain, cap) = match (env.held_dish(), self.worker.plan.target) {
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
        let v = velocity_towards(tip, goal, gain, cap);
        let yaw_rate = -YAW_GAIN * env.tip_yaw() / cfg.max_yaw_rate_rad_s;
        self.worker
            .action(v, max_speed, yaw_rate, grip, (goal - tip).length())
    }
}

crate::task::scripted_expert!(DishwashingExpert on DishwashingEnv);
