//! Exponential moving average of the weights, as diffusion_policy's
//! `EMAModel` (`power = 0.75`, `inv_gamma = 1`, `min_value = 0`,
//! `update_after_step = 0`): the deployed policy uses the average, which
//! samples better than the raw weights (Chi et al., appendix).

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

/// The EMA's warm-up: `decay(k) = min(max_decay, 1 − (1 + s)^−power)` with
/// `s = k − 1` at the `k`-th update (from 0), and `0` while `s ≤ 0`, so the
/// first two updates copy the weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ema {
    /// Exponent of the warm-up (0.75 in the paper).
    pub power: f64,
    /// Largest decay (0.9999).
    pub max_decay: f64,
}

impl Ema {
    /// The decay of the update made after `optimization_step` earlier
    /// updates (diffusion_policy's `EMAModel.get_decay`).
    pub fn decay(&self, optimization_step: u64) -> f64 {
        let step = optimization_step.saturating_sub(1);
        if step == 0 {
            return 0.0;
        }
        let value = 1.0 - (1.0 + step as f64).powf(-self.power);
        value.clamp(0.0, self.max_decay)
    }

    /// `ema ← decay · ema + (1 − decay) · model`, parameter by parameter
    /// (both modules must have the same structure, as a module and its
    /// `valid()` copy do).
    pub fn update<B: Backend, M: Module<B>>(&self, ema: M, model: &M, decay: f64) -> M {
        let mut collect = Collect::<B> { out: Vec::new() };
        model.visit(&mut collect);
        let mut mix = Mix {
            params: collect.out.into_iter(),
            decay,
        };
        ema.map(&mut mix)
    }
}

/// Every float parameter of a module, flattened, in visit order.
struct Collect<B: Backend> {
    out: Vec<Tensor<B, 1>>,
}

impl<B: Backend> ModuleVisitor<B> for Collect<B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        self.out.push(param.val().flatten::<1>(0, D - 1));
    }
}

/// Blends each parameter with the next collected one.
struct Mix<B: Backend> {
    params: std::vec::IntoIter<Tensor<B, 1>>,
    decay: f64,
}

impl<B: Backend> ModuleMapper<B> for Mix<B> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let (id, tensor, mapper) = param.consume();
        let new = match self.params.next() {
            Some(p) if p.dims()[0] == tensor.shape().num_elements() => {
                let p = p.reshape(tensor.shape());
                if self.decay == 0.0 {
                    p
                } else {
                    tensor.mul_scalar(self.decay) + p.mul_scalar(1.0 - self.decay)
                }
            }
            // Only a module of another structure gets here; keep the average.
            _ => tensor,
        };
        Param::from_mapped_value(id, new, mapper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CpuBackend;
    use burn::nn::{Linear, LinearConfig};

    const PAPER: Ema = Ema {
        power: 0.75,
        max_decay: 0.9999,
    };

    #[test]
    fn ema_decay_warms_up_and_caps() {
        assert_eq!(PAPER.decay(0), 0.0);
        assert_eq!(PAPER.decay(1), 0.0);
        // k = 2: s = 1, 1 − 2^−0.75.
        assert!((PAPER.decay(2) - (1.0 - 2f64.powf(-0.75))).abs() < 1e-15);
        // k = 10: s = 9, 1 − 10^−0.75 = 0.822 172 1…
        assert!((PAPER.decay(10) - 0.822_172_059_8).abs() < 1e-9);
        // k = 10^6: 1 − 10^−4.5 = 0.999 968 > 0.9999, capped.
        assert_eq!(PAPER.decay(1_000_000), 0.9999);
    }

    #[test]
    fn ema_update_blends_every_parameter() {
        let device = Default::default();
        let a: Linear<CpuBackend> = LinearConfig::new(2, 3).init(&device);
        let b: Linear<CpuBackend> = LinearConfig::new(2, 3).init(&device);
        let host =
            |m: &Linear<CpuBackend>| m.weight.val().into_data().into_vec::<f32>().expect("f32");
        let (wa, wb) = (host(&a), host(&b));
        let mixed = PAPER.update(a, &b, 0.25);
        for ((m, x), y) in host(&mixed).iter().zip(&wa).zip(&wb) {
            assert!((m - (0.25 * x + 0.75 * y)).abs() < 1e-6);
        }
        let copied = PAPER.update(mixed, &b, 0.0);
        assert_eq!(host(&copied), wb);
    }
}
