//! Proximal Policy Optimization (Schulman et al. 2017), in one module that
//! reads top to bottom: config → networks → storage → maths → training.
//!
//! The details follow CleanRL's `ppo.py` / `ppo_continuous_action.py` and
//! "The 37 Implementation Details of PPO" (Huang et al. 2022):
//!
//! - separate actor and critic tanh MLPs, orthogonal init (gain √2, policy
//!   head 0.01, value head 1.0), categorical or state-independent-log-std
//!   Gaussian head ([`ActorCritic`]);
//! - N vector-env copies with same-step auto-reset ([`envs::VecEnv`]),
//!   optional observation and reward normalisation from its wrappers;
//! - GAE(λ) as a pure function ([`compute_gae`]); an episode cut short by a
//!   time limit bootstraps from the value of its final observation (as SB3
//!   does; CleanRL treats it as terminal);
//! - per-minibatch advantage normalisation, clipped surrogate objective,
//!   clipped value loss, entropy bonus, global gradient-norm clip, Adam with
//!   `eps = 1e-5` and linear learning-rate annealing, minibatches shuffled by
//!   the run's seeded RNG, optional early stop on a target KL.
//!
//! Acting runs on a host copy of the weights ([`PolicySnapshot`]): one
//! batched forward for all copies per step, no autodiff graph, the same
//! samples on every backend. The update runs on the burn backend `B`.
//!
//! The library does not print: [`Ppo::train`] hands every update's
//! [`PpoUpdate`] (metrics under CleanRL's keys) to a callback.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use burn::module::{AutodiffModule, Module};
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData};
use envs::{Env, EpisodeRecord, ObsNormConfig, RewardNormConfig, Space, VecAction, VecEnv};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::bc::without_inputs;
use crate::checkpoint::{Checkpoint, CheckpointMeta, RngState, git_commit};
use crate::{
    ActOutput, ActionKind, ActorCritic, ActorCriticConfig, Adam, AdamConfig, ExpertLabeller,
    PolicyError, PolicySnapshot, Result, evaluate_policy, export_params, import_params,
};

// ---------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------

/// PPO hyperparameters: the `ppo:` section of a task config. Defaults are
/// CleanRL's `ppo.py` (CartPole) values.
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
    /// Initial Gaussian log-std (continuous actions). Default 0.
    pub init_log_std: f32,
    /// Normalise observations with running statistics (clip ±10). Default false.
    pub normalize_observation: bool,
    /// Scale rewards by the running std of the discounted return (clip ±10).
    /// Default false.
    pub normalize_reward: bool,
    /// Keep the observation statistics fixed at those the run starts with
    /// (a warm start's, `vp train --init-from`): a behaviour-cloned policy
    /// is precise to centimetres on inputs scaled by its demonstrations'
    /// statistics, and PPO's own states (half a million within minutes)
    /// would rescale every input under it. Default false.
    pub freeze_observation_normalizer: bool,
    /// Updates, from the start of the run, that train the critic alone
    /// (the policy loss and the entropy bonus are left out). A warm-started
    /// actor meets a critic still at its init, whose advantages are noise:
    /// without this, the first updates undo the clone. Default 0.
    pub critic_warmup_updates: u64,
    /// Weight λ of a behaviour-cloning trust region (after DAPG, Rajeswaran
    /// et al., 2018): the loss adds `λ · mean ‖μ(s) − μ₀(s)‖²` over each
    /// minibatch, `μ₀` the actor output of the frozen network set by
    /// [`Ppo::with_anchor`] (the clone a fine-tune starts from). PPO's
    /// ratio clip bounds each update's step but not the drift over many;
    /// a clone precise to centimetres loses its grasp to that drift.
    /// Default 0 (off).
    pub anchor_coef: f64,
    /// Weight of DAgger's relabelling inside PPO: the loss adds
    /// `expert_coef · mean ‖μ(s) − a*(s)‖²`, `a*(s)` the action of the
    /// scripted expert set by [`Ppo::with_expert`] in each state the
    /// rollout visited (the expert labels, it never drives). Where the
    /// anchor keeps the clone, this goes on cloning the expert on the
    /// learner's own states, every update, beyond what the clone knew.
    /// Continuous actions only. Default 0 (off).
    pub expert_coef: f64,
    /// Observation features PPO never uses: zeroed in every state it acts
    /// on and learns from (actor and critic), and the actor's first-layer
    /// weights for them set to 0, where they stay (their input is 0), so
    /// the saved policy ignores them too. A behaviour clone's `bc.ignore_observations`
    /// (the dishwashing arm's velocity, which echoes the last action) are
    /// left out the same way; a fine-tune that saw them could learn to
    /// copy its own last action. Default none.
    pub ignore_observations: Vec<usize>,
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
            freeze_observation_normalizer: false,
            critic_warmup_updates: 0,
            anchor_coef: 0.0,
            expert_coef: 0.0,
            ignore_observations: Vec::new(),
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

    /// Checks ranges, naming the offending field (`ppo.<field>`).
    pub fn validate(&self) -> Result<()> {
        let positive = [
            ("num_envs", self.num_envs),
            ("num_steps", self.num_steps),
            ("num_minibatches", self.num_minibatches),
            ("update_epochs", self.update_epochs),
            ("d_hidden", self.d_hidden),
        ];
        for (name, v) in positive {
            if v == 0 {
                return Err(PolicyError::config(
                    format!("ppo.{name}"),
                    "must be at least 1",
                ));
            }
        }
        if self.minibatch_size() == 0 || !self.batch_size().is_multiple_of(self.num_minibatches) {
            return Err(PolicyError::config(
                "ppo.num_minibatches",
                format!(
                    "must divide num_envs · num_steps = {} (got {})",
                    self.batch_size(),
                    self.num_minibatches
                ),
            ));
        }
        if self.num_updates() == 0 {
            return Err(PolicyError::config(
                "ppo.total_timesteps",
                format!(
                    "must be at least num_envs · num_steps = {}",
                    self.batch_size()
                ),
            ));
        }
        let unit = [("gamma", self.gamma), ("gae_lambda", self.gae_lambda)];
        for (name, v) in unit {
            if !(0.0..=1.0).contains(&v) {
                return Err(PolicyError::config(
                    format!("ppo.{name}"),
                    format!("must lie in [0, 1], got {v}"),
                ));
            }
        }
        if self.anchor_coef > 0.0
            && self.normalize_observation
            && !self.freeze_observation_normalizer
        {
            // The anchor's outputs are those of the clone only on inputs
            // scaled as the clone was trained.
            return Err(PolicyError::config(
                "ppo.anchor_coef",
                "needs freeze_observation_normalizer: true when normalize_observation is on",
            ));
        }
        let nonneg = [
            ("anchor_coef", self.anchor_coef),
            ("expert_coef", self.expert_coef),
            ("learning_rate", self.learning_rate),
            ("clip_coef", self.clip_coef),
            ("ent_coef", self.ent_coef),
            ("vf_coef", self.vf_coef),
            ("max_grad_norm", self.max_grad_norm),
        ];
        for (name, v) in nonneg {
            if !(v.is_finite() && v >= 0.0) {
                return Err(PolicyError::config(
                    format!("ppo.{name}"),
                    format!("must be finite and ≥ 0, got {v}"),
                ));
            }
        }
        if !(self.adam_eps.is_finite() && self.adam_eps > 0.0) {
            return Err(PolicyError::config(
                "ppo.adam_eps",
                "must be finite and > 0",
            ));
        }
        if let Some(kl) = self.target_kl
            && !(kl.is_finite() && kl > 0.0)
        {
            return Err(PolicyError::config(
                "ppo.target_kl",
                format!("must be > 0, got {kl}"),
            ));
        }
        if !self.init_log_std.is_finite() {
            return Err(PolicyError::config("ppo.init_log_std", "must be finite"));
        }
        Ok(())
    }
}

/// A PPO run as a YAML file: the env, the seed, the `ppo:` section and how
/// to evaluate (see `configs/cartpole.yaml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PpoRunConfig {
    /// Registered env id.
    pub env_id: String,
    /// Seed of the run's RNG and of the envs. Default 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Episodes per evaluation (deterministic policy). Default 20.
    #[serde(default = "default_eval_episodes")]
    pub eval_episodes: usize,
    /// PPO hyperparameters.
    #[serde(default)]
    pub ppo: PpoConfig,
}

fn default_seed() -> u64 {
    1
}
fn default_eval_episodes() -> usize {
    20
}

impl PpoRunConfig {
    /// Parses YAML strictly with the project's config loader (unknown keys
    /// are errors naming the file, key path and line) and validates it;
    /// `file` labels the text in messages.
    pub fn from_yaml_str(yaml: &str, file: &str) -> Result<Self> {
        let cfg: Self = yaml_config::from_yaml_str(yaml, file)?;
        cfg.ppo.validate().map_err(|e| match e {
            PolicyError::InvalidConfig { field, reason } => {
                PolicyError::config(format!("{file}: {field}"), reason)
            }
            other => other,
        })?;
        Ok(cfg)
    }

    /// Reads and parses a YAML file.
    pub fn from_yaml_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::io(path, e))?;
        Self::from_yaml_str(&text, &path.display().to_string())
    }
}

impl PpoConfig {
    /// The `ppo:` section of a task config (kept as JSON by the economics
    /// loader), parsed strictly and validated; errors name `file` and the key.
    pub fn from_section(section: &serde_json::Value, file: &str) -> Result<Self> {
        let section = if section.is_null() {
            serde_json::Value::Object(Default::default())
        } else {
            section.clone()
        };
        let cfg: Self = serde_path_to_error::deserialize(section).map_err(|e| {
            PolicyError::config(format!("{file}: ppo.{}", e.path()), e.inner().to_string())
        })?;
        cfg.validate().map_err(|e| match e {
            PolicyError::InvalidConfig { field, reason } => {
                PolicyError::config(format!("{file}: {field}"), reason)
            }
            other => other,
        })?;
        Ok(cfg)
    }
}

// ---------------------------------------------------------------------------
// Networks
// ---------------------------------------------------------------------------

/// The network for `venv`'s spaces: categorical for `Discrete(n)`,
/// Gaussian for a one-dimensional `Box`.
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
// Storage
// ---------------------------------------------------------------------------

/// One rollout, `[num_steps, num_envs, …]` row-major, in plain host memory.
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
    /// Observations the actions were taken in.
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
    /// The expert's label of each state, like `actions`, when PPO has an
    /// expert ([`PpoConfig::expert_coef`]); zeros otherwise.
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
}

// ---------------------------------------------------------------------------
// The maths
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

/// The PPO loss of one minibatch and its diagnostics (detached scalars).
struct MinibatchLoss<B: AutodiffBackend> {
    loss: Tensor<B, 1>,
    /// `[pg_loss, v_loss, entropy, approx_kl, clip_frac, anchor_loss,
    /// expert_loss]`, `[7]`.
    stats: Tensor<B, 1>,
}

/// Entries of [`MinibatchLoss::stats`].
const LOSS_STATS: usize = 7;

/// Minibatch tensors, `[mb]` unless noted.
struct Minibatch<B: AutodiffBackend> {
    obs: Tensor<B, 2>,     // [mb, d_obs]
    actions: Tensor<B, 2>, // [mb, d_act]
    log_probs: Tensor<B, 1>,
    advantages: Tensor<B, 1>,
    returns: Tensor<B, 1>,
    values: Tensor<B, 1>,
    /// The anchor's actor outputs `μ₀(s)`, `[mb, d_action]`, when anchored.
    anchor: Option<Tensor<B, 2>>,
    /// The expert's labels `a*(s)`, `[mb, d_action]`, when PPO has an expert.
    expert: Option<Tensor<B, 2>>,
}

/// Clipped surrogate + clipped value loss − entropy bonus (+ the anchor
/// and expert terms when set).
fn ppo_loss<B: AutodiffBackend>(
    model: &ActorCritic<B>,
    mb: Minibatch<B>,
    cfg: &PpoConfig,
    critic_only: bool,
) -> MinibatchLoss<B> {
    // The anchor term ‖μ(s) − μ₀(s)‖² and the expert term ‖μ(s) − a*(s)‖²,
    // only where the actor trains.
    let zero = || Tensor::<B, 1>::zeros([1], &mb.obs.device());
    let mean = (!critic_only && (mb.anchor.is_some() || mb.expert.is_some()))
        .then(|| model.actor_out(mb.obs.clone())); // [mb, d_action]
    let squared_distance = |target: &Option<Tensor<B, 2>>| match (&mean, target) {
        (Some(mean), Some(target)) => (mean.clone() - target.clone()).square().sum_dim(1).mean(), // [1]
        _ => zero(),
    };
    let anchor_loss = squared_distance(&mb.anchor);
    let expert_loss = squared_distance(&mb.expert);
    // In the critic warm-up the actor is evaluated on an untracked copy: a
    // tracked actor graph that no backward pass consumes is never freed,
    // and the autodiff graph cleaner's scans then grow without bound.
    let (eval, value) = if critic_only {
        let value = model.value(mb.obs.clone());
        (model.clone().no_grad().evaluate(mb.obs, mb.actions), value)
    } else {
        let eval = model.evaluate(mb.obs, mb.actions);
        let value = eval.value.clone();
        (eval, value)
    };
    let logratio = eval.log_prob - mb.log_probs; // [mb]
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

    let v_loss_unclipped = (value.clone() - mb.returns.clone()).square(); // [mb]
    let v_loss = if cfg.clip_vloss {
        let v_clipped = mb.values.clone() + (value - mb.values).clamp(-eps, eps);
        let v_loss_clipped = (v_clipped - mb.returns).square();
        v_loss_unclipped.max_pair(v_loss_clipped).mean() * 0.5
    } else {
        v_loss_unclipped.mean() * 0.5
    }; // [1]
    let entropy_loss = eval.entropy.mean(); // [1]

    let loss = if critic_only {
        v_loss.clone() * cfg.vf_coef
    } else {
        pg_loss.clone() - entropy_loss.clone() * cfg.ent_coef
            + v_loss.clone() * cfg.vf_coef
            + anchor_loss.clone() * cfg.anchor_coef
            + expert_loss.clone() * cfg.expert_coef
    };
    let stats = Tensor::cat(
        vec![
            pg_loss.detach(),
            v_loss.detach(),
            entropy_loss.detach(),
            approx_kl,
            clip_frac,
            anchor_loss.detach(),
            expert_loss.detach(),
        ],
        0,
    );
    MinibatchLoss { loss, stats }
}

// ---------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------

/// What one update logs. [`PpoUpdate::scalars`] gives CleanRL's keys.
#[derive(Debug, Clone, PartialEq)]
pub struct PpoUpdate {
    /// 1-based update number.
    pub update: u64,
    /// Env steps so far (summed over copies).
    pub global_step: u64,
    /// Mean clipped surrogate loss over the update's minibatches.
    pub policy_loss: f64,
    /// Mean value loss.
    pub value_loss: f64,
    /// Mean policy entropy.
    pub entropy: f64,
    /// Mean approximate KL (k3 estimator) of the last epoch run.
    pub approx_kl: f64,
    /// Share of samples whose ratio left `[1 − ε, 1 + ε]`, over all minibatches.
    pub clip_frac: f64,
    /// Explained variance of the rollout's values.
    pub explained_variance: f64,
    /// Learning rate used.
    pub learning_rate: f64,
    /// Env steps per second of this update (rollout + learning).
    pub sps: f64,
    /// Wall seconds spent collecting the rollout.
    pub rollout_secs: f64,
    /// Wall seconds spent learning from it.
    pub learn_secs: f64,
    /// Epochs run (fewer than `update_epochs` after a target-KL stop).
    pub epochs: usize,
    /// Global gradient norm before clipping, mean over minibatches.
    pub grad_norm: f64,
    /// Mean `‖μ(s) − μ₀(s)‖²` over the update's minibatches, when anchored
    /// ([`PpoConfig::anchor_coef`]).
    pub anchor_loss: Option<f64>,
    /// Mean `‖μ(s) − a*(s)‖²` over the update's minibatches, when the expert
    /// term is in the loss ([`PpoConfig::expert_coef`] > 0, after the critic
    /// warm-up).
    pub expert_loss: Option<f64>,
    /// Episodes that ended during the rollout (raw returns).
    pub episodes: Vec<EpisodeRecord>,
}

impl PpoUpdate {
    /// The per-update scalars under their log keys.
    pub fn scalars(&self) -> Vec<(&'static str, f64)> {
        let mut out = vec![
            ("losses/policy_loss", self.policy_loss),
            ("losses/value_loss", self.value_loss),
            ("losses/entropy", self.entropy),
            ("losses/approx_kl", self.approx_kl),
            ("losses/clip_frac", self.clip_frac),
            ("losses/explained_variance", self.explained_variance),
            ("charts/learning_rate", self.learning_rate),
            ("charts/sps", self.sps),
        ];
        if let Some(r) = self.mean_episodic_return() {
            out.push(("charts/episodic_return", r));
        }
        if let Some(a) = self.anchor_loss {
            out.push(("losses/anchor_loss", a));
        }
        if let Some(a) = self.expert_loss {
            out.push(("losses/expert_loss", a));
        }
        out
    }

    /// Mean return of the episodes that ended in this rollout.
    pub fn mean_episodic_return(&self) -> Option<f64> {
        (!self.episodes.is_empty()).then(|| {
            self.episodes.iter().map(|e| e.episode_return).sum::<f64>() / self.episodes.len() as f64
        })
    }
}

/// Whether [`Ppo::train`] should go on after an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Keep training.
    Continue,
    /// Stop after this update (e.g. to checkpoint and exit).
    Stop,
}

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
    /// Host copy of the frozen anchor network ([`PpoConfig::anchor_coef`]).
    anchor: Option<PolicySnapshot>,
    /// The scripted expert that labels rollout states ([`PpoConfig::expert_coef`]).
    expert: Option<Box<dyn ExpertLabeller<E>>>,
    /// Per copy: its current episode began on the last step (or the run did).
    episode_start: Vec<bool>,
}

impl<B: AutodiffBackend, E: Env> std::fmt::Debug for Ppo<B, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ppo")
            .field("env_id", &self.env_id)
            .field("global_step", &self.global_step)
            .field("update", &self.update)
            .finish_non_exhaustive()
    }
}

impl<B: AutodiffBackend> Ppo<B> {
    /// A fresh run on env `env_id` (from the env registry).
    pub fn new(config: PpoConfig, env_id: &str, seed: u64, device: &B::Device) -> Result<Self> {
        config.validate()?;
        let venv = VecEnv::make(env_id, config.num_envs)?;
        Self::from_venv(config, env_id, venv, seed, device)
    }

    /// Resumes a run from a checkpoint written by [`Ppo::save`] on a
    /// registry env; see [`Ppo::resume_with`].
    pub fn resume(checkpoint_path: &Path, device: &B::Device) -> Result<Self> {
        let ckpt = Checkpoint::load(checkpoint_path)?;
        let config = checkpoint_config(&ckpt, checkpoint_path)?;
        let venv = VecEnv::make(&ckpt.meta.env_id, config.num_envs)?;
        Self::resume_with(checkpoint_path, venv, device)
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
            return Err(PolicyError::config(
                "ppo.num_envs",
                format!(
                    "is {} but the vector env has {} copies",
                    config.num_envs,
                    venv.num_envs()
                ),
            ));
        }
        let mut venv = with_normalizers(venv, &config)?;
        venv.reset(Some(seed))?;
        let network = network_config(&config, venv.observation_space(), venv.action_space())?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        if let Some(bad) = config
            .ignore_observations
            .iter()
            .find(|&&i| i >= network.d_obs)
        {
            return Err(PolicyError::config(
                "ppo.ignore_observations",
                format!("feature {bad} outside 0..{}", network.d_obs),
            ));
        }
        let model = without_inputs(
            network.init::<B, _>(device, &mut rng)?,
            &config.ignore_observations,
            device,
        );
        let num_envs = config.num_envs;
        let buffer = RolloutBuffer::new(
            config.num_steps,
            num_envs,
            venv.d_obs(),
            action_columns(&network),
        );
        Ok(Self {
            optimizer: Adam::new(AdamConfig {
                eps: config.adam_eps,
                ..AdamConfig::default()
            }),
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
            anchor: None,
            expert: None,
            episode_start: vec![true; num_envs],
        })
    }

    /// A fresh run whose network starts from `model` (e.g. trained by
    /// behaviour cloning); its shape must match the env.
    pub fn with_model(mut self, model: ActorCritic<B>) -> Result<Self> {
        let params = export_params(&model);
        let map = params.iter().map(|t| (t.name.clone(), t.clone())).collect();
        self.model = without_inputs(
            import_params(self.model, &map, &self.device)?,
            &self.config.ignore_observations,
            &self.device,
        );
        Ok(self)
    }

    /// Anchors the actor to a frozen copy of `model` (its shape must match
    /// the run's): with [`PpoConfig::anchor_coef`] > 0 every policy update
    /// also pulls the actor's outputs towards `model`'s on the rollout's
    /// states. The anchor is not part of checkpoints: a resumed run sets it
    /// again.
    pub fn with_anchor(mut self, model: &ActorCritic<B>) -> Result<Self> {
        let anchor = PolicySnapshot::new(model);
        if anchor.d_obs() != self.network.d_obs || anchor.d_action() != self.network.d_action {
            return Err(PolicyError::config(
                "anchor",
                format!(
                    "network maps {} observations to {} actions; this run's maps {} to {}",
                    anchor.d_obs(),
                    anchor.d_action(),
                    self.network.d_obs,
                    self.network.d_action
                ),
            ));
        }
        self.anchor = Some(anchor);
        Ok(self)
    }

    /// Gives the run a scripted expert that labels every state its rollouts
    /// visit: with [`PpoConfig::expert_coef`] > 0 every policy update also
    /// pulls the actor's outputs towards the labels. Continuous actions
    /// only. Call it before the first rollout (every copy's next label is
    /// flagged as an episode start). The expert is not part of checkpoints:
    /// a resumed run sets it again.
    pub fn with_expert(mut self, expert: Box<dyn ExpertLabeller<E>>) -> Result<Self> {
        if !matches!(self.venv.action_space(), Space::Box(_)) {
            return Err(PolicyError::config(
                "ppo.expert_coef",
                "expert labels need a continuous (Box) action space",
            ));
        }
        self.expert = Some(expert);
        self.episode_start.fill(true);
        Ok(self)
    }

    /// Resumes a run from a checkpoint written by [`Ppo::save`] on the
    /// caller's fresh vector env `venv` (built as for the original run):
    /// same env (checked), counters, learning-rate schedule, normaliser
    /// statistics, optimizer state and RNG stream. The env copies start new
    /// episodes.
    pub fn resume_with(
        checkpoint_path: &Path,
        venv: VecEnv<E>,
        device: &B::Device,
    ) -> Result<Self> {
        let ckpt = Checkpoint::load(checkpoint_path)?;
        let mismatch = |reason: String| PolicyError::CheckpointMismatch {
            path: checkpoint_path.to_path_buf(),
            reason,
        };
        let config = checkpoint_config(&ckpt, checkpoint_path)?;
        let mut run = Self::from_venv(config, &ckpt.meta.env_id, venv, 0, device)?;
        ckpt.check_env(
            &run.env_id,
            run.venv.observation_space(),
            run.venv.action_space(),
        )
        .map_err(|e| match e {
            PolicyError::CheckpointMismatch { reason, .. } => mismatch(reason),
            other => other,
        })?;
        if ckpt.meta.network != run.network {
            return Err(mismatch(format!(
                "network {:?} differs from {:?}",
                ckpt.meta.network, run.network
            )));
        }
        run.model = import_params(run.model, &ckpt.model_map(), device)
            .map_err(|e| mismatch(e.to_string()))?;
        run.optimizer
            .import_state(ckpt.meta.optimizer_step, &ckpt.optimizer, device)
            .map_err(|e| mismatch(e.to_string()))?;
        run.venv
            .set_normalization_state(&ckpt.meta.normalization)
            .map_err(|e| mismatch(e.to_string()))?;
        // New episodes, seeded from the restored stream so a resumed run is
        // reproducible; their first observations are normalised with the
        // restored statistics without being counted a second time.
        if let Some(state) = &ckpt.meta.rng {
            run.rng = state.restore()?;
        }
        let env_seed = rand::Rng::random::<u64>(&mut run.rng);
        run.venv.set_normalization_training(false);
        run.venv.reset(Some(env_seed))?;
        run.venv.set_normalization_training(true);
        run.venv
            .set_obs_normalization_training(!run.config.freeze_observation_normalizer);
        run.global_step = ckpt.meta.global_step;
        run.update = ckpt.meta.update;
        run.metrics = ckpt.meta.metrics.clone();
        Ok(run)
    }

    /// The hyperparameters.
    pub fn config(&self) -> &PpoConfig {
        &self.config
    }

    /// The network.
    pub fn model(&self) -> &ActorCritic<B> {
        &self.model
    }

    /// The network's shape.
    pub fn network_config(&self) -> &ActorCriticConfig {
        &self.network
    }

    /// The last rollout (observations as the networks saw them, actions,
    /// expert labels, …).
    pub fn buffer(&self) -> &RolloutBuffer {
        &self.buffer
    }

    /// The vector env (e.g. for its normaliser statistics).
    pub fn venv(&self) -> &VecEnv<E> {
        &self.venv
    }

    /// The vector env, mutably (e.g. to anneal a wrapper's shaping weight
    /// between updates).
    pub fn venv_mut(&mut self) -> &mut VecEnv<E> {
        &mut self.venv
    }

    /// Env steps so far.
    pub fn global_step(&self) -> u64 {
        self.global_step
    }

    /// Updates done so far.
    pub fn update_count(&self) -> u64 {
        self.update
    }

    /// Whether the run has done all its updates.
    pub fn is_done(&self) -> bool {
        self.update >= self.config.num_updates()
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

    /// The learning half of an update: advantages of the current rollout
    /// buffer, then `update_epochs` epochs of minibatch steps at the
    /// scheduled learning rate. Counts as one update. ([`Ppo::step_update`]
    /// calls it after [`Ppo::collect_rollout`]; benchmarks call it alone.)
    pub fn update_policy(&mut self) -> Result<PpoUpdate> {
        self.update += 1;
        let lr = self.config.learning_rate_at(self.update);
        let (advantages, returns) =
            compute_gae(&self.buffer, self.config.gamma, self.config.gae_lambda);
        let explained_var = explained_variance(&self.buffer.values, &returns);
        let learned = self.learn(lr, &advantages, &returns)?;
        Ok(PpoUpdate {
            update: self.update,
            global_step: self.global_step,
            policy_loss: learned.stats[0],
            value_loss: learned.stats[1],
            entropy: learned.stats[2],
            approx_kl: learned.approx_kl,
            clip_frac: learned.stats[4],
            explained_variance: explained_var,
            learning_rate: lr,
            sps: 0.0,
            rollout_secs: 0.0,
            learn_secs: 0.0,
            epochs: learned.epochs,
            grad_norm: learned.grad_norm,
            anchor_loss: learned.anchored.then_some(learned.stats[5]),
            expert_loss: learned.expert_labelled.then_some(learned.stats[6]),
            episodes: Vec::new(),
        })
    }

    /// Fills the rollout buffer with `num_steps` steps of every copy, acting
    /// with a host copy of the policy; returns the episodes that ended.
    pub fn collect_rollout(&mut self) -> Result<Vec<EpisodeRecord>> {
        self.require_loss_terms()?;
        let mut snapshot = PolicySnapshot::new(&self.model);
        let cfg = &self.config;
        let (n, d_obs, d_act) = (cfg.num_envs, self.buffer.d_obs, self.buffer.d_act);
        let bounds = action_bounds(self.venv.action_space());
        let mut act = ActOutput::default();
        let mut discrete = vec![0usize; n];
        let mut clipped = vec![0.0f32; n * d_act];
        let mut final_value = Vec::with_capacity(1);
        let mut episodes = Vec::new();
        let ignored = &cfg.ignore_observations;
        let mut masked_obs = Vec::new();
        for t in 0..cfg.num_steps {
            let row = t * n;
            let obs = &mut self.buffer.obs[row * d_obs..(row + n) * d_obs];
            obs.copy_from_slice(self.venv.obs());
            zero_features(obs, d_obs, ignored);
            if let Some(expert) = self.expert.as_mut() {
                expert.label(
                    self.venv.envs(),
                    &self.episode_start,
                    &mut self.buffer.expert_actions[row * d_act..(row + n) * d_act],
                )?;
            }
            snapshot.act(
                &self.buffer.obs[row * d_obs..(row + n) * d_obs],
                n,
                false,
                &mut self.rng,
                &mut act,
            );
            self.buffer.actions[row * d_act..(row + n) * d_act].copy_from_slice(&act.actions);
            self.buffer.log_probs[row..row + n].copy_from_slice(&act.log_probs);
            self.buffer.values[row..row + n].copy_from_slice(&act.values);
            match &bounds {
                None => {
                    for (d, a) in discrete.iter_mut().zip(&act.actions) {
                        *d = *a as usize;
                    }
                    self.venv.step(VecAction::Discrete(&discrete))?;
                }
                Some((low, high)) => {
                    for (j, (c, a)) in clipped.iter_mut().zip(&act.actions).enumerate() {
                        let k = j % d_act;
                        *c = a.clamp(low[k], high[k]);
                    }
                    self.venv.step(VecAction::Continuous(&clipped))?;
                }
            }
            self.global_step += n as u64;
            for i in 0..n {
                self.episode_start[i] = self.venv.done(i);
                let k = row + i;
                self.buffer.rewards[k] = self.venv.rewards()[i] as f32;
                self.buffer.terminated[k] = self.venv.terminated()[i];
                self.buffer.truncated[k] = self.venv.truncated()[i] && !self.venv.terminated()[i];
                self.buffer.final_values[k] = 0.0;
                if self.buffer.truncated[k]
                    && let Some(obs) = self.venv.final_obs(i)
                {
                    let obs = masked(obs, d_obs, ignored, &mut masked_obs);
                    snapshot.values(obs, 1, &mut final_value);
                    self.buffer.final_values[k] = final_value[0];
                }
            }
            episodes.extend(self.venv.episodes().map(|(_, e)| *e));
        }
        let obs = masked(self.venv.obs(), d_obs, ignored, &mut masked_obs);
        snapshot.values(obs, n, &mut self.buffer.last_values);
        if self.buffer.rewards.iter().any(|r| !r.is_finite()) {
            return Err(PolicyError::NonFinite("rewards".to_owned()));
        }
        Ok(episodes)
    }

    /// The anchor network and the expert that the configured loss terms
    /// need, checked before a rollout is spent on them.
    fn require_loss_terms(&self) -> Result<()> {
        if self.config.anchor_coef > 0.0 && self.anchor.is_none() {
            return Err(PolicyError::config(
                "ppo.anchor_coef",
                "is above 0 but the run has no network to anchor to (start it from one: \
                 `vp train --init-from`, or Ppo::with_anchor)",
            ));
        }
        if self.config.expert_coef > 0.0 && self.expert.is_none() {
            return Err(PolicyError::config(
                "ppo.expert_coef",
                "is above 0 but the run has no expert to label its states (Ppo::with_expert)",
            ));
        }
        Ok(())
    }

    /// `update_epochs` passes of shuffled minibatches over the rollout.
    fn learn(&mut self, lr: f64, advantages: &[f32], returns: &[f32]) -> Result<Learned> {
        let cfg = self.config.clone();
        // `self.update` is already this update's 1-based number.
        let critic_only = self.update <= cfg.critic_warmup_updates;
        let buf = &self.buffer;
        let (batch, mb_size) = (cfg.batch_size(), cfg.minibatch_size());
        let (d_obs, d_act) = (buf.d_obs, buf.d_act);
        let mut b_inds: Vec<usize> = (0..batch).collect();
        self.require_loss_terms()?;
        // The anchor's actor outputs (means or logits, `d_out` per state) on
        // the whole rollout, once per update.
        let d_out = self.network.d_action;
        let mut anchor_out = Vec::new();
        let anchored = cfg.anchor_coef > 0.0 && !critic_only;
        if anchored && let Some(anchor) = self.anchor.as_mut() {
            anchor.actor_out(&buf.obs, batch, &mut anchor_out);
        }
        let mut mb_anchor = Vec::with_capacity(if anchored { mb_size * d_out } else { 0 });
        let expert_labelled = cfg.expert_coef > 0.0 && !critic_only;
        let mut mb_expert = Vec::with_capacity(if expert_labelled { mb_size * d_act } else { 0 });
        let mut sums = [0.0f64; LOSS_STATS];
        let mut count = 0usize;
        let mut grad_norm_sum = 0.0;
        let mut epochs = 0;
        let mut last_epoch_kl = 0.0;
        // Host staging buffers, reused across minibatches.
        let (mut mb_obs, mut mb_act) = (
            Vec::with_capacity(mb_size * d_obs),
            Vec::with_capacity(mb_size * d_act),
        );
        let (mut mb_lp, mut mb_adv, mut mb_ret, mut mb_val) = (
            Vec::with_capacity(mb_size),
            Vec::with_capacity(mb_size),
            Vec::with_capacity(mb_size),
            Vec::with_capacity(mb_size),
        );
        let mut epoch_stats = Vec::with_capacity(batch / mb_size.max(1));
        for _epoch in 0..cfg.update_epochs {
            epochs += 1;
            b_inds.shuffle(&mut self.rng);
            for mb_inds in b_inds.chunks_exact(mb_size) {
                mb_obs.clear();
                mb_act.clear();
                mb_lp.clear();
                mb_adv.clear();
                mb_ret.clear();
                mb_val.clear();
                mb_anchor.clear();
                mb_expert.clear();
                for &k in mb_inds {
                    if anchored {
                        mb_anchor.extend_from_slice(&anchor_out[k * d_out..(k + 1) * d_out]);
                    }
                    if expert_labelled {
                        mb_expert
                            .extend_from_slice(&buf.expert_actions[k * d_act..(k + 1) * d_act]);
                    }
                    mb_obs.extend_from_slice(&buf.obs[k * d_obs..(k + 1) * d_obs]);
                    mb_act.extend_from_slice(&buf.actions[k * d_act..(k + 1) * d_act]);
                    mb_lp.push(buf.log_probs[k]);
                    mb_adv.push(advantages[k]);
                    mb_ret.push(returns[k]);
                    mb_val.push(buf.values[k]);
                }
                if cfg.norm_adv {
                    normalize_in_place(&mut mb_adv);
                }
                let dev = &self.device;
                let mb = Minibatch::<B> {
                    obs: Tensor::from_data(TensorData::new(mb_obs.clone(), [mb_size, d_obs]), dev),
                    actions: Tensor::from_data(
                        TensorData::new(mb_act.clone(), [mb_size, d_act]),
                        dev,
                    ),
                    log_probs: Tensor::from_data(TensorData::new(mb_lp.clone(), [mb_size]), dev),
                    advantages: Tensor::from_data(TensorData::new(mb_adv.clone(), [mb_size]), dev),
                    returns: Tensor::from_data(TensorData::new(mb_ret.clone(), [mb_size]), dev),
                    values: Tensor::from_data(TensorData::new(mb_val.clone(), [mb_size]), dev),
                    anchor: anchored.then(|| {
                        Tensor::from_data(TensorData::new(mb_anchor.clone(), [mb_size, d_out]), dev)
                    }),
                    expert: expert_labelled.then(|| {
                        Tensor::from_data(TensorData::new(mb_expert.clone(), [mb_size, d_act]), dev)
                    }),
                };
                let out = ppo_loss(&self.model, mb, &cfg, critic_only);
                let grads = GradientsParams::from_grads(out.loss.backward(), &self.model);
                // The optimizer takes the network by value; moving it out
                // (not cloning it) leaves its tensors unshared.
                let model = std::mem::replace(&mut self.model, ActorCritic::empty());
                let (model, grad_norm) =
                    self.optimizer
                        .step(lr, model, grads, Some(cfg.max_grad_norm));
                self.model = model;
                if !grad_norm.is_finite() {
                    return Err(PolicyError::NonFinite(format!(
                        "PPO gradient at update {} (grad norm {grad_norm})",
                        self.update
                    )));
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
                return Err(PolicyError::NonFinite(format!(
                    "PPO loss at update {} (stats {stats:?})",
                    self.update
                )));
            }
            let mut epoch_kl = 0.0;
            let mut epoch_count = 0usize;
            for mb_stats in stats.chunks_exact(LOSS_STATS) {
                for (s, v) in sums.iter_mut().zip(mb_stats) {
                    *s += f64::from(*v);
                }
                epoch_kl += f64::from(mb_stats[3]);
                epoch_count += 1;
                count += 1;
            }
            last_epoch_kl = epoch_kl / epoch_count.max(1) as f64;
            if cfg.target_kl.is_some_and(|kl| last_epoch_kl > kl) {
                break;
            }
        }
        let c = count.max(1) as f64;
        Ok(Learned {
            stats: sums.map(|s| s / c),
            anchored,
            expert_labelled,
            approx_kl: last_epoch_kl,
            epochs,
            grad_norm: grad_norm_sum / c,
        })
    }

    /// Mean return of `episodes` deterministic episodes on fresh copies of
    /// the env (seeded `seed`, `seed + 1`, …), observations normalised with
    /// the training statistics (frozen). Returns every episode's return.
    pub fn evaluate(&self, episodes: usize, seed: u64) -> Result<Vec<f64>> {
        let snapshot = PolicySnapshot::new(&self.model);
        evaluate_policy(
            &snapshot,
            &self.env_id,
            episodes,
            seed,
            self.venv.normalization_state().obs.as_ref(),
        )
    }

    /// The checkpoint of the current state.
    pub fn checkpoint(&self) -> Checkpoint {
        let config = serde_json::to_value(&self.config).unwrap_or(serde_json::Value::Null);
        Checkpoint {
            meta: CheckpointMeta {
                format_version: crate::checkpoint::CHECKPOINT_FORMAT_VERSION,
                algorithm: "ppo".to_owned(),
                config,
                env_id: self.env_id.clone(),
                observation_space: self.venv.observation_space().clone(),
                action_space: self.venv.action_space().clone(),
                network: self.network.clone(),
                global_step: self.global_step,
                update: self.update,
                normalization: self.venv.normalization_state(),
                optimizer_step: self.optimizer.step_count(),
                rng: Some(RngState::capture(&self.rng)),
                metrics: self.metrics.clone(),
                git_commit: std::env::current_dir().ok().and_then(|d| git_commit(&d)),
                weights_file: String::new(),
                weights_len: 0,
                weights_fnv1a64: String::new(),
            },
            model: export_params(&self.model),
            optimizer: self.optimizer.export_state(),
        }
    }

    /// Writes the checkpoint as `dir/<name>` (`model_latest`, `model_best`).
    pub fn save(&self, dir: &Path, name: &str) -> Result<std::path::PathBuf> {
        self.checkpoint().save(dir, name)
    }

    /// The network on the inner (non-autodiff) backend.
    pub fn valid_model(&self) -> ActorCritic<B::InnerBackend> {
        self.model.valid()
    }
}

/// Sets `features` of every `d_obs`-wide row of `obs` to 0.
fn zero_features(obs: &mut [f32], d_obs: usize, features: &[usize]) {
    if features.is_empty() {
        return;
    }
    for row in obs.chunks_exact_mut(d_obs) {
        for &i in features {
            row[i] = 0.0;
        }
    }
}

/// `obs` with `features` zeroed, copied into `scratch` only when there are
/// features to zero.
fn masked<'a>(
    obs: &'a [f32],
    d_obs: usize,
    features: &[usize],
    scratch: &'a mut Vec<f32>,
) -> &'a [f32] {
    if features.is_empty() {
        return obs;
    }
    scratch.clear();
    scratch.extend_from_slice(obs);
    zero_features(scratch, d_obs, features);
    scratch
}

/// Means of an update's minibatch statistics.
struct Learned {
    stats: [f64; LOSS_STATS],
    /// Whether the anchor term was in the loss.
    anchored: bool,
    /// Whether the expert term was in the loss.
    expert_labelled: bool,
    approx_kl: f64,
    epochs: usize,
    grad_norm: f64,
}

/// The PPO config of a checkpoint, refusing one written by another algorithm.
fn checkpoint_config(ckpt: &Checkpoint, path: &Path) -> Result<PpoConfig> {
    let mismatch = |reason: String| PolicyError::CheckpointMismatch {
        path: path.to_path_buf(),
        reason,
    };
    if ckpt.meta.algorithm != "ppo" {
        return Err(mismatch(format!(
            "written by `{}`, not `ppo`",
            ckpt.meta.algorithm
        )));
    }
    serde_json::from_value(ckpt.meta.config.clone())
        .map_err(|e| mismatch(format!("PPO config does not parse: {e}")))
}

/// `venv` with the normalisers the config asks for.
fn with_normalizers<E: Env>(mut venv: VecEnv<E>, cfg: &PpoConfig) -> Result<VecEnv<E>> {
    if cfg.normalize_observation {
        venv = venv.with_obs_normalization(ObsNormConfig::default());
        venv.set_obs_normalization_training(!cfg.freeze_observation_normalizer);
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

/// Finite bounds of a `Box` action space (infinite ones become ±f32::MAX);
/// `None` for a discrete space.
pub(crate) fn action_bounds(space: &Space) -> Option<(Vec<f32>, Vec<f32>)> {
    match space {
        Space::Discrete { .. } => None,
        Space::Box(b) => Some((b.low.clone(), b.high.clone())),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn buffer(
        rewards: &[f32],
        values: &[f32],
        term: &[bool],
        trunc: &[bool],
        last: f32,
    ) -> RolloutBuffer {
        let t = rewards.len();
        let mut b = RolloutBuffer::new(t, 1, 1, 1);
        b.rewards = rewards.to_vec();
        b.values = values.to_vec();
        b.terminated = term.to_vec();
        b.truncated = trunc.to_vec();
        b.last_values = vec![last];
        b
    }

    #[test]
    fn gae_matches_a_hand_computed_recursion() {
        let (g, l) = (0.9f64, 0.8f64);
        let b = buffer(
            &[1.0, 2.0, 3.0],
            &[0.5, 0.25, 1.0],
            &[false; 3],
            &[false; 3],
            2.0,
        );
        let (adv, ret) = compute_gae(&b, g, l);
        let (g, l) = (g as f32, l as f32);
        let d2 = 3.0 + g * 2.0 - 1.0;
        let d1 = 2.0 + g * 1.0 - 0.25;
        let d0 = 1.0 + g * 0.25 - 0.5;
        let a2 = d2;
        let a1 = d1 + g * l * a2;
        let a0 = d0 + g * l * a1;
        for (got, want) in adv.iter().zip([a0, a1, a2]) {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
        assert!((ret[0] - (a0 + 0.5)).abs() < 1e-6);
    }

    #[test]
    fn gae_does_not_bootstrap_past_termination() {
        let b = buffer(
            &[1.0, 1.0],
            &[0.0, 5.0],
            &[true, false],
            &[false, false],
            7.0,
        );
        let (adv, _) = compute_gae(&b, 0.99, 0.95);
        // Step 0 terminated: no next value, no chaining into step 1.
        assert!((adv[0] - 1.0).abs() < 1e-6);
        assert!((adv[1] - (1.0 + 0.99 * 7.0 - 5.0)).abs() < 1e-5);
    }

    #[test]
    fn gae_bootstraps_value_on_truncation() {
        let mut b = buffer(
            &[1.0, 1.0],
            &[0.0, 5.0],
            &[false, false],
            &[true, false],
            7.0,
        );
        b.final_values = vec![10.0, 0.0];
        let (adv, _) = compute_gae(&b, 0.5, 0.95);
        // Truncated: bootstrap from V(final obs) = 10, but do not chain into
        // the next episode's advantage.
        assert!((adv[0] - (1.0 + 0.5 * 10.0)).abs() < 1e-6, "{}", adv[0]);
    }

    #[test]
    fn gae_chains_per_env_in_a_vector_rollout() {
        // Two copies interleaved [t, i]; copy 1 terminates at t = 0.
        let mut b = RolloutBuffer::new(2, 2, 1, 1);
        b.rewards = vec![1.0, 2.0, 3.0, 4.0];
        b.values = vec![0.0; 4];
        b.terminated = vec![false, true, false, false];
        b.last_values = vec![0.0, 0.0];
        let (adv, _) = compute_gae(&b, 1.0, 1.0);
        assert_eq!(adv, vec![4.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn explained_variance_is_one_for_perfect_values_and_zero_for_the_mean() {
        let y = [1.0, 2.0, 3.0, 4.0];
        assert!((explained_variance(&y, &y) - 1.0).abs() < 1e-12);
        assert!(explained_variance(&[2.5; 4], &y).abs() < 1e-12);
    }

    #[test]
    fn learning_rate_anneals_linearly_to_zero() {
        let cfg = PpoConfig {
            total_timesteps: 512 * 10,
            ..PpoConfig::default()
        };
        assert_eq!(cfg.num_updates(), 10);
        assert!((cfg.learning_rate_at(1) - 2.5e-4).abs() < 1e-15);
        assert!((cfg.learning_rate_at(6) - 2.5e-4 * 0.5).abs() < 1e-15);
        assert!((cfg.learning_rate_at(10) - 2.5e-5).abs() < 1e-15);
    }

    #[test]
    fn config_rejects_minibatches_that_do_not_divide_the_batch() {
        let cfg = PpoConfig {
            num_minibatches: 3,
            ..PpoConfig::default()
        };
        let err = cfg
            .validate()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("ppo.num_minibatches"), "{err}");
    }

    #[test]
    fn task_config_ppo_section_is_parsed_strictly() {
        let ok = serde_json::json!({"clip_coef": 0.1, "num_envs": 8});
        let cfg = PpoConfig::from_section(&ok, "configs/dishwashing.yaml").expect("valid section");
        assert_eq!((cfg.clip_coef, cfg.num_envs, cfg.num_steps), (0.1, 8, 128));
        let bad = serde_json::json!({"clip_coeff": 0.1});
        let err = PpoConfig::from_section(&bad, "configs/dishwashing.yaml")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("clip_coeff") && err.contains("dishwashing.yaml"),
            "{err}"
        );
    }

    #[test]
    fn run_config_rejects_unknown_keys() {
        let yaml = "env_id: CartPole-v1\nppo:\n  learning_rat: 0.1\n";
        let err = PpoRunConfig::from_yaml_str(yaml, "configs/x.yaml")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("learning_rat"), "{err}");
        assert!(err.contains("configs/x.yaml"), "{err}");
    }
}
