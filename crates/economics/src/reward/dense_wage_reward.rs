//! The dense per-step form of the wage reward (SPEC §2), for policy gradients.

use crate::TaskEconomics;
use crate::error::{Result, positive};
use serde::Serialize;

/// Pays each step `(p·Δunits − c_d·Δerrors) / (w_h·T)`, where `T` is the
/// episode's simulated length in hours.
///
/// `T` must be known before the episode ends, so it is the episode's
/// configured length (its time limit). Summed over an episode that runs the
/// full `T`, the step rewards give `(p·units − c_d·errors) / (w_h·T)`. This
/// is the episode's wage parity `ŵ_r / w_h` exactly when the error term
/// `c_d·e·MP_r` equals errors per hour priced at `c_d`, i.e. when every
/// attempt ends in either a unit or an error (`attempts = units + errors`
/// makes `e·MP_r = errors/T · units/attempts`, so the two agree when errors
/// are few or, exactly, when `attempts == units`); otherwise the dense sum
/// prices each error once, as damage actually occurs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DenseWageReward {
    price_per_unit: f64,
    damage_cost: f64,
    human_wage: f64,
    episode_hours: f64,
}

impl DenseWageReward {
    /// The dense reward for `task` over episodes of `episode_hours`
    /// simulated hours (finite, `> 0`).
    ///
    /// ```
    /// use economics::{DenseWageReward, TaskEconomics};
    /// let task = TaskEconomics::new(0.30, 60.0, 18.0, 1.0).unwrap();
    /// let dense = DenseWageReward::new(&task, 0.5).unwrap();
    /// // One dish racked: 0.30 / (18 · 0.5).
    /// assert!((dense.step_reward(1, 0) - 0.30 / 9.0).abs() < 1e-15);
    /// ```
    pub fn new(task: &TaskEconomics, episode_hours: f64) -> Result<Self> {
        Ok(Self {
            price_per_unit: task.price_per_unit(),
            damage_cost: task.damage_cost(),
            human_wage: task.human_wage(),
            episode_hours: positive("episode_hours", episode_hours)?,
        })
    }

    /// The same, with the episode length in simulated seconds.
    pub fn from_episode_seconds(task: &TaskEconomics, episode_seconds: f64) -> Result<Self> {
        positive("episode_seconds", episode_seconds)?;
        Self::new(task, episode_seconds / 3600.0)
    }

    /// The reward for a step in which `delta_units` units were completed
    /// and `delta_errors` errors made.
    pub fn step_reward(&self, delta_units: u64, delta_errors: u64) -> f64 {
        (self.price_per_unit * delta_units as f64 - self.damage_cost * delta_errors as f64)
            / (self.human_wage * self.episode_hours)
    }

    /// `T`, in simulated hours.
    pub fn episode_hours(&self) -> f64 {
        self.episode_hours
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EpisodeMetrics, EpisodeOutcome};

    #[test]
    fn dense_rewards_sum_to_wage_parity_when_every_attempt_completes() {
        let task = TaskEconomics::new(0.30, 60.0, 18.0, 1.0).unwrap();
        let dense = DenseWageReward::from_episode_seconds(&task, 1800.0).unwrap();
        // 27 units, no errors, over the full half hour: a unit every ~67 s.
        let total: f64 = (0..27).map(|_| dense.step_reward(1, 0)).sum::<f64>()
            + (0..100).map(|_| dense.step_reward(0, 0)).sum::<f64>();
        let outcome = EpisodeOutcome {
            completed_units: 27,
            attempts: 27,
            errors: 0,
            hours: 0.5,
        };
        let m = EpisodeMetrics::compute(&task, &outcome).unwrap();
        assert!((total - m.wage_parity).abs() < 1e-12);
    }

    #[test]
    fn dense_reward_charges_damage_per_error() {
        let task = TaskEconomics::new(0.30, 60.0, 18.0, 2.0).unwrap();
        let dense = DenseWageReward::new(&task, 1.0).unwrap();
        assert!((dense.step_reward(0, 1) + 2.0 / 18.0).abs() < 1e-15);
        assert!((dense.step_reward(2, 1) - (0.6 - 2.0) / 18.0).abs() < 1e-15);
    }

    #[test]
    fn dense_reward_rejects_zero_length_episodes() {
        let task = TaskEconomics::new(0.30, 60.0, 18.0, 1.0).unwrap();
        assert!(DenseWageReward::new(&task, 0.0).is_err());
        assert!(DenseWageReward::from_episode_seconds(&task, f64::NAN).is_err());
    }
}
