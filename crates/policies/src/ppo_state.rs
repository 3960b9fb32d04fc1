//! A PPO run's state seen from outside: read (accessors), saved
//! ([`Ppo::checkpoint`]: weights, Adam's moments, normaliser statistics,
//! counters, the RNG stream) and restored ([`Ppo::resume`]).
//!
//! A checkpoint written before the fine-tune keys moved under
//! `ppo.fine_tune` (its sidecar's config holds them flat) still resumes:
//! the keys are moved on reading.

use std::path::{Path, PathBuf};

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use envs::{Env, VecEnv};

use super::fine_tune::nest_flat_keys;
use super::{Ppo, RolloutBuffer};
use crate::checkpoint::{Checkpoint, CheckpointMeta, CheckpointState, RngState};
use crate::{
    ActorCritic, ActorCriticConfig, PolicyError, PolicySnapshot, PpoConfig, Result,
    evaluate_policy, export_params, import_params,
};

impl<B: AutodiffBackend, E: Env> std::fmt::Debug for Ppo<B, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ppo")
            .field("env_id", &self.env_id)
            .field("global_step", &self.global_step)
            .field("update", &self.update)
            .finish_non_exhaustive()
    }
}

impl<B: AutodiffBackend> Ppo<B> {
    /// Resumes a run from a checkpoint written by [`Ppo::save`] on a
    /// registry env; see [`Ppo::resume_with`].
    pub fn resume(checkpoint_path: &Path, device: &B::Device) -> Result<Self> {
        let ckpt = Checkpoint::load(checkpoint_path)?;
        let config = checkpoint_config(&ckpt, checkpoint_path)?;
        let venv = VecEnv::make(&ckpt.meta.env_id, config.num_envs)?;
        Self::resume_with(checkpoint_path, venv, device)
    }
}

impl<B: AutodiffBackend, E: Env> Ppo<B, E> {
    /// The hyperparameters.
    pub fn config(&self) -> &PpoConfig {
        &self.config
    }

    /// The network.
    pub fn model(&self) -> &ActorCritic<B> {
        &self.model
    }

    /// The network's shape.
    pub fn network_config(&self) -> &ActorCriticConfig {
        &self.network
    }

    /// The last rollout (observations as the networks saw them, actions,
    /// expert labels, …).
    pub fn buffer(&self) -> &RolloutBuffer {
        &self.buffer
    }

    /// The vector env (e.g. for its normaliser statistics).
    pub fn venv(&self) -> &VecEnv<E> {
        &self.venv
    }

    /// The vector env, mutably (e.g. to anneal a wrapper's shaping weight
    /// between updates).
    pub fn venv_mut(&mut self) -> &mut VecEnv<E> {
        &mut self.venv
    }

    /// Env steps so far.
    pub fn global_step(&self) -> u64 {
        self.global_step
    }

    /// Updates done so far.
    pub fn update_count(&self) -> u64 {
        self.update
    }

    /// Whether the run has done all its updates.
    pub fn is_done(&self) -> bool {
        self.update >= self.config.num_updates()
    }

    /// The network on the inner (non-autodiff) backend.
    pub fn valid_model(&self) -> ActorCritic<B::InnerBackend> {
        self.model.valid()
    }

    /// Mean return of `episodes` deterministic episodes on fresh copies of
    /// the env (seeded `seed`, `seed + 1`, …), observations normalised with
    /// the training statistics (frozen). Returns every episode's return.
    pub fn evaluate(&self, episodes: usize, seed: u64) -> Result<Vec<f64>> {
        let snapshot = PolicySnapshot::new(&self.model);
        let obs_stats = self.venv.normalization_state().obs;
        evaluate_policy(&snapshot, &self.env_id, episodes, seed, obs_stats.as_ref())
    }

    /// The checkpoint of the current state.
    pub fn checkpoint(&self) -> Checkpoint {
        let config = serde_json::to_value(&self.config).unwrap_or(serde_json::Value::Null);
        Checkpoint {
            meta: CheckpointMeta::new(CheckpointState {
                algorithm: "ppo".to_owned(),
                config,
                env_id: self.env_id.clone(),
                observation_space: self.venv.observation_space().clone(),
                action_space: self.venv.action_space().clone(),
                network: Some(self.network.clone()),
                global_step: self.global_step,
                update: self.update,
                normalization: self.venv.normalization_state(),
                optimizer_step: self.optimizer.step_count(),
                rng: Some(RngState::capture(&self.rng)),
                metrics: self.metrics.clone(),
            }),
            model: export_params(&self.model),
            optimizer: self.optimizer.export_state(),
        }
    }

    /// Writes the checkpoint as `dir/<name>` (`model_latest`, `model_best`).
    pub fn save(&self, dir: &Path, name: &str) -> Result<PathBuf> {
        self.checkpoint().save(dir, name)
    }

    /// Resumes a run from a checkpoint written by [`Ppo::save`] on the
    /// caller's fresh vector env `venv` (built as for the original run):
    /// same env (checked), counters, learning-rate schedule, normaliser
    /// statistics, optimizer state and RNG stream. The env copies start new
    /// episodes. The anchor and the experts are not part of checkpoints: a
    /// resumed run sets them again.
    pub fn resume_with(
        checkpoint_path: &Path,
        venv: VecEnv<E>,
        device: &B::Device,
    ) -> Result<Self> {
        let ckpt = Checkpoint::load(checkpoint_path)?;
        let mismatch = |reason: String| PolicyError::CheckpointMismatch {
            path: checkpoint_path.to_path_buf(),
            reason,
        };
        let config = checkpoint_config(&ckpt, checkpoint_path)?;
        let mut run = Self::from_venv(config, &ckpt.meta.env_id, venv, 0, device)?;
        ckpt.check_env(
            &run.env_id,
            run.venv.observation_space(),
            run.venv.action_space(),
        )
        .map_err(|e| match e {
            PolicyError::CheckpointMismatch { reason, .. } => mismatch(reason),
            other => other,
        })?;
        if ckpt.meta.network.as_ref() != Some(&run.network) {
            return Err(mismatch(format!(
                "network {:?} differs from {:?}",
                ckpt.meta.network, run.network
            )));
        }
        run.model = import_params(run.model, &ckpt.model_map(), device)
            .map_err(|e| mismatch(e.to_string()))?;
        run.optimizer
            .import_state(ckpt.meta.optimizer_step, &ckpt.optimizer, device)
            .map_err(|e| mismatch(e.to_string()))?;
        run.venv
            .set_normalization_state(&ckpt.meta.normalization)
            .map_err(|e| mismatch(e.to_string()))?;
        // New episodes, seeded from the restored stream so a resumed run is
        // reproducible; their first observations are normalised with the
        // restored statistics without being counted a second time.
        if let Some(state) = &ckpt.meta.rng {
            run.rng = state.restore()?;
        }
        let env_seed = rand::Rng::random::<u64>(&mut run.rng);
        run.venv.set_normalization_training(false);
        run.venv.reset(Some(env_seed))?;
        run.venv.set_normalization_training(true);
        run.venv
            .set_obs_normalization_training(!run.config.fine_tune.freeze_observation_normalizer);
        run.global_step = ckpt.meta.global_step;
        run.update = ckpt.meta.update;
        run.metrics = ckpt.meta.metrics.clone();
        Ok(run)
    }
}

/// The PPO config of a checkpoint (flat fine-tune keys moved into
/// `fine_tune`), refusing one written by another algorithm.
fn checkpoint_config(ckpt: &Checkpoint, path: &Path) -> Result<PpoConfig> {
    let mismatch = |reason: String| PolicyError::CheckpointMismatch {
        path: path.to_path_buf(),
        reason,
    };
    if ckpt.meta.algorithm != "ppo" {
        return Err(mismatch(format!(
            "written by `{}`, not `ppo`",
            ckpt.meta.algorithm
        )));
    }
    let mut config = ckpt.meta.config.clone();
    let _ = nest_flat_keys(&mut config);
    serde_json::from_value(config).map_err(|e| mismatch(format!("PPO config does not parse: {e}")))
}
