//! `ChunkHead`: the deterministic action-chunking head (ACT, Zhao et al.,
//! 2023, without its CVAE and transformer): an MLP from the flattened,
//! normalised observation window to a whole chunk of normalised actions,
//! trained by L1 regression (ACT's loss; MSE as an option) with AdamW.
//!
//! Top to bottom: config → network → the learning-rate schedule →
//! [`ChunkHead`], whose [`ChunkModel`] impl is the training step, the
//! prediction and the exact export of weights, moments and step.

use std::collections::HashMap;

use burn::module::{AutodiffModule, Module, ModuleMapper, Param};
use burn::nn::Linear;
use burn::optim::GradientsParams;
use burn::tensor::activation::{mish, relu};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor, TensorData};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use yaml_config::ConfigCheck;

use crate::chunk_dataset::{f32s_to_u64, u64_to_f32s};
use crate::{
    Adam, AdamConfig, ChunkModel, ChunkShape, NamedTensor, PolicyError, Result, export_params,
    import_params, orthogonal,
};

/// The nonlinearity between hidden layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ChunkActivation {
    /// `max(0, x)`.
    #[default]
    Relu,
    /// `x · tanh(softplus(x))` (diffusion policy's choice).
    Mish,
}

/// The regression loss on normalised actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ChunkLoss {
    /// Mean absolute error (ACT's choice: sharper than MSE on multi-modal
    /// demonstrations, which MSE averages).
    #[default]
    L1,
    /// Mean squared error.
    Mse,
}

/// The chunk head's network and optimiser (`chunk.head:` in a task config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChunkHeadConfig {
    /// Width of each hidden layer, input side first. Default `[512, 512]`.
    pub hidden: Vec<usize>,
    /// Nonlinearity between layers. Default `relu`.
    pub activation: ChunkActivation,
    /// Regression loss. Default `l1`.
    pub loss: ChunkLoss,
    /// Peak learning rate. Default 1e-3.
    pub learning_rate: f64,
    /// Decoupled (AdamW) weight decay per unit learning rate, on weight
    /// matrices only (not biases). Default 1e-4 (ACT's).
    pub weight_decay: f64,
    /// AdamW's first-moment decay. Default 0.9.
    pub beta1: f64,
    /// AdamW's second-moment decay. Default 0.999.
    pub beta2: f64,
    /// AdamW's denominator epsilon. Default 1e-8.
    pub adam_eps: f64,
    /// Gradient steps of linear warm-up from 0 to `learning_rate`. Default 0.
    pub warmup_steps: u64,
    /// Gradient steps (after the warm-up) over which the learning rate
    /// follows a half cosine down to 0, then stays there; `None` keeps it
    /// constant. Default none.
    pub cosine_decay_steps: Option<u64>,
    /// Global gradient-norm clip. Default none.
    pub max_grad_norm: Option<f64>,
}

impl Default for ChunkHeadConfig {
    fn default() -> Self {
        Self {
            hidden: vec![512, 512],
            activation: ChunkActivation::Relu,
            loss: ChunkLoss::L1,
            learning_rate: 1e-3,
            weight_decay: 1e-4,
            beta1: 0.9,
            beta2: 0.999,
            adam_eps: 1e-8,
            warmup_steps: 0,
            cosine_decay_steps: None,
            max_grad_norm: None,
        }
    }
}

impl ChunkHeadConfig {
    /// Checks ranges, naming the offending field (`chunk.head.<field>`).
    pub fn validate(&self) -> Result<()> {
        let mut c = ConfigCheck::detached("chunk config");
        c.require(!self.hidden.is_empty(), "chunk.head.hidden", || {
            "at least one hidden layer".to_owned()
        });
        c.require(
            self.hidden.iter().all(|&h| h > 0),
            "chunk.head.hidden",
            || format!("positive widths, got {:?}", self.hidden),
        );
        c.positive("chunk.head.learning_rate", self.learning_rate);
        c.non_negative("chunk.head.weight_decay", self.weight_decay);
        for (path, beta) in [
            ("chunk.head.beta1", self.beta1),
            ("chunk.head.beta2", self.beta2),
        ] {
            c.require((0.0..1.0).contains(&beta), path, || {
                format!("in [0, 1), got {beta}")
            });
        }
        c.positive("chunk.head.adam_eps", self.adam_eps);
        if let Some(steps) = self.cosine_decay_steps {
            c.at_least("chunk.head.cosine_decay_steps", steps, 1);
        }
        if let Some(norm) = self.max_grad_norm {
            c.positive("chunk.head.max_grad_norm", norm);
        }
        Ok(c.finish()?)
    }

    /// A head config recorded as JSON (a checkpoint's model config),
    /// parsed strictly and validated.
    pub fn from_value(value: &serde_json::Value) -> Result<Self> {
        let cfg: Self = serde_path_to_error::deserialize(value.clone()).map_err(|e| {
            PolicyError::config(format!("chunk.head.{}", e.path()), e.inner().to_string())
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The learning rate of gradient step `step` (0-based): linear
    /// warm-up, then constant or a half cosine to 0.
    pub fn learning_rate_at(&self, step: u64) -> f64 {
        let lr = self.learning_rate;
        if step < self.warmup_steps {
            return lr * (step + 1) as f64 / self.warmup_steps as f64;
        }
        match self.cosine_decay_steps {
            None => lr,
            Some(total) => {
                let done = ((step - self.warmup_steps) as f64 / total as f64).min(1.0);
                lr * 0.5 * (1.0 + (std::f64::consts::PI * done).cos())
            }
        }
    }

    /// The head for `shape` on `device`, its weights drawn from `seed`.
    pub fn init<B: AutodiffBackend>(
        &self,
        shape: ChunkShape,
        device: &B::Device,
        seed: u64,
    ) -> Result<ChunkHead<B>> {
        ChunkHead::new(self.clone(), shape, device, seed)
    }
}

/// The MLP: `[batch, obs_window · obs_dim] → [batch, horizon · action_dim]`.
#[derive(Module, Debug)]
pub struct ChunkMlp<B: Backend> {
    /// Hidden layers, then the output layer.
    pub layers: Vec<Linear<B>>,
}

impl<B: Backend> ChunkMlp<B> {
    /// # Shapes
    /// - `x`: `[batch, obs_window · obs_dim]`
    /// - output: `[batch, horizon · action_dim]`
    pub fn forward(&self, x: Tensor<B, 2>, activation: ChunkActivation) -> Tensor<B, 2> {
        let last = self.layers.len().saturating_sub(1);
        let mut x = x;
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x); // [batch, d_hidden] (or the chunk at the last layer)
            if i < last {
                x = match activation {
                    ChunkActivation::Relu => relu(x),
                    ChunkActivation::Mish => mish(x),
                };
            }
        }
        x
    }
}

/// A linear layer with an orthogonal weight (times `gain`) and zero bias.
fn orthogonal_layer<B: Backend>(
    d_in: usize,
    d_out: usize,
    gain: f32,
    device: &B::Device,
    rng: &mut ChaCha8Rng,
) -> Linear<B> {
    let w = orthogonal(d_in, d_out, gain, rng);
    Linear {
        weight: Param::from_tensor(Tensor::from_data(TensorData::new(w, [d_in, d_out]), device)),
        bias: Some(Param::from_tensor(Tensor::zeros([d_out], device))),
    }
}

/// Multiplies every weight matrix (not the biases) by `factor`: AdamW's
/// decoupled decay, `θ ← θ·(1 − lr·λ)`, before the Adam step.
struct DecayWeights {
    factor: f64,
}

impl<AB: AutodiffBackend> ModuleMapper<AB> for DecayWeights {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<AB, D>>) -> Param<Tensor<AB, D>> {
        if D < 2 {
            return param;
        }
        let (id, tensor, mapper) = param.consume();
        let require_grad = tensor.is_require_grad();
        let mut new = Tensor::<AB, D>::from_inner(tensor.inner().mul_scalar(self.factor));
        if require_grad {
            new = new.require_grad();
        }
        Param::from_mapped_value(id, new, mapper)
    }
}

/// The ACT-style chunk head: network, AdamW state, and its sizes.
#[derive(Debug)]
pub struct ChunkHead<B: AutodiffBackend> {
    config: ChunkHeadConfig,
    shape: ChunkShape,
    net: ChunkMlp<B>,
    adam: Adam<B::InnerBackend>,
    device: B::Device,
}

impl<B: AutodiffBackend> ChunkHead<B> {
    /// A fresh head for `shape` (orthogonal weights drawn from `seed`:
    /// gain √2 for the hidden layers, 0.01 for the output so the first
    /// chunks sit mid-range).
    pub fn new(
        config: ChunkHeadConfig,
        shape: ChunkShape,
        device: &B::Device,
        seed: u64,
    ) -> Result<Self> {
        config.validate()?;
        if shape.window_len() == 0 || shape.chunk_len() == 0 {
            return Err(PolicyError::config(
                "chunk",
                format!("empty observation window or chunk: {shape:?}"),
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut layers = Vec::with_capacity(config.hidden.len() + 1);
        let mut d_in = shape.window_len();
        for &d_hidden in &config.hidden {
            layers.push(orthogonal_layer(
                d_in,
                d_hidden,
                std::f32::consts::SQRT_2,
                device,
                &mut rng,
            ));
            d_in = d_hidden;
        }
        layers.push(orthogonal_layer(
            d_in,
            shape.chunk_len(),
            0.01,
            device,
            &mut rng,
        ));
        // Decoupled weight decay is applied here (weights only), not by Adam.
        #[allow(clippy::needless_update)] // AdamConfig may gain fields (weight decay)
        let adam = Adam::new(AdamConfig {
            beta1: config.beta1,
            beta2: config.beta2,
            eps: config.adam_eps,
            ..AdamConfig::default()
        });
        Ok(Self {
            adam,
            config,
            shape,
            net: ChunkMlp { layers },
            device: device.clone(),
        })
    }

    /// The config it was built with.
    pub fn config(&self) -> &ChunkHeadConfig {
        &self.config
    }

    /// The network.
    pub fn net(&self) -> &ChunkMlp<B> {
        &self.net
    }

    /// Checks that `obs` and `actions` hold `batch` windows and chunks.
    fn check_batch(&self, obs: &[f32], actions: Option<&[f32]>, batch: usize) -> Result<()> {
        let s = self.shape;
        let bad = obs.len() != batch * s.window_len()
            || actions.is_some_and(|a| a.len() != batch * s.chunk_len());
        if batch == 0 || bad {
            return Err(PolicyError::Dataset(format!(
                "a batch of {batch} needs {} observation and {} action values, got {} and {}",
                batch * s.window_len(),
                batch * s.chunk_len(),
                obs.len(),
                actions.map_or(0, <[f32]>::len)
            )));
        }
        Ok(())
    }
}

impl<B: AutodiffBackend> ChunkModel for ChunkHead<B> {
    fn shape(&self) -> ChunkShape {
        self.shape
    }

    fn train_step(
        &mut self,
        obs: &[f32],
        actions: &[f32],
        batch: usize,
        _rng: &mut ChaCha8Rng,
    ) -> Result<f32> {
        self.check_batch(obs, Some(actions), batch)?;
        let s = self.shape;
        let x = Tensor::<B, 2>::from_data(
            TensorData::new(obs.to_vec(), [batch, s.window_len()]),
            &self.device,
        );
        let y = Tensor::<B, 2>::from_data(
            TensorData::new(actions.to_vec(), [batch, s.chunk_len()]),
            &self.device,
        );
        let pred = self.net.forward(x, self.config.activation); // [batch, horizon · d_action]
        let err = pred - y;
        let loss = match self.config.loss {
            ChunkLoss::L1 => err.abs().mean(),
            ChunkLoss::Mse => err.powi_scalar(2).mean(),
        };
        let value = loss.clone().into_scalar().elem::<f32>();
        if !value.is_finite() {
            return Err(PolicyError::NonFinite(format!(
                "chunk loss at gradient step {}",
                self.gradient_steps()
            )));
        }
        let lr = self.config.learning_rate_at(self.adam.step_count());
        let net = std::mem::replace(&mut self.net, ChunkMlp { layers: Vec::new() });
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        let net = if self.config.weight_decay > 0.0 {
            net.map(&mut DecayWeights {
                factor: 1.0 - lr * self.config.weight_decay,
            })
        } else {
            net
        };
        self.net = self.adam.step(lr, net, grads, self.config.max_grad_norm).0;
        Ok(value)
    }

    fn predict(&self, obs: &[f32], batch: usize, _rng: &mut ChaCha8Rng) -> Result<Vec<f32>> {
        self.check_batch(obs, None, batch)?;
        let net = self.net.valid();
        let x = Tensor::<B::InnerBackend, 2>::from_data(
            TensorData::new(obs.to_vec(), [batch, self.shape.window_len()]),
            &self.device,
        );
        let out = net.forward(x, self.config.activation); // [batch, horizon · d_action]
        let mut chunk = out
            .into_data()
            .convert::<f32>()
            .into_vec::<f32>()
            .map_err(|e| PolicyError::ParamMismatch(format!("chunk prediction: {e:?}")))?;
        if chunk.iter().any(|v| !v.is_finite()) {
            return Err(PolicyError::NonFinite("chunk prediction".to_owned()));
        }
        chunk.iter_mut().for_each(|v| *v = v.clamp(-1.0, 1.0));
        Ok(chunk)
    }

    fn gradient_steps(&self) -> u64 {
        self.adam.step_count()
    }

    fn learning_rate(&self) -> Option<f64> {
        Some(self.config.learning_rate_at(self.adam.step_count()))
    }

    fn export_state(&self) -> Vec<NamedTensor> {
        let mut out: Vec<NamedTensor> = export_params(&self.net)
            .into_iter()
            .map(|t| NamedTensor {
                name: format!("net.{}", t.name),
                ..t
            })
            .collect();
        out.extend(self.adam.export_state().into_iter().map(|t| NamedTensor {
            name: format!("adam.{}", t.name),
            ..t
        }));
        out.push(NamedTensor {
            name: "step".to_owned(),
            shape: vec![4],
            data: u64_to_f32s(self.adam.step_count()).to_vec(),
        });
        out
    }

    fn weight_prefixes(&self) -> &'static [&'static str] {
        &["net."]
    }

    fn import_state(&mut self, tensors: &[NamedTensor]) -> Result<()> {
        let mut net = HashMap::new();
        let mut moments = Vec::new();
        let mut step = None;
        for t in tensors {
            if let Some(name) = t.name.strip_prefix("net.") {
                net.insert(
                    name.to_owned(),
                    NamedTensor {
                        name: name.to_owned(),
                        ..t.clone()
                    },
                );
            } else if let Some(name) = t.name.strip_prefix("adam.") {
                moments.push(NamedTensor {
                    name: name.to_owned(),
                    ..t.clone()
                });
            } else if t.name == "step" {
                step = f32s_to_u64(&t.data);
            } else {
                return Err(PolicyError::ParamMismatch(format!(
                    "unexpected chunk-head tensor `{}`",
                    t.name
                )));
            }
        }
        let step = step.ok_or_else(|| {
            PolicyError::ParamMismatch("chunk-head tensor `step` is missing or bad".to_owned())
        })?;
        let current = std::mem::replace(&mut self.net, ChunkMlp { layers: Vec::new() });
        match import_params(current.clone(), &net, &self.device) {
            Ok(imported) => self.net = imported,
            Err(e) => {
                self.net = current;
                return Err(e);
            }
        }
        self.adam.import_state(step, &moments, &self.device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type B = crate::CpuAutodiff;

    fn shape() -> ChunkShape {
        ChunkShape {
            obs_dim: 3,
            action_dim: 2,
            obs_window: 2,
            horizon: 4,
            action_steps: 2,
        }
    }

    /// A known map from windows to chunks: action `k` at horizon step `j`
    /// is `0.5·tanh(Σ w·x)` with fixed weights that depend on `j` and `k`.
    fn target(window: &[f32], s: &ChunkShape) -> Vec<f32> {
        let mut out = Vec::with_capacity(s.chunk_len());
        for j in 0..s.horizon {
            for k in 0..s.action_dim {
                let z: f32 = window
                    .iter()
                    .enumerate()
                    .map(|(i, x)| x * (((i + 2 * j + 3 * k) % 5) as f32 - 2.0) * 0.4)
                    .sum();
                out.push(0.5 * z.tanh());
            }
        }
        out
    }

    fn batch(rng: &mut ChaCha8Rng, n: usize, s: &ChunkShape) -> (Vec<f32>, Vec<f32>) {
        use rand::Rng;
        let obs: Vec<f32> = (0..n * s.window_len())
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        let act = obs
            .chunks(s.window_len())
            .flat_map(|w| target(w, s))
            .collect();
        (obs, act)
    }

    fn small() -> ChunkHeadConfig {
        ChunkHeadConfig {
            hidden: vec![64, 64],
            learning_rate: 3e-3,
            ..ChunkHeadConfig::default()
        }
    }

    #[test]
    fn the_chunk_head_learns_a_known_map_from_windows_to_chunks() {
        let s = shape();
        let mut head = ChunkHead::<B>::new(small(), s, &Default::default(), 1).expect("builds");
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let (test_obs, test_act) = batch(&mut rng, 256, &s);
        let mae = |head: &ChunkHead<B>, rng: &mut ChaCha8Rng| {
            let pred = head.predict(&test_obs, 256, rng).expect("predicts");
            pred.iter()
                .zip(&test_act)
                .map(|(p, t)| (p - t).abs())
                .sum::<f32>()
                / pred.len() as f32
        };
        let before = mae(&head, &mut rng);
        let mut first_loss = 0.0;
        let mut last_loss = 0.0;
        for step in 0..600 {
            let (obs, act) = batch(&mut rng, 64, &s);
            let loss = head.train_step(&obs, &act, 64, &mut rng).expect("trains");
            if step == 0 {
                first_loss = loss;
            }
            last_loss = loss;
        }
        let after = mae(&head, &mut rng);
        assert_eq!(head.gradient_steps(), 600);
        assert!(last_loss < 0.3 * first_loss, "{first_loss} -> {last_loss}");
        assert!(
            after < 0.04 && after < 0.2 * before,
            "MAE {before} -> {after}"
        );
    }

    #[test]
    fn export_then_import_continues_bit_for_bit() {
        let s = shape();
        let device = Default::default();
        let mut a = ChunkHead::<B>::new(small(), s, &device, 7).expect("builds");
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..5 {
            let (obs, act) = batch(&mut rng, 16, &s);
            a.train_step(&obs, &act, 16, &mut rng).expect("trains");
        }
        let mut b = ChunkHead::<B>::new(small(), s, &device, 99).expect("builds");
        b.import_state(&a.export_state()).expect("imports");
        assert_eq!(b.gradient_steps(), 5);
        let mut rng_b = rng.clone();
        for _ in 0..3 {
            let (obs, act) = batch(&mut rng, 16, &s);
            let la = a.train_step(&obs, &act, 16, &mut rng).expect("trains");
            let (obs_b, act_b) = batch(&mut rng_b, 16, &s);
            let lb = b
                .train_step(&obs_b, &act_b, 16, &mut rng_b)
                .expect("trains");
            assert_eq!(la.to_bits(), lb.to_bits());
        }
        assert_eq!(a.export_state(), b.export_state());
    }

    #[test]
    fn the_same_seed_builds_the_same_head_and_a_bad_state_is_refused() {
        let s = shape();
        let device = Default::default();
        let a = ChunkHead::<B>::new(small(), s, &device, 5).expect("builds");
        let b = ChunkHead::<B>::new(small(), s, &device, 5).expect("builds");
        assert_eq!(a.export_state(), b.export_state());
        let mut c = ChunkHead::<B>::new(
            ChunkHeadConfig {
                hidden: vec![32],
                ..small()
            },
            s,
            &device,
            5,
        )
        .expect("builds");
        let err = c.import_state(&a.export_state()).expect_err("other shape");
        assert!(
            err.to_string().contains("net") || err.to_string().contains("shape"),
            "{err}"
        );
    }

    #[test]
    fn warm_up_and_cosine_shape_the_learning_rate() {
        let c = ChunkHeadConfig {
            learning_rate: 1.0,
            warmup_steps: 4,
            cosine_decay_steps: Some(10),
            ..ChunkHeadConfig::default()
        };
        assert_eq!(c.learning_rate_at(0), 0.25);
        assert_eq!(c.learning_rate_at(3), 1.0);
        assert_eq!(c.learning_rate_at(4), 1.0);
        assert!((c.learning_rate_at(9) - 0.5).abs() < 1e-12);
        assert!(c.learning_rate_at(14).abs() < 1e-12);
        assert!(c.learning_rate_at(1000).abs() < 1e-12);
    }
}
