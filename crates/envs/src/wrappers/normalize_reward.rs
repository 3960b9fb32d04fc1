//! Single-env reward normalisation (see [`RewardNormalizer`] for the exact
//! rule). For many copies sharing one statistic use
//! [`VecEnv::with_reward_normalization`](crate::VecEnv::with_reward_normalization).

use super::Wrapper;
use super::reward_normalizer::{RewardNormConfig, RewardNormalizer};
use super::wrapper::wraps;
use crate::{Action, Env, Info, Result, Transition};

/// Scales rewards by the running std of the discounted return.
#[derive(Debug, Clone)]
pub struct NormalizeReward<E> {
    env: E,
    normalizer: RewardNormalizer,
}

impl<E: Env> NormalizeReward<E> {
    /// Wraps `env`; refuses a `gamma` outside `[0, 1]`.
    pub fn new(env: E, config: RewardNormConfig) -> Result<Self> {
        Ok(Self {
            env,
            normalizer: RewardNormalizer::new(1, config)?,
        })
    }

    /// The normaliser (statistics, training flag).
    pub fn normalizer(&self) -> &RewardNormalizer {
        &self.normalizer
    }

    /// The normaliser, mutably: freeze it, restore a checkpoint.
    pub fn normalizer_mut(&mut self) -> &mut RewardNormalizer {
        &mut self.normalizer
    }
}

impl<E: Env> Wrapper for NormalizeReward<E> {
    wraps!(env);
    fn wrapped_reset(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
        let info = self.env.reset_into(seed, obs)?;
        self.normalizer.reset_returns();
        Ok(info)
    }
    fn wrapped_step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
        let mut t = self.env.step_into(action, obs)?;
        let mut r = [t.reward];
        let done = t.terminated || t.truncated;
        self.normalizer.process(&mut r, |_| done)?;
        t.reward = r[0];
        Ok(t)
    }
}
