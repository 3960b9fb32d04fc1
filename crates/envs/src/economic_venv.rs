//! The one place a task config becomes env copies under the economic
//! reward (SPEC §2): the registry builds the task from the config's `env:`
//! section, [`EconomicRewardWrapper`] pays the dense wage and `r(t)`.

use economics::TaskConfig;

use crate::{EconomicRewardWrapper, Env, EnvError, Result, VecEnv};

/// A labour env copy as a learner sees it: the task under the economic
/// reward.
pub type EconEnv = EconomicRewardWrapper<Box<dyn Env>>;

/// The registered task `env_id` built from the `env:` section of the task
/// config text `yaml` (`file` names it in errors).
pub fn task_env_from_yaml(env_id: &str, yaml: &str, file: &str) -> Result<Box<dyn Env>> {
    Ok(crate::make_task(env_id, yaml, file)?)
}

/// One copy of `env_id` from the task config `config` (whose text is
/// `yaml`) under the economic reward, its shaping reward weighted
/// `shaping_weight`.
pub fn economic_env(
    config: &TaskConfig,
    env_id: &str,
    yaml: &str,
    shaping_weight: f64,
) -> Result<EconEnv> {
    let env = task_env_from_yaml(env_id, yaml, "config.yaml")?;
    economic_env_over(config, env_id, env, shaping_weight)
}

/// `env`, a copy of the labour task `env_id` (wrapped or not), under the
/// economic reward of the task config `config`.
pub fn economic_env_over(
    config: &TaskConfig,
    env_id: &str,
    env: Box<dyn Env>,
    shaping_weight: f64,
) -> Result<EconEnv> {
    let seconds = env
        .as_labour_task()
        .map(|t| t.episode_seconds())
        .ok_or_else(|| EnvError::Unsupported {
            env: env_id.to_string(),
            operation: "as_labour_task",
        })?;
    let scorer = config.episode_scorer().map_err(|e| EnvError::Economics {
        env: env_id.to_string(),
        message: e.to_string(),
    })?;
    EconomicRewardWrapper::new(env, scorer, seconds, shaping_weight)
}

/// `n` copies of [`economic_env`] in a vector env, one rayon task per copy
/// (a physics step costs microseconds, far more than a task's overhead).
pub fn economic_venv(
    config: &TaskConfig,
    env_id: &str,
    yaml: &str,
    n: usize,
    shaping_weight: f64,
) -> Result<VecEnv<EconEnv>> {
    let copies = (0..n)
        .map(|_| economic_env(config, env_id, yaml, shaping_weight))
        .collect::<Result<Vec<_>>>()?;
    let mut venv = VecEnv::new(copies)?;
    venv.set_min_envs_per_task(1);
    Ok(venv)
}
