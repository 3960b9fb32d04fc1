//! Errors of the `policies` crate.

use std::path::PathBuf;

/// Everything that can go wrong while building, training, saving or loading
/// a policy.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A configuration value is out of range or inconsistent.
    #[error("invalid config: `{field}`: {reason}")]
    InvalidConfig {
        /// Dotted path of the offending field, e.g. `ppo.clip_coef`.
        field: String,
        /// What was expected.
        reason: String,
    },

    /// A YAML config does not parse (the message names file, key and line).
    #[error(transparent)]
    Config(#[from] yaml_config::ConfigError),

    /// A run's logs or evaluation summary could not be written or computed.
    #[error(transparent)]
    Runs(#[from] runs::RunsError),

    /// The task economics refused a value (a non-finite metric).
    #[error(transparent)]
    Economics(#[from] economics::EconomicsError),

    /// The environment's spaces cannot be handled by this learner.
    #[error("unsupported space: {0}")]
    UnsupportedSpace(String),

    /// The environment failed.
    #[error("environment error: {0}")]
    Env(#[from] envs::EnvError),

    /// A number became NaN or infinite (loss, gradient, observation).
    #[error("non-finite value in {0}")]
    NonFinite(String),

    /// The requested device cannot be used.
    #[error("device `{device}` unavailable: {reason}")]
    Device {
        /// The device that was asked for, e.g. `cuda:0`.
        device: String,
        /// Why it cannot be used.
        reason: String,
    },

    /// A dataset is empty, ragged or inconsistent with the network.
    #[error("invalid dataset: {0}")]
    Dataset(String),

    /// Parameters do not fit a network (missing name or other shape).
    #[error("parameter mismatch: {0}")]
    ParamMismatch(String),

    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// A checkpoint is truncated, corrupt or does not parse.
    #[error("corrupt checkpoint {path}: {reason}")]
    CorruptCheckpoint {
        /// The file that failed the check.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },

    /// A checkpoint is intact but does not fit what it is being loaded into
    /// (another env, algorithm or network shape).
    #[error("checkpoint {path} does not match: {reason}")]
    CheckpointMismatch {
        /// The checkpoint's sidecar file.
        path: PathBuf,
        /// What differs, with both values.
        reason: String,
    },
}

/// Result with [`PolicyError`].
pub type Result<T> = std::result::Result<T, PolicyError>;

impl PolicyError {
    /// Shorthand for [`PolicyError::InvalidConfig`].
    pub(crate) fn config(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidConfig {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`PolicyError::Io`].
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
