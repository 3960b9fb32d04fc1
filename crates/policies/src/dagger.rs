//! DAgger (Ross, Gordon and Bagnell, 2011): behaviour cloning that asks the
//! expert what it would have done in the states the clone itself reaches.
//!
//! Plain BC trains on the expert's own states only; the clone's small
//! errors take it to states the expert never visited, where it has no data
//! and drifts further (compounding error). Each DAgger round lets the
//! current clone drive the env (the expert's action is executed instead
//! with probability `expert_mix^round`), labels every visited state with
//! the expert's action, adds those pairs to the data set and fine-tunes the
//! clone on the aggregate. The expert must be able to act from any state
//! (a state-feedback controller such as the scripted labour experts).
//!
//! Top to bottom: config → the expert's demonstrations → one round's
//! rollout → the clone's observation statistics → [`DaggerLearner`], round
//! by round → [`dagger`], all rounds in one call.

use burn::tensor::backend::AutodiffBackend;
use envs::{
    Action, Env, Info, ObsNormConfig, ObsNormalizer, RunningMeanStd, ScriptedExpert, Space,
};
use rand::Rng;

use crate::bc::fine_tune_bc;
use crate::{
    ActOutput, ActorCritic, ActorCriticConfig, BcConfig, BcReport, Demonstrations, PolicyError,
    PolicySnapshot, Result, train_bc,
};

/// What one DAgger round saw.
#[derive(Debug, Clone, PartialEq)]
pub struct DaggerRound {
    /// Probability that a step executed the expert's action.
    pub expert_share: f64,
    /// The last step's info of every episode the clone (mixed with the
    /// expert) drove, before this round's fine-tuning: its units, attempts,
    /// errors and simulated seconds.
    pub episodes: Vec<Info>,
    /// Pairs in the data set after this round's rollouts.
    pub pairs: usize,
    /// The fine-tuning on the aggregate.
    pub bc: BcReport,
}

/// How a DAgger run went: the first BC fit and every round.
#[derive(Debug, Clone, PartialEq)]
pub struct DaggerReport {
    /// The fit on the expert's own demonstrations.
    pub initial: BcReport,
    /// One entry per round.
    pub rounds: Vec<DaggerRound>,
}

/// `expert`'s action in `env`'s current state, written into `label`, and
/// whether it is a decision (see [`Demonstrations::push_decision`]).
fn expert_label<E: Env>(
    expert: &mut dyn ScriptedExpert,
    env: &E,
    label: &mut [f32],
) -> Result<bool> {
    expert.act(env, label)?;
    Ok(expert.is_decision(env, label))
}

/// The action bounds of a continuous-action env.
fn action_bounds<E: Env>(env: &E) -> Result<(Vec<f32>, Vec<f32>)> {
    match env.action_space() {
        Space::Box(b) => Ok((b.low.clone(), b.high.clone())),
        Space::Discrete { .. } => Err(PolicyError::Dataset(
            "expert demonstrations here drive continuous-action envs only".to_owned(),
        )),
    }
}

/// The expert plays `episodes` episodes seeded `seed`, `seed + 1`, …
/// (reset at each episode's start); every (raw observation, expert action,
/// decision per [`ScriptedExpert::is_decision`]) is recorded while the env
/// executes the action plus `noise` (see [`DaggerConfig::demo_noise`]).
/// Returns the pairs and each episode's units.
pub fn record_demonstrations<E: Env, R: Rng>(
    env: &mut E,
    expert: &mut dyn ScriptedExpert,
    episodes: u64,
    seed: u64,
    noise: f64,
    rng: &mut R,
) -> Result<(Demonstrations, Vec<u32>)> {
    let (low, high) = action_bounds(env)?;
    let d_obs = env.observation_space().flat_size();
    let mut data = Demonstrations {
        d_obs,
        d_act: low.len(),
        ..Demonstrations::default()
    };
    let normal = rand_distr::Normal::new(0.0, noise.max(0.0))
        .map_err(|e| PolicyError::config("bc.dagger.demo_noise", e.to_string()))?;
    let mut obs = vec![0.0f32; d_obs];
    let mut executed = vec![0.0f32; low.len()];
    let mut label = executed.clone();
    let mut units = Vec::new();
    for episode in 0..episodes {
        env.reset_into(Some(seed + episode), &mut obs)?;
        expert.reset();
        loop {
            let decision = expert_label(expert, env, &mut label)?;
            data.push_decision(&obs, &label, decision);
            executed.copy_from_slice(&label);
            if noise > 0.0 {
                let last = executed.len() - 1;
                for (k, a) in executed.iter_mut().enumerate().take(last) {
                    let n: f64 = rand_distr::Distribution::sample(&normal, rng);
                    *a = (*a + n as f32).clamp(low[k], high[k]);
                }
            }
            let t = env.step_into(Action::Continuous(&executed), &mut obs)?;
            if t.terminated || t.truncated {
                units.push(t.info.units_completed);
                break;
            }
        }
    }
    Ok((data, units))
}

/// Lets the clone (mixed with the expert, its observations normalised by
/// `normalizer`) play `episodes` episodes seeded `seed`, `seed + 1`, …,
/// appending every visited raw state with the expert's label to `data`.
/// Returns the last step's info of each episode.
#[allow(clippy::too_many_arguments)]
fn rollout_round<E: Env, R: Rng>(
    env: &mut E,
    expert: &mut dyn ScriptedExpert,
    clone: &mut PolicySnapshot,
    normalizer: &ObsNormalizer,
    expert_share: f64,
    episodes: usize,
    seed: u64,
    data: &mut Demonstrations,
    rng: &mut R,
) -> Result<Vec<Info>> {
    let (low, high) = action_bounds(env)?;
    let mut obs = vec![0.0f32; env.observation_space().flat_size()];
    let mut norm_obs = obs.clone();
    let mut out = ActOutput::default();
    let mut executed = vec![0.0f32; low.len()];
    let mut label = executed.clone();
    let mut finished = Vec::with_capacity(episodes);
    for episode in 0..episodes {
        env.reset_into(Some(seed + episode as u64), &mut obs)?;
        expert.reset();
        loop {
            let decision = expert_label(expert, env, &mut label)?;
            data.push_decision(&obs, &label, decision);
            norm_obs.copy_from_slice(&obs);
            normalizer.normalize(&mut norm_obs);
            if rng.random::<f64>() < expert_share {
                executed.copy_from_slice(&label);
            } else {
                clone.act(&norm_obs, 1, true, rng, &mut out);
                for (k, a) in executed.iter_mut().enumerate() {
                    *a = out.actions[k].clamp(low[k], high[k]);
                }
            }
            let t = env.step_into(Action::Continuous(&executed), &mut obs)?;
            if t.terminated || t.truncated {
                finished.push(t.info);
                break;
            }
        }
    }
    Ok(finished)
}

/// Below this variance a feature counts as constant in the data.
const CONSTANT_FEATURE_VAR: f64 = 1e-6;

/// The clone's observation statistics: mean and variance of the raw
/// observations in `data`. A feature constant in the data (the
/// dishwashing expert never yaws, so sin/cos yaw and the yaw rate are)
/// tells the clone nothing, and dividing by its near-zero spread turns a
/// clone's first 0.01 of yaw into a clipped ±10 input that throws it off
/// every approach: such features keep unit scale.
pub fn observation_statistics(data: &Demonstrations) -> Result<RunningMeanStd> {
    let mut stats = RunningMeanStd::new(data.d_obs);
    stats.update(&data.obs)?;
    for var in &mut stats.var {
        if *var < CONSTANT_FEATURE_VAR {
            *var = 1.0;
        }
    }
    Ok(stats)
}

/// A frozen normaliser with `stats` (PPO's clip ±10).
fn frozen_normalizer(stats: &RunningMeanStd) -> Result<ObsNormalizer> {
    let mut normalizer = ObsNormalizer::new(stats.mean.len(), ObsNormConfig::default());
    normalizer.set_state(stats.clone())?;
    normalizer.set_training(false);
    Ok(normalizer)
}

/// `data` with its observations normalised by `normalizer`.
fn normalised(data: &Demonstrations, normalizer: &ObsNormalizer) -> Demonstrations {
    let mut out = data.clone();
    normalizer.normalize(&mut out.obs);
    out
}

/// DAgger in progress: the aggregate data set, the current clone and its
/// normaliser. [`DaggerLearner::start`] fits the expert's demonstrations;
/// each [`DaggerLearner::round`] lets the clone drive, relabels what it saw
/// and refits, so a caller can evaluate, log and checkpoint between rounds.
/// Every fit normalises the observations with the statistics of all the
/// data gathered up to it ([`observation_statistics`]): the clone reaches
/// states the expert never does (later in the episode, yawed), and with
/// the demonstrations' statistics alone those would be clipped to ±10.
/// Round `k`'s episodes are seeded `seed + 1000·k + i`.
#[derive(Debug)]
pub struct DaggerLearner<B: AutodiffBackend> {
    bc: BcConfig,
    net: ActorCriticConfig,
    data: Demonstrations,
    obs_stats: RunningMeanStd,
    normalizer: ObsNormalizer,
    model: ActorCritic<B>,
    rounds_done: usize,
    seed: u64,
}

impl<B: AutodiffBackend> DaggerLearner<B> {
    /// BC on `data` (the expert's demonstrations, raw observations): the
    /// first clone, and how its fit went.
    pub fn start<R: Rng>(
        bc: &BcConfig,
        net: &ActorCriticConfig,
        data: Demonstrations,
        seed: u64,
        device: &B::Device,
        rng: &mut R,
    ) -> Result<(Self, BcReport)> {
        bc.validate()?;
        let obs_stats = observation_statistics(&data)?;
        let normalizer = frozen_normalizer(&obs_stats)?;
        let (model, report) =
            train_bc::<B, R>(bc, net, &normalised(&data, &normalizer), device, rng)?;
        let learner = Self {
            bc: bc.clone(),
            net: net.clone(),
            data,
            obs_stats,
            normalizer,
            model,
            rounds_done: 0,
            seed,
        };
        Ok((learner, report))
    }

    /// One round: the current clone (mixed with the expert at
    /// `expert_mix^k` in round `k`) plays `episodes_per_round` episodes on
    /// `env`, every visited state joins the data with `expert`'s label
    /// (the expert reset at each episode's start), and the clone is
    /// fine-tuned on the aggregate.
    pub fn round<E: Env, R: Rng>(
        &mut self,
        env: &mut E,
        expert: &mut dyn ScriptedExpert,
        device: &B::Device,
        rng: &mut R,
    ) -> Result<DaggerRound> {
        let round = self.rounds_done + 1;
        let expert_share = self.bc.dagger.expert_mix.powi(round as i32);
        let mut clone = PolicySnapshot::new(&self.model);
        let episodes = rollout_round(
            env,
            expert,
            &mut clone,
            &self.normalizer,
            expert_share,
            self.bc.dagger.episodes_per_round,
            self.seed.wrapping_add(1000 * round as u64),
            &mut self.data,
            rng,
        )?;
        self.obs_stats = observation_statistics(&self.data)?;
        self.normalizer = frozen_normalizer(&self.obs_stats)?;
        let data = normalised(&self.data, &self.normalizer);
        let (tuned, fit) =
            fine_tune_bc(&self.bc, self.model.clone(), &self.net, &data, device, rng)?;
        self.model = tuned;
        self.rounds_done = round;
        Ok(DaggerRound {
            expert_share,
            episodes,
            pairs: self.data.len(),
            bc: fit,
        })
    }

    /// The current clone.
    pub fn model(&self) -> &ActorCritic<B> {
        &self.model
    }

    /// The observation statistics the current clone was fitted with.
    pub fn obs_stats(&self) -> &RunningMeanStd {
        &self.obs_stats
    }

    /// Pairs in the aggregate data set (the env steps taken so far).
    pub fn pairs(&self) -> usize {
        self.data.len()
    }

    /// Rounds played so far.
    pub fn rounds_done(&self) -> usize {
        self.rounds_done
    }
}

/// The final clone of [`dagger`], the statistics of its normaliser, and
/// how the rounds went.
#[derive(Debug)]
pub struct Dagger<B: AutodiffBackend> {
    /// The clone after the last round.
    pub model: ActorCritic<B>,
    /// The observation statistics it was fitted with (its normaliser).
    pub obs_stats: RunningMeanStd,
    /// The first fit and every round.
    pub report: DaggerReport,
}

/// [`DaggerLearner::start`] on `data`, then all `bc.dagger.rounds` rounds.
#[allow(clippy::too_many_arguments)]
pub fn dagger<B: AutodiffBackend, E: Env, R: Rng>(
    bc: &BcConfig,
    net: &ActorCriticConfig,
    data: Demonstrations,
    env: &mut E,
    expert: &mut dyn ScriptedExpert,
    seed: u64,
    device: &B::Device,
    rng: &mut R,
) -> Result<Dagger<B>> {
    let (mut learner, initial) = DaggerLearner::<B>::start(bc, net, data, seed, device, rng)?;
    let mut report = DaggerReport {
        initial,
        rounds: Vec::with_capacity(bc.dagger.rounds),
    };
    for _ in 0..bc.dagger.rounds {
        report.rounds.push(learner.round(env, expert, device, rng)?);
    }
    Ok(Dagger {
        model: learner.model,
        obs_stats: learner.obs_stats,
        report,
    })
}
