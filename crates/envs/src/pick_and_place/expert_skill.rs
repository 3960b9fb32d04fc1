//! What makes a scripted pick-and-place worker less than perfect, shared by
//! the dishwashing and bricklaying experts: `skill` in [0, 1] sets the
//! speed, the Gaussian action noise, the aim, the chance of dropping a
//! carried object, the pauses and the lingering at the processing zone.
//! At skill 1 none of these act (the random stream is still drawn, so a
//! seed gives the same episode at any skill's code path).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapier3d::math::Vector;

/// A worker's skill, random stream and current plan.
#[derive(Debug, Clone)]
pub(crate) struct ExpertSkill {
    skill: f32,
    rng: ChaCha8Rng,
    pause_steps: u32,
    /// What it is fetching or carrying.
    pub(crate) plan: CarryPlan,
}

impl ExpertSkill {
    /// `skill` clamped to [0, 1] (non-finite: 1) and its own stream.
    pub(crate) fn new(skill: f32, seed: u64) -> Self {
        Self {
            skill: if skill.is_finite() {
                skill.clamp(0.0, 1.0)
            } else {
                1.0
            },
            rng: ChaCha8Rng::seed_from_u64(seed),
            pause_steps: 0,
            plan: CarryPlan::default(),
        }
    }

    /// The skill in use.
    pub(crate) fn skill(&self) -> f32 {
        self.skill
    }

    fn unskilled(&self) -> f32 {
        1.0 - self.skill
    }

    /// Forgets a pause in progress and the plan (a new episode).
    pub(crate) fn reset(&mut self) {
        self.pause_steps = 0;
        self.plan = CarryPlan::default();
    }

    /// A standard normal draw (Box–Muller).
    pub(crate) fn gaussian(&mut self) -> f32 {
        let u1: f32 = self.rng.random_range(f32::EPSILON..1.0);
        let u2: f32 = self.rng.random_range(0.0..1.0);
        (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
    }

    /// While a pause lasts, the action that holds still (keeping the
    /// gripper as it is); otherwise `None`, after deciding whether a pause
    /// of 10–40 steps starts next step (1 % a step at skill 0).
    pub(crate) fn pause(&mut self, gripper_closed: bool) -> Option<[f32; 5]> {
        if self.pause_steps > 0 {
            self.pause_steps -= 1;
            let grip = if gripper_closed { 1.0 } else { -1.0 };
            return Some([0.0, 0.0, 0.0, 0.0, grip]);
        }
        if self.rng.random::<f32>() < 0.01 * self.unskilled() {
            self.pause_steps = self.rng.random_range(10..40);
        }
        None
    }

    /// Speed cap, m/s: 45 % of `max_speed` at skill 0, all of it at 1.
    pub(crate) fn speed_cap(&self, max_speed: f32) -> f32 {
        max_speed * (0.45 + 0.55 * self.skill)
    }

    /// A horizontal aiming error (sd 12 mm at skill 0).
    pub(crate) fn aim_offset(&mut self) -> Vector {
        let sd = 0.012 * self.unskilled();
        Vector::new(self.gaussian() * sd, 0.0, self.gaussian() * sd)
    }

    /// Decides once per carry whether it slips (`rate` at skill 0): the
    /// plan's `drop_at = Some(f)` drops the object within `f` of the way (a
    /// fraction in [0, 1)).
    pub(crate) fn decide_drop(&mut self, rate: f32) {
        self.plan.drop_at = if self.rng.random::<f32>() < rate * self.unskilled() {
            Some(self.rng.random_range(0.0..1.0))
        } else {
            None
        };
    }

    /// Whether to keep working at the zone although processing is done: a
    /// less skilled worker lingers up to 80 % of the processing time more.
    pub(crate) fn lingering(&mut self, process_time_s: f32, control_period_s: f32) -> bool {
        match self.plan.linger_steps {
            None => {
                let extra = self.unskilled() * 0.8 * process_time_s;
                self.plan.linger_steps = Some((extra / control_period_s) as u32);
                true
            }
            Some(n) if n > 0 => {
                self.plan.linger_steps = Some(n - 1);
                true
            }
            Some(_) => false,
        }
    }

    /// The action `[vx, vy, vz, yaw_rate, grip]` for tip velocity `v`
    /// (m/s) and a normalised yaw rate, with horizontal wobble fading out
    /// within 10 cm of the goal (`to_goal`, m): a careless worker still
    /// slows down to set an object down.
    pub(crate) fn action(
        &mut self,
        v: Vector,
        max_speed: f32,
        yaw_rate: f32,
        grip: f32,
        to_goal: f32,
    ) -> [f32; 5] {
        let noise = 0.2 * self.unskilled() * (to_goal / 0.1).min(1.0);
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

/// An expert's plan for the object it fetches or carries.
#[derive(Debug, Clone, Default)]
pub(crate) struct CarryPlan {
    /// The object it goes for.
    pub target: Option<usize>,
    /// Its aiming error for the next grasp or release.
    pub aim_offset: Vector,
    /// Where this carry slips, if it does.
    pub drop_at: Option<f32>,
    /// Whether the slip was decided for this carry.
    pub carry_decided: bool,
    /// Steps still to linger at the processing zone after the work is done.
    pub linger_steps: Option<u32>,
}

impl CarryPlan {
    /// Forgets the carry once nothing is held.
    pub(crate) fn end_carry(&mut self) {
        self.drop_at = None;
        self.carry_decided = false;
        self.linger_steps = None;
    }
}

/// The tip velocity (m/s) towards `goal`: proportional with `gain` (1/s),
/// capped at `cap` (m/s).
pub(crate) fn velocity_towards(tip: Vector, goal: Vector, gain: f32, cap: f32) -> Vector {
    let mut v = (goal - tip) * gain;
    if v.length() > cap {
        v = v.normalize() * cap;
    }
    v
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

/// Horizontal distance (m) from the goal beyond which [`route`] climbs
/// back to the clear height before crossing.
pub(crate) const ROUTE_CROSS: f32 = 0.02;

/// The next waypoint towards `goal`: climb straight up until the tip is
/// at `clear_y` (where whatever it carries clears the walls), cross over at
/// that height until within `align` (m) of the goal horizontally, then
/// descend onto it. Once below the clear height the descent goes on while
/// within [`ROUTE_CROSS`] of the goal (correcting sideways as it goes), so
/// a little sway on the way down does not send the tip back up.
pub(crate) fn route(tip: Vector, goal: Vector, clear_y: f32, align: f32) -> Vector {
    let horizontal = Vector::new(goal.x - tip.x, 0.0, goal.z - tip.z).length();
    let high = tip.y >= clear_y - 0.02;
    if horizontal > ROUTE_CROSS.max(align) {
        if !high {
            return Vector::new(tip.x, clear_y.max(goal.y), tip.z);
        }
        return Vector::new(goal.x, clear_y.max(goal.y), goal.z);
    }
    if horizontal > align && high {
        return Vector::new(goal.x, clear_y.max(goal.y), goal.z);
    }
    goal
}
