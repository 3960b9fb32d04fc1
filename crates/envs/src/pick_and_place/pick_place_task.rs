//! What a pick-and-place task plugs into the shared core: its layout, its
//! rules for where an object may come to rest, its observation table and
//! the targets its shaping reward pays progress towards. Everything else
//! (the step, grasping, physics, counters, faults) is the core's, in
//! [`PickPlaceEnv`](super::PickPlaceEnv).

use rand_chacha::ChaCha8Rng;
use rapier3d::math::Vector;

use super::{PickPlaceCore, PickPlaceParams, SceneLayout};
use crate::SceneShape;
use crate::render::Camera;

/// The task's verdict on a loose object that has been at rest for the
/// settle time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestVerdict {
    /// Allowed where it is (back where it started): nothing happens.
    Stay,
    /// On the given free target: it becomes a unit.
    Place(usize),
    /// Anywhere else: it is removed as an error.
    Remove,
}

/// A pick-and-place task on the shared core. Object indices are those of
/// [`PickPlaceCore::objects`], in spawn order.
pub trait PickPlaceTask: std::fmt::Debug + Send + 'static {
    /// Env id, used in errors and the registry.
    const ID: &'static str;
    /// Length of the observation vector (the core writes indices 0–9).
    const OBS_DIM: usize;
    /// Tip position at reset, m.
    const TIP_START: [f32; 3];
    /// Lowest and highest corners of the reachable box, m.
    const WORKSPACE: ([f32; 3], [f32; 3]);
    /// Centre of the processing zone (wash zone, mortar board), m.
    const ZONE_CENTER: [f32; 3];
    /// Half size of the (cubic) processing zone, m.
    const ZONE_HALF: f32;
    /// Below this linear speed (m/s) and …
    const REST_SPEED: f32;
    /// … this angular speed (rad/s) an object counts as at rest.
    const REST_ANGULAR_SPEED: f32;

    /// The shared parameters from the task's config.
    fn params(&self) -> PickPlaceParams;

    /// Lower and upper observation bounds (length [`Self::OBS_DIM`]).
    fn observation_bounds(&self) -> (Vec<f32>, Vec<f32>);

    /// Number of targets (rack slots, wall positions); all start free.
    fn target_count(&self) -> usize;

    /// Draws a new episode's scene from `rng`.
    fn layout(&mut self, rng: &mut ChaCha8Rng) -> SceneLayout;

    /// The shaping phase (an index) and the point the tip should move to.
    fn phase_target(&self, core: &PickPlaceCore) -> (usize, Option<Vector>);

    /// Whether `object`, processed and just released, was let go at its
    /// goal (pays the release bonus).
    fn released_at_goal(&self, core: &PickPlaceCore, object: usize) -> bool;

    /// Whether `object`, placed on `target`, still counts as placed; if
    /// not it is removed as an error and the target freed.
    fn still_placed(&self, core: &PickPlaceCore, object: usize, target: usize) -> bool {
        let _ = (core, object, target);
        true
    }

    /// Where `object` may rest, once loose and at rest for the settle time.
    fn on_rest(&self, core: &PickPlaceCore, object: usize) -> RestVerdict;

    /// Writes observation indices 10 and up (the core has zeroed `obs` and
    /// written the end effector's 0–9; it clamps to the bounds after).
    fn write_obs(&self, core: &PickPlaceCore, obs: &mut [f32]);

    /// Drawable primitives of the scene, without the gripper (the core
    /// adds it).
    fn scene_shapes(&self, core: &PickPlaceCore) -> Vec<SceneShape>;

    /// The camera [`Env::render`](crate::Env::render) draws through.
    fn camera(&self) -> Camera;
}
