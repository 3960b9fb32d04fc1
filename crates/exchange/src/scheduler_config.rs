//! The ATP scheduler's configuration (SPEC §7): which training config the
//! population learns, how experts differ, how big a job is, the target that
//! ends a run, and the prices of the economy that decides who trains.
//!
//! Read strictly from YAML by the binary (`vp exchange run --config F`);
//! every field is documented with its unit and default.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{ExchangeError, Result};
use crate::metabolic_state::MetabolicState;
use crate::routing::DEFAULT_ROUTING_BUDGET;

/// How the scheduler shares compute among the population.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationStrategy {
    /// Credits decide: experts pay for their jobs, are paid for measured
    /// gains, are routed by relevance, stake and ROI, go broke and are
    /// replaced by children of the best.
    Atp,
    /// Every expert trains one job per round (the baseline).
    Equal,
    /// Successive halving: every survivor trains to the rung's budget, the
    /// better half by evaluation goes on with twice the budget.
    Halving,
}

impl AllocationStrategy {
    /// `atp`, `equal` or `halving`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AllocationStrategy::Atp => "atp",
            AllocationStrategy::Equal => "equal",
            AllocationStrategy::Halving => "halving",
        }
    }
}

impl std::fmt::Display for AllocationStrategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AllocationStrategy {
    type Err = ExchangeError;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "atp" => Ok(AllocationStrategy::Atp),
            "equal" => Ok(AllocationStrategy::Equal),
            "halving" => Ok(AllocationStrategy::Halving),
            _ => Err(ExchangeError::UnknownName {
                field: "allocation",
                got: s.to_string(),
                expected: "atp, equal, halving",
            }),
        }
    }
}

/// The evaluation figure a run is judged by: read from the expert's last
/// `eval.csv` row after every job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetMetric {
    /// Mean evaluation return (classic control: CartPole's 475).
    MeanReturn,
    /// Mean evaluation MP_r, units per hour (labour tasks).
    MpR,
    /// Mean evaluation wage parity ŵ_r / w_h.
    WageParity,
}

impl TargetMetric {
    /// `mean_return`, `mp_r` or `wage_parity`: the `eval.csv` column.
    pub const fn column(self) -> &'static str {
        match self {
            TargetMetric::MeanReturn => "mean_return",
            TargetMetric::MpR => "mp_r",
            TargetMetric::WageParity => "wage_parity",
        }
    }
}

/// One kind of expert in the population. Expert `i` is
/// `variants[i mod len]` with seed `base_seed + i`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExpertVariant {
    /// Dotted key paths of the training config and their values, e.g.
    /// `ppo.learning_rate: 1.0e-3` (default none).
    pub overrides: BTreeMap<String, serde_json::Value>,
    /// Extra `vp train` options of a fresh run, e.g.
    /// `[--demo-skill, "0.5"]` (default none).
    pub args: Vec<String>,
}

/// How experts differ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PopulationConfig {
    /// Seed of expert 0; expert `i` gets `base_seed + i` (default 1).
    pub base_seed: u64,
    /// Overrides every expert gets, before its variant's (default none).
    pub common_overrides: BTreeMap<String, serde_json::Value>,
    /// The variants, cycled over the experts (default one plain variant).
    pub variants: Vec<ExpertVariant>,
}

impl Default for PopulationConfig {
    fn default() -> Self {
        PopulationConfig {
            base_seed: 1,
            common_overrides: BTreeMap::new(),
            variants: vec![ExpertVariant::default()],
        }
    }
}

/// What a job's productivity-gain signal pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayFor {
    /// The change against the expert's previous evaluation: a rise is
    /// paid, a drop charged.
    Change,
    /// A new best: what the evaluation adds above the expert's best so far
    /// (a child starts from its parent's level); a drop costs nothing but
    /// the compute that bought it.
    Record,
}

/// The credit economy of the ATP strategy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EconomyConfig {
    /// Credits a new expert is seeded with by the seed fund (default 100).
    pub seed_credits: f64,
    /// Credits one device-second of a job costs (default 1: one ATP).
    pub credits_per_device_second: f64,
    /// Price of one unit of the metric in dollars: `p` of the
    /// productivity-gain signal `p·Δmetric·horizon_hours` (default 0.3,
    /// the dishwashing price per dish).
    pub price_per_unit: f64,
    /// Hours a measured gain is expected to last (default 1).
    pub horizon_hours: f64,
    /// Experts consulted (trained) per round (default 3, SPEC's routing
    /// budget).
    pub routing_budget: usize,
    /// The system's metabolic state for training jobs (default FOCUS).
    pub state: MetabolicState,
    /// What gains are paid for (default `change`).
    pub pay_for: PayFor,
    /// Steps per device-second jobs are priced at (default none: a job is
    /// charged the device-seconds measured). Declared, the credits and
    /// hence the routing are the same in every run of the same seed.
    pub declared_speed: Option<f64>,
}

impl Default for EconomyConfig {
    fn default() -> Self {
        EconomyConfig {
            seed_credits: 100.0,
            credits_per_device_second: 1.0,
            price_per_unit: 0.3,
            horizon_hours: 1.0,
            routing_budget: DEFAULT_ROUTING_BUDGET,
            state: MetabolicState::Focus,
            pay_for: PayFor::Change,
            declared_speed: None,
        }
    }
}

/// Population-based training's exploit/explore step: a deprecated expert's
/// place goes to a child of the best expert, started from its checkpoint
/// with one hyperparameter perturbed, and paid for by the parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExploreConfig {
    /// Dotted key of the hyperparameter to perturb, e.g.
    /// `ppo.learning_rate`.
    pub key: String,
    /// Factors the parent's value is multiplied by, cycled over children
    /// (default 0.8 and 1.25).
    #[serde(default = "default_factors")]
    pub factors: Vec<f64>,
    /// Credits the parent pays its child (a `routing_fee`; default 20).
    #[serde(default = "default_spawn_credits")]
    pub spawn_credits: f64,
}

fn default_factors() -> Vec<f64> {
    vec![0.8, 1.25]
}

fn default_spawn_credits() -> f64 {
    20.0
}

/// The scheduler's configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerConfig {
    /// The training config every expert starts from, relative to this file.
    pub train_config: String,
    /// The evaluation figure judged.
    pub metric: TargetMetric,
    /// The run ends when one expert's evaluation reaches this.
    pub target: f64,
    /// Training steps per job (`vp train --total-steps` grows by this):
    /// env steps for RL, gradient steps for chunking and diffusion.
    pub round_steps: u64,
    /// Most steps one expert trains (default 50 × `round_steps`).
    #[serde(default)]
    pub max_steps_per_expert: Option<u64>,
    /// How experts differ.
    #[serde(default)]
    pub population: PopulationConfig,
    /// The ATP strategy's prices.
    #[serde(default)]
    pub economy: EconomyConfig,
    /// The exploit/explore step (none: deprecated experts are not replaced).
    #[serde(default)]
    pub explore: Option<ExploreConfig>,
}

impl SchedulerConfig {
    /// Most steps one expert trains.
    pub fn max_steps(&self) -> u64 {
        self.max_steps_per_expert
            .unwrap_or(self.round_steps.saturating_mul(50))
    }

    /// Checks every number is in range; the error names the field.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: String, expected: &str, got: String| ExchangeError::InvalidInput {
            field,
            expected: expected.to_string(),
            got,
        };
        if self.train_config.trim().is_empty() {
            return Err(bad(
                "train_config".into(),
                "a training config path",
                "an empty string".into(),
            ));
        }
        if !self.target.is_finite() {
            return Err(bad(
                "target".into(),
                "a finite number",
                self.target.to_string(),
            ));
        }
        if self.round_steps == 0 {
            return Err(bad("round_steps".into(), "at least 1", "0".into()));
        }
        if self.max_steps() < self.round_steps {
            return Err(bad(
                "max_steps_per_expert".into(),
                "at least round_steps",
                self.max_steps().to_string(),
            ));
        }
        if self.population.variants.is_empty() {
            return Err(bad(
                "population.variants".into(),
                "at least one variant",
                "an empty list".into(),
            ));
        }
        let e = &self.economy;
        for (field, v) in [
            ("economy.seed_credits", e.seed_credits),
            (
                "economy.credits_per_device_second",
                e.credits_per_device_second,
            ),
            ("economy.price_per_unit", e.price_per_unit),
            ("economy.horizon_hours", e.horizon_hours),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(bad(field.into(), "a finite number > 0", v.to_string()));
            }
        }
        if let Some(v) = e.declared_speed
            && !(v.is_finite() && v > 0.0)
        {
            return Err(bad(
                "economy.declared_speed".into(),
                "a finite number of steps per second > 0",
                v.to_string(),
            ));
        }
        if e.routing_budget == 0 {
            return Err(bad(
                "economy.routing_budget".into(),
                "at least 1",
                "0".into(),
            ));
        }
        if let Some(x) = &self.explore {
            if x.key.trim().is_empty() {
                return Err(bad(
                    "explore.key".into(),
                    "a dotted config key",
                    "an empty string".into(),
                ));
            }
            if x.factors.is_empty() || x.factors.iter().any(|f| !(f.is_finite() && *f > 0.0)) {
                return Err(bad(
                    "explore.factors".into(),
                    "a non-empty list of finite numbers > 0",
                    format!("{:?}", x.factors),
                ));
            }
            if !(x.spawn_credits.is_finite() && x.spawn_credits >= 0.0) {
                return Err(bad(
                    "explore.spawn_credits".into(),
                    "a finite number >= 0",
                    x.spawn_credits.to_string(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SchedulerConfig {
        serde_json::from_value(serde_json::json!({
            "train_config": "cartpole.yaml",
            "metric": "mean_return",
            "target": 475.0,
            "round_steps": 16384,
            "population": {"variants": [{"overrides": {"ppo.learning_rate": 1e-3}}]},
        }))
        .unwrap()
    }

    #[test]
    fn defaults_fill_what_the_file_leaves_out() {
        let c = config();
        c.validate().unwrap();
        assert_eq!(c.max_steps(), 16384 * 50);
        assert_eq!(c.economy.routing_budget, 3);
        assert_eq!(c.economy.state, MetabolicState::Focus);
        assert_eq!(c.population.base_seed, 1);
        assert!(c.explore.is_none());
    }

    #[test]
    fn validation_names_the_field_at_fault() {
        let mut c = config();
        c.economy.credits_per_device_second = 0.0;
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("economy.credits_per_device_second"), "{e}");
        let mut c = config();
        c.population.variants.clear();
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("population.variants")
        );
        let mut c = config();
        c.explore = Some(ExploreConfig {
            key: "ppo.learning_rate".into(),
            factors: vec![0.8, -1.0],
            spawn_credits: 20.0,
        });
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("explore.factors")
        );
        let unknown = serde_json::from_value::<SchedulerConfig>(serde_json::json!({
            "train_config": "x", "metric": "mp_r", "target": 1.0, "round_steps": 1, "rounds": 3,
        }))
        .unwrap_err()
        .to_string();
        assert!(unknown.contains("rounds"), "{unknown}");
        assert!("halving".parse::<AllocationStrategy>().is_ok());
        assert!("greedy".parse::<AllocationStrategy>().is_err());
    }
}
