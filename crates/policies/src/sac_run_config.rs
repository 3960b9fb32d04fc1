//! SAC's configs as YAML: the classic-control run file ([`SacRunConfig`],
//! `configs/pendulum_sac.yaml`) and the `sac:` section of a task config
//! ([`SacConfig::from_section`], [`SacConfig::for_task`]), parsed
//! strictly with the project's loader (unknown keys are errors naming the
//! file, key and line) and range-checked with [`ConfigCheck`], so every
//! error names its field (`sac.batch_size`).

use std::path::Path;

use serde::{Deserialize, Serialize};
use yaml_config::{ConfigCheck, ConfigSource};

use crate::{PolicyError, Result, SacConfig};

/// A SAC run on a registered env as a YAML file: the env, the seed, the
/// `sac:` section (CleanRL's defaults where absent) and how to evaluate.
/// A `ppo:` section may sit beside it (one file per env, a section per
/// algorithm); SAC does not read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SacRunConfig {
    /// Registered env id.
    pub env_id: String,
    /// Seed of the run's RNG and of the envs. Default 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Episodes per evaluation (deterministic policy). Default 20.
    #[serde(default = "default_eval_episodes")]
    pub eval_episodes: usize,
    /// SAC hyperparameters.
    #[serde(default)]
    pub sac: SacConfig,
    /// Another algorithm's section, ignored here.
    #[serde(default, skip_serializing)]
    pub ppo: Option<serde_json::Value>,
}

fn default_seed() -> u64 {
    1
}
fn default_eval_episodes() -> usize {
    20
}

impl SacRunConfig {
    /// Parses YAML strictly and checks the `sac:` ranges, locating a bad
    /// value at its line; `file` labels the text in messages.
    pub fn from_yaml_str(yaml: &str, file: &str) -> Result<Self> {
        let source = ConfigSource::from_text(file, yaml);
        let cfg: Self = source.parse()?;
        let mut c = ConfigCheck::new(&source);
        cfg.sac.check(&mut c);
        c.finish()?;
        Ok(cfg)
    }

    /// Reads and parses a YAML file.
    pub fn from_yaml_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::io(path, e))?;
        Self::from_yaml_str(&text, &path.display().to_string())
    }
}

impl SacConfig {
    /// Checks ranges, naming the offending field (`sac.<field>`).
    pub fn validate(&self) -> Result<()> {
        let mut c = ConfigCheck::detached("sac config");
        self.check(&mut c);
        Ok(c.finish()?)
    }

    /// Adds this config's range checks to `c` (keys `sac.<field>`).
    pub fn check(&self, c: &mut ConfigCheck<'_>) {
        for (name, v) in [
            ("sac.num_envs", self.num_envs as u64),
            ("sac.buffer_size", self.buffer_size as u64),
            ("sac.batch_size", self.batch_size as u64),
            ("sac.policy_frequency", self.policy_frequency),
            (
                "sac.target_network_frequency",
                self.target_network_frequency,
            ),
            ("sac.d_hidden", self.d_hidden as u64),
            ("sac.steps_per_iteration", self.steps_per_iteration),
            ("sac.total_timesteps", self.total_timesteps),
        ] {
            c.at_least(name, v, 1);
        }
        if !c.failed() {
            let n = self.num_envs as u64;
            c.require(
                self.steps_per_iteration.is_multiple_of(n),
                "sac.steps_per_iteration",
                || {
                    format!(
                        "a multiple of num_envs = {n} (each vector step adds one transition per \
                         copy), got {}",
                        self.steps_per_iteration
                    )
                },
            );
            c.require(
                self.total_timesteps.is_multiple_of(n),
                "sac.total_timesteps",
                || format!("a multiple of num_envs = {n}, got {}", self.total_timesteps),
            );
        }
        c.closed_unit("sac.gamma", self.gamma);
        c.within("sac.tau", self.tau, 0.0, 1.0);
        for (name, v) in [("sac.policy_lr", self.policy_lr), ("sac.q_lr", self.q_lr)] {
            c.positive(name, v);
        }
        c.non_negative("sac.alpha", self.alpha);
        c.positive("sac.adam_eps", self.adam_eps);
        if let Some(h) = self.target_entropy {
            c.finite("sac.target_entropy", h);
        }
    }

    /// The `sac:` section of a task config (kept as JSON by the economics
    /// loader), parsed strictly and checked; errors name `file` and the
    /// key.
    pub fn from_section(section: &serde_json::Value, file: &str) -> Result<Self> {
        let section = if section.is_null() {
            serde_json::Value::Object(Default::default())
        } else {
            section.clone()
        };
        let cfg: Self = serde_path_to_error::deserialize(section).map_err(|e| {
            PolicyError::config(format!("{file}: sac.{}", e.path()), e.inner().to_string())
        })?;
        cfg.validate().map_err(|e| in_file(e, file))?;
        Ok(cfg)
    }

    /// The SAC config of a task run: the task config's `sac:` section
    /// completed from its `training:` section (steps, and the discount
    /// where `sac.gamma` is absent), then checked. The env copies stay
    /// `sac.num_envs` (default 1, as CleanRL): `training.num_envs` sizes
    /// PPO's rollouts, and more copies per gradient step would change
    /// SAC's update-to-data ratio.
    pub fn for_task(task: &economics::TaskConfig, file: &str) -> Result<Self> {
        let mut sac = Self::from_section(&task.sac, file)?;
        sac.total_timesteps = task.training.total_steps;
        if task.sac.get("gamma").is_none() {
            sac.gamma = task.training.discount;
        }
        sac.validate().map_err(|e| in_file(e, file))?;
        Ok(sac)
    }
}

/// A validation error with `file` in front of it.
fn in_file(e: PolicyError, file: &str) -> PolicyError {
    match e {
        PolicyError::InvalidConfig { field, reason } => {
            PolicyError::config(format!("{file}: {field}"), reason)
        }
        PolicyError::Config(mut err) => {
            err.file = file.to_owned();
            PolicyError::Config(err)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_entropy_defaults_to_minus_the_action_dimensions() {
        let cfg = SacConfig::default();
        assert_eq!(cfg.target_entropy_for(1), -1.0);
        assert_eq!(cfg.target_entropy_for(4), -4.0);
        let set = SacConfig {
            target_entropy: Some(-0.5),
            ..SacConfig::default()
        };
        assert_eq!(set.target_entropy_for(4), -0.5);
    }

    #[test]
    fn defaults_are_cleanrls() {
        let c = SacConfig::default();
        assert_eq!(
            (c.buffer_size, c.batch_size, c.learning_starts, c.d_hidden),
            (1_000_000, 256, 5_000, 256)
        );
        assert_eq!(
            (c.policy_lr, c.q_lr, c.gamma, c.tau),
            (3e-4, 1e-3, 0.99, 0.005)
        );
        assert_eq!((c.policy_frequency, c.target_network_frequency), (2, 1));
        assert!(c.autotune);
        c.validate().expect("the defaults are valid");
    }

    #[test]
    fn a_run_file_takes_defaults_and_ignores_the_ppo_section() {
        let yaml =
            "env_id: Pendulum-v1\nseed: 3\nppo:\n  num_envs: 4\nsac:\n  learning_starts: 100\n";
        let cfg = SacRunConfig::from_yaml_str(yaml, "run.yaml").expect("parses");
        assert_eq!(cfg.seed, 3);
        assert_eq!(cfg.eval_episodes, 20);
        assert_eq!(cfg.sac.learning_starts, 100);
        assert_eq!(cfg.sac.batch_size, 256);
    }

    #[test]
    fn config_errors_name_the_field_and_the_line() {
        let yaml = "env_id: Pendulum-v1\nsac:\n  batch_size: 0\n";
        let err = SacRunConfig::from_yaml_str(yaml, "run.yaml").expect_err("batch 0");
        let msg = err.to_string();
        assert!(
            msg.contains("run.yaml:3") && msg.contains("sac.batch_size"),
            "{msg}"
        );

        let yaml = "env_id: Pendulum-v1\nsac:\n  tau: 1.5\n";
        let msg = SacRunConfig::from_yaml_str(yaml, "run.yaml")
            .expect_err("tau > 1")
            .to_string();
        assert!(msg.contains("sac.tau"), "{msg}");

        let yaml = "env_id: Pendulum-v1\nsac:\n  learning_rate: 0.1\n";
        let msg = SacRunConfig::from_yaml_str(yaml, "run.yaml")
            .expect_err("unknown key")
            .to_string();
        assert!(msg.contains("learning_rate"), "{msg}");

        let bad = SacConfig {
            num_envs: 2,
            steps_per_iteration: 999,
            ..SacConfig::default()
        };
        let msg = bad.validate().expect_err("not a multiple").to_string();
        assert!(msg.contains("sac.steps_per_iteration"), "{msg}");

        let section = serde_json::json!({ "gamma": 2.0 });
        let msg = SacConfig::from_section(&section, "task.yaml")
            .expect_err("gamma > 1")
            .to_string();
        assert!(
            msg.contains("task.yaml") && msg.contains("sac.gamma"),
            "{msg}"
        );
    }
}
