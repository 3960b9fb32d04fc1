//! Typed errors of the `runs` crate. Every failure names what it was doing
//! (the file, the column, the learner step) and keeps its cause as the
//! error's `source`, so the binary can print the whole chain.

use thiserror::Error;

/// Result alias for run-folder, log and session operations.
pub type Result<T, E = RunsError> = std::result::Result<T, E>;

/// The cause of a failure, boxed: I/O, CSV, protobuf, a learner's own error.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything the `runs` crate can refuse or fail at.
#[derive(Debug, Error)]
pub enum RunsError {
    /// An operation failed; `context` says which (with the file), `source`
    /// why.
    Context {
        /// What was being done, e.g. `reading runs/x/eval.csv`.
        context: String,
        /// Why it failed.
        #[source]
        source: Cause,
    },
    /// A file, argument or state that does not satisfy the protocol: a run
    /// folder without `config.yaml`, a CSV with the wrong header, a
    /// non-finite metric.
    Invalid(String),
    /// The learner a session drives failed.
    Learner(#[source] Cause),
}

/// `{}` shows this error alone; `{:#}` adds every cause, one `: ` apart
/// (as `anyhow` does), for messages that must stand on one line.
impl std::fmt::Display for RunsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunsError::Context { context, .. } => f.write_str(context)?,
            RunsError::Invalid(message) => f.write_str(message)?,
            RunsError::Learner(cause) => write!(f, "learner: {cause}")?,
        }
        if f.alternate() {
            let mut cause = std::error::Error::source(self);
            if matches!(self, RunsError::Learner(_)) {
                // Already shown above.
                cause = cause.and_then(|c| c.source());
            }
            while let Some(c) = cause {
                write!(f, ": {c}")?;
                cause = c.source();
            }
        }
        Ok(())
    }
}

impl RunsError {
    /// Wraps a learner's error.
    pub fn learner(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Learner(Box::new(e))
    }
}

impl From<std::io::Error> for RunsError {
    fn from(e: std::io::Error) -> Self {
        Self::Context {
            context: "I/O".to_owned(),
            source: Box::new(e),
        }
    }
}

/// `anyhow`-style context on any fallible result: the error becomes the
/// source of a [`RunsError::Context`].
pub(crate) trait Context<T> {
    /// Wraps the error with `context`.
    fn context(self, context: impl Into<String>) -> Result<T>;
    /// Wraps the error with a lazily built context.
    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> Context<T> for std::result::Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|e| RunsError::Context {
            context: context.into(),
            source: Box::new(e),
        })
    }
    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| RunsError::Context {
            context: f().into(),
            source: Box::new(e),
        })
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.ok_or_else(|| RunsError::Invalid(context.into()))
    }
    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> Result<T> {
        self.ok_or_else(|| RunsError::Invalid(f().into()))
    }
}

/// Returns early with a [`RunsError::Invalid`] built like `format!`.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::RunsError::Invalid(format!($($arg)*)))
    };
}

/// Returns early with a [`RunsError::Invalid`] unless the condition holds.
macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            $crate::error::bail!($($arg)*);
        }
    };
}

pub(crate) use {bail, ensure};
