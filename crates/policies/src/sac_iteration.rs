//! What one SAC iteration reports ([`SacIteration`], metrics under
//! CleanRL's keys), and the statistics its gradient steps gather for it.

use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use envs::EpisodeRecord;

use crate::{PolicyError, Result};

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

/// Statistics of one iteration's gradient steps, read back once at its end.
pub(crate) struct IterationStats<BI: Backend> {
    /// `[qf1_values, qf2_values, qf1_loss, qf2_loss]` per critic step.
    pub(crate) critic: Vec<Tensor<BI, 1>>,
    /// Actor loss per actor step.
    pub(crate) actor: Vec<Tensor<BI, 1>>,
    /// α loss per α step.
    pub(crate) alpha: Vec<Tensor<BI, 1>>,
}

impl<BI: Backend> Default for IterationStats<BI> {
    fn default() -> Self {
        Self {
            critic: Vec::new(),
            actor: Vec::new(),
            alpha: Vec::new(),
        }
    }
}

impl<BI: Backend> IterationStats<BI> {
    /// The iteration's report: means over its gradient steps (none before
    /// learning starts).
    pub(crate) fn report(
        self,
        iteration: u64,
        global_step: u64,
        alpha: f64,
        sps: f64,
        episodes: Vec<EpisodeRecord>,
    ) -> Result<SacIteration> {
        let gradient_steps = self.critic.len() as u64;
        let actor_steps = self.actor.len() as u64;
        let means = |parts: Vec<Tensor<BI, 1>>, width: usize, what: &str| -> Result<Vec<f64>> {
            if parts.is_empty() {
                return Ok(Vec::new());
            }
            let values = host_vec(Tensor::cat(parts, 0), what)?;
            if values.iter().any(|v| !v.is_finite()) {
                return Err(PolicyError::NonFinite(format!(
                    "SAC {what} before step {global_step}"
                )));
            }
            let rows = (values.len() / width).max(1) as f64;
            Ok((0..width)
                .map(|j| {
                    values
                        .iter()
                        .skip(j)
                        .step_by(width)
                        .map(|&v| f64::from(v))
                        .sum::<f64>()
                        / rows
                })
                .collect())
        };
        let critic = means(self.critic, 4, "critic losses")?;
        let actor = means(self.actor, 1, "actor loss")?;
        let alpha_loss = means(self.alpha, 1, "alpha loss")?;
        Ok(SacIteration {
            iteration,
            global_step,
            gradient_steps,
            actor_steps,
            qf1_values: critic.first().copied(),
            qf2_values: critic.get(1).copied(),
            qf1_loss: critic.get(2).copied(),
            qf2_loss: critic.get(3).copied(),
            actor_loss: actor.first().copied(),
            alpha_loss: alpha_loss.first().copied(),
            alpha,
            sps,
            episodes,
        })
    }
}

/// A tensor's values on the host.
pub(crate) fn host_vec<BB: Backend, const D: usize>(
    t: Tensor<BB, D>,
    what: &str,
) -> Result<Vec<f32>> {
    t.into_data()
        .convert::<f32>()
        .into_vec::<f32>()
        .map_err(|e| PolicyError::NonFinite(format!("{what}: {e:?}")))
}
