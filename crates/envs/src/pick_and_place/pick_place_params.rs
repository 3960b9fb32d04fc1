//! The parameters every pick-and-place task shares (timing, robot limits,
//! settling), read from the task's own config, and their range checks.

use yaml_config::ConfigCheck;

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
    /// Checks the ranges of the shared fields, named `env.<field>`; the
    /// processing time as `env.<process_key>` (its key in the task's YAML,
    /// e.g. `wash_time_s`).
    pub(crate) fn check(&self, c: &mut ConfigCheck<'_>, process_key: &str) {
        c.non_negative(
            &format!("env.{process_key}"),
            f64::from(self.process_time_s),
        );
        c.positive_at_most(
            "env.control_period_s",
            f64::from(self.control_period_s),
            1.0,
        );
        c.int_within(
            "env.physics_substeps",
            u64::from(self.physics_substeps),
            1,
            64,
        );
        c.require(
            self.episode_seconds.is_finite() && self.episode_seconds >= self.control_period_s,
            "env.episode_seconds",
            || format!("a number >= control_period_s, got {}", self.episode_seconds),
        );
        c.non_negative("env.settle_time_s", f64::from(self.settle_time_s));
        c.positive_at_most("env.max_speed_m_s", f64::from(self.max_speed_m_s), 5.0);
        c.positive_at_most(
            "env.max_yaw_rate_rad_s",
            f64::from(self.max_yaw_rate_rad_s),
            20.0,
        );
        c.non_negative("env.shaping_weight", self.shaping_weight);
    }
}
