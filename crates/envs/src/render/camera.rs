//! A fixed pinhole camera.

use rapier3d::math::Vector;

/// A pinhole camera looking from `eye` at `target`, `y` up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    /// Camera position, m.
    pub eye: Vector,
    /// Point looked at, m.
    pub target: Vector,
    /// Vertical field of view, degrees.
    pub fov_y_deg: f32,
}

impl Camera {
    /// The camera used for the dishwashing counter.
    pub fn kitchen() -> Self {
        Self {
            eye: Vector::new(0.0, 1.45, 1.55),
            target: Vector::new(0.0, 0.0, -0.05),
            fov_y_deg: 50.0,
        }
    }

    /// The camera used for the bricklaying site.
    pub fn site() -> Self {
        Self {
            eye: Vector::new(0.1, 1.1, 1.45),
            target: Vector::new(0.1, 0.1, -0.1),
            fov_y_deg: 50.0,
        }
    }

    /// Orthonormal basis (right, up, forward) of the view.
    pub(crate) fn basis(&self) -> (Vector, Vector, Vector) {
        let forward = (self.target - self.eye).normalize_or(Vector::NEG_Z);
        let right = forward.cross(Vector::Y).normalize_or(Vector::X);
        let up = right.cross(forward);
        (right, up, forward)
    }
}
