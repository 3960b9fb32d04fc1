//! Layer-1 metrics of one episode: `MP_r`, `e`, `ŵ_r` and the two parities.

use crate::EpisodeOutcome;
use crate::TaskEconomics;
use crate::error::{EconomicsError, Result, finite, non_negative};
use serde::{Deserialize, Serialize};

/// The metrics of SPEC §2 for one episode (or one evaluation's average).
///
/// Serialises with the keys `mp_r, error_rate, robot_wage,
/// productivity_parity, wage_parity`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpisodeMetrics {
    /// `MP_r = completed_units / hours`: robot marginal product, units/hour.
    pub mp_r: f64,
    /// `e = errors / attempts` (0 without attempts).
    pub error_rate: f64,
    /// `ŵ_r = p·MP_r − c_d·e·MP_r`: the hourly wage the robot's output
    /// would earn, net of damage, in dollars per hour. Negative when damage
    /// outweighs output (`e > p / c_d`).
    pub robot_wage: f64,
    /// `MP_r / MP_h`.
    pub productivity_parity: f64,
    /// `ŵ_r / w_h`.
    pub wage_parity: f64,
}

impl EpisodeMetrics {
    /// Metrics of a finished episode.
    ///
    /// Errors: [`EconomicsError::ZeroHours`] when `hours == 0` (MP_r would be
    /// infinite), `OutOfRange` for negative hours and `NonFinite` for NaN or
    /// infinite hours.
    ///
    /// ```
    /// use economics::{EpisodeMetrics, EpisodeOutcome, TaskEconomics};
    /// let task = TaskEconomics::new(0.30, 60.0, 18.0, 1.0).unwrap();
    /// // 54 plates in one simulated hour, 3 of 60 attempts broke.
    /// let outcome = EpisodeOutcome { completed_units: 54, attempts: 60, errors: 3, hours: 1.0 };
    /// let m = EpisodeMetrics::compute(&task, &outcome).unwrap();
    /// assert!((m.robot_wage - 13.5).abs() < 1e-9);
    /// ```
    pub fn compute(task: &TaskEconomics, outcome: &EpisodeOutcome) -> Result<Self> {
        let hours = finite("hours", outcome.hours)?;
        if hours == 0.0 {
            return Err(EconomicsError::ZeroHours);
        }
        if hours < 0.0 {
            return Err(EconomicsError::OutOfRange {
                field: "hours",
                expected: "> 0",
                value: hours,
            });
        }
        let mp_r = outcome.completed_units as f64 / hours;
        Self::from_rates(task, mp_r, outcome.error_rate())
    }

    /// Metrics from rates measured elsewhere (an evaluation's mean `MP_r`
    /// and `e`, or the `vp econ metrics` command). Both must be finite and
    /// `>= 0`.
    pub fn from_rates(task: &TaskEconomics, mp_r: f64, error_rate: f64) -> Result<Self> {
        let mp_r = non_negative("mp_r", mp_r)?;
        let e = non_negative("error_rate", error_rate)?;
        let p = task.price_per_unit();
        let c_d = task.damage_cost();
        let robot_wage = p * mp_r - c_d * e * mp_r;
        let metrics = Self {
            mp_r,
            error_rate: e,
            robot_wage: finite("robot_wage", robot_wage)?,
            productivity_parity: finite("productivity_parity", mp_r / task.human_mp())?,
            wage_parity: finite("wage_parity", robot_wage / task.human_wage())?,
        };
        Ok(metrics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn worked_example_task() -> TaskEconomics {
        TaskEconomics::new(0.30, 60.0, 18.0, 1.0).unwrap()
    }

    #[test]
    fn worked_example_gives_wage_13_5_and_parities_0_75_and_0_9() {
        let m = EpisodeMetrics::from_rates(&worked_example_task(), 54.0, 0.05).unwrap();
        assert!((m.robot_wage - 13.5).abs() < 1e-9);
        assert!((m.wage_parity - 0.75).abs() < 1e-9);
        assert!((m.productivity_parity - 0.9).abs() < 1e-9);
    }

    #[test]
    fn worked_example_holds_from_episode_counts() {
        let outcome = EpisodeOutcome {
            completed_units: 27,
            attempts: 40,
            errors: 2,
            hours: 0.5,
        };
        let m = EpisodeMetrics::compute(&worked_example_task(), &outcome).unwrap();
        assert!((m.mp_r - 54.0).abs() < 1e-9);
        assert!((m.error_rate - 0.05).abs() < 1e-12);
        assert!((m.robot_wage - 13.5).abs() < 1e-9);
    }

    #[test]
    fn zero_hours_is_an_error_not_infinity() {
        let outcome = EpisodeOutcome {
            completed_units: 3,
            attempts: 3,
            errors: 0,
            hours: 0.0,
        };
        assert_eq!(
            EpisodeMetrics::compute(&worked_example_task(), &outcome),
            Err(EconomicsError::ZeroHours)
        );
    }

    #[test]
    fn non_finite_hours_are_rejected() {
        let outcome = EpisodeOutcome {
            completed_units: 3,
            attempts: 3,
            errors: 0,
            hours: f64::NAN,
        };
        assert!(matches!(
            EpisodeMetrics::compute(&worked_example_task(), &outcome),
            Err(EconomicsError::NonFinite { field: "hours", .. })
        ));
    }

    #[test]
    fn damage_above_break_even_makes_the_wage_negative() {
        let m = EpisodeMetrics::from_rates(&worked_example_task(), 50.0, 0.5).unwrap();
        assert!(m.robot_wage < 0.0);
    }

    proptest! {
        #[test]
        fn wage_parity_rises_with_mp_r_below_break_even_error_rate(
            p in 0.01f64..5.0, c_d in 0.0f64..10.0, frac in 0.0f64..0.999,
            mp_a in 0.0f64..500.0, extra in 0.001f64..500.0,
        ) {
            let task = TaskEconomics::new(p, 60.0, 18.0, c_d).unwrap();
            let e = if c_d == 0.0 { frac } else { frac * p / c_d };
            let lo = EpisodeMetrics::from_rates(&task, mp_a, e).unwrap();
            let hi = EpisodeMetrics::from_rates(&task, mp_a + extra, e).unwrap();
            prop_assert!(hi.wage_parity > lo.wage_parity);
            prop_assert!(hi.productivity_parity > lo.productivity_parity);
        }

        #[test]
        fn wage_parity_falls_as_error_rate_rises(
            mp in 0.1f64..500.0, e in 0.0f64..1.0, extra in 0.001f64..1.0,
        ) {
            let task = TaskEconomics::new(0.3, 60.0, 18.0, 1.0).unwrap();
            let lo = EpisodeMetrics::from_rates(&task, mp, e + extra).unwrap();
            let hi = EpisodeMetrics::from_rates(&task, mp, e).unwrap();
            prop_assert!(hi.wage_parity > lo.wage_parity);
        }
    }
}
