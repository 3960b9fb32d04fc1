//! Drawable primitives: what the CPU renderer knows how to draw.

use rapier3d::math::{Pose, Vector};

/// The geometry of a drawable primitive, in its local frame (centred).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShapeKind {
    /// An axis-aligned box in the local frame, with half extents in metres.
    Cuboid {
        /// Half extents along local x, y, z.
        half: Vector,
    },
    /// A cylinder along local `y`.
    Cylinder {
        /// Radius in metres.
        radius: f32,
        /// Half height in metres.
        half_height: f32,
    },
}

/// One primitive to draw: a shape, its world pose and its colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SceneShape {
    /// Geometry in the local frame.
    pub kind: ShapeKind,
    /// World pose of the local frame.
    pub pose: Pose,
    /// Base colour (linear 0–1 RGB) before shading.
    pub color: [f32; 3],
}
