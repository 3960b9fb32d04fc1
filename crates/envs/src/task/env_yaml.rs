//! The one path by which a labour task's config is read: the `env:`
//! section of a task YAML file, parsed strictly (unknown keys are errors
//! naming the key and the file), then range-checked by the config's own
//! `validate`, whose errors are mapped back to the key's place in the file.
//! This is the only use of the config-source parser in this crate.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::{Env, EnvError, LabourTask, Result};

/// The strict YAML parser with file and line context.
use yaml_config::{ConfigCheck, ConfigError, ConfigSource};

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
        check: fn(&C, &mut ConfigCheck<'_>),
    ) -> Result<C> {
        let source = match self {
            EnvYaml::Path(path) => ConfigSource::read(path).map_err(config_error)?,
            EnvYaml::Text { text, file } => ConfigSource::from_text(file, text),
        };
        let cfg = source
            .parse_section::<C>("env")
            .map_err(config_error)?
            .unwrap_or_default();
        let mut c = ConfigCheck::new(&source);
        check(&cfg, &mut c);
        c.finish().map_err(config_error)?;
        Ok(cfg)
    }
}

/// A labour task's config as the registry builds envs from it.
pub(crate) trait LabourConfig: DeserializeOwned + Default {
    /// The config's range checks.
    fn check(&self, c: &mut ConfigCheck<'_>);

    /// The task's env with these parameters.
    fn into_task(self) -> Result<Box<dyn LabourTask>>;
}

/// The task env of config `C` from the task YAML at `config` (the
/// defaults without one): a registry entry point.
pub(crate) fn labour_env_from_path<C: LabourConfig>(config: Option<&Path>) -> Result<Box<dyn Env>> {
    match config {
        Some(path) => EnvYaml::Path(path).parse(C::check)?,
        None => C::default(),
    }
    .into_task()
    .map(|t| t as Box<dyn Env>)
}

/// The task env of config `C` from task YAML text (`file` names it in
/// errors): a registry builder.
pub(crate) fn labour_env_from_yaml<C: LabourConfig>(
    text: &str,
    file: &str,
) -> Result<Box<dyn LabourTask>> {
    EnvYaml::Text { text, file }.parse(C::check)?.into_task()
}

/// The methods every labour task config `$config` shares: the
/// `from_yaml_path` and `from_yaml_str` constructors, both through
/// [`EnvYaml::parse`] and the config's own `validate(&self) -> Result<()>`,
/// and `params()`, the fields the pick-and-place core reads (the config's
/// processing time is its field `$process_time`). The configs keep these
/// fields flat, as their YAML `env:` sections have them. Also implements
/// [`LabourConfig`] with the task's env `$env`.
macro_rules! labour_config_methods {
    ($config:ty, env: $env:ty, process_time: $process_time:ident) => {
        impl $crate::task::LabourConfig for $config {
            fn check(&self, c: &mut yaml_config::ConfigCheck<'_>) {
                <$config>::check(self, c)
            }
            fn into_task(self) -> $crate::Result<Box<dyn $crate::LabourTask>> {
                Ok(Box::new(<$env>::new(self)?))
            }
        }

        impl $config {
            /// Reads the `env:` section of a task YAML file (e.g.
            /// `configs/<task>.yaml`) strictly and validates it; errors
            /// name the file, the key path and, where known, the line.
            pub fn from_yaml_path(path: &std::path::Path) -> $crate::Result<Self> {
                $crate::task::EnvYaml::Path(path).parse(Self::check)
            }

            /// Like `from_yaml_path` for text in memory; `file` labels it
            /// in errors.
            pub fn from_yaml_str(text: &str, file: &str) -> $crate::Result<Self> {
                $crate::task::EnvYaml::Text { text, file }.parse(Self::check)
            }

            /// Checks every field's range (the config's `check`, with no
            /// file to locate the keys in); the error names the key.
            pub fn validate(&self) -> $crate::Result<()> {
                let mut c =
                    yaml_config::ConfigCheck::detached(concat!(stringify!($config), " (env:)"));
                self.check(&mut c);
                Ok(c.finish()?)
            }

            /// The parameters the pick-and-place core shares with other tasks.
            pub fn params(&self) -> $crate::PickPlaceParams {
                $crate::PickPlaceParams {
                    control_period_s: self.control_period_s,
                    physics_substeps: self.physics_substeps,
                    episode_seconds: self.episode_seconds,
                    settle_time_s: self.settle_time_s,
                    process_time_s: self.$process_time,
                    max_speed_m_s: self.max_speed_m_s,
                    max_yaw_rate_rad_s: self.max_yaw_rate_rad_s,
                    shaping_weight: self.shaping_weight,
                }
            }
        }
    };
}
pub(crate) use labour_config_methods;

fn config_error(e: ConfigError) -> EnvError {
    EnvError::TaskConfig(e)
}
