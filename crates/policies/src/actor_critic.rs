//! The actor-critic MLPs shared by PPO and behaviour cloning.
//!
//! Two separate tanh MLPs, as in CleanRL's `ppo.py` / `ppo_continuous_action.py`:
//! an actor (`d_obs → d_hidden → d_hidden → d_action`) and a critic
//! (`d_obs → d_hidden → d_hidden → 1`). Discrete actions read the actor's
//! output as categorical logits; continuous actions read it as the mean of a
//! diagonal Gaussian whose log-std is a learned, state-independent vector.
//!
//! Weights use orthogonal init (gain √2 on hidden layers, 0.01 on the policy
//! head, 1.0 on the value head) with zero biases, drawn from the caller's
//! seeded RNG so that the same seed gives the same network on every backend.
//! Behaviour cloning trains the same struct, so a BC network warm-starts PPO.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::{log_softmax, sigmoid};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use yaml_config::ConfigCheck;

use crate::Result;

/// `ln(2π)`, used by the Gaussian log-density and entropy.
pub(crate) const LN_2PI: f32 = 1.837_877_1;

/// Whether the policy outputs a categorical or a Gaussian distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Categorical over `d_action` choices (a `Discrete(n)` space).
    Discrete,
    /// Diagonal Gaussian over `d_action` reals (a `Box` space).
    Continuous,
}

/// Shapes and init of an [`ActorCritic`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorCriticConfig {
    /// Observation size (flattened).
    pub d_obs: usize,
    /// Number of choices (discrete) or action dimensions (continuous).
    pub d_action: usize,
    /// Width of each hidden layer. Default 64.
    #[serde(default = "default_d_hidden")]
    pub d_hidden: usize,
    /// Number of hidden layers in each of the actor and the critic. Default 2.
    #[serde(default = "default_n_hidden")]
    pub n_hidden: usize,
    /// Categorical or Gaussian head.
    pub action_kind: ActionKind,
    /// Initial log-std of the Gaussian head (continuous only). Default 0.
    #[serde(default)]
    pub init_log_std: f32,
}

fn default_d_hidden() -> usize {
    64
}
fn default_n_hidden() -> usize {
    2
}

impl ActorCriticConfig {
    /// A config with CleanRL's defaults (two hidden layers of 64).
    pub fn new(d_obs: usize, d_action: usize, action_kind: ActionKind) -> Self {
        Self {
            d_obs,
            d_action,
            d_hidden: default_d_hidden(),
            n_hidden: default_n_hidden(),
            action_kind,
            init_log_std: 0.0,
        }
    }

    /// Checks that every size is positive.
    pub fn validate(&self) -> Result<()> {
        let mut c = ConfigCheck::detached("network config");
        for (name, v) in [
            ("d_obs", self.d_obs),
            ("d_action", self.d_action),
            ("d_hidden", self.d_hidden),
            ("n_hidden", self.n_hidden),
        ] {
            c.at_least(name, v as u64, 1);
        }
        c.finite("init_log_std", f64::from(self.init_log_std));
        Ok(c.finish()?)
    }

    /// Builds the network on `device` with orthogonal init drawn from `rng`.
    pub fn init<B: Backend, R: Rng>(
        &self,
        device: &B::Device,
        rng: &mut R,
    ) -> Result<ActorCritic<B>> {
        self.validate()?;
        let sqrt2 = std::f32::consts::SQRT_2;
        let mlp = |d_out: usize, head_gain: f32, rng: &mut R| {
            let mut layers = Vec::with_capacity(self.n_hidden + 1);
            let mut d_in = self.d_obs;
            for _ in 0..self.n_hidden {
                layers.push(orthogonal_linear(d_in, self.d_hidden, sqrt2, device, rng));
                d_in = self.d_hidden;
            }
            layers.push(orthogonal_linear(d_in, d_out, head_gain, device, rng));
            layers
        };
        let actor = mlp(self.d_action, 0.01, rng);
        let critic = mlp(1, 1.0, rng);
        let log_std = match self.action_kind {
            ActionKind::Discrete => None,
            ActionKind::Continuous => Some(Param::from_tensor(Tensor::from_data(
                TensorData::new(vec![self.init_log_std; self.d_action], [1, self.d_action]),
                device,
            ))),
        };
        Ok(ActorCritic {
            actor,
            critic,
            log_std,
        })
    }
}

/// Actor and critic MLPs (tanh), plus the Gaussian log-std when continuous.
#[derive(Module, Debug)]
pub struct ActorCritic<B: Backend> {
    /// Actor layers; the last one is the policy head.
    pub actor: Vec<Linear<B>>,
    /// Critic layers; the last one is the value head.
    pub critic: Vec<Linear<B>>,
    /// State-independent log-std, `[1, d_action]` (continuous only).
    pub log_std: Option<Param<Tensor<B, 2>>>,
}

/// Log-probabilities of taken actions, entropies and values of a batch.
#[derive(Debug, Clone)]
pub struct Evaluation<B: Backend> {
    /// `log π(a|s)`, `[batch]`.
    pub log_prob: Tensor<B, 1>,
    /// Entropy of `π(·|s)`, `[batch]`.
    pub entropy: Tensor<B, 1>,
    /// `V(s)`, `[batch]`.
    pub value: Tensor<B, 1>,
}

impl<B: Backend> ActorCritic<B> {
    /// A network without layers: a placeholder while the real one is
    /// moved out (e.g. through the optimizer).
    pub(crate) fn empty() -> Self {
        Self {
            actor: Vec::new(),
            critic: Vec::new(),
            log_std: None,
        }
    }

    /// The same network with every entry of its log-std set to `value`
    /// (continuous heads; a categorical one is returned unchanged).
    pub fn with_log_std(mut self, value: f32) -> Self {
        if let Some(param) = &self.log_std {
            let current = param.val();
            let [rows, cols] = current.dims();
            self.log_std = Some(Param::from_tensor(Tensor::full(
                [rows, cols],
                value,
                &current.device(),
            )));
        }
        self
    }

    /// Whether the head is categorical.
    pub fn is_discrete(&self) -> bool {
        self.log_std.is_none()
    }

    /// Runs an MLP with tanh between layers.
    fn mlp(layers: &[Linear<B>], obs: Tensor<B, 2>) -> Tensor<B, 2> {
        let last = layers.len() - 1;
        let mut x = obs; // [batch, d_obs]
        for (i, layer) in layers.iter().enumerate() {
            x = layer.forward(x); // [batch, d_hidden] (or [batch, d_out] at the head)
            if i < last {
                x = tanh_keeping_output(x);
            }
        }
        x
    }

    /// Actor output: logits (discrete) or Gaussian mean (continuous).
    /// `obs: [batch, d_obs] → [batch, d_action]`.
    pub fn actor_out(&self, obs: Tensor<B, 2>) -> Tensor<B, 2> {
        Self::mlp(&self.actor, obs)
    }

    /// State value. `obs: [batch, d_obs] → [batch]`.
    pub fn value(&self, obs: Tensor<B, 2>) -> Tensor<B, 1> {
        Self::mlp(&self.critic, obs).flatten(0, 1) // [batch]
    }

    /// Log-std, `[1, d_action]` (continuous only).
    pub fn log_std(&self) -> Option<Tensor<B, 2>> {
        self.log_std.as_ref().map(Param::val)
    }

    /// Log-probability and entropy of `actions` under the policy at `obs`.
    ///
    /// `obs: [batch, d_obs]`; `actions: [batch, 1]` holding the index as a
    /// float (discrete) or `[batch, d_action]` (continuous).
    /// Returns `(log_prob [batch], entropy [batch])`.
    pub fn log_prob_entropy(
        &self,
        obs: Tensor<B, 2>,
        actions: Tensor<B, 2>,
    ) -> (Tensor<B, 1>, Tensor<B, 1>) {
        let out = self.actor_out(obs); // [batch, d_action]
        match self.log_std() {
            None => {
                let log_p = log_softmax(out, 1); // [batch, n]
                let p = log_p.clone().exp(); // [batch, n], softmax in one op
                let idx: Tensor<B, 2, Int> = actions.int(); // [batch, 1]
                let log_prob = log_p.clone().gather(1, idx).flatten(0, 1); // [batch]
                let entropy = (p * log_p).sum_dim(1).neg().flatten(0, 1); // [batch]
                (log_prob, entropy)
            }
            Some(log_std) => {
                let [batch, d_action] = out.dims();
                let log_std = log_std.expand([batch, d_action]); // [batch, d_action]
                let z = (actions - out) * log_std.clone().neg().exp(); // [batch, d_action]
                let log_prob = (z.square().mul_scalar(-0.5) - log_std.clone() - 0.5 * LN_2PI)
                    .sum_dim(1)
                    .flatten(0, 1); // [batch]
                let entropy = (log_std + 0.5 * (1.0 + LN_2PI)).sum_dim(1).flatten(0, 1); // [batch]
                (log_prob, entropy)
            }
        }
    }

    /// Everything the PPO loss needs for a minibatch.
    pub fn evaluate(&self, obs: Tensor<B, 2>, actions: Tensor<B, 2>) -> Evaluation<B> {
        let value = self.value(obs.clone());
        let (log_prob, entropy) = self.log_prob_entropy(obs, actions);
        Evaluation {
            log_prob,
            entropy,
            value,
        }
    }
}

/// `tanh(x)` as `2·σ(2x) − 1`, with a gradient that reuses the output.
///
/// Two costs of `x.tanh()` on the CPU backends, found by profiling the PPO
/// update: `tanh` is a scalar libm call per element (glibc's `tanhf` via
/// `expm1f`, ~25 ns), and burn's autodiff keeps the input and calls `tanh`
/// again in the backward pass for `1 − tanh²`. Together they were 53 % of
/// the update. Here the output is `2·σ(2x) − 1` (`σ` is one `exp` per
/// element; the same function as `tanh` up to an absolute error of about
/// 1e-7), and `y` and `k = 1 − y²` are computed once outside the graph;
/// `y + (x − detach(x)) · k` has the value `y` (`x − x` is exactly 0) and
/// carries the gradient `grad · k` to `x`, so the backward pass is one
/// multiplication. Backends without autodiff compute `y` only.
pub(crate) fn tanh_keeping_output<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    let tanh = |x: Tensor<B, D>| sigmoid(x.mul_scalar(2.0)).mul_scalar(2.0).sub_scalar(1.0);
    if !B::ad_enabled(&x.device()) {
        return tanh(x);
    }
    let x_const = x.clone().detach();
    let y = tanh(x_const.clone()); // no graph
    let k = y.clone().powi_scalar(2).neg().add_scalar(1.0); // 1 − y², no graph
    y + (x - x_const) * k
}

/// A `Linear` layer with an orthogonal weight (scaled by `gain`) and zero bias.
fn orthogonal_linear<B: Backend, R: Rng>(
    d_in: usize,
    d_out: usize,
    gain: f32,
    device: &B::Device,
    rng: &mut R,
) -> Linear<B> {
    let w = orthogonal(d_in, d_out, gain, rng);
    Linear {
        weight: Param::from_tensor(Tensor::from_data(TensorData::new(w, [d_in, d_out]), device)),
        bias: Some(Param::from_tensor(Tensor::from_data(
            TensorData::new(vec![0.0f32; d_out], [d_out]),
            device,
        ))),
    }
}

/// A `rows × cols` row-major matrix with orthonormal rows or columns
/// (whichever are fewer), times `gain`: the same family as
/// `torch.nn.init.orthogonal_` (QR of a Gaussian matrix, signs fixed so that
/// `R` has a positive diagonal), computed with modified Gram–Schmidt in f64.
pub fn orthogonal<R: Rng>(rows: usize, cols: usize, gain: f32, rng: &mut R) -> Vec<f32> {
    // Orthonormalise the `k` longer vectors of length `n`.
    let (n, k) = if rows >= cols {
        (rows, cols)
    } else {
        (cols, rows)
    };
    let mut q: Vec<Vec<f64>> = (0..k)
        .map(|_| {
            (0..n)
                .map(|_| rng.sample::<f64, _>(StandardNormal))
                .collect()
        })
        .collect();
    for j in 0..k {
        let (done, rest) = q.split_at_mut(j);
        let v = &mut rest[0];
        for u in done.iter() {
            let dot: f64 = u.iter().zip(v.iter()).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(u).for_each(|(x, ui)| *x -= dot * ui);
        }
        let norm = q[j].iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
        q[j].iter_mut().for_each(|v| *v /= norm);
    }
    let mut out = vec![0.0f32; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            // Columns are the vectors when rows >= cols, rows otherwise.
            let v = if rows >= cols { q[c][r] } else { q[r][c] };
            out[r * cols + c] = (v * f64::from(gain)) as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn orthogonal_init_has_orthonormal_columns_times_gain() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (rows, cols, gain) = (8, 5, 2.0f32);
        let w = orthogonal(rows, cols, gain, &mut rng);
        for a in 0..cols {
            for b in 0..cols {
                let dot: f32 = (0..rows).map(|r| w[r * cols + a] * w[r * cols + b]).sum();
                let want = if a == b { gain * gain } else { 0.0 };
                assert!((dot - want).abs() < 1e-4, "({a},{b}) {dot} vs {want}");
            }
        }
    }

    #[test]
    fn orthogonal_init_of_a_wide_matrix_has_orthonormal_rows() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let (rows, cols) = (3, 7);
        let w = orthogonal(rows, cols, 1.0, &mut rng);
        for a in 0..rows {
            for b in 0..rows {
                let dot: f32 = (0..cols).map(|c| w[a * cols + c] * w[b * cols + c]).sum();
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-4);
            }
        }
    }

    #[test]
    fn with_log_std_sets_every_entry_and_leaves_a_categorical_head_alone() {
        type B = crate::CpuBackend;
        let device = Default::default();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let net = ActorCriticConfig::new(3, 2, ActionKind::Continuous);
        let model = net.init::<B, _>(&device, &mut rng).expect("valid config");
        let log_std = model.with_log_std(-3.5).log_std().expect("continuous head");
        assert_eq!(log_std.dims(), [1, 2]);
        assert_eq!(
            log_std.into_data().to_vec::<f32>().unwrap(),
            vec![-3.5, -3.5]
        );
        let discrete = ActorCriticConfig::new(3, 2, ActionKind::Discrete);
        let model = discrete
            .init::<B, _>(&device, &mut rng)
            .expect("valid config");
        assert!(model.with_log_std(-3.5).log_std().is_none());
    }
}
