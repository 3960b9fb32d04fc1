//! Bricklaying on rapier3d: take bricks from a pallet, butter them at the
//! mortar board, and lay them on target poses in a running-bond wall.
//!
//! # Scene (metres, `y` up, `x` right, `z` towards the camera)
//!
//! * Ground at `y = 0`. Pallet: 10 cm high, centred at `(−0.725, ·, 0.2)`,
//!   holding bricks in a 3 × 3 grid, two layers, each with a position
//!   jitter of ±1 cm and a yaw jitter of ±8° drawn from the seed.
//! * Bricks: 215 × 65 × 102.5 mm, 2.2 kg (a standard clay brick), long
//!   side along `x`.
//! * Wall: along `x` from `x = −0.4` at `z = −0.25`; course `k` sits at
//!   `y = 0.0325 + 0.065·k`, with 12 mm head joints, in running bond racked
//!   back at both ends: course `k` is offset by `k` half bricks and has
//!   `bricks_per_course − k` bricks, so every brick above the first course
//!   rests on two below. Target yaw 0.
//! * Mortar board: the 20 cm cube centred at `(0.35, 0.30, 0.30)`.
//!
//! # Action: `Box([-1, 1]^5)`
//!
//! `[vx, vy, vz, yaw_rate, grip]`, as in dishwashing: velocities scale to
//! `max_speed_m_s` and `max_yaw_rate_rad_s`; `grip > 0` closes. Closing
//! within 3 cm of a brick's grasp point (centre of its top face) grasps it.
//! The arm holds still during the step in which the gripper closes.
//!
//! # Observation: `Box`, 34 values
//!
//! | index | meaning | unit |
//! |---|---|---|
//! | 0–2 | tip position | m |
//! | 3–4 | sin yaw, cos yaw | – |
//! | 5–7 | tip velocity | m/s |
//! | 8 | yaw rate | rad/s |
//! | 9 | gripper closed | 0/1 |
//! | 10 | holding a brick | 0/1 |
//! | 11 | held brick mortar progress | 0–1 |
//! | 12 | held brick buttered | 0/1 |
//! | 13–15 | held brick centre − tip (0 if none) | m |
//! | 16–17 | held brick yaw error to target: sin, cos of 2·error | – |
//! | 18–20 | nearest loose brick's grasp point − tip (0 if none) | m |
//! | 21–22 | that brick's yaw: sin, cos of 2·yaw | – |
//! | 23–25 | next target's centre − tip (0 if none) | m |
//! | 26–28 | mortar board centre − tip | m |
//! | 29–31 | phase one-hot (fetch, butter, lay) | 0/1 |
//! | 32 | fraction of targets filled | 0–1 |
//! | 33 | fraction of episode time elapsed | 0–1 |
//!
//! (A brick is symmetric under a half turn, so yaw enters as `2·yaw`.)
//!
//! # Counters and reward
//!
//! A unit is a buttered brick at rest for `settle_time_s` within
//! `position_tolerance_m` and `yaw_tolerance_deg` of a free target. An
//! attempt is a grasp. Errors: a brick that comes to rest anywhere else but
//! the pallet (dropped, misplaced, laid dry), falls off the site, or a laid
//! brick later knocked more than twice the tolerance from its target; such

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rapier3d::math::{Pose, Rotation, Vector};
use rapier3d::prelude::*;

use super::{BRICKLAYING_ID, BricklayingConfig};
use crate::Result;
use crate::physics::{SceneShape, ShapeKind, wrap_angle, yaw_of};
use crate::pick_and_place::{
    ObjectSpawn, ObjectStatus, PickPlaceCore, PickPlaceEnv, PickPlaceObject, PickPlaceParams,
    PickPlaceTask, RestVerdict, SceneLayout,
};
use crate::render::Camera;

/// Length of the observation vector.
pub const BRICKLAYING_OBS_DIM: usize = 34;
/// Length of the action vector.
pub const BRICKLAYING_ACTION_DIM: usize = crate::LABOUR_ACTION_DIM;

/// Brick half extents (m): 215 × 65 × 102.5 mm.
pub const BRICK_HALF: [f32; 3] = [0.1075, 0.0325, 0.05125];
const BRICK_MASS: f32 = 2.2;
const HEAD_JOINT: f32 = 0.012;
const WALL_X0: f32 = -0.4;
const WALL_Z: f32 = -0.25;
const PALLET_CENTER: [f32; 3] = [-0.725, 0.05, 0.2];
const PALLET_HALF: [f32; 3] = [0.39, 0.05, 0.21];
const MORTAR_CENTER: [f32; 3] = [0.35, 0.30, 0.30];
const MORTAR_HALF: f32 = 0.1;
const FRICTION: f32 = 0.8;

/// Where a brick is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrickStatus {
    /// On the pallet or loose, not held.
    Loose,
    /// In the gripper.
    Held,
    /// Laid at the given target: a completed unit.
    Laid(usize),
    /// Removed after an error (dropped, misplaced, knocked off).
    Removed,
}

impl From<ObjectStatus> for BrickStatus {
    fn from(status: ObjectStatus) -> Self {
        match status {
            ObjectStatus::Loose => BrickStatus::Loose,
            ObjectStatus::Held => BrickStatus::Held,
            ObjectStatus::Placed(target) => BrickStatus::Laid(target),
            ObjectStatus::Removed(_) => BrickStatus::Removed,
        }
    }
}

/// A read-only view of one brick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BrickState {
    /// Centre position, m.
    pub position: Vector,
    /// Yaw about `+y`, rad.
    pub yaw: f32,
    /// Linear velocity, m/s.
    pub velocity: Vector,
    /// Status.
    pub status: BrickStatus,
    /// Seconds spent at the mortar board while held.
    pub mortar_s: f32,
    /// Whether it has been buttered.
    pub buttered: bool,
}

impl BrickState {
    /// Centre of the brick's top face, where the gripper takes it.
    pub fn grasp_point(&self) -> Vector {
        self.position + Vector::new(0.0, BRICK_HALF[1], 0.0)
    }
}

/// The bricklaying rules on the pick-and-place core: the site, the wall's
/// targets and tolerances, and what the observation shows. The core's
/// objects are the bricks, its targets the wall's positions, its
/// processing buttering at the mortar board.
#[derive(Debug, Clone)]
pub struct BricklayingTask {
    cfg: BricklayingConfig,
    /// Target centres of the wall, course by course, left to right.
    targets: Vec<Vector>,
}

/// The bricklaying environment (see the module documentation).
pub type BricklayingEnv = PickPlaceEnv<BricklayingTask>;

impl BricklayingEnv {
    /// A bricklaying env with the given parameters (validated).
    pub fn new(cfg: BricklayingConfig) -> Result<Self> {
        cfg.validate()?;
        let mut targets = Vec::new();
        for k in 0..cfg.courses {
            let shift = 0.5 * k as f32;
            for i in 0..cfg.bricks_per_course - k {
                targets.push(Vector::new(
                    WALL_X0 + (i as f32 + shift) * (2.0 * BRICK_HALF[0] + HEAD_JOINT),
                    BRICK_HALF[1] + k as f32 * 2.0 * BRICK_HALF[1],
                    WALL_Z,
                ));
            }
        }
        Ok(Self::from_task(BricklayingTask { cfg, targets }))
    }

    /// The parameters.
    pub fn config(&self) -> &BricklayingConfig {
        &self.task.cfg
    }

    /// Every brick of the episode (removed ones included).
    pub fn bricks(&self) -> Vec<BrickState> {
        self.core.objects().iter().map(brick_state).collect()
    }

    /// Target centres of the wall, course by course, left to right.
    pub fn targets(&self) -> &[Vector] {
        &self.task.targets
    }

    /// The next target to fill, in laying order.
    pub fn next_target(&self) -> Option<usize> {
        self.core.first_free_target()
    }

    /// Index of the held brick.
    pub fn held_brick(&self) -> Option<usize> {
        self.core.held()
    }

    /// Centre of the mortar board zone, m.
    pub fn mortar_center(&self) -> Vector {
        Vector::from(MORTAR_CENTER)
    }
}

fn brick_state(o: &PickPlaceObject) -> BrickState {
    BrickState {
        position: o.position(),
        yaw: yaw_of(&o.rotation()),
        velocity: o.velocity(),
        status: o.status().into(),
        mortar_s: o.processed_s(),
        buttered: o.processed(),
    }
}

impl BricklayingTask {
    fn nearest_loose(&self, core: &PickPlaceCore) -> Option<BrickState> {
        let tip = core.tip_position();
        core.objects()
            .iter()
            .map(brick_state)
            .filter(|s| s.status == BrickStatus::Loose && !on_wall(s.position))
            .min_by(|a, b| {
                a.grasp_point()
                    .distance(tip)
                    .total_cmp(&b.grasp_point().distance(tip))
            })
    }

    /// The task phase: 0 reach a brick, 1 butter it, 2 lay it.
    fn phase(&self, core: &PickPlaceCore) -> usize {
        match core.held() {
            Some(i) if core.objects()[i].processed() => 2,
            Some(_) => 1,
            None => 0,
        }
    }

    /// The free target `p`/`yaw` is within tolerance of.
    fn matching_target(&self, core: &PickPlaceCore, p: Vector, yaw: f32) -> Option<usize> {
        if half_turn_error(yaw).abs() > self.cfg.yaw_tolerance_deg.to_radians() {
            return None;
        }
        let tol = self.cfg.position_tolerance_m;
        (0..self.targets.len())
            .find(|&t| !core.filled()[t] && self.targets[t].distance_squared(p) <= tol * tol)
    }
}

fn on_wall(p: Vector) -> bool {
    (p.z - WALL_Z).abs() < 0.08 && p.x > WALL_X0 - 0.2
}

/// Yaw error to the wall's direction, modulo a half turn, in (−π/2, π/2].
pub(crate) fn half_turn_error(yaw: f32) -> f32 {
    wrap_angle(2.0 * yaw) / 2.0
}

impl PickPlaceTask for BricklayingTask {
    const ID: &'static str = BRICKLAYING_ID;
    const OBS_DIM: usize = BRICKLAYING_OBS_DIM;
    const TIP_START: [f32; 3] = [0.0, 0.4, 0.2];
    const WORKSPACE: ([f32; 3], [f32; 3]) = ([-1.2, 0.0, -0.5], [1.2, 0.7, 0.5]);
    const ZONE_CENTER: [f32; 3] = MORTAR_CENTER;
    const ZONE_HALF: f32 = MORTAR_HALF;
    const REST_SPEED: f32 = 0.02;
    const REST_ANGULAR_SPEED: f32 = 0.2;

    fn params(&self) -> PickPlaceParams {
        self.cfg.params()
    }

    fn observation_bounds(&self) -> (Vec<f32>, Vec<f32>) {
        let mut low = vec![-5.0_f32; BRICKLAYING_OBS_DIM];
        let mut high = vec![5.0_f32; BRICKLAYING_OBS_DIM];
        for i in [3, 4, 16, 17, 21, 22] {
            low[i] = -1.0;
            high[i] = 1.0;
        }
        for i in [9, 10, 11, 12, 29, 30, 31, 32, 33] {
            low[i] = 0.0;
            high[i] = 1.0;
        }
        (low, high)
    }

    fn target_count(&self) -> usize {
        self.targets.len()
    }

    fn layout(&mut self, rng: &mut ChaCha8Rng) -> SceneLayout {
        let pallet_top = PALLET_CENTER[1] + PALLET_HALF[1];
        let objects = (0..self.cfg.total_bricks())
            .map(|n| {
                let (layer, cell) = (n / 9, n % 9);
                let x = PALLET_CENTER[0]
                    + ((cell % 3) as f32 - 1.0) * 0.25
                    + rng.random_range(-0.01..=0.01);
                let z = PALLET_CENTER[2]
                    + ((cell / 3) as f32 - 1.0) * 0.13
                    + rng.random_range(-0.01..=0.01);
                let yaw = rng.random_range(-0.14..=0.14);
                let y = pallet_top + BRICK_HALF[1] * (1.0 + 2.0 * layer as f32) + 0.0005;
                ObjectSpawn {
                    shape: SharedShape::cuboid(BRICK_HALF[0], BRICK_HALF[1], BRICK_HALF[2]),
                    pose: Pose::from_parts(Vector::new(x, y, z), Rotation::from_rotation_y(yaw)),
                    mass: BRICK_MASS,
                    friction: FRICTION,
                    half_height: BRICK_HALF[1],
                    break_force: None,
                }
            })
            .collect();
        SceneLayout {
            static_boxes: vec![
                (Vector::new(0.0, -0.05, 0.0), Vector::new(3.0, 0.05, 3.0)),
                (Vector::from(PALLET_CENTER), Vector::from(PALLET_HALF)),
            ],
            friction: FRICTION,
            objects,
        }
    }

    fn phase_target(&self, core: &PickPlaceCore) -> (usize, Option<Vector>) {
        match core.held() {
            Some(i) => {
                let s = &core.objects()[i];
                let offset = core.tip_position() - s.position();
                if s.processed() {
                    (
                        2,
                        core.first_free_target().map(|t| self.targets[t] + offset),
                    )
                } else {
                    (1, Some(Vector::from(MORTAR_CENTER) + offset))
                }
            }
            None => (0, self.nearest_loose(core).map(|s| s.grasp_point())),
        }
    }

    fn released_at_goal(&self, core: &PickPlaceCore, object: usize) -> bool {
        let p = core.objects()[object].position();
        core.first_free_target()
            .is_some_and(|t| self.targets[t].distance(p) < 0.03)
    }

    fn still_placed(&self, core: &PickPlaceCore, object: usize, target: usize) -> bool {
        let s = brick_state(&core.objects()[object]);
        let tol = self.cfg.position_tolerance_m;
        let yaw_tol = self.cfg.yaw_tolerance_deg.to_radians();
        let moved = self.targets[target].distance(s.position) > 2.0 * tol
            || half_turn_error(s.yaw).abs() > 2.0 * yaw_tol;
        !moved
    }

    fn on_rest(&self, core: &PickPlaceCore, object: usize) -> RestVerdict {
        let s = brick_state(&core.objects()[object]);
        let on_pallet = (s.position.x - PALLET_CENTER[0]).abs() <= PALLET_HALF[0]
            && (s.position.z - PALLET_CENTER[2]).abs() <= PALLET_HALF[2]
            && s.position.y > PALLET_CENTER[1] + PALLET_HALF[1];
        // Unbuttered bricks may only rest on the pallet; buttered ones only
        // on a free target.
        let target = if s.buttered {
            self.matching_target(core, s.position, s.yaw)
        } else {
            None
        };
        match target {
            Some(t) => RestVerdict::Place(t),
            None if on_pallet && !s.buttered => RestVerdict::Stay,
            None => RestVerdict::Remove,
        }
    }

    fn write_obs(&self, core: &PickPlaceCore, obs: &mut [f32]) {
        let tip = core.tip_position();
        let rel = |v: Vector| (v - tip).to_array();
        let mortar_time = self.cfg.mortar_time_s;
        if let Some(i) = core.held() {
            let s = brick_state(&core.objects()[i]);
            obs[10] = 1.0;
            obs[11] = if mortar_time > 0.0 {
                (s.mortar_s / mortar_time).min(1.0)
            } else {
                1.0
            };
            obs[12] = f32::from(u8::from(s.buttered));
            obs[13..16].copy_from_slice(&rel(s.position));
            obs[16] = (2.0 * s.yaw).sin();
            obs[17] = (2.0 * s.yaw).cos();
        }
        if let Some(s) = self.nearest_loose(core) {
            obs[18..21].copy_from_slice(&rel(s.grasp_point()));
            obs[21] = (2.0 * s.yaw).sin();
            obs[22] = (2.0 * s.yaw).cos();
        }
        if let Some(t) = core.first_free_target() {
            obs[23..26].copy_from_slice(&rel(self.targets[t]));
        }
        obs[26..29].copy_from_slice(&rel(Vector::from(MORTAR_CENTER)));
        obs[29 + self.phase(core)] = 1.0;
        let filled = core.filled();
        obs[32] = filled.iter().filter(|f| **f).count() as f32 / filled.len().max(1) as f32;
        let elapsed = core.info().sim_seconds / f64::from(self.cfg.episode_seconds);
        obs[33] = elapsed.min(1.0) as f32;
    }

    fn scene_shapes(&self, core: &PickPlaceCore) -> Vec<SceneShape> {
        let mut shapes = vec![
            SceneShape {
                kind: ShapeKind::Cuboid {
                    half: Vector::new(1.4, 0.05, 0.8),
                },
                pose: Pose::from_translation(Vector::new(0.0, -0.05, 0.0)),
                color: [0.55, 0.55, 0.5],
            },
            SceneShape {
                kind: ShapeKind::Cuboid {
                    half: Vector::from(PALLET_HALF),
                },
                pose: Pose::from_translation(Vector::from(PALLET_CENTER)),
                color: [0.65, 0.5, 0.3],
            },
            SceneShape {
                kind: ShapeKind::Cuboid {
                    half: Vector::new(MORTAR_HALF, 0.06, MORTAR_HALF),
                },
                pose: Pose::from_translation(Vector::new(MORTAR_CENTER[0], 0.06, MORTAR_CENTER[2])),
                color: [0.6, 0.6, 0.62],
            },
        ];
        for (t, filled) in self.targets.iter().zip(core.filled()) {
            if !filled && t.y < 0.05 {
                shapes.push(SceneShape {
                    kind: ShapeKind::Cuboid {
                        half: Vector::new(BRICK_HALF[0], 0.001, BRICK_HALF[2]),
                    },
                    pose: Pose::from_translation(Vector::new(t.x, 0.001, t.z)),
                    color: [0.9, 0.9, 0.3],
                });
            }
        }
        for b in core.objects() {
            if b.status().is_removed() {
                continue;
            }
            let color = if b.processed() {
                [0.75, 0.32, 0.22]
            } else {
                [0.62, 0.25, 0.18]
            };
            shapes.push(SceneShape {
                kind: ShapeKind::Cuboid {
                    half: Vector::from(BRICK_HALF),
                },
                pose: Pose::from_parts(b.position(), b.rotation()),
                color,
            });
        }
        shapes
    }

    fn camera(&self) -> Camera {
        Camera::site()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BricklayingExpert;
    use crate::{Action, Env, Info};

    fn expert_rollouts(skill: f32, seeds: std::ops::Range<u64>) -> Vec<Info> {
        crate::pick_and_place::expert_episodes(
            &mut BricklayingEnv::new(BricklayingConfig::default()).unwrap(),
            &mut BricklayingExpert::new(skill, 1),
            seeds,
        )
    }

    fn rate(infos: &[Info]) -> f64 {
        let units: u32 = infos.iter().map(|i| i.units_completed).sum();
        let hours: f64 = infos.iter().map(|i| i.sim_hours()).sum();
        f64::from(units) / hours
    }

    #[test]
    fn expert_at_full_skill_lays_the_wall_at_about_the_human_rate() {
        // MP_h = 60 bricks/h in configs/bricklaying.yaml.
        let infos = expert_rollouts(1.0, 0..1);
        let info = infos[0];
        assert_eq!(info.units_completed, 15, "{info:?}");
        assert_eq!(info.errors, 0, "{info:?}");
        assert!(
            (48.0..=90.0).contains(&rate(&infos)),
            "MP_r {}",
            rate(&infos)
        );
    }

    #[test]
    fn half_skill_is_slower_than_full_skill_but_still_lays_bricks() {
        let half = rate(&expert_rollouts(0.5, 0..1));
        let full = rate(&expert_rollouts(1.0, 0..1));
        assert!(half > 0.0 && half < 0.9 * full, "half {half}, full {full}");
    }

    #[test]
    fn same_seed_gives_the_same_episode() {
        let run = || {
            let mut env = BricklayingEnv::new(BricklayingConfig::default()).unwrap();
            let mut expert = BricklayingExpert::new(0.7, 5);
            let mut obs = vec![0.0; BRICKLAYING_OBS_DIM];
            env.reset_into(Some(3), &mut obs).unwrap();
            let mut trace = Vec::new();
            for _ in 0..1500 {
                let a = expert.act(&env);
                let t = env.step_into(Action::Continuous(&a), &mut obs).unwrap();
                trace.push((obs.clone(), t.reward));
            }
            trace
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn a_brick_dropped_off_the_wall_is_an_error() {
        let mut env = BricklayingEnv::new(BricklayingConfig::default()).unwrap();
        let mut expert = BricklayingExpert::new(1.0, 0);
        let mut obs = vec![0.0; BRICKLAYING_OBS_DIM];
        env.reset_into(Some(0), &mut obs).unwrap();
        // Grasp, then open at once 30 cm up over the ground.
        while env.held_brick().is_none() {
            let a = expert.act(&env);
            env.step_into(Action::Continuous(&a), &mut obs).unwrap();
        }
        for _ in 0..200 {
            let up = if env.tip_position().y < 0.45 {
                1.0
            } else {
                0.0
            };
            let right = if env.tip_position().x < 0.0 { 1.0 } else { 0.0 };
            env.step_into(Action::Continuous(&[right, up, 0.0, 0.0, 1.0]), &mut obs)
                .unwrap();
        }
        let mut errors = 0;
        for _ in 0..200 {
            errors = env
                .step_into(Action::Continuous(&[0.0, 0.0, 0.0, 0.0, -1.0]), &mut obs)
                .unwrap()
                .info
                .errors;
        }
        assert_eq!(errors, 1);
        assert_eq!(env.info().units_completed, 0);
    }

    #[test]
    fn yaw_error_is_taken_modulo_a_half_turn() {
        assert!(half_turn_error(std::f32::consts::PI).abs() < 1e-5);
        assert!((half_turn_error(0.05) - 0.05).abs() < 1e-6);
        assert!((half_turn_error(std::f32::consts::PI - 0.05) + 0.05).abs() < 1e-5);
    }
}
