//! A task's horizon profile: three weighted extents (spatial, temporal,
//! complexity) whose weighted sum scales a metabolic state's base share
//! (SPEC §7): `horizon_factor = 0.4·spatial + 0.3·temporal + 0.3·complexity`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ExchangeError, Result};

/// Weight of the spatial extent in the horizon factor.
pub const SPATIAL_WEIGHT: f64 = 0.4;
/// Weight of the temporal extent in the horizon factor.
pub const TEMPORAL_WEIGHT: f64 = 0.3;
/// Weight of the complexity extent in the horizon factor.
pub const COMPLEXITY_WEIGHT: f64 = 0.3;

fn normalise(s: &str) -> String {
    s.trim().to_ascii_uppercase().replace('-', "_")
}

macro_rules! extent {
    (
        $(#[$doc:meta])* $name:ident, $field:literal, $expected:literal,
        $( $(#[$vdoc:meta])* $variant:ident = $label:literal => $value:expr ),+ $(,)?
    ) => {
        $(#[$doc])*
        /// Variants are ordered from the smallest extent to the largest.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )+
        }

        impl $name {
            /// Every extent, smallest first.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The extent's value in the horizon factor.
            pub const fn value(self) -> f64 {
                match self { $($name::$variant => $value,)+ }
            }

            /// Upper-case name as in SPEC §7.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ExchangeError;

            /// Case-insensitive; `-` reads as `_` (`agent-scale`).
            fn from_str(s: &str) -> Result<Self> {
                let n = normalise(s);
                $name::ALL
                    .iter()
                    .copied()
                    .find(|e| e.as_str() == n)
                    .ok_or_else(|| ExchangeError::UnknownName {
                        field: $field,
                        got: s.to_string(),
                        expected: $expected,
                    })
            }
        }
    };
}

extent!(
    /// How far in space a task reaches.
    SpatialExtent, "spatial extent", "LOCAL, REGIONAL, GLOBAL",
    /// One robot, one cell: 1.0.
    Local = "LOCAL" => 1.0,
    /// Several cells or a site: 1.3.
    Regional = "REGIONAL" => 1.3,
    /// Every site: 1.8.
    Global = "GLOBAL" => 1.8,
);

extent!(
    /// How long a task's results matter.
    TemporalExtent, "temporal extent", "EPHEMERAL, SESSION, DAY, EPOCH",
    /// Seconds to minutes: 0.8.
    Ephemeral = "EPHEMERAL" => 0.8,
    /// A training session: 1.0.
    Session = "SESSION" => 1.0,
    /// A day: 1.4.
    Day = "DAY" => 1.4,
    /// Many days: 2.0.
    Epoch = "EPOCH" => 2.0,
);

extent!(
    /// How many agents a task reasons about.
    ComplexityExtent, "complexity extent", "SIMPLE, AGENT_SCALE, SOCIETY_SCALE",
    /// A fixed computation: 0.7.
    Simple = "SIMPLE" => 0.7,
    /// One agent's behaviour: 1.0.
    AgentScale = "AGENT_SCALE" => 1.0,
    /// A population of agents: 1.5.
    SocietyScale = "SOCIETY_SCALE" => 1.5,
);

/// The three extents of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HorizonProfile {
    /// Spatial extent.
    pub spatial: SpatialExtent,
    /// Temporal extent.
    pub temporal: TemporalExtent,
    /// Complexity extent.
    pub complexity: ComplexityExtent,
}

impl HorizonProfile {
    /// A profile from its three extents.
    pub const fn new(
        spatial: SpatialExtent,
        temporal: TemporalExtent,
        complexity: ComplexityExtent,
    ) -> Self {
        HorizonProfile {
            spatial,
            temporal,
            complexity,
        }
    }

    /// `0.4·spatial + 0.3·temporal + 0.3·complexity`.
    pub fn horizon_factor(&self) -> f64 {
        SPATIAL_WEIGHT * self.spatial.value()
            + TEMPORAL_WEIGHT * self.temporal.value()
            + COMPLEXITY_WEIGHT * self.complexity.value()
    }

    /// Whether every extent is at most the limit's.
    pub fn within(&self, limit: &HorizonProfile) -> bool {
        self.spatial <= limit.spatial
            && self.temporal <= limit.temporal
            && self.complexity <= limit.complexity
    }
}

impl fmt::Display for HorizonProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.spatial, self.temporal, self.complexity)
    }
}
