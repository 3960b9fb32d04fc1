//! A frozen copy of an [`ActorCritic`] on the host, for acting.
//!
//! Rollouts call the policy once per env step on a handful of observations.
//! For networks this small, a tensor library's per-operation dispatch costs
//! far more than the arithmetic, so acting runs on plain `f32` slices: the
//! weights are copied out once per update (a few thousand floats), every
//! env's observation goes through one batched forward, and sampling uses the
//! run's seeded RNG, so a rollout is the same on every backend and device.
//! `host_forward_matches_burn_forward` keeps it equal to the burn module.

use burn::tensor::backend::Backend;
use rand::Rng;
use rand_distr::StandardNormal;

use crate::actor_critic::LN_2PI;
use crate::{ActorCritic, export_params};

/// One dense layer: `y = x · w + b` with `w: [d_in, d_out]`.
#[derive(Debug, Clone)]
struct HostLinear {
    d_in: usize,
    d_out: usize,
    w: Vec<f32>,
    b: Vec<f32>,
}

impl HostLinear {
    /// `x: [n, d_in] → y: [n, d_out]`, tanh applied when `tanh`.
    fn forward(&self, x: &[f32], n: usize, y: &mut Vec<f32>, tanh: bool) {
        y.clear();
        y.resize(n * self.d_out, 0.0);
        for i in 0..n {
            let row = &mut y[i * self.d_out..(i + 1) * self.d_out];
            row.copy_from_slice(&self.b);
            for (k, &xk) in x[i * self.d_in..(i + 1) * self.d_in].iter().enumerate() {
                let w = &self.w[k * self.d_out..(k + 1) * self.d_out];
                for (r, &wk) in row.iter_mut().zip(w) {
                    *r += xk * wk;
                }
            }
            if tanh {
                row.iter_mut().for_each(|v| *v = tanh_via_sigmoid(*v));
            }
        }
    }
}

/// `tanh(x)` as `2·σ(2x) − 1`, the form the burn network uses
/// (`actor_critic::tanh_keeping_output`): one `exp` instead of libm's
/// `tanhf`, which was most of a CartPole rollout's time.
#[inline]
fn tanh_via_sigmoid(x: f32) -> f32 {
    let z = 2.0 * x;
    let s = if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    };
    2.0 * s - 1.0
}

/// The actor and critic as host matrices, plus scratch buffers.
#[derive(Debug, Clone)]
pub struct PolicySnapshot {
    actor: Vec<HostLinear>,
    critic: Vec<HostLinear>,
    log_std: Option<Vec<f32>>,
    buf_a: Vec<f32>,
    buf_b: Vec<f32>,
}

/// What the policy did for a batch of observations.
#[derive(Debug, Clone, Default)]
pub struct ActOutput {
    /// Actions, `[n, d_action]` for continuous, `[n]` indices (as f32) for
    /// discrete.
    pub actions: Vec<f32>,
    /// `log π(a|s)`, `[n]`.
    pub log_probs: Vec<f32>,
    /// `V(s)`, `[n]`.
    pub values: Vec<f32>,
}

impl PolicySnapshot {
    /// Copies the weights of `model` to the host.
    pub fn new<B: Backend>(model: &ActorCritic<B>) -> Self {
        let params = export_params(model);
        let find = |name: &str| params.iter().find(|t| t.name == name);
        let layers = |prefix: &str, n: usize| -> Vec<HostLinear> {
            (0..n)
                .map(|i| {
                    let w =
                        find(&format!("{prefix}.{i}.weight")).expect("every Linear has a weight");
                    let b =
                        find(&format!("{prefix}.{i}.bias")).expect("layers are built with a bias");
                    HostLinear {
                        d_in: w.shape[0],
                        d_out: w.shape[1],
                        w: w.data.clone(),
                        b: b.data.clone(),
                    }
                })
                .collect()
        };
        Self {
            actor: layers("actor", model.actor.len()),
            critic: layers("critic", model.critic.len()),
            log_std: find("log_std").map(|t| t.data.clone()),
            buf_a: Vec::new(),
            buf_b: Vec::new(),
        }
    }

    /// Observation size.
    pub fn d_obs(&self) -> usize {
        self.actor[0].d_in
    }

    /// Actor output size (choices or action dimensions).
    pub fn d_action(&self) -> usize {
        self.actor[self.actor.len() - 1].d_out
    }

    /// Whether the head is categorical.
    pub fn is_discrete(&self) -> bool {
        self.log_std.is_none()
    }

    fn mlp(layers: &[HostLinear], obs: &[f32], n: usize, a: &mut Vec<f32>, b: &mut Vec<f32>) {
        let last = layers.len() - 1;
        a.clear();
        a.extend_from_slice(obs);
        for (i, layer) in layers.iter().enumerate() {
            layer.forward(a, n, b, i < last);
            std::mem::swap(a, b);
        }
    }

    /// Actor output for `obs: [n, d_obs]` into `out: [n, d_action]`.
    pub fn actor_out(&mut self, obs: &[f32], n: usize, out: &mut Vec<f32>) {
        Self::mlp(&self.actor, obs, n, &mut self.buf_a, &mut self.buf_b);
        out.clear();
        out.extend_from_slice(&self.buf_a);
    }

    /// Values for `obs: [n, d_obs]` into `out: [n]`.
    pub fn values(&mut self, obs: &[f32], n: usize, out: &mut Vec<f32>) {
        Self::mlp(&self.critic, obs, n, &mut self.buf_a, &mut self.buf_b);
        out.clear();
        out.extend_from_slice(&self.buf_a);
    }

    /// Acts on `obs: [n, d_obs]`: samples from the policy with `rng`, or
    /// takes the mode (argmax / mean) when `deterministic`. Fills `out`.
    pub fn act<R: Rng>(
        &mut self,
        obs: &[f32],
        n: usize,
        deterministic: bool,
        rng: &mut R,
        out: &mut ActOutput,
    ) {
        let mut logits = std::mem::take(&mut out.actions);
        self.values(obs, n, &mut out.values);
        self.actor_out(obs, n, &mut logits);
        let d = self.d_action();
        out.log_probs.clear();
        let mut actions = Vec::with_capacity(n * d);
        match &self.log_std {
            None => {
                for row in logits.chunks_exact(d) {
                    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f32>().ln();
                    let a = if deterministic {
                        argmax(row)
                    } else {
                        let u: f32 = rng.random();
                        let mut acc = 0.0;
                        let mut pick = d - 1;
                        for (j, v) in row.iter().enumerate() {
                            acc += (v - lse).exp();
                            if u < acc {
                                pick = j;
                                break;
                            }
                        }
                        pick
                    };
                    actions.push(a as f32);
                    out.log_probs.push(row[a] - lse);
                }
            }
            Some(log_std) => {
                for row in logits.chunks_exact(d) {
                    let mut lp = 0.0;
                    for (mean, ls) in row.iter().zip(log_std) {
                        let z: f32 = if deterministic {
                            0.0
                        } else {
                            rng.sample(StandardNormal)
                        };
                        actions.push(mean + z * ls.exp());
                        lp += -0.5 * z * z - ls - 0.5 * LN_2PI;
                    }
                    out.log_probs.push(lp);
                }
            }
        }
        out.actions = actions;
    }
}

fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (j, v) in row.iter().enumerate() {
        if *v > row[best] {
            best = j;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CpuBackend;
    use crate::{ActionKind, ActorCriticConfig};
    use burn::tensor::{Tensor, TensorData};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    type B = CpuBackend;

    #[test]
    fn host_forward_matches_burn_forward() {
        let device = Default::default();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for kind in [ActionKind::Discrete, ActionKind::Continuous] {
            let mut cfg = ActorCriticConfig::new(5, 3, kind);
            cfg.init_log_std = -0.3;
            let model = cfg.init::<B, _>(&device, &mut rng).expect("valid config");
            let obs: Vec<f32> = (0..4 * 5)
                .map(|i| ((i * 37 % 11) as f32 - 5.0) * 0.3)
                .collect();
            let t = Tensor::<B, 2>::from_data(TensorData::new(obs.clone(), [4, 5]), &device);
            let want_out = model
                .actor_out(t.clone())
                .into_data()
                .into_vec::<f32>()
                .expect("f32");
            let want_v = model
                .value(t.clone())
                .into_data()
                .into_vec::<f32>()
                .expect("f32");
            let mut snap = PolicySnapshot::new(&model);
            let (mut out, mut v) = (Vec::new(), Vec::new());
            snap.actor_out(&obs, 4, &mut out);
            snap.values(&obs, 4, &mut v);
            for (a, b) in out.iter().zip(&want_out).chain(v.iter().zip(&want_v)) {
                assert!((a - b).abs() < 1e-5, "{a} vs {b}");
            }
            // Log-probabilities of sampled actions agree with the module's.
            let mut act = ActOutput::default();
            snap.act(&obs, 4, false, &mut rng, &mut act);
            let cols = if kind == ActionKind::Discrete { 1 } else { 3 };
            let a =
                Tensor::<B, 2>::from_data(TensorData::new(act.actions.clone(), [4, cols]), &device);
            let (lp, _) = model.log_prob_entropy(t, a);
            let lp = lp.into_data().into_vec::<f32>().expect("f32");
            for (a, b) in act.log_probs.iter().zip(&lp) {
                assert!((a - b).abs() < 1e-4, "{a} vs {b}");
            }
        }
    }
}
