//! One movable object of a pick-and-place task (a dish, a brick) as the
//! shared core tracks it: its rapier body, where it is in its life, and
//! the per-object timers the core's rules advance.

use rapier3d::math::{Pose, Rotation, Vector};
use rapier3d::prelude::*;

/// Why an object was taken out of the scene (each removal is one error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalCause {
    /// A contact force above its break threshold.
    Broken,
    /// It came to rest in the wrong place, fell off the site, or a placed
    /// object was knocked off its target.
    Misplaced,
}

/// Where an object is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectStatus {
    /// Resting where it started or loose somewhere, not held.
    Loose,
    /// In the gripper.
    Held,
    /// At rest on the given target (rack slot, wall position): a unit.
    Placed(usize),
    /// Removed from the scene after an error.
    Removed(RemovalCause),
}

impl ObjectStatus {
    /// Whether the object is gone from the scene.
    pub fn is_removed(self) -> bool {
        matches!(self, ObjectStatus::Removed(_))
    }

    /// Whether the object is still to be done (loose or held).
    pub fn is_pending(self) -> bool {
        matches!(self, ObjectStatus::Loose | ObjectStatus::Held)
    }
}

/// What a task spawns at reset: one dynamic body with one collider.
#[derive(Debug, Clone)]
pub struct ObjectSpawn {
    /// Collision shape.
    pub shape: SharedShape,
    /// Initial pose.
    pub pose: Pose,
    /// Mass, kg.
    pub mass: f32,
    /// Coulomb friction coefficient.
    pub friction: f32,
    /// Half height, m: the grasp point is this far above the centre.
    pub half_height: f32,
    /// Total contact force (N) above which the object breaks; `None` for
    /// objects that never break.
    pub break_force: Option<f32>,
}

/// The state of one object, updated by the core every control step.
#[derive(Debug, Clone)]
pub struct PickPlaceObject {
    pub(crate) body: RigidBodyHandle,
    pub(crate) collider: ColliderHandle,
    pub(crate) half_height: f32,
    /// `f32::INFINITY` for objects that never break.
    pub(crate) break_force: f32,
    pub(crate) status: ObjectStatus,
    /// Seconds held in the task's processing zone (wash, mortar).
    pub(crate) processed_s: f32,
    /// Whether processing is complete (clean, buttered).
    pub(crate) processed: bool,
    /// Seconds at rest since the last release or motion.
    pub(crate) rest_s: f32,
    pub(crate) grasped_before: bool,
    /// Centre of mass position, m (the last one once removed).
    pub(crate) position: Vector,
    pub(crate) rotation: Rotation,
    /// Linear velocity, m/s.
    pub(crate) velocity: Vector,
}

impl PickPlaceObject {
    /// Status.
    pub fn status(&self) -> ObjectStatus {
        self.status
    }

    /// Centre position, m (the last one once removed).
    pub fn position(&self) -> Vector {
        self.position
    }

    /// Orientation.
    pub fn rotation(&self) -> Rotation {
        self.rotation
    }

    /// Linear velocity, m/s.
    pub fn velocity(&self) -> Vector {
        self.velocity
    }

    /// Seconds spent in the processing zone while held.
    pub fn processed_s(&self) -> f32 {
        self.processed_s
    }

    /// Whether processing (washing, buttering) is complete.
    pub fn processed(&self) -> bool {
        self.processed
    }

    /// The centre of the object's top face, where the gripper takes it.
    pub fn grasp_point(&self) -> Vector {
        self.position + Vector::new(0.0, self.half_height, 0.0)
    }
}
