//! The `data_valuation:` section (layer 2, SPEC §6).

use serde::{Deserialize, Serialize};
use yaml_config::ConfigCheck;

/// How a datapoint's causal gain is measured (SPEC §6).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CausalGainMethod {
    /// Mean reduction of predictive variance on validation inputs under the
    /// Bayesian ridge posterior ([`information_gain`](crate::information_gain)).
    #[default]
    InformationGain,
    /// Validation MSE before minus after refitting with the datapoint,
    /// clipped at 0 ([`error_reduction`](crate::error_reduction)).
    ErrorReduction,
    /// Exact KNN-Shapley values of the datapoint's rows for a K-NN
    /// regressor, summed ([`knn_shapley_gain`](crate::knn_shapley_gain)).
    KnnShapley,
}

impl CausalGainMethod {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CausalGainMethod::InformationGain => "information_gain",
            CausalGainMethod::ErrorReduction => "error_reduction",
            CausalGainMethod::KnnShapley => "knn_shapley",
        }
    }
}

/// Settings of the datapoint valuation: novelty, the rolling estimator, the
/// confidence interval, κ and the tiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataValuationConfig {
    /// Rows kept by the rolling estimator, `>= 1`. Default 100.
    pub lookback_window: u64,
    /// No model fit before this many rows, `>= 1` and `<= lookback_window`.
    /// Default 10.
    pub min_samples: u64,
    /// Neighbours for embedding novelty, `>= 1`. Default 5.
    pub k_neighbors: u64,
    /// Bins per dimension of the coverage histogram, `>= 1`. Default 10.
    pub coverage_bins: u64,
    /// Two-sided confidence of the ΔMPL interval, in (0, 1). Default 0.80
    /// (z = 1.2816).
    pub confidence_level: f64,
    /// Lower bound of κ = lower/mean, in (0, 1]. Default 0.25.
    pub kappa_floor: f64,
    /// Tier 0 below this E[ΔMPL], `>= 0`. Default 0.5.
    pub tier0_threshold: f64,
    /// Tier 1 below this, tier 2 from it on; `> tier0_threshold`. Default 3.0.
    pub tier1_threshold: f64,
    /// How causal gain is measured: `information_gain`, `error_reduction`
    /// or `knn_shapley`. Default `information_gain`.
    pub causal_gain: CausalGainMethod,
}

impl Default for DataValuationConfig {
    fn default() -> Self {
        Self {
            lookback_window: 100,
            min_samples: 10,
            k_neighbors: 5,
            coverage_bins: 10,
            confidence_level: 0.80,
            kappa_floor: 0.25,
            tier0_threshold: 0.5,
            tier1_threshold: 3.0,
            causal_gain: CausalGainMethod::InformationGain,
        }
    }
}

impl DataValuationConfig {
    pub(crate) fn check(&self, c: &mut ConfigCheck<'_>) {
        c.at_least("data_valuation.lookback_window", self.lookback_window, 1);
        c.at_least("data_valuation.min_samples", self.min_samples, 1);
        c.require(
            self.min_samples <= self.lookback_window,
            "data_valuation.min_samples",
            || {
                format!(
                    "min_samples <= lookback_window ({}), got {}",
                    self.lookback_window, self.min_samples
                )
            },
        );
        c.at_least("data_valuation.k_neighbors", self.k_neighbors, 1);
        c.at_least("data_valuation.coverage_bins", self.coverage_bins, 1);
        c.open_unit("data_valuation.confidence_level", self.confidence_level);
        c.half_open_unit("data_valuation.kappa_floor", self.kappa_floor);
        c.non_negative("data_valuation.tier0_threshold", self.tier0_threshold);
        c.non_negative("data_valuation.tier1_threshold", self.tier1_threshold);
        c.require(
            self.tier0_threshold < self.tier1_threshold,
            "data_valuation.tier1_threshold",
            || {
                format!(
                    "tier0_threshold < tier1_threshold, got {} >= {}",
                    self.tier0_threshold, self.tier1_threshold
                )
            },
        );
    }
}
