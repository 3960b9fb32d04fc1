//! The scripted-expert trait and the one path by which a task config's
//! `env:` section is read.

mod env_yaml;
mod scripted_expert;

pub(crate) use env_yaml::{
    EnvYaml, LabourConfig, labour_config_methods, labour_env_from_path, labour_env_from_yaml,
};
pub use scripted_expert::ScriptedExpert;
pub(crate) use scripted_expert::{scripted_expert, task_of};
