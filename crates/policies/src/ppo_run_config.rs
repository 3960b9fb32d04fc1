//! PPO's configs as YAML: the classic-control run file
//! ([`PpoRunConfig`], `configs/cartpole.yaml`) and the `ppo:` section of a
//! task config ([`PpoConfig::from_section`]), both parsed strictly with the
//! project's loader (unknown keys are errors naming the file, key and
//! line). Keys that moved are errors naming their new place.

use std::path::Path;
use yaml_config::ConfigCheck;

use serde::{Deserialize, Serialize};
use yaml_config::{ConfigErrorKind, ConfigSource};

use crate::{FineTuneConfig, PolicyError, PpoConfig, Result};

/// A PPO run as a YAML file: the env, the seed, the `ppo:` section and how
/// to evaluate (see `configs/cartpole.yaml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PpoRunConfig {
    /// Registered env id.
    pub env_id: String,
    /// Seed of the run's RNG and of the envs. Default 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Episodes per evaluation (deterministic policy). Default 20.
    #[serde(default = "default_eval_episodes")]
    pub eval_episodes: usize,
    /// PPO hyperparameters.
    #[serde(default)]
    pub ppo: PpoConfig,
}

fn default_seed() -> u64 {
    1
}
fn default_eval_episodes() -> usize {
    20
}

impl PpoRunConfig {
    /// Parses YAML strictly with the project's config loader (unknown keys
    /// are errors naming the file, key path and line) and validates it;
    /// `file` labels the text in messages.
    pub fn from_yaml_str(yaml: &str, file: &str) -> Result<Self> {
        let source = ConfigSource::from_text(file, yaml);
        let cfg: Self = source.parse().map_err(|e| {
            let ppo = source
                .parse::<serde_json::Value>()
                .ok()
                .and_then(|doc| doc.get("ppo").cloned());
            match ppo.and_then(|ppo| moved_key(&ppo, Some(&source), file)) {
                Some(moved) => moved,
                None => PolicyError::from(e),
            }
        })?;
        cfg.ppo.validate().map_err(|e| in_file(e, file))?;
        Ok(cfg)
    }

    /// Reads and parses a YAML file.
    pub fn from_yaml_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::io(path, e))?;
        Self::from_yaml_str(&text, &path.display().to_string())
    }
}

impl PpoConfig {
    /// Checks ranges, naming the offending field (`ppo.<field>`).
    pub fn validate(&self) -> Result<()> {
        let mut c = ConfigCheck::detached("ppo config");
        for (name, v) in [
            ("ppo.num_envs", self.num_envs),
            ("ppo.num_steps", self.num_steps),
            ("ppo.num_minibatches", self.num_minibatches),
            ("ppo.update_epochs", self.update_epochs),
            ("ppo.d_hidden", self.d_hidden),
        ] {
            c.at_least(name, v as u64, 1);
        }
        if !c.failed() {
            // Sizes are non-zero from here on: the divisions are safe.
            let batch = self.batch_size();
            c.require(
                batch.is_multiple_of(self.num_minibatches),
                "ppo.num_minibatches",
                || {
                    format!(
                        "a divisor of num_envs · num_steps = {batch}, got {}",
                        self.num_minibatches
                    )
                },
            );
            c.require(self.num_updates() > 0, "ppo.total_timesteps", || {
                format!(
                    "at least num_envs · num_steps = {batch}, got {}",
                    self.total_timesteps
                )
            });
        }
        c.closed_unit("ppo.gamma", self.gamma);
        c.closed_unit("ppo.gae_lambda", self.gae_lambda);
        for (name, v) in [
            ("ppo.learning_rate", self.learning_rate),
            ("ppo.clip_coef", self.clip_coef),
            ("ppo.ent_coef", self.ent_coef),
            ("ppo.vf_coef", self.vf_coef),
            ("ppo.max_grad_norm", self.max_grad_norm),
        ] {
            c.non_negative(name, v);
        }
        c.positive("ppo.adam_eps", self.adam_eps);
        if let Some(kl) = self.target_kl {
            c.positive("ppo.target_kl", kl);
        }
        c.finite("ppo.init_log_std", f64::from(self.init_log_std));
        c.finish()?;
        self.fine_tune.validate(self.normalize_observation)
    }

    /// The PPO config of a task run: the task config's `ppo:` section
    /// ([`PpoConfig::from_section`]) completed from its `training:` section
    /// (steps, env copies, and the discount where `ppo.gamma` is absent),
    /// then validated.
    pub fn for_task(task: &economics::TaskConfig, file: &str) -> Result<Self> {
        let mut ppo = Self::from_section(&task.ppo, file)?;
        ppo.total_timesteps = task.training.total_steps;
        ppo.num_envs = usize::try_from(task.training.num_envs).map_err(|_| {
            PolicyError::config("training.num_envs", "does not fit this machine's usize")
        })?;
        if task.ppo.get("gamma").is_none() {
            ppo.gamma = task.training.discount;
        }
        ppo.validate()?;
        Ok(ppo)
    }

    /// The `ppo:` section of a task config (kept as JSON by the economics
    /// loader), parsed strictly and validated; errors name `file` and the
    /// key. A key that moved is reported at its line in `file` when the
    /// file can be read.
    pub fn from_section(section: &serde_json::Value, file: &str) -> Result<Self> {
        let section = if section.is_null() {
            serde_json::Value::Object(Default::default())
        } else {
            section.clone()
        };
        if let Some(moved) = moved_key(&section, ConfigSource::read(file).ok().as_ref(), file) {
            return Err(moved);
        }
        let cfg: Self = serde_path_to_error::deserialize(section).map_err(|e| {
            PolicyError::config(format!("{file}: ppo.{}", e.path()), e.inner().to_string())
        })?;
        cfg.validate().map_err(|e| in_file(e, file))?;
        Ok(cfg)
    }
}

/// The error for the first fine-tune key found directly under `ppo:`
/// (`ppo.anchor_coef moved to ppo.fine_tune.anchor_coef`), at its line in
/// `source` where given, else naming `file`.
fn moved_key(
    ppo: &serde_json::Value,
    source: Option<&ConfigSource>,
    file: &str,
) -> Option<PolicyError> {
    let key = FineTuneConfig::KEYS
        .into_iter()
        .find(|k| ppo.get(k).is_some())?;
    let (old, new) = (format!("ppo.{key}"), format!("ppo.fine_tune.{key}"));
    Some(match source {
        Some(source) => {
            // `invalid` finds the key's line and column; the message is ours.
            let mut err = source.invalid(&old, "");
            err.key_path.clear();
            err.kind = ConfigErrorKind::UnknownKey;
            err.message = format!("{old} moved to {new}");
            PolicyError::Config(err)
        }
        None => PolicyError::config(format!("{file}: {old}"), format!("moved to {new}")),
    })
}

/// A validation error with `file` in front of its field.
fn in_file(e: PolicyError, file: &str) -> PolicyError {
    match e {
        PolicyError::InvalidConfig { field, reason } => {
            PolicyError::config(format!("{file}: {field}"), reason)
        }
        other => other,
    }
}
