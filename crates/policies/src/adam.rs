//! Adam with a global gradient-norm clip, its state keyed by parameter path.
//!
//! PyTorch's `torch.optim.Adam` update (bias-corrected first and second
//! moments, `eps` added outside the square root), preceded by
//! `clip_grad_norm_` over *all* parameters together, as CleanRL does.
//! burn's own clipping works per tensor, and its optimizer state is keyed
//! by random `ParamId`s; keying by path makes the state a plain list of named
//! tensors that a checkpoint can store and a new process can load.

use std::collections::HashMap;

use burn::module::{AutodiffModule, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::{NamedTensor, PolicyError, Result};

/// Adam's hyperparameters (PyTorch names and defaults, except `eps`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdamConfig {
    /// Decay of the first moment. Default 0.9.
    #[serde(default = "default_beta1")]
    pub beta1: f64,
    /// Decay of the second moment. Default 0.999.
    #[serde(default = "default_beta2")]
    pub beta2: f64,
    /// Added to the denominator. Default 1e-5 (CleanRL's PPO value).
    #[serde(default = "default_eps")]
    pub eps: f64,
}

fn default_beta1() -> f64 {
    0.9
}
fn default_beta2() -> f64 {
    0.999
}
fn default_eps() -> f64 {
    1e-5
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self {
            beta1: default_beta1(),
            beta2: default_beta2(),
            eps: default_eps(),
        }
    }
}

/// Adam's state: step count and per-parameter moments (flattened).
#[derive(Debug, Clone)]
pub struct Adam<B: Backend> {
    config: AdamConfig,
    step: u64,
    moments: HashMap<String, (Tensor<B, 1>, Tensor<B, 1>)>,
}

impl<B: Backend> Adam<B> {
    /// A fresh optimizer (step 0, no moments).
    pub fn new(config: AdamConfig) -> Self {
        Self {
            config,
            step: 0,
            moments: HashMap::new(),
        }
    }

    /// Number of updates applied so far.
    pub fn step_count(&self) -> u64 {
        self.step
    }

    /// Applies one update to `module` and returns it with the global
    /// gradient norm measured before clipping. With `max_grad_norm`, all
    /// gradients are scaled by `max_grad_norm / (norm + 1e-6)` when that is
    /// below 1 (PyTorch's `clip_grad_norm_`).
    pub fn step<AB, M>(
        &mut self,
        lr: f64,
        module: M,
        grads: GradientsParams,
        max_grad_norm: Option<f64>,
    ) -> (M, f64)
    where
        AB: AutodiffBackend<InnerBackend = B>,
        M: AutodiffModule<AB>,
    {
        let mut norm = GradNorm::<B> {
            grads: &grads,
            sums: Vec::new(),
        };
        module.visit(&mut norm);
        let grad_norm = if norm.sums.is_empty() {
            0.0
        } else {
            f64::from(Tensor::cat(norm.sums, 0).sum().into_scalar().elem::<f32>()).sqrt()
        };
        let scale = match max_grad_norm {
            Some(max) if grad_norm > max => max / (grad_norm + 1e-6),
            _ => 1.0,
        };
        self.step += 1;
        let t = i32::try_from(self.step).unwrap_or(i32::MAX);
        let bias1 = 1.0 - self.config.beta1.powi(t);
        let bias2 = 1.0 - self.config.beta2.powi(t);
        let mut mapper = AdamMapper {
            adam: self,
            grads,
            path: Vec::new(),
            lr,
            scale,
            bias1,
            bias2,
        };
        let module = module.map(&mut mapper);
        (module, grad_norm)
    }

    /// The moments as named host tensors (`m.<path>`, `v.<path>`), sorted by
    /// name, for checkpoints.
    pub fn export_state(&self) -> Vec<NamedTensor> {
        let mut out = Vec::with_capacity(2 * self.moments.len());
        for (path, (m, v)) in &self.moments {
            for (prefix, t) in [("m", m), ("v", v)] {
                let data = t
                    .to_data()
                    .convert::<f32>()
                    .into_vec::<f32>()
                    .expect("converted to f32");
                out.push(NamedTensor {
                    name: format!("{prefix}.{path}"),
                    shape: vec![data.len()],
                    data,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// Restores the step count and moments written by [`Adam::export_state`].
    pub fn import_state(
        &mut self,
        step: u64,
        tensors: &[NamedTensor],
        device: &B::Device,
    ) -> Result<()> {
        let mut ms = HashMap::new();
        let mut vs = HashMap::new();
        for t in tensors {
            let tensor =
                Tensor::<B, 1>::from_data(TensorData::new(t.data.clone(), [t.data.len()]), device);
            if let Some(path) = t.name.strip_prefix("m.") {
                ms.insert(path.to_owned(), tensor);
            } else if let Some(path) = t.name.strip_prefix("v.") {
                vs.insert(path.to_owned(), tensor);
            } else {
                return Err(PolicyError::ParamMismatch(format!(
                    "optimizer tensor `{}` is neither `m.*` nor `v.*`",
                    t.name
                )));
            }
        }
        let mut moments = HashMap::new();
        for (path, m) in ms {
            let v = vs.remove(&path).ok_or_else(|| {
                PolicyError::ParamMismatch(format!("optimizer second moment `v.{path}` is missing"))
            })?;
            if v.dims() != m.dims() {
                return Err(PolicyError::ParamMismatch(format!(
                    "optimizer moments of `{path}` differ in size"
                )));
            }
            moments.insert(path, (m, v));
        }
        if let Some(path) = vs.keys().next() {
            return Err(PolicyError::ParamMismatch(format!(
                "optimizer first moment `m.{path}` is missing"
            )));
        }
        self.step = step;
        self.moments = moments;
        Ok(())
    }
}

/// Sums of squared gradients, one `[1]` tensor per parameter.
struct GradNorm<'a, B: Backend> {
    grads: &'a GradientsParams,
    sums: Vec<Tensor<B, 1>>,
}

impl<AB: AutodiffBackend> ModuleVisitor<AB> for GradNorm<'_, AB::InnerBackend> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<AB, D>>) {
        if let Some(g) = self.grads.get::<AB::InnerBackend, D>(param.id) {
            self.sums.push(g.square().sum());
        }
    }
}

struct AdamMapper<'a, B: Backend> {
    adam: &'a mut Adam<B>,
    grads: GradientsParams,
    path: Vec<String>,
    lr: f64,
    scale: f64,
    bias1: f64,
    bias2: f64,
}

impl<AB: AutodiffBackend> ModuleMapper<AB> for AdamMapper<'_, AB::InnerBackend> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_owned());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<AB, D>>) -> Param<Tensor<AB, D>> {
        let (id, tensor, mapper) = param.consume();
        let Some(grad) = self.grads.remove::<AB::InnerBackend, D>(id) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let cfg = self.adam.config;
        let shape = tensor.shape();
        let g = grad.flatten::<1>(0, D - 1); // [n]
        let g = if self.scale < 1.0 {
            g.mul_scalar(self.scale)
        } else {
            g
        };
        let path = self.path.join(".");
        let (m, v) = match self.adam.moments.remove(&path) {
            Some((m, v)) => (
                m.mul_scalar(cfg.beta1) + g.clone().mul_scalar(1.0 - cfg.beta1),
                v.mul_scalar(cfg.beta2) + g.square().mul_scalar(1.0 - cfg.beta2),
            ),
            None => (
                g.clone().mul_scalar(1.0 - cfg.beta1),
                g.square().mul_scalar(1.0 - cfg.beta2),
            ),
        };
        let denom = v
            .clone()
            .sqrt()
            .div_scalar(self.bias2.sqrt())
            .add_scalar(cfg.eps);
        let delta = (m.clone() / denom).mul_scalar(self.lr / self.bias1); // [n]
        self.adam.moments.insert(path, (m, v));
        let require_grad = tensor.is_require_grad();
        let inner = tensor.inner() - delta.reshape(shape);
        let mut new = Tensor::<AB, D>::from_inner(inner);
        if require_grad {
            new = new.require_grad();
        }
        Param::from_mapped_value(id, new, mapper)
    }
}
