//! Training runs: the run folder, its CSV logs and TensorBoard event files,
//! evaluation summaries, Ctrl-C as a flag, economics plots and reports, and
//! the one training [`Session`] that every learner drives (PPO on classic
//! control and on the labour tasks, behaviour cloning with DAgger; later
//! SAC, diffusion, the scheduler and the valuation loop).
//!
//! The library never prints and never exits: progress goes to a
//! [`Reporter`] the binary implements, failures are [`RunsError`]s.

mod error;
mod eval_summary;
mod event;
mod event_file;
mod learner;
mod metrics_csv;
#[cfg(feature = "plots")]
mod plot;
mod rgb_png;
mod run_dir;
mod run_logger;
mod session;
mod shutdown;
mod tensorboard_writer;
mod tf_record;

pub use error::{Cause, Result, RunsError};
pub use eval_summary::{EvalSummary, MeanCi};
pub use event::{ProtoValue, ProtoValueKind, SessionStartInfo, SummaryImage};
pub use event_file::{EventFile, ScalarPoint};
pub use learner::{EpisodeSeries, Evaluation, Iteration, Learner, Scalar};
pub use metrics_csv::{EVAL_COLUMNS, MetricsCsv, ResumeTrim, TRAINING_COLUMNS};
#[cfg(feature = "plots")]
pub use plot::*;
pub use rgb_png::encode_rgb_png;
pub use run_dir::{
    CHECKPOINTS_DIR, CONFIG_FILE, EVAL_FILE, RunDir, StagedRunDir, TRAINING_METRICS_FILE,
};
pub use run_logger::{ResumePoint, RunLogger, episode_row};
pub use session::{
    BestBy, Convergence, Ending, LAST_EPISODE_METRIC, PREVIOUS_MP_R_METRIC, Reporter, Session,
    SessionConfig, SessionEnd, Silent, Start,
};
pub use shutdown::{ABORT_EXIT_CODE, Interrupt, Shutdown};
pub use tensorboard_writer::{FILE_VERSION, HParam, RunStatus, TensorBoardWriter, hparams_of};
pub use tf_record::{TfRecordReader, masked_crc32c, write_record};
