//! What one PPO update reports ([`PpoUpdate`], metrics under CleanRL's
//! keys) and what its caller answers ([`Control`]).

use envs::EpisodeRecord;

/// What one update logs. [`PpoUpdate::scalars`] gives CleanRL's keys.
#[derive(Debug, Clone, PartialEq)]
pub struct PpoUpdate {
    /// 1-based update number.
    pub update: u64,
    /// Env steps so far (summed over copies).
    pub global_step: u64,
    /// Mean clipped surrogate loss over the update's minibatches.
    pub policy_loss: f64,
    /// Mean value loss.
    pub value_loss: f64,
    /// Mean policy entropy.
    pub entropy: f64,
    /// Mean approximate KL (k3 estimator) of the last epoch run.
    pub approx_kl: f64,
    /// Share of samples whose ratio left `[1 − ε, 1 + ε]`, over all minibatches.
    pub clip_frac: f64,
    /// Explained variance of the rollout's values.
    pub explained_variance: f64,
    /// Learning rate used.
    pub learning_rate: f64,
    /// Env steps per second of this update (rollout + learning).
    pub sps: f64,
    /// Wall seconds spent collecting the rollout.
    pub rollout_secs: f64,
    /// Wall seconds spent learning from it.
    pub learn_secs: f64,
    /// Epochs run (fewer than `update_epochs` after a target-KL stop).
    pub epochs: usize,
    /// Global gradient norm before clipping, mean over minibatches.
    pub grad_norm: f64,
    /// Mean `‖μ(s) − μ₀(s)‖²` over the update's minibatches, when anchored
    /// ([`FineTuneConfig::anchor_coef`](crate::FineTuneConfig::anchor_coef)).
    pub anchor_loss: Option<f64>,
    /// Mean `‖μ(s) − a*(s)‖²` over the update's minibatches, when the expert
    /// term is in the loss ([`FineTuneConfig::expert_coef`](crate::FineTuneConfig::expert_coef) > 0, after the critic
    /// warm-up).
    pub expert_loss: Option<f64>,
    /// Episodes that ended during the rollout (raw returns).
    pub episodes: Vec<EpisodeRecord>,
}

impl PpoUpdate {
    /// The per-update scalars under their log keys.
    pub fn scalars(&self) -> Vec<(&'static str, f64)> {
        let mut out = vec![
            ("losses/policy_loss", self.policy_loss),
            ("losses/value_loss", self.value_loss),
            ("losses/entropy", self.entropy),
            ("losses/approx_kl", self.approx_kl),
            ("losses/clip_frac", self.clip_frac),
            ("losses/explained_variance", self.explained_variance),
            ("charts/learning_rate", self.learning_rate),
            ("charts/sps", self.sps),
        ];
        if let Some(r) = self.mean_episodic_return() {
            out.push(("charts/episodic_return", r));
        }
        if let Some(a) = self.anchor_loss {
            out.push(("losses/anchor_loss", a));
        }
        if let Some(a) = self.expert_loss {
            out.push(("losses/expert_loss", a));
        }
        out
    }

    /// Mean return of the episodes that ended in this rollout.
    pub fn mean_episodic_return(&self) -> Option<f64> {
        (!self.episodes.is_empty()).then(|| {
            self.episodes.iter().map(|e| e.episode_return).sum::<f64>() / self.episodes.len() as f64
        })
    }
}

/// Whether [`Ppo::train`](crate::Ppo::train) should go on after an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Keep training.
    Continue,
    /// Stop after this update (e.g. to checkpoint and exit).
    Stop,
}
