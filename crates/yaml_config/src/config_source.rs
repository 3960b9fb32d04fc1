//! Strict YAML loading shared by every crate that reads a task config.
//!
//! One task file holds sections owned by different crates (`task`,
//! `reward`, ... here; `env` in `envs`; `ppo` in `policies`). Each crate
//! parses the part it owns with the same rules and error quality:
//!
//! 1. The whole document is first read untyped: YAML syntax errors,
//!    duplicate keys and non-finite numbers (`.nan`, `.inf`) anywhere in the
//!    file are errors with line and column.
//! 2. The typed parse (your `#[serde(deny_unknown_fields)]` structs) reports
//!    unknown keys, missing keys and wrong types with the dotted key path
//!    (tracked by `serde_path_to_error`) and the parser's line and column.
//! 3. Range checks after parsing call [`ConfigSource::invalid`], which finds
//!    the key's line and column in the text.
//!
//! To parse only your own section, use [`ConfigSource::parse_section`]:
//!
//! ```
//! use yaml_config::ConfigSource;
//! #[derive(serde::Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct EnvConfig { num_dishes: u32 }
//!
//! let src = ConfigSource::from_text("inline.yaml", "task: {}\nenv:\n  num_dishes: 0\n");
//! let env: EnvConfig = src.parse_section("env").unwrap().unwrap();
//! assert_eq!(env.num_dishes, 0);
//! let err = src.invalid("env.num_dishes", "an integer >= 1, got 0");
//! assert_eq!(
//!     err.to_string(),
//!     "inline.yaml:3:15: env.num_dishes: expected an integer >= 1, got 0"
//! );
//! ```

use crate::config_error::{ConfigError, ConfigErrorKind};
use crate::yaml_locator::locate;
use serde::Deserialize as _;
use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_saphyr::MessageFormatter as _;
use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

/// A config file's name and text, kept together so every error can point
/// into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSource {
    file: String,
    text: String,
}

impl ConfigSource {
    /// Reads a file. An unreadable file is a [`ConfigErrorKind::Io`] error.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Self { file, text }),
            Err(e) => Err(ConfigError::new(
                file,
                "",
                ConfigErrorKind::Io,
                format!("cannot read the file: {e}"),
            )),
        }
    }

    /// Wraps text already in memory; `file` labels it in errors.
    pub fn from_text(file: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            text: text.into(),
        }
    }

    /// The file name as given.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The YAML text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Parses the whole document into `T` (strictly, see the module docs).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        self.check_document()?;
        let mut track = serde_path_to_error::Track::new();
        let result =
            serde_saphyr::with_deserializer_from_str_with_options(&self.text, options(), |de| {
                T::deserialize(serde_path_to_error::Deserializer::new(de, &mut track))
            });
        result.map_err(|e| self.yaml_error(&e, &track.path().to_string(), false))
    }

    /// Parses only the top-level `section` into `T`, skipping the other
    /// top-level keys (their owners check them). `Ok(None)` when the
    /// section is absent.
    pub fn parse_section<T: DeserializeOwned>(
        &self,
        section: &str,
    ) -> Result<Option<T>, ConfigError> {
        self.check_document()?;
        let mut track = serde_path_to_error::Track::new();
        let result =
            serde_saphyr::with_deserializer_from_str_with_options(&self.text, options(), |de| {
                let seed = SectionSeed::<T> {
                    name: section,
                    marker: PhantomData,
                };
                seed.deserialize(serde_path_to_error::Deserializer::new(de, &mut track))
            });
        result.map_err(|e| self.yaml_error(&e, &track.path().to_string(), false))
    }

    /// An out-of-range error for `key_path`, located in the text where the
    /// key can be found. `expected` completes "expected …", e.g.
    /// `"a finite number > 0, got -0.3"`.
    pub fn invalid(&self, key_path: &str, expected: impl fmt::Display) -> ConfigError {
        let err = ConfigError::new(
            self.file.clone(),
            key_path,
            ConfigErrorKind::OutOfRange,
            format!("expected {expected}"),
        );
        match locate(&self.text, key_path) {
            Some((line, column)) => err.at(line, column),
            None => err,
        }
    }

    /// Step 1 of the module docs: syntax, duplicate keys, non-finite
    /// numbers, and a mapping at the top level.
    fn check_document(&self) -> Result<(), ConfigError> {
        let mut track = serde_path_to_error::Track::new();
        let result =
            serde_saphyr::with_deserializer_from_str_with_options(&self.text, options(), |de| {
                serde_json::Value::deserialize(serde_path_to_error::Deserializer::new(
                    de, &mut track,
                ))
            });
        let value = match result {
            Ok(value) => value,
            Err(e) => return Err(self.yaml_error(&e, &track.path().to_string(), true)),
        };
        if value.is_object() {
            Ok(())
        } else {
            let got = match value {
                serde_json::Value::Null => "an empty document".to_owned(),
                serde_json::Value::Array(_) => "a sequence".to_owned(),
                other => format!("the scalar {other}"),
            };
            Err(ConfigError::new(
                self.file.clone(),
                "",
                ConfigErrorKind::WrongType,
                format!("expected a mapping of sections at the top level, got {got}"),
            )
            .at(1, 1))
        }
    }

    /// Turns a parser error into a [`ConfigError`].
    fn yaml_error(&self, err: &serde_saphyr::Error, raw_path: &str, untyped: bool) -> ConfigError {
        let message = serde_saphyr::DefaultMessageFormatter
            .format_message(err)
            .into_owned();
        let kind = if message.starts_with("unknown field") {
            ConfigErrorKind::UnknownKey
        } else if message.starts_with("missing field") {
            ConfigErrorKind::MissingKey
        } else if message.contains("non-finite") {
            ConfigErrorKind::NonFinite
        } else if untyped {
            ConfigErrorKind::Syntax
        } else {
            ConfigErrorKind::WrongType
        };
        let key_path = clean_path(raw_path);
        let message = match kind {
            ConfigErrorKind::WrongType if !message.contains("expected") => {
                format!("{message}: the value has the wrong type for this key")
            }
            ConfigErrorKind::NonFinite => {
                format!("{message}; expected a finite number")
            }
            _ => message,
        };
        let error = ConfigError::new(self.file.clone(), key_path, kind, message);
        match err.location() {
            Some(loc) => error.at(loc.line(), loc.column()),
            None => error,
        }
    }
}

/// Parser options: every YAML rule at its strict default (duplicate keys
/// and non-finite untyped floats rejected), booleans only as YAML 1.2
/// spells them (`true`/`false`, not `yes`/`on`), and no rendered snippet,
/// since [`ConfigError`] carries the location itself.
fn options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    options.strict_booleans = true;
    options
}

/// `serde_path_to_error` writes the root as `.` and an unknown map key as
/// `?`; keep only the named segments.
fn clean_path(raw: &str) -> String {
    raw.split('.')
        .filter(|segment| !segment.is_empty() && *segment != "?")
        .collect::<Vec<_>>()
        .join(".")
}

/// Deserialises one top-level key of a mapping into `T`, skipping the rest.
struct SectionSeed<'s, T> {
    name: &'s str,
    marker: PhantomData<T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for SectionSeed<'_, T> {
    type Value = Option<T>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for SectionSeed<'_, T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a mapping with a `{}` section", self.name)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == self.name {
                found = Some(map.next_value::<T>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        rate: f64,
        #[serde(default)]
        count: u32,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        inner: Inner,
    }

    fn src(text: &str) -> ConfigSource {
        ConfigSource::from_text("t.yaml", text)
    }

    #[test]
    fn unknown_key_names_its_full_path_and_position() {
        let e = src("inner:\n  rate: 1.0\n  rat: 2.0\n")
            .parse::<Outer>()
            .unwrap_err();
        assert_eq!(e.kind, ConfigErrorKind::UnknownKey);
        assert_eq!(e.key_path, "inner.rat");
        assert_eq!((e.line, e.column), (Some(3), Some(3)));
        assert!(e.message.contains("expected one of"), "{e}");
    }

    #[test]
    fn wrong_type_names_the_key_and_points_at_the_value() {
        let e = src("inner:\n  rate: fast\n").parse::<Outer>().unwrap_err();
        assert_eq!(e.kind, ConfigErrorKind::WrongType);
        assert_eq!(e.key_path, "inner.rate");
        assert_eq!((e.line, e.column), (Some(2), Some(9)));
    }

    #[test]
    fn non_finite_numbers_are_rejected_anywhere_in_the_file() {
        let e = src("inner:\n  rate: .nan\n").parse::<Outer>().unwrap_err();
        assert_eq!(e.kind, ConfigErrorKind::NonFinite);
        assert_eq!(e.key_path, "inner.rate");
        let e = src("inner:\n  rate: 1.0\nother:\n  x: [1, -.inf]\n")
            .parse_section::<Inner>("inner")
            .unwrap_err();
        assert_eq!(e.kind, ConfigErrorKind::NonFinite);
        assert_eq!(e.key_path, "other.x[1]");
        assert_eq!(e.line, Some(4));
    }

    #[test]
    fn duplicate_keys_are_syntax_errors() {
        let e = src("inner:\n  rate: 1.0\n  rate: 2.0\n")
            .parse::<Outer>()
            .unwrap_err();
        assert_eq!(e.kind, ConfigErrorKind::Syntax);
        assert_eq!(e.key_path, "inner");
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn non_mapping_documents_are_rejected() {
        for text in ["", "- 1\n- 2\n", "42\n"] {
            let e = src(text).parse::<Outer>().unwrap_err();
            assert_eq!(e.kind, ConfigErrorKind::WrongType, "{text:?}: {e}");
        }
    }

    #[test]
    fn section_parse_ignores_other_sections_and_reports_its_own_path() {
        let s = src("other:\n  anything: [1, 2]\ninner:\n  rate: 0.5\n");
        assert_eq!(
            s.parse_section::<Inner>("inner").unwrap(),
            Some(Inner {
                rate: 0.5,
                count: 0
            })
        );
        assert_eq!(s.parse_section::<Inner>("missing").unwrap(), None);
        let e = src("inner:\n  rate: 0.5\n  extra: 1\n")
            .parse_section::<Inner>("inner")
            .unwrap_err();
        assert_eq!(e.key_path, "inner.extra");
        assert_eq!(e.kind, ConfigErrorKind::UnknownKey);
    }

    #[test]
    fn missing_file_is_an_io_error_naming_the_file() {
        let e = ConfigSource::read("/nonexistent/dir/x.yaml").unwrap_err();
        assert_eq!(e.kind, ConfigErrorKind::Io);
        assert!(
            e.to_string()
                .starts_with("/nonexistent/dir/x.yaml: cannot read")
        );
    }
}
