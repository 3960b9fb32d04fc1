//! Typed errors of the environment crate.

use thiserror::Error;

/// Result alias for environment operations.
pub type Result<T> = std::result::Result<T, EnvError>;

/// Everything an environment can refuse. Never a panic on user input.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum EnvError {
    /// The action does not belong to the action space.
    #[error("invalid action for {env}: expected {expected}, got {got}")]
    InvalidAction {
        /// Environment id.
        env: String,
        /// What the action space accepts.
        expected: String,
        /// What was passed.
        got: String,
    },
    /// An observation buffer of the wrong length was passed.
    #[error("observation buffer for {env} has length {got}, expected {expected}")]
    ObservationBuffer {
        /// Environment id.
        env: String,
        /// Expected length (the observation space's size).
        expected: usize,
        /// Length passed.
        got: usize,
    },
    /// `step` was called before `reset`, or after the episode ended.
    #[error("{env}: step called {when}; call reset first")]
    NeedsReset {
        /// Environment id.
        env: String,
        /// "before reset" or "after the episode ended".
        when: &'static str,
    },
    /// No environment is registered under that id.
    #[error("unknown environment '{id}'; known: {known}")]
    UnknownEnv {
        /// The id asked for.
        id: String,
        /// Comma-separated registered ids.
        known: String,
    },
    /// An environment parameter is out of range.
    #[error("invalid parameter {field} for {env}: {message}")]
    InvalidParameter {
        /// Environment id.
        env: String,
        /// Parameter name or key path.
        field: String,
        /// What was expected.
        message: String,
    },
    /// A state given to `set_state`-like calls has the wrong size or values.
    #[error("invalid state for {env}: {message}")]
    InvalidState {
        /// Environment id.
        env: String,
        /// What was wrong.
        message: String,
    },
    /// The frozen base policy of a residual env failed to act.
    #[error("{env}: the base policy under the residual failed: {message}")]
    BasePolicy {
        /// Environment id.
        env: String,
        /// What went wrong.
        message: String,
    },
    /// An operation the environment does not offer (e.g. `set_state` on an
    /// env whose state cannot be set from outside).
    #[error("{env} does not support {operation}")]
    Unsupported {
        /// Environment id.
        env: String,
        /// The operation asked for.
        operation: &'static str,
    },
    /// An environment or wrapper configuration file could not be used.
    #[error("config {path}: {message}")]
    Config {
        /// The file.
        path: String,
        /// What was wrong (field and expectation).
        message: String,
    },
    /// A task config's `env:` section does not parse or is out of range
    /// (file, line, key path and what was expected).
    #[error(transparent)]
    TaskConfig(#[from] yaml_config::ConfigError),
    /// The environment produced a non-finite number where a finite one is
    /// required (reward, observation), or a wrapper statistic became
    /// non-finite.
    #[error("{env}: non-finite {what}")]
    NonFinite {
        /// Environment id.
        env: String,
        /// Which quantity.
        what: String,
    },
    /// A vector env was built from envs that do not agree, or asked for
    /// something its size does not allow.
    #[error("vector env: {message}")]
    VecEnv {
        /// What was wrong.
        message: String,
    },
    /// Saved normaliser statistics do not fit this normaliser.
    #[error("normaliser state: {message}")]
    NormalizerState {
        /// What was wrong.
        message: String,
    },
    /// The economic reward wrapper could not score an episode.
    #[error("economic reward for {env}: {message}")]
    Economics {
        /// Environment id.
        env: String,
        /// The economics error, rendered.
        message: String,
    },
    /// The environment checker found a violation of the API contract.
    #[error("check_env({env}) failed: {check}: {message}")]
    CheckFailed {
        /// Environment id.
        env: String,
        /// Which check.
        check: &'static str,
        /// What was observed.
        message: String,
    },
}
