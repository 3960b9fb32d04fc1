//! A pick-and-place labour env: the shared core driven by one task's
//! rules. The control step is written here once for every task:
//!
//! validate the action → command the end effector (held still in the
//! period the gripper closes) → grasp or release → physics sub-steps with
//! the contact-force drain → fault check → the task's rules (breakage,
//! processing, rest and placement) → counters → reward → termination and
//! truncation → observation.

use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rapier3d::math::Vector;

use super::pick_place_core::PROCESS_BONUS;
use super::{ObjectStatus, PickPlaceCore, PickPlaceTask, RemovalCause, RestVerdict};
use crate::physics::EndEffectorLimits;
use crate::{
    Action, Env, EnvError, EnvFault, GRIP_ACTION, Info, LABOUR_ACTION_DIM, LabourTask, Result,
    RgbFrame, SceneShape, Space, Transition,
};

/// A labour env: the task `T` on the shared pick-and-place core.
pub struct PickPlaceEnv<T> {
    pub(crate) task: T,
    pub(crate) core: PickPlaceCore,
}

impl<T: PickPlaceTask> std::fmt::Debug for PickPlaceEnv<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PickPlaceEnv")
            .field("task", &self.task)
            .field("info", &self.core.info)
            .finish_non_exhaustive()
    }
}

impl<T: PickPlaceTask> PickPlaceEnv<T> {
    /// The task's env id.
    pub const ID: &'static str = T::ID;

    /// The env of `task`, before its first reset.
    pub(crate) fn from_task(task: T) -> Self {
        let core = PickPlaceCore::new(
            task.params(),
            task.observation_bounds(),
            Vector::from(T::TIP_START),
        );
        Self { task, core }
    }

    /// The shared core: objects, targets, counters.
    pub fn core(&self) -> &PickPlaceCore {
        &self.core
    }

    /// Sets the weight of the dense shaping reward (anneal it towards 0);
    /// a negative or non-finite weight is ignored.
    pub fn set_shaping_weight(&mut self, weight: f64) {
        if weight.is_finite() && weight >= 0.0 {
            self.core.shaping_weight = weight;
        }
    }

    /// Current weight of the shaping reward.
    pub fn shaping_weight(&self) -> f64 {
        self.core.shaping_weight
    }

    /// Counters of the current episode.
    pub fn info(&self) -> Info {
        self.core.info
    }

    /// Tip position, m (the start position before the first reset).
    pub fn tip_position(&self) -> Vector {
        self.core.tip_position()
    }

    /// Tip yaw, rad.
    pub fn tip_yaw(&self) -> f32 {
        self.core.tip_yaw()
    }

    /// Whether the gripper is closed.
    pub fn gripper_closed(&self) -> bool {
        self.core.gripper_closed()
    }

    /// Largest contact force (N) seen on any object in the last step, among
    /// those above the break thresholds (0 if none).
    pub fn last_peak_force(&self) -> f32 {
        self.core.last_peak_force
    }

    /// Starts (`true`, from zero) or stops (`false`) timing the rapier
    /// sub-steps inside [`Env::step_into`], for measuring the env's
    /// overhead over its own physics on the same trajectory.
    pub fn set_physics_clock(&mut self, on: bool) {
        self.core.physics_clock = on.then_some(Duration::ZERO);
    }

    /// Wall time spent in the rapier sub-steps of `step_into` since
    /// [`set_physics_clock(true)`](Self::set_physics_clock); `None` when off.
    pub fn physics_clock(&self) -> Option<Duration> {
        self.core.physics_clock
    }

    /// Steps only the rapier world for `control_steps` control periods with
    /// the robot holding still: the raw physics cost of this scene, for the
    /// overhead benchmark. Requires a reset first.
    pub fn step_physics_only(&mut self, control_steps: usize) -> Result<()> {
        let physics = self
            .core
            .physics
            .as_mut()
            .ok_or_else(|| EnvError::NeedsReset {
                env: T::ID.to_string(),
                when: "before reset",
            })?;
        for _ in 0..control_steps {
            physics.step(None, |_, _, _| {});
        }
        Ok(())
    }

    /// Drawable primitives of the current scene, for the renderer.
    pub fn scene_shapes(&self) -> Vec<SceneShape> {
        let mut shapes = self.task.scene_shapes(&self.core);
        if let Some(p) = &self.core.physics {
            shapes.extend(crate::render::gripper_shapes(
                p.effector.position,
                p.effector.yaw,
                p.effector.closed,
            ));
        }
        shapes
    }

    fn check_obs_len(&self, obs: &[f32]) -> Result<()> {
        if obs.len() != T::OBS_DIM {
            return Err(EnvError::ObservationBuffer {
                env: T::ID.to_string(),
                expected: T::OBS_DIM,
                got: obs.len(),
            });
        }
        Ok(())
    }

    /// The action as a finite `[vx, vy, vz, yaw_rate, grip]`.
    fn validate_action<'a>(&self, action: Action<'a>) -> Result<&'a [f32]> {
        match action {
            Action::Continuous(a)
                if a.len() == LABOUR_ACTION_DIM && a.iter().all(|v| v.is_finite()) =>
            {
                Ok(a)
            }
            other => Err(EnvError::InvalidAction {
                env: T::ID.to_string(),
                expected: "Box([-1, 1]^5) of finite values".to_string(),
                got: format!("{other:?}"),
            }),
        }
    }

    /// Commands the end effector and opens or closes the gripper; returns
    /// the shaping bonus of a first grasp or of a release at the goal.
    fn actuate(&mut self, a: &[f32]) -> f64 {
        let Some(physics) = self.core.physics.as_mut() else {
            return 0.0;
        };
        let want_closed = a[GRIP_ACTION] > 0.0;
        let closing = want_closed && !physics.effector.closed;
        // The arm holds still for the control period in which the fingers
        // close (a real arm does not move while its gripper actuates): a
        // fixed joint made to a moving tip would yank the object along.
        if closing {
            physics.effector.command(0.0, 0.0, 0.0, 0.0);
        } else {
            physics.effector.command(a[0], a[1], a[2], a[3]);
        }
        if closing {
            self.core.close_gripper()
        } else if !want_closed && physics.effector.closed {
            match self.core.open_gripper() {
                Some(i) => {
                    let at_goal = self.task.released_at_goal(&self.core, i);
                    self.core.release_bonus(i, at_goal)
                }
                None => 0.0,
            }
        } else {
            0.0
        }
    }

    /// The task's rules after the physics: breakage, processing in the
    /// zone, placed objects knocked off, and where loose objects rest.
    fn apply_rules(&mut self) {
        let dt = self.core.params.control_period_s;
        let settle = self.core.params.settle_time_s;
        let zone = Vector::from(T::ZONE_CENTER);
        for i in 0..self.core.objects.len() {
            let o = &self.core.objects[i];
            if o.status.is_removed() {
                continue;
            }
            if self.core.peak.get(i).is_some_and(|f| *f > o.break_force) {
                self.core.remove(i, RemovalCause::Broken);
                continue;
            }
            match o.status {
                ObjectStatus::Held => self.core.process(i, zone, T::ZONE_HALF),
                ObjectStatus::Placed(t) => {
                    if !self.task.still_placed(&self.core, i, t) {
                        self.core.remove(i, RemovalCause::Misplaced);
                    }
                }
                ObjectStatus::Loose => {
                    if self.core.fell_off(i) {
                        self.core.remove(i, RemovalCause::Misplaced);
                        continue;
                    }
                    let at_rest = self.core.at_rest(i, T::REST_SPEED, T::REST_ANGULAR_SPEED);
                    let o = &mut self.core.objects[i];
                    o.rest_s = if at_rest { o.rest_s + dt } else { 0.0 };
                    if o.rest_s < settle {
                        continue;
                    }
                    match self.task.on_rest(&self.core, i) {
                        RestVerdict::Stay => {}
                        RestVerdict::Place(t) => self.core.place(i, t),
                        RestVerdict::Remove => self.core.remove(i, RemovalCause::Misplaced),
                    }
                }
                ObjectStatus::Removed(_) => {}
            }
        }
    }

    fn write_obs(&self, obs: &mut [f32]) {
        obs.fill(0.0);
        let Some(p) = &self.core.physics else {
            return;
        };
        let e = &p.effector;
        obs[0..3].copy_from_slice(&e.position.to_array());
        obs[3] = e.yaw.sin();
        obs[4] = e.yaw.cos();
        obs[5..8].copy_from_slice(&e.velocity.to_array());
        obs[8] = e.yaw_rate;
        obs[9] = f32::from(u8::from(e.closed));
        self.task.write_obs(&self.core, obs);
        let Space::Box(b) = &self.core.observation_space else {
            unreachable!("a pick-and-place observation space is a box")
        };
        for (v, (lo, hi)) in obs.iter_mut().zip(b.low.iter().zip(&b.high)) {
            *v = if v.is_finite() {
                v.clamp(*lo, *hi)
            } else {
                0.0
            };
        }
    }
}

impl<T: PickPlaceTask> Env for PickPlaceEnv<T> {
    fn id(&self) -> &str {
        T::ID
    }

    fn observation_space(&self) -> &Space {
        &self.core.observation_space
    }

    fn action_space(&self) -> &Space {
        &self.core.action_space
    }

    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
        self.check_obs_len(obs)?;
        if let Some(s) = seed {
            self.core.rng = ChaCha8Rng::seed_from_u64(s);
        }
        self.core.info = Info::default();
        self.core.episode_over = false;
        self.core.last_peak_force = 0.0;
        let layout = self.task.layout(&mut self.core.rng);
        let p = &self.core.params;
        let limits = EndEffectorLimits {
            max_speed: p.max_speed_m_s,
            max_yaw_rate: p.max_yaw_rate_rad_s,
            workspace_min: Vector::from(T::WORKSPACE.0),
            workspace_max: Vector::from(T::WORKSPACE.1),
            grasp_radius: super::pick_place_core::GRASP_RADIUS,
        };
        self.core
            .build_world(layout, limits, self.task.target_count());
        self.core.sync();
        self.write_obs(obs);
        Ok(self.core.info)
    }

    fn step_into(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
        self.check_obs_len(obs)?;
        let a = self.validate_action(action)?;
        if self.core.episode_over || self.core.physics.is_none() {
            return Err(EnvError::NeedsReset {
                env: T::ID.to_string(),
                when: if self.core.physics.is_none() {
                    "before reset"
                } else {
                    "after the episode ended"
                },
            });
        }
        let before = self.core.info;
        let (phase_before, target_before) = self.task.phase_target(&self.core);
        let dist_before = target_before.map(|t| t.distance(self.core.tip_position()));
        let processed_before = self.core.processed_total();

        let mut shaping = self.actuate(a);
        self.core.step_physics();
        if !self.core.is_finite() {
            self.core.episode_over = true;
            self.core.info.fault = Some(EnvFault::NonFiniteState);
            obs.fill(0.0);
            return Ok(Transition {
                reward: 0.0,
                terminated: false,
                truncated: true,
                info: self.core.info,
            });
        }
        self.core.sync();
        self.apply_rules();

        // Shaping: reach progress (same target before and after), processing progress.
        let (phase_after, _) = self.task.phase_target(&self.core);
        if let (true, Some(t), Some(d0)) = (phase_after == phase_before, target_before, dist_before)
        {
            shaping += f64::from(d0 - t.distance(self.core.tip_position()));
        }
        let process_time = self.core.params.process_time_s;
        if process_time > 0.0 {
            let processed_after = self.core.processed_total();
            shaping +=
                PROCESS_BONUS * f64::from((processed_after - processed_before) / process_time);
        }

        let info = self.core.info;
        let units = f64::from(info.units_completed - before.units_completed);
        let errors = f64::from(info.errors - before.errors);
        let reward = units - errors + self.core.shaping_weight * shaping;
        let terminated = self.core.work_done();
        let truncated =
            !terminated && info.sim_seconds + 1e-9 >= f64::from(self.core.params.episode_seconds);
        self.core.episode_over = terminated || truncated;
        self.write_obs(obs);
        Ok(Transition {
            reward,
            terminated,
            truncated,
            info,
        })
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn as_labour_task(&self) -> Option<&dyn LabourTask> {
        Some(self)
    }

    fn render(&mut self) -> Option<RgbFrame> {
        Some(crate::render::render_scene(
            &self.scene_shapes(),
            &self.task.camera(),
            256,
            256,
        ))
    }
}

impl<T: PickPlaceTask> LabourTask for PickPlaceEnv<T> {
    fn tip_position(&self) -> Vector {
        self.core.tip_position()
    }
    fn tip_yaw(&self) -> f32 {
        self.core.tip_yaw()
    }
    fn gripper_closed(&self) -> bool {
        self.core.gripper_closed()
    }
    fn held_object(&self) -> Option<usize> {
        self.core.held()
    }
    fn scene_shapes(&self) -> Vec<SceneShape> {
        PickPlaceEnv::scene_shapes(self)
    }
    fn episode_seconds(&self) -> f64 {
        f64::from(self.core.params.episode_seconds)
    }
    fn counters(&self) -> Info {
        self.core.info
    }
    fn control_period_s(&self) -> f64 {
        f64::from(self.core.params.control_period_s)
    }
    fn set_physics_clock(&mut self, on: bool) {
        PickPlaceEnv::set_physics_clock(self, on);
    }
    fn physics_clock(&self) -> Option<Duration> {
        PickPlaceEnv::physics_clock(self)
    }
    fn step_physics_only(&mut self, control_steps: usize) -> Result<()> {
        PickPlaceEnv::step_physics_only(self, control_steps)
    }
}

/// Runs `episodes` whole episodes (seeds 0, 1, …) of `env` with `expert`
/// acting; returns each episode's final counters.
#[cfg(test)]
pub(crate) fn expert_episodes(
    env: &mut dyn Env,
    expert: &mut dyn crate::ScriptedExpert,
    seeds: std::ops::Range<u64>,
) -> Vec<Info> {
    let mut obs = vec![0.0; env.observation_space().flat_size()];
    let mut a = [0.0; LABOUR_ACTION_DIM];
    seeds
        .map(|ep| {
            env.reset_into(Some(ep), &mut obs).expect("reset");
            expert.reset();
            loop {
                expert.act(env, &mut a).expect("the expert's own task");
                let t = env
                    .step_into(Action::Continuous(&a), &mut obs)
                    .expect("step");
                if t.terminated || t.truncated {
                    return t.info;
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BricklayingConfig, BricklayingEnv, DishwashingConfig, DishwashingEnv};

    /// Steps `[1, 1, 1, 1, grip]` twice from reset; returns the tip's
    /// moves (m) in the two steps.
    fn tip_moves(env: &mut dyn Env, grips: [f32; 2]) -> [f32; 2] {
        let mut obs = vec![0.0; env.observation_space().flat_size()];
        env.reset_into(Some(0), &mut obs).expect("reset");
        grips.map(|grip| {
            let before = env.as_labour_task().expect("labour task").tip_position();
            env.step_into(Action::Continuous(&[1.0, 1.0, 1.0, 1.0, grip]), &mut obs)
                .expect("step");
            let after = env.as_labour_task().expect("labour task").tip_position();
            after.distance(before)
        })
    }

    #[test]
    fn the_arm_holds_still_while_the_gripper_closes_in_both_tasks() {
        let tasks: Vec<Box<dyn Env>> = vec![
            Box::new(DishwashingEnv::new(DishwashingConfig::default()).expect("env")),
            Box::new(BricklayingEnv::new(BricklayingConfig::default()).expect("env")),
        ];
        for mut env in tasks {
            // Closing: held still; already closed: moves at full speed.
            let [closing, closed] = tip_moves(env.as_mut(), [1.0, 1.0]);
            assert_eq!(closing, 0.0, "{}", env.id());
            assert!(closed > 0.01, "{}: {closed}", env.id());
            // Open: moves in both steps.
            let [first, second] = tip_moves(env.as_mut(), [-1.0, -1.0]);
            assert!(first > 0.01 && second > 0.01, "{}", env.id());
        }
    }
}
