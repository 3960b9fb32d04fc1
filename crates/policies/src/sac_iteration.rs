//! What one SAC iteration reports ([`SacIteration`], metrics under
//! CleanRL's keys).

use envs::EpisodeRecord;

/// One iteration of `steps_per_iteration` env steps: the means of its
/// gradient steps (none before learning starts) and its episodes.
#[derive(Debug, Clone, PartialEq)]
pub struct SacIteration {
    /// 1-based iteration number.
    pub iteration: u64,
    /// Env steps so far (summed over copies).
    pub global_step: u64,
    /// Critic steps in this iteration.
    pub gradient_steps: u64,
    /// Actor steps in this iteration.
    pub actor_steps: u64,
    /// Mean `Q1(s, a)` over the sampled batches.
    pub qf1_values: Option<f64>,
    /// Mean `Q2(s, a)`.
    pub qf2_values: Option<f64>,
    /// Mean MSE of `Q1` against the soft Bellman target.
    pub qf1_loss: Option<f64>,
    /// Mean MSE of `Q2`.
    pub qf2_loss: Option<f64>,
    /// Mean actor loss `α·log π − min Q`.
    pub actor_loss: Option<f64>,
    /// Mean temperature loss (when α is tuned).
    pub alpha_loss: Option<f64>,
    /// α at the end of the iteration.
    pub alpha: f64,
    /// Env steps per second of this iteration (acting and learning).
    pub sps: f64,
    /// Episodes that ended in this iteration (raw returns).
    pub episodes: Vec<EpisodeRecord>,
}

impl SacIteration {
    /// The iteration's scalars under their log keys (CleanRL's, with
    /// `charts/sps` spelled as the project's PPO logs it).
    pub fn scalars(&self) -> Vec<(&'static str, f64)> {
        let mut out = Vec::new();
        if self.gradient_steps > 0 {
            for (key, value) in [
                ("losses/qf1_values", self.qf1_values),
                ("losses/qf2_values", self.qf2_values),
                ("losses/qf1_loss", self.qf1_loss),
                ("losses/qf2_loss", self.qf2_loss),
                (
                    "losses/qf_loss",
                    self.qf1_loss.zip(self.qf2_loss).map(|(a, b)| (a + b) / 2.0),
                ),
                ("losses/actor_loss", self.actor_loss),
                ("losses/alpha_loss", self.alpha_loss),
            ] {
                if let Some(v) = value {
                    out.push((key, v));
                }
            }
            out.push(("losses/alpha", self.alpha));
        }
        out.push(("charts/sps", self.sps));
        if let Some(r) = self.mean_episodic_return() {
            out.push(("charts/episodic_return", r));
        }
        out
    }

    /// Mean return of the episodes that ended in this iteration.
    pub fn mean_episodic_return(&self) -> Option<f64> {
        (!self.episodes.is_empty()).then(|| {
            self.episodes.iter().map(|e| e.episode_return).sum::<f64>() / self.episodes.len() as f64
        })
    }
}
