//! Checkpoints: safetensors weights plus a JSON sidecar, written atomically.
//!
//! A checkpoint named `model_latest` in folder `dir` is two files:
//!
//! - `dir/model_latest.json`, the sidecar ([`CheckpointMeta`]): algorithm,
//!   config, env id and spaces, network shape, step and update counters,
//!   normaliser statistics, optimizer step, RNG state, metrics, git commit,
//!   and the name, length and FNV-1a-64 checksum of the weights file;
//! - `dir/model_latest-<update>.safetensors`, the tensors: the network's
//!   parameters under `model.<path>` and Adam's moments under
//!   `optim.m.<path>` / `optim.v.<path>`;
//! - for learners that need more to resume than weights (SAC's replay
//!   buffer), `dir/model_latest-<update>-<role>.safetensors` files, each
//!   named in the sidecar with its length and checksum
//!   ([`Checkpoint::save_with_files`], [`Checkpoint::read_file`]).
//!
//! Every file is written to a temporary name, flushed with `fsync` and
//! renamed into place; the sidecar is written last and is the commit point.
//! A run killed at any moment therefore leaves either the previous
//! checkpoint or the new one, never a mix: the old weights file is deleted
//! only after the new sidecar is in place. Loading checks the length and
//! checksum of the weights before parsing them, so a truncated or corrupt
//! file is refused with [`PolicyError::CorruptCheckpoint`]; a checkpoint for
//! another env, spaces or network shape is refused with
//! [`PolicyError::CheckpointMismatch`].

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use envs::{NormalizationState, Space};
use rand_chacha::ChaCha8Rng;
use safetensors::tensor::{Dtype, TensorView};
use serde::{Deserialize, Serialize};

use crate::{ActorCriticConfig, NamedTensor, PolicyError, Result};

/// Version of the sidecar layout; bumped on incompatible changes.
pub const CHECKPOINT_FORMAT_VERSION: u32 = 1;

/// The exact state of a `ChaCha8Rng` (seed, stream, position).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RngState {
    /// The 32-byte seed, hex.
    pub seed: String,
    /// Stream number.
    pub stream: u64,
    /// Position in the stream, in 32-bit words (decimal string: it is a u128).
    pub word_pos: String,
}

impl RngState {
    /// Captures `rng`'s state.
    pub fn capture(rng: &ChaCha8Rng) -> Self {
        Self {
            seed: rng.get_seed().iter().map(|b| format!("{b:02x}")).collect(),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos().to_string(),
        }
    }

    /// Rebuilds the generator at the captured position.
    pub fn restore(&self) -> Result<ChaCha8Rng> {
        use rand::SeedableRng;
        let bad = |what: &str| PolicyError::ParamMismatch(format!("RNG state: invalid {what}"));
        if self.seed.len() != 64 {
            return Err(bad("seed length"));
        }
        let mut seed = [0u8; 32];
        for (i, b) in seed.iter_mut().enumerate() {
            *b = u8::from_str_radix(
                self.seed.get(2 * i..2 * i + 2).ok_or_else(|| bad("seed"))?,
                16,
            )
            .map_err(|_| bad("seed"))?;
        }
        let word_pos: u128 = self.word_pos.parse().map_err(|_| bad("word position"))?;
        let mut rng = ChaCha8Rng::from_seed(seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(word_pos);
        Ok(rng)
    }
}

/// The JSON sidecar of a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointMeta {
    /// [`CHECKPOINT_FORMAT_VERSION`] at writing time.
    pub format_version: u32,
    /// `ppo`, `bc`, `chunk` or `diffusion`.
    pub algorithm: String,
    /// The algorithm's config, as it serialises.
    pub config: serde_json::Value,
    /// Registered env id, e.g. `CartPole-v1`.
    pub env_id: String,
    /// Observation space of the env.
    pub observation_space: Space,
    /// Action space of the env.
    pub action_space: Space,
    /// Shape of the actor-critic network (PPO and BC); `None` for the
    /// chunked policies, whose model config is in `config`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<ActorCriticConfig>,
    /// Env steps taken (summed over copies).
    pub global_step: u64,
    /// Updates done.
    pub update: u64,
    /// Observation and reward normaliser statistics.
    pub normalization: NormalizationState,
    /// Adam's step count (its moments are in the weights file).
    pub optimizer_step: u64,
    /// The run's RNG, to continue the same random stream on resume.
    pub rng: Option<RngState>,
    /// Last logged metrics, by key.
    pub metrics: BTreeMap<String, f64>,
    /// `git rev-parse HEAD` of the code that wrote it, if known.
    pub git_commit: Option<String>,
    /// File name of the weights, in the same folder.
    pub weights_file: String,
    /// Length of the weights file in bytes.
    pub weights_len: u64,
    /// FNV-1a-64 of the weights file, hex.
    pub weights_fnv1a64: String,
    /// Further files of this checkpoint (SAC's replay buffer); most
    /// learners write none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<CheckpointFile>,
}

/// A file beside the weights that belongs to a checkpoint, checked like
/// the weights when it is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointFile {
    /// What it holds, e.g. `replay` (lowercase letters and `_`).
    pub role: String,
    /// File name, in the sidecar's folder.
    pub file: String,
    /// Length in bytes.
    pub len: u64,
    /// FNV-1a-64 of the file, hex.
    pub fnv1a64: String,
}

/// What a learner records in a checkpoint's sidecar; [`CheckpointMeta::new`]
/// adds the format version, the git commit and (on save) the weights
/// file's name, length and checksum.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointState {
    /// `ppo`, `bc`, `chunk` or `diffusion`.
    pub algorithm: String,
    /// The algorithm's config, as it serialises.
    pub config: serde_json::Value,
    /// Registered env id, e.g. `CartPole-v1`.
    pub env_id: String,
    /// Observation space of the env.
    pub observation_space: Space,
    /// Action space of the env.
    pub action_space: Space,
    /// Shape of the actor-critic network (PPO and BC); `None` for the
    /// chunked policies, whose model config is in `config`.
    pub network: Option<ActorCriticConfig>,
    /// Env steps taken (summed over copies; pairs seen, for BC; gradient
    /// steps, for the chunked policies).
    pub global_step: u64,
    /// Updates done (DAgger rounds, for BC).
    pub update: u64,
    /// Observation and reward normaliser statistics.
    pub normalization: NormalizationState,
    /// Adam's step count (its moments go in the weights file).
    pub optimizer_step: u64,
    /// The run's RNG, to continue the same random stream on resume.
    pub rng: Option<RngState>,
    /// Last logged metrics, by key.
    pub metrics: BTreeMap<String, f64>,
}

impl CheckpointMeta {
    /// The sidecar of a learner's `state`, written by the code at the
    /// current folder's git commit. Every field of both structs is named
    /// here (no `..`), so a new one is a compile error until it is handled.
    pub fn new(state: CheckpointState) -> Self {
        let CheckpointState {
            algorithm,
            config,
            env_id,
            observation_space,
            action_space,
            network,
            global_step,
            update,
            normalization,
            optimizer_step,
            rng,
            metrics,
        } = state;
        Self {
            format_version: CHECKPOINT_FORMAT_VERSION,
            algorithm,
            config,
            env_id,
            observation_space,
            action_space,
            network,
            global_step,
            update,
            normalization,
            optimizer_step,
            rng,
            metrics,
            git_commit: std::env::current_dir().ok().and_then(|d| git_commit(&d)),
            // Filled in by `Checkpoint::save`.
            weights_file: String::new(),
            weights_len: 0,
            weights_fnv1a64: String::new(),
            files: Vec::new(),
        }
    }
}

/// A checkpoint in memory: sidecar plus tensors.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// The sidecar.
    pub meta: CheckpointMeta,
    /// Network parameters, by path (`actor.0.weight`, …).
    pub model: Vec<NamedTensor>,
    /// Optimizer moments (`m.<path>`, `v.<path>`).
    pub optimizer: Vec<NamedTensor>,
}

impl Checkpoint {
    /// Raises the step budget recorded in the learner's config (a PPO
    /// run resumed with `--total-steps` re-targets its learning-rate
    /// schedule to it).
    pub fn set_total_timesteps(&mut self, steps: u64) -> Result<()> {
        let config = self
            .meta
            .config
            .as_object_mut()
            .ok_or_else(|| PolicyError::config("checkpoint.config", "is not a mapping"))?;
        config.insert("total_timesteps".to_owned(), serde_json::Value::from(steps));
        Ok(())
    }

    /// The network parameters keyed by path, for `import_params`.
    pub fn model_map(&self) -> HashMap<String, NamedTensor> {
        self.model
            .iter()
            .map(|t| (t.name.clone(), t.clone()))
            .collect()
    }

    /// Writes `dir/<name>.json` and its weights atomically (see the module
    /// docs). `meta`'s weights fields are filled in here. Returns the
    /// sidecar's path.
    pub fn save(&mut self, dir: &Path, name: &str) -> Result<PathBuf> {
        self.save_with_files(dir, name, &[])
    }

    /// [`Checkpoint::save`] with further files, `(role, bytes)`, written
    /// as `dir/<name>-<update>-<role>.safetensors` before the sidecar that
    /// names them (the commit point), so they are replaced together with
    /// the weights. A role is lowercase letters and `_`.
    pub fn save_with_files(
        &mut self,
        dir: &Path,
        name: &str,
        files: &[(&str, &[u8])],
    ) -> Result<PathBuf> {
        fs::create_dir_all(dir).map_err(|e| PolicyError::io(dir, e))?;
        let sidecar_path = dir.join(format!("{name}.json"));
        let previous: Vec<String> = read_meta(&sidecar_path)
            .map(|m| {
                std::iter::once(m.weights_file)
                    .chain(m.files.into_iter().map(|f| f.file))
                    .collect()
            })
            .unwrap_or_default();
        self.meta.files.clear();
        for (role, bytes) in files {
            if role.is_empty() || !role.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                return Err(PolicyError::ParamMismatch(format!(
                    "checkpoint file role `{role}`: expected lowercase letters and `_`"
                )));
            }
            let file = format!("{name}-{:08}-{role}.safetensors", self.meta.update);
            write_atomic(&dir.join(&file), bytes)?;
            self.meta.files.push(CheckpointFile {
                role: (*role).to_owned(),
                file,
                len: bytes.len() as u64,
                fnv1a64: format!("{:016x}", fnv1a64(bytes)),
            });
        }

        let mut tensors: Vec<(String, &NamedTensor)> = Vec::new();
        tensors.extend(self.model.iter().map(|t| (format!("model.{}", t.name), t)));
        tensors.extend(
            self.optimizer
                .iter()
                .map(|t| (format!("optim.{}", t.name), t)),
        );
        let bytes_of: Vec<Vec<u8>> = tensors
            .iter()
            .map(|(_, t)| t.data.iter().flat_map(|v| v.to_le_bytes()).collect())
            .collect();
        let views = tensors
            .iter()
            .zip(&bytes_of)
            .map(|((n, t), b)| {
                TensorView::new(Dtype::F32, t.shape.clone(), b)
                    .map(|v| (n.clone(), v))
                    .map_err(|e| PolicyError::ParamMismatch(format!("tensor `{n}`: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let blob = safetensors::serialize(views, None)
            .map_err(|e| PolicyError::ParamMismatch(format!("safetensors: {e}")))?;

        let weights_file = format!("{name}-{:08}.safetensors", self.meta.update);
        self.meta.weights_file = weights_file.clone();
        self.meta.weights_len = blob.len() as u64;
        self.meta.weights_fnv1a64 = format!("{:016x}", fnv1a64(&blob));
        self.meta.format_version = CHECKPOINT_FORMAT_VERSION;
        write_atomic(&dir.join(&weights_file), &blob)?;
        let json = serde_json::to_vec_pretty(&self.meta)
            .map_err(|e| PolicyError::ParamMismatch(format!("sidecar: {e}")))?;
        write_atomic(&sidecar_path, &json)?;

        let kept =
            |old: &String| *old == weights_file || self.meta.files.iter().any(|f| f.file == *old);
        for old in previous.iter().filter(|old| !kept(old)) {
            // Only files this checkpoint name wrote; a failure leaves an orphan, not a corruption.
            if old.starts_with(&format!("{name}-")) && !old.contains(['/', '\\']) {
                let _ = fs::remove_file(dir.join(old));
            }
        }
        Ok(sidecar_path)
    }

    /// The bytes of this checkpoint's file of `role` (see
    /// [`Checkpoint::save_with_files`]); `path` is the checkpoint as given
    /// to [`Checkpoint::load`]. Refuses a missing, truncated or corrupt file.
    pub fn read_file(&self, path: &Path, role: &str) -> Result<Vec<u8>> {
        let sidecar = sidecar_path(path);
        let entry = self
            .meta
            .files
            .iter()
            .find(|f| f.role == role)
            .ok_or_else(|| corrupt(&sidecar, format!("names no `{role}` file")))?;
        if entry.file.contains(['/', '\\']) || entry.file.starts_with('.') {
            return Err(corrupt(
                &sidecar,
                format!("bad {role} file name `{}`", entry.file),
            ));
        }
        let file_path = sidecar.with_file_name(&entry.file);
        let bytes = fs::read(&file_path).map_err(|e| PolicyError::io(&file_path, e))?;
        if bytes.len() as u64 != entry.len {
            return Err(corrupt(
                &file_path,
                format!(
                    "{} bytes, the sidecar says {} (truncated?)",
                    bytes.len(),
                    entry.len
                ),
            ));
        }
        let sum = format!("{:016x}", fnv1a64(&bytes));
        if sum != entry.fnv1a64 {
            return Err(corrupt(
                &file_path,
                format!("checksum {sum}, the sidecar says {}", entry.fnv1a64),
            ));
        }
        Ok(bytes)
    }

    /// Reads a checkpoint from its sidecar path, or from `dir/<name>` with
    /// or without the `.json` extension. Refuses a truncated or corrupt
    /// sidecar or weights file.
    pub fn load(path: &Path) -> Result<Self> {
        let sidecar = sidecar_path(path);
        let meta = read_meta(&sidecar)?;
        if meta.format_version != CHECKPOINT_FORMAT_VERSION {
            return Err(PolicyError::CheckpointMismatch {
                path: sidecar,
                reason: format!(
                    "format version {} (this build reads {CHECKPOINT_FORMAT_VERSION})",
                    meta.format_version
                ),
            });
        }
        if meta.weights_file.contains(['/', '\\']) || meta.weights_file.starts_with('.') {
            return Err(corrupt(
                &sidecar,
                format!("bad weights file name `{}`", meta.weights_file),
            ));
        }
        let weights_path = sidecar.with_file_name(&meta.weights_file);
        let blob = fs::read(&weights_path).map_err(|e| PolicyError::io(&weights_path, e))?;
        if blob.len() as u64 != meta.weights_len {
            return Err(corrupt(
                &weights_path,
                format!(
                    "{} bytes, the sidecar says {} (truncated?)",
                    blob.len(),
                    meta.weights_len
                ),
            ));
        }
        let sum = format!("{:016x}", fnv1a64(&blob));
        if sum != meta.weights_fnv1a64 {
            return Err(corrupt(
                &weights_path,
                format!("checksum {sum}, the sidecar says {}", meta.weights_fnv1a64),
            ));
        }
        let st = safetensors::SafeTensors::deserialize(&blob)
            .map_err(|e| corrupt(&weights_path, e.to_string()))?;
        let mut model = Vec::new();
        let mut optimizer = Vec::new();
        for (name, view) in st.tensors() {
            if view.dtype() != Dtype::F32 {
                return Err(corrupt(
                    &weights_path,
                    format!("tensor `{name}` is {:?}, not F32", view.dtype()),
                ));
            }
            let data: Vec<f32> = view
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            if data.iter().any(|v| !v.is_finite()) {
                return Err(corrupt(
                    &weights_path,
                    format!("tensor `{name}` holds a non-finite value"),
                ));
            }
            let t = |n: &str| NamedTensor {
                name: n.to_owned(),
                shape: view.shape().to_vec(),
                data: data.clone(),
            };
            if let Some(n) = name.strip_prefix("model.") {
                model.push(t(n));
            } else if let Some(n) = name.strip_prefix("optim.") {
                optimizer.push(t(n));
            } else {
                return Err(corrupt(
                    &weights_path,
                    format!("unexpected tensor `{name}`"),
                ));
            }
        }
        model.sort_by(|a, b| a.name.cmp(&b.name));
        optimizer.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self {
            meta,
            model,
            optimizer,
        })
    }

    /// Refuses this checkpoint unless it was written for env `env_id` with
    /// these spaces.
    pub fn check_env(
        &self,
        env_id: &str,
        observation_space: &Space,
        action_space: &Space,
    ) -> Result<()> {
        let path = PathBuf::from(&self.meta.weights_file);
        let mismatch = |reason: String| PolicyError::CheckpointMismatch {
            path: path.clone(),
            reason,
        };
        if self.meta.env_id != env_id {
            return Err(mismatch(format!(
                "written for env `{}`, loading into `{env_id}`",
                self.meta.env_id
            )));
        }
        if &self.meta.observation_space != observation_space {
            return Err(mismatch(format!(
                "observation space {:?} differs from the env's {observation_space:?}",
                self.meta.observation_space
            )));
        }
        if &self.meta.action_space != action_space {
            return Err(mismatch(format!(
                "action space {:?} differs from the env's {action_space:?}",
                self.meta.action_space
            )));
        }
        Ok(())
    }
}

/// `dir/name.json` for `dir/name` or `dir/name.json`.
fn sidecar_path(path: &Path) -> PathBuf {
    if path.extension().is_some_and(|e| e == "json") {
        path.to_path_buf()
    } else {
        let mut s = path.as_os_str().to_owned();
        s.push(".json");
        PathBuf::from(s)
    }
}

fn corrupt(path: &Path, reason: String) -> PolicyError {
    PolicyError::CorruptCheckpoint {
        path: path.to_path_buf(),
        reason,
    }
}

fn read_meta(path: &Path) -> Result<CheckpointMeta> {
    let bytes = fs::read(path).map_err(|e| PolicyError::io(path, e))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| corrupt(path, format!("sidecar does not parse: {e}")))
}

/// Writes `bytes` to `path` through a temporary file in the same folder,
/// `fsync`, rename, then `fsync` of the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        if let Ok(d) = File::open(dir) {
            // Directory fsync is not supported everywhere; the rename is done either way.
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        PolicyError::io(path, e)
    })
}

/// FNV-1a, 64-bit.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The current git commit, read from `.git` above `start` without running
/// git; `None` outside a repository.
pub fn git_commit(start: &Path) -> Option<String> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let git = d.join(".git");
        if git.is_dir() {
            let head = fs::read_to_string(git.join("HEAD")).ok()?;
            let head = head.trim();
            return match head.strip_prefix("ref: ") {
                None => Some(head.to_owned()),
                Some(r) => fs::read_to_string(git.join(r))
                    .ok()
                    .map(|s| s.trim().to_owned())
                    .or_else(|| {
                        let packed = fs::read_to_string(git.join("packed-refs")).ok()?;
                        packed
                            .lines()
                            .find(|l| l.ends_with(r))
                            .and_then(|l| l.split_whitespace().next())
                            .map(str::to_owned)
                    }),
            };
        }
        dir = d.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngCore, SeedableRng};

    #[test]
    fn rng_state_round_trips_mid_stream() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for _ in 0..37 {
            rng.next_u32();
        }
        let state = RngState::capture(&rng);
        let mut back = state.restore().expect("valid state");
        assert_eq!(rng.next_u64(), back.next_u64());
    }

    #[test]
    fn fnv1a64_matches_reference_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
