//! Data valuation, layer 2 (SPEC §6): a Bayesian ridge that reproduces
//! scikit-learn's, the rolling estimator of a datapoint's ΔMPL with its
//! interval, κ, value per hour and tier, and per-tier statistics.

mod bayesian_ridge;
mod kappa;
mod normal_quantile;
mod tier_stats;
mod tier_thresholds;
mod valuation_history;
mod value_estimator;

pub use bayesian_ridge::{BayesianRidge, BayesianRidgeConfig};
pub use kappa::kappa;
pub use normal_quantile::{normal_quantile, two_sided_z};
pub use tier_stats::{TierStats, TierSummary};
pub use tier_thresholds::TierThresholds;
pub use valuation_history::{HISTORY_COLUMNS, read_valuation_history};
pub use value_estimator::{ValuationRow, ValueEstimate, ValueEstimator};
