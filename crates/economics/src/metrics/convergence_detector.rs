//! The convergence detector of SPEC §2: wage parity held over a window.

use crate::EpisodeMetrics;
use crate::error::{EconomicsError, Result, finite, open_unit};
use serde::Serialize;

/// Default number of consecutive passing evaluations.
pub const DEFAULT_EVAL_WINDOW: u64 = 50;
/// Default productivity tolerance ε.
pub const DEFAULT_EPSILON: f64 = 0.05;
/// Default wage tolerance δ.
pub const DEFAULT_DELTA: f64 = 0.10;

/// Flags success once `window` consecutive evaluations each have
/// `MP_r/MP_h ≥ 1 − ε` and `|ŵ_r/w_h − 1| ≤ δ`. A failing evaluation
/// resets the streak to zero.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConvergenceDetector {
    window: u64,
    epsilon: f64,
    delta: f64,
    streak: u64,
}

impl ConvergenceDetector {
    /// A detector with `window >= 1` and ε, δ in the open interval (0, 1).
    pub fn new(window: u64, epsilon: f64, delta: f64) -> Result<Self> {
        if window == 0 {
            return Err(EconomicsError::OutOfRange {
                field: "eval_window",
                expected: ">= 1",
                value: 0.0,
            });
        }
        Ok(Self {
            window,
            epsilon: open_unit("epsilon", epsilon)?,
            delta: open_unit("delta", delta)?,
            streak: 0,
        })
    }

    /// Whether one evaluation passes both tests.
    pub fn passes(&self, productivity_parity: f64, wage_parity: f64) -> bool {
        productivity_parity >= 1.0 - self.epsilon && (wage_parity - 1.0).abs() <= self.delta
    }

    /// Records one evaluation; returns whether the run has converged, which
    /// is true from exactly the `window`-th consecutive pass on.
    pub fn observe(&mut self, metrics: &EpisodeMetrics) -> Result<bool> {
        self.observe_parities(metrics.productivity_parity, metrics.wage_parity)
    }

    /// [`observe`](Self::observe) from the two parities directly. Non-finite
    /// parities are errors and leave the streak unchanged.
    pub fn observe_parities(&mut self, productivity_parity: f64, wage_parity: f64) -> Result<bool> {
        finite("productivity_parity", productivity_parity)?;
        finite("wage_parity", wage_parity)?;
        if self.passes(productivity_parity, wage_parity) {
            self.streak = self.streak.saturating_add(1);
        } else {
            self.streak = 0;
        }
        Ok(self.is_converged())
    }

    /// Whether the last `window` evaluations all passed.
    pub fn is_converged(&self) -> bool {
        self.streak >= self.window
    }

    /// Consecutive passing evaluations so far.
    pub fn streak(&self) -> u64 {
        self.streak
    }

    /// The window length.
    pub fn window(&self) -> u64 {
        self.window
    }

    /// Forgets the streak (e.g. when training restarts from scratch).
    pub fn reset(&mut self) {
        self.streak = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn converged_exactly_when_the_last_window_evaluations_all_passed(
            window in 1u64..6,
            passes in proptest::collection::vec(any::<bool>(), 0..40),
        ) {
            let mut d = ConvergenceDetector::new(window, 0.05, 0.10).unwrap();
            for (i, pass) in passes.iter().enumerate() {
                let wage = if *pass { 1.0 } else { 1.5 };
                let converged = d.observe_parities(1.0, wage).unwrap();
                let w = window as usize;
                let expected = i + 1 >= w && passes[i + 1 - w..=i].iter().all(|p| *p);
                prop_assert_eq!(converged, expected);
            }
        }
    }

    #[test]
    fn convergence_fires_exactly_on_the_nth_consecutive_pass() {
        let mut d = ConvergenceDetector::new(5, 0.05, 0.10).unwrap();
        for i in 1..5 {
            assert!(
                !d.observe_parities(0.96, 1.02).unwrap(),
                "fired early at {i}"
            );
        }
        assert!(d.observe_parities(0.96, 1.02).unwrap());
        assert!(d.observe_parities(1.2, 0.95).unwrap());
    }

    #[test]
    fn convergence_resets_on_a_failing_evaluation() {
        let mut d = ConvergenceDetector::new(3, 0.05, 0.10).unwrap();
        d.observe_parities(1.0, 1.0).unwrap();
        d.observe_parities(1.0, 1.0).unwrap();
        // Wage parity 1.2 is outside δ = 0.10: the streak restarts.
        assert!(!d.observe_parities(1.0, 1.2).unwrap());
        assert_eq!(d.streak(), 0);
        assert!(!d.observe_parities(1.0, 1.0).unwrap());
        assert!(!d.observe_parities(1.0, 1.0).unwrap());
        assert!(d.observe_parities(1.0, 1.0).unwrap());
        // Productivity below 1 − ε also fails, and un-converges.
        assert!(!d.observe_parities(0.9, 1.0).unwrap());
    }

    #[test]
    fn pass_test_uses_closed_bounds() {
        let d = ConvergenceDetector::new(1, 0.25, 0.25).unwrap();
        assert!(d.passes(0.75, 1.25));
        assert!(d.passes(0.75, 0.75));
        assert!(!d.passes(0.74, 1.0));
        assert!(!d.passes(1.0, 1.26));
    }

    #[test]
    fn window_one_fires_on_first_pass() {
        let mut d = ConvergenceDetector::new(1, 0.05, 0.10).unwrap();
        assert!(d.observe_parities(1.0, 1.0).unwrap());
    }

    #[test]
    fn detector_rejects_bad_parameters_and_non_finite_parities() {
        assert!(ConvergenceDetector::new(0, 0.05, 0.1).is_err());
        assert!(ConvergenceDetector::new(5, 0.0, 0.1).is_err());
        assert!(ConvergenceDetector::new(5, 0.05, 1.0).is_err());
        let mut d = ConvergenceDetector::new(2, 0.05, 0.1).unwrap();
        d.observe_parities(1.0, 1.0).unwrap();
        assert!(d.observe_parities(f64::NAN, 1.0).is_err());
        assert_eq!(d.streak(), 1);
    }
}
