//! The registry of environment ids: `make("CartPole-v1")` as
//! `gymnasium.make` does, time limit included.
//!
//! Each entry names an id, an optional step limit (applied with
//! [`TimeLimit`]) and a constructor that receives the optional task config
//! file path: classic control takes none; the labour tasks read their task
//! YAML (episode length, physics parameters) from it. To add an env, add one
//! [`EnvSpec`] to `REGISTRY`.

use crate::task::{labour_env_from_path, labour_env_from_yaml};
use crate::{CartPole, Env, EnvError, LabourTask, Pendulum, Result, ScriptedExpert, TimeLimit};
use std::path::Path;

/// Builds a labour task's env from the `env:` section of a task config's
/// text (`file` names it in errors).
pub type TaskFromYaml = fn(&str, &str) -> Result<Box<dyn LabourTask>>;

/// Builds a labour task's scripted expert at a skill in [0, 1] with its own
/// random stream (seed).
pub type ExpertFactory = fn(f32, u64) -> Box<dyn ScriptedExpert>;

/// One registered environment.
#[derive(Debug, Clone, Copy)]
pub struct EnvSpec {
    /// The id `make` takes, e.g. `CartPole-v1`.
    pub id: &'static str,
    /// One line for `vp env list`.
    pub description: &'static str,
    /// Step limit `make` applies with [`TimeLimit`] (`None`: the env or its
    /// config handles episode length itself).
    pub max_episode_steps: Option<u32>,
    /// Mean return at which the env counts as solved (Gymnasium's
    /// `reward_threshold`), if it has one.
    pub reward_threshold: Option<f64>,
    /// Whether the env reads a task config file (`make_with_config`).
    pub takes_config: bool,
    /// Builds the bare env from the optional config path.
    pub entry_point: fn(Option<&Path>) -> Result<Box<dyn Env>>,
    /// Labour tasks: builds the env from the `env:` section of a task
    /// config's text (`file` names it in errors).
    pub task_from_yaml: Option<TaskFromYaml>,
    /// Labour tasks: the scripted expert at a skill in [0, 1] with its own
    /// random stream (seed).
    pub expert: Option<ExpertFactory>,
}

const REGISTRY: &[EnvSpec] = &[
    EnvSpec {
        id: "CartPole-v1",
        description: "Gymnasium cart-pole balancing, Discrete(2), 500 steps",
        max_episode_steps: Some(500),
        reward_threshold: Some(475.0),
        takes_config: false,
        entry_point: |config| {
            no_config("CartPole-v1", config).map(|()| Box::new(CartPole::new()) as Box<dyn Env>)
        },
        task_from_yaml: None,
        expert: None,
    },
    EnvSpec {
        id: "Pendulum-v1",
        description: "Gymnasium pendulum swing-up, Box([-2], [2]), 200 steps",
        max_episode_steps: Some(200),
        reward_threshold: None,
        takes_config: false,
        entry_point: |config| {
            no_config("Pendulum-v1", config).map(|()| Box::new(Pendulum::new()) as Box<dyn Env>)
        },
        task_from_yaml: None,
        expert: None,
    },
    EnvSpec {
        id: "dishwashing",
        description: "rapier3d sink → wash zone → drying rack, Box([-1,1]^5), task YAML env: section",
        max_episode_steps: None,
        reward_threshold: None,
        takes_config: true,
        entry_point: labour_env_from_path::<crate::DishwashingConfig>,
        task_from_yaml: Some(labour_env_from_yaml::<crate::DishwashingConfig>),
        expert: Some(|skill, seed| Box::new(crate::DishwashingExpert::new(skill, seed))),
    },
    EnvSpec {
        id: "bricklaying",
        description: "rapier3d pallet → mortar board → running-bond wall, Box([-1,1]^5), task YAML env: section",
        max_episode_steps: None,
        reward_threshold: None,
        takes_config: true,
        entry_point: labour_env_from_path::<crate::BricklayingConfig>,
        task_from_yaml: Some(labour_env_from_yaml::<crate::BricklayingConfig>),
        expert: Some(|skill, seed| Box::new(crate::BricklayingExpert::new(skill, seed))),
    },
];

fn no_config(id: &str, config: Option<&Path>) -> Result<()> {
    match config {
        None => Ok(()),
        Some(path) => Err(EnvError::Config {
            path: path.display().to_string(),
            message: format!("{id} takes no config file"),
        }),
    }
}

/// Every registered env.
pub fn registry() -> &'static [EnvSpec] {
    REGISTRY
}

/// The registered ids, in registration order.
pub fn registered_ids() -> Vec<&'static str> {
    REGISTRY.iter().map(|s| s.id).collect()
}

/// The entry for `id`, or [`EnvError::UnknownEnv`] listing the known ids.
pub fn spec(id: &str) -> Result<&'static EnvSpec> {
    REGISTRY
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| EnvError::UnknownEnv {
            id: id.to_string(),
            known: registered_ids().join(", "),
        })
}

/// The labour task `id` built from the `env:` section of a task config's
/// text `yaml` (defaults where it has none); `file` names it in errors.
/// An env that is not a labour task is [`EnvError::Unsupported`].
pub fn make_task(id: &str, yaml: &str, file: &str) -> Result<Box<dyn LabourTask>> {
    let build = spec(id)?
        .task_from_yaml
        .ok_or_else(|| EnvError::Unsupported {
            env: id.to_string(),
            operation: "a task config (it is not a labour task)",
        })?;
    build(yaml, file)
}

/// The ids of the registered labour tasks (those with a task config and
/// a scripted expert).
pub fn labour_task_ids() -> Vec<&'static str> {
    REGISTRY
        .iter()
        .filter(|s| s.task_from_yaml.is_some())
        .map(|s| s.id)
        .collect()
}

/// The scripted expert of the labour task `id` at `skill` in [0, 1], its
/// random stream seeded `seed`; an env without one is
/// [`EnvError::Unsupported`].
pub fn make_expert(id: &str, skill: f32, seed: u64) -> Result<Box<dyn ScriptedExpert>> {
    let build = spec(id)?.expert.ok_or_else(|| EnvError::Unsupported {
        env: id.to_string(),
        operation: "a scripted expert",
    })?;
    Ok(build(skill, seed))
}

/// Builds the registered env `id` with its default settings and time limit.
pub fn make(id: &str) -> Result<Box<dyn Env>> {
    make_with_config(id, None)
}

/// Builds the registered env `id`, handing `config` (a task config file)
/// to its constructor, and applies the registered time limit.
pub fn make_with_config(id: &str, config: Option<&Path>) -> Result<Box<dyn Env>> {
    let spec = spec(id)?;
    let env = (spec.entry_point)(config)?;
    match spec.max_episode_steps {
        Some(limit) => Ok(Box::new(TimeLimit::new(env, limit)?)),
        None => Ok(env),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Action;

    #[test]
    fn make_applies_gymnasiums_time_limits() {
        let mut env = make("Pendulum-v1").expect("make");
        env.reset(Some(0)).expect("reset");
        for i in 1..=200 {
            let s = env.step(Action::Continuous(&[0.0])).expect("step");
            assert_eq!(s.truncated, i == 200);
        }
    }

    #[test]
    fn unknown_ids_and_stray_configs_are_typed_errors() {
        match make("CartPole-v0") {
            Err(EnvError::UnknownEnv { known, .. }) => assert!(known.contains("CartPole-v1")),
            other => panic!(
                "expected UnknownEnv, got {:?}",
                other.map(|e| e.id().to_string())
            ),
        }
        assert!(matches!(
            make_with_config("CartPole-v1", Some(Path::new("x.yaml"))),
            Err(EnvError::Config { .. })
        ));
        assert!(registered_ids().contains(&"Pendulum-v1"));
    }
}
