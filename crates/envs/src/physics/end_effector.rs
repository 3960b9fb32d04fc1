//! The robot: a kinematic end effector driven by velocity commands, with a
//! gripper that grasps by creating a fixed joint.

use rapier3d::math::{Pose, Rotation, Vector};
use rapier3d::prelude::*;

/// Velocity and workspace limits of the end effector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct EndEffectorLimits {
    /// Largest speed along each axis, m/s (action ±1 maps to ±this).
    pub max_speed: f32,
    /// Largest yaw rate, rad/s.
    pub max_yaw_rate: f32,
    /// Lowest corner of the reachable box, m.
    pub workspace_min: Vector,
    /// Highest corner of the reachable box, m.
    pub workspace_max: Vector,
    /// Greatest distance from the tip to a grasp point for a grasp, m.
    pub grasp_radius: f32,
}

/// State of the end effector. The tip is the body's origin; yaw is about `+y`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EndEffector {
    /// The kinematic body in the world.
    pub body: RigidBodyHandle,
    /// Tip position, m.
    pub position: Vector,
    /// Yaw, rad, wrapped to (−π, π].
    pub yaw: f32,
    /// Commanded linear velocity after limits, m/s.
    pub velocity: Vector,
    /// Commanded yaw rate after limits, rad/s.
    pub yaw_rate: f32,
    /// Whether the gripper is closed.
    pub closed: bool,
    /// The grasped body and the joint holding it.
    pub held: Option<(RigidBodyHandle, ImpulseJointHandle)>,
    /// Limits.
    pub limits: EndEffectorLimits,
}

impl EndEffector {
    /// The current pose of the tip.
    pub(crate) fn pose(&self) -> Pose {
        Pose::from_parts(self.position, Rotation::from_rotation_y(self.yaw))
    }

    /// Sets the commanded velocity from a normalised action in [-1, 1]
    /// (values outside are clamped; non-finite values count as 0).
    pub(crate) fn command(&mut self, vx: f32, vy: f32, vz: f32, yaw: f32) {
        let c = |v: f32| {
            if v.is_finite() {
                v.clamp(-1.0, 1.0)
            } else {
                0.0
            }
        };
        self.velocity = Vector::new(c(vx), c(vy), c(vz)) * self.limits.max_speed;
        self.yaw_rate = c(yaw) * self.limits.max_yaw_rate;
    }

    /// Advances the tip by `dt` under the commanded velocity, clamped to the
    /// workspace, and tells rapier where the kinematic body goes next.
    pub(crate) fn advance(&mut self, bodies: &mut RigidBodySet, dt: f32) {
        let target = self.position + self.velocity * dt;
        let clamped = target.clamp(self.limits.workspace_min, self.limits.workspace_max);
        self.position = clamped;
        self.yaw = wrap_angle(self.yaw + self.yaw_rate * dt);
        if let Some(body) = bodies.get_mut(self.body) {
            body.set_next_kinematic_position(self.pose());
        }
    }

    /// Grasps `target` by a fixed joint that keeps its current relative pose.
    pub(crate) fn attach(
        &mut self,
        bodies: &mut RigidBodySet,
        joints: &mut ImpulseJointSet,
        target: RigidBodyHandle,
    ) {
        let Some(body) = bodies.get(target) else {
            return;
        };
        let relative = self.pose().inverse() * *body.position();
        let joint = FixedJointBuilder::new()
            .local_frame1(relative)
            .local_frame2(Pose::IDENTITY)
            .contacts_enabled(false);
        let handle = joints.insert(self.body, target, joint, true);
        self.held = Some((target, handle));
    }

    /// Lets go of the held body, if any; returns it.
    pub(crate) fn release(
        &mut self,
        bodies: &mut RigidBodySet,
        joints: &mut ImpulseJointSet,
    ) -> Option<RigidBodyHandle> {
        let (body, joint) = self.held.take()?;
        joints.remove(joint, true);
        if let Some(b) = bodies.get_mut(body) {
            b.wake_up(true);
        }
        Some(body)
    }
}

/// Wraps an angle to (−π, π].
pub(crate) fn wrap_angle(a: f32) -> f32 {
    let two_pi = std::f32::consts::TAU;
    let mut a = a % two_pi;
    if a > std::f32::consts::PI {
        a -= two_pi;
    } else if a <= -std::f32::consts::PI {
        a += two_pi;
    }
    a
}

/// Yaw (rotation about `+y`) of a rotation, rad.
pub(crate) fn yaw_of(rotation: &Rotation) -> f32 {
    // Rotate local +x and read its heading in the x–z plane.
    let x = *rotation * Vector::X;
    (-x.z).atan2(x.x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_angle_keeps_angles_in_half_open_interval() {
        assert!((wrap_angle(3.0 * std::f32::consts::PI) - std::f32::consts::PI).abs() < 1e-5);
        assert!((wrap_angle(-0.5) + 0.5).abs() < 1e-6);
        assert!((wrap_angle(7.0) - (7.0 - std::f32::consts::TAU)).abs() < 1e-5);
    }

    #[test]
    fn yaw_of_inverts_rotation_about_y() {
        for a in [-2.5_f32, -1.0, 0.0, 0.3, 1.5, 3.0] {
            let r = Rotation::from_rotation_y(a);
            assert!((yaw_of(&r) - a).abs() < 1e-5, "{a} -> {}", yaw_of(&r));
        }
    }
}
