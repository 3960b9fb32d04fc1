//! The error every config parse and check returns: file, key path,
//! line and column where known, and what was expected.

use std::fmt;

/// What kind of problem a config has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// The file could not be read.
    Io,
    /// The text is not valid YAML (or not a single YAML document), or has a
    /// duplicate key.
    Syntax,
    /// A key the schema does not know (misspelt or misplaced).
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// A value has the wrong type or is not one of the allowed words.
    WrongType,
    /// A number is NaN or infinite.
    NonFinite,
    /// A value has the right type but lies outside its valid range, or two
    /// values are inconsistent (e.g. tier thresholds out of order).
    OutOfRange,
}

/// A config problem, located as precisely as the parser allows.
///
/// Displays as `FILE:LINE:COLUMN: KEY.PATH: message`, leaving out the
/// parts that are not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file as given (or a label such as `<inline>`).
    pub file: String,
    /// Dotted key path, e.g. `reward.alpha_initial`; empty for the whole
    /// document.
    pub key_path: String,
    /// 1-based line, where known.
    pub line: Option<u64>,
    /// 1-based column, where known.
    pub column: Option<u64>,
    /// The kind of problem.
    pub kind: ConfigErrorKind,
    /// What was wrong and what was expected.
    pub message: String,
}

impl ConfigError {
    /// An error with no location yet.
    pub fn new(
        file: impl Into<String>,
        key_path: impl Into<String>,
        kind: ConfigErrorKind,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            key_path: key_path.into(),
            line: None,
            column: None,
            kind,
            message: message.into(),
        }
    }

    /// The same error at `line:column` (1-based).
    pub fn at(mut self, line: u64, column: u64) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, ":{l}:{c}")?,
            (Some(l), None) => write!(f, ":{l}")?,
            _ => {}
        }
        if !self.key_path.is_empty() {
            write!(f, ": {}", self.key_path)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_error_displays_file_line_column_and_key_path() {
        let e = ConfigError::new(
            "configs/x.yaml",
            "reward.alpha_initial",
            ConfigErrorKind::OutOfRange,
            "expected a finite number >= 0, got -1",
        )
        .at(12, 18);
        assert_eq!(
            e.to_string(),
            "configs/x.yaml:12:18: reward.alpha_initial: expected a finite number >= 0, got -1"
        );
        let no_loc = ConfigError::new("f.yaml", "", ConfigErrorKind::Io, "not found");
        assert_eq!(no_loc.to_string(), "f.yaml: not found");
    }
}
