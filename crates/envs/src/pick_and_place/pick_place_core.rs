//! The task-independent state of a pick-and-place episode: the rapier
//! world with the end effector, the objects, which targets are filled,
//! the episode's counters, and the mechanics every task shares (grasp
//! and release, physics sub-steps with the contact-force drain, state
//! sync, removal). The step that drives them is
//! [`PickPlaceEnv`](super::PickPlaceEnv)'s.

use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rapier3d::math::Vector;

use super::{ObjectStatus, PickPlaceObject, PickPlaceParams, RemovalCause, SceneLayout};
use crate::physics::{EndEffectorLimits, LabourWorld};
use crate::{BoxSpace, Info, Space};

/// Greatest distance from the tip to an object's grasp point for a grasp, m.
pub(crate) const GRASP_RADIUS: f32 = 0.03;

/// Below this height (m) a loose object has fallen off the site.
const FELL_OFF_Y: f32 = -0.3;

/// First-grasp, release-at-goal and per-object processing shaping terms.
const FIRST_GRASP_BONUS: f64 = 0.2;
const RELEASE_BONUS: f64 = 0.3;
pub(crate) const PROCESS_BONUS: f64 = 0.5;

/// The state of a pick-and-place episode that no task owns.
pub struct PickPlaceCore {
    pub(crate) params: PickPlaceParams,
    pub(crate) observation_space: Space,
    pub(crate) action_space: Space,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) tip_start: Vector,
    pub(crate) physics: Option<LabourWorld>,
    pub(crate) objects: Vec<PickPlaceObject>,
    /// Whether each target (rack slot, wall position) is taken.
    pub(crate) filled: Vec<bool>,
    pub(crate) info: Info,
    pub(crate) episode_over: bool,
    pub(crate) shaping_weight: f64,
    pub(crate) last_peak_force: f32,
    /// Scratch: largest contact force on each object during one step.
    pub(crate) peak: Vec<f32>,
    pub(crate) physics_clock: Option<Duration>,
}

impl PickPlaceCore {
    /// A core before its first reset.
    pub(crate) fn new(
        params: PickPlaceParams,
        bounds: (Vec<f32>, Vec<f32>),
        tip_start: Vector,
    ) -> Self {
        let (low, high) = bounds;
        let action_dim = crate::LABOUR_ACTION_DIM;
        Self {
            observation_space: Space::Box(BoxSpace::new(low, high)),
            action_space: Space::Box(BoxSpace::new(vec![-1.0; action_dim], vec![1.0; action_dim])),
            shaping_weight: params.shaping_weight,
            params,
            rng: ChaCha8Rng::seed_from_u64(0),
            tip_start,
            physics: None,
            objects: Vec::new(),
            filled: Vec::new(),
            info: Info::default(),
            episode_over: true,
            last_peak_force: 0.0,
            peak: Vec::new(),
            physics_clock: None,
        }
    }

    /// Every object of the episode, in spawn order (removed ones included).
    pub fn objects(&self) -> &[PickPlaceObject] {
        &self.objects
    }

    /// Whether each target is taken.
    pub fn filled(&self) -> &[bool] {
        &self.filled
    }

    /// The first free target.
    pub fn first_free_target(&self) -> Option<usize> {
        self.filled.iter().position(|taken| !taken)
    }

    /// Index of the held object.
    pub fn held(&self) -> Option<usize> {
        self.objects
            .iter()
            .position(|o| o.status == ObjectStatus::Held)
    }

    /// Counters of the current episode.
    pub fn info(&self) -> Info {
        self.info
    }

    /// The shared parameters.
    pub fn params(&self) -> &PickPlaceParams {
        &self.params
    }

    /// Tip position, m (the start position before the first reset).
    pub fn tip_position(&self) -> Vector {
        self.physics
            .as_ref()
            .map_or(self.tip_start, |p| p.effector.position)
    }

    /// Tip yaw, rad.
    pub fn tip_yaw(&self) -> f32 {
        self.physics.as_ref().map_or(0.0, |p| p.effector.yaw)
    }

    /// Whether the gripper is closed.
    pub fn gripper_closed(&self) -> bool {
        self.physics.as_ref().is_some_and(|p| p.effector.closed)
    }

    /// Seconds of processing done, summed over the objects, each capped at
    /// the processing time (the shaping reward pays its increase).
    pub(crate) fn processed_total(&self) -> f32 {
        self.objects
            .iter()
            .map(|o| o.processed_s.min(self.params.process_time_s))
            .sum()
    }

    /// Builds a new episode's world from `layout`.
    pub(crate) fn build_world(
        &mut self,
        layout: SceneLayout,
        limits: EndEffectorLimits,
        targets: usize,
    ) {
        let p = &self.params;
        let mut w = LabourWorld::new(
            p.control_period_s,
            p.physics_substeps,
            self.tip_start,
            limits,
        );
        for (center, half) in layout.static_boxes {
            w.add_static_box(center, half, layout.friction);
        }
        self.objects.clear();
        for spawn in layout.objects {
            let (body, collider) = w.add_dynamic(
                spawn.shape,
                spawn.pose,
                spawn.mass,
                spawn.friction,
                // Contact-force events only where something can break.
                spawn.break_force.unwrap_or(f32::MAX),
            );
            self.objects.push(PickPlaceObject {
                body,
                collider,
                half_height: spawn.half_height,
                break_force: spawn.break_force.unwrap_or(f32::INFINITY),
                status: ObjectStatus::Loose,
                processed_s: 0.0,
                processed: false,
                rest_s: 0.0,
                grasped_before: false,
                position: spawn.pose.translation,
                rotation: spawn.pose.rotation,
                velocity: Vector::ZERO,
            });
        }
        self.filled = vec![false; targets];
        self.physics = Some(w);
    }

    /// Closes the gripper: grasps the nearest loose object whose grasp
    /// point is within [`GRASP_RADIUS`] of the tip (one attempt). Returns
    /// the shaping bonus of a first grasp.
    pub(crate) fn close_gripper(&mut self) -> f64 {
        let Some(physics) = self.physics.as_mut() else {
            return 0.0;
        };
        physics.effector.closed = true;
        let tip = physics.effector.position;
        let candidate = self
            .objects
            .iter()
            .enumerate()
            .filter(|(_, o)| o.status == ObjectStatus::Loose)
            .map(|(i, o)| (i, o.grasp_point().distance(tip)))
            .filter(|(_, dist)| *dist <= GRASP_RADIUS)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let Some((i, _)) = candidate else {
            return 0.0;
        };
        let o = &mut self.objects[i];
        physics.effector.attach(
            &mut physics.world.bodies,
            &mut physics.world.impulse_joints,
            o.body,
        );
        o.status = ObjectStatus::Held;
        o.rest_s = 0.0;
        self.info.attempts += 1;
        let bonus = if !o.grasped_before && !o.processed {
            FIRST_GRASP_BONUS
        } else {
            0.0
        };
        o.grasped_before = true;
        bonus
    }

    /// Opens the gripper; returns the released object, now loose.
    pub(crate) fn open_gripper(&mut self) -> Option<usize> {
        let physics = self.physics.as_mut()?;
        physics.effector.closed = false;
        let body = physics
            .effector
            .release(&mut physics.world.bodies, &mut physics.world.impulse_joints)?;
        let i = self.objects.iter().position(|o| o.body == body)?;
        let o = &mut self.objects[i];
        o.status = ObjectStatus::Loose;
        o.rest_s = 0.0;
        Some(i)
    }

    /// The release bonus for an object let go at its goal.
    pub(crate) fn release_bonus(&self, object: usize, at_goal: bool) -> f64 {
        if self.objects[object].processed && at_goal {
            RELEASE_BONUS
        } else {
            0.0
        }
    }

    /// Runs one control period of physics, recording the largest contact
    /// force on each object in `peak`.
    pub(crate) fn step_physics(&mut self) {
        let Some(physics) = self.physics.as_mut() else {
            return;
        };
        let mut peak = std::mem::take(&mut self.peak);
        peak.clear();
        peak.resize(self.objects.len(), 0.0);
        let objects = &self.objects;
        physics.step(self.physics_clock.as_mut(), |c1, c2, force| {
            for (i, o) in objects.iter().enumerate() {
                if o.collider == c1 || o.collider == c2 {
                    peak[i] = peak[i].max(force);
                }
            }
        });
        self.info.sim_seconds += f64::from(self.params.control_period_s);
        self.last_peak_force = peak.iter().copied().fold(0.0, f32::max);
        self.peak = peak;
    }

    /// Whether the physics state is finite.
    pub(crate) fn is_finite(&self) -> bool {
        self.physics.as_ref().is_none_or(LabourWorld::is_finite)
    }

    /// Copies every object's pose and velocity out of the world.
    pub(crate) fn sync(&mut self) {
        let Some(p) = &self.physics else { return };
        for o in &mut self.objects {
            if o.status.is_removed() {
                continue;
            }
            if let Some(b) = p.world.bodies.get(o.body) {
                o.position = b.translation();
                o.rotation = *b.rotation();
                o.velocity = b.linvel();
            }
        }
    }

    /// Whether `object`'s body is asleep or below the rest speeds.
    pub(crate) fn at_rest(&self, object: usize, speed: f32, angular_speed: f32) -> bool {
        self.physics
            .as_ref()
            .and_then(|p| p.world.bodies.get(self.objects[object].body))
            .is_some_and(|b| {
                b.is_sleeping()
                    || (b.linvel().length() < speed && b.angvel().length() < angular_speed)
            })
    }

    /// Advances a held object's processing while it is in the zone.
    pub(crate) fn process(&mut self, object: usize, zone_center: Vector, zone_half: f32) {
        let (dt, time) = (self.params.control_period_s, self.params.process_time_s);
        let o = &mut self.objects[object];
        let off = (o.position - zone_center).abs();
        if off.max_element() <= zone_half && !o.processed {
            o.processed_s += dt;
            if o.processed_s >= time {
                o.processed = true;
            }
        }
    }

    /// Whether a loose object has fallen off the site.
    pub(crate) fn fell_off(&self, object: usize) -> bool {
        self.objects[object].position.y < FELL_OFF_Y
    }

    /// Places `object` on the free `target`: one unit.
    pub(crate) fn place(&mut self, object: usize, target: usize) {
        self.filled[target] = true;
        self.objects[object].status = ObjectStatus::Placed(target);
        self.info.units_completed += 1;
    }

    /// Removes `object` from the scene as an error (releasing it if held,
    /// freeing its target if placed).
    pub(crate) fn remove(&mut self, object: usize, cause: RemovalCause) {
        let o = &mut self.objects[object];
        if let ObjectStatus::Placed(t) = o.status {
            self.filled[t] = false;
        }
        if let Some(p) = self.physics.as_mut() {
            p.remove_body(o.body);
        }
        o.status = ObjectStatus::Removed(cause);
        self.info.errors += 1;
    }

    /// Whether the episode's work is done: every target filled or no
    /// object left to do.
    pub(crate) fn work_done(&self) -> bool {
        self.filled.iter().all(|f| *f) || !self.objects.iter().any(|o| o.status.is_pending())
    }
}
