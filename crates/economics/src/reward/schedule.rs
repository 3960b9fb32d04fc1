//! Annealing schedules for the reward weights α and γ.

use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// How a weight moves from its initial to its final value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// Straight line from initial to final.
    #[default]
    Linear,
    /// Half a cosine: slow start, fast middle, slow end.
    Cosine,
    /// Stays at the initial value; the final value is ignored.
    Constant,
}

impl std::str::FromStr for Schedule {
    type Err = String;

    /// `linear`, `cosine` or `constant`, as the config spells them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "linear" => Ok(Schedule::Linear),
            "cosine" => Ok(Schedule::Cosine),
            "constant" => Ok(Schedule::Constant),
            other => Err(format!("`{other}`: expected linear, cosine or constant")),
        }
    }
}

impl Schedule {
    /// The value at `progress` (clamped to `[0, 1]`) between `initial`
    /// (progress 0) and `final_value` (progress 1).
    pub fn interpolate(self, initial: f64, final_value: f64, progress: f64) -> f64 {
        let t = if progress.is_nan() {
            0.0
        } else {
            progress.clamp(0.0, 1.0)
        };
        if t <= 0.0 {
            return initial;
        }
        match self {
            Schedule::Constant => initial,
            Schedule::Linear => {
                if t >= 1.0 {
                    final_value
                } else {
                    initial + (final_value - initial) * t
                }
            }
            Schedule::Cosine => {
                if t >= 1.0 {
                    final_value
                } else {
                    final_value + (initial - final_value) * 0.5 * (1.0 + (PI * t).cos())
                }
            }
        }
    }

    /// The config spelling: `linear`, `cosine` or `constant`.
    pub fn as_str(self) -> &'static str {
        match self {
            Schedule::Linear => "linear",
            Schedule::Cosine => "cosine",
            Schedule::Constant => "constant",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_start_at_initial_and_end_at_final() {
        for s in [Schedule::Linear, Schedule::Cosine] {
            assert_eq!(s.interpolate(2.0, 0.5, 0.0), 2.0);
            assert_eq!(s.interpolate(2.0, 0.5, 1.0), 0.5);
            assert_eq!(s.interpolate(2.0, 0.5, 7.0), 0.5);
        }
        assert_eq!(Schedule::Constant.interpolate(2.0, 0.5, 1.0), 2.0);
    }

    #[test]
    fn linear_and_cosine_meet_at_the_midpoint() {
        let l = Schedule::Linear.interpolate(1.0, 0.0, 0.5);
        let c = Schedule::Cosine.interpolate(1.0, 0.0, 0.5);
        assert!((l - 0.5).abs() < 1e-12);
        assert!((c - 0.5).abs() < 1e-12);
        // Cosine stays nearer the start early on.
        assert!(
            Schedule::Cosine.interpolate(1.0, 0.0, 0.1)
                > Schedule::Linear.interpolate(1.0, 0.0, 0.1)
        );
    }
}
