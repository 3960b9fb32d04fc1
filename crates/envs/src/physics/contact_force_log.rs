//! An rapier `EventHandler` that records contact-force events.

use std::sync::Mutex;

use rapier3d::prelude::*;

/// Collects `(collider1, collider2, total force magnitude in N)` for every
/// contact pair whose force exceeded the colliders' event threshold during
/// a physics step. Rapier calls the handler through `&self`, hence the
/// (uncontended) mutex.
#[derive(Debug, Default)]
pub(crate) struct ContactForceLog {
    events: Mutex<Vec<(ColliderHandle, ColliderHandle, f32)>>,
}

impl ContactForceLog {
    /// Takes the events recorded since the last call, calling `f` on each.
    pub(crate) fn drain(&self, mut f: impl FnMut(ColliderHandle, ColliderHandle, f32)) {
        // A poisoned lock only means a panic elsewhere while pushing; the
        // vector itself is still valid.
        let mut events = match self.events.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        for (a, b, force) in events.drain(..) {
            f(a, b, force);
        }
    }
}

impl EventHandler for ContactForceLog {
    fn handle_collision_event(
        &self,
        _bodies: &RigidBodySet,
        _colliders: &ColliderSet,
        _event: CollisionEvent,
        _contact_pair: Option<&ContactPair>,
    ) {
    }

    fn handle_contact_force_event(
        &self,
        _dt: Real,
        _bodies: &RigidBodySet,
        _colliders: &ColliderSet,
        contact_pair: &ContactPair,
        total_force_magnitude: Real,
    ) {
        let mut events = match self.events.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        events.push((
            contact_pair.collider1,
            contact_pair.collider2,
            total_force_magnitude,
        ));
    }

    fn handle_soft_body_tear_event(&self, _soft_bodies: &SoftBodySet, _event: &SoftBodyTearEvent) {}
}
