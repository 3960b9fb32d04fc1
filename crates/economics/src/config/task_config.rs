//! The task config file (`configs/*.yaml`): every section of SPEC, parsed
//! strictly and range-checked.

use crate::ConvergenceConfig;
use crate::DataValuationConfig;
use crate::EpisodeScorer;
use crate::PricingConfig;
use crate::RewardConfig;
use crate::TaskEconomics;
use crate::TaskSection;
use crate::TrainingConfig;
use crate::error::Result;
use serde::{Deserialize, Serialize};
use std::path::Path;
use yaml_config::ConfigCheck;
use yaml_config::ConfigError;
use yaml_config::ConfigSource;

/// A task config: `task` is required; `reward`, `convergence`,
/// `data_valuation`, `pricing` and `training` fall back to their documented
/// defaults when absent. Any other top-level key is an error, except `env`,
/// `ppo`, `bc`, `chunk`, `diffusion` and `run`, which belong to the envs,
/// policies and train crates: they are kept
/// verbatim here (as JSON values) and parsed by their owners from the same
/// file with [`ConfigSource::parse_section`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskConfig {
    /// Task economics.
    pub task: TaskSection,
    /// Episode reward and curriculum.
    #[serde(default)]
    pub reward: RewardConfig,
    /// Convergence detection.
    #[serde(default)]
    pub convergence: ConvergenceConfig,
    /// Datapoint valuation.
    #[serde(default)]
    pub data_valuation: DataValuationConfig,
    /// Premiums and true-up.
    #[serde(default)]
    pub pricing: PricingConfig,
    /// Generic run settings.
    #[serde(default)]
    pub training: TrainingConfig,
    /// Environment parameters, owned and checked by the envs crate.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub env: serde_json::Value,
    /// PPO hyperparameters, owned and checked by the policies crate.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub ppo: serde_json::Value,
    /// Behaviour-cloning hyperparameters, owned and checked by the policies
    /// crate.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub bc: serde_json::Value,
    /// SAC hyperparameters, owned and checked by the policies crate.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub sac: serde_json::Value,
    /// Action-chunking hyperparameters (the chunk head, and the windows
    /// and execution the diffusion policy shares), owned and checked by
    /// the policies crate.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub chunk: serde_json::Value,
    /// Diffusion-policy hyperparameters, owned and checked by the policies
    /// crate.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub diffusion: serde_json::Value,
    /// Run options `vp train` records in a run folder's resolved config
    /// (device, evaluation cadence, flags), owned by the train crate.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub run: serde_json::Value,
}

impl TaskConfig {
    /// Whether YAML text is a task config (it has a top-level `task:`
    /// key), as opposed to a classic-control run config.
    pub fn is_task_config_text(text: &str) -> bool {
        text.lines()
            .any(|l| l.starts_with("task:") || l.starts_with("\"task\":"))
    }

    /// Reads, parses and checks a config file.
    ///
    /// ```no_run
    /// let config = economics::TaskConfig::from_path("configs/bricklaying.yaml")?;
    /// assert_eq!(config.task.human_mp, 60.0);
    /// # Ok::<(), yaml_config::ConfigError>(())
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> std::result::Result<Self, ConfigError> {
        Self::from_source(&ConfigSource::read(path)?)
    }

    /// Parses and checks YAML text; `file` labels it in errors.
    pub fn from_yaml_str(
        text: &str,
        file: impl Into<String>,
    ) -> std::result::Result<Self, ConfigError> {
        Self::from_source(&ConfigSource::from_text(file, text))
    }

    /// Parses and checks a source.
    pub fn from_source(source: &ConfigSource) -> std::result::Result<Self, ConfigError> {
        let config: Self = source.parse()?;
        config.validate(source)?;
        Ok(config)
    }

    /// Range and consistency checks; the first violation (in file order)
    /// is returned, located in `source`.
    pub fn validate(&self, source: &ConfigSource) -> std::result::Result<(), ConfigError> {
        let mut c = ConfigCheck::new(source);
        self.task.check(&mut c);
        self.reward.check(&mut c);
        self.convergence.check(&mut c);
        self.data_valuation.check(&mut c);
        self.pricing.check(&mut c);
        self.training.check(&mut c);
        c.finish()
    }

    /// The task economics.
    pub fn task_economics(&self) -> Result<TaskEconomics> {
        self.task.economics()
    }

    /// A scorer for this task's episodes (metrics, curriculum, reward).
    pub fn episode_scorer(&self) -> Result<EpisodeScorer> {
        Ok(EpisodeScorer::new(
            self.task_economics()?,
            self.reward.economic_reward()?,
            self.reward.curriculum()?,
        ))
    }

    /// One line describing the config, for `vp config check`.
    pub fn summary(&self) -> String {
        let t = &self.task;
        format!(
            "task {} ({}): p=${}/{}, MP_h={} {}/h, w_h=${}/h, c_d=${}/error; \
             reward {} schedule over {} episodes, {} wage loss; \
             convergence {} evals at ε={} δ={}; {} for {} steps on {} envs, seed {}",
            t.name,
            t.occupation_code,
            t.price_per_unit,
            t.unit,
            t.human_mp,
            t.unit,
            t.human_wage,
            t.damage_cost,
            self.reward.schedule.as_str(),
            self.reward.anneal_episodes,
            self.reward.wage_loss.as_str(),
            self.convergence.eval_window,
            self.convergence.epsilon,
            self.convergence.delta,
            self.training.algorithm.as_str(),
            self.training.total_steps,
            self.training.num_envs,
            self.training.seed,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yaml_config::ConfigErrorKind;

    const MINIMAL: &str = "\
task:
  name: dishwashing
  occupation_code: 35-9021
  price_per_unit: 0.30
  human_mp: 60
  human_wage: 18.0
  damage_cost: 1.0
";

    #[test]
    fn minimal_config_takes_documented_defaults() {
        let c = TaskConfig::from_yaml_str(MINIMAL, "m.yaml").unwrap();
        assert_eq!(c.reward.delta_mp_clip, 0.5);
        assert_eq!(c.convergence.eval_window, 50);
        assert_eq!(c.convergence.epsilon, 0.05);
        assert_eq!(c.convergence.delta, 0.10);
        assert_eq!(c.data_valuation.lookback_window, 100);
        assert_eq!(c.data_valuation.confidence_level, 0.80);
        assert_eq!(c.pricing.data_sharing_discount, 0.15);
        assert_eq!(c.pricing.reconciliation_period_days, 90);
        assert!(c.env.is_null());
    }

    #[test]
    fn range_error_points_at_the_offending_value() {
        let text = MINIMAL.replace("price_per_unit: 0.30", "price_per_unit: -0.30");
        let e = TaskConfig::from_yaml_str(&text, "m.yaml").unwrap_err();
        assert_eq!(e.kind, ConfigErrorKind::OutOfRange);
        assert_eq!(e.key_path, "task.price_per_unit");
        assert_eq!((e.line, e.column), (Some(4), Some(19)));
        assert_eq!(
            e.to_string(),
            "m.yaml:4:19: task.price_per_unit: expected a finite number > 0, got -0.3"
        );
    }

    #[test]
    fn env_and_ppo_sections_are_kept_for_their_owners() {
        let text = format!("{MINIMAL}env:\n  num_dishes: 12\nppo:\n  clip_coef: 0.2\n");
        let c = TaskConfig::from_yaml_str(&text, "m.yaml").unwrap();
        assert_eq!(c.env["num_dishes"], 12);
        assert_eq!(c.ppo["clip_coef"], 0.2);
    }

    #[test]
    fn scorer_from_config_scores_the_worked_example() {
        let c = TaskConfig::from_yaml_str(MINIMAL, "m.yaml").unwrap();
        let mut scorer = c.episode_scorer().unwrap();
        let ep = crate::EpisodeOutcome {
            completed_units: 54,
            attempts: 60,
            errors: 3,
            hours: 1.0,
        };
        let s = scorer.score(&ep).unwrap();
        assert!((s.metrics.wage_parity - 0.75).abs() < 1e-9);
    }
}
