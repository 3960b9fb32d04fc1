//! Observation features a learner must never use (`ppo.ignore_observations`,
//! `bc.ignore_observations`): zeroed in every observation the learner sees,
//! and the actor's first-layer weights for them set to 0, where they stay
//! (their input is 0, so is their gradient) and the saved policy ignores
//! them too.
//!
//! The use case is a feature that echoes the previous action, such as a
//! kinematic tip's velocity: a clone that reads it learns "keep doing what
//! you did" (the copycat problem, Wen et al., 2020) and never turns, and a
//! fine-tune that saw it could learn to copy its own last action.

use burn::module::Param;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData};

use crate::{ActorCritic, PolicyError, Result};

/// The features to zero in `d_obs`-wide observation rows; empty masks
/// nothing and costs nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObservationMask {
    features: Vec<usize>,
    d_obs: usize,
}

impl ObservationMask {
    /// A mask of `features` for observations of `d_obs` elements; a
    /// feature outside `0..d_obs` is an error naming `field` (the config
    /// key, e.g. `ppo.ignore_observations`).
    pub fn new(features: &[usize], d_obs: usize, field: &str) -> Result<Self> {
        if let Some(bad) = features.iter().find(|&&i| i >= d_obs) {
            return Err(PolicyError::config(
                field,
                format!("feature {bad} outside 0..{d_obs}"),
            ));
        }
        Ok(Self {
            features: features.to_vec(),
            d_obs,
        })
    }

    /// Whether the mask zeroes nothing.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// Sets the masked features of every row of `obs` to 0.
    pub fn apply(&self, obs: &mut [f32]) {
        if self.features.is_empty() {
            return;
        }
        for row in obs.chunks_exact_mut(self.d_obs) {
            for &i in &self.features {
                row[i] = 0.0;
            }
        }
    }

    /// `obs` masked, copied into `scratch` only when there is something to
    /// zero.
    pub fn masked<'a>(&self, obs: &'a [f32], scratch: &'a mut Vec<f32>) -> &'a [f32] {
        if self.features.is_empty() {
            return obs;
        }
        scratch.clear();
        scratch.extend_from_slice(obs);
        self.apply(scratch);
        scratch
    }

    /// `model` with the actor's first-layer weights from the masked
    /// features set to 0.
    pub fn mask_inputs<B: AutodiffBackend>(
        &self,
        mut model: ActorCritic<B>,
        device: &B::Device,
    ) -> ActorCritic<B> {
        if self.features.is_empty() {
            return model;
        }
        let Some(first) = model.actor.first_mut() else {
            return model;
        };
        let [d_in, _] = first.weight.dims();
        let mut keep = vec![1.0f32; d_in];
        for &i in &self.features {
            keep[i] = 0.0;
        }
        let keep =
            Tensor::<B::InnerBackend, 2>::from_data(TensorData::new(keep, [d_in, 1]), device);
        let (id, weight, mapper) = first.weight.clone().consume();
        let masked = Tensor::<B, 2>::from_inner(weight.inner() * keep).require_grad();
        first.weight = Param::from_mapped_value(id, masked, mapper);
        model
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mask_zeroes_its_features_in_every_row_and_refuses_one_outside_the_row() {
        let mask = ObservationMask::new(&[1], 3, "ppo.ignore_observations").expect("in range");
        let mut obs = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        mask.apply(&mut obs);
        assert_eq!(obs, vec![1.0, 0.0, 3.0, 4.0, 0.0, 6.0]);
        let mut scratch = Vec::new();
        assert_eq!(
            mask.masked(&[7.0, 8.0, 9.0], &mut scratch),
            &[7.0, 0.0, 9.0]
        );
        let err = ObservationMask::new(&[3], 3, "bc.ignore_observations")
            .expect_err("feature 3 of 3")
            .to_string();
        assert!(err.contains("bc.ignore_observations"), "{err}");
    }
}
