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

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapier3d::math::{Pose, Rotation, Vector};
use rapier3d::prelude::*;

use super::{DISHWASHING_ID, DishKind, DishwashingConfig};
use crate::physics::{EndEffectorLimits, LabourWorld, SceneShape, ShapeKind};
use crate::{Action, BoxSpace, Env, EnvError, EnvFault, Info, Result, RgbFrame, Space, Transition};

/// Length of the observation vector.
pub const DISHWASHING_OBS_DIM: usize = 30;
/// Length of the action vector.
pub const DISHWASHING_ACTION_DIM: usize = 5;

const CELL: f32 = 0.28;
const SINK_CENTER: [f32; 2] = [-0.63, 0.0];
const RACK_CENTER: [f32; 2] = [0.67, 0.0];
const BASIN_HALF: [f32; 2] = [0.42, 0.28];
const SINK_WALL_HEIGHT: f32 = 0.12;
const RACK_BASE_TOP: f32 = 0.02;
const DIVIDER_HEIGHT: f32 = 0.03;
const WASH_CENTER: [f32; 3] = [0.0, 0.30, 0.0];
const WASH_HALF: f32 = 0.12;
const GRASP_RADIUS: f32 = 0.03;
const REST_SPEED: f32 = 0.03;
const REST_ANGULAR_SPEED: f32 = 0.3;
const FRICTION: f32 = 0.7;
const TIP_START: [f32; 3] = [0.0, 0.35, 0.25];

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

#[derive(Debug, Clone)]
struct Dish {
    kind: DishKind,
    body: RigidBodyHandle,
    collider: ColliderHandle,
    status: DishStatus,
    washed_s: f32,
    clean: bool,
    rest_s: f32,
    grasped_before: bool,
    last_position: Vector,
    last_rotation: Rotation,
    last_velocity: Vector,
}

/// The dishwashing environment (see the module documentation).
pub struct DishwashingEnv {
    cfg: DishwashingConfig,
    observation_space: Space,
    action_space: Space,
    rng: ChaCha8Rng,
    physics: Option<LabourWorld>,
    dishes: Vec<Dish>,
    slots: Vec<bool>,
    info: Info,
    episode_over: bool,
    shaping_weight: f64,
    last_peak_force: f32,
    /// Scratch: largest contact force on each dish during one step.
    peak: Vec<f32>,
    physics_clock: Option<Duration>,
}

impl std::fmt::Debug for DishwashingEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DishwashingEnv")
            .field("cfg", &self.cfg)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl DishwashingEnv {
    /// A dishwashing env with the given parameters (validated).
    pub fn new(cfg: DishwashingConfig) -> Result<Self> {
        cfg.validate()?;
        let mut low = vec![-5.0_f32; DISHWASHING_OBS_DIM];
        let mut high = vec![5.0_f32; DISHWASHING_OBS_DIM];
        for i in (3..5).chain(9..16).chain(25..30) {
            low[i] = if i < 5 { -1.0 } else { 0.0 };
            high[i] = 1.0;
        }
        let shaping_weight = cfg.shaping_weight;
        Ok(Self {
            observation_space: Space::Box(BoxSpace::new(low, high)),
            action_space: Space::Box(BoxSpace::new(
                vec![-1.0; DISHWASHING_ACTION_DIM],
                vec![1.0; DISHWASHING_ACTION_DIM],
            )),
            cfg,
            rng: ChaCha8Rng::seed_from_u64(0),
            physics: None,
            dishes: Vec::new(),
            slots: Vec::new(),
            info: Info::default(),
            episode_over: true,
            shaping_weight,
            last_peak_force: 0.0,
            peak: Vec::new(),
            physics_clock: None,
        })
    }

    /// The parameters.
    pub fn config(&self) -> &DishwashingConfig {
        &self.cfg
    }

    /// Sets the weight of the dense shaping reward (anneal it towards 0).
    pub fn set_shaping_weight(&mut self, weight: f64) {
        if weight.is_finite() && weight >= 0.0 {
            self.shaping_weight = weight;
        }
    }

    /// Current weight of the shaping reward.
    pub fn shaping_weight(&self) -> f64 {
        self.shaping_weight
    }

    /// Counters of the current episode.
    pub fn info(&self) -> Info {
        self.info
    }

    /// Every dish of the episode, in reset order (removed ones included).
    pub fn dishes(&self) -> Vec<DishState> {
        self.dishes
            .iter()
            .map(|d| DishState {
                kind: d.kind,
                position: d.last_position,
                velocity: d.last_velocity,
                status: d.status,
                washed_s: d.washed_s,
                clean: d.clean,
            })
            .collect()
    }

    /// Tip position, m (the start position before the first reset).
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

    /// Index of the held dish.
    pub fn held_dish(&self) -> Option<usize> {
        self.dishes
            .iter()
            .position(|d| d.status == DishStatus::Held)
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
        let (x, z) = cell_center(RACK_CENTER, i);
        Vector::new(x, RACK_BASE_TOP, z)
    }

    /// The first free rack slot.
    pub fn free_slot(&self) -> Option<usize> {
        self.slots.iter().position(|taken| !taken)
    }

    /// Largest contact force (N) seen on any dish in the last step, among
    /// those above the thresholds (0 if none).
    pub fn last_peak_force(&self) -> f32 {
        self.last_peak_force
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

    /// Steps only the rapier world for `control_steps` control periods with
    /// the robot holding still: the raw physics cost of this scene, for the
    /// overhead benchmark. Requires a reset first.
    pub fn step_physics_only(&mut self, control_steps: usize) -> Result<()> {
        let physics = self.physics.as_mut().ok_or_else(|| EnvError::NeedsReset {
            env: DISHWASHING_ID.to_string(),
            when: "before reset",
        })?;
        for _ in 0..control_steps {
            physics.step(None, |_, _, _| {});
        }
        Ok(())
    }

    /// Drawable primitives of the current scene, for the renderer.
    pub fn scene_shapes(&self) -> Vec<SceneShape> {
        let mut shapes = static_shapes();
        for d in &self.dishes {
            if d.status.is_removed() {
                continue;
            }
            let base = d.kind.color();
            let color = if d.clean {
                [0.95, 0.95, 0.97]
            } else {
                let t = (d.washed_s / self.cfg.wash_time_s.max(1e-3)).clamp(0.0, 1.0);
                [
                    base[0] + (0.95 - base[0]) * t,
                    base[1] + (0.95 - base[1]) * t,
                    base[2] + (0.97 - base[2]) * t,
                ]
            };
            shapes.push(SceneShape {
                kind: ShapeKind::Cylinder {
                    radius: d.kind.radius(),
                    half_height: d.kind.half_height(),
                },
                pose: Pose::from_parts(d.last_position, d.last_rotation),
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
            workspace_min: Vector::new(-1.1, 0.0, -0.45),
            workspace_max: Vector::new(1.15, 0.6, 0.45),
            grasp_radius: GRASP_RADIUS,
        };
        let mut w = LabourWorld::new(
            cfg.control_period_s,
            cfg.physics_substeps,
            Vector::from(TIP_START),
            limits,
        );
        for (center, half) in static_boxes() {
            w.add_static_box(center, half, FRICTION);
        }
        // Dishes: one per sink cell, cells shuffled, kinds drawn per dish.
        let mut cells: Vec<usize> = (0..6).collect();
        for i in (1..cells.len()).rev() {
            let j = self.rng.random_range(0..=i);
            cells.swap(i, j);
        }
        self.dishes.clear();
        for &cell in cells.iter().take(cfg.num_dishes) {
            let kind = DishKind::ALL[self.rng.random_range(0..3)];
            let (cx, cz) = cell_center(SINK_CENTER, cell);
            let slack = (CELL * 0.5 - kind.radius() - 0.012).max(0.0);
            let x = cx + self.rng.random_range(-slack..=slack);
            let z = cz + self.rng.random_range(-slack..=slack);
            let yaw = self
                .rng
                .random_range(-std::f32::consts::PI..std::f32::consts::PI);
            let position = Vector::new(x, kind.half_height() + 0.001, z);
            let rotation = Rotation::from_rotation_y(yaw);
            let (body, collider) = w.add_dynamic(
                SharedShape::cylinder(kind.half_height(), kind.radius()),
                Pose::from_parts(position, rotation),
                kind.mass(),
                FRICTION,
                kind.break_force(&cfg.break_force_n),
            );
            self.dishes.push(Dish {
                kind,
                body,
                collider,
                status: DishStatus::Loose,
                washed_s: 0.0,
                clean: false,
                rest_s: 0.0,
                grasped_before: false,
                last_position: position,
                last_rotation: rotation,
                last_velocity: Vector::ZERO,
            });
        }
        self.slots = vec![false; 6];
        self.physics = Some(w);
    }

    /// The phase and its target point for shaping.
    fn phase_target(&self) -> (usize, Option<Vector>) {
        match self.held_dish() {
            Some(i) if self.dishes[i].clean => (
                2,
                self.free_slot().map(|s| {
                    self.slot_center(s)
                        + Vector::new(0.0, 2.0 * self.dishes[i].kind.half_height() + 0.01, 0.0)
                }),
            ),
            Some(i) => {
                let d = &self.dishes[i];
                let offset = self.tip_position() - d.last_position;
                (1, Some(Vector::from(WASH_CENTER) + offset))
            }
            None => (0, self.nearest_dirty()),
        }
    }

    fn nearest_dirty(&self) -> Option<Vector> {
        let tip = self.tip_position();
        self.dishes
            .iter()
            .filter(|d| d.status == DishStatus::Loose && !d.clean)
            .map(|d| d.last_position + Vector::new(0.0, d.kind.half_height(), 0.0))
            .min_by(|a, b| a.distance(tip).total_cmp(&b.distance(tip)))
    }

    fn write_obs(&self, obs: &mut [f32]) {
        let Some(p) = &self.physics else {
            obs.fill(0.0);
            return;
        };
        let e = &p.effector;
        let tip = e.position;
        obs[0..3].copy_from_slice(&tip.to_array());
        obs[3] = e.yaw.sin();
        obs[4] = e.yaw.cos();
        obs[5..8].copy_from_slice(&e.velocity.to_array());
        obs[8] = e.yaw_rate;
        obs[9] = f32::from(u8::from(e.closed));
        obs[10..16].fill(0.0);
        if let Some(i) = self.held_dish() {
            let d = &self.dishes[i];
            obs[10] = 1.0;
            obs[11] = if self.cfg.wash_time_s > 0.0 {
                (d.washed_s / self.cfg.wash_time_s).min(1.0)
            } else {
                1.0
            };
            obs[12] = f32::from(u8::from(d.clean));
            obs[13 + d.kind.index()] = 1.0;
        }
        let rel = |v: Option<Vector>| v.map_or([0.0; 3], |v| (v - tip).to_array());
        obs[16..19].copy_from_slice(&rel(self.nearest_dirty()));
        obs[19..22].copy_from_slice(&rel(self
            .free_slot()
            .map(|s| self.slot_center(s) + Vector::new(0.0, 0.12, 0.0))));
        obs[22..25].copy_from_slice(&rel(Some(Vector::from(WASH_CENTER))));
        let phase = match self.held_dish() {
            Some(i) if self.dishes[i].clean => 2,
            Some(_) => 1,
            None => 0,
        };
        obs[25..28].fill(0.0);
        obs[25 + phase] = 1.0;
        let todo = self
            .dishes
            .iter()
            .filter(|d| matches!(d.status, DishStatus::Loose | DishStatus::Held))
            .count();
        obs[28] = todo as f32 / self.dishes.len().max(1) as f32;
        obs[29] = (self.info.sim_seconds / f64::from(self.cfg.episode_seconds)).min(1.0) as f32;
        for (v, (lo, hi)) in obs.iter_mut().zip(self.bounds()) {
            *v = if v.is_finite() { v.clamp(lo, hi) } else { 0.0 };
        }
    }

    fn bounds(&self) -> impl Iterator<Item = (f32, f32)> + '_ {
        let Space::Box(b) = &self.observation_space else {
            unreachable!("the dishwashing observation space is a box")
        };
        b.low.iter().copied().zip(b.high.iter().copied())
    }

    fn check_obs_len(&self, obs: &[f32]) -> Result<()> {
        if obs.len() != DISHWASHING_OBS_DIM {
            return Err(EnvError::ObservationBuffer {
                env: DISHWASHING_ID.to_string(),
                expected: DISHWASHING_OBS_DIM,
                got: obs.len(),
            });
        }
        Ok(())
    }

    fn sync_dish_states(&mut self) {
        let Some(p) = &self.physics else { return };
        for d in &mut self.dishes {
            if d.status.is_removed() {
                continue;
            }
            if let Some(b) = p.world.bodies.get(d.body) {
                d.last_position = b.translation();
                d.last_rotation = *b.rotation();
                d.last_velocity = b.linvel();
            }
        }
    }
}

impl Env for DishwashingEnv {
    fn id(&self) -> &str {
        DISHWASHING_ID
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
        self.last_peak_force = 0.0;
        self.build_world();
        self.sync_dish_states();
        self.write_obs(obs);
        Ok(self.info)
    }

    fn step_into(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
        self.check_obs_len(obs)?;
        let a = match action {
            Action::Continuous(a)
                if a.len() == DISHWASHING_ACTION_DIM && a.iter().all(|v| v.is_finite()) =>
            {
                a
            }
            other => {
                return Err(EnvError::InvalidAction {
                    env: DISHWASHING_ID.to_string(),
                    expected: "Box([-1, 1]^5) of finite values".to_string(),
                    got: format!("{other:?}"),
                });
            }
        };
        if self.episode_over || self.physics.is_none() {
            return Err(EnvError::NeedsReset {
                env: DISHWASHING_ID.to_string(),
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
        let washed_before: f32 = self
            .dishes
            .iter()
            .map(|d| d.washed_s.min(self.cfg.wash_time_s))
            .sum();
        let mut shaping = 0.0_f64;

        // Gripper: closing near a dish grasps it, opening releases. The arm
        // holds still for the control period in which the fingers close
        // (a real arm does not move while its gripper actuates): a fixed
        // joint made to a moving tip would yank the dish into the sink.
        let want_closed = a[4].is_finite() && a[4] > 0.0;
        let physics = self.physics.as_mut().expect("checked above");
        let closing = want_closed && !physics.effector.closed;
        if closing {
            physics.effector.command(0.0, 0.0, 0.0, 0.0);
        } else {
            physics.effector.command(a[0], a[1], a[2], a[3]);
        }
        if closing {
            physics.effector.closed = true;
            let tip = physics.effector.position;
            let candidate = self
                .dishes
                .iter()
                .enumerate()
                .filter(|(_, d)| d.status == DishStatus::Loose)
                .map(|(i, d)| {
                    let grasp = d.last_position + Vector::new(0.0, d.kind.half_height(), 0.0);
                    (i, grasp.distance(tip))
                })
                .filter(|(_, dist)| *dist <= GRASP_RADIUS)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((i, _)) = candidate {
                let d = &mut self.dishes[i];
                physics.effector.attach(
                    &mut physics.world.bodies,
                    &mut physics.world.impulse_joints,
                    d.body,
                );
                d.status = DishStatus::Held;
                d.rest_s = 0.0;
                self.info.attempts += 1;
                if !d.grasped_before && !d.clean {
                    shaping += 0.2;
                }
                d.grasped_before = true;
            }
        } else if !want_closed && physics.effector.closed {
            physics.effector.closed = false;
            let released = physics
                .effector
                .release(&mut physics.world.bodies, &mut physics.world.impulse_joints);
            if let Some(d) =
                released.and_then(|body| self.dishes.iter_mut().find(|d| d.body == body))
            {
                d.status = DishStatus::Loose;
                d.rest_s = 0.0;
                let over_free_slot = slot_at(d.last_position).is_some_and(|s| !self.slots[s]);
                if d.clean && over_free_slot {
                    shaping += 0.3;
                }
            }
        }

        // Physics, collecting the largest force on each dish.
        let mut peak = std::mem::take(&mut self.peak);
        peak.clear();
        peak.resize(self.dishes.len(), 0.0);
        {
            let dishes = &self.dishes;
            physics.step(self.physics_clock.as_mut(), |c1, c2, force| {
                for (i, d) in dishes.iter().enumerate() {
                    if d.collider == c1 || d.collider == c2 {
                        peak[i] = peak[i].max(force);
                    }
                }
            });
        }
        let dt = self.cfg.control_period_s;
        self.info.sim_seconds += f64::from(dt);
        self.last_peak_force = peak.iter().copied().fold(0.0, f32::max);

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
        self.sync_dish_states();

        // Breakage, wash, rest and placement.
        let physics = self.physics.as_mut().expect("checked above");
        let wash_center = Vector::from(WASH_CENTER);
        for (i, d) in self.dishes.iter_mut().enumerate() {
            if d.status.is_removed() {
                continue;
            }
            if peak[i] > d.kind.break_force(&self.cfg.break_force_n) {
                if d.status == DishStatus::Held {
                    physics
                        .effector
                        .release(&mut physics.world.bodies, &mut physics.world.impulse_joints);
                }
                if let DishStatus::Racked(s) = d.status {
                    self.slots[s] = false;
                }
                physics.remove_body(d.body);
                d.status = DishStatus::Broken;
                self.info.errors += 1;
                continue;
            }
            match d.status {
                DishStatus::Held => {
                    let off = (d.last_position - wash_center).abs();
                    if off.max_element() <= WASH_HALF && !d.clean {
                        d.washed_s += dt;
                        if d.washed_s >= self.cfg.wash_time_s {
                            d.clean = true;
                        }
                    }
                }
                DishStatus::Loose => {
                    if d.last_position.y < -0.3 {
                        physics.remove_body(d.body);
                        d.status = DishStatus::Misplaced;
                        self.info.errors += 1;
                        continue;
                    }
                    let at_rest = physics.world.bodies.get(d.body).is_some_and(|b| {
                        b.is_sleeping()
                            || (b.linvel().length() < REST_SPEED
                                && b.angvel().length() < REST_ANGULAR_SPEED)
                    });
                    d.rest_s = if at_rest { d.rest_s + dt } else { 0.0 };
                    if d.rest_s < self.cfg.settle_time_s {
                        continue;
                    }
                    if in_basin(SINK_CENTER, d.last_position)
                        && d.last_position.y < SINK_WALL_HEIGHT
                    {
                        continue; // back in the sink: fine, not yet done
                    }
                    let bottom = d.last_position.y - d.kind.half_height();
                    let slot =
                        slot_at(d.last_position).filter(|_| (bottom - RACK_BASE_TOP).abs() < 0.01);
                    match slot {
                        Some(s) if d.clean && !self.slots[s] => {
                            self.slots[s] = true;
                            d.status = DishStatus::Racked(s);
                            self.info.units_completed += 1;
                        }
                        _ => {
                            physics.remove_body(d.body);
                            d.status = DishStatus::Misplaced;
                            self.info.errors += 1;
                        }
                    }
                }
                DishStatus::Racked(_) | DishStatus::Broken | DishStatus::Misplaced => {}
            }
        }

        self.peak = peak;

        // Shaping: reach progress (same target before and after), wash progress.
        let (phase_after, _) = self.phase_target();
        if let (true, Some(t), Some(d0)) = (phase_after == phase_before, target_before, dist_before)
        {
            shaping += f64::from(d0 - t.distance(self.tip_position()));
        }
        let washed_after: f32 = self
            .dishes
            .iter()
            .map(|d| d.washed_s.min(self.cfg.wash_time_s))
            .sum();
        if self.cfg.wash_time_s > 0.0 {
            shaping += 0.5 * f64::from((washed_after - washed_before) / self.cfg.wash_time_s);
        }

        let units = f64::from(self.info.units_completed - before.units_completed);
        let errors = f64::from(self.info.errors - before.errors);
        let reward = units - errors + self.shaping_weight * shaping;
        let terminated = self
            .dishes
            .iter()
            .all(|d| matches!(d.status, DishStatus::Racked(_)) || d.status.is_removed());
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
            &crate::render::Camera::kitchen(),
            256,
            256,
        ))
    }
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
            let waypoint =
                crate::dishwashing::dishwashing_expert::route(tip, goal, 0.2 + hh + offset.y);
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

    fn expert_rollouts(skill: f32, episodes: u64) -> Vec<Info> {
        let mut env = DishwashingEnv::new(DishwashingConfig::default()).unwrap();
        let mut expert = DishwashingExpert::new(skill, 1);
        let mut obs = vec![0.0; DISHWASHING_OBS_DIM];
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

    #[test]
    fn expert_at_full_skill_clears_the_sink_at_about_the_human_rate() {
        // MP_h = 60 dishes/h in configs/dishwashing.yaml.
        for info in expert_rollouts(1.0, 2) {
            let mp_r = f64::from(info.units_completed) / info.sim_hours();
            assert_eq!(info.units_completed, 6, "{info:?}");
            assert_eq!(info.errors, 0, "{info:?}");
            assert!((48.0..=90.0).contains(&mp_r), "MP_r {mp_r}");
        }
    }

    #[test]
    fn half_skill_is_slower_than_full_skill_but_still_racks_dishes() {
        let rate = |infos: Vec<Info>| {
            let units: u32 = infos.iter().map(|i| i.units_completed).sum();
            let hours: f64 = infos.iter().map(|i| i.sim_hours()).sum();
            f64::from(units) / hours
        };
        let half = rate(expert_rollouts(0.5, 2));
        let full = rate(expert_rollouts(1.0, 2));
        assert!(half > 0.0 && half < 0.9 * full, "half {half}, full {full}");
    }
}

impl crate::LabourTask for DishwashingEnv {
    fn tip_position(&self) -> Vector {
        DishwashingEnv::tip_position(self)
    }
    fn tip_yaw(&self) -> f32 {
        DishwashingEnv::tip_yaw(self)
    }
    fn gripper_closed(&self) -> bool {
        DishwashingEnv::gripper_closed(self)
    }
    fn held_object(&self) -> Option<usize> {
        self.held_dish()
    }
    fn scene_shapes(&self) -> Vec<SceneShape> {
        DishwashingEnv::scene_shapes(self)
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
        DishwashingEnv::set_physics_clock(self, on);
    }
    fn physics_clock(&self) -> Option<Duration> {
        DishwashingEnv::physics_clock(self)
    }
    fn step_physics_only(&mut self, control_steps: usize) -> Result<()> {
        DishwashingEnv::step_physics_only(self, control_steps)
    }
}
