//! Run outputs: the run folder, its CSV logs, TensorBoard event files, the
//! progress bar and the Ctrl-C handling of a training run.

mod eval_summary;
mod event;
mod event_file;
mod metrics_csv;
mod progress;
mod rgb_png;
mod run_dir;
mod run_logger;
mod shutdown;
mod tensorboard_writer;
mod tf_record;

pub use eval_summary::{EvalSummary, MeanCi};
pub use event::{ProtoValue, ProtoValueKind, SessionStartInfo, SummaryImage};
pub use event_file::{EventFile, ScalarPoint};
pub use metrics_csv::{EVAL_COLUMNS, MetricsCsv, ResumeTrim, TRAINING_COLUMNS};
pub use progress::{Progress, status_message, steps_per_second};
pub use rgb_png::encode_rgb_png;
pub use run_dir::{
    CHECKPOINTS_DIR, CONFIG_FILE, EVAL_FILE, RunDir, StagedRunDir, TRAINING_METRICS_FILE,
};
pub use run_logger::{ResumePoint, RunLogger, episode_row};
pub use shutdown::{ABORT_EXIT_CODE, Shutdown};
pub use tensorboard_writer::{FILE_VERSION, HParam, RunStatus, TensorBoardWriter};
pub use tf_record::{TfRecordReader, masked_crc32c, write_record};
