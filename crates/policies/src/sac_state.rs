//! A SAC run's state seen from outside: read (accessors), saved
//! ([`Sac::save`]) and restored ([`Sac::resume_with`]).
//!
//! A checkpoint is the usual sidecar and weights file plus one more file,
//! role `replay` ([`Checkpoint::save_with_files`]): the replay buffer in
//! ring order with its write position, and in its metadata (`sac_state`,
//! JSON) what else an exact resume needs: the actor and α optimizers' step
//! counts, each env copy's seed stream and episode in progress
//! ([`ResumableEnvState`]) and the return and length so far of each
//! copy's episode. The weights file holds the actor (`actor.*`), the
//! critics (`qf.*`), their targets (`qf_target.*`) and `log α`
//! (`alpha.log_alpha`); the optimizer moments are `q.m.*`, `actor.m.*`,
//! `alpha.m.*` (and `v.*`). The sidecar's `network` is the actor-critic
//! shape the SAC networks have (two hidden layers of `d_hidden`,
//! continuous); its `optimizer_step` is the critic optimizer's.
//!
//! Every SAC checkpoint carries its buffer, so `model_best` resumes as
//! well as `model_latest`; a full default buffer of Pendulum-v1 is 36 MB.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use envs::{Env, VecEnv};
use serde::{Deserialize, Serialize};

use super::{Sac, SacNetworkConfig};
use crate::checkpoint::{Checkpoint, CheckpointMeta, CheckpointState, RngState};
use crate::{
    ActionKind, ActorCriticConfig, Adam, NamedTensor, PolicyError, ReplayBuffer, Result,
    ResumableEnv, ResumableEnvState, SacConfig, SacPolicy, export_params, import_params,
};

/// The `algorithm` a SAC checkpoint records.
pub const SAC_ALGORITHM: &str = "sac";
/// Role of the replay file in a SAC checkpoint.
const REPLAY_ROLE: &str = "replay";
/// Metadata key of the loop state in the replay file.
const STATE_KEY: &str = "sac_state";

/// What an exact resume needs beyond the sidecar and the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SacLoopState {
    actor_optimizer_step: u64,
    alpha_optimizer_step: u64,
    copies: Vec<ResumableEnvState>,
    episode_returns: Vec<f64>,
    episode_lengths: Vec<u32>,
}

impl<B: AutodiffBackend, E: Env> std::fmt::Debug for Sac<B, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sac")
            .field("env_id", &self.env_id)
            .field("global_step", &self.global_step)
            .field("iteration", &self.iteration)
            .finish_non_exhaustive()
    }
}

impl<B: AutodiffBackend> Sac<B> {
    /// Resumes a run from a checkpoint written by [`Sac::save`] on a
    /// registry env; see [`Sac::resume_with`].
    pub fn resume(checkpoint_path: &Path, device: &B::Device) -> Result<Self> {
        let ckpt = Checkpoint::load(checkpoint_path)?;
        let config = checkpoint_config(&ckpt, checkpoint_path)?;
        let envs = (0..config.num_envs)
            .map(|_| envs::make(&ckpt.meta.env_id))
            .collect::<envs::Result<Vec<_>>>()?;
        Self::resume_with(checkpoint_path, envs, device)
    }
}

impl<B: AutodiffBackend, E: Env> Sac<B, E> {
    /// The hyperparameters.
    pub fn config(&self) -> &SacConfig {
        &self.config
    }

    /// The networks' sizes.
    pub fn network(&self) -> SacNetworkConfig {
        self.network
    }

    /// The env id.
    pub fn env_id(&self) -> &str {
        &self.env_id
    }

    /// Env steps so far.
    pub fn global_step(&self) -> u64 {
        self.global_step
    }

    /// Iterations done so far.
    pub fn iteration(&self) -> u64 {
        self.iteration
    }

    /// α now.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Raises (or lowers) the step budget: SAC has no schedule tied to it,
    /// so a resumed run extended with `--total-steps` simply goes on.
    pub fn set_total_timesteps(&mut self, steps: u64) -> Result<()> {
        let config = SacConfig {
            total_timesteps: steps,
            ..self.config.clone()
        };
        config.validate()?;
        self.config = config;
        Ok(())
    }

    /// Whether the run has taken all its steps.
    pub fn is_done(&self) -> bool {
        self.global_step >= self.config.total_timesteps
    }

    /// The replay buffer.
    pub fn replay_buffer(&self) -> &ReplayBuffer {
        &self.rb
    }

    /// The vector env of the training copies.
    pub fn venv(&self) -> &VecEnv<ResumableEnv<E>> {
        &self.venv
    }

    /// The vector env, mutably (e.g. to anneal a wrapper's shaping weight
    /// between iterations).
    pub fn venv_mut(&mut self) -> &mut VecEnv<ResumableEnv<E>> {
        &mut self.venv
    }

    /// The deterministic policy `tanh(μ(s))·scale + bias` of the current
    /// actor, for evaluation.
    pub fn policy(&self) -> SacPolicy<B::InnerBackend> {
        SacPolicy::new(
            self.actor.valid(),
            self.network,
            self.action_scale.clone(),
            self.action_bias.clone(),
            &self.device,
        )
    }

    /// Every parameter of the run (actor, critics, targets, `log α`) under
    /// its checkpoint name.
    pub fn parameters(&self) -> Vec<NamedTensor> {
        let mut out = Vec::new();
        out.extend(prefixed("actor", export_params(&self.actor)));
        out.extend(prefixed("qf", export_params(&self.qf)));
        out.extend(prefixed("qf_target", export_params(&self.qf_target)));
        out.extend(prefixed("alpha", export_params(&self.log_alpha)));
        out
    }

    /// The checkpoint of the current state and its replay file's bytes.
    pub fn checkpoint(&self) -> Result<(Checkpoint, Vec<u8>)> {
        let config = serde_json::to_value(&self.config)
            .map_err(|e| PolicyError::config("sac", e.to_string()))?;
        let mut optimizer = Vec::new();
        optimizer.extend(prefixed("q", self.q_optimizer.export_state()));
        optimizer.extend(prefixed("actor", self.actor_optimizer.export_state()));
        optimizer.extend(prefixed("alpha", self.a_optimizer.export_state()));
        let ckpt = Checkpoint {
            meta: CheckpointMeta::new(CheckpointState {
                algorithm: SAC_ALGORITHM.to_owned(),
                config,
                env_id: self.env_id.clone(),
                observation_space: self.venv.observation_space().clone(),
                action_space: self.venv.action_space().clone(),
                network: Some(network_shape(self.network)),
                global_step: self.global_step,
                update: self.iteration,
                normalization: self.venv.normalization_state(),
                optimizer_step: self.q_optimizer.step_count(),
                rng: Some(RngState::capture(&self.rng)),
                metrics: self.metrics.clone(),
            }),
            model: self.parameters(),
            optimizer,
        };
        let state = SacLoopState {
            actor_optimizer_step: self.actor_optimizer.step_count(),
            alpha_optimizer_step: self.a_optimizer.step_count(),
            copies: self.venv.envs().iter().map(ResumableEnv::state).collect(),
            episode_returns: self.episode_returns.clone(),
            episode_lengths: self.episode_lengths.clone(),
        };
        let json = serde_json::to_string(&state)
            .map_err(|e| PolicyError::ParamMismatch(format!("SAC loop state: {e}")))?;
        let replay = self
            .rb
            .to_safetensors(HashMap::from([(STATE_KEY.to_owned(), json)]))?;
        Ok((ckpt, replay))
    }

    /// Writes the checkpoint as `dir/<name>` (`model_latest`,
    /// `model_best`) with its replay file; `metrics` are added to the
    /// run's own (the session's episode series).
    pub fn save(
        &self,
        dir: &Path,
        name: &str,
        metrics: &std::collections::BTreeMap<String, f64>,
    ) -> Result<PathBuf> {
        let (mut ckpt, replay) = self.checkpoint()?;
        ckpt.meta
            .metrics
            .extend(metrics.iter().map(|(k, v)| (k.clone(), *v)));
        ckpt.save_with_files(dir, name, &[(REPLAY_ROLE, &replay)])
    }

    /// Resumes a run from a checkpoint written by [`Sac::save`] on the
    /// caller's fresh env copies (built as for the original run): same env
    /// (checked), networks, targets, α, optimizer states, replay buffer,
    /// RNG stream and counters; each copy replays its episode in progress
    /// to where it stopped, so the run continues as if uninterrupted.
    pub fn resume_with(checkpoint_path: &Path, envs: Vec<E>, device: &B::Device) -> Result<Self> {
        let ckpt = Checkpoint::load(checkpoint_path)?;
        let mismatch = |reason: String| PolicyError::CheckpointMismatch {
            path: checkpoint_path.to_path_buf(),
            reason,
        };
        let config = checkpoint_config(&ckpt, checkpoint_path)?;
        let mut run = Self::from_envs(config, &ckpt.meta.env_id, envs, 0, device)?;
        ckpt.check_env(
            &run.env_id,
            run.venv.observation_space(),
            run.venv.action_space(),
        )
        .map_err(|e| match e {
            PolicyError::CheckpointMismatch { reason, .. } => mismatch(reason),
            other => other,
        })?;
        if ckpt.meta.network != Some(network_shape(run.network)) {
            return Err(mismatch(format!(
                "network {:?} differs from {:?}",
                ckpt.meta.network,
                network_shape(run.network)
            )));
        }
        let params = by_prefix(&ckpt.model);
        let part = |prefix: &str| params.get(prefix).cloned().unwrap_or_default();
        run.actor = import_params(run.actor, &part("actor"), device)
            .map_err(|e| mismatch(e.to_string()))?;
        run.qf = import_params(run.qf, &part("qf"), device).map_err(|e| mismatch(e.to_string()))?;
        run.qf_target = import_params(run.qf_target, &part("qf_target"), device)
            .map_err(|e| mismatch(e.to_string()))?;
        run.log_alpha = import_params(run.log_alpha, &part("alpha"), device)
            .map_err(|e| mismatch(e.to_string()))?;

        let replay = ckpt.read_file(checkpoint_path, REPLAY_ROLE)?;
        let what = format!("{} replay buffer", checkpoint_path.display());
        let (rb, mut meta) = ReplayBuffer::from_safetensors(
            &replay,
            run.network.d_obs,
            run.network.d_action,
            &what,
        )?;
        let state: SacLoopState = meta
            .remove(STATE_KEY)
            .ok_or_else(|| mismatch(format!("{what}: no `{STATE_KEY}`")))
            .and_then(|json| {
                serde_json::from_str(&json).map_err(|e| mismatch(format!("{what}: {e}")))
            })?;
        let n = run.config.num_envs;
        if state.copies.len() != n
            || state.episode_returns.len() != n
            || state.episode_lengths.len() != n
        {
            return Err(mismatch(format!(
                "{what}: state of {} env copies, the run has {n}",
                state.copies.len()
            )));
        }
        if rb.capacity() != run.config.buffer_size {
            return Err(mismatch(format!(
                "replay buffer of {} transitions, sac.buffer_size is {}",
                rb.capacity(),
                run.config.buffer_size
            )));
        }
        let optim = by_prefix(&ckpt.optimizer);
        let moments = |prefix: &str| -> Vec<NamedTensor> {
            let mut v: Vec<NamedTensor> = optim
                .get(prefix)
                .map(|m| m.values().cloned().collect())
                .unwrap_or_default();
            v.sort_by(|a, b| a.name.cmp(&b.name));
            v
        };
        let restore = |opt: &mut Adam<B::InnerBackend>, step: u64, prefix: &str| {
            opt.import_state(step, &moments(prefix), device)
                .map_err(|e| mismatch(e.to_string()))
        };
        restore(&mut run.q_optimizer, ckpt.meta.optimizer_step, "q")?;
        restore(
            &mut run.actor_optimizer,
            state.actor_optimizer_step,
            "actor",
        )?;
        restore(&mut run.a_optimizer, state.alpha_optimizer_step, "alpha")?;

        if let Some(rng) = &ckpt.meta.rng {
            run.rng = rng.restore()?;
        }
        for (env, copy) in run.venv.envs_mut().iter_mut().zip(&state.copies) {
            env.restore(copy)?;
        }
        run.venv.reset(None)?;
        run.rb = rb;
        run.episode_returns = state.episode_returns;
        run.episode_lengths = state.episode_lengths;
        run.alpha = if run.config.autotune {
            let log_alpha: f32 =
                burn::tensor::ElementConversion::elem(run.log_alpha.log_alpha.val().into_scalar());
            f64::from(log_alpha).exp()
        } else {
            run.config.alpha
        };
        run.global_step = ckpt.meta.global_step;
        run.iteration = ckpt.meta.update;
        run.metrics = ckpt.meta.metrics.clone();
        Ok(run)
    }
}

/// The actor-critic shape a SAC checkpoint's sidecar records.
fn network_shape(net: SacNetworkConfig) -> ActorCriticConfig {
    ActorCriticConfig {
        d_hidden: net.d_hidden,
        ..ActorCriticConfig::new(net.d_obs, net.d_action, ActionKind::Continuous)
    }
}

/// `tensors` with `prefix.` in front of each name.
fn prefixed(prefix: &str, tensors: Vec<NamedTensor>) -> impl Iterator<Item = NamedTensor> + '_ {
    tensors.into_iter().map(move |mut t| {
        t.name = format!("{prefix}.{}", t.name);
        t
    })
}

/// Tensors grouped by the first segment of their name, keyed by the rest.
fn by_prefix(tensors: &[NamedTensor]) -> HashMap<String, HashMap<String, NamedTensor>> {
    let mut out: HashMap<String, HashMap<String, NamedTensor>> = HashMap::new();
    for t in tensors {
        if let Some((prefix, rest)) = t.name.split_once('.') {
            let mut t = t.clone();
            t.name = rest.to_owned();
            out.entry(prefix.to_owned())
                .or_default()
                .insert(rest.to_owned(), t);
        }
    }
    out
}

/// The SAC config of a checkpoint, refusing one written by another
/// algorithm.
pub(crate) fn checkpoint_config(ckpt: &Checkpoint, path: &Path) -> Result<SacConfig> {
    let mismatch = |reason: String| PolicyError::CheckpointMismatch {
        path: path.to_path_buf(),
        reason,
    };
    if ckpt.meta.algorithm != SAC_ALGORITHM {
        return Err(mismatch(format!(
            "written by `{}`, not `{SAC_ALGORITHM}`",
            ckpt.meta.algorithm
        )));
    }
    serde_json::from_value(ckpt.meta.config.clone())
        .map_err(|e| mismatch(format!("SAC config does not parse: {e}")))
}

/// The actor of a SAC checkpoint as a deterministic policy (for `vp
/// evaluate`); refuses a checkpoint of another algorithm.
pub fn sac_policy_of<BI: burn::tensor::backend::Backend>(
    ckpt: &Checkpoint,
    path: &Path,
    device: &BI::Device,
) -> Result<SacPolicy<BI>> {
    let config = checkpoint_config(ckpt, path)?;
    let shape = ckpt
        .meta
        .network
        .as_ref()
        .ok_or_else(|| PolicyError::CheckpointMismatch {
            path: path.to_path_buf(),
            reason: "a SAC checkpoint without its network sizes".to_owned(),
        })?;
    let network = SacNetworkConfig {
        d_obs: shape.d_obs,
        d_action: shape.d_action,
        d_hidden: config.d_hidden,
    };
    let (scale, bias) = super::action_scale_bias(&ckpt.meta.action_space)?;
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
    let actor = network.init_actor::<BI, _>(device, &mut rng);
    let params = by_prefix(&ckpt.model);
    let actor = import_params(
        actor,
        &params.get("actor").cloned().unwrap_or_default(),
        device,
    )
    .map_err(|e| PolicyError::CheckpointMismatch {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(SacPolicy::new(actor, network, scale, bias, device))
}
