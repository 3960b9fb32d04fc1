//! The episode-level economic reward of SPEC §2.

use crate::EpisodeMetrics;
use crate::RewardComponents;
use crate::RewardWeights;
use crate::TaskEconomics;
use crate::WageLoss;
use crate::error::{EconomicsError, Result, finite, positive};
use serde::Serialize;

/// Default clip bound `c` of `ΔMP`.
pub const DEFAULT_DELTA_MP_CLIP: f64 = 0.5;

/// Computes `r(t) = α·ΔMP(t) − β·e(t) − γ·L(t)` with
/// `ΔMP(t) = clip((MP_r(t) − MP_r(t−1)) / MP_h, −c, c)`.
///
/// The first episode has no `MP_r(t−1)`: pass `None` and `ΔMP = 0` (no
/// change has been measured yet, so none is rewarded; treating the missing
/// value as 0 would pay a spurious `α·c` bonus on every fresh run).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EconomicReward {
    delta_mp_clip: f64,
    wage_loss: WageLoss,
}

impl EconomicReward {
    /// A reward with clip bound `c > 0` (finite) and the given wage loss.
    pub fn new(delta_mp_clip: f64, wage_loss: WageLoss) -> Result<Self> {
        Ok(Self {
            delta_mp_clip: positive("delta_mp_clip", delta_mp_clip)?,
            wage_loss,
        })
    }

    /// The clip bound `c`.
    pub fn delta_mp_clip(&self) -> f64 {
        self.delta_mp_clip
    }

    /// The wage loss in use.
    pub fn wage_loss(&self) -> WageLoss {
        self.wage_loss
    }

    /// `ΔMP(t)`: the change in `MP_r` since the previous episode as a
    /// fraction of `MP_h`, clipped to `[−c, c]`; 0 for the first episode.
    pub fn delta_mp(
        &self,
        task: &TaskEconomics,
        mp_r: f64,
        previous_mp_r: Option<f64>,
    ) -> Result<f64> {
        let mp_r = finite("mp_r", mp_r)?;
        let Some(prev) = previous_mp_r else {
            return Ok(0.0);
        };
        let prev = finite("previous_mp_r", prev)?;
        let c = self.delta_mp_clip;
        Ok(((mp_r - prev) / task.human_mp()).clamp(-c, c))
    }

    /// The episode reward and its three terms.
    ///
    /// ```
    /// use economics::*;
    /// let task = TaskEconomics::new(0.30, 60.0, 18.0, 1.0).unwrap();
    /// let m = EpisodeMetrics::from_rates(&task, 54.0, 0.05).unwrap();
    /// let reward = EconomicReward::new(0.5, WageLoss::Abs).unwrap();
    /// let w = RewardWeights { alpha: 1.0, beta: 1.0, gamma: 1.0 };
    /// let r = reward.compute(w, &task, &m, Some(48.0)).unwrap();
    /// // ΔMP = 6/60 = 0.1; e = 0.05; L = |0.75 − 1| = 0.25.
    /// assert!((r.reward_total - (0.1 - 0.05 - 0.25)).abs() < 1e-12);
    /// ```
    pub fn compute(
        &self,
        weights: RewardWeights,
        task: &TaskEconomics,
        metrics: &EpisodeMetrics,
        previous_mp_r: Option<f64>,
    ) -> Result<RewardComponents> {
        let alpha = finite("alpha", weights.alpha)?;
        let beta = finite("beta", weights.beta)?;
        let gamma = finite("gamma", weights.gamma)?;
        let error_rate = finite("error_rate", metrics.error_rate)?;
        let wage_parity = finite("wage_parity", metrics.wage_parity)?;
        let delta_mp = self.delta_mp(task, metrics.mp_r, previous_mp_r)?;
        let wage_loss = self.wage_loss.loss(wage_parity);
        let reward_mp = alpha * delta_mp;
        let reward_error = -beta * error_rate;
        let reward_wage = -gamma * wage_loss;
        let reward_total = reward_mp + reward_error + reward_wage;
        if !reward_total.is_finite() {
            return Err(EconomicsError::NonFinite {
                field: "reward_total",
                value: reward_total,
            });
        }
        Ok(RewardComponents {
            reward_total,
            reward_mp,
            reward_error,
            reward_wage,
            delta_mp,
            wage_loss,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn task() -> TaskEconomics {
        TaskEconomics::new(0.30, 60.0, 18.0, 1.0).unwrap()
    }

    fn weights(alpha: f64, beta: f64, gamma: f64) -> RewardWeights {
        RewardWeights { alpha, beta, gamma }
    }

    #[test]
    fn reward_components_of_the_worked_example() {
        let m = EpisodeMetrics::from_rates(&task(), 54.0, 0.05).unwrap();
        let reward = EconomicReward::new(0.5, WageLoss::Abs).unwrap();
        let r = reward
            .compute(weights(2.0, 3.0, 4.0), &task(), &m, Some(48.0))
            .unwrap();
        assert!((r.delta_mp - 0.1).abs() < 1e-12);
        assert!((r.reward_mp - 0.2).abs() < 1e-12);
        assert!((r.reward_error + 0.15).abs() < 1e-12);
        assert!((r.wage_loss - 0.25).abs() < 1e-12);
        assert!((r.reward_wage + 1.0).abs() < 1e-12);
        assert!((r.reward_total - (0.2 - 0.15 - 1.0)).abs() < 1e-12);
    }

    #[test]
    fn squared_wage_loss_squares_the_gap() {
        let m = EpisodeMetrics::from_rates(&task(), 54.0, 0.05).unwrap();
        let reward = EconomicReward::new(0.5, WageLoss::Squared).unwrap();
        let r = reward
            .compute(weights(0.0, 0.0, 2.0), &task(), &m, None)
            .unwrap();
        assert!((r.wage_loss - 0.0625).abs() < 1e-12);
        assert!((r.reward_wage + 0.125).abs() < 1e-12);
        assert!((r.reward_total + 0.125).abs() < 1e-12);
    }

    #[test]
    fn delta_mp_is_clipped_at_the_configured_bound() {
        let reward = EconomicReward::new(0.5, WageLoss::Abs).unwrap();
        // +60 units/h is +1.0 MP_h: clipped to +0.5; −120 is −2.0: clipped to −0.5.
        assert_eq!(reward.delta_mp(&task(), 60.0, Some(0.0)).unwrap(), 0.5);
        assert_eq!(reward.delta_mp(&task(), 0.0, Some(120.0)).unwrap(), -0.5);
        // Inside the bound it is the plain normalised change.
        assert!((reward.delta_mp(&task(), 66.0, Some(60.0)).unwrap() - 0.1).abs() < 1e-12);
        let tight = EconomicReward::new(0.05, WageLoss::Abs).unwrap();
        assert_eq!(tight.delta_mp(&task(), 66.0, Some(60.0)).unwrap(), 0.05);
    }

    #[test]
    fn first_episode_has_zero_delta_mp() {
        let reward = EconomicReward::new(0.5, WageLoss::Abs).unwrap();
        assert_eq!(reward.delta_mp(&task(), 54.0, None).unwrap(), 0.0);
    }

    #[test]
    fn non_finite_inputs_are_errors() {
        let reward = EconomicReward::new(0.5, WageLoss::Abs).unwrap();
        assert!(matches!(
            reward.delta_mp(&task(), 54.0, Some(f64::NAN)),
            Err(EconomicsError::NonFinite {
                field: "previous_mp_r",
                ..
            })
        ));
        let m = EpisodeMetrics::from_rates(&task(), 54.0, 0.05).unwrap();
        assert!(matches!(
            reward.compute(weights(f64::INFINITY, 0.0, 0.0), &task(), &m, None),
            Err(EconomicsError::NonFinite { field: "alpha", .. })
        ));
        assert!(EconomicReward::new(f64::NAN, WageLoss::Abs).is_err());
        assert!(EconomicReward::new(0.0, WageLoss::Abs).is_err());
    }

    proptest! {
        #[test]
        fn delta_mp_never_leaves_the_clip_bounds(
            clip in 0.001f64..5.0, mp in 0.0f64..1e6, prev in 0.0f64..1e6,
        ) {
            let reward = EconomicReward::new(clip, WageLoss::Abs).unwrap();
            let d = reward.delta_mp(&task(), mp, Some(prev)).unwrap();
            prop_assert!(d >= -clip && d <= clip);
        }

        #[test]
        fn total_is_the_sum_of_the_three_terms(
            a in 0.0f64..10.0, b in 0.0f64..10.0, g in 0.0f64..10.0,
            mp in 0.0f64..200.0, e in 0.0f64..1.0, prev in proptest::option::of(0.0f64..200.0),
        ) {
            let m = EpisodeMetrics::from_rates(&task(), mp, e).unwrap();
            let reward = EconomicReward::new(0.5, WageLoss::Squared).unwrap();
            let r = reward.compute(weights(a, b, g), &task(), &m, prev).unwrap();
            prop_assert!((r.reward_total - (r.reward_mp + r.reward_error + r.reward_wage)).abs() < 1e-9);
            prop_assert!(r.reward_error <= 0.0 && r.reward_wage <= 0.0);
        }
    }
}
