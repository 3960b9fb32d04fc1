//! `SacLearner`: SAC as a session learner, on a registered env (Pendulum)
//! or on a labour task under the economic reward.
//!
//! An iteration is `sac.steps_per_iteration` env steps with their gradient
//! steps. On a labour task, as for PPO, every copy's curriculum is moved
//! to the run's episode count and the shaping weight to its schedule
//! before each iteration, training episodes are scored into
//! `training_metrics.csv`, and evaluations play the deterministic policy
//! (`tanh` of the mean, rescaled) on the same seeds every time, with a
//! frame; on a registered env evaluations log returns.

use std::collections::BTreeMap;
use std::path::Path;

use burn::tensor::backend::AutodiffBackend;
use economics::TaskConfig;
use envs::{EconEnv, VecEnv, Wrapper, economic_env, economic_venv};
use runs::{EpisodeSeries, EvalSummary, Evaluation, Iteration, Learner, Scalar};

use super::{EVAL_SEED_OFFSET, eval_episodes, eval_frame};
use crate::{PolicyError, Result, Sac, SacConfig, SacIteration, evaluate_episodes};

/// SAC driven by a session.
pub struct SacLearner<B: AutodiffBackend> {
    run: SacRun<B>,
}

/// The env the learner trains on.
enum SacRun<B: AutodiffBackend> {
    /// A registered env without task economics.
    Classic {
        sac: Box<Sac<B>>,
        eval_episodes: usize,
        seed: u64,
    },
    /// A labour task under the economic reward.
    Task {
        sac: Box<Sac<B, EconEnv>>,
        task: Box<TaskConfig>,
        yaml: String,
    },
}

impl<B: AutodiffBackend> SacLearner<B> {
    /// SAC on a registered env; each evaluation plays `eval_episodes`
    /// deterministic episodes seeded `seed + 1 000 000 + iteration`
    /// (never a training reset).
    pub fn classic(sac: Sac<B>, eval_episodes: usize, seed: u64) -> Self {
        Self {
            run: SacRun::Classic {
                sac: Box::new(sac),
                eval_episodes,
                seed,
            },
        }
    }

    /// A fresh SAC learner on the labour task `env_id` built from the task
    /// config `task` (text `yaml`), seeded `training.seed`.
    pub fn task(
        config: SacConfig,
        task: TaskConfig,
        yaml: String,
        env_id: &str,
        device: &B::Device,
    ) -> Result<Self> {
        let envs = task_envs(&task, env_id, &yaml, config.num_envs)?;
        let sac = Sac::from_envs(config, env_id, envs, task.training.seed, device)?;
        Ok(Self::wrap_task(sac, task, yaml))
    }

    /// The task run continued from its checkpoint at `latest`.
    pub fn task_resume(
        latest: &Path,
        config: &SacConfig,
        task: TaskConfig,
        yaml: String,
        env_id: &str,
        device: &B::Device,
    ) -> Result<Self> {
        let envs = task_envs(&task, env_id, &yaml, config.num_envs)?;
        let sac = Sac::resume_with(latest, envs, device)?;
        Ok(Self::wrap_task(sac, task, yaml))
    }

    fn wrap_task(sac: Sac<B, EconEnv>, task: TaskConfig, yaml: String) -> Self {
        Self {
            run: SacRun::Task {
                sac: Box::new(sac),
                task: Box::new(task),
                yaml,
            },
        }
    }

    /// Sets the step budget (a resumed run extended with `--total-steps`).
    pub fn set_total_timesteps(&mut self, steps: u64) -> Result<()> {
        match &mut self.run {
            SacRun::Classic { sac, .. } => sac.set_total_timesteps(steps),
            SacRun::Task { sac, .. } => sac.set_total_timesteps(steps),
        }
    }

    /// The SAC config.
    pub fn config(&self) -> &SacConfig {
        match &self.run {
            SacRun::Classic { sac, .. } => sac.config(),
            SacRun::Task { sac, .. } => sac.config(),
        }
    }
}

/// `n` copies of the labour task under the economic reward, shaped at the
/// schedule's start.
fn task_envs(task: &TaskConfig, env_id: &str, yaml: &str, n: usize) -> Result<Vec<EconEnv>> {
    let weight = task.training.shaping_weight(0);
    Ok((0..n)
        .map(|_| economic_env(task, env_id, yaml, weight))
        .collect::<envs::Result<Vec<_>>>()?)
}

/// A SAC iteration as a session iteration: its scalars at its global
/// step, its finished episodes counted and, where `scored` (task runs),
/// handed over as outcomes to score.
fn sac_iteration(it: &SacIteration, scored: bool) -> Iteration {
    Iteration {
        index: it.iteration,
        global_step: it.global_step,
        scalars: it
            .scalars()
            .into_iter()
            .map(|(tag, v)| Scalar::new(tag, it.global_step, v))
            .collect(),
        outcomes: if scored {
            it.episodes.iter().map(|e| e.outcome()).collect()
        } else {
            Vec::new()
        },
        episodes_ended: it.episodes.len() as u64,
        note: None,
    }
}

impl<B: AutodiffBackend> Learner for SacLearner<B> {
    type Error = PolicyError;

    fn iterate(&mut self, series: EpisodeSeries) -> Result<Iteration> {
        match &mut self.run {
            SacRun::Classic { sac, .. } => Ok(sac_iteration(&sac.train_iteration()?, false)),
            SacRun::Task { sac, task, .. } => {
                let weight = task.training.shaping_weight(sac.global_step());
                for env in sac.venv_mut().envs_mut() {
                    let env = env.inner_mut();
                    env.scorer_mut()
                        .resume_at(series.next_episode, series.previous_mp_r);
                    env.set_shaping_weight(weight)?;
                }
                let mut it = sac_iteration(&sac.train_iteration()?, true);
                it.scalars
                    .push(Scalar::new("charts/shaping_weight", it.global_step, weight));
                Ok(it)
            }
        }
    }

    fn is_done(&self) -> bool {
        match &self.run {
            SacRun::Classic { sac, .. } => sac.is_done(),
            SacRun::Task { sac, .. } => sac.is_done(),
        }
    }

    fn global_step(&self) -> u64 {
        match &self.run {
            SacRun::Classic { sac, .. } => sac.global_step(),
            SacRun::Task { sac, .. } => sac.global_step(),
        }
    }

    fn evaluate(&mut self, at: &Iteration) -> Result<Evaluation> {
        match &self.run {
            SacRun::Classic {
                sac,
                eval_episodes,
                seed,
            } => {
                let venv = VecEnv::make(sac.env_id(), 1)?;
                let seed = seed + EVAL_SEED_OFFSET + at.index;
                let records = evaluate_episodes(&sac.policy(), venv, *eval_episodes, seed, None)?;
                let returns: Vec<f64> = records.iter().map(|e| e.episode_return).collect();
                Ok(Evaluation {
                    summary: EvalSummary::of_returns(at.global_step, &returns)?,
                    frame: None,
                })
            }
            SacRun::Task { sac, task, yaml } => {
                let episodes = eval_episodes(task)?;
                let copies = episodes.min(crate::MAX_EVAL_COPIES);
                let weight = sac.venv().envs()[0].inner().shaping_weight();
                let venv = economic_venv(task, sac.env_id(), yaml, copies, weight)?;
                let mut policy = sac.policy();
                let seed = task.training.seed + EVAL_SEED_OFFSET;
                let records = evaluate_episodes(&policy, venv, episodes, seed, None)?;
                Ok(Evaluation {
                    summary: EvalSummary::of_task_episodes(task, at.global_step, &records)?,
                    frame: eval_frame(
                        task,
                        envs::economic_venv(task, sac.env_id(), yaml, 1, 0.0)?,
                        None,
                        &mut policy,
                    )?,
                })
            }
        }
    }

    fn save(&self, dir: &Path, name: &str, metrics: &BTreeMap<String, f64>) -> Result<()> {
        match &self.run {
            SacRun::Classic { sac, .. } => sac.save(dir, name, metrics).map(|_| ()),
            SacRun::Task { sac, .. } => sac.save(dir, name, metrics).map(|_| ()),
        }
    }
}
