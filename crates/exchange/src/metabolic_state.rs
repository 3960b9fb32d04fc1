//! Metabolic states of the MRH attention manager and their base share of
//! the ATP budget (SPEC §7).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ExchangeError, Result};

/// How much attention the system is paying: each state's base share of the
/// ATP budget before the horizon factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MetabolicState {
    /// Idle watchfulness: 0.08.
    Wake,
    /// Working on a task: 0.80.
    Focus,
    /// Recovering: 0.05.
    Rest,
    /// Offline consolidation (valuation, replay): 0.40.
    Dream,
    /// Something is failing: 0.95.
    Crisis,
}

impl MetabolicState {
    /// Every state.
    pub const ALL: [MetabolicState; 5] = [
        MetabolicState::Wake,
        MetabolicState::Focus,
        MetabolicState::Rest,
        MetabolicState::Dream,
        MetabolicState::Crisis,
    ];

    /// Base share of the ATP budget (SPEC §7).
    pub const fn base_share(self) -> f64 {
        match self {
            MetabolicState::Wake => 0.08,
            MetabolicState::Focus => 0.80,
            MetabolicState::Rest => 0.05,
            MetabolicState::Dream => 0.40,
            MetabolicState::Crisis => 0.95,
        }
    }

    /// Upper-case name as in SPEC §7 (`WAKE`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            MetabolicState::Wake => "WAKE",
            MetabolicState::Focus => "FOCUS",
            MetabolicState::Rest => "REST",
            MetabolicState::Dream => "DREAM",
            MetabolicState::Crisis => "CRISIS",
        }
    }
}

impl fmt::Display for MetabolicState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MetabolicState {
    type Err = ExchangeError;

    /// Case-insensitive: `wake`, `FOCUS`, ...
    fn from_str(s: &str) -> Result<Self> {
        MetabolicState::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| ExchangeError::UnknownName {
                field: "metabolic state",
                got: s.to_string(),
                expected: "WAKE, FOCUS, REST, DREAM, CRISIS",
            })
    }
}
