//! The α/γ curriculum: reward weights that anneal over episodes (SPEC §2).

use crate::RewardWeights;
use crate::Schedule;
use crate::error::{Result, non_negative};
use serde::Serialize;

/// α anneals from `alpha_initial` to `alpha_final` and γ from
/// `gamma_initial` to `gamma_final` over `anneal_episodes`; β is fixed.
///
/// Episodes are counted from 0. At episode 0 the weights are the initial
/// ones; from episode `anneal_episodes` on they are the final ones (for
/// `Constant`, always the initial ones). `anneal_episodes = 0` means the
/// final values from the start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Curriculum {
    alpha_initial: f64,
    alpha_final: f64,
    beta: f64,
    gamma_initial: f64,
    gamma_final: f64,
    anneal_episodes: u64,
    schedule: Schedule,
}

impl Curriculum {
    /// A curriculum; every weight must be finite and `>= 0`.
    ///
    /// ```
    /// use economics::{Curriculum, Schedule};
    /// let c = Curriculum::new(1.0, 0.2, 0.5, 0.1, 1.0, 100, Schedule::Linear).unwrap();
    /// assert_eq!(c.alpha(0), 1.0);
    /// assert!((c.alpha(50) - 0.6).abs() < 1e-12);
    /// assert_eq!(c.gamma(100), 1.0);
    /// ```
    pub fn new(
        alpha_initial: f64,
        alpha_final: f64,
        beta: f64,
        gamma_initial: f64,
        gamma_final: f64,
        anneal_episodes: u64,
        schedule: Schedule,
    ) -> Result<Self> {
        Ok(Self {
            alpha_initial: non_negative("alpha_initial", alpha_initial)?,
            alpha_final: non_negative("alpha_final", alpha_final)?,
            beta: non_negative("beta", beta)?,
            gamma_initial: non_negative("gamma_initial", gamma_initial)?,
            gamma_final: non_negative("gamma_final", gamma_final)?,
            anneal_episodes,
            schedule,
        })
    }

    /// Fraction of the annealing done at `episode`, in `[0, 1]`.
    pub fn progress(&self, episode: u64) -> f64 {
        if self.anneal_episodes == 0 {
            1.0
        } else {
            (episode as f64 / self.anneal_episodes as f64).min(1.0)
        }
    }

    /// α at `episode`.
    pub fn alpha(&self, episode: u64) -> f64 {
        self.schedule
            .interpolate(self.alpha_initial, self.alpha_final, self.progress(episode))
    }

    /// β (constant).
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// γ at `episode`.
    pub fn gamma(&self, episode: u64) -> f64 {
        self.schedule
            .interpolate(self.gamma_initial, self.gamma_final, self.progress(episode))
    }

    /// All three weights at `episode`.
    pub fn weights(&self, episode: u64) -> RewardWeights {
        RewardWeights {
            alpha: self.alpha(episode),
            beta: self.beta,
            gamma: self.gamma(episode),
        }
    }

    /// The schedule in use.
    pub fn schedule(&self) -> Schedule {
        self.schedule
    }

    /// Episodes over which the weights anneal.
    pub fn anneal_episodes(&self) -> u64 {
        self.anneal_episodes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EconomicsError;

    fn curriculum(schedule: Schedule) -> Curriculum {
        Curriculum::new(1.0, 0.25, 0.5, 0.1, 2.0, 200, schedule).unwrap()
    }

    #[test]
    fn curriculum_endpoints_are_initial_and_final_for_linear_and_cosine() {
        for s in [Schedule::Linear, Schedule::Cosine] {
            let c = curriculum(s);
            assert_eq!(c.alpha(0), 1.0);
            assert_eq!(c.gamma(0), 0.1);
            assert_eq!(c.alpha(200), 0.25);
            assert_eq!(c.gamma(200), 2.0);
            assert_eq!(c.alpha(10_000), 0.25);
            assert_eq!(c.gamma(10_000), 2.0);
            assert_eq!(c.beta(), 0.5);
        }
    }

    #[test]
    fn constant_curriculum_keeps_initial_weights() {
        let c = curriculum(Schedule::Constant);
        for ep in [0, 100, 200, 5000] {
            assert_eq!(
                c.weights(ep),
                RewardWeights {
                    alpha: 1.0,
                    beta: 0.5,
                    gamma: 0.1
                }
            );
        }
    }

    #[test]
    fn linear_curriculum_is_halfway_at_half_the_episodes() {
        let c = curriculum(Schedule::Linear);
        assert!((c.alpha(100) - 0.625).abs() < 1e-12);
        assert!((c.gamma(100) - 1.05).abs() < 1e-12);
    }

    #[test]
    fn cosine_curriculum_moves_monotonically() {
        let c = curriculum(Schedule::Cosine);
        let mut last = c.alpha(0);
        for ep in 1..=200 {
            let a = c.alpha(ep);
            assert!(a <= last, "alpha rose at episode {ep}");
            last = a;
        }
    }

    #[test]
    fn zero_anneal_episodes_starts_at_final_values() {
        let c = Curriculum::new(1.0, 0.25, 0.5, 0.1, 2.0, 0, Schedule::Linear).unwrap();
        assert_eq!(c.alpha(0), 0.25);
        assert_eq!(c.gamma(0), 2.0);
    }

    #[test]
    fn curriculum_rejects_negative_or_non_finite_weights() {
        assert!(matches!(
            Curriculum::new(-1.0, 0.0, 0.0, 0.0, 0.0, 1, Schedule::Linear),
            Err(EconomicsError::OutOfRange {
                field: "alpha_initial",
                ..
            })
        ));
        assert!(matches!(
            Curriculum::new(1.0, 0.0, f64::NAN, 0.0, 0.0, 1, Schedule::Linear),
            Err(EconomicsError::NonFinite { field: "beta", .. })
        ));
    }
}
