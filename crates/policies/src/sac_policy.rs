//! SAC's deterministic policy, `tanh(μ(s))·scale + bias`, for evaluation
//! (the session's and `vp evaluate`'s).

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

use crate::sac::{SacActor, SacNetworkConfig, deterministic_action};
use crate::{DeterministicPolicy, PolicyError, Result};

/// A SAC actor on a (non-autodiff) backend with its action rescaling.
#[derive(Debug, Clone)]
pub struct SacPolicy<B: Backend> {
    actor: SacActor<B>,
    network: SacNetworkConfig,
    scale: Vec<f32>,
    bias: Vec<f32>,
    device: B::Device,
}

impl<B: Backend> SacPolicy<B> {
    /// The policy of `actor` for actions rescaled by `scale` and `bias`
    /// (each `d_action` long).
    pub fn new(
        actor: SacActor<B>,
        network: SacNetworkConfig,
        scale: Vec<f32>,
        bias: Vec<f32>,
        device: &B::Device,
    ) -> Self {
        Self {
            actor,
            network,
            scale,
            bias,
            device: device.clone(),
        }
    }

    /// The networks' sizes.
    pub fn network(&self) -> SacNetworkConfig {
        self.network
    }
}

impl<B: Backend> DeterministicPolicy for SacPolicy<B> {
    fn d_obs(&self) -> usize {
        self.network.d_obs
    }

    fn act_deterministic(&mut self, obs: &[f32], n: usize, actions: &mut Vec<f32>) -> Result<()> {
        let (d_obs, d) = (self.network.d_obs, self.network.d_action);
        let obs =
            Tensor::<B, 2>::from_data(TensorData::new(obs.to_vec(), [n, d_obs]), &self.device);
        let row = |v: &[f32]| {
            Tensor::<B, 2>::from_data(TensorData::new(v.to_vec(), [1, d]), &self.device)
        };
        let (mean, _) = self.actor.forward(obs); // [n, d_action]
        let action = deterministic_action(mean, row(&self.scale), row(&self.bias));
        *actions = action
            .into_data()
            .convert::<f32>()
            .into_vec::<f32>()
            .map_err(|e| PolicyError::NonFinite(format!("SAC actions: {e:?}")))?;
        Ok(())
    }
}
