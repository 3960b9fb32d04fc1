//! What every labour task (dishwashing, bricklaying) exposes beyond [`Env`]:
//! the state a scripted expert, a renderer or a tool reads. Reached under any wrappers with [`Env::as_labour_task`].

use rapier3d::math::Vector;

use crate::{Env, Info, SceneShape};

/// Index of the grip command in a labour task's action (`[vx, vy, vz,
/// yaw_rate, grip]`; `grip > 0` closes the gripper).
pub const GRIP_ACTION: usize = 4;

/// Length of a labour task's action.
pub const LABOUR_ACTION_DIM: usize = 5;

/// A pick-and-place labour task on the shared physics core.
pub trait LabourTask: Env {
    /// World position of the end effector's tip (m).
    fn tip_position(&self) -> Vector;
    /// Yaw of the end effector about the vertical axis (rad).
    fn tip_yaw(&self) -> f32;
    /// Whether the gripper is closed.
    fn gripper_closed(&self) -> bool;
    /// Index of the object held, if any.
    fn held_object(&self) -> Option<usize>;
    /// Every drawable primitive of the current scene.
    fn scene_shapes(&self) -> Vec<SceneShape>;
    /// The episode's configured length in simulated seconds.
    fn episode_seconds(&self) -> f64;
    /// The episode's counters so far.
    fn counters(&self) -> Info;
    /// Simulated seconds per control step (one `step_into`).
    fn control_period_s(&self) -> f64;
    /// Starts (`true`) or stops timing the rapier sub-steps inside
    /// `step_into`, for the overhead benchmark.
    fn set_physics_clock(&mut self, on: bool);
    /// Wall time spent in rapier sub-steps since the clock was started;
    /// `None` when it is off.
    fn physics_clock(&self) -> Option<std::time::Duration>;
    /// Steps only the rapier world for `control_steps` control periods with
    /// the robot holding still: the raw physics cost of the scene. Requires
    /// a reset first.
    fn step_physics_only(&mut self, control_steps: usize) -> crate::Result<()>;
}
