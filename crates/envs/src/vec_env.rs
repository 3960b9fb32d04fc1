//! A vector env: N copies stepped in parallel with rayon, auto-reset,
//! termination and truncation kept apart, final observations exposed for
//! bootstrapping, optional shared observation and reward normalisation.
//!
//! Semantics (SB3/CleanRL "same-step" auto-reset): when copy `i` ends on a
//! step, its row of [`obs`](VecEnv::obs) already holds the first observation
//! of its next episode, [`final_obs`](VecEnv::final_obs) holds the last
//! observation of the episode that ended (for bootstrapping a truncated
//! one), [`final_info`](VecEnv::final_info) its counters, and
//! [`episodes`](VecEnv::episodes) its statistics.
//!
//! Seeding: `reset(Some(seed))` resets copy `i` with `seed + i`; auto-resets
//! continue each copy's own random stream. Every copy is stepped by exactly
//! one task and all shared state (normalisers, statistics) is updated after
//! the parallel part in index order, so results do not depend on the number
//! of threads or on the chunking.
//!
//! Chunking: rayon tasks cost about a microsecond, far more than a
//! CartPole step (~10 ns), so copies are handed out in chunks of at least
//! [`set_min_envs_per_task`](VecEnv::set_min_envs_per_task) (default 64,
//! see BENCHMARKS.md); physics envs may want 1.

use crate::wrappers::EpisodeAccumulator;
use crate::{
    Action, Env, EnvError, EpisodeRecord, Info, ObsNormConfig, ObsNormalizer, Result,
    RewardNormConfig, RewardNormalizer, RgbFrame, RunningMeanStd, Space,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The actions of all copies for one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VecAction<'a> {
    /// One index per copy (`Discrete` action spaces).
    Discrete(&'a [usize]),
    /// `num_envs * d_action` values, row-major (`Box` action spaces).
    Continuous(&'a [f32]),
}

/// Normaliser statistics of a vector env, for checkpoints.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NormalizationState {
    /// Observation statistics, if observations are normalised.
    pub obs: Option<RunningMeanStd>,
    /// Discounted-return statistics, if rewards are normalised.
    pub reward: Option<RunningMeanStd>,
}

/// Per-copy results of the last step.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    reward: f64,
    terminated: bool,
    truncated: bool,
    info: Info,
    final_info: Info,
    accumulator: EpisodeAccumulator,
    episode: Option<EpisodeRecord>,
}

/// N copies of an env stepped together. `E` defaults to `Box<dyn Env>` as
/// [`make`](crate::make) returns.
pub struct VecEnv<E: Env = Box<dyn Env>> {
    envs: Vec<E>,
    observation_space: Space,
    action_space: Space,
    d_obs: usize,
    d_action: usize,
    obs: Vec<f32>,
    raw_obs: Vec<f32>,
    final_obs: Vec<f32>,
    slots: Vec<Slot>,
    rewards: Vec<f64>,
    raw_rewards: Vec<f64>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
    infos: Vec<Info>,
    obs_norm: Option<ObsNormalizer>,
    reward_norm: Option<RewardNormalizer>,
    min_envs_per_task: usize,
    ready: bool,
}

impl<E: Env> std::fmt::Debug for VecEnv<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VecEnv")
            .field("id", &self.envs[0].id())
            .field("num_envs", &self.envs.len())
            .field("d_obs", &self.d_obs)
            .field("obs_norm", &self.obs_norm.is_some())
            .field("reward_norm", &self.reward_norm.is_some())
            .finish()
    }
}

impl VecEnv<Box<dyn Env>> {
    /// `num_envs` copies of the registered env `id` (see [`make`](crate::make)).
    pub fn make(id: &str, num_envs: usize) -> Result<Self> {
        Self::make_with_config(id, num_envs, None)
    }

    /// `num_envs` copies of the registered env `id` built from a task
    /// config file (see [`make_with_config`](crate::make_with_config)).
    pub fn make_with_config(
        id: &str,
        num_envs: usize,
        config: Option<&std::path::Path>,
    ) -> Result<Self> {
        let envs = (0..num_envs)
            .map(|_| crate::make_with_config(id, config))
            .collect::<Result<Vec<_>>>()?;
        Self::new(envs)
    }
}

impl<E: Env> VecEnv<E> {
    /// Builds a vector env from copies that share their spaces.
    pub fn new(envs: Vec<E>) -> Result<Self> {
        let Some(first) = envs.first() else {
            return Err(EnvError::VecEnv {
                message: "needs at least one env".to_string(),
            });
        };
        let observation_space = first.observation_space().clone();
        let action_space = first.action_space().clone();
        for (i, e) in envs.iter().enumerate() {
            if e.observation_space() != &observation_space || e.action_space() != &action_space {
                return Err(EnvError::VecEnv {
                    message: format!(
                        "env {i} ({}) has other spaces than env 0 ({})",
                        e.id(),
                        first.id()
                    ),
                });
            }
        }
        let n = envs.len();
        let d_obs = observation_space.flat_size();
        let d_action = action_space.flat_size();
        Ok(Self {
            envs,
            observation_space,
            action_space,
            d_obs,
            d_action,
            obs: vec![0.0; n * d_obs],
            raw_obs: Vec::new(),
            final_obs: vec![0.0; n * d_obs],
            slots: vec![Slot::default(); n],
            rewards: vec![0.0; n],
            raw_rewards: vec![0.0; n],
            terminated: vec![false; n],
            truncated: vec![false; n],
            infos: vec![Info::default(); n],
            obs_norm: None,
            reward_norm: None,
            min_envs_per_task: 64,
            ready: false,
        })
    }

    /// Normalises observations with one running statistic shared by all
    /// copies (updated with the whole batch each step, as SB3's
    /// `VecNormalize`). Final observations are normalised with the same
    /// statistics, without updating them.
    pub fn with_obs_normalization(mut self, config: ObsNormConfig) -> Self {
        self.obs_norm = Some(ObsNormalizer::new(self.d_obs, config));
        self.raw_obs = vec![0.0; self.obs.len()];
        self
    }

    /// Scales rewards by the running std of the discounted return, one
    /// statistic shared by all copies (see [`RewardNormalizer`]).
    pub fn with_reward_normalization(mut self, config: RewardNormConfig) -> Result<Self> {
        self.reward_norm = Some(RewardNormalizer::new(self.envs.len(), config)?);
        Ok(self)
    }

    /// Turns normaliser updates on (training) or off (evaluation).
    pub fn set_normalization_training(&mut self, training: bool) {
        if let Some(n) = &mut self.obs_norm {
            n.set_training(training);
        }
        if let Some(n) = &mut self.reward_norm {
            n.set_training(training);
        }
    }

    /// Turns updates of the observation statistics alone on or off (the
    /// reward normaliser keeps its mode): a warm-started policy keeps the
    /// statistics it was trained with.
    pub fn set_obs_normalization_training(&mut self, training: bool) {
        if let Some(n) = &mut self.obs_norm {
            n.set_training(training);
        }
    }

    /// The normaliser statistics, for checkpoints.
    pub fn normalization_state(&self) -> NormalizationState {
        NormalizationState {
            obs: self.obs_norm.as_ref().map(|n| n.state().clone()),
            reward: self.reward_norm.as_ref().map(|n| n.state().clone()),
        }
    }

    /// Restores statistics saved by [`normalization_state`](Self::normalization_state).
    /// The saved state must match which normalisers are on and their sizes.
    pub fn set_normalization_state(&mut self, state: &NormalizationState) -> Result<()> {
        let mismatch = |what: &str| EnvError::NormalizerState {
            message: format!(
                "{what} normalisation is on in one of the vector env and the saved state but not the other"
            ),
        };
        match (&mut self.obs_norm, &state.obs) {
            (Some(n), Some(s)) => n.set_state(s.clone())?,
            (None, None) => {}
            _ => return Err(mismatch("observation")),
        }
        match (&mut self.reward_norm, &state.reward) {
            (Some(n), Some(s)) => n.set_state(s.clone())?,
            (None, None) => {}
            _ => return Err(mismatch("reward")),
        }
        Ok(())
    }

    /// The observation normaliser, if on: use it to normalise evaluation
    /// observations with the training statistics.
    pub fn obs_normalizer(&self) -> Option<&ObsNormalizer> {
        self.obs_norm.as_ref()
    }

    /// Hands out at least `n` copies per rayon task (1 = one task per copy).
    pub fn set_min_envs_per_task(&mut self, n: usize) {
        self.min_envs_per_task = n.max(1);
    }

    /// Number of copies.
    pub fn num_envs(&self) -> usize {
        self.envs.len()
    }

    /// Elements per observation.
    pub fn d_obs(&self) -> usize {
        self.d_obs
    }

    /// Elements per action (1 for a discrete index).
    pub fn d_action(&self) -> usize {
        self.d_action
    }

    /// The observation space of one copy.
    pub fn observation_space(&self) -> &Space {
        &self.observation_space
    }

    /// The action space of one copy.
    pub fn action_space(&self) -> &Space {
        &self.action_space
    }

    /// The copies (e.g. to read a wrapper's per-episode components).
    pub fn envs(&self) -> &[E] {
        &self.envs
    }

    /// The copies, mutably (e.g. to anneal a wrapper's weight). Stepping a
    /// copy directly desynchronises the batch: call [`reset`](Self::reset)
    /// afterwards.
    pub fn envs_mut(&mut self) -> &mut [E] {
        &mut self.envs
    }

    /// Current observations, `[num_envs * d_obs]` row-major (normalised if
    /// observation normalisation is on).
    pub fn obs(&self) -> &[f32] {
        &self.obs
    }

    /// Current observations before normalisation (same as `obs` when it is off).
    pub fn raw_obs(&self) -> &[f32] {
        if self.obs_norm.is_some() {
            &self.raw_obs
        } else {
            &self.obs
        }
    }

    /// Rewards of the last step (normalised if reward normalisation is on).
    pub fn rewards(&self) -> &[f64] {
        &self.rewards
    }

    /// Rewards of the last step as the envs paid them.
    pub fn raw_rewards(&self) -> &[f64] {
        &self.raw_rewards
    }

    /// Which copies reached a terminal state on the last step.
    pub fn terminated(&self) -> &[bool] {
        &self.terminated
    }

    /// Which copies were cut short on the last step.
    pub fn truncated(&self) -> &[bool] {
        &self.truncated
    }

    /// Counters of each copy's current episode (after an auto-reset: of the
    /// new episode).
    pub fn infos(&self) -> &[Info] {
        &self.infos
    }

    /// Whether copy `i` ended an episode on the last step.
    pub fn done(&self, i: usize) -> bool {
        self.terminated.get(i).copied().unwrap_or(false)
            || self.truncated.get(i).copied().unwrap_or(false)
    }

    /// The last observation of the episode copy `i` ended on the last step
    /// (normalised like `obs`), or `None` if it did not end one.
    pub fn final_obs(&self, i: usize) -> Option<&[f32]> {
        self.done(i)
            .then(|| &self.final_obs[i * self.d_obs..(i + 1) * self.d_obs])
    }

    /// The counters of the episode copy `i` ended on the last step.
    pub fn final_info(&self, i: usize) -> Option<&Info> {
        self.done(i).then(|| &self.slots[i].final_info)
    }

    /// `(copy index, statistics)` of every episode that ended on the last
    /// step, in index order. Returns are of the raw rewards.
    pub fn episodes(&self) -> impl Iterator<Item = (usize, &EpisodeRecord)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.episode.as_ref().map(|e| (i, e)))
    }

    /// Renders copy `i`.
    pub fn render(&mut self, i: usize) -> Option<RgbFrame> {
        self.envs.get_mut(i).and_then(|e| e.render())
    }

    fn chunk_len(&self) -> usize {
        let n = self.envs.len();
        n.div_ceil(rayon::current_num_threads())
            .max(self.min_envs_per_task)
            .min(n)
            .max(1)
    }

    /// Resets every copy (copy `i` with `seed + i` when a seed is given) and
    /// returns the first observations.
    pub fn reset(&mut self, seed: Option<u64>) -> Result<&[f32]> {
        self.ready = false;
        let chunk = self.chunk_len();
        let d = self.d_obs;
        let results: Vec<Result<()>> = (
            self.envs.par_chunks_mut(chunk),
            self.obs.par_chunks_mut(chunk * d),
            self.slots.par_chunks_mut(chunk),
        )
            .into_par_iter()
            .enumerate()
            .map(|(c, (envs, obs, slots))| {
                for (k, ((env, obs), slot)) in envs
                    .iter_mut()
                    .zip(obs.chunks_mut(d))
                    .zip(slots)
                    .enumerate()
                {
                    let i = (c * chunk + k) as u64;
                    let info = env.reset_into(seed.map(|s| s.wrapping_add(i)), obs)?;
                    *slot = Slot {
                        info,
                        ..Slot::default()
                    };
                }
                Ok(())
            })
            .collect();
        results.into_iter().collect::<Result<()>>()?;
        for (i, s) in self.slots.iter().enumerate() {
            self.infos[i] = s.info;
            self.rewards[i] = 0.0;
            self.raw_rewards[i] = 0.0;
            self.terminated[i] = false;
            self.truncated[i] = false;
        }
        if let Some(n) = &mut self.reward_norm {
            n.reset_returns();
        }
        self.normalize_obs_batch(false)?;
        self.ready = true;
        Ok(&self.obs)
    }

    /// Steps every copy with its action; copies whose episode ends are
    /// reset at once (see the module docs). An error from any copy (the one
    /// with the lowest index is returned) leaves the vector env needing a
    /// reset.
    pub fn step(&mut self, actions: VecAction<'_>) -> Result<()> {
        if !self.ready {
            return Err(EnvError::NeedsReset {
                env: self.envs[0].id().to_string(),
                when: "before reset",
            });
        }
        let n = self.envs.len();
        let expected = match (actions, &self.action_space) {
            (VecAction::Discrete(a), Space::Discrete { .. }) => (a.len() == n).then_some(()),
            (VecAction::Continuous(a), Space::Box(_)) => {
                (a.len() == n * self.d_action).then_some(())
            }
            _ => None,
        };
        if expected.is_none() {
            return Err(EnvError::InvalidAction {
                env: format!("vector env of {n} × {}", self.envs[0].id()),
                expected: format!("{n} actions of {}", self.action_space.describe()),
                got: match actions {
                    VecAction::Discrete(a) => format!("{} discrete actions", a.len()),
                    VecAction::Continuous(a) => format!("{} continuous values", a.len()),
                },
            });
        }
        self.ready = false;
        let chunk = self.chunk_len();
        let (d, da) = (self.d_obs, self.d_action);
        let results: Vec<Result<()>> = (
            self.envs.par_chunks_mut(chunk),
            self.obs.par_chunks_mut(chunk * d),
            self.final_obs.par_chunks_mut(chunk * d),
            self.slots.par_chunks_mut(chunk),
        )
            .into_par_iter()
            .enumerate()
            .map(|(c, (envs, obs, final_obs, slots))| {
                let rows = obs.chunks_mut(d).zip(final_obs.chunks_mut(d));
                for (k, ((env, (obs, final_obs)), slot)) in
                    envs.iter_mut().zip(rows).zip(slots).enumerate()
                {
                    let i = c * chunk + k;
                    let action = match actions {
                        VecAction::Discrete(a) => Action::Discrete(a[i]),
                        VecAction::Continuous(a) => Action::Continuous(&a[i * da..(i + 1) * da]),
                    };
                    step_one(env, action, obs, final_obs, slot)?;
                }
                Ok(())
            })
            .collect();
        results.into_iter().collect::<Result<()>>()?;
        for (i, s) in self.slots.iter().enumerate() {
            self.raw_rewards[i] = s.reward;
            self.rewards[i] = s.reward;
            self.terminated[i] = s.terminated;
            self.truncated[i] = s.truncated;
            self.infos[i] = s.info;
        }
        if let Some(norm) = &mut self.reward_norm {
            let (term, trunc) = (&self.terminated, &self.truncated);
            norm.process(&mut self.rewards, |i| term[i] || trunc[i])?;
        }
        self.normalize_obs_batch(true)?;
        self.ready = true;
        Ok(())
    }

    /// Keeps the raw batch, updates the shared statistics with it and
    /// normalises `obs` (and the final observations of ended copies).
    fn normalize_obs_batch(&mut self, with_final: bool) -> Result<()> {
        let Some(norm) = &mut self.obs_norm else {
            return Ok(());
        };
        self.raw_obs.copy_from_slice(&self.obs);
        norm.update(&self.obs)?;
        norm.normalize(&mut self.obs);
        if with_final {
            let d = self.d_obs;
            for (i, row) in self.final_obs.chunks_mut(d).enumerate() {
                if self.terminated[i] || self.truncated[i] {
                    norm.normalize(row);
                }
            }
        }
        Ok(())
    }
}

/// Steps one copy, auto-resetting it when its episode ends.
#[inline]
fn step_one<E: Env>(
    env: &mut E,
    action: Action<'_>,
    obs: &mut [f32],
    final_obs: &mut [f32],
    slot: &mut Slot,
) -> Result<()> {
    let t = env.step_into(action, obs)?;
    if !t.reward.is_finite() {
        return Err(EnvError::NonFinite {
            env: env.id().to_string(),
            what: format!("reward {}", t.reward),
        });
    }
    slot.reward = t.reward;
    slot.terminated = t.terminated;
    slot.truncated = t.truncated;
    slot.episode = slot
        .accumulator
        .push(t.reward, t.terminated, t.truncated, &t.info);
    if t.terminated || t.truncated {
        final_obs.copy_from_slice(obs);
        slot.final_info = t.info;
        slot.info = env.reset_into(None, obs)?;
    } else {
        slot.info = t.info;
    }
    Ok(())
}
