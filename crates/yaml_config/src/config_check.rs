//! Range checks run after a config section has been parsed; the first
//! violation becomes a [`ConfigError`](crate::ConfigError), located in the
//! file's text when the check has the file, named by its key path always.
//!
//! Every config type of every crate checks its ranges with this one helper,
//! so a range reads and reports the same way everywhere.

use crate::config_error::ConfigError;
use crate::config_source::ConfigSource;

/// Collects range checks, keeping the first failure (checks run in file
/// order, so the first error is the topmost).
pub struct ConfigCheck<'a> {
    origin: Origin<'a>,
    first: Option<ConfigError>,
}

/// Where the checked values came from.
enum Origin<'a> {
    /// A file whose text locates each key.
    Source(&'a ConfigSource),
    /// Values built in code or taken from a checkpoint: errors name the
    /// label and the key path.
    Detached(String),
}

impl<'a> ConfigCheck<'a> {
    /// Checks against `source`, whose text locates each failing key.
    pub fn new(source: &'a ConfigSource) -> Self {
        Self {
            origin: Origin::Source(source),
            first: None,
        }
    }

    /// Checks values that have no file at hand; errors name `label` (e.g.
    /// `ppo config`) and the key path.
    pub fn detached(label: impl Into<String>) -> Self {
        Self {
            origin: Origin::Detached(label.into()),
            first: None,
        }
    }

    fn fail(&mut self, path: &str, expected: String) {
        if self.first.is_none() {
            self.first = Some(match &self.origin {
                Origin::Source(source) => source.invalid(path, expected),
                Origin::Detached(label) => ConfigError::new(
                    label.clone(),
                    path,
                    crate::ConfigErrorKind::OutOfRange,
                    format!("expected {expected}"),
                ),
            });
        }
    }

    /// A finite number.
    pub fn finite(&mut self, path: &str, value: f64) {
        if !value.is_finite() {
            self.fail(path, format!("a finite number, got {value}"));
        }
    }

    /// A number in the closed interval `[lo, hi]`.
    pub fn within(&mut self, path: &str, value: f64, lo: f64, hi: f64) {
        if !(value.is_finite() && (lo..=hi).contains(&value)) {
            self.fail(path, format!("a number in [{lo}, {hi}], got {value}"));
        }
    }

    /// A number in `(0, hi]`.
    pub fn positive_at_most(&mut self, path: &str, value: f64, hi: f64) {
        if !(value.is_finite() && value > 0.0 && value <= hi) {
            self.fail(path, format!("a number in (0, {hi}], got {value}"));
        }
    }

    /// An integer in `[lo, hi]`.
    pub fn int_within(&mut self, path: &str, value: u64, lo: u64, hi: u64) {
        if !(lo..=hi).contains(&value) {
            self.fail(path, format!("an integer from {lo} to {hi}, got {value}"));
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

    /// Whether a check has failed so far (later checks may depend on
    /// earlier ones holding).
    pub fn failed(&self) -> bool {
        self.first.is_some()
    }

    /// The first failure, if any.
    pub fn finish(self) -> Result<(), ConfigError> {
        match self.first {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
