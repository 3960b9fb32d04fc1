//! A rapier world with one end effector, stepped in fixed sub-steps.

use std::time::{Duration, Instant};

use rapier3d::math::{Pose, Vector};
use rapier3d::prelude::*;

use super::{ContactForceLog, EndEffector, EndEffectorLimits};

/// The physics of a labour task: static scenery, dynamic objects and the
/// robot's end effector. Rebuilt from scratch on every reset, so the same
/// seed always inserts the same bodies in the same order (rapier is
/// deterministic on one machine for the same insertion order).
pub(crate) struct LabourWorld {
    /// The rapier world.
    pub world: PhysicsWorld,
    /// Contact-force events of the last sub-step.
    pub forces: ContactForceLog,
    /// The robot.
    pub effector: EndEffector,
    /// Physics sub-steps per control step.
    pub substeps: u32,
}

/// How far apart (m) two colliders start to get contact constraints.
/// Rapier's default is 2 cm; the solver's speculative contacts at that
/// range pushed back on a plate held by the kinematic gripper as it was
/// lowered between the rack dividers, 1.5 cm clear on each side, with a few
/// hundred newtons from a divider it never touched: it broke (a plate in
/// one episode of two on seeds 1000-1039). 1 cm keeps the speculative
/// margin for the fastest thing here (a dish falling 35 cm moves 3 cm per
/// sub-step against a 12 cm counter and tray) below every clearance.
const PREDICTION_DISTANCE: f32 = 0.01;

impl LabourWorld {
    /// An empty world whose physics step is `control_period / substeps`,
    /// with the end effector at `start`.
    pub(crate) fn new(
        control_period: f32,
        substeps: u32,
        start: Vector,
        limits: EndEffectorLimits,
    ) -> Self {
        let mut world = PhysicsWorld::new();
        world.integration_parameters.dt = control_period / substeps.max(1) as f32;
        world.integration_parameters.normalized_prediction_distance = PREDICTION_DISTANCE;
        let body = world.insert_body(
            RigidBodyBuilder::kinematic_position_based()
                .translation(start)
                .build(),
        );
        let effector = EndEffector {
            body,
            position: start,
            yaw: 0.0,
            velocity: Vector::ZERO,
            yaw_rate: 0.0,
            closed: false,
            held: None,
            limits,
        };
        Self {
            world,
            forces: ContactForceLog::default(),
            effector,
            substeps: substeps.max(1),
        }
    }

    /// Adds a fixed box (scenery) centred at `center` with half extents `half`.
    pub(crate) fn add_static_box(&mut self, center: Vector, half: Vector, friction: f32) {
        let collider = ColliderBuilder::cuboid(half.x, half.y, half.z)
            .translation(center)
            .friction(friction)
            .build();
        self.world.colliders.insert(collider);
    }

    /// Adds a dynamic body with one collider of the given mass. Contact-force
    /// events are reported for it above `force_threshold` newtons.
    pub(crate) fn add_dynamic(
        &mut self,
        shape: SharedShape,
        pose: Pose,
        mass: f32,
        friction: f32,
        force_threshold: f32,
    ) -> (RigidBodyHandle, ColliderHandle) {
        let body = self.world.insert_body(
            RigidBodyBuilder::dynamic()
                .pose(pose)
                .linear_damping(0.05)
                .angular_damping(0.2)
                .build(),
        );
        let collider = ColliderBuilder::new(shape)
            .mass(mass)
            .friction(friction)
            .restitution(0.05)
            .active_events(ActiveEvents::CONTACT_FORCE_EVENTS)
            .contact_force_event_threshold(force_threshold)
            .build();
        let ch = self
            .world
            .colliders
            .insert_with_parent(collider, body, &mut self.world.bodies);
        (body, ch)
    }

    /// Runs the physics sub-steps of one control step, calling `on_force`
    /// with every contact-force event (collider, collider, newtons). With a
    /// `clock`, adds the wall time of the sub-steps (kinematic target,
    /// rapier step, event drain) to it: the env's raw physics cost.
    pub(crate) fn step(
        &mut self,
        clock: Option<&mut Duration>,
        mut on_force: impl FnMut(ColliderHandle, ColliderHandle, f32),
    ) {
        let start = clock.is_some().then(Instant::now);
        let dt = self.world.integration_parameters.dt;
        for _ in 0..self.substeps {
            self.effector.advance(&mut self.world.bodies, dt);
            self.world.step_with_events(&(), &self.forces);
            self.forces.drain(&mut on_force);
        }
        if let (Some(clock), Some(start)) = (clock, start) {
            *clock += start.elapsed();
        }
    }

    /// Removes a body, its colliders and joints (releasing it if held).
    pub(crate) fn remove_body(&mut self, body: RigidBodyHandle) {
        if self.effector.held.map(|(b, _)| b) == Some(body) {
            self.effector
                .release(&mut self.world.bodies, &mut self.world.impulse_joints);
        }
        self.world.remove_body(body);
    }

    /// Whether every body's pose and velocity is finite and nothing was
    /// quarantined by rapier for going non-finite.
    pub(crate) fn is_finite(&self) -> bool {
        self.world.quarantine().is_empty()
            && self.world.bodies.iter().all(|(_, b)| {
                b.position().is_finite() && b.linvel().is_finite() && b.angvel().is_finite()
            })
    }
}
