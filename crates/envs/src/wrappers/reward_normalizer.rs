//! Reward scaling by the running standard deviation of the discounted
//! return, as Gymnasium's `NormalizeReward` and SB3's `VecNormalize`:
//! `r / sqrt(var(G) + ε)`, clipped, never shifted by the mean.
//!
//! One difference from Gymnasium, on purpose: the discounted return `G`
//! restarts after any episode end (SB3's convention, `G_t = γ·G_{t−1}·(1 −
//! done_{t−1}) + r_t`); Gymnasium multiplies by `1 − terminated_t` of the
//! current step, a quirk it keeps for backward compatibility, and carries
//! `G` across truncations into the next episode.

use super::running_mean_std::RunningMeanStd;
use crate::{EnvError, Result};
use serde::{Deserialize, Serialize};

/// Settings of reward normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RewardNormConfig {
    /// Discount of the return whose variance scales rewards. Default 0.99.
    pub gamma: f64,
    /// Added to the variance under the square root. Default `1e-8`.
    pub epsilon: f64,
    /// Scaled rewards are clipped to `[-clip, clip]`. Default 10.
    pub clip: f64,
}

impl Default for RewardNormConfig {
    fn default() -> Self {
        Self {
            gamma: 0.99,
            epsilon: 1e-8,
            clip: 10.0,
        }
    }
}

/// Running return statistics for `n` parallel envs sharing one scale.
#[derive(Debug, Clone, PartialEq)]
pub struct RewardNormalizer {
    rms: RunningMeanStd,
    returns: Vec<f64>,
    config: RewardNormConfig,
    training: bool,
}

impl RewardNormalizer {
    /// Fresh statistics for `num_envs` copies; `gamma` must lie in `[0, 1]`.
    pub fn new(num_envs: usize, config: RewardNormConfig) -> Result<Self> {
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !(0.0..=1.0).contains(&config.gamma)
            || !positive(config.epsilon)
            || !positive(config.clip)
        {
            return Err(EnvError::InvalidParameter {
                env: "reward normaliser".to_string(),
                field: "gamma/epsilon/clip".to_string(),
                message: format!("need gamma in [0, 1], epsilon > 0, clip > 0; got {config:?}"),
            });
        }
        Ok(Self {
            rms: RunningMeanStd::new(1),
            returns: vec![0.0; num_envs],
            config,
            training: true,
        })
    }

    /// Whether steps update the statistics.
    pub fn training(&self) -> bool {
        self.training
    }

    /// Turns updating on (training) or off (evaluation).
    pub fn set_training(&mut self, training: bool) {
        self.training = training;
    }

    /// The settings.
    pub fn config(&self) -> RewardNormConfig {
        self.config
    }

    /// The return statistics, for checkpoints.
    pub fn state(&self) -> &RunningMeanStd {
        &self.rms
    }

    /// Restores statistics saved by [`state`](Self::state).
    pub fn set_state(&mut self, state: RunningMeanStd) -> Result<()> {
        state.validate(1)?;
        self.rms = state;
        Ok(())
    }

    /// Forgets the discounted returns in progress (on reset).
    pub fn reset_returns(&mut self) {
        self.returns.iter_mut().for_each(|g| *g = 0.0);
    }

    /// Scales one batch of rewards in place: updates the returns (and, if
    /// training, the statistics with them), divides by the return's std,
    /// clips, and restarts the returns of envs whose episode ended.
    pub fn process(&mut self, rewards: &mut [f64], dones: impl Fn(usize) -> bool) -> Result<()> {
        if rewards.len() != self.returns.len() {
            return Err(EnvError::NormalizerState {
                message: format!("{} rewards for {} envs", rewards.len(), self.returns.len()),
            });
        }
        for (g, r) in self.returns.iter_mut().zip(rewards.iter()) {
            *g = *g * self.config.gamma + r;
        }
        if self.training {
            self.rms.update(&self.returns)?;
        }
        let scale = (self.rms.var[0] + self.config.epsilon).sqrt();
        let clip = self.config.clip;
        for (i, r) in rewards.iter_mut().enumerate() {
            *r = (*r / scale).clamp(-clip, clip);
            if dones(i) {
                self.returns[i] = 0.0;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reward_normalizer_scales_constant_rewards_towards_unit_return_std() {
        let mut n = RewardNormalizer::new(1, RewardNormConfig::default()).expect("config");
        let mut last = 0.0;
        for step in 0..2000 {
            let mut r = [1.0];
            n.process(&mut r, |_| step % 100 == 99).expect("process");
            last = r[0];
        }
        // Returns of 1-rewards over 100 steps span 1..63: std ~ 18.
        assert!(last > 0.01 && last < 0.2, "scaled reward {last}");
    }

    #[test]
    fn frozen_reward_normalizer_keeps_its_statistics() {
        let mut n = RewardNormalizer::new(2, RewardNormConfig::default()).expect("config");
        n.process(&mut [1.0, 2.0], |_| false).expect("process");
        let before = n.state().clone();
        n.set_training(false);
        n.process(&mut [5.0, 7.0], |_| false).expect("process");
        assert_eq!(n.state(), &before);
    }

    #[test]
    fn reward_normalizer_rejects_gamma_out_of_range() {
        let c = RewardNormConfig {
            gamma: 1.5,
            ..RewardNormConfig::default()
        };
        assert!(RewardNormalizer::new(1, c).is_err());
    }
}
