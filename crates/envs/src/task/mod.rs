//! The labour-task and scripted-expert traits, the one path by which a
//! task config's `env:` section is read, and the one function that builds
//! a task config's economic vector env.

mod economic_venv;
mod env_yaml;
mod labour_task;
mod scripted_expert;

pub use economic_venv::{EconEnv, economic_env, economic_venv, task_env_from_yaml};
pub(crate) use env_yaml::{
    EnvYaml, LabourConfig, labour_config_methods, labour_env_from_path, labour_env_from_yaml,
};
pub use labour_task::{GRIP_ACTION, LABOUR_ACTION_DIM, LabourTask};
pub use scripted_expert::ScriptedExpert;
pub(crate) use scripted_expert::{scripted_expert, task_of};
