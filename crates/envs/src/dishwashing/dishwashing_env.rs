//! Dishwashing on rapier3d: pick dirty dishes from a sink, hold them in the
//! wash zone until clean, and set them down in the drying rack's slots.
//!
//! # Scene (metres, `y` up, `x` right, `z` towards the camera)
//!
//! * Counter top at `y = 0`, 2.5 m × 1.2 m, with a backsplash wall at
//!   `z = −0.62`, side walls, and a kitchen floor 0.9 m below.
//! * Sink basin: 12 cm walls around `x ∈ [−1.05, −0.21]`, `z ∈ [−0.28, 0.28]`,
//!   a 3 × 2 grid of 28 cm cells, one dish per cell at reset (kind and
//!   position within the cell drawn from the seed).
//! * Wash zone: the 24 cm cube centred at `(0, 0.30, 0)` under the tap.
//! * Drying rack: a 2 cm tray over `x ∈ [0.25, 1.09]`, `z ∈ [−0.28, 0.28]`
//!   with 3 cm dividers forming six 28 cm slots.
//! * Dishes ([`DishKind`]): plates, bowls and mugs as cylinders with real
//!   masses; each reports contact forces above its break threshold.
//!
//! # Action: `Box([-1, 1]^5)`
//!
//! `[vx, vy, vz, yaw_rate, grip]`: the first four scale to
//! `max_speed_m_s` (m/s) and `max_yaw_rate_rad_s` (rad/s); `grip > 0`
//! closes the gripper. Closing within 3 cm of a dish's grasp point (the
//! centre of its top face) grasps it with a fixed joint; opening releases it.
//! The arm holds still during the step in which the gripper closes.
//!
//! # Observation: `Box`, 30 values
//!
//! | index | meaning | unit |
//! |---|---|---|
//! | 0–2 | tip position x, y, z | m |
//! | 3–4 | sin yaw, cos yaw | – |
//! | 5–7 | tip velocity | m/s |
//! | 8 | yaw rate | rad/s |
//! | 9 | gripper closed | 0/1 |
//! | 10 | holding a dish | 0/1 |
//! | 11 | held dish wash progress | 0–1 |
//! | 12 | held dish clean | 0/1 |
//! | 13–15 | held dish kind one-hot (plate, bowl, cup) | 0/1 |
//! | 16–18 | nearest dirty dish's grasp point − tip (0 if none) | m |
//! | 19–21 | next free slot's release point − tip (0 if none) | m |
//! | 22–24 | wash zone centre − tip | m |
//! | 25–27 | phase one-hot (fetch, wash, rack) | 0/1 |
//! | 28 | fraction of dishes still to do | 0–1 |
//! | 29 | fraction of episode time elapsed | 0–1 |
//!
//! # Counters and reward
//!
//! A unit is a clean dish at rest in a free slot for `settle_time_s`. An
//! attempt is a grasp. An error is a dish that breaks (a contact force
//! above its threshold), or that comes to rest anywhere but a slot or the
//! sink (or dirty, or in an occupied slot); such dishes are removed.
//! Reward per step: `Δunits − Δerrors + w · shaping`, where shaping pays
//! progress towards the phase's target (reach), a first grasp of each dish
//! (0.2), wash progress (0.5 per dish washed) and releasing a clean dish
//! over a free slot (0.3); `w` starts at `shaping_weight` and can be
//! annealed with [`DishwashingEnv::set_shaping_weight`]. The episode
//! terminates when every dish is racked or removed and is truncated after
//! `episode_seconds` of simulated time.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rapier3d::math::{Pose, Rotation, Vector};
use rapier3d::prelude::*;

use super::{DISHWASHING_ID, DishKind, DishwashingConfig};
use crate::Result;
use crate::physics::{SceneShape, ShapeKind};
use crate::pick_and_place::{
    ObjectSpawn, ObjectStatus, PickPlaceCore, PickPlaceEnv, PickPlaceParams, PickPlaceTask,
    RemovalCause, RestVerdict, SceneLayout,
};
use crate::render::Camera;

/// Length of the observation vector.
pub const DISHWASHING_OBS_DIM: usize = 30;
/// Length of the action vector.
pub const DISHWASHING_ACTION_DIM: usize = crate::LABOUR_ACTION_DIM;

const CELL: f32 = 0.28;
const SINK_CENTER: [f32; 2] = [-0.63, 0.0];
const RACK_CENTER: [f32; 2] = [0.67, 0.0];
const BASIN_HALF: [f32; 2] = [0.42, 0.28];
const SINK_WALL_HEIGHT: f32 = 0.12;
const RACK_BASE_TOP: f32 = 0.02;
const DIVIDER_HEIGHT: f32 = 0.03;
const WASH_CENTER: [f32; 3] = [0.0, 0.30, 0.0];
const WASH_HALF: f32 = 0.12;
const FRICTION: f32 = 0.7;

/// Where a dish is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DishStatus {
    /// In the sink or loose somewhere, not held.
    Loose,
    /// In the gripper.
    Held,
    /// At rest in the given rack slot: a completed unit.
    Racked(usize),
    /// Broke and was removed.
    Broken,
    /// Came to rest in the wrong place and was removed.
    Misplaced,
}

impl DishStatus {
    /// Whether the dish is gone from the scene.
    pub fn is_removed(self) -> bool {
        matches!(self, DishStatus::Broken | DishStatus::Misplaced)
    }
}

impl From<ObjectStatus> for DishStatus {
    fn from(status: ObjectStatus) -> Self {
        match status {
            ObjectStatus::Loose => DishStatus::Loose,
            ObjectStatus::Held => DishStatus::Held,
            ObjectStatus::Placed(slot) => DishStatus::Racked(slot),
            ObjectStatus::Removed(RemovalCause::Broken) => DishStatus::Broken,
            ObjectStatus::Removed(RemovalCause::Misplaced) => DishStatus::Misplaced,
        }
    }
}

/// A read-only view of one dish, for experts, tests and tools.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DishState {
    /// Kind.
    pub kind: DishKind,
    /// Centre of mass position, m (last position if removed).
    pub position: Vector,
    /// Linear velocity, m/s.
    pub velocity: Vector,
    /// Status.
    pub status: DishStatus,
    /// Seconds spent in the wash zone while held.
    pub washed_s: f32,
    /// Whether it is clean.
    pub clean: bool,
}

impl DishState {
    /// The centre of the dish's top face, where the gripper takes it.
    pub fn grasp_point(&self) -> Vector {
        self.position + Vector::new(0.0, self.kind.half_height(), 0.0)
    }
}

/// The dishwashing rules on the pick-and-place core: the kitchen, where a
/// dish may rest, and what the observation shows. The core's objects are
/// the dishes, its targets the rack's six slots, its processing washing.
#[derive(Debug, Clone)]
pub struct DishwashingTask {
    cfg: DishwashingConfig,
    /// Kind of each dish, in the core's object order.
    kinds: Vec<DishKind>,
}

/// The dishwashing environment (see the module documentation).
pub type DishwashingEnv = PickPlaceEnv<DishwashingTask>;

impl DishwashingEnv {
    /// A dishwashing env with the given parameters (validated).
    pub fn new(cfg: DishwashingConfig) -> Result<Self> {
        cfg.validate()?;
        Ok(Self::from_task(DishwashingTask {
            cfg,
            kinds: Vec::new(),
        }))
    }

    /// The parameters.
    pub fn config(&self) -> &DishwashingConfig {
        &self.task.cfg
    }

    /// Every dish of the episode, in reset order (removed ones included).
    pub fn dishes(&self) -> Vec<DishState> {
        self.core
            .objects()
            .iter()
            .zip(&self.task.kinds)
            .map(|(o, kind)| DishState {
                kind: *kind,
                position: o.position(),
                velocity: o.velocity(),
                status: o.status().into(),
                washed_s: o.processed_s(),
                clean: o.processed(),
            })
            .collect()
    }

    /// Index of the held dish.
    pub fn held_dish(&self) -> Option<usize> {
        self.core.held()
    }

    /// Centre of the wash zone, m.
    pub fn wash_zone_center(&self) -> Vector {
        Vector::from(WASH_CENTER)
    }

    /// Half size of the (cubic) wash zone, m.
    pub fn wash_zone_half_size(&self) -> f32 {
        WASH_HALF
    }

    /// Centre of rack slot `i` on the tray surface, m.
    pub fn slot_center(&self, i: usize) -> Vector {
        slot_center(i)
    }

    /// The first free rack slot.
    pub fn free_slot(&self) -> Option<usize> {
        self.core.first_free_target()
    }
}

impl DishwashingTask {
    /// The nearest dirty loose dish's grasp point.
    fn nearest_dirty(&self, core: &PickPlaceCore) -> Option<Vector> {
        let tip = core.tip_position();
        core.objects()
            .iter()
            .filter(|d| d.status() == ObjectStatus::Loose && !d.processed())
            .map(|d| d.grasp_point())
            .min_by(|a, b| a.distance(tip).total_cmp(&b.distance(tip)))
    }
}

impl PickPlaceTask for DishwashingTask {
    const ID: &'static str = DISHWASHING_ID;
    const OBS_DIM: usize = DISHWASHING_OBS_DIM;
    const TIP_START: [f32; 3] = [0.0, 0.35, 0.25];
    const WORKSPACE: ([f32; 3], [f32; 3]) = ([-1.1, 0.0, -0.45], [1.15, 0.6, 0.45]);
    const ZONE_CENTER: [f32; 3] = WASH_CENTER;
    const ZONE_HALF: f32 = WASH_HALF;
    const REST_SPEED: f32 = 0.03;
    const REST_ANGULAR_SPEED: f32 = 0.3;

    fn params(&self) -> PickPlaceParams {
        self.cfg.params()
    }

    fn observation_bounds(&self) -> (Vec<f32>, Vec<f32>) {
        let mut low = vec![-5.0_f32; DISHWASHING_OBS_DIM];
        let mut high = vec![5.0_f32; DISHWASHING_OBS_DIM];
        for i in (3..5).chain(9..16).chain(25..30) {
            low[i] = if i < 5 { -1.0 } else { 0.0 };
            high[i] = 1.0;
        }
        (low, high)
    }

    fn target_count(&self) -> usize {
        6
    }

    fn layout(&mut self, rng: &mut ChaCha8Rng) -> SceneLayout {
        // Dishes: one per sink cell, cells shuffled, kinds drawn per dish.
        let mut cells: Vec<usize> = (0..6).collect();
        for i in (1..cells.len()).rev() {
            let j = rng.random_range(0..=i);
            cells.swap(i, j);
        }
        self.kinds.clear();
        let mut objects = Vec::new();
        for &cell in cells.iter().take(self.cfg.num_dishes) {
            let kind = DishKind::ALL[rng.random_range(0..3)];
            let (cx, cz) = cell_center(SINK_CENTER, cell);
            let slack = (CELL * 0.5 - kind.radius() - 0.012).max(0.0);
            let x = cx + rng.random_range(-slack..=slack);
            let z = cz + rng.random_range(-slack..=slack);
            let yaw = rng.random_range(-std::f32::consts::PI..std::f32::consts::PI);
            let position = Vector::new(x, kind.half_height() + 0.001, z);
            objects.push(ObjectSpawn {
                shape: SharedShape::cylinder(kind.half_height(), kind.radius()),
                pose: Pose::from_parts(position, Rotation::from_rotation_y(yaw)),
                mass: kind.mass(),
                friction: FRICTION,
                half_height: kind.half_height(),
                break_force: Some(kind.break_force(&self.cfg.break_force_n)),
            });
            self.kinds.push(kind);
        }
        SceneLayout {
            static_boxes: static_boxes(),
            friction: FRICTION,
            objects,
        }
    }

    fn phase_target(&self, core: &PickPlaceCore) -> (usize, Option<Vector>) {
        match core.held() {
            Some(i) if core.objects()[i].processed() => {
                let lift = 2.0 * self.kinds[i].half_height() + 0.01;
                (
                    2,
                    core.first_free_target()
                        .map(|s| slot_center(s) + Vector::new(0.0, lift, 0.0)),
                )
            }
            Some(i) => {
                let offset = core.tip_position() - core.objects()[i].position();
                (1, Some(Vector::from(WASH_CENTER) + offset))
            }
            None => (0, self.nearest_dirty(core)),
        }
    }

    fn released_at_goal(&self, core: &PickPlaceCore, object: usize) -> bool {
        slot_at(core.objects()[object].position()).is_some_and(|s| !core.filled()[s])
    }

    fn on_rest(&self, core: &PickPlaceCore, object: usize) -> RestVerdict {
        let d = &core.objects()[object];
        let p = d.position();
        if in_basin(SINK_CENTER, p) && p.y < SINK_WALL_HEIGHT {
            return RestVerdict::Stay; // back in the sink: fine, not yet done
        }
        let bottom = p.y - self.kinds[object].half_height();
        let slot = slot_at(p).filter(|_| (bottom - RACK_BASE_TOP).abs() < 0.01);
        match slot {
            Some(s) if d.processed() && !core.filled()[s] => RestVerdict::Place(s),
            _ => RestVerdict::Remove,
        }
    }

    fn write_obs(&self, core: &PickPlaceCore, obs: &mut [f32]) {
        let tip = core.tip_position();
        let wash_time = self.cfg.wash_time_s;
        let held = core.held();
        if let Some(i) = held {
            let d = &core.objects()[i];
            obs[10] = 1.0;
            obs[11] = if wash_time > 0.0 {
                (d.processed_s() / wash_time).min(1.0)
            } else {
                1.0
            };
            obs[12] = f32::from(u8::from(d.processed()));
            obs[13 + self.kinds[i].index()] = 1.0;
        }
        let rel = |v: Option<Vector>| v.map_or([0.0; 3], |v| (v - tip).to_array());
        obs[16..19].copy_from_slice(&rel(self.nearest_dirty(core)));
        obs[19..22].copy_from_slice(&rel(core
            .first_free_target()
            .map(|s| slot_center(s) + Vector::new(0.0, 0.12, 0.0))));
        obs[22..25].copy_from_slice(&rel(Some(Vector::from(WASH_CENTER))));
        let phase = match held {
            Some(i) if core.objects()[i].processed() => 2,
            Some(_) => 1,
            None => 0,
        };
        obs[25 + phase] = 1.0;
        let objects = core.objects();
        let todo = objects.iter().filter(|d| d.status().is_pending()).count();
        obs[28] = todo as f32 / objects.len().max(1) as f32;
        let elapsed = core.info().sim_seconds / f64::from(self.cfg.episode_seconds);
        obs[29] = elapsed.min(1.0) as f32;
    }

    fn scene_shapes(&self, core: &PickPlaceCore) -> Vec<SceneShape> {
        let mut shapes = static_shapes();
        for (d, kind) in core.objects().iter().zip(&self.kinds) {
            if d.status().is_removed() {
                continue;
            }
            let base = kind.color();
            let color = if d.processed() {
                [0.95, 0.95, 0.97]
            } else {
                let t = (d.processed_s() / self.cfg.wash_time_s.max(1e-3)).clamp(0.0, 1.0);
                [
                    base[0] + (0.95 - base[0]) * t,
                    base[1] + (0.95 - base[1]) * t,
                    base[2] + (0.97 - base[2]) * t,
                ]
            };
            shapes.push(SceneShape {
                kind: ShapeKind::Cylinder {
                    radius: kind.radius(),
                    half_height: kind.half_height(),
                },
                pose: Pose::from_parts(d.position(), d.rotation()),
                color,
            });
        }
        shapes
    }

    fn camera(&self) -> Camera {
        Camera::kitchen()
    }
}

/// Centre of rack slot `i` on the tray surface, m.
fn slot_center(i: usize) -> Vector {
    let (x, z) = cell_center(RACK_CENTER, i);
    Vector::new(x, RACK_BASE_TOP, z)
}

/// Centre (x, z) of cell `i` of a 3 × 2 grid centred at `center`.
fn cell_center(center: [f32; 2], i: usize) -> (f32, f32) {
    let col = (i % 3) as f32 - 1.0;
    let row = (i / 3) as f32 - 0.5;
    (center[0] + col * CELL, center[1] + row * CELL)
}

fn in_basin(center: [f32; 2], p: Vector) -> bool {
    (p.x - center[0]).abs() <= BASIN_HALF[0] && (p.z - center[1]).abs() <= BASIN_HALF[1]
}

/// The rack slot whose cell contains `p` in x–z.
fn slot_at(p: Vector) -> Option<usize> {
    if !in_basin(RACK_CENTER, p) {
        return None;
    }
    let col = ((p.x - (RACK_CENTER[0] - BASIN_HALF[0])) / CELL).floor() as usize;
    let row = ((p.z - (RACK_CENTER[1] - BASIN_HALF[1])) / CELL).floor() as usize;
    Some(row.min(1) * 3 + col.min(2))
}

/// Static scenery as (centre, half extents).
fn static_boxes() -> Vec<(Vector, Vector)> {
    let mut v = vec![
        // counter, floor, backsplash, side walls
        (Vector::new(0.0, -0.05, 0.0), Vector::new(1.25, 0.05, 0.6)),
        (Vector::new(0.0, -0.95, 0.0), Vector::new(3.0, 0.05, 3.0)),
        (Vector::new(0.0, 0.3, -0.62), Vector::new(1.25, 0.3, 0.02)),
        (Vector::new(-1.27, 0.3, 0.0), Vector::new(0.02, 0.3, 0.6)),
        (Vector::new(1.27, 0.3, 0.0), Vector::new(0.02, 0.3, 0.6)),
    ];
    // sink walls
    let [sx, sz] = SINK_CENTER;
    let [hx, hz] = BASIN_HALF;
    let hh = SINK_WALL_HEIGHT / 2.0;
    let t = 0.01;
    v.push((
        Vector::new(sx, hh, sz - hz - t),
        Vector::new(hx + 2.0 * t, hh, t),
    ));
    v.push((
        Vector::new(sx, hh, sz + hz + t),
        Vector::new(hx + 2.0 * t, hh, t),
    ));
    v.push((Vector::new(sx - hx - t, hh, sz), Vector::new(t, hh, hz)));
    v.push((Vector::new(sx + hx + t, hh, sz), Vector::new(t, hh, hz)));
    // rack tray and dividers
    let [rx, rz] = RACK_CENTER;
    v.push((
        Vector::new(rx, RACK_BASE_TOP / 2.0, rz),
        Vector::new(hx + 0.01, RACK_BASE_TOP / 2.0, hz + 0.01),
    ));
    let dh = DIVIDER_HEIGHT / 2.0;
    let dy = RACK_BASE_TOP + dh;
    let dt = 0.005;
    for k in 0..=3 {
        let x = rx - hx + k as f32 * CELL;
        v.push((Vector::new(x, dy, rz), Vector::new(dt, dh, hz)));
    }
    for k in 0..=2 {
        let z = rz - hz + k as f32 * CELL;
        v.push((Vector::new(rx, dy, z), Vector::new(hx, dh, dt)));
    }
    v
}

fn static_shapes() -> Vec<SceneShape> {
    let boxes = static_boxes();
    let mut shapes: Vec<SceneShape> = boxes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1) // the floor is out of view
        .map(|(i, (c, h))| SceneShape {
            kind: ShapeKind::Cuboid { half: *h },
            pose: Pose::from_translation(*c),
            color: match i {
                0 => [0.55, 0.45, 0.35],
                2..=4 => [0.85, 0.85, 0.80],
                5..=8 => [0.60, 0.65, 0.70],
                _ => [0.35, 0.55, 0.35],
            },
        })
        .collect();
    // sink floor (drawn only) and the wash zone's tap
    shapes.push(SceneShape {
        kind: ShapeKind::Cuboid {
            half: Vector::new(BASIN_HALF[0], 0.001, BASIN_HALF[1]),
        },
        pose: Pose::from_translation(Vector::new(SINK_CENTER[0], 0.001, SINK_CENTER[1])),
        color: [0.70, 0.75, 0.80],
    });
    shapes.push(SceneShape {
        kind: ShapeKind::Cylinder {
            radius: 0.02,
            half_height: 0.25,
        },
        pose: Pose::from_translation(Vector::new(0.0, 0.25, -0.45)),
        color: [0.75, 0.75, 0.8],
    });
    shapes.push(SceneShape {
        kind: ShapeKind::Cuboid {
            half: Vector::new(0.02, 0.02, 0.2),
        },
        pose: Pose::from_translation(Vector::new(0.0, 0.5, -0.27)),
        color: [0.75, 0.75, 0.8],
    });
    shapes.push(SceneShape {
        kind: ShapeKind::Cuboid {
            half: Vector::new(WASH_HALF, 0.002, WASH_HALF),
        },
        pose: Pose::from_translation(Vector::new(WASH_CENTER[0], 0.002, WASH_CENTER[2])),
        color: [0.3, 0.5, 0.9],
    });
    shapes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dishwashing::DishwashingExpert;
    use crate::{Action, Env, EnvError, Info};

    fn one_dish_env() -> DishwashingEnv {
        let cfg = DishwashingConfig {
            num_dishes: 1,
            ..DishwashingConfig::default()
        };
        DishwashingEnv::new(cfg).expect("valid config")
    }

    /// Resets with one dish, makes it a plate, grasps it, carries it over
    /// the bare counter at x = 0, z = 0.3 with its bottom at `drop_height`
    /// and opens the gripper; returns the plate's final status.
    fn drop_plate_from(drop_height: f32) -> DishStatus {
        let mut env = one_dish_env();
        let mut obs = vec![0.0; DISHWASHING_OBS_DIM];
        // Find a seed whose single dish is a plate.
        let seed = (0..100)
            .find(|&s| {
                env.reset_into(Some(s), &mut obs).expect("reset");
                env.dishes()[0].kind == DishKind::Plate
            })
            .expect("some seed gives a plate");
        env.reset_into(Some(seed), &mut obs).expect("reset");
        let mut expert = DishwashingExpert::new(1.0, 0);
        // Grasp with the expert's approach.
        for _ in 0..400 {
            if env.held_dish().is_some() {
                break;
            }
            let a = expert.act(&env);
            env.step_into(Action::Continuous(&a), &mut obs)
                .expect("step");
        }
        assert_eq!(env.held_dish(), Some(0), "the plate was grasped");
        let hh = DishKind::Plate.half_height();
        let mut released = false;
        for _ in 0..600 {
            let d = env.dishes()[0];
            if d.status.is_removed() || matches!(d.status, DishStatus::Racked(_)) {
                break;
            }
            let tip = env.tip_position();
            let offset = tip - d.position;
            let goal = Vector::new(0.0, drop_height + hh, 0.3) + offset;
            let waypoint = crate::pick_and_place::route(tip, goal, 0.2 + hh + offset.y, 0.004);
            let mut v = (waypoint - tip) * 5.0;
            if v.length() > 0.25 {
                v = v.normalize() * 0.25;
            }
            let here =
                (d.position - (goal - offset)).length() < 0.004 && d.velocity.length() < 0.01;
            released |= here;
            let grip = if released { -1.0 } else { 1.0 };
            let a = [v.x / 0.5, v.y / 0.5, v.z / 0.5, 0.0, grip];
            let t = env
                .step_into(Action::Continuous(&a), &mut obs)
                .expect("step");
            if released && (t.terminated || t.truncated) {
                break;
            }
        }
        assert!(released, "the plate reached its release pose");
        env.dishes()[0].status
    }

    #[test]
    fn breakage_plate_dropped_from_30_cm_breaks() {
        assert_eq!(drop_plate_from(0.30), DishStatus::Broken);
    }

    #[test]
    fn breakage_plate_set_down_gently_survives() {
        // Released 5 mm above the counter: it survives, and since the
        // counter is not a rack slot it counts as misplaced, not broken.
        assert_eq!(drop_plate_from(0.005), DishStatus::Misplaced);
    }

    #[test]
    fn same_seed_gives_the_same_episode() {
        let run = || {
            let mut env = DishwashingEnv::new(DishwashingConfig::default()).unwrap();
            let mut expert = DishwashingExpert::new(0.6, 3);
            let mut obs = vec![0.0; DISHWASHING_OBS_DIM];
            env.reset_into(Some(11), &mut obs).unwrap();
            let mut trace = Vec::new();
            for _ in 0..1500 {
                let a = expert.act(&env);
                let t = env.step_into(Action::Continuous(&a), &mut obs).unwrap();
                trace.push((obs.clone(), t.reward));
                if t.terminated || t.truncated {
                    break;
                }
            }
            (trace, env.info())
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn stepping_before_reset_and_bad_actions_are_typed_errors() {
        let mut env = one_dish_env();
        let mut obs = vec![0.0; DISHWASHING_OBS_DIM];
        let a = [0.0; 5];
        assert!(matches!(
            env.step_into(Action::Continuous(&a), &mut obs),
            Err(EnvError::NeedsReset { .. })
        ));
        env.reset_into(Some(0), &mut obs).unwrap();
        assert!(matches!(
            env.step_into(Action::Discrete(1), &mut obs),
            Err(EnvError::InvalidAction { .. })
        ));
        let mut short = vec![0.0; 3];
        assert!(matches!(
            env.reset_into(Some(0), &mut short),
            Err(EnvError::ObservationBuffer { .. })
        ));
    }

    #[test]
    fn non_finite_actions_are_refused_and_change_nothing() {
        let mut env = one_dish_env();
        let mut obs = vec![0.0; DISHWASHING_OBS_DIM];
        env.reset_into(Some(0), &mut obs).unwrap();
        let before = obs.clone();
        let a = [f32::NAN, 0.0, 0.0, 0.0, 0.0];
        assert!(matches!(
            env.step_into(Action::Continuous(&a), &mut obs),
            Err(EnvError::InvalidAction { .. })
        ));
        assert_eq!(obs, before);
        assert_eq!(env.info().sim_seconds, 0.0);
    }

    fn expert_rollouts(skill: f32, seeds: std::ops::Range<u64>) -> Vec<Info> {
        crate::pick_and_place::expert_episodes(
            &mut DishwashingEnv::new(DishwashingConfig::default()).unwrap(),
            &mut DishwashingExpert::new(skill, 1),
            seeds,
        )
    }

    #[test]
    fn expert_at_full_skill_clears_the_sink_at_about_the_human_rate() {
        // MP_h = 60 dishes/h in configs/dishwashing.yaml.
        for info in expert_rollouts(1.0, 0..2) {
            let mp_r = f64::from(info.units_completed) / info.sim_hours();
            assert_eq!(info.units_completed, 6, "{info:?}");
            assert_eq!(info.errors, 0, "{info:?}");
            assert!((48.0..=90.0).contains(&mp_r), "MP_r {mp_r}");
        }
    }

    #[test]
    fn expert_racks_every_dish_unbroken_on_seeds_it_was_not_tuned_on() {
        // Seeds 1000-1011 broke a plate in 6 of 12 episodes while rapier's
        // 2 cm speculative contacts pushed on a plate lowered between the
        // rack dividers (see `PREDICTION_DISTANCE`).
        for info in expert_rollouts(1.0, 1000..1012) {
            assert_eq!(info.errors, 0, "{info:?}");
            assert_eq!(info.units_completed, 6, "{info:?}");
        }
    }

    #[test]
    fn half_skill_is_slower_than_full_skill_but_still_racks_dishes() {
        let rate = |infos: Vec<Info>| {
            let units: u32 = infos.iter().map(|i| i.units_completed).sum();
            let hours: f64 = infos.iter().map(|i| i.sim_hours()).sum();
            f64::from(units) / hours
        };
        let half = rate(expert_rollouts(0.5, 0..2));
        let full = rate(expert_rollouts(1.0, 0..2));
        assert!(half > 0.0 && half < 0.9 * full, "half {half}, full {full}");
    }
}
