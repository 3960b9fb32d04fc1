//! What the chunked learners share: a model that maps a window of recent
//! observations to a chunk of future actions (SPEC §4, action chunking and
//! diffusion policy).
//!
//! Both sides of the trait work in normalised units ([-1, 1] per feature,
//! from the data's min and max) and in host `f32` slices, so the dataset,
//! the windows and the receding-horizon execution are written once for the
//! deterministic chunk head and the diffusion policy alike.

use rand_chacha::ChaCha8Rng;

use crate::{NamedTensor, PolicyError, Result};

/// The sizes every chunked model is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChunkShape {
    /// Observation features per step.
    pub obs_dim: usize,
    /// Action features per step.
    pub action_dim: usize,
    /// Observation window the model conditions on (To, 2 by default).
    pub obs_window: usize,
    /// Actions predicted per chunk (Tp, 16 by default).
    pub horizon: usize,
    /// Actions executed from each chunk before predicting again (Ta, 8).
    pub action_steps: usize,
}

impl ChunkShape {
    /// Floats in one observation window: `obs_window * obs_dim`.
    pub fn window_len(&self) -> usize {
        self.obs_window * self.obs_dim
    }

    /// Floats in one action chunk: `horizon * action_dim`.
    pub fn chunk_len(&self) -> usize {
        self.horizon * self.action_dim
    }
}

/// A trainable map from observation windows to action chunks.
///
/// Layouts are row-major: `obs` is `[batch, obs_window, obs_dim]`, a chunk
/// is `[batch, horizon, action_dim]`, both normalised to [-1, 1].
pub trait ChunkModel {
    /// The sizes the model was built for.
    fn shape(&self) -> ChunkShape;

    /// One gradient step on a batch of (window, chunk) pairs, including the
    /// optimizer, its learning-rate schedule and any weight averaging.
    /// Returns the training loss.
    fn train_step(
        &mut self,
        obs: &[f32],
        actions: &[f32],
        batch: usize,
        rng: &mut ChaCha8Rng,
    ) -> Result<f32>;

    /// Chunks for a batch of windows from the deployed weights (the EMA
    /// weights where the model keeps them). `rng` draws any sampling noise.
    fn predict(&self, obs: &[f32], batch: usize, rng: &mut ChaCha8Rng) -> Result<Vec<f32>>;

    /// Gradient steps taken so far (drives the schedules).
    fn gradient_steps(&self) -> u64;

    /// The learning rate of the next gradient step, where the model has
    /// one to report (logged as `charts/learning_rate`).
    fn learning_rate(&self) -> Option<f64> {
        None
    }

    /// Everything an exact resume needs: weights, averaged weights,
    /// optimizer moments and the step, as named host tensors.
    fn export_state(&self) -> Vec<NamedTensor>;

    /// Restores what [`ChunkModel::export_state`] wrote; fails naming the
    /// first missing or mis-shaped tensor.
    fn import_state(&mut self, tensors: &[NamedTensor]) -> Result<()>;

    /// Name prefixes (`net.`, `model.`…) of the trained weights among the
    /// tensors of [`ChunkModel::export_state`], as opposed to optimizer
    /// moments and steps. None: the model cannot start from another's
    /// weights.
    fn weight_prefixes(&self) -> &'static [&'static str] {
        &[]
    }

    /// Takes the trained weights out of another model's exported state
    /// `tensors` and keeps this model's own optimizer, schedule and step:
    /// the start of a fine-tune. Fails, changing nothing, naming the first
    /// weight that is missing or shaped differently.
    fn import_weights(&mut self, tensors: &[NamedTensor]) -> Result<()> {
        let prefixes = self.weight_prefixes();
        if prefixes.is_empty() {
            return Err(PolicyError::ParamMismatch(
                "this model cannot start from another's weights".to_owned(),
            ));
        }
        let is_weight = |name: &str| prefixes.iter().any(|p| name.starts_with(p));
        let mut own = self.export_state();
        for t in own.iter_mut().filter(|t| is_weight(&t.name)) {
            let src = tensors.iter().find(|s| s.name == t.name).ok_or_else(|| {
                PolicyError::ParamMismatch(format!("weight `{}` is missing", t.name))
            })?;
            if src.shape != t.shape {
                return Err(PolicyError::ParamMismatch(format!(
                    "weight `{}` is {:?}, this model's is {:?}",
                    t.name, src.shape, t.shape
                )));
            }
            t.data.clone_from(&src.data);
        }
        self.import_state(&own)
    }
}
