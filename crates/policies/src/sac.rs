//! Soft Actor-Critic for continuous actions (Haarnoja et al. 2018, with the
//! learned temperature of "Soft Actor-Critic Algorithms and Applications"),
//! read top to bottom like CleanRL's `sac_continuous_action.py`: config →
//! networks → the squashed Gaussian → the losses and the update →
//! [`Sac::train_iteration`].
//!
//! CleanRL's details: a 256-256 ReLU actor with mean and log-std heads,
//! the log-std squashed by `tanh` into [−5, 2]; twin soft Q networks
//! (256-256) with Polyak-averaged targets (τ = 0.005, every step); Adam
//! with PyTorch's defaults, q lr 1e-3 and policy lr 3e-4; uniform random
//! actions for the first `learning_starts` steps; the actor updated
//! `policy_frequency` times every `policy_frequency` steps (TD3's delay,
//! compensated), on the critic step's batch; α tuned towards a target
//! entropy of −|A|, `log α` learned at the q lr. Actions are `tanh`
//! squashed and rescaled to the env's Box bounds, and the log-probability
//! carries the change of variables, `− Σ log(scale·(1 − tanh²) + 1e−6)`.
//! An episode cut short (time limit) bootstraps from its real final
//! observation, which the [`ReplayBuffer`] stores; a terminated one does
//! not.
//!
//! Randomness: one seeded `ChaCha8Rng` draws the random actions, the
//! replay indices and every Gaussian noise (drawn on the host and
//! uploaded), so the same seed gives the same run. Env copies are
//! [`ResumableEnv`]s, so a resumed run continues their episodes exactly.
//! What is not the algorithm lives elsewhere: YAML in `sac_run_config.rs`,
//! the per-iteration report in [`SacIteration`], accessors, checkpoints
//! and resume in `sac_state.rs`, deterministic acting in [`SacPolicy`](crate::SacPolicy).
//! The library does not print.

use std::collections::BTreeMap;
use std::time::Instant;

use burn::module::{AutodiffModule, Module, ModuleMapper, ModuleVisitor, Param};
use burn::nn::Linear;
use burn::optim::GradientsParams;
use burn::tensor::activation::relu;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor, TensorData};
use envs::{Env, EpisodeRecord, Space, VecAction, VecEnv};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::actor_critic::LN_2PI;
use crate::sac_iteration::{IterationStats, host_vec};
use crate::{
    Adam, AdamConfig, PolicyError, ReplayBatch, ReplayBuffer, Result, ResumableEnv, SacIteration,
};

// Accessors, checkpoints and resume reach into the run's private fields.
#[path = "sac_state.rs"]
mod state;

pub use state::{SAC_ALGORITHM, sac_policy_of};

// ---------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------

/// SAC hyperparameters: the `sac:` section of a run or task config.
/// Defaults are CleanRL's `sac_continuous_action.py`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SacConfig {
    /// Env steps to train for, summed over copies. Default 1 000 000.
    pub total_timesteps: u64,
    /// Parallel env copies; each vector step adds one transition per copy
    /// and makes one gradient step, as CleanRL. Default 1.
    pub num_envs: usize,
    /// Replay buffer capacity, in transitions. Default 1 000 000.
    pub buffer_size: usize,
    /// Discount factor γ. Default 0.99.
    pub gamma: f64,
    /// Target smoothing coefficient τ (Polyak averaging). Default 0.005.
    pub tau: f64,
    /// Transitions per gradient step, drawn with replacement. Default 256.
    pub batch_size: usize,
    /// Env steps of uniform random actions before learning starts.
    /// Default 5 000.
    pub learning_starts: u64,
    /// Adam learning rate of the actor. Default 3e-4.
    pub policy_lr: f64,
    /// Adam learning rate of the twin critics (and of `log α`). Default 1e-3.
    pub q_lr: f64,
    /// The actor (and α) are updated this many times every this many
    /// vector steps (TD3's delayed update, compensated). Default 2.
    pub policy_frequency: u64,
    /// Vector steps between target-network updates. Default 1.
    pub target_network_frequency: u64,
    /// Entropy coefficient α when not tuned (`autotune: false`).
    /// Default 0.2.
    pub alpha: f64,
    /// Tune α towards the target entropy (`log α` starts at 0, so α at 1).
    /// Default true.
    pub autotune: bool,
    /// Target entropy of the tuned α, in nats; default (none) −|A|, minus
    /// the number of action dimensions.
    pub target_entropy: Option<f64>,
    /// Width of each of the two hidden layers of actor and critics.
    /// Default 256.
    pub d_hidden: usize,
    /// Adam's ε. Default 1e-8 (PyTorch's).
    pub adam_eps: f64,
    /// Env steps per session iteration: the unit of logging, evaluation
    /// cadence and checkpoints, not part of the algorithm. Default 1 000.
    pub steps_per_iteration: u64,
}

impl Default for SacConfig {
    fn default() -> Self {
        Self {
            total_timesteps: 1_000_000,
            num_envs: 1,
            buffer_size: 1_000_000,
            gamma: 0.99,
            tau: 0.005,
            batch_size: 256,
            learning_starts: 5_000,
            policy_lr: 3e-4,
            q_lr: 1e-3,
            policy_frequency: 2,
            target_network_frequency: 1,
            alpha: 0.2,
            autotune: true,
            target_entropy: None,
            d_hidden: 256,
            adam_eps: 1e-8,
            steps_per_iteration: 1_000,
        }
    }
}

impl SacConfig {
    /// The target entropy for `d_action` action dimensions: the configured
    /// one, or −|A| (CleanRL's `-prod(action_space.shape)`).
    pub fn target_entropy_for(&self, d_action: usize) -> f64 {
        self.target_entropy.unwrap_or(-(d_action as f64))
    }

    /// Session iterations in the run: `total_timesteps /
    /// steps_per_iteration`, rounded up.
    pub fn num_iterations(&self) -> u64 {
        self.total_timesteps
            .div_ceil(self.steps_per_iteration.max(1))
    }
}

// ---------------------------------------------------------------------------
// Networks
// ---------------------------------------------------------------------------

/// Lower bound of the actor's log-std (CleanRL's `LOG_STD_MIN`).
pub const LOG_STD_MIN: f64 = -5.0;
/// Upper bound of the actor's log-std (CleanRL's `LOG_STD_MAX`).
pub const LOG_STD_MAX: f64 = 2.0;

/// Sizes of the actor and the critics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SacNetworkConfig {
    /// Observation size.
    pub d_obs: usize,
    /// Action dimensions.
    pub d_action: usize,
    /// Width of each hidden layer.
    pub d_hidden: usize,
}

impl SacNetworkConfig {
    /// The actor, initialised as `torch.nn.Linear` does, from `rng`.
    pub fn init_actor<B: Backend, R: Rng>(&self, device: &B::Device, rng: &mut R) -> SacActor<B> {
        let (o, a, h) = (self.d_obs, self.d_action, self.d_hidden);
        SacActor {
            fc1: torch_linear(o, h, device, rng),
            fc2: torch_linear(h, h, device, rng),
            fc_mean: torch_linear(h, a, device, rng),
            fc_logstd: torch_linear(h, a, device, rng),
        }
    }

    /// One soft Q network.
    pub fn init_q<B: Backend, R: Rng>(&self, device: &B::Device, rng: &mut R) -> SoftQNetwork<B> {
        let (o, a, h) = (self.d_obs, self.d_action, self.d_hidden);
        SoftQNetwork {
            fc1: torch_linear(o + a, h, device, rng),
            fc2: torch_linear(h, h, device, rng),
            fc3: torch_linear(h, 1, device, rng),
        }
    }

    /// The twin critics.
    pub fn init_twin_q<B: Backend, R: Rng>(&self, device: &B::Device, rng: &mut R) -> TwinQ<B> {
        TwinQ {
            qf1: self.init_q(device, rng),
            qf2: self.init_q(device, rng),
        }
    }
}

/// `torch.nn.Linear`'s default init: weight and bias uniform in
/// ±1/√d_input (Kaiming-uniform with a = √5), drawn from `rng`.
fn torch_linear<B: Backend, R: Rng>(
    d_input: usize,
    d_output: usize,
    device: &B::Device,
    rng: &mut R,
) -> Linear<B> {
    let bound = 1.0 / (d_input as f32).sqrt();
    let mut uniform =
        |n: usize| -> Vec<f32> { (0..n).map(|_| rng.random_range(-bound..bound)).collect() };
    let weight = uniform(d_input * d_output);
    let bias = uniform(d_output);
    Linear {
        weight: Param::from_tensor(Tensor::from_data(
            TensorData::new(weight, [d_input, d_output]),
            device,
        )),
        bias: Some(Param::from_tensor(Tensor::from_data(
            TensorData::new(bias, [d_output]),
            device,
        ))),
    }
}

/// The soft Q network: `Q(s, a)` from the observation and action
/// concatenated (CleanRL's `SoftQNetwork`).
#[derive(Module, Debug)]
pub struct SoftQNetwork<B: Backend> {
    fc1: Linear<B>,
    fc2: Linear<B>,
    fc3: Linear<B>,
}

impl<B: Backend> SoftQNetwork<B> {
    /// # Shapes
    /// `obs: [batch, d_obs]`, `actions: [batch, d_action]` → `[batch, 1]`.
    pub fn forward(&self, obs: Tensor<B, 2>, actions: Tensor<B, 2>) -> Tensor<B, 2> {
        let x = Tensor::cat(vec![obs, actions], 1); // [batch, d_obs + d_action]
        let x = relu(self.fc1.forward(x)); // [batch, d_hidden]
        let x = relu(self.fc2.forward(x)); // [batch, d_hidden]
        self.fc3.forward(x) // [batch, 1]
    }
}

/// The twin critics `qf1`, `qf2` (one optimizer covers both, as CleanRL's
/// `q_optimizer`), and, as a second copy, their targets.
#[derive(Module, Debug)]
pub struct TwinQ<B: Backend> {
    /// The first critic.
    pub qf1: SoftQNetwork<B>,
    /// The second critic.
    pub qf2: SoftQNetwork<B>,
}

/// The actor: mean and squashed log-std of a Gaussian over the
/// pre-`tanh` action (CleanRL's `Actor`).
#[derive(Module, Debug)]
pub struct SacActor<B: Backend> {
    fc1: Linear<B>,
    fc2: Linear<B>,
    fc_mean: Linear<B>,
    fc_logstd: Linear<B>,
}

impl<B: Backend> SacActor<B> {
    /// The mean and the log-std, squashed by `tanh` into
    /// [`LOG_STD_MIN`, `LOG_STD_MAX`].
    ///
    /// # Shapes
    /// `obs: [batch, d_obs]` → `(mean, log_std)`, each `[batch, d_action]`.
    pub fn forward(&self, obs: Tensor<B, 2>) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let x = relu(self.fc1.forward(obs)); // [batch, d_hidden]
        let x = relu(self.fc2.forward(x)); // [batch, d_hidden]
        let mean = self.fc_mean.forward(x.clone()); // [batch, d_action]
        let log_std = self.fc_logstd.forward(x).tanh(); // [batch, d_action]
        let log_std = log_std
            .add_scalar(1.0)
            .mul_scalar(0.5 * (LOG_STD_MAX - LOG_STD_MIN))
            .add_scalar(LOG_STD_MIN); // [batch, d_action]
        (mean, log_std)
    }
}

/// `log α`, the one parameter of the temperature (a module so that the
/// crate's [`Adam`] updates and exports it).
#[derive(Module, Debug)]
pub struct LogAlpha<B: Backend> {
    /// `[1]`, starting at 0 (α = 1).
    pub log_alpha: Param<Tensor<B, 1>>,
}

impl<B: Backend> LogAlpha<B> {
    /// `log α = 0`.
    pub fn zero(device: &B::Device) -> Self {
        Self {
            log_alpha: Param::from_tensor(Tensor::zeros([1], device)),
        }
    }
}

// ---------------------------------------------------------------------------
// The squashed Gaussian
// ---------------------------------------------------------------------------

/// The action scale and bias of a Box action space, `(high − low) / 2` and
/// `(high + low) / 2`; refuses a discrete or unbounded space.
pub fn action_scale_bias(action_space: &Space) -> Result<(Vec<f32>, Vec<f32>)> {
    let b = match action_space {
        Space::Box(b) => b,
        Space::Discrete { n } => {
            return Err(PolicyError::UnsupportedSpace(format!(
                "SAC needs a continuous (Box) action space, not Discrete({n})"
            )));
        }
    };
    if b.low.iter().chain(&b.high).any(|v| !v.is_finite()) {
        return Err(PolicyError::UnsupportedSpace(format!(
            "SAC rescales tanh to the action bounds, which must be finite: {}",
            action_space.describe()
        )));
    }
    let scale = b
        .low
        .iter()
        .zip(&b.high)
        .map(|(l, h)| (h - l) / 2.0)
        .collect();
    let bias = b
        .low
        .iter()
        .zip(&b.high)
        .map(|(l, h)| (h + l) / 2.0)
        .collect();
    Ok((scale, bias))
}

/// CleanRL's `Actor.get_action`: the reparameterised sample
/// `x = μ + σ·ε`, squashed `y = tanh x` and rescaled, `a = y·scale + bias`,
/// with `log π(a|s) = Σ_j [log N(x_j; μ_j, σ_j) − log(scale_j·(1 − y_j²) + 1e−6)]`.
/// Since `(x − μ)/σ = ε`, `log N(x; μ, σ) = −ε²/2 − log σ − ln(2π)/2`,
/// whose gradients equal those of PyTorch's `Normal.log_prob(rsample())`.
///
/// # Shapes
/// `mean`, `log_std`, `eps: [batch, d_action]`; `scale`, `bias: [1, d_action]`
/// → `(action [batch, d_action], log_prob [batch, 1])`.
pub fn squashed_gaussian<B: Backend>(
    mean: Tensor<B, 2>,
    log_std: Tensor<B, 2>,
    eps: Tensor<B, 2>,
    scale: Tensor<B, 2>,
    bias: Tensor<B, 2>,
) -> (Tensor<B, 2>, Tensor<B, 2>) {
    let [batch, d_action] = mean.dims();
    let scale = scale.expand([batch, d_action]);
    let bias = bias.expand([batch, d_action]);
    let x_t = mean + log_std.clone().exp() * eps.clone(); // [batch, d_action]
    let y_t = x_t.tanh(); // [batch, d_action]
    let action = y_t.clone() * scale.clone() + bias; // [batch, d_action]
    let normal_log_prob = eps.square().mul_scalar(-0.5) - log_std - 0.5 * LN_2PI;
    let jacobian = (scale * y_t.square().neg().add_scalar(1.0))
        .add_scalar(1e-6)
        .log();
    let log_prob = (normal_log_prob - jacobian).sum_dim(1); // [batch, 1]
    (action, log_prob)
}

/// The deterministic action `tanh(μ)·scale + bias` (CleanRL's third
/// return value of `get_action`).
///
/// # Shapes
/// `mean: [batch, d_action]`, `scale`, `bias: [1, d_action]` → `[batch, d_action]`.
pub fn deterministic_action<B: Backend>(
    mean: Tensor<B, 2>,
    scale: Tensor<B, 2>,
    bias: Tensor<B, 2>,
) -> Tensor<B, 2> {
    let [batch, d_action] = mean.dims();
    mean.tanh() * scale.expand([batch, d_action]) + bias.expand([batch, d_action])
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

/// A SAC run: actor, twin critics and their targets, `log α`, three
/// optimizers, the replay buffer, the env copies, RNG and counters. `E` is
/// the type of the env copies: registry envs by default, or what the
/// caller wraps them in (the economic reward) via [`Sac::from_envs`].
pub struct Sac<B: AutodiffBackend, E: Env = Box<dyn Env>> {
    config: SacConfig,
    env_id: String,
    network: SacNetworkConfig,
    actor: SacActor<B>,
    qf: TwinQ<B>,
    qf_target: TwinQ<B::InnerBackend>,
    log_alpha: LogAlpha<B>,
    actor_optimizer: Adam<B::InnerBackend>,
    q_optimizer: Adam<B::InnerBackend>,
    a_optimizer: Adam<B::InnerBackend>,
    /// α as a number: `exp(log α)` after each α step, or the fixed value.
    alpha: f64,
    target_entropy: f64,
    action_scale: Vec<f32>,
    action_bias: Vec<f32>,
    action_low: Vec<f32>,
    action_high: Vec<f32>,
    rb: ReplayBuffer,
    venv: VecEnv<ResumableEnv<E>>,
    rng: ChaCha8Rng,
    device: B::Device,
    global_step: u64,
    iteration: u64,
    /// Return and length of each copy's episode in progress.
    episode_returns: Vec<f64>,
    episode_lengths: Vec<u32>,
    metrics: BTreeMap<String, f64>,
    data: ReplayBatch,
}

impl<B: AutodiffBackend> Sac<B> {
    /// A fresh run on `config.num_envs` copies of the registry env `env_id`.
    pub fn new(config: SacConfig, env_id: &str, seed: u64, device: &B::Device) -> Result<Self> {
        config.validate()?;
        let envs = (0..config.num_envs)
            .map(|_| envs::make(env_id))
            .collect::<envs::Result<Vec<_>>>()?;
        Self::from_envs(config, env_id, envs, seed, device)
    }
}

impl<B: AutodiffBackend, E: Env> Sac<B, E> {
    /// A fresh run on the caller's env copies of env `env_id` (the id is
    /// recorded in checkpoints), seeded `seed`: the networks, the random
    /// actions and noise, copy `i`'s first episode (`seed + i`) and the
    /// stream its later episodes are seeded from.
    pub fn from_envs(
        config: SacConfig,
        env_id: &str,
        envs: Vec<E>,
        seed: u64,
        device: &B::Device,
    ) -> Result<Self> {
        config.validate()?;
        if envs.len() != config.num_envs {
            let reason = format!(
                "is {} but {} env copies were given",
                config.num_envs,
                envs.len()
            );
            return Err(PolicyError::config("sac.num_envs", reason));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let copies = envs
            .into_iter()
            .enumerate()
            .map(|(i, env)| {
                let mut seeds = ChaCha8Rng::seed_from_u64(seed);
                seeds.set_stream(1 + i as u64);
                ResumableEnv::new(env, seeds)
            })
            .collect();
        let mut venv = VecEnv::new(copies)?;
        venv.set_min_envs_per_task(1);
        let d_obs = match venv.observation_space() {
            Space::Box(b) => b.size(),
            Space::Discrete { .. } => {
                return Err(PolicyError::UnsupportedSpace(
                    "discrete observations (one-hot them in a wrapper)".to_owned(),
                ));
            }
        };
        let (action_scale, action_bias) = action_scale_bias(venv.action_space())?;
        let (action_low, action_high) = crate::action_bounds(venv.action_space())
            .ok_or_else(|| PolicyError::UnsupportedSpace("a discrete action space".to_owned()))?;
        let d_action = action_scale.len();
        let network = SacNetworkConfig {
            d_obs,
            d_action,
            d_hidden: config.d_hidden,
        };
        let actor = network.init_actor(device, &mut rng);
        let qf = network.init_twin_q::<B, _>(device, &mut rng);
        // qf1_target.load_state_dict(qf1.state_dict()), …
        let qf_target = qf.valid();
        venv.reset(Some(seed))?;
        let adam = |lr_eps: f64| {
            Adam::new(AdamConfig {
                eps: lr_eps,
                ..AdamConfig::default()
            })
        };
        Ok(Self {
            alpha: if config.autotune { 1.0 } else { config.alpha },
            target_entropy: config.target_entropy_for(d_action),
            actor_optimizer: adam(config.adam_eps),
            q_optimizer: adam(config.adam_eps),
            a_optimizer: adam(config.adam_eps),
            rb: ReplayBuffer::new(config.buffer_size, d_obs, d_action)?,
            episode_returns: vec![0.0; config.num_envs],
            episode_lengths: vec![0; config.num_envs],
            config,
            env_id: env_id.to_owned(),
            network,
            actor,
            qf,
            qf_target,
            log_alpha: LogAlpha::zero(device),
            action_scale,
            action_bias,
            action_low,
            action_high,
            venv,
            rng,
            device: device.clone(),
            global_step: 0,
            iteration: 0,
            metrics: BTreeMap::new(),
            data: ReplayBatch::default(),
        })
    }

    /// Trains `steps_per_iteration` env steps (fewer at the end of the
    /// budget), with their gradient steps, and reports them.
    pub fn train_iteration(&mut self) -> Result<SacIteration> {
        let start = Instant::now();
        let end =
            (self.global_step + self.config.steps_per_iteration).min(self.config.total_timesteps);
        let first_step = self.global_step;
        let mut stats = IterationStats::<B::InnerBackend>::default();
        let mut episodes = Vec::new();
        while self.global_step < end {
            self.step(&mut stats, &mut episodes)?;
        }
        self.iteration += 1;
        let report = stats.report(
            self.iteration,
            self.global_step,
            self.alpha,
            (self.global_step - first_step) as f64 / start.elapsed().as_secs_f64().max(1e-9),
            episodes,
        )?;
        self.metrics = report
            .scalars()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        Ok(report)
    }

    /// One vector step of every copy and the gradient steps that follow it
    /// (the body of CleanRL's `for global_step in range(total_timesteps)`).
    fn step(
        &mut self,
        stats: &mut IterationStats<B::InnerBackend>,
        episodes: &mut Vec<EpisodeRecord>,
    ) -> Result<()> {
        let cfg = &self.config;
        let (n, d_obs, d_action) = (cfg.num_envs, self.network.d_obs, self.network.d_action);
        // CleanRL's `global_step` counts vector steps; ours counts env steps.
        let t = self.global_step / n as u64;
        let obs = self.venv.obs().to_vec(); // [n, d_obs]

        // ALGO LOGIC: put action logic here
        let mut actions = if self.global_step < cfg.learning_starts {
            // envs.single_action_space.sample()
            let (low, high) = (&self.action_low, &self.action_high);
            (0..n * d_action)
                .map(|j| {
                    let u: f32 = self.rng.random();
                    low[j % d_action] + (high[j % d_action] - low[j % d_action]) * u
                })
                .collect()
        } else {
            self.sample_actions(&obs, n)?
        };
        // tanh·scale + bias may pass a bound by an ulp.
        for (j, a) in actions.iter_mut().enumerate() {
            *a = a.clamp(
                self.action_low[j % d_action],
                self.action_high[j % d_action],
            );
        }
        self.venv.step(VecAction::Continuous(&actions))?;

        // Record episodes; store the real final observation of an ended
        // episode as `next_obs` (`infos["final_observation"]`).
        for i in 0..n {
            let reward = self.venv.rewards()[i];
            self.episode_returns[i] += reward;
            self.episode_lengths[i] += 1;
            let terminated = self.venv.terminated()[i];
            let next_obs = match self.venv.final_obs(i) {
                Some(final_obs) => final_obs,
                None => &self.venv.obs()[i * d_obs..(i + 1) * d_obs],
            };
            self.rb.add(
                &obs[i * d_obs..(i + 1) * d_obs],
                next_obs,
                &actions[i * d_action..(i + 1) * d_action],
                reward as f32,
                terminated,
            )?;
        }
        for (i, record) in self.venv.episodes() {
            // The env's counters; return and length from our own sums,
            // which a resumed run carries over the interruption.
            episodes.push(EpisodeRecord {
                episode_return: self.episode_returns[i],
                length: self.episode_lengths[i],
                ..*record
            });
            self.episode_returns[i] = 0.0;
            self.episode_lengths[i] = 0;
        }
        let before = self.global_step;
        self.global_step += n as u64;

        // ALGO LOGIC: training.
        let cfg = self.config.clone();
        if before > cfg.learning_starts {
            self.rb
                .sample(cfg.batch_size, &mut self.rng, &mut self.data);
            let data = self.batch_tensors();
            stats.critic.push(self.update_critics(&data)?);
            if t.is_multiple_of(cfg.policy_frequency) {
                // TD3 delayed update, compensated by updating as often.
                for _ in 0..cfg.policy_frequency {
                    stats.actor.push(self.update_actor(&data.observations)?);
                    if cfg.autotune {
                        stats.alpha.push(self.update_alpha(&data.observations)?);
                    }
                }
            }
            // update the target networks
            if t.is_multiple_of(cfg.target_network_frequency) {
                let online = self.qf.valid();
                let qf_target = std::mem::replace(&mut self.qf_target, online.clone());
                self.qf_target = polyak_update(qf_target, &online, cfg.tau);
            }
        }
        Ok(())
    }

    /// Samples actions for `obs: [n, d_obs]` from the current actor, in the
    /// env's units, `[n, d_action]`.
    fn sample_actions(&mut self, obs: &[f32], n: usize) -> Result<Vec<f32>> {
        let actor = self.actor.valid();
        let obs =
            host_tensor::<B::InnerBackend, 2>(obs.to_vec(), [n, self.network.d_obs], &self.device);
        let eps = self.noise::<B::InnerBackend>(n);
        let (mean, log_std) = actor.forward(obs);
        let (scale, bias) = self.scale_bias::<B::InnerBackend>();
        let (action, _) = squashed_gaussian(mean, log_std, eps, scale, bias);
        host_vec(action, "actor actions")
    }

    /// The critic step: soft Bellman targets from the target critics and a
    /// fresh sample of the current actor at `s'`, then the twin MSE.
    /// Returns `[qf1_values, qf2_values, qf1_loss, qf2_loss]` (detached).
    fn update_critics(&mut self, data: &Batch<B>) -> Result<Tensor<B::InnerBackend, 1>> {
        let cfg = self.config.clone();
        // with torch.no_grad():
        let next_state_actions;
        let next_q_value = {
            let actor = self.actor.valid();
            let next_obs = data.next_observations.clone().inner();
            let eps = self.noise::<B::InnerBackend>(data.batch);
            let (scale, bias) = self.scale_bias::<B::InnerBackend>();
            let (mean, log_std) = actor.forward(next_obs.clone());
            let (actions, next_state_log_pi) = squashed_gaussian(mean, log_std, eps, scale, bias);
            next_state_actions = actions;
            let qf1_next_target = self
                .qf_target
                .qf1
                .forward(next_obs.clone(), next_state_actions.clone()); // [batch, 1]
            let qf2_next_target = self
                .qf_target
                .qf2
                .forward(next_obs, next_state_actions.clone()); // [batch, 1]
            let min_qf_next_target = qf1_next_target.min_pair(qf2_next_target)
                - next_state_log_pi.mul_scalar(self.alpha); // [batch, 1]
            let not_done = data.dones.clone().inner().neg().add_scalar(1.0); // [batch]
            let next_q_value = data.rewards.clone().inner()
                + not_done * min_qf_next_target.flatten::<1>(0, 1).mul_scalar(cfg.gamma); // [batch]
            Tensor::<B, 1>::from_inner(next_q_value)
        };

        let qf1_a_values = self
            .qf
            .qf1
            .forward(data.observations.clone(), data.actions.clone())
            .flatten::<1>(0, 1); // [batch]
        let qf2_a_values = self
            .qf
            .qf2
            .forward(data.observations.clone(), data.actions.clone())
            .flatten::<1>(0, 1); // [batch]
        let qf1_loss = (qf1_a_values.clone() - next_q_value.clone())
            .square()
            .mean(); // [1]
        let qf2_loss = (qf2_a_values.clone() - next_q_value).square().mean(); // [1]
        let qf_loss = qf1_loss.clone() + qf2_loss.clone();
        let stats = Tensor::cat(
            vec![
                qf1_a_values.inner().mean(),
                qf2_a_values.inner().mean(),
                qf1_loss.inner(),
                qf2_loss.inner(),
            ],
            0,
        );
        let grads = GradientsParams::from_grads(qf_loss.backward(), &self.qf);
        let (qf, grad_norm) = self
            .q_optimizer
            .step(cfg.q_lr, self.qf.clone(), grads, None);
        self.qf = qf;
        finite(grad_norm, "critic gradient", self.global_step)?;
        Ok(stats)
    }

    /// One actor step: `mean(α·log π(ã|s) − min_i Q_i(s, ã))` over the
    /// batch, `ã` reparameterised, the critics held fixed. Returns the
    /// loss (detached).
    fn update_actor(&mut self, observations: &Tensor<B, 2>) -> Result<Tensor<B::InnerBackend, 1>> {
        let qf = self.qf.clone().no_grad();
        let batch = observations.dims()[0];
        let eps = self.noise::<B>(batch);
        let (scale, bias) = self.scale_bias::<B>();
        let (mean, log_std) = self.actor.forward(observations.clone());
        let (pi, log_pi) = squashed_gaussian(mean, log_std, eps, scale, bias);
        let qf1_pi = qf.qf1.forward(observations.clone(), pi.clone()); // [batch, 1]
        let qf2_pi = qf.qf2.forward(observations.clone(), pi); // [batch, 1]
        let min_qf_pi = qf1_pi.min_pair(qf2_pi); // [batch, 1]
        let actor_loss = (log_pi.mul_scalar(self.alpha) - min_qf_pi).mean(); // [1]
        let value = actor_loss.clone().inner();
        let grads = GradientsParams::from_grads(actor_loss.backward(), &self.actor);
        let (actor, grad_norm) =
            self.actor_optimizer
                .step(self.config.policy_lr, self.actor.clone(), grads, None);
        self.actor = actor;
        finite(grad_norm, "actor gradient", self.global_step)?;
        Ok(value)
    }

    /// One temperature step: `mean(−exp(log α)·(log π(ã|s) + H̄))`, `ã`
    /// sampled from the just-updated actor without gradient; then α =
    /// exp(log α). Returns the loss (detached).
    fn update_alpha(&mut self, observations: &Tensor<B, 2>) -> Result<Tensor<B::InnerBackend, 1>> {
        let batch = observations.dims()[0];
        let log_pi = {
            // with torch.no_grad():
            let actor = self.actor.valid();
            let eps = self.noise::<B::InnerBackend>(batch);
            let (scale, bias) = self.scale_bias::<B::InnerBackend>();
            let (mean, log_std) = actor.forward(observations.clone().inner());
            let (_, log_pi) = squashed_gaussian(mean, log_std, eps, scale, bias);
            log_pi.flatten::<1>(0, 1) // [batch]
        };
        let log_alpha = self.log_alpha.log_alpha.val(); // [1]
        let entropy_gap = Tensor::<B, 1>::from_inner(log_pi.add_scalar(self.target_entropy)); // [batch]
        let alpha_loss = (log_alpha.exp().neg().expand([batch]) * entropy_gap).mean(); // [1]
        let value = alpha_loss.clone().inner();
        let grads = GradientsParams::from_grads(alpha_loss.backward(), &self.log_alpha);
        let (log_alpha, grad_norm) =
            self.a_optimizer
                .step(self.config.q_lr, self.log_alpha.clone(), grads, None);
        self.log_alpha = log_alpha;
        finite(grad_norm, "log-alpha gradient", self.global_step)?;
        let log_alpha: f32 = self.log_alpha.log_alpha.val().into_scalar().elem();
        self.alpha = f64::from(log_alpha).exp();
        Ok(value)
    }

    /// The sampled minibatch `self.data` as tensors.
    fn batch_tensors(&self) -> Batch<B> {
        let d = &self.data;
        let (b, o, a) = (d.batch, self.network.d_obs, self.network.d_action);
        Batch {
            batch: b,
            observations: host_tensor(d.observations.clone(), [b, o], &self.device),
            actions: host_tensor(d.actions.clone(), [b, a], &self.device),
            rewards: Tensor::from_data(TensorData::new(d.rewards.clone(), [b]), &self.device),
            next_observations: host_tensor(d.next_observations.clone(), [b, o], &self.device),
            dones: Tensor::from_data(TensorData::new(d.dones.clone(), [b]), &self.device),
        }
    }

    /// Standard normal noise `[batch, d_action]` from the run's RNG.
    fn noise<BB: Backend<Device = B::Device>>(&mut self, batch: usize) -> Tensor<BB, 2> {
        let d = self.network.d_action;
        let eps = (0..batch * d)
            .map(|_| self.rng.sample::<f32, _>(StandardNormal))
            .collect();
        host_tensor(eps, [batch, d], &self.device)
    }

    /// The action scale and bias, each `[1, d_action]`.
    fn scale_bias<BB: Backend<Device = B::Device>>(&self) -> (Tensor<BB, 2>, Tensor<BB, 2>) {
        let d = self.network.d_action;
        (
            host_tensor(self.action_scale.clone(), [1, d], &self.device),
            host_tensor(self.action_bias.clone(), [1, d], &self.device),
        )
    }
}

/// A sampled minibatch on the backend.
struct Batch<B: Backend> {
    batch: usize,
    observations: Tensor<B, 2>,      // [batch, d_obs]
    actions: Tensor<B, 2>,           // [batch, d_action]
    rewards: Tensor<B, 1>,           // [batch]
    next_observations: Tensor<B, 2>, // [batch, d_obs]
    dones: Tensor<B, 1>,             // [batch]
}

/// `θ_target ← τ·θ + (1 − τ)·θ_target` for every parameter, matched in
/// visit order (the two modules have the same structure).
pub fn polyak_update<B: Backend, M: Module<B>>(target: M, online: &M, tau: f64) -> M {
    let mut collect = CollectParams { out: Vec::new() };
    online.visit(&mut collect);
    target.map(&mut Polyak {
        online: collect.out.into_iter(),
        tau,
    })
}

struct CollectParams<B: Backend> {
    out: Vec<Tensor<B, 1>>,
}

impl<B: Backend> ModuleVisitor<B> for CollectParams<B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        self.out.push(param.val().flatten::<1>(0, D - 1));
    }
}

struct Polyak<B: Backend> {
    online: std::vec::IntoIter<Tensor<B, 1>>,
    tau: f64,
}

impl<B: Backend> ModuleMapper<B> for Polyak<B> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let (id, target, mapper) = param.consume();
        let online = self
            .online
            .next()
            .expect("target and online networks have the same parameters");
        let shape = target.shape();
        let updated =
            target.mul_scalar(1.0 - self.tau) + online.reshape(shape).mul_scalar(self.tau);
        Param::from_mapped_value(id, updated, mapper)
    }
}

/// A host vector as a tensor of `shape` on `device`.
fn host_tensor<BB: Backend, const D: usize>(
    data: Vec<f32>,
    shape: [usize; D],
    device: &BB::Device,
) -> Tensor<BB, D> {
    Tensor::from_data(TensorData::new(data, shape), device)
}

/// Refuses a non-finite gradient norm.
fn finite(grad_norm: f64, what: &str, global_step: u64) -> Result<()> {
    if grad_norm.is_finite() {
        Ok(())
    } else {
        Err(PolicyError::NonFinite(format!(
            "SAC {what} at step {global_step} (norm {grad_norm})"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TB = crate::CpuBackend;

    fn row(v: &[f32]) -> Tensor<TB, 2> {
        Tensor::from_data(
            TensorData::new(v.to_vec(), [1, v.len()]),
            &Default::default(),
        )
    }

    fn values<const D: usize>(t: Tensor<TB, D>) -> Vec<f32> {
        t.into_data().to_vec::<f32>().expect("f32")
    }

    #[test]
    fn squashed_log_prob_matches_a_hand_calculation() {
        // One dimension: μ = 0.5, σ = 0.5, ε = 0.4, action space [−1, 3]
        // (scale 2, bias 1): x = 0.7, y = tanh 0.7 = 0.604368, a = 2.208736,
        // log N(x) = −0.4²/2 − ln 0.5 − ln(2π)/2 = −0.305792,
        // minus ln(2·(1 − y²) + 1e−6) = 0.238607: −0.544399.
        let (action, log_prob) = squashed_gaussian(
            row(&[0.5]),
            row(&[0.5f32.ln()]),
            row(&[0.4]),
            row(&[2.0]),
            row(&[1.0]),
        );
        assert!((values(action)[0] - 2.208_736).abs() < 1e-5);
        assert!((values(log_prob)[0] - (-0.544_399)).abs() < 1e-5);

        // Two dimensions sum their terms: the second at the lower log-std
        // bound (σ = e⁻⁵) adds −1.5²/2 + 5 − ln(2π)/2 − ln(0.5·(1 − y²) + 1e−6).
        let (action, log_prob) = squashed_gaussian(
            row(&[0.5, -1.0]),
            row(&[0.5f32.ln(), -5.0]),
            row(&[0.4, -1.5]),
            row(&[2.0, 0.5]),
            row(&[1.0, 0.0]),
        );
        let a = values(action);
        assert!((a[1] - (-0.382_903)).abs() < 1e-5, "{a:?}");
        assert_eq!(log_prob.dims(), [1, 1]);
        assert!((values(log_prob)[0] - 3.987_804).abs() < 1e-4);
    }

    #[test]
    fn log_std_is_squashed_into_its_bounds_and_the_mode_is_tanh_of_the_mean() {
        let device = Default::default();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let net = SacNetworkConfig {
            d_obs: 3,
            d_action: 2,
            d_hidden: 16,
        };
        let actor = net.init_actor::<TB, _>(&device, &mut rng);
        let obs = Tensor::<TB, 2>::from_data(
            TensorData::new(vec![100.0, -300.0, 50.0, 0.0, 0.1, -0.2], [2, 3]),
            &device,
        );
        let (mean, log_std) = actor.forward(obs);
        for v in values(log_std) {
            assert!(
                (LOG_STD_MIN as f32..=LOG_STD_MAX as f32).contains(&v),
                "{v}"
            );
        }
        let m = values(mean.clone());
        let a = values(deterministic_action(
            mean,
            row(&[2.0, 1.0]),
            row(&[0.0, 0.5]),
        ));
        for (k, (a, m)) in a.iter().zip(&m).enumerate() {
            let (s, b) = if k % 2 == 0 { (2.0, 0.0) } else { (1.0, 0.5) };
            assert!((a - (m.tanh() * s + b)).abs() < 1e-5);
        }
    }

    #[test]
    fn polyak_update_moves_targets_by_tau() {
        let device = Default::default();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let net = SacNetworkConfig {
            d_obs: 2,
            d_action: 1,
            d_hidden: 4,
        };
        let online = net.init_twin_q::<TB, _>(&device, &mut rng);
        let target = net.init_twin_q::<TB, _>(&device, &mut rng);
        let before = crate::export_params(&target);
        let updated = polyak_update(target, &online, 0.25);
        let on = crate::export_params(&online);
        for ((u, t), o) in crate::export_params(&updated).iter().zip(&before).zip(&on) {
            assert_eq!(u.name, t.name);
            for ((u, t), o) in u.data.iter().zip(&t.data).zip(&o.data) {
                assert!((u - (0.75 * t + 0.25 * o)).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn discrete_and_unbounded_action_spaces_are_refused() {
        let discrete = Space::Discrete { n: 2 };
        assert!(matches!(
            action_scale_bias(&discrete),
            Err(PolicyError::UnsupportedSpace(_))
        ));
        let unbounded = Space::Box(envs::BoxSpace::new(vec![f32::NEG_INFINITY], vec![1.0]));
        assert!(action_scale_bias(&unbounded).is_err());
        let pendulum = Space::Box(envs::BoxSpace::new(vec![-2.0], vec![2.0]));
        assert_eq!(
            action_scale_bias(&pendulum).expect("bounded"),
            (vec![2.0], vec![0.0])
        );
    }
}
