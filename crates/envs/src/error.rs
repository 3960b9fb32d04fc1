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
}
