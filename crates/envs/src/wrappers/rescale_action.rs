//! Gymnasium's `RescaleAction`: the policy acts in `[min, max]` (e.g.
//! `[-1, 1]`) and the wrapper maps linearly onto the env's box.

use super::Wrapper;
use super::clip_action::map_box_action;
use super::wrapper::wraps;
use crate::{Action, BoxSpace, Env, EnvError, Result, Space, Transition};

/// Affine map from `[min_action, max_action]` to the inner box
/// `[low, high]`, element-wise. Values outside `[min, max]` map outside
/// `[low, high]` (as in Gymnasium); chain with [`ClipAction`](crate::ClipAction)
/// inside to clip.
#[derive(Debug, Clone)]
pub struct RescaleAction<E> {
    env: E,
    inner_box: BoxSpace,
    action_space: Space,
    min_action: f32,
    max_action: f32,
    scratch: Vec<f32>,
}

impl<E: Env> RescaleAction<E> {
    /// Wraps an env whose action space is a finite `Box`; `min_action <
    /// max_action`, both finite.
    pub fn new(env: E, min_action: f32, max_action: f32) -> Result<Self> {
        let bad = |message: &str| EnvError::InvalidParameter {
            env: env.id().to_string(),
            field: "action_space".to_string(),
            message: message.to_string(),
        };
        let Space::Box(inner_box) = env.action_space().clone() else {
            return Err(bad("RescaleAction needs a Box action space"));
        };
        if !inner_box
            .low
            .iter()
            .chain(&inner_box.high)
            .all(|v| v.is_finite())
        {
            return Err(bad("RescaleAction needs finite action bounds"));
        }
        if !(min_action.is_finite() && max_action.is_finite() && min_action < max_action) {
            return Err(bad("need finite min_action < max_action"));
        }
        let n = inner_box.size();
        let action_space = Space::Box(BoxSpace {
            low: vec![min_action; n],
            high: vec![max_action; n],
            shape: inner_box.shape.clone(),
        });
        Ok(Self {
            env,
            inner_box,
            action_space,
            min_action,
            max_action,
            scratch: vec![0.0; n],
        })
    }
}

impl<E: Env> Wrapper for RescaleAction<E> {
    wraps!(env);
    fn wrapped_action_space(&self) -> &Space {
        &self.action_space
    }
    fn wrapped_step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
        let (min, span) = (self.min_action, self.max_action - self.min_action);
        map_box_action(
            &self.action_space,
            self.env.id(),
            &self.inner_box,
            action,
            &mut self.scratch,
            |x, lo, hi| lo + (hi - lo) * ((x - min) / span),
        )?;
        self.env.step_into(Action::Continuous(&self.scratch), obs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClipAction, Pendulum};

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
