//! Data valuation, layer 2 (SPEC §6): a Bayesian ridge that reproduces
//! scikit-learn's, the rolling estimator of a datapoint's ΔMPL with its
//! interval, κ, value per hour and tier, and per-tier statistics; the
//! inputs it is fed: embedding novelty over an HNSW index
//! ([`NoveltyIndex`]) of pluggable trajectory embeddings, coverage novelty
//! ([`CoverageHistogram`]), and causal gain ([`information_gain`],
//! [`error_reduction`], KNN-Shapley); tier-threshold strategies compared
//! on held-out data, the analysis of a data-value log (Spearman ρ, MAE,
//! tier monotonicity) and a generative model of datapoints for simulation.

mod bayesian_ridge;
mod causal_gain;
mod data_value_analysis;
mod datapoint_model;
mod embedding;
mod embedding_first_layer;
mod embedding_stats;
mod kappa;
mod knn_shapley;
mod normal_quantile;
mod novelty_coverage;
mod novelty_knn;
mod spearman;
mod tier_stats;
mod tier_strategies;
mod tier_thresholds;
mod trajectory;
mod valuation_history;
mod value_estimator;

pub use bayesian_ridge::{BayesianRidge, BayesianRidgeConfig};
pub use causal_gain::{error_reduction, information_gain, knn_shapley_gain};
pub use data_value_analysis::{DataValueAnalysis, DataValueRecord, TierValue, read_data_value_log};
pub use datapoint_model::{DatapointModelConfig, SyntheticDatapoint};
pub use embedding::TrajectoryEmbedding;
pub use embedding_first_layer::{Activation, FirstLayerEmbedding};
pub use embedding_stats::TrajectoryStatsEmbedding;
pub use kappa::kappa;
pub use knn_shapley::{knn_shapley_classification, knn_shapley_regression};
pub use normal_quantile::{normal_quantile, two_sided_z};
pub use novelty_coverage::CoverageHistogram;
pub use novelty_knn::{NoveltyIndex, NoveltyIndexConfig, exact_nearest};
pub use spearman::{average_ranks, spearman};
pub use tier_stats::{TierStats, TierSummary};
pub use tier_strategies::{
    FIXED_RATIOS, LabelledDatapoint, Monotonicity, STRATEGY_COLUMNS, StrategyReport, TierStrategy,
    compare_tier_strategies, label_prequential, quantile, strategies_csv, strategies_markdown,
    synthetic_rows,
};
pub use tier_thresholds::TierThresholds;
pub use trajectory::Trajectory;
pub use valuation_history::{HISTORY_COLUMNS, read_valuation_history};
pub use value_estimator::{ValuationRow, ValueEstimate, ValueEstimator};
