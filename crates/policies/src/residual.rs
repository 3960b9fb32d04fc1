//! Residual fine-tuning of a chunked policy on the economic reward (SPEC
//! §4, "RL fine-tuning of chunked and diffusion policies"): the clone is
//! frozen and keeps acting through its chunk executor; PPO learns a
//! bounded correction added to each of its actions (a residual policy,
//! Silver et al. 2018; Johannink et al. 2019).
//!
//! Why a residual: the clone already racks dishes over thousands of steps
//! with centimetre precision, and PPO on the clone's own weights (or from
//! scratch) first destroys that before it can improve on it. A residual
//! starts exactly at the clone (PPO's actor output starts near zero) and
//! can move at most `scale` from it per action, so exploration happens
//! around a working policy.
//!
//! [`ResidualSpec`] (the `ppo.fine_tune.residual:` section) records the
//! base checkpoint and its weights checksum: a resume or `vp evaluate`
//! rebuilds the same base and refuses one that has changed.

use std::path::{Path, PathBuf};

use envs::{BasePolicy, EconEnv, Env, ResidualAction, VecEnv, economic_env_over};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{
    Checkpoint, ChunkExecutor, ChunkHead, ChunkHeadConfig, ChunkModel, ChunkPolicy, CpuAutodiff,
    DiffusionConfig, DiffusionPolicy, PolicyError, Result,
};

/// The `ppo.fine_tune.residual:` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResidualSpec {
    /// Largest correction per action feature, in action units (the
    /// learner's output in [-1, 1] times this). Default 0.1.
    #[serde(default = "default_scale")]
    pub scale: f64,
    /// The frozen chunked policy's checkpoint (set from `--init-from`).
    #[serde(default)]
    pub base: Option<String>,
    /// Its weights checksum when the run started (set with `base`).
    #[serde(default)]
    pub base_fnv1a64: Option<String>,
    /// Whether the correction also applies to a labour task's grip. Off by
    /// default: the grip's sign is a grasp or release decision, and a
    /// clone's grip output can sit near zero, where any correction flips
    /// it.
    #[serde(default)]
    pub correct_grip: bool,
}

fn default_scale() -> f64 {
    0.1
}

impl ResidualSpec {
    /// A residual on the chunked policy `ckpt`, read from `base` (checked
    /// to be one).
    pub fn on(ckpt: &Checkpoint, base: &Path, scale: f64) -> Result<Self> {
        ChunkPolicy::from_checkpoint(ckpt, base)?;
        Ok(Self {
            scale,
            base: Some(base.display().to_string()),
            base_fnv1a64: Some(ckpt.meta.weights_fnv1a64.clone()),
            correct_grip: false,
        })
    }

    /// The base checkpoint, loaded and checked against the recorded
    /// checksum.
    pub fn load_base(&self) -> Result<(PathBuf, Checkpoint)> {
        let path = PathBuf::from(self.base.as_deref().ok_or_else(|| {
            PolicyError::config(
                "ppo.fine_tune.residual.base",
                "the chunked policy to fine-tune: run `vp train --init-from <chunk or diffusion \
                 checkpoint>`",
            )
        })?);
        let ckpt = Checkpoint::load(&path)?;
        if let Some(want) = &self.base_fnv1a64
            && &ckpt.meta.weights_fnv1a64 != want
        {
            return Err(PolicyError::config(
                "ppo.fine_tune.residual.base",
                format!(
                    "the base policy {} has changed since the run started (weights checksum {}, \
                     expected {want})",
                    path.display(),
                    ckpt.meta.weights_fnv1a64
                ),
            ));
        }
        Ok((path, ckpt))
    }
}

/// Whether `ckpt` holds a chunked policy (chunk head or diffusion).
pub fn is_chunk_checkpoint(ckpt: &Checkpoint) -> bool {
    crate::CHUNK_ALGORITHMS.contains(&ckpt.meta.algorithm.as_str())
}

/// The model of the chunked checkpoint `ckpt` (read from `path`) on the
/// CPU, with its record.
pub fn load_chunk_model(
    ckpt: &Checkpoint,
    path: &Path,
) -> Result<(Box<dyn ChunkModel + Send>, ChunkPolicy)> {
    let device = Default::default();
    match ckpt.meta.algorithm.as_str() {
        "chunk" => {
            let (model, policy) = ChunkPolicy::load_model(ckpt, path, |m, shape| {
                ChunkHead::<CpuAutodiff>::new(ChunkHeadConfig::from_value(m)?, shape, &device, 0)
            })?;
            Ok((Box::new(model), policy))
        }
        "diffusion" => {
            let (model, policy) = ChunkPolicy::load_model(ckpt, path, |m, shape| {
                let config: DiffusionConfig = serde_json::from_value(m.clone())
                    .map_err(|e| PolicyError::Dataset(format!("diffusion config: {e}")))?;
                DiffusionPolicy::<CpuAutodiff>::new(config, shape, &device, 0)
            })?;
            Ok((Box::new(model), policy))
        }
        other => Err(PolicyError::CheckpointMismatch {
            path: path.to_path_buf(),
            reason: format!("`{other}` is not a chunked policy this build can run as a base"),
        }),
    }
}

/// A frozen chunked policy acting for one env copy.
pub struct ChunkBase {
    env_id: String,
    model: Box<dyn ChunkModel + Send>,
    executor: ChunkExecutor,
    rng: ChaCha8Rng,
}

impl ChunkBase {
    /// The chunked policy of `ckpt` for one copy; `seed` seeds any
    /// sampling noise (a diffusion policy's).
    pub fn new(ckpt: &Checkpoint, path: &Path, seed: u64) -> Result<Self> {
        let (model, policy) = load_chunk_model(ckpt, path)?;
        Ok(Self {
            env_id: ckpt.meta.env_id.clone(),
            executor: policy.executor(1)?,
            model,
            rng: ChaCha8Rng::seed_from_u64(seed),
        })
    }
}

impl BasePolicy for ChunkBase {
    fn reset(&mut self) {
        self.executor.reset_all();
    }

    fn act(&mut self, obs: &[f32], action: &mut [f32]) -> envs::Result<()> {
        self.executor
            .act(&*self.model, obs, &mut self.rng, action)
            .map_err(|e| envs::EnvError::BasePolicy {
                env: self.env_id.clone(),
                message: e.to_string(),
            })
    }
}

/// `n` copies of the labour task `env_id` (task config `task`, text
/// `yaml`) under the economic reward, each acted on by the frozen base of
/// `spec` plus the learner's correction; copy `i`'s base samples with seed
/// `seed + i`.
pub fn residual_venv(
    spec: &ResidualSpec,
    task: &economics::TaskConfig,
    env_id: &str,
    yaml: &str,
    n: usize,
    shaping_weight: f64,
    seed: u64,
) -> Result<VecEnv<EconEnv>> {
    let (path, ckpt) = spec.load_base()?;
    if ckpt.meta.env_id != env_id {
        return Err(PolicyError::CheckpointMismatch {
            path,
            reason: format!(
                "the base policy was trained on `{}`, the run is on `{env_id}`",
                ckpt.meta.env_id
            ),
        });
    }
    let copies = (0..n)
        .map(|i| {
            let base = ChunkBase::new(&ckpt, &path, seed.wrapping_add(i as u64))?;
            let inner = envs::task_env_from_yaml(env_id, yaml, "config.yaml")?;
            let mut residual = ResidualAction::new(inner, Box::new(base), spec.scale as f32)?;
            if !spec.correct_grip && residual.as_labour_task().is_some() {
                residual = residual.without_correction_of(envs::GRIP_ACTION);
            }
            Ok(economic_env_over(
                task,
                env_id,
                Box::new(residual),
                shaping_weight,
            )?)
        })
        .collect::<Result<Vec<_>>>()?;
    let mut venv = VecEnv::new(copies)?;
    venv.set_min_envs_per_task(1);
    Ok(venv)
}
