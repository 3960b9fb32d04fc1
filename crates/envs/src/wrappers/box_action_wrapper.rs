//! The one body of the action wrappers that map a `Box` action element by
//! element onto the wrapped env's box ([`ClipAction`](crate::ClipAction),
//! [`RescaleAction`](crate::RescaleAction)): each supplies only its
//! [`BoxActionMap`].

use super::Wrapper;
use super::wrapper::wraps;
use crate::{Action, BoxSpace, Env, EnvError, Result, Space, Transition};

/// How an action wrapper maps each element into the inner box.
pub trait BoxActionMap: std::fmt::Debug + Clone + Send {
    /// The wrapper's name, in errors.
    const NAME: &'static str;

    /// Bounds of every element of the outer (policy-side) action space.
    fn outer_bounds(&self) -> (f32, f32);

    /// Why the map cannot serve `inner` (e.g. infinite bounds), if it cannot.
    fn check(&self, inner: &BoxSpace) -> std::result::Result<(), &'static str>;

    /// The inner action element for outer element `x` and the inner bounds.
    fn map(&self, x: f32, low: f32, high: f32) -> f32;
}

/// A wrapper that passes the inner env `map(x, low, high)` of each element
/// of a checked outer action.
#[derive(Debug, Clone)]
pub struct BoxActionWrapper<E, M> {
    env: E,
    map: M,
    inner_box: BoxSpace,
    action_space: Space,
    scratch: Vec<f32>,
}

impl<E: Env, M: BoxActionMap> BoxActionWrapper<E, M> {
    /// Wraps an env with a `Box` action space that `map` accepts (anything
    /// else is a typed error).
    pub(crate) fn with_map(env: E, map: M) -> Result<Self> {
        let bad = |message: String| EnvError::InvalidParameter {
            env: env.id().to_string(),
            field: "action_space".to_string(),
            message,
        };
        let Space::Box(inner_box) = env.action_space().clone() else {
            return Err(bad(format!("{} needs a Box action space", M::NAME)));
        };
        map.check(&inner_box).map_err(|m| bad(m.to_string()))?;
        let n = inner_box.size();
        let (low, high) = map.outer_bounds();
        let action_space = Space::Box(BoxSpace {
            low: vec![low; n],
            high: vec![high; n],
            shape: inner_box.shape.clone(),
        });
        Ok(Self {
            env,
            map,
            inner_box,
            action_space,
            scratch: vec![0.0; n],
        })
    }
}

impl<E: Env, M: BoxActionMap> Wrapper for BoxActionWrapper<E, M> {
    wraps!(env);
    fn wrapped_action_space(&self) -> &Space {
        &self.action_space
    }
    fn wrapped_step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
        self.action_space.check_action(self.env.id(), action)?;
        let Action::Continuous(a) = action else {
            unreachable!("check_action accepts only continuous actions for a box")
        };
        let inner = &self.inner_box;
        for (((s, x), lo), hi) in self
            .scratch
            .iter_mut()
            .zip(a)
            .zip(&inner.low)
            .zip(&inner.high)
        {
            *s = self.map.map(*x, *lo, *hi);
        }
        self.env.step_into(Action::Continuous(&self.scratch), obs)
    }
}
