//! Expert labels for the states an RL learner visits: the hook PPO's
//! expert term ([`PpoConfig::expert_coef`](crate::PpoConfig::expert_coef))
//! reads, DAgger's relabelling (Ross et al., 2011) run inside every
//! rollout instead of between refits.

use envs::Env;

use crate::Result;

/// A scripted expert that can act from any state of the env copies `E`
/// (a state-feedback controller over the env's privileged state, such as
/// the labour tasks' scripted workers). Called once per rollout step,
/// before the learner acts; its labels never drive the env.
pub trait ExpertLabeller<E: Env>: Send {
    /// Writes the expert's action for the current state of every copy into
    /// `out` (`envs.len() · d_action`, copy after copy). `episode_start[i]`
    /// is true when copy `i`'s episode has just begun, so its expert can
    /// forget per-episode state.
    fn label(&mut self, envs: &[E], episode_start: &[bool], out: &mut [f32]) -> Result<()>;
}
