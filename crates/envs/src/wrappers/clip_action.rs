//! Gymnasium's `ClipAction`: accept any finite continuous action and clip it
//! into the wrapped env's box.

use crate::{Action, BoxSpace, Env, EnvError, Info, Result, RgbFrame, Space, Transition};

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

    /// The wrapped env.
    pub fn inner(&self) -> &E {
        &self.env
    }
}

impl<E: Env> Env for ClipAction<E> {
    fn id(&self) -> &str {
        self.env.id()
    }
    fn observation_space(&self) -> &Space {
        self.env.observation_space()
    }
    fn action_space(&self) -> &Space {
        &self.action_space
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
        self.env.reset_into(seed, obs)
    }
    fn step_into(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
        self.action_space.check_action(self.env.id(), action)?;
        let Action::Continuous(a) = action else {
            unreachable!("check_action accepts only continuous actions for a box")
        };
        for (((s, x), lo), hi) in self
            .scratch
            .iter_mut()
            .zip(a)
            .zip(&self.inner_box.low)
            .zip(&self.inner_box.high)
        {
            *s = x.clamp(*lo, *hi);
        }
        self.env.step_into(Action::Continuous(&self.scratch), obs)
    }
    fn render(&mut self) -> Option<RgbFrame> {
        self.env.render()
    }
    fn set_state(&mut self, state: &[f64]) -> Result<()> {
        self.env.set_state(state)
    }
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        self.env.as_any()
    }
    fn as_labour_task(&self) -> Option<&dyn crate::LabourTask> {
        self.env.as_labour_task()
    }
}
