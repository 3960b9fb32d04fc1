//! The kinds of job the ATP scheduler runs, the horizon profile each is
//! given unless one is declared, and the unit its size is counted in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ExchangeError, Result};
use crate::horizon_profile::{ComplexityExtent, HorizonProfile, SpatialExtent, TemporalExtent};

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Collect experience: size in environment steps.
    Rollout,
    /// A policy update (gradient steps): size in samples processed
    /// (batch size × epochs × minibatch passes).
    PolicyUpdate,
    /// Evaluate a policy: size in environment steps.
    Evaluation,
    /// Data valuation and consolidation: size in datapoints valued.
    Valuation,
}

impl JobKind {
    /// Every kind.
    pub const ALL: [JobKind; 4] = [
        JobKind::Rollout,
        JobKind::PolicyUpdate,
        JobKind::Evaluation,
        JobKind::Valuation,
    ];

    /// The name used in configs and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            JobKind::Rollout => "rollout",
            JobKind::PolicyUpdate => "update",
            JobKind::Evaluation => "evaluation",
            JobKind::Valuation => "valuation",
        }
    }

    /// What one unit of the job's size is.
    pub const fn size_unit(self) -> &'static str {
        match self {
            JobKind::Rollout | JobKind::Evaluation => "environment steps",
            JobKind::PolicyUpdate => "samples",
            JobKind::Valuation => "datapoints",
        }
    }

    /// The profile inferred from the kind (SPEC §7): rollout
    /// LOCAL/EPHEMERAL/SIMPLE; update LOCAL/SESSION/AGENT_SCALE; evaluation
    /// LOCAL/SESSION/SIMPLE; valuation REGIONAL/DAY/SOCIETY_SCALE.
    pub const fn default_profile(self) -> HorizonProfile {
        use ComplexityExtent as C;
        use SpatialExtent as S;
        use TemporalExtent as T;
        match self {
            JobKind::Rollout => HorizonProfile::new(S::Local, T::Ephemeral, C::Simple),
            JobKind::PolicyUpdate => HorizonProfile::new(S::Local, T::Session, C::AgentScale),
            JobKind::Evaluation => HorizonProfile::new(S::Local, T::Session, C::Simple),
            JobKind::Valuation => HorizonProfile::new(S::Regional, T::Day, C::SocietyScale),
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobKind {
    type Err = ExchangeError;

    /// `rollout`, `update` (or `policy_update`), `evaluation`, `valuation`.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "rollout" => Ok(JobKind::Rollout),
            "update" | "policy_update" => Ok(JobKind::PolicyUpdate),
            "evaluation" | "eval" => Ok(JobKind::Evaluation),
            "valuation" | "consolidation" => Ok(JobKind::Valuation),
            _ => Err(ExchangeError::UnknownName {
                field: "job kind",
                got: s.to_string(),
                expected: "rollout, update, evaluation, valuation",
            }),
        }
    }
}
