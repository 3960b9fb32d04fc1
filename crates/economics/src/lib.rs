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
//! * [`TaskConfig`] is the strict YAML task config (loaded with the
//!   `yaml_config` crate, which every crate uses for its own section).

mod convergence_config;
mod convergence_detector;
mod curriculum;
mod data_valuation_config;
mod dense_wage_reward;
mod economic_reward;
mod episode_metrics;
mod episode_outcome;
mod episode_record;
mod episode_scorer;
mod error;
mod occupation_code;
mod oews_reader;
mod pricing_config;
mod reward_components;
mod reward_config;
mod reward_weights;
mod schedule;
mod sharing_status;
mod task_config;
mod task_economics;
mod task_section;
mod training_config;
mod wage_entry;
mod wage_figure;
mod wage_loss;
mod wage_table;

pub use convergence_config::ConvergenceConfig;
pub use convergence_detector::{
    ConvergenceDetector, DEFAULT_DELTA, DEFAULT_EPSILON, DEFAULT_EVAL_WINDOW,
};
pub use curriculum::Curriculum;
pub use data_valuation_config::DataValuationConfig;
pub use dense_wage_reward::DenseWageReward;
pub use economic_reward::{DEFAULT_DELTA_MP_CLIP, EconomicReward};
pub use episode_metrics::EpisodeMetrics;
pub use episode_outcome::EpisodeOutcome;
pub use episode_record::EpisodeRecord;
pub use episode_scorer::{EpisodeScorer, ScoredEpisode};
pub use error::{EconomicsError, Result};
pub use occupation_code::OccupationCode;
pub use oews_reader::OewsReader;
pub use pricing_config::PricingConfig;
pub use reward_components::RewardComponents;
pub use reward_config::RewardConfig;
pub use reward_weights::RewardWeights;
pub use schedule::Schedule;
pub use sharing_status::SharingStatus;
pub use task_config::TaskConfig;
pub use task_economics::TaskEconomics;
pub use task_section::TaskSection;
pub use training_config::{Algorithm, TrainingConfig};
pub use wage_entry::WageEntry;
pub use wage_figure::WageFigure;
pub use wage_loss::WageLoss;
pub use wage_table::WageTable;
