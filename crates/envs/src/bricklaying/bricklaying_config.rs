//! Parameters of the bricklaying task: the `env:` section of
//! `configs/bricklaying.yaml`.

use serde::{Deserialize, Serialize};

use yaml_config::ConfigCheck;

/// Environment id used in errors and the registry.
pub const BRICKLAYING_ID: &str = "bricklaying";

/// Most bricks the pallet holds (3 × 3 cells, two layers).
pub const MAX_BRICKS: usize = 18;

/// The bricklaying task's parameters. Every field has a default matching
/// `configs/bricklaying.yaml`; unknown keys are rejected when parsing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BricklayingConfig {
    /// Courses (rows) of the wall, 1–4. Default 3.
    pub courses: usize,
    /// Bricks in the first course, 2–6. The wall is running bond racked
    /// back at both ends (no half bricks): course `k` has one brick fewer
    /// than course `k − 1`. Default 6.
    pub bricks_per_course: usize,
    /// Largest distance of a laid brick's centre from its target, m. Default 0.01.
    pub position_tolerance_m: f32,
    /// Largest yaw error of a laid brick, degrees. Default 3.
    pub yaw_tolerance_deg: f32,
    /// Seconds a released brick must stay at rest before it counts. Default 0.5.
    pub settle_time_s: f32,
    /// Seconds a held brick must spend at the mortar board (buttering)
    /// before it may be laid; with the moves, about a minute per brick,
    /// the human rate of 60/h. Default 45.
    pub mortar_time_s: f32,
    /// Simulated seconds per `step`. Default 0.05.
    pub control_period_s: f32,
    /// Physics steps per control step. Default 4.
    pub physics_substeps: u32,
    /// Simulated seconds per episode before truncation. Default 900.
    pub episode_seconds: f32,
    /// End-effector speed at action ±1, per axis, m/s. Default 0.5.
    pub max_speed_m_s: f32,
    /// End-effector yaw rate at action ±1, rad/s. Default 1.5.
    pub max_yaw_rate_rad_s: f32,
    /// Initial weight of the dense shaping reward. Default 1.0.
    pub shaping_weight: f64,
}

impl Default for BricklayingConfig {
    fn default() -> Self {
        Self {
            courses: 3,
            bricks_per_course: 6,
            position_tolerance_m: 0.01,
            yaw_tolerance_deg: 3.0,
            settle_time_s: 0.5,
            mortar_time_s: 45.0,
            control_period_s: 0.05,
            physics_substeps: 4,
            episode_seconds: 900.0,
            max_speed_m_s: 0.5,
            max_yaw_rate_rad_s: 1.5,
            shaping_weight: 1.0,
        }
    }
}

impl BricklayingConfig {
    /// Number of bricks in the wall (and on the pallet).
    pub fn total_bricks(&self) -> usize {
        (0..self.courses)
            .map(|k| self.bricks_per_course.saturating_sub(k))
            .sum()
    }

    /// Checks every field's range, naming `env.<field>`.
    pub(crate) fn check(&self, c: &mut ConfigCheck<'_>) {
        c.int_within("env.courses", self.courses as u64, 1, 4);
        c.int_within("env.bricks_per_course", self.bricks_per_course as u64, 2, 6);
        c.require(
            self.bricks_per_course >= self.courses,
            "env.bricks_per_course",
            || "at least one brick per course (>= courses)".to_owned(),
        );
        c.require(
            self.total_bricks() <= MAX_BRICKS,
            "env.bricks_per_course",
            || format!("a wall of at most the pallet's {MAX_BRICKS} bricks"),
        );
        c.positive_at_most(
            "env.position_tolerance_m",
            f64::from(self.position_tolerance_m),
            0.1,
        );
        c.positive_at_most(
            "env.yaw_tolerance_deg",
            f64::from(self.yaw_tolerance_deg),
            45.0,
        );
        self.params().check(c, "mortar_time_s");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn default_wall_is_fifteen_bricks_racked_back() {
        let cfg = BricklayingConfig::default();
        assert!(cfg.validate().is_ok());
        assert_eq!(cfg.total_bricks(), 6 + 5 + 4);
    }

    #[test]
    fn shipped_yaml_matches_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/bricklaying.yaml");
        assert_eq!(
            BricklayingConfig::from_yaml_path(&path).unwrap(),
            BricklayingConfig::default()
        );
    }

    #[test]
    fn unknown_keys_and_oversized_walls_are_rejected() {
        let err = BricklayingConfig::from_yaml_str("env:\n  coarses: 2\n", "b.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("b.yaml") && err.contains("coarses"), "{err}");
        let err = BricklayingConfig::from_yaml_str(
            "env:\n  courses: 4\n  bricks_per_course: 3\n",
            "b.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("bricks_per_course"), "{err}");
    }
}
