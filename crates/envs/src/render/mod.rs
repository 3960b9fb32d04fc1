//! CPU rendering of the labour scenes: a small z-buffered rasteriser with
//! Lambert shading over boxes and cylinders seen through a fixed pinhole
//! camera (no GPU, no window), and PNG / mp4 writers for the frames.

mod camera;
mod frame_io;
mod rasterizer;

pub use camera::Camera;
pub use frame_io::{frame_strip, write_mp4, write_png, write_png_sequence};
pub use rasterizer::render_scene;

use rapier3d::math::{Pose, Rotation, Vector};

use crate::physics::{SceneShape, ShapeKind};

/// Drawable parts of the end effector: a wrist rod, a palm and two fingers
/// whose gap shows whether the gripper is closed.
pub(crate) fn gripper_shapes(tip: Vector, yaw: f32, closed: bool) -> Vec<SceneShape> {
    let rot = Rotation::from_rotation_y(yaw);
    let color = [0.85, 0.30, 0.15];
    let gap = if closed { 0.025 } else { 0.06 };
    let at = |local: Vector| Pose::from_parts(tip + rot * local, rot);
    vec![
        SceneShape {
            kind: ShapeKind::Cylinder {
                radius: 0.015,
                half_height: 0.15,
            },
            pose: at(Vector::new(0.0, 0.22, 0.0)),
            color: [0.3, 0.3, 0.35],
        },
        SceneShape {
            kind: ShapeKind::Cuboid {
                half: Vector::new(0.08, 0.012, 0.025),
            },
            pose: at(Vector::new(0.0, 0.07, 0.0)),
            color,
        },
        SceneShape {
            kind: ShapeKind::Cuboid {
                half: Vector::new(0.006, 0.03, 0.02),
            },
            pose: at(Vector::new(-gap, 0.03, 0.0)),
            color,
        },
        SceneShape {
            kind: ShapeKind::Cuboid {
                half: Vector::new(0.006, 0.03, 0.02),
            },
            pose: at(Vector::new(gap, 0.03, 0.0)),
            color,
        },
    ]
}
