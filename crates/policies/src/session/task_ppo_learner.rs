//! `TaskPpoLearner`: PPO on a labour task (dishwashing, bricklaying) under
//! the economic reward of SPEC §2.
//!
//! Before each update every env copy's curriculum is moved to the run's
//! episode count (each wrapper scores its own episodes in between) and the
//! shaping weight to its schedule (`training.shaping_*`). Evaluations play
//! the deterministic policy on the same seeds every time, so they differ by
//! the policy alone, not by which dishes they drew, and score MP_r, e, ŵ_r
//! and parities with 95 % CIs; each adds a frame of the policy at work.

use std::collections::BTreeMap;
use std::path::Path;

use burn::tensor::backend::AutodiffBackend;
use economics::TaskConfig;
use envs::{EconEnv, NormalizationState, RgbFrame, economic_venv};
use runs::{EpisodeSeries, EvalSummary, Evaluation, Iteration, Learner, Scalar};

use super::{EVAL_SEED_OFFSET, eval_episodes, eval_frame, ppo_iteration, save_with};
use crate::{
    Checkpoint, PolicyError, PolicySnapshot, Ppo, PpoConfig, Result, evaluate_episodes,
    import_params,
};

/// PPO on a labour task, driven by a session.
pub struct TaskPpoLearner<B: AutodiffBackend> {
    ppo: Ppo<B, EconEnv>,
    task: TaskConfig,
    yaml: String,
    env_id: String,
}

impl<B: AutodiffBackend> TaskPpoLearner<B> {
    /// A fresh PPO learner on `env_id` built from the task config `task`
    /// (text `yaml`), optionally started from the network in `init_from`
    /// (a PPO checkpoint or a behaviour clone of the same env): its
    /// weights, its observation statistics, the anchor to it when
    /// `anchor_coef > 0`. The expert term gets one skill-1 expert per copy.
    pub fn fresh(
        config: PpoConfig,
        task: TaskConfig,
        yaml: String,
        env_id: &str,
        init_from: Option<&Path>,
        device: &B::Device,
    ) -> Result<Self> {
        let seed = task.training.seed;
        let venv = Self::venv(&task, env_id, &yaml, &config)?;
        let mut ppo = Ppo::<B, EconEnv>::from_venv(config.clone(), env_id, venv, seed, device)?;
        if let Some(path) = init_from {
            let ckpt = Checkpoint::load(path)?;
            if crate::is_chunk_checkpoint(&ckpt) {
                // A residual on the frozen chunked policy: the network
                // starts fresh (a zero correction is the base policy).
                if config.fine_tune.residual.is_none() {
                    return Err(PolicyError::config(
                        "ppo.fine_tune.residual",
                        format!(
                            "{} is a chunked policy: PPO fine-tunes it as a residual \
                             (`residual: {{scale: 0.1}}` under ppo.fine_tune)",
                            path.display()
                        ),
                    ));
                }
                return Ok(Self::wrap(ppo, task, yaml, env_id));
            }
            let mut model = import_params(ppo.model().clone(), &ckpt.model_map(), device)?;
            if fitted_without_spread(&ckpt) {
                // Its log-std is the BC network's untrained init:
                // exploration starts where this config says.
                model = model.with_log_std(config.init_log_std);
            }
            if config.fine_tune.anchor_coef > 0.0 {
                ppo = ppo.with_anchor(&model)?;
            }
            ppo = ppo.with_model(model)?;
            // The network expects observations normalised as it was
            // trained; continue from those statistics.
            if let Some(obs) = ckpt.meta.normalization.obs {
                if !config.normalize_observation {
                    return Err(PolicyError::config(
                        "ppo.normalize_observation",
                        format!(
                            "the policy in {} was trained on normalised observations; set it \
                             to true",
                            path.display()
                        ),
                    ));
                }
                let reward = ppo.venv().normalization_state().reward;
                ppo.venv_mut()
                    .set_normalization_state(&NormalizationState {
                        obs: Some(obs),
                        reward,
                    })?;
            }
        }
        if config.fine_tune.expert_coef > 0.0 {
            ppo = ppo.with_experts(task_experts(env_id, config.num_envs, seed)?)?;
        }
        Ok(Self::wrap(ppo, task, yaml, env_id))
    }

    /// The run continued from its `model_latest` at `latest`; `config` is
    /// the run's `ppo:` section (its env copies and fine-tune terms). The
    /// anchor is
    /// not in checkpoints: it is loaded again from `init_from`, which must
    /// still be there with the weights checksum `init_from_fnv1a64`.
    pub fn resume(
        latest: &Path,
        config: PpoConfig,
        task: TaskConfig,
        yaml: String,
        env_id: &str,
        anchor: Option<(&Path, Option<&str>)>,
        device: &B::Device,
    ) -> Result<Self> {
        let seed = task.training.seed;
        let venv = Self::venv(&task, env_id, &yaml, &config)?;
        let mut ppo = Ppo::<B, EconEnv>::resume_with(latest, venv, device)?;
        if config.fine_tune.anchor_coef > 0.0 {
            let (path, checksum) = anchor.ok_or_else(|| {
                PolicyError::config(
                    "ppo.fine_tune.anchor_coef",
                    "> 0 but the run records no init_from network to anchor to",
                )
            })?;
            let ckpt = Checkpoint::load(path)?;
            if let Some(want) = checksum
                && ckpt.meta.weights_fnv1a64 != want
            {
                return Err(PolicyError::config(
                    "run.init_from",
                    format!(
                        "the anchor network {} has changed since the run started (weights \
                         checksum {}, expected {want})",
                        path.display(),
                        ckpt.meta.weights_fnv1a64
                    ),
                ));
            }
            let model = import_params(ppo.model().clone(), &ckpt.model_map(), device)?;
            ppo = ppo.with_anchor(&model)?;
        }
        if config.fine_tune.expert_coef > 0.0 {
            ppo = ppo.with_experts(task_experts(env_id, config.num_envs, seed)?)?;
        }
        Ok(Self::wrap(ppo, task, yaml, env_id))
    }

    fn venv(
        task: &TaskConfig,
        env_id: &str,
        yaml: &str,
        config: &PpoConfig,
    ) -> Result<envs::VecEnv<EconEnv>> {
        let weight = task.training.shaping_weight(0);
        task_venv(task, env_id, yaml, config, config.num_envs, weight)
    }

    fn wrap(ppo: Ppo<B, EconEnv>, task: TaskConfig, yaml: String, env_id: &str) -> Self {
        Self {
            ppo,
            task,
            yaml,
            env_id: env_id.to_owned(),
        }
    }

    /// The PPO learner.
    pub fn ppo(&self) -> &Ppo<B, EconEnv> {
        &self.ppo
    }

    fn seed(&self) -> u64 {
        self.task.training.seed
    }

    /// One frame of the deterministic policy a few simulated seconds into
    /// the first evaluation episode, for TensorBoard's image tab.
    fn eval_frame(&self) -> Result<Option<RgbFrame>> {
        let obs_norm = self.ppo.venv().normalization_state().obs;
        let venv = task_venv(
            &self.task,
            &self.env_id,
            &self.yaml,
            self.ppo.config(),
            1,
            0.0,
        )?;
        let mut policy = PolicySnapshot::new(self.ppo.model());
        eval_frame(&self.task, venv, obs_norm, &mut policy)
    }
}

impl<B: AutodiffBackend> Learner for TaskPpoLearner<B> {
    type Error = PolicyError;

    fn iterate(&mut self, series: EpisodeSeries) -> Result<Iteration> {
        let weight = self.task.training.shaping_weight(self.ppo.global_step());
        for env in self.ppo.venv_mut().envs_mut() {
            env.scorer_mut()
                .resume_at(series.next_episode, series.previous_mp_r);
            env.set_shaping_weight(weight)?;
        }
        let mut it = ppo_iteration(&self.ppo.step_update()?, true);
        it.scalars
            .push(Scalar::new("charts/shaping_weight", it.global_step, weight));
        Ok(it)
    }

    fn is_done(&self) -> bool {
        self.ppo.is_done()
    }

    fn global_step(&self) -> u64 {
        self.ppo.global_step()
    }

    fn evaluate(&mut self, at: &Iteration) -> Result<Evaluation> {
        let episodes = eval_episodes(&self.task)?;
        let weight = self.ppo.venv().envs()[0].shaping_weight();
        let venv = task_venv(
            &self.task,
            &self.env_id,
            &self.yaml,
            self.ppo.config(),
            episodes,
            weight,
        )?;
        let records = evaluate_episodes(
            &PolicySnapshot::new(self.ppo.model()),
            venv,
            episodes,
            self.seed() + EVAL_SEED_OFFSET,
            self.ppo.venv().normalization_state().obs.as_ref(),
        )?;
        Ok(Evaluation {
            summary: EvalSummary::of_task_episodes(&self.task, at.global_step, &records)?,
            frame: self.eval_frame()?,
        })
    }

    fn save(&self, dir: &Path, name: &str, metrics: &BTreeMap<String, f64>) -> Result<()> {
        save_with(self.ppo.checkpoint(), dir, name, metrics)
    }
}

/// `n` copies of the task under the economic reward: plain, or with the
/// learner's actions as corrections to a frozen chunked policy when the
/// run is a residual fine-tune (`ppo.fine_tune.residual`).
pub fn task_venv(
    task: &TaskConfig,
    env_id: &str,
    yaml: &str,
    config: &PpoConfig,
    n: usize,
    shaping_weight: f64,
) -> Result<envs::VecEnv<EconEnv>> {
    match &config.fine_tune.residual {
        Some(spec) => crate::residual_venv(
            spec,
            task,
            env_id,
            yaml,
            n,
            shaping_weight,
            task.training.seed,
        ),
        None => Ok(economic_venv(task, env_id, yaml, n, shaping_weight)?),
    }
}

/// Whether `ckpt` is a behaviour clone fitted by squared error, whose
/// log-std was never trained.
fn fitted_without_spread(ckpt: &Checkpoint) -> bool {
    ckpt.meta.algorithm == "bc"
        && ckpt.meta.config.get("loss").and_then(|l| l.as_str()) == Some("mse")
}

/// The skill-1 scripted expert of `env_id` for each of `n` copies (one
/// each: an expert keeps per-episode state), copy `i`'s seeded `seed + i`
/// (at skill 1 it draws nothing that acts), for
/// `ppo.fine_tune.expert_coef`.
fn task_experts(env_id: &str, n: usize, seed: u64) -> Result<Vec<Box<dyn envs::ScriptedExpert>>> {
    Ok((0..n as u64)
        .map(|i| envs::make_expert(env_id, 1.0, seed.wrapping_add(i)))
        .collect::<envs::Result<_>>()?)
}
