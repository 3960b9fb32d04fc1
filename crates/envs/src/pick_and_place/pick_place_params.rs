//! The parameters every pick-and-place task shares (timing, robot limits,
//! settling), read from the task's own config, and their range checks.

use crate::{EnvError, Result};

/// What the shared core needs from a task's config. The configs keep
/// these as flat fields of their YAML `env:` section; each builds this
/// view with its `params()` method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PickPlaceParams {
    /// Simulated seconds per `step`, in (0, 1].
    pub control_period_s: f32,
    /// Physics steps per control step, 1–64.
    pub physics_substeps: u32,
    /// Simulated seconds per episode before truncation, ≥ the control period.
    pub episode_seconds: f32,
    /// Seconds a released object must stay at rest before it counts, ≥ 0.
    pub settle_time_s: f32,
    /// Seconds a held object must spend in the processing zone (washing,
    /// buttering), ≥ 0.
    pub process_time_s: f32,
    /// End-effector speed at action ±1, per axis, m/s, in (0, 5].
    pub max_speed_m_s: f32,
    /// End-effector yaw rate at action ±1, rad/s, in (0, 20].
    pub max_yaw_rate_rad_s: f32,
    /// Initial weight of the dense shaping reward, finite and ≥ 0.
    pub shaping_weight: f64,
}

impl PickPlaceParams {
    /// Checks the ranges of the shared fields; errors name `env.<field>`
    /// of the task `env`, the processing time as `env.<process_key>` (its
    /// key in the task's YAML, e.g. `wash_time_s`).
    pub(crate) fn validate(&self, env: &str, process_key: &str) -> Result<()> {
        let bad = |field: &str, message: &str| Err(invalid_env_field(env, field, message));
        let pos = |v: f32| v.is_finite() && v > 0.0;
        if !(self.process_time_s.is_finite() && self.process_time_s >= 0.0) {
            return bad(process_key, "expected a finite number >= 0");
        }
        if !pos(self.control_period_s) || self.control_period_s > 1.0 {
            return bad("control_period_s", "expected a number in (0, 1]");
        }
        if self.physics_substeps == 0 || self.physics_substeps > 64 {
            return bad("physics_substeps", "expected 1 to 64");
        }
        if !pos(self.episode_seconds) || self.episode_seconds < self.control_period_s {
            return bad("episode_seconds", "expected a number >= control_period_s");
        }
        if !(self.settle_time_s.is_finite() && self.settle_time_s >= 0.0) {
            return bad("settle_time_s", "expected a finite number >= 0");
        }
        if !pos(self.max_speed_m_s) || self.max_speed_m_s > 5.0 {
            return bad("max_speed_m_s", "expected a number in (0, 5]");
        }
        if !pos(self.max_yaw_rate_rad_s) || self.max_yaw_rate_rad_s > 20.0 {
            return bad("max_yaw_rate_rad_s", "expected a number in (0, 20]");
        }
        if !(self.shaping_weight.is_finite() && self.shaping_weight >= 0.0) {
            return bad("shaping_weight", "expected a finite number >= 0");
        }
        Ok(())
    }
}

/// The error for the `env:` key `field` of task `env` out of range.
pub(crate) fn invalid_env_field(env: &str, field: &str, message: &str) -> EnvError {
    EnvError::InvalidParameter {
        env: env.to_string(),
        field: format!("env.{field}"),
        message: message.to_string(),
    }
}
