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
//! * [`TaskConfig`] is the strict YAML task config; [`from_yaml_str`] and
//!   friends let other crates parse their own sections of the same file
//!   with the same error quality ([`ConfigError`]).

mod convergence_detector;
mod curriculum;
mod dense_wage_reward;
mod economic_reward;
mod episode_metrics;
mod episode_outcome;
mod episode_record;
mod episode_scorer;
mod error;
mod occupation_code;
mod reward_components;
mod reward_weights;
mod schedule;
mod task_economics;
mod wage_loss;

pub use convergence_detector::{
    ConvergenceDetector, DEFAULT_DELTA, DEFAULT_EPSILON, DEFAULT_EVAL_WINDOW,
};
pub use curriculum::Curriculum;
pub use dense_wage_reward::DenseWageReward;
pub use economic_reward::{DEFAULT_DELTA_MP_CLIP, EconomicReward};
pub use episode_metrics::EpisodeMetrics;
pub use episode_outcome::EpisodeOutcome;
pub use episode_record::EpisodeRecord;
pub use episode_scorer::{EpisodeScorer, ScoredEpisode};
pub use error::{EconomicsError, Result};
pub use occupation_code::OccupationCode;
pub use reward_components::RewardComponents;
pub use reward_weights::RewardWeights;
pub use schedule::Schedule;
pub use task_economics::TaskEconomics;
pub use wage_loss::WageLoss;
