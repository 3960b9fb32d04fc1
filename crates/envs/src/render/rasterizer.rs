//! Triangle rasterisation with a z-buffer and flat Lambert shading.

use rapier3d::math::Vector;

use super::Camera;
use crate::RgbFrame;
use crate::physics::{SceneShape, ShapeKind};

const CYLINDER_SEGMENTS: usize = 20;

/// Draws `shapes` as seen by `camera` into a `width` × `height` frame.
pub fn render_scene(shapes: &[SceneShape], camera: &Camera, width: u32, height: u32) -> RgbFrame {
    let (w, h) = (width.max(1) as usize, height.max(1) as usize);
    let mut pixels = vec![0u8; w * h * 3];
    // Background: a vertical gradient.
    for y in 0..h {
        let t = y as f32 / h as f32;
        let c = [
            (200.0 - 60.0 * t) as u8,
            (210.0 - 60.0 * t) as u8,
            (225.0 - 50.0 * t) as u8,
        ];
        for x in 0..w {
            pixels[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&c);
        }
    }
    let mut depth = vec![f32::INFINITY; w * h];
    let (right, up, forward) = camera.basis();
    let focal = 0.5 * h as f32 / (0.5 * camera.fov_y_deg.to_radians()).tan();
    let light = Vector::new(0.4, 1.0, 0.6).normalize();
    let project = |p: Vector| -> Option<(f32, f32, f32)> {
        let d = p - camera.eye;
        let z = d.dot(forward);
        if z < 0.05 {
            return None;
        }
        let x = d.dot(right) / z * focal + 0.5 * w as f32;
        let y = -d.dot(up) / z * focal + 0.5 * h as f32;
        Some((x, y, z))
    };
    let mut tris = Vec::with_capacity(128);
    for shape in shapes {
        tris.clear();
        triangulate(shape, &mut tris);
        for tri in &tris {
            let n = (tri[1] - tri[0]).cross(tri[2] - tri[0]);
            let normal = n.normalize_or_zero();
            // Back-face culling: skip triangles facing away.
            if normal.dot(tri[0] - camera.eye) >= 0.0 {
                continue;
            }
            let shade = 0.35 + 0.65 * normal.dot(light).max(0.0);
            let rgb = [
                (shape.color[0] * shade).clamp(0.0, 1.0) * 255.0,
                (shape.color[1] * shade).clamp(0.0, 1.0) * 255.0,
                (shape.color[2] * shade).clamp(0.0, 1.0) * 255.0,
            ];
            let (Some(a), Some(b), Some(c)) = (project(tri[0]), project(tri[1]), project(tri[2]))
            else {
                continue;
            };
            fill_triangle(
                a,
                b,
                c,
                [rgb[0] as u8, rgb[1] as u8, rgb[2] as u8],
                w,
                h,
                &mut pixels,
                &mut depth,
            );
        }
    }
    RgbFrame {
        width: w as u32,
        height: h as u32,
        pixels,
    }
}

#[allow(clippy::too_many_arguments)]
fn fill_triangle(
    a: (f32, f32, f32),
    b: (f32, f32, f32),
    c: (f32, f32, f32),
    rgb: [u8; 3],
    w: usize,
    h: usize,
    pixels: &mut [u8],
    depth: &mut [f32],
) {
    let area = (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0);
    if area.abs() < 1e-8 || !area.is_finite() {
        return;
    }
    let min_x = a.0.min(b.0).min(c.0).floor().max(0.0) as usize;
    let max_x = a.0.max(b.0).max(c.0).ceil().min(w as f32 - 1.0);
    let min_y = a.1.min(b.1).min(c.1).floor().max(0.0) as usize;
    let max_y = a.1.max(b.1).max(c.1).ceil().min(h as f32 - 1.0);
    if max_x < 0.0 || max_y < 0.0 {
        return;
    }
    let (max_x, max_y) = (max_x as usize, max_y as usize);
    // Perspective-correct depth: interpolate 1/z.
    let (iza, izb, izc) = (1.0 / a.2, 1.0 / b.2, 1.0 / c.2);
    for y in min_y..=max_y {
        let py = y as f32 + 0.5;
        for x in min_x..=max_x {
            let px = x as f32 + 0.5;
            let w0 = ((b.0 - px) * (c.1 - py) - (b.1 - py) * (c.0 - px)) / area;
            let w1 = ((c.0 - px) * (a.1 - py) - (c.1 - py) * (a.0 - px)) / area;
            let w2 = 1.0 - w0 - w1;
            if w0 < 0.0 || w1 < 0.0 || w2 < 0.0 {
                continue;
            }
            let z = 1.0 / (w0 * iza + w1 * izb + w2 * izc);
            let k = y * w + x;
            if z < depth[k] {
                depth[k] = z;
                pixels[k * 3..k * 3 + 3].copy_from_slice(&rgb);
            }
        }
    }
}

/// World-space triangles of a shape, counter-clockwise seen from outside.
fn triangulate(shape: &SceneShape, out: &mut Vec<[Vector; 3]>) {
    let tf = |p: Vector| shape.pose.transform_point(p);
    match shape.kind {
        ShapeKind::Cuboid { half } => {
            let c =
                |sx: f32, sy: f32, sz: f32| tf(Vector::new(sx * half.x, sy * half.y, sz * half.z));
            // Each face as (corner, u, v) with u × v pointing outwards.
            let faces: [[(f32, f32, f32); 4]; 6] = [
                [(1., -1., -1.), (1., 1., -1.), (1., 1., 1.), (1., -1., 1.)],
                [
                    (-1., -1., -1.),
                    (-1., -1., 1.),
                    (-1., 1., 1.),
                    (-1., 1., -1.),
                ],
                [(-1., 1., -1.), (-1., 1., 1.), (1., 1., 1.), (1., 1., -1.)],
                [
                    (-1., -1., -1.),
                    (1., -1., -1.),
                    (1., -1., 1.),
                    (-1., -1., 1.),
                ],
                [(-1., -1., 1.), (1., -1., 1.), (1., 1., 1.), (-1., 1., 1.)],
                [
                    (-1., -1., -1.),
                    (-1., 1., -1.),
                    (1., 1., -1.),
                    (1., -1., -1.),
                ],
            ];
            for f in faces {
                let p: Vec<Vector> = f.iter().map(|&(x, y, z)| c(x, y, z)).collect();
                out.push([p[0], p[1], p[2]]);
                out.push([p[0], p[2], p[3]]);
            }
        }
        ShapeKind::Cylinder {
            radius,
            half_height,
        } => {
            let ring = |i: usize, y: f32| {
                let a = i as f32 / CYLINDER_SEGMENTS as f32 * std::f32::consts::TAU;
                tf(Vector::new(radius * a.cos(), y, -radius * a.sin()))
            };
            let top = tf(Vector::new(0.0, half_height, 0.0));
            let bottom = tf(Vector::new(0.0, -half_height, 0.0));
            for i in 0..CYLINDER_SEGMENTS {
                let j = (i + 1) % CYLINDER_SEGMENTS;
                let (b0, b1) = (ring(i, -half_height), ring(j, -half_height));
                let (t0, t1) = (ring(i, half_height), ring(j, half_height));
                out.push([b0, b1, t1]);
                out.push([b0, t1, t0]);
                out.push([top, t0, t1]);
                out.push([bottom, b1, b0]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapier3d::math::Pose;

    fn cube_at(x: f32) -> SceneShape {
        SceneShape {
            kind: ShapeKind::Cuboid {
                half: Vector::splat(0.1),
            },
            pose: Pose::from_translation(Vector::new(x, 0.1, 0.0)),
            color: [1.0, 0.0, 0.0],
        }
    }

    fn red_pixels(f: &RgbFrame) -> Vec<usize> {
        f.pixels
            .chunks(3)
            .enumerate()
            .filter(|(_, p)| p[0] > 60 && p[1] == 0 && p[2] == 0)
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn a_cube_in_view_covers_pixels_and_moves_with_its_pose() {
        let cam = Camera::kitchen();
        let a = render_scene(&[cube_at(0.0)], &cam, 64, 64);
        let b = render_scene(&[cube_at(0.4)], &cam, 64, 64);
        let (ra, rb) = (red_pixels(&a), red_pixels(&b));
        assert!(ra.len() > 20, "cube covers {} pixels", ra.len());
        let mean_x = |v: &[usize]| v.iter().map(|i| (i % 64) as f32).sum::<f32>() / v.len() as f32;
        assert!(mean_x(&rb) > mean_x(&ra) + 3.0);
    }

    #[test]
    fn nearer_shapes_hide_farther_ones() {
        let cam = Camera::kitchen();
        let far = SceneShape {
            color: [0.0, 0.0, 1.0],
            pose: Pose::from_translation(Vector::new(0.0, 0.1, -0.5)),
            ..cube_at(0.0)
        };
        let near = SceneShape {
            kind: ShapeKind::Cuboid {
                half: Vector::new(0.5, 0.5, 0.05),
            },
            pose: Pose::from_translation(Vector::new(0.0, 0.3, 0.4)),
            ..cube_at(0.0)
        };
        let f = render_scene(&[near, far], &cam, 64, 64);
        let blue = f
            .pixels
            .chunks(3)
            .filter(|p| p[2] > 60 && p[0] == 0)
            .count();
        assert_eq!(blue, 0);
    }
}
