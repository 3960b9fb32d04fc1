//! Parameters of the dishwashing task: the `env:` section of
//! `configs/dishwashing.yaml`.

use serde::{Deserialize, Serialize};

use yaml_config::ConfigCheck;

/// Environment id used in errors and the registry.
pub const DISHWASHING_ID: &str = "dishwashing";

/// Most dishes the sink and the rack hold (a 3 × 2 grid each).
pub const MAX_DISHES: usize = 6;

/// Break thresholds per dish kind: the total contact force, in newtons,
/// above which a dish breaks.
///
/// Calibrated for rapier3d 0.36.1 at a 0.05 s control period with 4
/// sub-steps (12.5 ms physics step). Measured peak total contact force on
/// a 0.55 kg plate: dropped flat from 30 cm onto the counter, 115 N (87 N
/// at 3 sub-steps, the force scales with 1/dt); released 5 mm above the
/// counter after a 5 cm/s descent, 12.7 N; resting, 5.4 N (its weight);
/// pushed into the counter by the gripper, over 4,000 N. The thresholds
/// sit between: see the `breakage` tests in `dishwashing_env.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakForces {
    /// Dinner plate (porcelain), N. Default 40.
    pub plate: f32,
    /// Bowl (porcelain), N. Default 35.
    pub bowl: f32,
    /// Mug (stoneware), N. Default 35.
    pub cup: f32,
}

impl Default for BreakForces {
    fn default() -> Self {
        Self {
            plate: 40.0,
            bowl: 35.0,
            cup: 35.0,
        }
    }
}

/// The dishwashing task's parameters. Every field has a default matching
/// `configs/dishwashing.yaml`; unknown keys are rejected when parsing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DishwashingConfig {
    /// Dirty dishes in the sink at reset, 1–6. Default 6.
    pub num_dishes: usize,
    /// Seconds a held dish must spend in the wash zone to become clean. Default 45
    /// (with the moves, about a minute per dish: the human rate of 60/h).
    pub wash_time_s: f32,
    /// Simulated seconds per `step` (one action). Default 0.05.
    pub control_period_s: f32,
    /// Physics steps per control step. Default 4.
    pub physics_substeps: u32,
    /// Simulated seconds per episode before truncation. Default 420.
    pub episode_seconds: f32,
    /// Seconds a released dish must stay at rest before it counts as
    /// placed (racked or misplaced). Default 0.3.
    pub settle_time_s: f32,
    /// End-effector speed at action ±1, per axis, m/s. Default 0.5.
    pub max_speed_m_s: f32,
    /// End-effector yaw rate at action ±1, rad/s. Default 1.5.
    pub max_yaw_rate_rad_s: f32,
    /// Break thresholds per dish kind.
    pub break_force_n: BreakForces,
    /// Initial weight of the dense shaping reward (the trainer may anneal
    /// it with `set_shaping_weight`). Default 1.0.
    pub shaping_weight: f64,
}

impl Default for DishwashingConfig {
    fn default() -> Self {
        Self {
            num_dishes: 6,
            wash_time_s: 45.0,
            control_period_s: 0.05,
            physics_substeps: 4,
            episode_seconds: 420.0,
            settle_time_s: 0.3,
            max_speed_m_s: 0.5,
            max_yaw_rate_rad_s: 1.5,
            break_force_n: BreakForces::default(),
            shaping_weight: 1.0,
        }
    }
}

impl DishwashingConfig {
    /// Checks every field's range, naming `env.<field>`.
    pub(crate) fn check(&self, c: &mut ConfigCheck<'_>) {
        c.int_within(
            "env.num_dishes",
            self.num_dishes as u64,
            1,
            MAX_DISHES as u64,
        );
        for (name, v) in [
            ("env.break_force_n.plate", self.break_force_n.plate),
            ("env.break_force_n.bowl", self.break_force_n.bowl),
            ("env.break_force_n.cup", self.break_force_n.cup),
        ] {
            c.positive(name, f64::from(v));
        }
        self.params().check(c, "wash_time_s");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn default_config_is_valid() {
        assert!(DishwashingConfig::default().validate().is_ok());
    }

    #[test]
    fn yaml_env_section_is_parsed_strictly() {
        let text = "task:\n  name: x\nenv:\n  num_dishes: 3\n  wash_time_s: 10.0\n";
        let cfg = DishwashingConfig::from_yaml_str(text, "t.yaml").unwrap();
        assert_eq!(cfg.num_dishes, 3);
        assert_eq!(
            cfg.physics_substeps,
            DishwashingConfig::default().physics_substeps
        );
        let bad = "env:\n  num_dishez: 3\n";
        let err = DishwashingConfig::from_yaml_str(bad, "t.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("t.yaml") && err.contains("num_dishez"),
            "{err}"
        );
        let out_of_range = "env:\n  num_dishes: 9\n";
        let err = DishwashingConfig::from_yaml_str(out_of_range, "t.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("num_dishes"), "{err}");
    }

    #[test]
    fn shipped_yaml_matches_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/dishwashing.yaml");
        let cfg = DishwashingConfig::from_yaml_path(&path).unwrap();
        assert_eq!(cfg, DishwashingConfig::default());
    }

    #[test]
    fn too_many_dishes_are_rejected_naming_the_field() {
        let cfg = DishwashingConfig {
            num_dishes: 7,
            ..DishwashingConfig::default()
        };
        let err = cfg.validate().unwrap_err().to_string();
        assert!(err.contains("env.num_dishes"), "{err}");
    }
}
