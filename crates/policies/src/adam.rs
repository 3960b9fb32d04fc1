//! Adam with a global gradient-norm clip, its state named by parameter path.
//!
//! PyTorch's `torch.optim.Adam` update (bias-corrected first and second
//! moments, `eps` added outside the square root), preceded by
//! `clip_grad_norm_` over *all* parameters together, as CleanRL does.
//! burn's own clipping works per tensor, and its optimizer state is keyed
//! by random `ParamId`s; naming it by path makes the state a plain list of
//! named tensors that a checkpoint can store and a new process can load.
//! With `weight_decay > 0` it is `torch.optim.AdamW` (decoupled decay), as
//! the diffusion policy trains.
//!
//! The moments of all parameters live in two flat vectors (gradients
//! concatenated in visit order), so a step costs a few ops on one vector
//! plus one slice-and-subtract per parameter, not a dozen small ops per
//! parameter; the arithmetic is elementwise, so the result is the same.

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
    /// Decoupled weight decay (PyTorch's `AdamW`): each step first scales
    /// every parameter with a gradient by `1 − lr · weight_decay`. Default 0
    /// (plain Adam).
    #[serde(default)]
    pub weight_decay: f64,
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
            weight_decay: 0.0,
        }
    }
}

/// Adam's state: step count and the moments of every parameter, kept as
/// two flat vectors (the parameters' flattened gradients concatenated in
/// visit order), so that one update is a handful of tensor ops on one
/// vector instead of a dozen per parameter.
#[derive(Debug, Clone)]
pub struct Adam<B: Backend> {
    config: AdamConfig,
    step: u64,
    /// The parameters the moments cover, in visit order.
    layout: Vec<Slot>,
    /// First and second moments of `layout`, concatenated, `[Σ numel]`.
    moments: Option<(Tensor<B, 1>, Tensor<B, 1>)>,
    /// Moments of parameters outside `layout` (imported, or without a
    /// gradient at the last step), by path; they wait unchanged.
    parked: HashMap<String, (Tensor<B, 1>, Tensor<B, 1>)>,
}

/// A parameter's place in the flat moment vectors.
#[derive(Debug, Clone, PartialEq)]
struct Slot {
    /// Position among the module's float parameters, in visit order.
    index: usize,
    /// Dotted module path (the checkpoint name).
    path: String,
    /// Number of elements.
    numel: usize,
}

impl<B: Backend> Adam<B> {
    /// A fresh optimizer (step 0, no moments).
    pub fn new(config: AdamConfig) -> Self {
        Self {
            config,
            step: 0,
            layout: Vec::new(),
            moments: None,
            parked: HashMap::new(),
        }
    }

    /// Number of updates applied so far.
    pub fn step_count(&self) -> u64 {
        self.step
    }

    /// Applies one update to `module` and returns it with the global
    /// gradient norm measured before clipping. With `max_grad_norm`, all
    /// gradients are scaled by `max_grad_norm / (norm + 1e-6)` when that is
    /// below 1 (PyTorch's `clip_grad_norm_`). Parameters without a gradient
    /// are left alone, moments included (as `torch.optim.Adam` skips them).
    pub fn step<AB, M>(
        &mut self,
        lr: f64,
        module: M,
        mut grads: GradientsParams,
        max_grad_norm: Option<f64>,
    ) -> (M, f64)
    where
        AB: AutodiffBackend<InnerBackend = B>,
        M: AutodiffModule<AB>,
    {
        let cfg = self.config;
        self.step += 1;
        let mut collect = CollectGrads::<B> {
            grads: &mut grads,
            index: 0,
            found: Vec::new(),
        };
        module.visit(&mut collect);
        let mut found = collect.found;
        if found.is_empty() {
            return (module, 0.0);
        }
        // The same parameters as last time (the normal case), or a new layout.
        let same = found.len() == self.layout.len()
            && found
                .iter()
                .zip(&self.layout)
                .all(|(f, s)| f.index == s.index && f.grad.dims()[0] == s.numel);
        if !same {
            let mut names = Vec::new();
            module.visit(&mut PathsOf {
                path: Vec::new(),
                out: &mut names,
            });
            self.relayout(&found, &names);
        }

        // Global norm: Σ over parameters of Σ g², as clip_grad_norm_.
        let sums: Vec<Tensor<B, 1>> = found
            .iter()
            .map(|f| f.grad.clone().square().sum())
            .collect();
        let grad_norm = f64::from(Tensor::cat(sums, 0).sum().into_scalar().elem::<f32>()).sqrt();
        let scale = match max_grad_norm {
            Some(max) if grad_norm > max => max / (grad_norm + 1e-6),
            _ => 1.0,
        };
        let g = Tensor::cat(found.drain(..).map(|f| f.grad).collect(), 0); // [n]
        let g = if scale < 1.0 { g.mul_scalar(scale) } else { g };
        let t = i32::try_from(self.step).unwrap_or(i32::MAX);
        let bias1 = 1.0 - cfg.beta1.powi(t);
        let bias2 = 1.0 - cfg.beta2.powi(t);
        let (m, v) = match self.moments.take() {
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
            .div_scalar(bias2.sqrt())
            .add_scalar(cfg.eps);
        let delta = (m.clone() / denom).mul_scalar(lr / bias1); // [n]
        self.moments = Some((m, v));
        let mut apply = ApplyDelta {
            layout: &self.layout,
            delta,
            keep: 1.0 - lr * cfg.weight_decay,
            next: 0,
            offset: 0,
            index: 0,
        };
        let module = module.map(&mut apply);
        (module, grad_norm)
    }

    /// Makes `found` (parameters with a gradient, in visit order) the
    /// layout of the flat moments. Moments of parameters that drop out are
    /// parked by path; parameters that join take theirs from the parked ones
    /// or start at zero.
    fn relayout(&mut self, found: &[FoundGrad<B>], names: &[String]) {
        let fresh = self.moments.is_none() && self.parked.is_empty();
        if let Some((m, v)) = self.moments.take() {
            let mut offset = 0;
            for s in &self.layout {
                let r = offset..offset + s.numel;
                offset += s.numel;
                self.parked.insert(
                    s.path.clone(),
                    (m.clone().slice(r.clone()), v.clone().slice(r)),
                );
            }
        }
        self.layout = found
            .iter()
            .map(|f| Slot {
                index: f.index,
                path: names.get(f.index).cloned().unwrap_or_default(),
                numel: f.grad.dims()[0],
            })
            .collect();
        if fresh {
            return; // The first step sets the moments.
        }
        let (mut ms, mut vs) = (Vec::new(), Vec::new());
        for (s, f) in self.layout.iter().zip(found) {
            let (m, v) = self.parked.remove(&s.path).unwrap_or_else(|| {
                let z = f.grad.zeros_like();
                (z.clone(), z)
            });
            ms.push(m);
            vs.push(v);
        }
        self.moments = Some((Tensor::cat(ms, 0), Tensor::cat(vs, 0)));
    }

    /// The moments as named host tensors (`m.<path>`, `v.<path>`), sorted by
    /// name, for checkpoints.
    pub fn export_state(&self) -> Vec<NamedTensor> {
        let host = |t: &Tensor<B, 1>| {
            t.to_data()
                .convert::<f32>()
                .into_vec::<f32>()
                .expect("converted to f32")
        };
        let mut out = Vec::new();
        let mut push = |path: &str, m: Vec<f32>, v: Vec<f32>| {
            for (prefix, data) in [("m", m), ("v", v)] {
                out.push(NamedTensor {
                    name: format!("{prefix}.{path}"),
                    shape: vec![data.len()],
                    data,
                });
            }
        };
        if let Some((m, v)) = &self.moments {
            let (m, v) = (host(m), host(v));
            let mut offset = 0;
            for s in &self.layout {
                let r = offset..offset + s.numel;
                offset += s.numel;
                push(&s.path, m[r.clone()].to_vec(), v[r].to_vec());
            }
        }
        for (path, (m, v)) in &self.parked {
            push(path, host(m), host(v));
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
        self.layout.clear();
        self.moments = None;
        self.parked = moments;
        Ok(())
    }
}

/// A parameter's flattened gradient and its position in visit order.
struct FoundGrad<B: Backend> {
    index: usize,
    grad: Tensor<B, 1>, // [numel]
}

/// Takes every float parameter's gradient out of `grads`, flattened.
struct CollectGrads<'a, B: Backend> {
    grads: &'a mut GradientsParams,
    index: usize,
    found: Vec<FoundGrad<B>>,
}

impl<AB: AutodiffBackend> ModuleVisitor<AB> for CollectGrads<'_, AB::InnerBackend> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<AB, D>>) {
        if let Some(g) = self.grads.remove::<AB::InnerBackend, D>(param.id) {
            self.found.push(FoundGrad {
                index: self.index,
                grad: g.flatten::<1>(0, D - 1),
            });
        }
        self.index += 1;
    }
}

/// Dotted paths of every float parameter, in visit order.
struct PathsOf<'a> {
    path: Vec<String>,
    out: &'a mut Vec<String>,
}

impl<AB: AutodiffBackend> ModuleVisitor<AB> for PathsOf<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_owned());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, _param: &Param<Tensor<AB, D>>) {
        self.out.push(self.path.join("."));
    }
}

/// Subtracts each parameter's slice of the flat Adam step, after scaling
/// the parameter by `keep` (decoupled weight decay).
struct ApplyDelta<'a, B: Backend> {
    layout: &'a [Slot],
    delta: Tensor<B, 1>, // [Σ numel]
    /// `1 − lr · weight_decay`.
    keep: f64,
    /// Next slot of `layout`.
    next: usize,
    /// Its offset in `delta`.
    offset: usize,
    /// Position of the parameter being mapped, in visit order.
    index: usize,
}

impl<AB: AutodiffBackend> ModuleMapper<AB> for ApplyDelta<'_, AB::InnerBackend> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<AB, D>>) -> Param<Tensor<AB, D>> {
        let index = self.index;
        self.index += 1;
        let Some(slot) = self.layout.get(self.next).filter(|s| s.index == index) else {
            return param;
        };
        self.next += 1;
        let r = self.offset..self.offset + slot.numel;
        self.offset += slot.numel;
        let (id, tensor, mapper) = param.consume();
        let shape = tensor.shape();
        let delta = if self.layout.len() == 1 {
            self.delta.clone()
        } else {
            self.delta.clone().slice(r)
        };
        let require_grad = tensor.is_require_grad();
        let inner = if self.keep == 1.0 {
            tensor.inner()
        } else {
            tensor.inner().mul_scalar(self.keep)
        };
        let inner = inner - delta.reshape(shape);
        let mut new = Tensor::<AB, D>::from_inner(inner);
        if require_grad {
            new = new.require_grad();
        }
        Param::from_mapped_value(id, new, mapper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CpuAutodiff;
    use burn::nn::{Linear, LinearConfig};

    /// One step on `y = sum(x W + b)` at `x = 1`, so every gradient is 1.
    fn one_step(weight_decay: f64) -> (Vec<f32>, Vec<f32>) {
        let device = Default::default();
        let model: Linear<CpuAutodiff> = LinearConfig::new(2, 2).init(&device);
        let before = model
            .weight
            .val()
            .into_data()
            .into_vec::<f32>()
            .expect("f32");
        let loss = model
            .forward(Tensor::<CpuAutodiff, 2>::ones([1, 2], &device))
            .sum();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let mut adam = Adam::<crate::CpuBackend>::new(AdamConfig {
            weight_decay,
            ..AdamConfig::default()
        });
        let (model, _) = adam.step(0.1, model, grads, None);
        let after = model
            .weight
            .val()
            .into_data()
            .into_vec::<f32>()
            .expect("f32");
        (before, after)
    }

    #[test]
    fn adamw_decays_weights_before_the_adam_step() {
        let (w0, plain) = one_step(0.0);
        let (w0_again, decayed) = one_step(0.5);
        // Step 1 of Adam with g = 1: Δ = lr · g / (|g| + eps) ≈ lr.
        for (w, p) in w0.iter().zip(&plain) {
            assert!((p - (w - 0.1)).abs() < 1e-5, "{p} vs {w}");
        }
        // AdamW: w (1 − lr · wd) − Δ; the init is random, so compare each
        // run against its own start.
        for (w, d) in w0_again.iter().zip(&decayed) {
            assert!((d - (w * (1.0 - 0.05) - 0.1)).abs() < 1e-5, "{d} vs {w}");
        }
    }
}
