//! What an environment reports about one finished episode (SPEC §2).

use serde::{Deserialize, Serialize};

/// Counters of one episode: completed units, attempts, errors, and the
/// simulated duration in hours (simulated time, not wall time).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpisodeOutcome {
    /// Units completed (dishes racked, bricks laid).
    pub completed_units: u64,
    /// Attempts started (a dish or brick picked up).
    pub attempts: u64,
    /// Errors (breakages, misplacements, drops, knocked-off bricks). May
    /// exceed `attempts` where one action causes several errors.
    pub errors: u64,
    /// Simulated duration of the episode, in hours. Must be finite and `> 0`
    /// for metrics to be computed.
    pub hours: f64,
}

impl EpisodeOutcome {
    /// An outcome whose duration is given in simulated seconds, as
    /// environments count it.
    pub fn from_sim_seconds(
        completed_units: u64,
        attempts: u64,
        errors: u64,
        seconds: f64,
    ) -> Self {
        Self {
            completed_units,
            attempts,
            errors,
            hours: seconds / 3600.0,
        }
    }

    /// `e = errors / attempts`, and `0` when there were no attempts (SPEC
    /// §2). With no attempts there is no output either, so the error term of
    /// the robot wage (`c_d·e·MP_r`) would be zero anyway.
    pub fn error_rate(&self) -> f64 {
        if self.attempts == 0 {
            0.0
        } else {
            self.errors as f64 / self.attempts as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_rate_is_zero_without_attempts() {
        let outcome = EpisodeOutcome {
            completed_units: 0,
            attempts: 0,
            errors: 0,
            hours: 0.1,
        };
        assert_eq!(outcome.error_rate(), 0.0);
    }

    #[test]
    fn error_rate_divides_errors_by_attempts() {
        let outcome = EpisodeOutcome::from_sim_seconds(19, 20, 1, 1200.0);
        assert_eq!(outcome.error_rate(), 0.05);
        assert!((outcome.hours - 1.0 / 3.0).abs() < 1e-15);
    }
}
