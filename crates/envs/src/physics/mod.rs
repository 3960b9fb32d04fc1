//! Shared rapier3d plumbing for the labour environments: a world with a
//! velocity-driven kinematic end effector, a fixed-joint grasp, contact-force
//! logging for breakage, and the drawable shapes the renderer understands.
//!
//! Conventions: metres, kilograms, seconds; `y` is up, gravity is
//! `-9.81 m/s²`; yaw is a rotation about `+y`.

mod contact_force_log;
mod end_effector;
mod labour_world;
mod scene_shape;

pub(crate) use contact_force_log::ContactForceLog;
pub(crate) use end_effector::{EndEffector, EndEffectorLimits, wrap_angle, yaw_of};
pub(crate) use labour_world::LabourWorld;
pub use scene_shape::{SceneShape, ShapeKind};
