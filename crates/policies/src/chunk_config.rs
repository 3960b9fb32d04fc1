//! `ChunkConfig`: the `chunk:` section of a task config, the settings of
//! action chunking that the deterministic chunk head and the diffusion
//! policy share (windows, batches, execution), plus the head's own network
//! and optimiser under `chunk.head:`.

use serde::{Deserialize, Serialize};
use yaml_config::ConfigCheck;

use crate::{
    ChunkExecution, ChunkHeadConfig, ChunkShape, PolicyError, Result, SelfImitationConfig,
};

/// Action chunking (`chunk:` in a task config; every key optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChunkConfig {
    /// Observations the model conditions on, `To` (the current one and
    /// `To − 1` before it). Default 2.
    pub obs_window: usize,
    /// Actions predicted per chunk, `Tp`. Default 16.
    pub horizon: usize,
    /// Actions executed from each chunk before predicting again, `Ta`, in
    /// `1..=horizon`; also bounds the padding past an episode's end in
    /// training (`Ta − 1` steps). Default 8.
    pub action_steps: usize,
    /// Execute with ACT's temporal ensembling (predict every step, average
    /// the overlapping predictions) instead of the receding horizon.
    /// Default false.
    pub temporal_ensemble: bool,
    /// ACT's `m`: the `i`-th oldest prediction of a step weighs
    /// `exp(−m·i)`. Default 0.01.
    pub ensemble_decay: f64,
    /// Windows per gradient step. Default 256.
    pub batch_size: usize,
    /// Gradient steps of the run (`vp train --total-steps` overrides it).
    /// Default 20,000.
    pub gradient_steps: u64,
    /// Gradient steps per session iteration (one logged loss, and the
    /// unit of `--eval-every`). Default 500.
    pub steps_per_iteration: u64,
    /// Observation features the model must not read: mapped to 0 by the
    /// normaliser. Default none.
    pub ignore_observations: Vec<usize>,
    /// The deterministic chunk head (`--algorithm chunk`).
    pub head: ChunkHeadConfig,
    /// Economic self-imitation while fine-tuning a clone (`vp train
    /// --init-from`): rounds of rollouts whose best segments join the
    /// data. Default none (learn from the demonstrations only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_imitation: Option<SelfImitationConfig>,
}

impl Default for ChunkConfig {
    fn default() -> Self {
        Self {
            obs_window: 2,
            horizon: 16,
            action_steps: 8,
            temporal_ensemble: false,
            ensemble_decay: 0.01,
            batch_size: 256,
            gradient_steps: 20_000,
            steps_per_iteration: 500,
            ignore_observations: Vec::new(),
            head: ChunkHeadConfig::default(),
            self_imitation: None,
        }
    }
}

impl ChunkConfig {
    /// Checks ranges, naming the offending field (`chunk.<field>`).
    pub fn validate(&self) -> Result<()> {
        let mut c = ConfigCheck::detached("chunk config");
        c.at_least("chunk.obs_window", self.obs_window as u64, 1);
        c.at_least("chunk.horizon", self.horizon as u64, 1);
        c.require(
            (1..=self.horizon.max(1)).contains(&self.action_steps),
            "chunk.action_steps",
            || {
                format!(
                    "in 1..={} (the horizon), got {}",
                    self.horizon, self.action_steps
                )
            },
        );
        c.non_negative("chunk.ensemble_decay", self.ensemble_decay);
        c.at_least("chunk.batch_size", self.batch_size as u64, 1);
        c.at_least("chunk.gradient_steps", self.gradient_steps, 1);
        c.at_least("chunk.steps_per_iteration", self.steps_per_iteration, 1);
        c.finish()?;
        if let Some(si) = &self.self_imitation {
            si.validate()?;
        }
        self.head.validate()
    }

    /// Whether `other` builds and feeds a model the same way (windows,
    /// horizon, execution steps, ignored observations): what a fine-tune
    /// may not change in the clone it starts from.
    pub fn same_model_inputs(&self, other: &Self) -> bool {
        (
            self.obs_window,
            self.horizon,
            self.action_steps,
            &self.ignore_observations,
        ) == (
            other.obs_window,
            other.horizon,
            other.action_steps,
            &other.ignore_observations,
        )
    }

    /// The `chunk:` section of a task config (kept as JSON by the
    /// economics loader), defaults where absent, parsed strictly and
    /// validated; errors name `file` and the key.
    pub fn from_section(section: &serde_json::Value, file: &str) -> Result<Self> {
        let section = if section.is_null() {
            serde_json::Value::Object(Default::default())
        } else {
            section.clone()
        };
        let cfg: Self = serde_path_to_error::deserialize(section).map_err(|e| {
            PolicyError::config(format!("{file}: chunk.{}", e.path()), e.inner().to_string())
        })?;
        cfg.validate().map_err(|e| match e {
            PolicyError::InvalidConfig { field, reason } => {
                PolicyError::config(format!("{file}: {field}"), reason)
            }
            other => other,
        })?;
        Ok(cfg)
    }

    /// The model sizes for `obs_dim` observation and `action_dim` action
    /// features.
    pub fn shape(&self, obs_dim: usize, action_dim: usize) -> ChunkShape {
        ChunkShape {
            obs_dim,
            action_dim,
            obs_window: self.obs_window,
            horizon: self.horizon,
            action_steps: self.action_steps,
        }
    }

    /// Session iterations of the run: `gradient_steps` in blocks of
    /// `steps_per_iteration`, the last one possibly shorter.
    pub fn iterations(&self) -> u64 {
        self.gradient_steps
            .div_ceil(self.steps_per_iteration.max(1))
    }

    /// Steps a training chunk may run past its episode's end: `Ta − 1`.
    pub fn pad_after(&self) -> usize {
        self.action_steps.saturating_sub(1)
    }

    /// How chunks are executed.
    pub fn execution(&self) -> ChunkExecution {
        if self.temporal_ensemble {
            ChunkExecution::TemporalEnsemble {
                decay: self.ensemble_decay,
            }
        } else {
            ChunkExecution::RecedingHorizon
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_section_takes_the_defaults() {
        let c = ChunkConfig::from_section(&serde_json::Value::Null, "f.yaml").expect("defaults");
        assert_eq!(c, ChunkConfig::default());
        assert_eq!(c.shape(3, 2).horizon, 16);
        assert_eq!(c.pad_after(), 7);
        assert_eq!(c.execution(), ChunkExecution::RecedingHorizon);
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_path() {
        let section = serde_json::json!({"head": {"hiden": [64]}});
        let err = ChunkConfig::from_section(&section, "f.yaml").expect_err("misspelt");
        let msg = err.to_string();
        assert!(
            msg.contains("f.yaml") && msg.contains("chunk.head"),
            "{msg}"
        );
        assert!(msg.contains("hiden"), "{msg}");
    }

    #[test]
    fn out_of_range_values_name_their_field() {
        for (section, field) in [
            (
                serde_json::json!({"action_steps": 17}),
                "chunk.action_steps",
            ),
            (serde_json::json!({"batch_size": 0}), "chunk.batch_size"),
            (
                serde_json::json!({"head": {"learning_rate": -1.0}}),
                "chunk.head.learning_rate",
            ),
            (
                serde_json::json!({"head": {"hidden": []}}),
                "chunk.head.hidden",
            ),
        ] {
            let err = ChunkConfig::from_section(&section, "f.yaml").expect_err("out of range");
            assert!(err.to_string().contains(field), "{field}: {err}");
        }
    }
}
