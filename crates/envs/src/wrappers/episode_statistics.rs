//! Gymnasium's `RecordEpisodeStatistics`: return, length and the economic
//! counters of every finished episode.

use super::Wrapper;
use super::episode_record::EpisodeAccumulator;
use super::wrapper::wraps;
use crate::{Action, Env, EpisodeRecord, Info, Result, Transition};
use std::collections::VecDeque;

/// Records each finished episode; the last `capacity` are kept (Gymnasium's
/// `buffer_length`, default 100) and the latest is [`last_episode`].
///
/// [`last_episode`]: EpisodeStatistics::last_episode
#[derive(Debug, Clone)]
pub struct EpisodeStatistics<E> {
    env: E,
    current: EpisodeAccumulator,
    history: VecDeque<EpisodeRecord>,
    capacity: usize,
    ended_last_step: bool,
}

impl<E: Env> EpisodeStatistics<E> {
    /// Wraps `env`, keeping the last 100 episodes.
    pub fn new(env: E) -> Self {
        Self::with_capacity(env, 100)
    }

    /// Wraps `env`, keeping the last `capacity` episodes (at least 1).
    pub fn with_capacity(env: E, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            env,
            current: EpisodeAccumulator::default(),
            history: VecDeque::with_capacity(capacity),
            capacity,
            ended_last_step: false,
        }
    }

    /// The episode that the last `step` finished, if it finished one.
    pub fn finished_episode(&self) -> Option<&EpisodeRecord> {
        if self.ended_last_step {
            self.history.back()
        } else {
            None
        }
    }

    /// The most recent finished episode.
    pub fn last_episode(&self) -> Option<&EpisodeRecord> {
        self.history.back()
    }

    /// The kept episodes, oldest first.
    pub fn episodes(&self) -> impl ExactSizeIterator<Item = &EpisodeRecord> {
        self.history.iter()
    }
}

impl<E: Env> Wrapper for EpisodeStatistics<E> {
    wraps!(env);
    fn wrapped_reset(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
        let info = self.env.reset_into(seed, obs)?;
        self.current.clear();
        self.ended_last_step = false;
        Ok(info)
    }
    fn wrapped_step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
        let t = self.env.step_into(action, obs)?;
        self.ended_last_step = false;
        if let Some(record) = self
            .current
            .push(t.reward, t.terminated, t.truncated, &t.info)
        {
            if self.history.len() == self.capacity {
                self.history.pop_front();
            }
            self.history.push_back(record);
            self.ended_last_step = true;
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CartPole, TimeLimit};

    #[test]
    fn episode_statistics_sum_rewards_and_count_steps() {
        let mut env = EpisodeStatistics::new(TimeLimit::new(CartPole::new(), 500).expect("limit"));
        env.reset(Some(0)).expect("reset");
        let mut total = 0.0;
        let mut n = 0;
        loop {
            let s = env.step(Action::Discrete(0)).expect("step");
            total += s.reward;
            n += 1;
            if s.terminated || s.truncated {
                break;
            }
            assert!(env.finished_episode().is_none());
        }
        let rec = env.finished_episode().expect("record");
        assert_eq!(rec.episode_return, total);
        assert_eq!(rec.length, n);
        assert!(rec.terminated);
        assert!((rec.sim_seconds - f64::from(n) * 0.02).abs() < 1e-12);
    }
}
