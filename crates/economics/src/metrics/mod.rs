//! Layer-1 metrics of an episode (SPEC §2): task economics and outcome in, MP_r, e, ŵ_r and parities out; the convergence detector over evaluations.

mod convergence_detector;
mod episode_metrics;
mod episode_outcome;
mod episode_record;
mod task_economics;

pub use convergence_detector::{
    ConvergenceDetector, DEFAULT_DELTA, DEFAULT_EPSILON, DEFAULT_EVAL_WINDOW,
};
pub use episode_metrics::EpisodeMetrics;
pub use episode_outcome::EpisodeOutcome;
pub use episode_record::EpisodeRecord;
pub use task_economics::TaskEconomics;
