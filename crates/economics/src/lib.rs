//! Training economics, layer 1 (SPEC §2): what an episode earns in dollars.
//!
//! * [`TaskEconomics`] and [`EpisodeOutcome`] in, [`EpisodeMetrics`] out
//!   (`MP_r`, `e`, `ŵ_r`, productivity and wage parity).
//! * [`EconomicReward`] turns metrics into `r(t) = α·ΔMP − β·e − γ·L`,
//!   split into [`RewardComponents`]; [`Curriculum`] anneals α and γ;
//!   [`EpisodeScorer`] keeps the state between episodes and emits the
//!   [`EpisodeRecord`] log row; [`DenseWageReward`] pays per step.
//! * [`ConvergenceDetector`] flags wage parity held over a window.
//! * [`WageTable`] ships OEWS wages; [`OewsReader`] reads a newer file.
//! * Layer 2 (SPEC §6): [`ValueEstimator`] (a [`BayesianRidge`] that
//!   reproduces scikit-learn's) values a datapoint; [`kappa`] and
//!   [`TierThresholds`] discount and tier it; [`QuoteLog`] keeps premium
//!   quotes and their true-ups; [`Reconciliation`] reports per period.
//!   Its inputs: embedding novelty over an HNSW index ([`NoveltyIndex`],
//!   embeddings pluggable by [`TrajectoryEmbedding`]), coverage novelty
//!   ([`CoverageHistogram`]) and causal gain ([`information_gain`],
//!   [`error_reduction`], [`knn_shapley_gain`]).
//! * [`TaskConfig`] is the strict YAML task config (loaded with the
//!   `yaml_config` crate, which every crate uses for its own section).

mod config;
mod error;
mod metrics;
mod pricing;
mod reward;
mod valuation;
mod wages;

pub use config::*;
pub use error::{EconomicsError, Result};
pub use metrics::*;
pub use pricing::*;
pub use reward::*;
pub use valuation::*;
pub use wages::*;
