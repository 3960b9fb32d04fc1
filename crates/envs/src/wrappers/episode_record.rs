//! What one finished episode amounted to: return, length and the economic
//! counters, as Gymnasium's `RecordEpisodeStatistics` reports in
//! `info["episode"]`.

use crate::Info;
use serde::{Deserialize, Serialize};

/// Statistics of one finished episode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct EpisodeRecord {
    /// Sum of the (unnormalised) rewards.
    pub episode_return: f64,
    /// Steps taken.
    pub length: u32,
    /// Units completed in the episode.
    pub units_completed: u32,
    /// Attempts started.
    pub attempts: u32,
    /// Errors made.
    pub errors: u32,
    /// Simulated seconds the episode lasted.
    pub sim_seconds: f64,
    /// The episode ended by termination (not truncation).
    pub terminated: bool,
}

impl EpisodeRecord {
    /// The episode's counters as SPEC §2's outcome (what MP_r, e and ŵ_r
    /// are computed from).
    pub fn outcome(&self) -> economics::EpisodeOutcome {
        crate::info::outcome(
            self.units_completed,
            self.attempts,
            self.errors,
            self.sim_seconds,
        )
    }
}

/// Running sums of the episode in progress.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct EpisodeAccumulator {
    episode_return: f64,
    length: u32,
}

impl EpisodeAccumulator {
    /// Adds one step; returns the record when the step ended the episode
    /// (and starts a new one).
    #[inline]
    pub(crate) fn push(
        &mut self,
        reward: f64,
        terminated: bool,
        truncated: bool,
        info: &Info,
    ) -> Option<EpisodeRecord> {
        self.episode_return += reward;
        self.length += 1;
        if !(terminated || truncated) {
            return None;
        }
        let record = EpisodeRecord {
            episode_return: self.episode_return,
            length: self.length,
            units_completed: info.units_completed,
            attempts: info.attempts,
            errors: info.errors,
            sim_seconds: info.sim_seconds,
            terminated,
        };
        *self = Self::default();
        Some(record)
    }

    /// Forgets the episode in progress (on reset).
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }
}
