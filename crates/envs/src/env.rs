//! The environment trait with Gymnasium semantics, and [`LabourTask`],
//! what every labour task (dishwashing, bricklaying) exposes beyond it: the
//! state a scripted expert, a renderer or a tool reads, reached under any
//! wrappers with [`Env::as_labour_task`]. They share a file because each
//! names the other.
//!
//! The required methods write observations into a caller-owned buffer so a
//! vector env and a learner can step without allocating; `reset` and `step`
//! are the allocating Gymnasium-shaped conveniences built on them.

use rapier3d::math::Vector;

use crate::{Action, Info, Result, RgbFrame, SceneShape, Space};

/// What a step returns besides the observation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transition {
    /// Reward for this step.
    pub reward: f64,
    /// The episode reached a terminal state of the MDP (no bootstrapping).
    pub terminated: bool,
    /// The episode was cut short (time limit, fault): bootstrap from the
    /// final observation.
    pub truncated: bool,
    /// Typed counters after this step.
    pub info: Info,
}

/// The Gymnasium-shaped result of [`Env::step`].
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Observation after the step.
    pub obs: Vec<f32>,
    /// Reward for this step.
    pub reward: f64,
    /// Terminal state reached.
    pub terminated: bool,
    /// Episode cut short.
    pub truncated: bool,
    /// Typed counters after this step.
    pub info: Info,
}

/// A reinforcement-learning environment (Gymnasium semantics).
pub trait Env: Send {
    /// Registered id, e.g. `CartPole-v1`.
    fn id(&self) -> &str;

    /// The space observations belong to.
    fn observation_space(&self) -> &Space;

    /// The space actions must belong to.
    fn action_space(&self) -> &Space;

    /// Starts a new episode and writes its first observation into `obs`
    /// (length `observation_space().flat_size()`). `Some(seed)` reseeds the
    /// env's random generator; `None` continues its current stream.
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<Info>;

    /// Applies `action` and writes the next observation into `obs`.
    fn step_into(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition>;

    /// An RGB picture of the current state, where the env can draw.
    fn render(&mut self) -> Option<RgbFrame> {
        None
    }

    /// Overwrites the physical state (e.g. CartPole's `[x, x_dot, theta,
    /// theta_dot]`) of an episode in progress, so a trajectory can be
    /// replayed from a recorded state. Call it after `reset`; the episode's
    /// counters (time limit, statistics) are left as they are. Envs whose
    /// state cannot be set return [`EnvError::Unsupported`]; a state of the
    /// wrong length or with non-finite values is [`EnvError::InvalidState`].
    ///
    /// [`EnvError::Unsupported`]: crate::EnvError::Unsupported
    /// [`EnvError::InvalidState`]: crate::EnvError::InvalidState
    fn set_state(&mut self, state: &[f64]) -> Result<()> {
        let _ = state;
        Err(crate::EnvError::Unsupported {
            env: self.id().to_string(),
            operation: "set_state",
        })
    }

    /// The concrete env under any wrappers, for code that reads its
    /// privileged state (a scripted expert labelling the states a learner
    /// visits, [`DishwashingExpert`](crate::DishwashingExpert)). Wrappers
    /// forward it; envs without such a reader return `None`.
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }

    /// The labour task under any wrappers (dishwashing, bricklaying), for
    /// experts, renderers and tools; `None` for other envs. Wrappers forward
    /// it.
    fn as_labour_task(&self) -> Option<&dyn LabourTask> {
        None
    }

    /// Gymnasium's `reset(seed) -> (obs, info)`.
    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<f32>, Info)> {
        let mut obs = vec![0.0; self.observation_space().flat_size()];
        let info = self.reset_into(seed, &mut obs)?;
        Ok((obs, info))
    }

    /// Gymnasium's `step(action) -> (obs, reward, terminated, truncated, info)`.
    fn step(&mut self, action: Action<'_>) -> Result<Step> {
        let mut obs = vec![0.0; self.observation_space().flat_size()];
        let t = self.step_into(action, &mut obs)?;
        Ok(Step {
            obs,
            reward: t.reward,
            terminated: t.terminated,
            truncated: t.truncated,
            info: t.info,
        })
    }
}

/// Index of the grip command in a labour task's action (`[vx, vy, vz,
/// yaw_rate, grip]`; `grip > 0` closes the gripper).
pub const GRIP_ACTION: usize = 4;

/// Length of a labour task's action.
pub const LABOUR_ACTION_DIM: usize = 5;

/// A pick-and-place labour task on the shared physics core.
pub trait LabourTask: Env {
    /// World position of the end effector's tip (m).
    fn tip_position(&self) -> Vector;
    /// Yaw of the end effector about the vertical axis (rad).
    fn tip_yaw(&self) -> f32;
    /// Whether the gripper is closed.
    fn gripper_closed(&self) -> bool;
    /// Index of the object held, if any.
    fn held_object(&self) -> Option<usize>;
    /// Every drawable primitive of the current scene.
    fn scene_shapes(&self) -> Vec<SceneShape>;
    /// The episode's configured length in simulated seconds.
    fn episode_seconds(&self) -> f64;
    /// The episode's counters so far.
    fn counters(&self) -> Info;
    /// Simulated seconds per control step (one `step_into`).
    fn control_period_s(&self) -> f64;
    /// Starts (`true`) or stops timing the rapier sub-steps inside
    /// `step_into`, for the overhead benchmark.
    fn set_physics_clock(&mut self, on: bool);
    /// Wall time spent in rapier sub-steps since the clock was started;
    /// `None` when it is off.
    fn physics_clock(&self) -> Option<std::time::Duration>;
    /// Steps only the rapier world for `control_steps` control periods with
    /// the robot holding still: the raw physics cost of the scene. Requires
    /// a reset first.
    fn step_physics_only(&mut self, control_steps: usize) -> Result<()>;
}
