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
//! bricks are removed. Reward: `Δunits − Δerrors + w · shaping` (reach
//! progress, first grasp 0.2, mortar progress 0.5 per brick, releasing a
//! buttered brick near its target 0.3). Terminates when every target is
//! filled or no brick is left; truncated after `episode_seconds`.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapier3d::math::{Pose, Rotation, Vector};
use rapier3d::prelude::*;

use super::{BRICKLAYING_ID, BricklayingConfig};
use crate::physics::{EndEffectorLimits, LabourWorld, SceneShape, ShapeKind};
use crate::physics::{wrap_angle, yaw_of};
use crate::{Action, BoxSpace, Env, EnvError, EnvFault, Info, Result, RgbFrame, Space, Transition};

/// Length of the observation vector.
pub const BRICKLAYING_OBS_DIM: usize = 34;
/// Length of the action vector.
pub const BRICKLAYING_ACTION_DIM: usize = 5;

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
const GRASP_RADIUS: f32 = 0.03;
const REST_SPEED: f32 = 0.02;
const REST_ANGULAR_SPEED: f32 = 0.2;
const FRICTION: f32 = 0.8;
const TIP_START: [f32; 3] = [0.0, 0.4, 0.2];

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

#[derive(Debug, Clone)]
struct Brick {
    body: RigidBodyHandle,
    state: BrickState,
    rotation: Rotation,
    rest_s: f32,
    grasped_before: bool,
}

/// The bricklaying environment (see the module documentation).
pub struct BricklayingEnv {
    cfg: BricklayingConfig,
    observation_space: Space,
    action_space: Space,
    rng: ChaCha8Rng,
    physics: Option<LabourWorld>,
    bricks: Vec<Brick>,
    targets: Vec<Vector>,
    filled: Vec<bool>,
    info: Info,
    episode_over: bool,
    shaping_weight: f64,
    physics_clock: Option<Duration>,
}

impl std::fmt::Debug for BricklayingEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BricklayingEnv")
            .field("cfg", &self.cfg)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl BricklayingEnv {
    /// A bricklaying env with the given parameters (validated).
    pub fn new(cfg: BricklayingConfig) -> Result<Self> {
        cfg.validate()?;
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
        let shaping_weight = cfg.shaping_weight;
        Ok(Self {
            observation_space: Space::Box(BoxSpace::new(low, high)),
            action_space: Space::Box(BoxSpace::new(
                vec![-1.0; BRICKLAYING_ACTION_DIM],
                vec![1.0; BRICKLAYING_ACTION_DIM],
            )),
            filled: vec![false; targets.len()],
            targets,
            cfg,
            rng: ChaCha8Rng::seed_from_u64(0),
            physics: None,
            bricks: Vec::new(),
            info: Info::default(),
            episode_over: true,
            shaping_weight,
            physics_clock: None,
        })
    }

    /// The parameters.
    pub fn config(&self) -> &BricklayingConfig {
        &self.cfg
    }

    /// Sets the weight of the dense shaping reward (anneal it towards 0).
    pub fn set_shaping_weight(&mut self, weight: f64) {
        if weight.is_finite() && weight >= 0.0 {
            self.shaping_weight = weight;
        }
    }

    /// Counters of the current episode.
    pub fn info(&self) -> Info {
        self.info
    }

    /// Every brick of the episode (removed ones included).
    pub fn bricks(&self) -> Vec<BrickState> {
        self.bricks.iter().map(|b| b.state).collect()
    }

    /// Target centres of the wall, course by course, left to right.
    pub fn targets(&self) -> &[Vector] {
        &self.targets
    }

    /// The next target to fill, in laying order.
    pub fn next_target(&self) -> Option<usize> {
        self.filled.iter().position(|f| !f)
    }

    /// Tip position, m.
    pub fn tip_position(&self) -> Vector {
        self.physics
            .as_ref()
            .map_or(Vector::from(TIP_START), |p| p.effector.position)
    }

    /// Tip yaw, rad.
    pub fn tip_yaw(&self) -> f32 {
        self.physics.as_ref().map_or(0.0, |p| p.effector.yaw)
    }

    /// Whether the gripper is closed.
    pub fn gripper_closed(&self) -> bool {
        self.physics.as_ref().is_some_and(|p| p.effector.closed)
    }

    /// Index of the held brick.
    pub fn held_brick(&self) -> Option<usize> {
        self.bricks
            .iter()
            .position(|b| b.state.status == BrickStatus::Held)
    }

    /// Centre of the mortar board zone, m.
    pub fn mortar_center(&self) -> Vector {
        Vector::from(MORTAR_CENTER)
    }

    /// Starts (`true`, from zero) or stops (`false`) timing the rapier
    /// sub-steps inside [`Env::step_into`], for measuring the env's
    /// overhead over its own physics on the same trajectory.
    pub fn set_physics_clock(&mut self, on: bool) {
        self.physics_clock = on.then_some(Duration::ZERO);
    }

    /// Wall time spent in the rapier sub-steps of `step_into` since
    /// [`set_physics_clock(true)`](Self::set_physics_clock); `None` when off.
    pub fn physics_clock(&self) -> Option<Duration> {
        self.physics_clock
    }

    /// Steps only the rapier world for `control_steps` control periods
    /// (the raw physics cost of this scene). Requires a reset first.
    pub fn step_physics_only(&mut self, control_steps: usize) -> Result<()> {
        let physics = self.physics.as_mut().ok_or_else(|| EnvError::NeedsReset {
            env: BRICKLAYING_ID.to_string(),
            when: "before reset",
        })?;
        for _ in 0..control_steps {
            physics.step(None, |_, _, _| {});
        }
        Ok(())
    }

    /// Drawable primitives of the current scene.
    pub fn scene_shapes(&self) -> Vec<SceneShape> {
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
        for (t, filled) in self.targets.iter().zip(&self.filled) {
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
        for b in &self.bricks {
            if b.state.status == BrickStatus::Removed {
                continue;
            }
            let color = if b.state.buttered {
                [0.75, 0.32, 0.22]
            } else {
                [0.62, 0.25, 0.18]
            };
            shapes.push(SceneShape {
                kind: ShapeKind::Cuboid {
                    half: Vector::from(BRICK_HALF),
                },
                pose: Pose::from_parts(b.state.position, b.rotation),
                color,
            });
        }
        if let Some(p) = &self.physics {
            shapes.extend(crate::render::gripper_shapes(
                p.effector.position,
                p.effector.yaw,
                p.effector.closed,
            ));
        }
        shapes
    }

    fn build_world(&mut self) {
        let cfg = &self.cfg;
        let limits = EndEffectorLimits {
            max_speed: cfg.max_speed_m_s,
            max_yaw_rate: cfg.max_yaw_rate_rad_s,
            workspace_min: Vector::new(-1.2, 0.0, -0.5),
            workspace_max: Vector::new(1.2, 0.7, 0.5),
            grasp_radius: GRASP_RADIUS,
        };
        let mut w = LabourWorld::new(
            cfg.control_period_s,
            cfg.physics_substeps,
            Vector::from(TIP_START),
            limits,
        );
        w.add_static_box(
            Vector::new(0.0, -0.05, 0.0),
            Vector::new(3.0, 0.05, 3.0),
            FRICTION,
        );
        w.add_static_box(
            Vector::from(PALLET_CENTER),
            Vector::from(PALLET_HALF),
            FRICTION,
        );
        self.bricks.clear();
        let pallet_top = PALLET_CENTER[1] + PALLET_HALF[1];
        for n in 0..cfg.total_bricks() {
            let (layer, cell) = (n / 9, n % 9);
            let x = PALLET_CENTER[0]
                + ((cell % 3) as f32 - 1.0) * 0.25
                + self.rng.random_range(-0.01..=0.01);
            let z = PALLET_CENTER[2]
                + ((cell / 3) as f32 - 1.0) * 0.13
                + self.rng.random_range(-0.01..=0.01);
            let yaw = self.rng.random_range(-0.14..=0.14);
            let y = pallet_top + BRICK_HALF[1] * (1.0 + 2.0 * layer as f32) + 0.0005;
            let position = Vector::new(x, y, z);
            let rotation = Rotation::from_rotation_y(yaw);
            let (body, _) = w.add_dynamic(
                SharedShape::cuboid(BRICK_HALF[0], BRICK_HALF[1], BRICK_HALF[2]),
                Pose::from_parts(position, rotation),
                BRICK_MASS,
                FRICTION,
                f32::MAX,
            );
            self.bricks.push(Brick {
                body,
                state: BrickState {
                    position,
                    yaw,
                    velocity: Vector::ZERO,
                    status: BrickStatus::Loose,
                    mortar_s: 0.0,
                    buttered: false,
                },
                rotation,
                rest_s: 0.0,
                grasped_before: false,
            });
        }
        self.filled = vec![false; self.targets.len()];
        self.physics = Some(w);
    }

    fn nearest_loose(&self) -> Option<&BrickState> {
        let tip = self.tip_position();
        self.bricks
            .iter()
            .map(|b| &b.state)
            .filter(|s| s.status == BrickStatus::Loose && !self.on_wall(s.position))
            .min_by(|a, b| {
                a.grasp_point()
                    .distance(tip)
                    .total_cmp(&b.grasp_point().distance(tip))
            })
    }

    fn on_wall(&self, p: Vector) -> bool {
        (p.z - WALL_Z).abs() < 0.08 && p.x > WALL_X0 - 0.2
    }

    /// The task phase: 0 reach a brick, 1 butter it, 2 lay it.
    fn phase(&self) -> usize {
        match self.held_brick() {
            Some(i) if self.bricks[i].state.buttered => 2,
            Some(_) => 1,
            None => 0,
        }
    }

    /// The phase and its target point for shaping.
    fn phase_target(&self) -> (usize, Option<Vector>) {
        match self.held_brick() {
            Some(i) => {
                let s = &self.bricks[i].state;
                let offset = self.tip_position() - s.position;
                if s.buttered {
                    (2, self.next_target().map(|t| self.targets[t] + offset))
                } else {
                    (1, Some(Vector::from(MORTAR_CENTER) + offset))
                }
            }
            None => (0, self.nearest_loose().map(|s| s.grasp_point())),
        }
    }

    fn write_obs(&self, obs: &mut [f32]) {
        let Some(p) = &self.physics else {
            obs.fill(0.0);
            return;
        };
        let e = &p.effector;
        let tip = e.position;
        obs.fill(0.0);
        obs[0..3].copy_from_slice(&tip.to_array());
        obs[3] = e.yaw.sin();
        obs[4] = e.yaw.cos();
        obs[5..8].copy_from_slice(&e.velocity.to_array());
        obs[8] = e.yaw_rate;
        obs[9] = f32::from(u8::from(e.closed));
        let rel = |v: Vector| (v - tip).to_array();
        if let Some(i) = self.held_brick() {
            let s = &self.bricks[i].state;
            obs[10] = 1.0;
            obs[11] = if self.cfg.mortar_time_s > 0.0 {
                (s.mortar_s / self.cfg.mortar_time_s).min(1.0)
            } else {
                1.0
            };
            obs[12] = f32::from(u8::from(s.buttered));
            obs[13..16].copy_from_slice(&rel(s.position));
            obs[16] = (2.0 * s.yaw).sin();
            obs[17] = (2.0 * s.yaw).cos();
        }
        if let Some(s) = self.nearest_loose() {
            obs[18..21].copy_from_slice(&rel(s.grasp_point()));
            obs[21] = (2.0 * s.yaw).sin();
            obs[22] = (2.0 * s.yaw).cos();
        }
        if let Some(t) = self.next_target() {
            obs[23..26].copy_from_slice(&rel(self.targets[t]));
        }
        obs[26..29].copy_from_slice(&rel(Vector::from(MORTAR_CENTER)));
        obs[29 + self.phase()] = 1.0;
        obs[32] =
            self.filled.iter().filter(|f| **f).count() as f32 / self.filled.len().max(1) as f32;
        obs[33] = (self.info.sim_seconds / f64::from(self.cfg.episode_seconds)).min(1.0) as f32;
        let Space::Box(b) = &self.observation_space else {
            unreachable!("the bricklaying observation space is a box")
        };
        for (v, (lo, hi)) in obs.iter_mut().zip(b.low.iter().zip(&b.high)) {
            *v = if v.is_finite() {
                v.clamp(*lo, *hi)
            } else {
                0.0
            };
        }
    }

    fn check_obs_len(&self, obs: &[f32]) -> Result<()> {
        if obs.len() != BRICKLAYING_OBS_DIM {
            return Err(EnvError::ObservationBuffer {
                env: BRICKLAYING_ID.to_string(),
                expected: BRICKLAYING_OBS_DIM,
                got: obs.len(),
            });
        }
        Ok(())
    }

    fn sync_states(&mut self) {
        let Some(p) = &self.physics else { return };
        for b in &mut self.bricks {
            if b.state.status == BrickStatus::Removed {
                continue;
            }
            if let Some(body) = p.world.bodies.get(b.body) {
                b.state.position = body.translation();
                b.rotation = *body.rotation();
                b.state.yaw = yaw_of(&b.rotation);
                b.state.velocity = body.linvel();
            }
        }
    }

    /// The free target `p`/`yaw` is within tolerance of.
    fn matching_target(&self, p: Vector, yaw: f32) -> Option<usize> {
        if half_turn_error(yaw).abs() > self.cfg.yaw_tolerance_deg.to_radians() {
            return None;
        }
        let tol = self.cfg.position_tolerance_m;
        (0..self.targets.len())
            .find(|&t| !self.filled[t] && self.targets[t].distance_squared(p) <= tol * tol)
    }
}

/// Yaw error to the wall's direction, modulo a half turn, in (−π/2, π/2].
pub(crate) fn half_turn_error(yaw: f32) -> f32 {
    wrap_angle(2.0 * yaw) / 2.0
}

impl Env for BricklayingEnv {
    fn id(&self) -> &str {
        BRICKLAYING_ID
    }

    fn observation_space(&self) -> &Space {
        &self.observation_space
    }

    fn action_space(&self) -> &Space {
        &self.action_space
    }

    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
        self.check_obs_len(obs)?;
        if let Some(s) = seed {
            self.rng = ChaCha8Rng::seed_from_u64(s);
        }
        self.info = Info::default();
        self.episode_over = false;
        self.build_world();
        self.sync_states();
        self.write_obs(obs);
        Ok(self.info)
    }

    fn step_into(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
        self.check_obs_len(obs)?;
        let a = match action {
            Action::Continuous(a)
                if a.len() == BRICKLAYING_ACTION_DIM && a.iter().all(|v| v.is_finite()) =>
            {
                a
            }
            other => {
                return Err(EnvError::InvalidAction {
                    env: BRICKLAYING_ID.to_string(),
                    expected: "Box([-1, 1]^5) of finite values".to_string(),
                    got: format!("{other:?}"),
                });
            }
        };
        if self.episode_over || self.physics.is_none() {
            return Err(EnvError::NeedsReset {
                env: BRICKLAYING_ID.to_string(),
                when: if self.physics.is_none() {
                    "before reset"
                } else {
                    "after the episode ended"
                },
            });
        }
        let before = self.info;
        let (phase_before, target_before) = self.phase_target();
        let dist_before = target_before.map(|t| t.distance(self.tip_position()));
        let mortar_before: f32 = self
            .bricks
            .iter()
            .map(|b| b.state.mortar_s.min(self.cfg.mortar_time_s))
            .sum();
        let mut shaping = 0.0_f64;

        let want_closed = a[4].is_finite() && a[4] > 0.0;
        let physics = self.physics.as_mut().expect("checked above");
        physics.effector.command(a[0], a[1], a[2], a[3]);
        if want_closed && !physics.effector.closed {
            physics.effector.closed = true;
            let tip = physics.effector.position;
            let candidate = self
                .bricks
                .iter()
                .enumerate()
                .filter(|(_, b)| b.state.status == BrickStatus::Loose)
                .map(|(i, b)| (i, b.state.grasp_point().distance(tip)))
                .filter(|(_, d)| *d <= GRASP_RADIUS)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((i, _)) = candidate {
                let b = &mut self.bricks[i];
                physics.effector.attach(
                    &mut physics.world.bodies,
                    &mut physics.world.impulse_joints,
                    b.body,
                );
                b.state.status = BrickStatus::Held;
                b.rest_s = 0.0;
                self.info.attempts += 1;
                if !b.grasped_before {
                    shaping += 0.2;
                }
                b.grasped_before = true;
            }
        } else if !want_closed && physics.effector.closed {
            physics.effector.closed = false;
            let released = physics
                .effector
                .release(&mut physics.world.bodies, &mut physics.world.impulse_joints);
            if let Some(i) =
                released.and_then(|body| self.bricks.iter().position(|b| b.body == body))
            {
                self.bricks[i].state.status = BrickStatus::Loose;
                self.bricks[i].rest_s = 0.0;
                let s = self.bricks[i].state;
                if s.buttered
                    && self
                        .next_target()
                        .is_some_and(|t| self.targets[t].distance(s.position) < 0.03)
                {
                    shaping += 0.3;
                }
            }
        }

        let physics = self.physics.as_mut().expect("checked above");
        physics.step(self.physics_clock.as_mut(), |_, _, _| {});
        let dt = self.cfg.control_period_s;
        self.info.sim_seconds += f64::from(dt);
        if !physics.is_finite() {
            self.episode_over = true;
            self.info.fault = Some(EnvFault::NonFiniteState);
            obs.fill(0.0);
            return Ok(Transition {
                reward: 0.0,
                terminated: false,
                truncated: true,
                info: self.info,
            });
        }
        self.sync_states();

        let mortar = Vector::from(MORTAR_CENTER);
        let tol = self.cfg.position_tolerance_m;
        let yaw_tol = self.cfg.yaw_tolerance_deg.to_radians();
        for i in 0..self.bricks.len() {
            let s = self.bricks[i].state;
            let mut remove = false;
            match s.status {
                BrickStatus::Removed => continue,
                BrickStatus::Held => {
                    let off = (s.position - mortar).abs();
                    let b = &mut self.bricks[i];
                    if off.max_element() <= MORTAR_HALF && !b.state.buttered {
                        b.state.mortar_s += dt;
                        if b.state.mortar_s >= self.cfg.mortar_time_s {
                            b.state.buttered = true;
                        }
                    }
                }
                BrickStatus::Laid(t) => {
                    let moved = self.targets[t].distance(s.position) > 2.0 * tol
                        || half_turn_error(s.yaw).abs() > 2.0 * yaw_tol;
                    if moved {
                        self.filled[t] = false;
                        remove = true;
                    }
                }
                BrickStatus::Loose => {
                    if s.position.y < -0.3 {
                        remove = true;
                    } else {
                        let at_rest = self
                            .physics
                            .as_ref()
                            .and_then(|p| p.world.bodies.get(self.bricks[i].body))
                            .is_some_and(|b| {
                                b.is_sleeping()
                                    || (b.linvel().length() < REST_SPEED
                                        && b.angvel().length() < REST_ANGULAR_SPEED)
                            });
                        let b = &mut self.bricks[i];
                        b.rest_s = if at_rest { b.rest_s + dt } else { 0.0 };
                        if b.rest_s >= self.cfg.settle_time_s {
                            let on_pallet = (s.position.x - PALLET_CENTER[0]).abs()
                                <= PALLET_HALF[0]
                                && (s.position.z - PALLET_CENTER[2]).abs() <= PALLET_HALF[2]
                                && s.position.y > PALLET_CENTER[1] + PALLET_HALF[1];
                            // Unbuttered bricks may only rest on the pallet;
                            // buttered ones only on a free target.
                            let target = if s.buttered {
                                self.matching_target(s.position, s.yaw)
                            } else {
                                None
                            };
                            match target {
                                Some(t) => {
                                    self.filled[t] = true;
                                    self.bricks[i].state.status = BrickStatus::Laid(t);
                                    self.info.units_completed += 1;
                                }
                                None if on_pallet && !s.buttered => {}
                                None => remove = true,
                            }
                        }
                    }
                }
            }
            if remove {
                let body = self.bricks[i].body;
                if let Some(p) = self.physics.as_mut() {
                    p.remove_body(body);
                }
                self.bricks[i].state.status = BrickStatus::Removed;
                self.info.errors += 1;
            }
        }

        let (phase_after, _) = self.phase_target();
        if let (true, Some(t), Some(d0)) = (phase_after == phase_before, target_before, dist_before)
        {
            shaping += f64::from(d0 - t.distance(self.tip_position()));
        }
        let mortar_after: f32 = self
            .bricks
            .iter()
            .map(|b| b.state.mortar_s.min(self.cfg.mortar_time_s))
            .sum();
        if self.cfg.mortar_time_s > 0.0 {
            shaping += 0.5 * f64::from((mortar_after - mortar_before) / self.cfg.mortar_time_s);
        }

        let units = f64::from(self.info.units_completed - before.units_completed);
        let errors = f64::from(self.info.errors - before.errors);
        let reward = units - errors + self.shaping_weight * shaping;
        let any_left = self
            .bricks
            .iter()
            .any(|b| matches!(b.state.status, BrickStatus::Loose | BrickStatus::Held));
        let terminated = self.filled.iter().all(|f| *f) || !any_left;
        let truncated =
            !terminated && self.info.sim_seconds + 1e-9 >= f64::from(self.cfg.episode_seconds);
        self.episode_over = terminated || truncated;
        self.write_obs(obs);
        Ok(Transition {
            reward,
            terminated,
            truncated,
            info: self.info,
        })
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
    fn as_labour_task(&self) -> Option<&dyn crate::LabourTask> {
        Some(self)
    }

    fn render(&mut self) -> Option<RgbFrame> {
        Some(crate::render::render_scene(
            &self.scene_shapes(),
            &crate::render::Camera::site(),
            256,
            256,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BricklayingExpert;

    fn expert_rollouts(skill: f32, episodes: u64) -> Vec<Info> {
        let mut env = BricklayingEnv::new(BricklayingConfig::default()).unwrap();
        let mut expert = BricklayingExpert::new(skill, 1);
        let mut obs = vec![0.0; BRICKLAYING_OBS_DIM];
        (0..episodes)
            .map(|ep| {
                env.reset_into(Some(ep), &mut obs).unwrap();
                expert.reset();
                loop {
                    let a = expert.act(&env);
                    let t = env.step_into(Action::Continuous(&a), &mut obs).unwrap();
                    if t.terminated || t.truncated {
                        return t.info;
                    }
                }
            })
            .collect()
    }

    fn rate(infos: &[Info]) -> f64 {
        let units: u32 = infos.iter().map(|i| i.units_completed).sum();
        let hours: f64 = infos.iter().map(|i| i.sim_hours()).sum();
        f64::from(units) / hours
    }

    #[test]
    fn expert_at_full_skill_lays_the_wall_at_about_the_human_rate() {
        // MP_h = 60 bricks/h in configs/bricklaying.yaml.
        let infos = expert_rollouts(1.0, 1);
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
        let half = rate(&expert_rollouts(0.5, 1));
        let full = rate(&expert_rollouts(1.0, 1));
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

impl crate::LabourTask for BricklayingEnv {
    fn tip_position(&self) -> Vector {
        BricklayingEnv::tip_position(self)
    }
    fn tip_yaw(&self) -> f32 {
        BricklayingEnv::tip_yaw(self)
    }
    fn gripper_closed(&self) -> bool {
        BricklayingEnv::gripper_closed(self)
    }
    fn held_object(&self) -> Option<usize> {
        self.held_brick()
    }
    fn scene_shapes(&self) -> Vec<SceneShape> {
        BricklayingEnv::scene_shapes(self)
    }
    fn episode_seconds(&self) -> f64 {
        f64::from(self.config().episode_seconds)
    }
    fn counters(&self) -> Info {
        self.info()
    }
    fn control_period_s(&self) -> f64 {
        f64::from(self.config().control_period_s)
    }
    fn set_physics_clock(&mut self, on: bool) {
        BricklayingEnv::set_physics_clock(self, on);
    }
    fn physics_clock(&self) -> Option<Duration> {
        BricklayingEnv::physics_clock(self)
    }
    fn step_physics_only(&mut self, control_steps: usize) -> Result<()> {
        BricklayingEnv::step_physics_only(self, control_steps)
    }
}
