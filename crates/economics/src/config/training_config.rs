//! The `training:` section: generic run settings shared by all algorithms.
//! Algorithm hyperparameters live in their own section (`ppo:`, owned by
//! the policies crate).

use serde::{Deserialize, Serialize};
use yaml_config::ConfigCheck;

/// The learning algorithm a run uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    /// Proximal policy optimisation.
    #[default]
    Ppo,
    /// Soft actor-critic.
    Sac,
    /// Behaviour cloning.
    Bc,
    /// Action chunking (the ACT-style chunk head).
    Chunk,
    /// Diffusion policy.
    Diffusion,
}

impl Algorithm {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Ppo => "ppo",
            Algorithm::Sac => "sac",
            Algorithm::Bc => "bc",
            Algorithm::Chunk => "chunk",
            Algorithm::Diffusion => "diffusion",
        }
    }
}

/// Run length, parallelism, seeding, evaluation and shaping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainingConfig {
    /// `ppo`, `sac`, `bc` or `diffusion`. Default `ppo`.
    pub algorithm: Algorithm,
    /// Environment steps in the run (all envs together), `>= 1`.
    /// Default 1,000,000.
    pub total_steps: u64,
    /// Parallel environments, `>= 1`. Default 8.
    pub num_envs: u64,
    /// Seed of every random generator in the run. Default 0.
    pub seed: u64,
    /// Environment steps between evaluations, `>= 1`. Default 10,000.
    pub eval_interval: u64,
    /// Episodes per evaluation, `>= 1`. Default 10.
    pub eval_episodes: u64,
    /// Discount factor of returns, in [0, 1]. Default 0.99.
    pub discount: f64,
    /// Weight of the environment's shaping rewards (reach, grasp) at step 0,
    /// `>= 0`. Default 1.0.
    pub shaping_weight_initial: f64,
    /// Shaping weight from `shaping_anneal_steps` on, `>= 0`. Default 0.0.
    pub shaping_weight_final: f64,
    /// Environment steps over which the shaping weight anneals linearly.
    /// Default 500,000.
    pub shaping_anneal_steps: u64,
}

impl Default for TrainingConfig {
    fn default() -> Self {
        Self {
            algorithm: Algorithm::Ppo,
            total_steps: 1_000_000,
            num_envs: 8,
            seed: 0,
            eval_interval: 10_000,
            eval_episodes: 10,
            discount: 0.99,
            shaping_weight_initial: 1.0,
            shaping_weight_final: 0.0,
            shaping_anneal_steps: 500_000,
        }
    }
}

impl TrainingConfig {
    /// The shaping weight after `step` environment steps (linear anneal).
    pub fn shaping_weight(&self, step: u64) -> f64 {
        if self.shaping_anneal_steps == 0 || step >= self.shaping_anneal_steps {
            return self.shaping_weight_final;
        }
        let t = step as f64 / self.shaping_anneal_steps as f64;
        self.shaping_weight_initial + (self.shaping_weight_final - self.shaping_weight_initial) * t
    }

    pub(crate) fn check(&self, c: &mut ConfigCheck<'_>) {
        c.at_least("training.total_steps", self.total_steps, 1);
        c.at_least("training.num_envs", self.num_envs, 1);
        c.at_least("training.eval_interval", self.eval_interval, 1);
        c.at_least("training.eval_episodes", self.eval_episodes, 1);
        c.closed_unit("training.discount", self.discount);
        c.non_negative(
            "training.shaping_weight_initial",
            self.shaping_weight_initial,
        );
        c.non_negative("training.shaping_weight_final", self.shaping_weight_final);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shaping_weight_anneals_linearly_to_final() {
        let t = TrainingConfig {
            shaping_weight_initial: 1.0,
            shaping_weight_final: 0.0,
            shaping_anneal_steps: 100,
            ..TrainingConfig::default()
        };
        assert_eq!(t.shaping_weight(0), 1.0);
        assert!((t.shaping_weight(25) - 0.75).abs() < 1e-12);
        assert_eq!(t.shaping_weight(100), 0.0);
        assert_eq!(t.shaping_weight(1000), 0.0);
    }
}
