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
}
