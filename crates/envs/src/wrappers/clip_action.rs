//! Gymnasium's `ClipAction`: accept any finite continuous action and clip it
//! into the wrapped env's box.

use super::Wrapper;
use super::wrapper::wraps;
use crate::{Action, BoxSpace, Env, EnvError, Result, Space, Transition};

/// Clips each action element to the inner box bounds. The outer action
/// space is the same shape, unbounded.
#[derive(Debug, Clone)]
pub struct ClipAction<E> {
    env: E,
    inner_box: BoxSpace,
    action_space: Space,
    scratch: Vec<f32>,
}

impl<E: Env> ClipAction<E> {
    /// Wraps an env with a `Box` action space (a `Discrete` one is a typed
    /// error).
    pub fn new(env: E) -> Result<Self> {
        let Space::Box(inner_box) = env.action_space().clone() else {
            return Err(EnvError::InvalidParameter {
                env: env.id().to_string(),
                field: "action_space".to_string(),
                message: "ClipAction needs a Box action space".to_string(),
            });
        };
        let n = inner_box.size();
        let action_space = Space::Box(BoxSpace {
            low: vec![f32::NEG_INFINITY; n],
            high: vec![f32::INFINITY; n],
            shape: inner_box.shape.clone(),
        });
        Ok(Self {
            env,
            inner_box,
            action_space,
            scratch: vec![0.0; n],
        })
    }
}

impl<E: Env> Wrapper for ClipAction<E> {
    wraps!(env);
    fn wrapped_action_space(&self) -> &Space {
        &self.action_space
    }
    fn wrapped_step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
        map_box_action(
            &self.action_space,
            self.env.id(),
            &self.inner_box,
            action,
            &mut self.scratch,
            |x, lo, hi| x.clamp(lo, hi),
        )?;
        self.env.step_into(Action::Continuous(&self.scratch), obs)
    }
}

/// Checks `action` against the `outer` box (of env `id`) and writes
/// `f(x, low, high)` of each element and the `inner` box's bounds into
/// `scratch`: the action an action wrapper passes on.
pub(crate) fn map_box_action(
    outer: &Space,
    id: &str,
    inner: &BoxSpace,
    action: Action<'_>,
    scratch: &mut [f32],
    f: impl Fn(f32, f32, f32) -> f32,
) -> Result<()> {
    outer.check_action(id, action)?;
    let Action::Continuous(a) = action else {
        unreachable!("check_action accepts only continuous actions for a box")
    };
    for (((s, x), lo), hi) in scratch.iter_mut().zip(a).zip(&inner.low).zip(&inner.high) {
        *s = f(*x, *lo, *hi);
    }
    Ok(())
}
