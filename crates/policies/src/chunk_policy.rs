//! `ChunkPolicy`: what a chunked policy's checkpoint records beside the
//! model's tensors (the `config` of its sidecar): the chunking settings,
//! the model's own config, its sizes, the normalisers and the
//! demonstrations it learnt from. With it, `vp evaluate` rebuilds the
//! model and its [`ChunkExecutor`]; with the demonstrations file, a run
//! resumes exactly.
//!
//! The demonstrations are saved once, at the run's first checkpoint, as
//! `checkpoints/demonstrations.safetensors` (raw observations and actions
//! episode by episode); the sidecar records its length and FNV-1a-64, and
//! a resume refuses a file that does not match. Re-recording from the
//! seed would also reproduce them, but only while the expert's and the
//! env's code stay the same; the file makes a resume independent of that.

use std::path::Path;

use safetensors::tensor::{Dtype, TensorView};
use serde::{Deserialize, Serialize};

use crate::checkpoint::fnv1a64;
use crate::{
    Checkpoint, ChunkConfig, ChunkDataset, ChunkExecutor, ChunkModel, ChunkShape, MinMaxNormalizer,
    NamedTensor, PolicyError, Result, write_atomic,
};

/// The algorithms whose checkpoints hold a [`ChunkPolicy`].
pub const CHUNK_ALGORITHMS: [&str; 2] = ["chunk", "diffusion"];

/// File name of a chunk run's demonstrations, beside its checkpoints.
pub const DEMONSTRATIONS_FILE: &str = "demonstrations.safetensors";

/// The demonstrations a chunked policy learnt from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoRecord {
    /// Expert episodes, seeded `seed`, `seed + 1`, … of the run.
    pub episodes: u64,
    /// The expert's skill, in [0, 1].
    pub skill: f64,
    /// Steps over all episodes.
    pub steps: usize,
    /// Units each episode completed.
    pub units: Vec<u32>,
    /// Length of [`DEMONSTRATIONS_FILE`] in bytes.
    pub file_len: u64,
    /// Its FNV-1a-64, hex.
    pub file_fnv1a64: String,
    /// Rounds of economic self-imitation whose kept segments joined the
    /// demonstrations, in order (a fine-tune; see
    /// [`crate::SelfImitationConfig`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub self_imitation: Vec<RoundRecord>,
}

/// One round of self-imitation, saved beside the checkpoints as
/// [`round_file`]`(round)` (raw observations and actions, one dataset
/// episode per kept segment), written once before any checkpoint that
/// counts it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundRecord {
    /// Round index, from 0.
    pub round: u64,
    /// Seed of its first episode.
    pub seed: u64,
    /// Episodes played.
    pub episodes: usize,
    /// Error-free segments that completed units.
    pub successful: usize,
    /// Segments that ended in an error.
    pub failed: usize,
    /// Segments kept (dataset episodes in the file).
    pub kept: usize,
    /// Steps over the kept segments.
    pub steps: usize,
    /// Length of the file in bytes.
    pub file_len: u64,
    /// Its FNV-1a-64, hex.
    pub file_fnv1a64: String,
}

/// The clone a fine-tune started from (`vp train --init-from`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitRecord {
    /// The checkpoint's path as given.
    pub path: String,
    /// Its weights' FNV-1a-64.
    pub weights_fnv1a64: String,
}

/// File name of self-imitation round `round`'s kept segments.
pub fn round_file(round: u64) -> String {
    format!("self_imitation-{round:04}.safetensors")
}

/// A chunked policy's checkpoint record (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChunkPolicy {
    /// Windows, batches and execution.
    pub chunk: ChunkConfig,
    /// The model's own config (`chunk.head` for the chunk head, the
    /// `diffusion:` section for the diffusion policy).
    pub model: serde_json::Value,
    /// The model's sizes.
    pub shape: ChunkShape,
    /// Observation normaliser (raw → [-1, 1]).
    pub obs_norm: MinMaxNormalizer,
    /// Action normaliser (raw → [-1, 1]).
    pub act_norm: MinMaxNormalizer,
    /// The run's budget of gradient steps.
    pub total_steps: u64,
    /// What the model learnt from.
    pub demonstrations: DemoRecord,
    /// The clone this policy was fine-tuned from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_from: Option<InitRecord>,
}

impl ChunkPolicy {
    /// An executor for `copies` env copies, executing as the config says.
    pub fn executor(&self, copies: usize) -> Result<ChunkExecutor> {
        ChunkExecutor::new(
            self.shape,
            self.obs_norm.clone(),
            self.act_norm.clone(),
            self.chunk.execution(),
            copies,
        )
    }

    /// The record of a chunked policy's checkpoint, checked against its
    /// sizes; another algorithm's checkpoint is refused.
    pub fn from_checkpoint(ckpt: &Checkpoint, path: &Path) -> Result<Self> {
        let mismatch = |reason: String| PolicyError::CheckpointMismatch {
            path: path.to_path_buf(),
            reason,
        };
        if !CHUNK_ALGORITHMS.contains(&ckpt.meta.algorithm.as_str()) {
            return Err(mismatch(format!(
                "written by `{}`, not a chunked policy ({})",
                ckpt.meta.algorithm,
                CHUNK_ALGORITHMS.join(", ")
            )));
        }
        let policy: Self = serde_json::from_value(ckpt.meta.config.clone())
            .map_err(|e| mismatch(format!("its chunk policy record does not parse: {e}")))?;
        policy.chunk.validate()?;
        let s = policy.shape;
        let want = policy.chunk.shape(s.obs_dim, s.action_dim);
        if s != want {
            return Err(mismatch(format!(
                "shape {s:?} disagrees with its chunk config {want:?}"
            )));
        }
        let dims = (
            ckpt.meta.observation_space.flat_size(),
            ckpt.meta.action_space.flat_size(),
        );
        if dims != (s.obs_dim, s.action_dim) {
            return Err(mismatch(format!(
                "shape {s:?} does not fit the spaces ({} observation, {} action features)",
                dims.0, dims.1
            )));
        }
        policy.obs_norm.check(s.obs_dim, "observation")?;
        policy.act_norm.check(s.action_dim, "action")?;
        Ok(policy)
    }

    /// The model of a chunked policy's checkpoint: `build` makes one from
    /// the recorded model config and sizes, and the checkpoint's tensors
    /// are imported into it (weights, optimizer moments, step).
    pub fn load_model<M: ChunkModel>(
        ckpt: &Checkpoint,
        path: &Path,
        build: impl FnOnce(&serde_json::Value, ChunkShape) -> Result<M>,
    ) -> Result<(M, Self)> {
        let policy = Self::from_checkpoint(ckpt, path)?;
        let mut model = build(&policy.model, policy.shape)?;
        if model.shape() != policy.shape {
            return Err(PolicyError::CheckpointMismatch {
                path: path.to_path_buf(),
                reason: format!(
                    "the model was built for {:?}, the checkpoint holds {:?}",
                    model.shape(),
                    policy.shape
                ),
            });
        }
        model
            .import_state(&ckpt.model)
            .map_err(|e| PolicyError::CheckpointMismatch {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        Ok((model, policy))
    }
}

/// `data` as the bytes of a safetensors file (the same bytes every time).
pub(crate) fn demonstrations_blob(data: &ChunkDataset) -> Result<Vec<u8>> {
    let tensors = data.to_tensors();
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|t| t.data.iter().flat_map(|v| v.to_le_bytes()).collect())
        .collect();
    let views = tensors
        .iter()
        .zip(&bytes)
        .map(|(t, b)| {
            TensorView::new(Dtype::F32, t.shape.clone(), b)
                .map(|v| (t.name.clone(), v))
                .map_err(|e| PolicyError::Dataset(format!("demonstrations `{}`: {e}", t.name)))
        })
        .collect::<Result<Vec<_>>>()?;
    safetensors::serialize(views, None)
        .map_err(|e| PolicyError::Dataset(format!("demonstrations: {e}")))
}

/// Length and FNV-1a-64 (hex) of `blob`.
pub(crate) fn blob_id(blob: &[u8]) -> (u64, String) {
    (blob.len() as u64, format!("{:016x}", fnv1a64(blob)))
}

/// Writes `blob` as `dir/demonstrations.safetensors` (atomically) unless a
/// file with its length and checksum is already there.
pub(crate) fn save_demonstrations(dir: &Path, blob: &[u8]) -> Result<()> {
    save_dataset_file(dir, DEMONSTRATIONS_FILE, blob)
}

/// Writes `blob` as `dir/name` (atomically) unless a file with its length
/// and checksum is already there.
pub(crate) fn save_dataset_file(dir: &Path, name: &str, blob: &[u8]) -> Result<()> {
    let path = dir.join(name);
    if let Ok(existing) = std::fs::read(&path)
        && blob_id(&existing) == blob_id(blob)
    {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| PolicyError::io(dir, e))?;
    write_atomic(&path, blob)
}

/// Reads `dir/demonstrations.safetensors`, refusing a file whose length or
/// checksum differ from `record`'s.
pub fn load_demonstrations(dir: &Path, record: &DemoRecord) -> Result<ChunkDataset> {
    load_dataset_file(
        &dir.join(DEMONSTRATIONS_FILE),
        record.file_len,
        &record.file_fnv1a64,
    )
}

/// Reads the kept segments of every self-imitation round `record` counts,
/// from beside the checkpoint in `dir`, each checked as
/// [`load_demonstrations`] checks its file.
/// A round that kept nothing has no file (`d_obs`, `d_action`: the sizes
/// of its empty dataset).
pub fn load_rounds(
    dir: &Path,
    record: &DemoRecord,
    (d_obs, d_action): (usize, usize),
) -> Result<Vec<ChunkDataset>> {
    record
        .self_imitation
        .iter()
        .map(|r| {
            if r.kept == 0 {
                return Ok(ChunkDataset::new(d_obs, d_action));
            }
            let data =
                load_dataset_file(&dir.join(round_file(r.round)), r.file_len, &r.file_fnv1a64)?;
            if (data.d_obs, data.d_action) != (d_obs, d_action) {
                return Err(PolicyError::CorruptCheckpoint {
                    path: dir.join(round_file(r.round)),
                    reason: format!(
                        "{} observation and {} action features, the policy has {d_obs} and \
                         {d_action}",
                        data.d_obs, data.d_action
                    ),
                });
            }
            Ok(data)
        })
        .collect()
}

/// Reads a dataset file, refusing one whose length or checksum differ.
fn load_dataset_file(path: &Path, file_len: u64, file_fnv1a64: &str) -> Result<ChunkDataset> {
    let path = path.to_path_buf();
    let blob = std::fs::read(&path).map_err(|e| PolicyError::io(&path, e))?;
    let (len, sum) = blob_id(&blob);
    let corrupt = |reason: String| PolicyError::CorruptCheckpoint {
        path: path.clone(),
        reason,
    };
    if len != file_len || sum != file_fnv1a64 {
        return Err(corrupt(format!(
            "{len} bytes with checksum {sum}, the checkpoint says {file_len} bytes with \
             {file_fnv1a64}"
        )));
    }
    let st = safetensors::SafeTensors::deserialize(&blob).map_err(|e| corrupt(e.to_string()))?;
    let tensors = st
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            if view.dtype() != Dtype::F32 {
                return Err(corrupt(format!("tensor `{name}` is not F32")));
            }
            Ok(NamedTensor {
                data: view
                    .data()
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
                shape: view.shape().to_vec(),
                name,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    ChunkDataset::from_tensors(&tensors)
}
