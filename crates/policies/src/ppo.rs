//! Proximal Policy Optimization (Schulman et al. 2017), read top to bottom
//! like CleanRL's `ppo_continuous_action.py`: config → networks → rollout
//! buffer → [`compute_gae`] → the loss → the update → [`Ppo::train`].
//!
//! Details as in CleanRL and "The 37 Implementation Details of PPO" (Huang
//! et al. 2022); one difference: an episode cut short by a time limit
//! bootstraps from the value of its final observation (as SB3 does). Acting
//! runs on a host copy of the weights ([`PolicySnapshot`]: one batched
//! forward per step, no autodiff graph, the same samples on every backend);
//! the update runs on the burn backend `B`. What is not the algorithm lives
//! elsewhere: the warm-start extras in `ppo_fine_tune.rs` (called at four
//! named points), feature masking in [`ObservationMask`], YAML in
//! `ppo_run_config.rs`, accessors, checkpoints and resume in `ppo_state.rs`,
//! the per-update report in [`PpoUpdate`]. The library does not print.

use std::collections::BTreeMap;
use std::time::Instant;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData};
use envs::{Env, EpisodeRecord, ObsNormConfig, RewardNormConfig, Space, VecAction, VecEnv};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{
    ActOutput, ActionKind, ActorCritic, ActorCriticConfig, Adam, AdamConfig, Control,
    ObservationMask, PolicyError, PolicySnapshot, PpoUpdate, Result, action_bounds,
};

// The warm-start extras and the run's state (accessors, checkpoints,
// resume) reach into the run's private fields.
#[path = "ppo_fine_tune.rs"]
mod fine_tune;
#[path = "ppo_state.rs"]
mod state;

use fine_tune::{FineTune, FineTuneLoss, FineTuneMinibatch};
pub use fine_tune::{FineTuneConfig, nest_flat_keys};

// ---------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------

/// PPO hyperparameters: the `ppo:` section of a run or task config.
/// Defaults are CleanRL's `ppo.py` (CartPole) values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PpoConfig {
    /// Env steps to train for, summed over copies. Default 500 000.
    pub total_timesteps: u64,
    /// Adam's initial learning rate. Default 2.5e-4.
    pub learning_rate: f64,
    /// Anneal the learning rate linearly to 0 over the run. Default true.
    pub anneal_lr: bool,
    /// Parallel env copies. Default 4.
    pub num_envs: usize,
    /// Steps per copy per rollout. Default 128.
    pub num_steps: usize,
    /// Discount factor γ. Default 0.99.
    pub gamma: f64,
    /// GAE λ. Default 0.95.
    pub gae_lambda: f64,
    /// Minibatches per epoch. Default 4.
    pub num_minibatches: usize,
    /// Passes over the rollout per update. Default 4.
    pub update_epochs: usize,
    /// Normalise advantages per minibatch. Default true.
    pub norm_adv: bool,
    /// Surrogate clipping ε. Default 0.2.
    pub clip_coef: f64,
    /// Clip the value loss around the rollout's values. Default true.
    pub clip_vloss: bool,
    /// Entropy bonus coefficient. Default 0.01.
    pub ent_coef: f64,
    /// Value loss coefficient. Default 0.5.
    pub vf_coef: f64,
    /// Global gradient-norm clip. Default 0.5.
    pub max_grad_norm: f64,
    /// Stop an update's epochs early when the approximate KL exceeds this.
    /// Default none.
    pub target_kl: Option<f64>,
    /// Adam's ε. Default 1e-5.
    pub adam_eps: f64,
    /// Hidden layer width of actor and critic. Default 64.
    pub d_hidden: usize,
    /// Initial Gaussian log-std (continuous actions) of a fresh network;
    /// a warm start's callers set it on the network they start from.
    /// Default 0.
    pub init_log_std: f32,
    /// Normalise observations with running statistics (clip ±10). Default false.
    pub normalize_observation: bool,
    /// Scale rewards by the running std of the discounted return (clip ±10).
    /// Default false.
    pub normalize_reward: bool,
    /// Observation features PPO never uses, zeroed in every state it acts
    /// on and learns from ([`ObservationMask`]). Default none.
    pub ignore_observations: Vec<usize>,
    /// The warm-start extras ([`FineTuneConfig`]); the defaults are off.
    pub fine_tune: FineTuneConfig,
}

impl Default for PpoConfig {
    fn default() -> Self {
        Self {
            total_timesteps: 500_000,
            learning_rate: 2.5e-4,
            anneal_lr: true,
            num_envs: 4,
            num_steps: 128,
            gamma: 0.99,
            gae_lambda: 0.95,
            num_minibatches: 4,
            update_epochs: 4,
            norm_adv: true,
            clip_coef: 0.2,
            clip_vloss: true,
            ent_coef: 0.01,
            vf_coef: 0.5,
            max_grad_norm: 0.5,
            target_kl: None,
            adam_eps: 1e-5,
            d_hidden: 64,
            init_log_std: 0.0,
            normalize_observation: false,
            normalize_reward: false,
            ignore_observations: Vec::new(),
            fine_tune: FineTuneConfig::default(),
        }
    }
}

impl PpoConfig {
    /// Transitions per rollout: `num_envs · num_steps`.
    pub fn batch_size(&self) -> usize {
        self.num_envs * self.num_steps
    }

    /// Transitions per minibatch: `batch_size / num_minibatches`.
    pub fn minibatch_size(&self) -> usize {
        self.batch_size() / self.num_minibatches.max(1)
    }

    /// Updates in the run: `total_timesteps / batch_size`.
    pub fn num_updates(&self) -> u64 {
        self.total_timesteps / self.batch_size().max(1) as u64
    }

    /// Learning rate for update `update` (1-based), CleanRL's schedule:
    /// `lr · (1 − (update − 1) / num_updates)`.
    pub fn learning_rate_at(&self, update: u64) -> f64 {
        if !self.anneal_lr {
            return self.learning_rate;
        }
        let frac = 1.0 - (update.saturating_sub(1)) as f64 / self.num_updates().max(1) as f64;
        self.learning_rate * frac
    }
}

// ---------------------------------------------------------------------------
// Networks
// ---------------------------------------------------------------------------

/// The network for an env's spaces: categorical for `Discrete(n)`,
/// Gaussian for a `Box` of actions.
pub fn network_config(
    cfg: &PpoConfig,
    observation_space: &Space,
    action_space: &Space,
) -> Result<ActorCriticConfig> {
    let d_obs = match observation_space {
        Space::Box(b) => b.size(),
        Space::Discrete { .. } => {
            return Err(PolicyError::UnsupportedSpace(
                "discrete observations (one-hot them in a wrapper)".to_owned(),
            ));
        }
    };
    let (d_action, kind) = match action_space {
        Space::Discrete { n } => (*n, ActionKind::Discrete),
        Space::Box(b) => (b.size(), ActionKind::Continuous),
    };
    let mut net = ActorCriticConfig::new(d_obs, d_action, kind);
    net.d_hidden = cfg.d_hidden;
    net.init_log_std = cfg.init_log_std;
    Ok(net)
}

// ---------------------------------------------------------------------------
// Rollout buffer
// ---------------------------------------------------------------------------

/// One rollout, `[num_steps, num_envs, …]` row-major in plain host memory:
/// read as one flat batch of `num_steps · num_envs` transitions, these are
/// CleanRL's `b_obs`, `b_actions`, … .
#[derive(Debug, Clone)]
pub struct RolloutBuffer {
    /// Steps per copy.
    pub num_steps: usize,
    /// Copies.
    pub num_envs: usize,
    /// Observation size.
    pub d_obs: usize,
    /// Stored action columns (1 for a discrete index, `d_action` otherwise).
    pub d_act: usize,
    /// Observations the actions were taken in (masked).
    pub obs: Vec<f32>,
    /// Actions taken (unclipped samples).
    pub actions: Vec<f32>,
    /// `log π(a|s)` at acting time.
    pub log_probs: Vec<f32>,
    /// Rewards received (normalised when reward normalisation is on).
    pub rewards: Vec<f32>,
    /// `V(s)` at acting time.
    pub values: Vec<f32>,
    /// The step reached a terminal state.
    pub terminated: Vec<bool>,
    /// The step was cut short (time limit).
    pub truncated: Vec<bool>,
    /// `V(final observation)` where `truncated`, else 0.
    pub final_values: Vec<f32>,
    /// `V(s_T)` of the observations after the last step, `[num_envs]`.
    pub last_values: Vec<f32>,
    /// The experts' label of each state, like `actions`, when the run has
    /// experts ([`FineTuneConfig::expert_coef`]); zeros otherwise.
    pub expert_actions: Vec<f32>,
}

impl RolloutBuffer {
    /// An empty buffer of the given shape.
    pub fn new(num_steps: usize, num_envs: usize, d_obs: usize, d_act: usize) -> Self {
        let n = num_steps * num_envs;
        Self {
            num_steps,
            num_envs,
            d_obs,
            d_act,
            obs: vec![0.0; n * d_obs],
            actions: vec![0.0; n * d_act],
            log_probs: vec![0.0; n],
            rewards: vec![0.0; n],
            values: vec![0.0; n],
            terminated: vec![false; n],
            truncated: vec![false; n],
            final_values: vec![0.0; n],
            last_values: vec![0.0; num_envs],
            expert_actions: vec![0.0; n * d_act],
        }
    }

    /// The minibatch `mb_inds` of the flat batch (`b_obs[mb_inds]`, …)
    /// with its advantages and returns, the advantages normalised when
    /// `norm_adv`.
    fn minibatch<B: AutodiffBackend>(
        &self,
        b_advantages: &[f32],
        b_returns: &[f32],
        mb_inds: &[usize],
        norm_adv: bool,
        device: &B::Device,
    ) -> Minibatch<B> {
        let mb = mb_inds.len();
        let rows = |b: &[f32], width: usize| {
            Tensor::<B, 2>::from_data(
                TensorData::new(gather(b, width, mb_inds), [mb, width]),
                device,
            )
        };
        let column = |b: &[f32]| {
            Tensor::<B, 1>::from_data(TensorData::new(gather(b, 1, mb_inds), [mb]), device)
        };
        let mut mb_advantages = gather(b_advantages, 1, mb_inds);
        if norm_adv {
            normalize_in_place(&mut mb_advantages);
        }
        Minibatch {
            obs: rows(&self.obs, self.d_obs),
            actions: rows(&self.actions, self.d_act),
            logprobs: column(&self.log_probs),
            advantages: Tensor::from_data(TensorData::new(mb_advantages, [mb]), device),
            returns: column(b_returns),
            values: column(&self.values),
        }
    }
}

/// One minibatch of the rollout as tensors.
struct Minibatch<B: AutodiffBackend> {
    obs: Tensor<B, 2>,        // [mb, d_obs]
    actions: Tensor<B, 2>,    // [mb, d_act]
    logprobs: Tensor<B, 1>,   // [mb]
    advantages: Tensor<B, 1>, // [mb]
    returns: Tensor<B, 1>,    // [mb]
    values: Tensor<B, 1>,     // [mb]
}

/// Rows `inds` of `b` (`width` values per row), in order: `b[inds]`.
fn gather(b: &[f32], width: usize, inds: &[usize]) -> Vec<f32> {
    let mut out = Vec::with_capacity(inds.len() * width);
    for &k in inds {
        out.extend_from_slice(&b[k * width..(k + 1) * width]);
    }
    out
}

// ---------------------------------------------------------------------------
// GAE
// ---------------------------------------------------------------------------

/// Generalised advantage estimation over a `[num_steps, num_envs]` rollout.
///
/// For step `t` of copy `i`, the next state's value is 0 if the step
/// terminated, `final_values[t,i]` (the value of the episode's final
/// observation) if it was truncated, and otherwise `values[t+1,i]` (or
/// `last_values[i]` at the last step). The recursion
/// `A_t = δ_t + γλ·A_{t+1}` restarts wherever an episode ended.
/// Returns `(advantages, returns = advantages + values)`.
pub fn compute_gae(buf: &RolloutBuffer, gamma: f64, gae_lambda: f64) -> (Vec<f32>, Vec<f32>) {
    let (t_max, n) = (buf.num_steps, buf.num_envs);
    let (gamma, lambda) = (gamma as f32, gae_lambda as f32);
    let mut advantages = vec![0.0f32; t_max * n];
    for i in 0..n {
        let mut last_gae = 0.0f32;
        for t in (0..t_max).rev() {
            let k = t * n + i;
            let (next_value, continues) = if buf.terminated[k] {
                (0.0, 0.0)
            } else if buf.truncated[k] {
                (buf.final_values[k], 0.0)
            } else if t + 1 == t_max {
                (buf.last_values[i], 1.0)
            } else {
                (buf.values[k + n], 1.0)
            };
            let delta = buf.rewards[k] + gamma * next_value - buf.values[k];
            last_gae = delta + gamma * lambda * continues * last_gae;
            advantages[k] = last_gae;
        }
    }
    let returns = advantages
        .iter()
        .zip(&buf.values)
        .map(|(a, v)| a + v)
        .collect();
    (advantages, returns)
}

/// `1 − Var(y − ŷ) / Var(y)`: how much of the returns' variance the value
/// function explains (NaN when the returns are constant, as CleanRL).
pub fn explained_variance(y_pred: &[f32], y_true: &[f32]) -> f64 {
    let var = |xs: &mut dyn Iterator<Item = f64>| {
        let v: Vec<f64> = xs.collect();
        let n = v.len().max(1) as f64;
        let mean = v.iter().sum::<f64>() / n;
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n
    };
    let var_y = var(&mut y_true.iter().map(|&y| f64::from(y)));
    if var_y == 0.0 {
        return f64::NAN;
    }
    let var_res = var(&mut y_true
        .iter()
        .zip(y_pred)
        .map(|(&y, &p)| f64::from(y) - f64::from(p)));
    1.0 - var_res / var_y
}

// ---------------------------------------------------------------------------
// The loss
// ---------------------------------------------------------------------------

/// The loss of one minibatch and its diagnostics (detached scalars).
struct MinibatchLoss<B: AutodiffBackend> {
    loss: Tensor<B, 1>, // [1]
    /// `[pg_loss, v_loss, entropy, approx_kl, clip_frac, anchor_loss,
    /// expert_loss]`, `[LOSS_STATS]`.
    stats: Tensor<B, 1>,
}

/// Entries of [`MinibatchLoss::stats`].
const LOSS_STATS: usize = 7;

/// Clipped surrogate + clipped value loss − entropy bonus, plus the
/// fine-tune terms; the critic's loss alone when `critic_only`.
fn ppo_loss<B: AutodiffBackend>(
    model: &ActorCritic<B>,
    mb: Minibatch<B>,
    mb_fine_tune: FineTuneMinibatch<B>,
    cfg: &PpoConfig,
    critic_only: bool,
) -> MinibatchLoss<B> {
    let fine_tune = FineTuneLoss::new(model, &mb.obs, mb_fine_tune, critic_only);
    // In the critic warm-up the actor is evaluated on an untracked copy: a
    // tracked actor graph that no backward pass consumes is never freed,
    // and the autodiff graph cleaner's scans then grow without bound.
    let (eval, newvalue) = if critic_only {
        let newvalue = model.value(mb.obs.clone()); // [mb]
        (
            model.clone().no_grad().evaluate(mb.obs, mb.actions),
            newvalue,
        )
    } else {
        let eval = model.evaluate(mb.obs, mb.actions);
        let newvalue = eval.value.clone(); // [mb]
        (eval, newvalue)
    };
    let logratio = eval.log_prob - mb.logprobs; // [mb]
    let ratio = logratio.clone().exp(); // [mb]

    // Diagnostics, without gradient: KL estimator k3 and the clipped share.
    let ratio_d = ratio.clone().detach();
    let approx_kl = ((ratio_d.clone() - 1.0) - logratio.detach()).mean(); // [1]
    let clip_frac = (ratio_d - 1.0)
        .abs()
        .greater_elem(cfg.clip_coef)
        .float()
        .mean(); // [1]

    let eps = cfg.clip_coef;
    let neg_adv = mb.advantages.neg();
    let pg_loss1 = neg_adv.clone() * ratio.clone();
    let pg_loss2 = neg_adv * ratio.clamp(1.0 - eps, 1.0 + eps);
    let pg_loss = pg_loss1.max_pair(pg_loss2).mean(); // [1]

    let v_loss_unclipped = (newvalue.clone() - mb.returns.clone()).square(); // [mb]
    let v_loss = if cfg.clip_vloss {
        let v_clipped = mb.values.clone() + (newvalue - mb.values).clamp(-eps, eps);
        let v_loss_clipped = (v_clipped - mb.returns).square(); // [mb]
        v_loss_unclipped.max_pair(v_loss_clipped).mean() * 0.5
    } else {
        v_loss_unclipped.mean() * 0.5
    }; // [1]
    let entropy_loss = eval.entropy.mean(); // [1]

    let loss = if critic_only {
        v_loss.clone() * cfg.vf_coef
    } else {
        let loss =
            pg_loss.clone() - entropy_loss.clone() * cfg.ent_coef + v_loss.clone() * cfg.vf_coef;
        fine_tune.add_to(loss, &cfg.fine_tune)
    };
    let stats = Tensor::cat(
        vec![
            pg_loss.detach(),
            v_loss.detach(),
            entropy_loss.detach(),
            approx_kl,
            clip_frac,
            fine_tune.anchor_loss.detach(),
            fine_tune.expert_loss.detach(),
        ],
        0,
    );
    MinibatchLoss { loss, stats }
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

/// A PPO run: network, optimizer, envs, RNG and counters. `E` is the type
/// of the env copies: registry envs by default, or whatever the caller
/// wraps them in (e.g. the economic reward wrapper) via [`Ppo::from_venv`].
pub struct Ppo<B: AutodiffBackend, E: Env = Box<dyn Env>> {
    config: PpoConfig,
    env_id: String,
    network: ActorCriticConfig,
    model: ActorCritic<B>,
    optimizer: Adam<B::InnerBackend>,
    venv: VecEnv<E>,
    rng: ChaCha8Rng,
    device: B::Device,
    buffer: RolloutBuffer,
    global_step: u64,
    update: u64,
    metrics: BTreeMap<String, f64>,
    /// `ppo.ignore_observations`.
    mask: ObservationMask,
    /// The warm-start extras and their anchor and experts.
    fine_tune: FineTune,
}

impl<B: AutodiffBackend> Ppo<B> {
    /// A fresh run on env `env_id` (from the env registry).
    pub fn new(config: PpoConfig, env_id: &str, seed: u64, device: &B::Device) -> Result<Self> {
        config.validate()?;
        let venv = VecEnv::make(env_id, config.num_envs)?;
        Self::from_venv(config, env_id, venv, seed, device)
    }
}

impl<B: AutodiffBackend, E: Env> Ppo<B, E> {
    /// A fresh run on the caller's vector env `venv` of `config.num_envs`
    /// copies of env `env_id` (the id is recorded in checkpoints). The
    /// normalisers the config asks for are added here.
    pub fn from_venv(
        config: PpoConfig,
        env_id: &str,
        venv: VecEnv<E>,
        seed: u64,
        device: &B::Device,
    ) -> Result<Self> {
        config.validate()?;
        if venv.num_envs() != config.num_envs {
            let reason = format!(
                "is {} but the vector env has {} copies",
                config.num_envs,
                venv.num_envs()
            );
            return Err(PolicyError::config("ppo.num_envs", reason));
        }
        let mut venv = with_normalizers(venv, &config)?;
        venv.reset(Some(seed))?;
        let network = network_config(&config, venv.observation_space(), venv.action_space())?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mask = ObservationMask::new(
            &config.ignore_observations,
            network.d_obs,
            "ppo.ignore_observations",
        )?;
        let model = mask.mask_inputs(network.init::<B, _>(device, &mut rng)?, device);
        let buffer = RolloutBuffer::new(
            config.num_steps,
            config.num_envs,
            venv.d_obs(),
            action_columns(&network),
        );
        Ok(Self {
            optimizer: Adam::new(AdamConfig {
                eps: config.adam_eps,
                ..AdamConfig::default()
            }),
            fine_tune: FineTune::new(config.fine_tune.clone(), config.num_envs),
            config,
            env_id: env_id.to_owned(),
            network,
            model,
            venv,
            rng,
            device: device.clone(),
            buffer,
            global_step: 0,
            update: 0,
            metrics: BTreeMap::new(),
            mask,
        })
    }

    /// Trains until `total_timesteps` (or until `on_update` says stop),
    /// calling `on_update` after every update.
    pub fn train(&mut self, mut on_update: impl FnMut(&Self, &PpoUpdate) -> Control) -> Result<()> {
        while !self.is_done() {
            let record = self.step_update()?;
            if on_update(self, &record) == Control::Stop {
                break;
            }
        }
        Ok(())
    }

    /// One rollout of `num_steps` per copy, then one PPO update.
    pub fn step_update(&mut self) -> Result<PpoUpdate> {
        let start = Instant::now();
        let episodes = self.collect_rollout()?;
        let rollout_secs = start.elapsed().as_secs_f64();
        let mut record = self.update_policy()?;
        let elapsed = start.elapsed().as_secs_f64().max(1e-9);
        record.sps = self.config.batch_size() as f64 / elapsed;
        record.rollout_secs = rollout_secs;
        record.learn_secs = elapsed - rollout_secs;
        record.episodes = episodes;
        self.metrics = record
            .scalars()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        Ok(record)
    }

    /// Fills the rollout buffer with `num_steps` steps of every copy, acting
    /// with a host copy of the policy; returns the episodes that ended.
    pub fn collect_rollout(&mut self) -> Result<Vec<EpisodeRecord>> {
        self.fine_tune.require()?;
        let mut snapshot = PolicySnapshot::new(&self.model);
        let (n, d_obs, d_act) = (self.config.num_envs, self.buffer.d_obs, self.buffer.d_act);
        let bounds = action_bounds(self.venv.action_space());
        let mut act = ActOutput::default();
        let mut discrete = vec![0usize; n];
        let mut clipped = vec![0.0f32; n * d_act];
        let mut final_value = Vec::with_capacity(1);
        let mut episodes = Vec::new();
        let mut scratch = Vec::new();
        let buf = &mut self.buffer;
        for step in 0..self.config.num_steps {
            let row = step * n; // first transition of this step in the flat batch
            let obs = &mut buf.obs[row * d_obs..(row + n) * d_obs];
            obs.copy_from_slice(self.venv.obs());
            self.mask.apply(obs);
            let expert_actions = &mut buf.expert_actions[row * d_act..(row + n) * d_act];
            self.fine_tune.label(self.venv.envs(), expert_actions)?;
            let obs = &buf.obs[row * d_obs..(row + n) * d_obs];
            snapshot.act(obs, n, false, &mut self.rng, &mut act);
            buf.actions[row * d_act..(row + n) * d_act].copy_from_slice(&act.actions);
            buf.log_probs[row..row + n].copy_from_slice(&act.log_probs);
            buf.values[row..row + n].copy_from_slice(&act.values);
            match &bounds {
                None => {
                    for (d, a) in discrete.iter_mut().zip(&act.actions) {
                        *d = *a as usize;
                    }
                    self.venv.step(VecAction::Discrete(&discrete))?;
                }
                Some((low, high)) => {
                    for (j, (c, a)) in clipped.iter_mut().zip(&act.actions).enumerate() {
                        *c = a.clamp(low[j % d_act], high[j % d_act]);
                    }
                    self.venv.step(VecAction::Continuous(&clipped))?;
                }
            }
            self.global_step += n as u64;
            self.fine_tune.episode_ends(|i| self.venv.done(i));
            for i in 0..n {
                let k = row + i;
                buf.rewards[k] = self.venv.rewards()[i] as f32;
                buf.terminated[k] = self.venv.terminated()[i];
                buf.truncated[k] = self.venv.truncated()[i] && !self.venv.terminated()[i];
                buf.final_values[k] = 0.0;
                if buf.truncated[k]
                    && let Some(obs) = self.venv.final_obs(i)
                {
                    snapshot.values(self.mask.masked(obs, &mut scratch), 1, &mut final_value);
                    buf.final_values[k] = final_value[0];
                }
            }
            episodes.extend(self.venv.episodes().map(|(_, e)| *e));
        }
        let next_obs = self.mask.masked(self.venv.obs(), &mut scratch);
        snapshot.values(next_obs, n, &mut buf.last_values);
        if buf.rewards.iter().any(|r| !r.is_finite()) {
            return Err(PolicyError::NonFinite("rewards".to_owned()));
        }
        Ok(episodes)
    }

    /// The learning half of an update: advantages of the current rollout
    /// buffer, then `update_epochs` epochs of minibatch steps at the
    /// scheduled learning rate. Counts as one update. ([`Ppo::step_update`]
    /// calls it after [`Ppo::collect_rollout`]; benchmarks call it alone.)
    pub fn update_policy(&mut self) -> Result<PpoUpdate> {
        self.update += 1;
        let cfg = self.config.clone();
        let lr = cfg.learning_rate_at(self.update);
        let (b_advantages, b_returns) = compute_gae(&self.buffer, cfg.gamma, cfg.gae_lambda);
        let explained_var = explained_variance(&self.buffer.values, &b_returns);

        // `self.update` is already this update's 1-based number.
        let critic_only = cfg.fine_tune.critic_only(self.update);
        self.fine_tune.require()?;
        let (batch, mb_size) = (cfg.batch_size(), cfg.minibatch_size());
        let fine_tune =
            self.fine_tune
                .targets(&self.buffer.obs, batch, self.network.d_action, critic_only);
        let mut b_inds: Vec<usize> = (0..batch).collect();
        let mut sums = [0.0f64; LOSS_STATS];
        let (mut count, mut epochs, mut grad_norm_sum, mut approx_kl) = (0usize, 0usize, 0.0, 0.0);
        let mut epoch_stats = Vec::with_capacity(batch / mb_size.max(1));
        for _epoch in 0..cfg.update_epochs {
            epochs += 1;
            b_inds.shuffle(&mut self.rng);
            for mb_inds in b_inds.chunks_exact(mb_size) {
                let dev = &self.device;
                let mb =
                    self.buffer
                        .minibatch(&b_advantages, &b_returns, mb_inds, cfg.norm_adv, dev);
                let mb_fine_tune = fine_tune.minibatch(
                    mb_inds,
                    &self.buffer.expert_actions,
                    self.buffer.d_act,
                    dev,
                );
                let out = ppo_loss(&self.model, mb, mb_fine_tune, &cfg, critic_only);
                let grads = GradientsParams::from_grads(out.loss.backward(), &self.model);
                // The optimizer takes the network by value; moving it out
                // (not cloning it) leaves its tensors unshared.
                let model = std::mem::replace(&mut self.model, ActorCritic::empty());
                let (model, grad_norm) =
                    self.optimizer
                        .step(lr, model, grads, Some(cfg.max_grad_norm));
                self.model = model;
                if !grad_norm.is_finite() {
                    let what = format!(
                        "PPO gradient at update {} (grad norm {grad_norm})",
                        self.update
                    );
                    return Err(PolicyError::NonFinite(what));
                }
                epoch_stats.push(out.stats);
                grad_norm_sum += grad_norm;
            }
            // One read-back of the epoch's statistics, `[minibatches · LOSS_STATS]`.
            let stats = Tensor::cat(std::mem::take(&mut epoch_stats), 0)
                .into_data()
                .convert::<f32>()
                .into_vec::<f32>()
                .map_err(|e| PolicyError::NonFinite(format!("loss statistics: {e:?}")))?;
            if stats.iter().any(|v| !v.is_finite()) {
                let what = format!("PPO loss at update {} (stats {stats:?})", self.update);
                return Err(PolicyError::NonFinite(what));
            }
            let mut epoch_kl = 0.0;
            for mb_stats in stats.chunks_exact(LOSS_STATS) {
                for (s, v) in sums.iter_mut().zip(mb_stats) {
                    *s += f64::from(*v);
                }
                epoch_kl += f64::from(mb_stats[3]);
                count += 1;
            }
            approx_kl = epoch_kl / (stats.len() / LOSS_STATS).max(1) as f64;
            if cfg.target_kl.is_some_and(|kl| approx_kl > kl) {
                break;
            }
        }
        let c = count.max(1) as f64;
        let mean = sums.map(|s| s / c);
        Ok(PpoUpdate {
            update: self.update,
            global_step: self.global_step,
            policy_loss: mean[0],
            value_loss: mean[1],
            entropy: mean[2],
            approx_kl,
            clip_frac: mean[4],
            explained_variance: explained_var,
            learning_rate: lr,
            sps: 0.0,
            rollout_secs: 0.0,
            learn_secs: 0.0,
            epochs,
            grad_norm: grad_norm_sum / c,
            anchor_loss: fine_tune.anchored().then_some(mean[5]),
            expert_loss: fine_tune.expert_labelled.then_some(mean[6]),
            episodes: Vec::new(),
        })
    }
}

/// `venv` with the normalisers the config asks for.
fn with_normalizers<E: Env>(mut venv: VecEnv<E>, cfg: &PpoConfig) -> Result<VecEnv<E>> {
    if cfg.normalize_observation {
        venv = venv.with_obs_normalization(ObsNormConfig::default());
        venv.set_obs_normalization_training(!cfg.fine_tune.freeze_observation_normalizer);
    }
    if cfg.normalize_reward {
        venv = venv.with_reward_normalization(RewardNormConfig {
            gamma: cfg.gamma,
            ..RewardNormConfig::default()
        })?;
    }
    Ok(venv)
}

/// Stored columns per action: 1 index, or the action vector.
fn action_columns(net: &ActorCriticConfig) -> usize {
    match net.action_kind {
        ActionKind::Discrete => 1,
        ActionKind::Continuous => net.d_action,
    }
}

/// `(x − mean) / (std + 1e-8)` with the sample std (ddof 1, as `torch.std`).
fn normalize_in_place(xs: &mut [f32]) {
    let n = xs.len();
    if n < 2 {
        return;
    }
    let mean = xs.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
    let var = xs
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / (n - 1) as f64;
    let std = var.sqrt();
    for x in xs.iter_mut() {
        *x = ((f64::from(*x) - mean) / (std + 1e-8)) as f32;
    }
}
