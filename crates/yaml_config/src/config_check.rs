//! Range checks run after a config section has been parsed; the first
//! violation becomes a located [`ConfigError`](crate::ConfigError).

use crate::config_error::ConfigError;
use crate::config_source::ConfigSource;

/// Collects range checks against one [`ConfigSource`], keeping the first
/// failure (checks run in file order, so the first error is the topmost).
pub struct ConfigCheck<'a> {
    source: &'a ConfigSource,
    first: Option<ConfigError>,
}

impl<'a> ConfigCheck<'a> {
    /// Checks against `source`, whose text locates each failing key.
    pub fn new(source: &'a ConfigSource) -> Self {
        Self {
            source,
            first: None,
        }
    }

    fn fail(&mut self, path: &str, expected: String) {
        if self.first.is_none() {
            self.first = Some(self.source.invalid(path, expected));
        }
    }

    /// A finite number `> 0`.
    pub fn positive(&mut self, path: &str, value: f64) {
        if !(value.is_finite() && value > 0.0) {
            self.fail(path, format!("a finite number > 0, got {value}"));
        }
    }

    /// A finite number `>= 0`.
    pub fn non_negative(&mut self, path: &str, value: f64) {
        if !(value.is_finite() && value >= 0.0) {
            self.fail(path, format!("a finite number >= 0, got {value}"));
        }
    }

    /// A number in the open interval (0, 1).
    pub fn open_unit(&mut self, path: &str, value: f64) {
        if !(value.is_finite() && value > 0.0 && value < 1.0) {
            self.fail(
                path,
                format!("a number in the open interval (0, 1), got {value}"),
            );
        }
    }

    /// A number in (0, 1].
    pub fn half_open_unit(&mut self, path: &str, value: f64) {
        if !(value.is_finite() && value > 0.0 && value <= 1.0) {
            self.fail(path, format!("a number in (0, 1], got {value}"));
        }
    }

    /// A number in [0, 1].
    pub fn closed_unit(&mut self, path: &str, value: f64) {
        if !(value.is_finite() && (0.0..=1.0).contains(&value)) {
            self.fail(path, format!("a number in [0, 1], got {value}"));
        }
    }

    /// An integer `>= min`.
    pub fn at_least(&mut self, path: &str, value: u64, min: u64) {
        if value < min {
            self.fail(path, format!("an integer >= {min}, got {value}"));
        }
    }

    /// A text that is not blank.
    pub fn non_empty(&mut self, path: &str, value: &str) {
        if value.trim().is_empty() {
            self.fail(path, "a non-empty name".to_owned());
        }
    }

    /// A relation between two keys; `message` says what was expected.
    pub fn require(&mut self, ok: bool, path: &str, message: impl FnOnce() -> String) {
        if !ok {
            self.fail(path, message());
        }
    }

    /// The first failure, if any.
    pub fn finish(self) -> Result<(), ConfigError> {
        match self.first {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
