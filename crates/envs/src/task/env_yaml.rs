//! The one path by which a labour task's config is read: the `env:`
//! section of a task YAML file, parsed strictly (unknown keys are errors
//! naming the key and the file), then range-checked by the config's own
//! `validate`, whose errors are mapped back to the key's place in the file.
//! This is the only use of the config-source parser in this crate.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::{EnvError, Result};

/// The strict YAML parser with file and line context.
use economics::{ConfigError, ConfigSource};

/// Where a task config's text comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum EnvYaml<'a> {
    /// A file on disk.
    Path(&'a Path),
    /// Text in memory; `file` labels it in errors.
    Text {
        /// The YAML text.
        text: &'a str,
        /// Its name in errors.
        file: &'a str,
    },
}

impl EnvYaml<'_> {
    /// The `env:` section as a `C` (its defaults where the section or a
    /// key is absent), checked by `validate`.
    pub(crate) fn parse<C: DeserializeOwned + Default>(
        self,
        validate: fn(&C) -> Result<()>,
    ) -> Result<C> {
        let source = match self {
            EnvYaml::Path(path) => ConfigSource::read(path).map_err(config_error)?,
            EnvYaml::Text { text, file } => ConfigSource::from_text(file, text),
        };
        let cfg = source
            .parse_section::<C>("env")
            .map_err(config_error)?
            .unwrap_or_default();
        validate(&cfg).map_err(|e| match e {
            EnvError::InvalidParameter { field, message, .. } => {
                config_error(source.invalid(&field, message))
            }
            other => other,
        })?;
        Ok(cfg)
    }
}

/// The `from_yaml_path` and `from_yaml_str` constructors of the task
/// config `$config` (which has `validate(&self) -> Result<()>`), both
/// through [`EnvYaml::parse`].
macro_rules! env_yaml_constructors {
    ($config:ty) => {
        impl $config {
            /// Reads the `env:` section of a task YAML file (e.g.
            /// `configs/<task>.yaml`) strictly and validates it; errors
            /// name the file, the key path and, where known, the line.
            pub fn from_yaml_path(path: &std::path::Path) -> $crate::Result<Self> {
                $crate::task::EnvYaml::Path(path).parse(Self::validate)
            }

            /// Like `from_yaml_path` for text in memory; `file` labels it
            /// in errors.
            pub fn from_yaml_str(text: &str, file: &str) -> $crate::Result<Self> {
                $crate::task::EnvYaml::Text { text, file }.parse(Self::validate)
            }
        }
    };
}
pub(crate) use env_yaml_constructors;

fn config_error(e: ConfigError) -> EnvError {
    EnvError::InvalidParameter {
        env: "config".to_string(),
        field: "env".to_string(),
        message: e.to_string(),
    }
}
