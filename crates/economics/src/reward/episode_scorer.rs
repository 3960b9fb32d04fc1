//! Scores a sequence of episodes: metrics, curriculum weights, reward, log row.

use crate::Curriculum;
use crate::EconomicReward;
use crate::EpisodeMetrics;
use crate::EpisodeOutcome;
use crate::EpisodeRecord;
use crate::RewardComponents;
use crate::TaskEconomics;
use crate::error::Result;

/// Keeps the state the episode reward needs between episodes (the episode
/// index for the curriculum and the previous `MP_r` for `ΔMP`), so a
/// training loop or an env wrapper calls one method per finished episode.
#[derive(Debug, Clone, PartialEq)]
pub struct EpisodeScorer {
    task: TaskEconomics,
    reward: EconomicReward,
    curriculum: Curriculum,
    episode: u64,
    previous_mp_r: Option<f64>,
}

/// What [`EpisodeScorer::score`] returns for one episode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredEpisode {
    /// The layer-1 metrics.
    pub metrics: EpisodeMetrics,
    /// The reward and its terms.
    pub reward: RewardComponents,
    /// The SPEC §6 log row.
    pub record: EpisodeRecord,
}

impl EpisodeScorer {
    /// A scorer starting at episode 0 with no previous `MP_r`.
    pub fn new(task: TaskEconomics, reward: EconomicReward, curriculum: Curriculum) -> Self {
        Self {
            task,
            reward,
            curriculum,
            episode: 0,
            previous_mp_r: None,
        }
    }

    /// Scores the next episode and advances. On error (zero hours, non-finite
    /// values) nothing advances, so the caller may skip the episode.
    ///
    /// ```
    /// use economics::*;
    /// let task = TaskEconomics::new(0.30, 60.0, 18.0, 1.0).unwrap();
    /// let reward = EconomicReward::new(0.5, WageLoss::Abs).unwrap();
    /// let curriculum = Curriculum::new(1.0, 1.0, 1.0, 1.0, 1.0, 0, Schedule::Constant).unwrap();
    /// let mut scorer = EpisodeScorer::new(task, reward, curriculum);
    /// let ep = EpisodeOutcome { completed_units: 54, attempts: 60, errors: 3, hours: 1.0 };
    /// let first = scorer.score(&ep).unwrap();
    /// assert_eq!(first.record.episode, 0);
    /// assert_eq!(first.reward.delta_mp, 0.0);
    /// ```
    pub fn score(&mut self, outcome: &EpisodeOutcome) -> Result<ScoredEpisode> {
        let metrics = EpisodeMetrics::compute(&self.task, outcome)?;
        let weights = self.curriculum.weights(self.episode);
        let reward = self
            .reward
            .compute(weights, &self.task, &metrics, self.previous_mp_r)?;
        let record = EpisodeRecord {
            episode: self.episode,
            mp_r: metrics.mp_r,
            e: metrics.error_rate,
            w_r: metrics.robot_wage,
            wage_parity: metrics.wage_parity,
            productivity_parity: metrics.productivity_parity,
            reward_total: reward.reward_total,
            reward_mp: reward.reward_mp,
            reward_error: reward.reward_error,
            reward_wage: reward.reward_wage,
            alpha: weights.alpha,
            beta: weights.beta,
            gamma: weights.gamma,
        };
        self.episode += 1;
        self.previous_mp_r = Some(metrics.mp_r);
        Ok(ScoredEpisode {
            metrics,
            reward,
            record,
        })
    }

    /// Moves the scorer to episode `episode` with `previous_mp_r` as the
    /// last scored `MP_r`: a resumed run continues its curriculum, and the
    /// copies of a vector env follow the run's global episode count.
    pub fn resume_at(&mut self, episode: u64, previous_mp_r: Option<f64>) {
        self.episode = episode;
        self.previous_mp_r = previous_mp_r;
    }

    /// Index of the next episode to be scored.
    pub fn episode(&self) -> u64 {
        self.episode
    }

    /// `MP_r` of the last scored episode.
    pub fn previous_mp_r(&self) -> Option<f64> {
        self.previous_mp_r
    }

    /// The task economics.
    pub fn task(&self) -> &TaskEconomics {
        &self.task
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Schedule, WageLoss};

    fn scorer() -> EpisodeScorer {
        let task = TaskEconomics::new(0.30, 60.0, 18.0, 1.0).unwrap();
        let reward = EconomicReward::new(0.5, WageLoss::Abs).unwrap();
        let curriculum = Curriculum::new(1.0, 0.0, 0.5, 0.0, 1.0, 2, Schedule::Linear).unwrap();
        EpisodeScorer::new(task, reward, curriculum)
    }

    #[test]
    fn scorer_tracks_previous_mp_and_anneals_weights() {
        let mut s = scorer();
        let ep = |units| EpisodeOutcome {
            completed_units: units,
            attempts: units,
            errors: 0,
            hours: 1.0,
        };
        let a = s.score(&ep(30)).unwrap();
        assert_eq!((a.record.alpha, a.record.gamma), (1.0, 0.0));
        assert_eq!(a.reward.delta_mp, 0.0);
        let b = s.score(&ep(36)).unwrap();
        assert!((b.reward.delta_mp - 0.1).abs() < 1e-12);
        assert_eq!((b.record.alpha, b.record.gamma), (0.5, 0.5));
        let c = s.score(&ep(36)).unwrap();
        assert_eq!((c.record.alpha, c.record.gamma), (0.0, 1.0));
        assert_eq!(s.episode(), 3);
    }

    #[test]
    fn scorer_does_not_advance_on_error() {
        let mut s = scorer();
        let bad = EpisodeOutcome {
            completed_units: 1,
            attempts: 1,
            errors: 0,
            hours: 0.0,
        };
        assert!(s.score(&bad).is_err());
        assert_eq!(s.episode(), 0);
        assert_eq!(s.previous_mp_r(), None);
    }
}
