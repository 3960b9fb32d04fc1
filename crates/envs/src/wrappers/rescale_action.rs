//! Gymnasium's `RescaleAction`: the policy acts in `[min, max]` (e.g.
//! `[-1, 1]`) and the wrapper maps linearly onto the env's box.

use super::{BoxActionMap, BoxActionWrapper};
use crate::{BoxSpace, Env, Result};

/// Affine map from `[min_action, max_action]` to the inner box
/// `[low, high]`, element-wise. Values outside `[min, max]` map outside
/// `[low, high]` (as in Gymnasium); chain with [`ClipAction`](crate::ClipAction)
/// inside to clip.
pub type RescaleAction<E> = BoxActionWrapper<E, RescaleMap>;

/// [`RescaleAction`]'s map: `[min_action, max_action]` onto `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RescaleMap {
    /// Outer lower bound.
    pub min_action: f32,
    /// Outer upper bound.
    pub max_action: f32,
}

impl BoxActionMap for RescaleMap {
    const NAME: &'static str = "RescaleAction";
    fn outer_bounds(&self) -> (f32, f32) {
        (self.min_action, self.max_action)
    }
    fn check(&self, inner: &BoxSpace) -> std::result::Result<(), &'static str> {
        if !inner.low.iter().chain(&inner.high).all(|v| v.is_finite()) {
            return Err("RescaleAction needs finite action bounds");
        }
        let (min, max) = (self.min_action, self.max_action);
        if !(min.is_finite() && max.is_finite() && min < max) {
            return Err("need finite min_action < max_action");
        }
        Ok(())
    }
    fn map(&self, x: f32, low: f32, high: f32) -> f32 {
        let span = self.max_action - self.min_action;
        low + (high - low) * ((x - self.min_action) / span)
    }
}

impl<E: Env> RescaleAction<E> {
    /// Wraps an env whose action space is a finite `Box`; `min_action <
    /// max_action`, both finite.
    pub fn new(env: E, min_action: f32, max_action: f32) -> Result<Self> {
        Self::with_map(
            env,
            RescaleMap {
                min_action,
                max_action,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Action, ClipAction, Pendulum};

    #[test]
    fn rescale_maps_unit_interval_onto_pendulum_torque() {
        let mut scaled = RescaleAction::new(Pendulum::new(), -1.0, 1.0).expect("wrap");
        let mut plain = Pendulum::new();
        scaled.reset(Some(4)).expect("reset");
        plain.reset(Some(4)).expect("reset");
        let a = scaled.step(Action::Continuous(&[0.5])).expect("step");
        let b = plain.step(Action::Continuous(&[1.0])).expect("step");
        assert_eq!(a, b);
        assert!(scaled.step(Action::Continuous(&[f32::NAN])).is_err());
    }

    #[test]
    fn clip_action_clips_into_the_box_and_refuses_discrete_envs() {
        let mut clipped = ClipAction::new(Pendulum::new()).expect("wrap");
        let mut plain = Pendulum::new();
        clipped.reset(Some(4)).expect("reset");
        plain.reset(Some(4)).expect("reset");
        let a = clipped.step(Action::Continuous(&[-100.0])).expect("step");
        let b = plain.step(Action::Continuous(&[-2.0])).expect("step");
        assert_eq!(a, b);
        assert!(ClipAction::new(crate::CartPole::new()).is_err());
        assert!(RescaleAction::new(crate::CartPole::new(), -1.0, 1.0).is_err());
    }
}
