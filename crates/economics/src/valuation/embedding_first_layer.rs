//! A policy's first-layer features as the embedding: the activations of
//! its first layer, averaged over the episode's observations.
//!
//! Backend-free: the weights come in as plain `f32` slices, in burn's
//! `Linear` layout (`weight` is `[d_input, d_hidden]` row-major, `bias`
//! is `[d_hidden]`), so a caller passes `linear.weight` and
//! `linear.bias` as they are and this crate does not depend on burn.
//! Observations go in as given: normalise them first if the policy does.

use crate::error::{EconomicsError, Result};
use crate::valuation::embedding::TrajectoryEmbedding;
use crate::valuation::trajectory::Trajectory;

/// The nonlinearity after the first layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// No nonlinearity: the pre-activations.
    Identity,
    /// `max(0, x)`.
    Relu,
    /// `tanh(x)` (CleanRL's PPO networks).
    Tanh,
}

impl Activation {
    fn apply(self, x: f32) -> f32 {
        match self {
            Activation::Identity => x,
            Activation::Relu => x.max(0.0),
            Activation::Tanh => x.tanh(),
        }
    }
}

/// `mean_t act(obs_t · W + b)`: the first layer's features averaged over
/// the episode, `[d_hidden]`.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstLayerEmbedding {
    weight: Vec<f32>,
    bias: Vec<f32>,
    d_input: usize,
    d_hidden: usize,
    activation: Activation,
}

impl FirstLayerEmbedding {
    /// The embedding of a layer with `weight` `[d_input, d_hidden]`
    /// (row-major) and `bias` `[d_hidden]`; `d_input` is the policy's
    /// `d_obs`.
    ///
    /// Errors when the shapes disagree or a value is not finite.
    pub fn new(
        weight: Vec<f32>,
        bias: Vec<f32>,
        d_input: usize,
        activation: Activation,
    ) -> Result<Self> {
        let d_hidden = bias.len();
        if d_input == 0 || d_hidden == 0 || weight.len() != d_input * d_hidden {
            return Err(EconomicsError::Shape {
                field: "first layer weight",
                expected: format!(
                    "[d_input, d_hidden] = [{d_input}, {d_hidden}] values (d_hidden from the bias), both >= 1"
                ),
                got: format!("{} values", weight.len()),
            });
        }
        for (field, values) in [("first layer weight", &weight), ("first layer bias", &bias)] {
            if let Some(v) = values.iter().find(|v| !v.is_finite()) {
                return Err(EconomicsError::NonFinite {
                    field,
                    value: f64::from(*v),
                });
            }
        }
        Ok(Self {
            weight,
            bias,
            d_input,
            d_hidden,
            activation,
        })
    }
}

impl TrajectoryEmbedding for FirstLayerEmbedding {
    fn d_embedding(&self) -> usize {
        self.d_hidden
    }

    fn embed(&mut self, trajectory: &Trajectory<'_>) -> Result<Vec<f32>> {
        if trajectory.d_obs() != self.d_input {
            return Err(EconomicsError::Shape {
                field: "trajectory",
                expected: format!("d_obs {} (the layer's d_input)", self.d_input),
                got: format!("d_obs {}", trajectory.d_obs()),
            });
        }
        let mut sum = vec![0.0_f64; self.d_hidden];
        let mut pre = vec![0.0_f32; self.d_hidden];
        for t in 0..trajectory.n_steps() {
            // [d_hidden] = [d_input] · [d_input, d_hidden] + [d_hidden]
            pre.copy_from_slice(&self.bias);
            for (x, w_row) in trajectory
                .observation(t)
                .iter()
                .zip(self.weight.chunks_exact(self.d_hidden))
            {
                for (p, w) in pre.iter_mut().zip(w_row) {
                    *p += x * w;
                }
            }
            for (s, p) in sum.iter_mut().zip(&pre) {
                *s += f64::from(self.activation.apply(*p));
            }
        }
        let n = trajectory.n_steps() as f64;
        Ok(sum.iter().map(|s| (s / n) as f32).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_layer_features_are_averaged_over_the_steps() {
        // d_input 2, d_hidden 2: h = relu([x0 + x1 - 1, x0 - x1]).
        let weight = vec![1.0, 1.0, 1.0, -1.0];
        let mut e = FirstLayerEmbedding::new(weight, vec![-1.0, 0.0], 2, Activation::Relu).unwrap();
        let obs = [1.0, 2.0, 3.0, 0.0];
        let t = Trajectory::new(&obs, 2, &[], 0).unwrap();
        // Step 0: relu([2, -1]) = [2, 0]; step 1: relu([2, 3]) = [2, 3].
        assert_eq!(e.embed(&t).unwrap(), vec![2.0, 1.5]);
        assert_eq!(e.d_embedding(), 2);
    }

    #[test]
    fn shapes_that_disagree_are_refused() {
        assert!(FirstLayerEmbedding::new(vec![1.0; 5], vec![0.0; 2], 2, Activation::Tanh).is_err());
        let mut e =
            FirstLayerEmbedding::new(vec![1.0; 4], vec![0.0; 2], 2, Activation::Tanh).unwrap();
        let t = Trajectory::new(&[1.0], 1, &[], 0).unwrap();
        assert!(matches!(e.embed(&t), Err(EconomicsError::Shape { .. })));
    }
}
