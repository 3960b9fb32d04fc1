//! Typed per-step information: what the economics needs, nothing stringly.

use serde::{Deserialize, Serialize};

/// Counters of the current episode, cumulative since the last reset, plus
/// any fault. Classic-control envs leave the economic counters at zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Info {
    /// Units completed so far this episode (dishes racked, bricks laid).
    pub units_completed: u32,
    /// Attempts started so far (a dish or brick picked up).
    pub attempts: u32,
    /// Errors so far (breakages, misplacements, drops).
    pub errors: u32,
    /// Simulated time elapsed this episode, in seconds.
    pub sim_seconds: f64,
    /// Set when the episode ended because of a fault, not the task.
    pub fault: Option<EnvFault>,
}

/// Why an episode was ended by the environment itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EnvFault {
    /// The physics state became NaN or infinite.
    NonFiniteState,
}

impl Info {
    /// Simulated hours elapsed, the `hours` of SPEC §2.
    pub fn sim_hours(&self) -> f64 {
        self.sim_seconds / 3600.0
    }
}
impl Info {
    /// The counters so far as SPEC §2's outcome (at an episode's last step:
    /// the episode's).
    pub fn outcome(&self) -> economics::EpisodeOutcome {
        outcome(
            self.units_completed,
            self.attempts,
            self.errors,
            self.sim_seconds,
        )
    }
}

/// Episode counters as SPEC §2's outcome.
pub(crate) fn outcome(
    units: u32,
    attempts: u32,
    errors: u32,
    sim_seconds: f64,
) -> economics::EpisodeOutcome {
    economics::EpisodeOutcome::from_sim_seconds(
        u64::from(units),
        u64::from(attempts),
        u64::from(errors),
        sim_seconds,
    )
}
