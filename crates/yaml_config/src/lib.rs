//! Strict YAML configs with errors that point at the key: the loader every
//! crate uses for its own section of a task config or run config.
//!
//! Loading is three steps: (1) the whole document is read untyped, which
//! rejects YAML syntax errors, duplicate keys and non-finite numbers
//! anywhere in the file; (2) the typed parse (`serde`, unknown keys denied
//! by the config types) reports unknown or missing keys and wrong types with
//! the dotted key path; (3) range checks run on the parsed values through
//! one helper, [`ConfigCheck`], and [`ConfigSource::invalid`] finds the
//! key's line in the text. Every failure is a [`ConfigError`] shown as
//! `FILE:LINE:COL: key.path: message`.
//!
//! ```
//! use yaml_config::{ConfigCheck, ConfigSource};
//! #[derive(serde::Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct Net { d_hidden: u64, lr: f64 }
//! let source = ConfigSource::from_text("net.yaml", "net:\n  d_hidden: 64\n  lr: -1.0\n");
//! let net: Net = source.parse_section("net")?.expect("present");
//! let mut c = ConfigCheck::new(&source);
//! c.at_least("net.d_hidden", net.d_hidden, 1);
//! c.positive("net.lr", net.lr);
//! let err = c.finish().unwrap_err();
//! assert_eq!(err.to_string(), "net.yaml:3:7: net.lr: expected a finite number > 0, got -1");
//! # Ok::<(), yaml_config::ConfigError>(())
//! ```

mod config_check;
mod config_error;
mod config_source;
mod yaml_locator;

pub use config_check::ConfigCheck;
pub use config_error::{ConfigError, ConfigErrorKind};
pub use config_source::ConfigSource;

use std::path::Path;

/// Parses YAML text strictly into any `T` (see [`ConfigSource`]); `file`
/// labels the text in errors.
pub fn from_yaml_str<T: serde::de::DeserializeOwned>(
    text: &str,
    file: impl Into<String>,
) -> Result<T, ConfigError> {
    ConfigSource::from_text(file, text).parse()
}

/// Reads and parses a YAML file strictly into any `T`.
pub fn from_yaml_path<T: serde::de::DeserializeOwned>(
    path: impl AsRef<Path>,
) -> Result<T, ConfigError> {
    ConfigSource::read(path)?.parse()
}
