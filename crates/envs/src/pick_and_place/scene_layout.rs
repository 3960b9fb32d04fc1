//! `SceneLayout`: what a task builds at reset, handed to the core (its own
//! file so that the core and the task trait do not import each other).

use rapier3d::math::Vector;

use super::ObjectSpawn;

/// The scene a task builds at reset: static boxes, then the objects in
/// insertion order (rapier is deterministic for the same order).
#[derive(Debug, Clone, Default)]
pub struct SceneLayout {
    /// Static scenery as (centre, half extents), m.
    pub static_boxes: Vec<(Vector, Vector)>,
    /// Friction of the static scenery.
    pub friction: f32,
    /// The movable objects.
    pub objects: Vec<ObjectSpawn>,
}
