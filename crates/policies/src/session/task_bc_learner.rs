//! `TaskBcLearner`: behaviour cloning of a labour task's scripted expert
//! with DAgger rounds, as a session learner.
//!
//! [`TaskBcLearner::start`] records the expert's demonstrations and makes
//! the first fit before any run folder exists, so a failure there leaves
//! nothing on disk. The session then sees iteration 0 (that first fit,
//! evaluated and checkpointed) and one iteration per `bc.dagger` round:
//! the clone plays its episodes (scored into `training_metrics.csv` like
//! PPO's training episodes), the expert relabels every visited state, and
//! the clone is refitted on the aggregate. Every fit's per-epoch losses go
//! to `bc/train_loss` and `bc/val_loss`, the epochs of successive fits
//! numbered on. The checkpoint is PPO-shaped, with the observation
//! statistics of all data gathered, so `vp evaluate` reads it and PPO can
//! start from it (`--init-from`).

use std::collections::BTreeMap;
use std::path::Path;

use burn::tensor::backend::AutodiffBackend;
use economics::TaskConfig;
use envs::{Env, NormalizationState, ScriptedExpert, Space, economic_venv};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use runs::{EpisodeSeries, EvalSummary, Evaluation, Iteration, Learner, Scalar};

use crate::{
    ActorCriticConfig, BcConfig, BcLoss, BcReport, Checkpoint, CheckpointMeta, CheckpointState,
    DaggerLearner, PolicyError, PolicySnapshot, PpoConfig, Result, RngState, evaluate_episodes,
    export_params, record_demonstrations,
};

/// Seed offset of the DAgger rounds' episodes (round `k` adds `1000·k`);
/// evaluations use `seed + DAGGER_SEED_OFFSET` itself, so neither replays
/// a demonstration (seeds `seed..seed + demo_episodes`).
const DAGGER_SEED_OFFSET: u64 = 1_000_000;

/// What the expert's demonstrations amounted to.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSummary {
    /// Expert episodes recorded.
    pub episodes: u64,
    /// The expert's skill, in [0, 1].
    pub skill: f64,
    /// (observation, action) pairs recorded.
    pub pairs: usize,
    /// Units each episode completed.
    pub units: Vec<u32>,
}

impl DemoSummary {
    /// Mean units per demonstration episode.
    pub fn mean_units(&self) -> f64 {
        mean_units(self.units.iter().copied())
    }
}

/// Behaviour cloning with DAgger on a labour task, driven by a session.
pub struct TaskBcLearner<B: AutodiffBackend> {
    dagger: DaggerLearner<B>,
    first_fit: Option<BcReport>,
    last_fit: BcReport,
    env: Box<dyn Env>,
    expert: Box<dyn ScriptedExpert>,
    rng: ChaCha8Rng,
    task: TaskConfig,
    yaml: String,
    env_id: String,
    bc: BcConfig,
    net: ActorCriticConfig,
    observation_space: Space,
    action_space: Space,
    epochs_logged: u64,
    demos: DemoSummary,
    device: B::Device,
}

impl<B: AutodiffBackend> TaskBcLearner<B> {
    /// The `bc:` section of `task` (defaults where absent), Gaussian NLL
    /// unless it says otherwise: the fitted log-std keeps PPO's
    /// exploration noise near the expert's own spread after a warm start.
    pub fn bc_config(task: &TaskConfig) -> Result<BcConfig> {
        let mut section = task.bc.clone();
        if section.is_null() {
            section = serde_json::json!({});
        }
        if section.get("loss").is_none()
            && let Some(map) = section.as_object_mut()
        {
            map.insert(
                "loss".to_owned(),
                serde_json::to_value(BcLoss::GaussianNll)
                    .map_err(|e| PolicyError::config("bc.loss", e.to_string()))?,
            );
        }
        let bc: BcConfig = serde_json::from_value(section)
            .map_err(|e| PolicyError::config("bc", e.to_string()))?;
        bc.validate()?;
        Ok(bc)
    }

    /// Records `demo_episodes` episodes of `env_id`'s scripted expert at
    /// `demo_skill` (the registry names it) on the env built from `yaml`,
    /// and makes the first fit into the actor PPO would build for this env
    /// (`ppo` gives its shape).
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        task: TaskConfig,
        yaml: String,
        env_id: &str,
        ppo: &PpoConfig,
        demo_episodes: u64,
        demo_skill: f64,
        device: &B::Device,
    ) -> Result<Self> {
        if demo_episodes == 0 {
            return Err(PolicyError::config(
                "demo_episodes",
                "must be at least 1 (the clone needs demonstrations)",
            ));
        }
        let bc = Self::bc_config(&task)?;
        let seed = task.training.seed;
        let mut env = envs::task_env_from_yaml(env_id, &yaml, "config.yaml")?;
        let mut expert = envs::make_expert(env_id, demo_skill as f32, seed)?;
        let net = crate::ppo::network_config(ppo, env.observation_space(), env.action_space())?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (demos, units) = record_demonstrations(
            &mut env,
            expert.as_mut(),
            demo_episodes,
            seed,
            bc.dagger.demo_noise,
            &mut rng,
        )?;
        let demos_summary = DemoSummary {
            episodes: demo_episodes,
            skill: demo_skill,
            pairs: demos.len(),
            units,
        };
        let (dagger, first_fit) = DaggerLearner::<B>::start(
            &bc,
            &net,
            demos,
            seed + DAGGER_SEED_OFFSET,
            device,
            &mut rng,
        )?;
        Ok(Self {
            dagger,
            last_fit: first_fit.clone(),
            first_fit: Some(first_fit),
            observation_space: env.observation_space().clone(),
            action_space: env.action_space().clone(),
            env,
            expert,
            rng,
            task,
            yaml,
            env_id: env_id.to_owned(),
            bc,
            net,
            epochs_logged: 0,
            demos: demos_summary,
            device: device.clone(),
        })
    }

    /// What the demonstrations amounted to.
    pub fn demos(&self) -> &DemoSummary {
        &self.demos
    }

    /// The DAgger learner (the clone, its data and statistics).
    pub fn dagger(&self) -> &DaggerLearner<B> {
        &self.dagger
    }

    /// One fit's per-epoch losses, the epochs numbered on from the last
    /// fit's.
    fn fit_scalars(&mut self, fit: &BcReport, out: &mut Vec<Scalar>) {
        for (train_loss, val_loss) in fit.train_losses.iter().zip(&fit.val_losses) {
            self.epochs_logged += 1;
            out.push(Scalar::new(
                "bc/train_loss",
                self.epochs_logged,
                *train_loss,
            ));
            out.push(Scalar::new("bc/val_loss", self.epochs_logged, *val_loss));
        }
    }

    /// The current clone as a PPO-shaped checkpoint.
    fn checkpoint(&self) -> Result<Checkpoint> {
        let mut metrics = BTreeMap::new();
        metrics.insert("bc/best_val_loss".to_owned(), self.last_fit.best_val_loss);
        Ok(Checkpoint {
            meta: CheckpointMeta::new(CheckpointState {
                algorithm: "bc".to_owned(),
                config: serde_json::to_value(&self.bc)
                    .map_err(|e| PolicyError::config("bc", e.to_string()))?,
                env_id: self.env_id.clone(),
                observation_space: self.observation_space.clone(),
                action_space: self.action_space.clone(),
                network: Some(self.net.clone()),
                global_step: self.dagger.pairs() as u64,
                // For a BC run: the DAgger rounds done.
                update: self.dagger.rounds_done() as u64,
                normalization: NormalizationState {
                    obs: Some(self.dagger.obs_stats().clone()),
                    reward: None,
                },
                optimizer_step: 0,
                rng: Some(RngState::capture(&self.rng)),
                metrics,
            }),
            model: export_params(self.dagger.model()),
            optimizer: Vec::new(),
        })
    }
}

impl<B: AutodiffBackend> Learner for TaskBcLearner<B> {
    type Error = PolicyError;

    fn iterate(&mut self, _series: EpisodeSeries) -> Result<Iteration> {
        let mut scalars = Vec::new();
        if let Some(fit) = self.first_fit.take() {
            self.fit_scalars(&fit, &mut scalars);
            return Ok(Iteration {
                index: 0,
                global_step: self.dagger.pairs() as u64,
                scalars,
                ..Iteration::default()
            });
        }
        let round = self.dagger.round(
            &mut self.env,
            self.expert.as_mut(),
            &self.device,
            &mut self.rng,
        )?;
        let k = self.dagger.rounds_done() as u64;
        let units = mean_units(round.episodes.iter().map(|i| i.units_completed));
        scalars.extend([
            Scalar::new("bc/dagger_clone_units_per_episode", k, units),
            Scalar::new("bc/dagger_expert_share", k, round.expert_share),
            Scalar::new("bc/dagger_pairs", k, round.pairs as f64),
            Scalar::new("bc/dagger_val_loss", k, round.bc.best_val_loss),
        ]);
        self.fit_scalars(&round.bc, &mut scalars);
        self.last_fit = round.bc.clone();
        Ok(Iteration {
            index: k,
            global_step: self.dagger.pairs() as u64,
            scalars,
            outcomes: round.episodes.iter().map(|i| i.outcome()).collect(),
            episodes_ended: round.episodes.len() as u64,
            note: Some(format!(
                "DAgger round {k}: the clone drove with expert share {:.3} and racked {units:.2} \
                 units per episode; refit on {} pairs (validation loss {:.4})",
                round.expert_share, round.pairs, round.bc.best_val_loss
            )),
        })
    }

    fn is_done(&self) -> bool {
        self.first_fit.is_none() && self.dagger.rounds_done() >= self.bc.dagger.rounds
    }

    fn global_step(&self) -> u64 {
        self.dagger.pairs() as u64
    }

    /// The same seeds every time, so rounds compare on the same dishes.
    fn evaluate(&mut self, at: &Iteration) -> Result<Evaluation> {
        let episodes = super::eval_episodes(&self.task)?;
        let venv = economic_venv(
            &self.task,
            &self.env_id,
            &self.yaml,
            episodes.min(crate::MAX_EVAL_COPIES),
            0.0,
        )?;
        let records = evaluate_episodes(
            &PolicySnapshot::new(self.dagger.model()),
            venv,
            episodes,
            self.task.training.seed + DAGGER_SEED_OFFSET,
            Some(self.dagger.obs_stats()),
        )?;
        Ok(Evaluation {
            summary: EvalSummary::of_task_episodes(&self.task, at.global_step, &records)?,
            frame: None,
        })
    }

    fn save(&self, dir: &Path, name: &str, metrics: &BTreeMap<String, f64>) -> Result<()> {
        super::save_with(self.checkpoint()?, dir, name, metrics)
    }
}

fn mean_units(units: impl Iterator<Item = u32>) -> f64 {
    let (sum, n) = units.fold((0.0, 0usize), |(s, n), u| (s + f64::from(u), n + 1));
    sum / n.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_short_dishwashing_config_clones_with_dagger_and_ignores_the_velocity_echo() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../configs/dishwashing_short.yaml"
        );
        let config = TaskConfig::from_path(path).expect("the shipped config parses");
        let bc = TaskBcLearner::<crate::CpuAutodiff>::bc_config(&config)
            .expect("its bc: section parses");
        assert_eq!(bc.loss, BcLoss::Mse);
        assert_eq!(bc.ignore_observations, vec![5, 6, 7, 8]);
        assert_eq!(bc.dagger.rounds, 4);
        assert_eq!(bc.dagger.episodes_per_round, 8);
    }

    #[test]
    fn a_task_config_without_a_bc_section_fits_the_gaussian_likelihood() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../configs/dishwashing.yaml"
        );
        let mut config = TaskConfig::from_path(path).expect("the shipped config parses");
        config.bc = serde_json::Value::Null;
        let bc = TaskBcLearner::<crate::CpuAutodiff>::bc_config(&config).expect("defaults");
        assert_eq!(bc.loss, BcLoss::GaussianNll);
    }
}
