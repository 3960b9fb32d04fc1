//! The environment trait with Gymnasium semantics.
//!
//! The required methods write observations into a caller-owned buffer so a
//! vector env and a learner can step without allocating; `reset` and `step`
//! are the allocating Gymnasium-shaped conveniences built on them.

use crate::{Action, Info, Result, RgbFrame, Space};

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
    fn as_labour_task(&self) -> Option<&dyn crate::LabourTask> {
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
