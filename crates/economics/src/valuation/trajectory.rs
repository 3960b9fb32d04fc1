//! One datapoint's steps as the novelty measures see them: an episode's
//! observations and actions, row-major `f32`, backend-free.

use crate::error::{EconomicsError, Result};

/// A borrowed episode: `observations` is `[n_steps, d_obs]` and `actions`
/// is `[n_steps, d_action]`, both row-major. Step `t` pairs the observation
/// the action was taken in with that action (drop the final observation of
/// an episode first).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trajectory<'a> {
    observations: &'a [f32],
    actions: &'a [f32],
    d_obs: usize,
    d_action: usize,
}

impl<'a> Trajectory<'a> {
    /// Checks the shapes and values: at least one step, whole rows, as many
    /// actions as observations, every value finite. `d_obs` must be `>= 1`;
    /// `d_action` may be 0 (observations only).
    pub fn new(
        observations: &'a [f32],
        d_obs: usize,
        actions: &'a [f32],
        d_action: usize,
    ) -> Result<Self> {
        if d_obs == 0 || observations.is_empty() || !observations.len().is_multiple_of(d_obs) {
            return Err(EconomicsError::Shape {
                field: "observations",
                expected: format!("one or more whole rows of d_obs = {d_obs} (>= 1) values"),
                got: format!("{} values", observations.len()),
            });
        }
        let n_steps = observations.len() / d_obs;
        if actions.len() != n_steps * d_action {
            return Err(EconomicsError::Shape {
                field: "actions",
                expected: format!("{n_steps} rows (one per observation) of d_action = {d_action}"),
                got: format!("{} values", actions.len()),
            });
        }
        for (field, values) in [("observations", observations), ("actions", actions)] {
            if let Some(v) = values.iter().find(|v| !v.is_finite()) {
                return Err(EconomicsError::NonFinite {
                    field,
                    value: f64::from(*v),
                });
            }
        }
        Ok(Self {
            observations,
            actions,
            d_obs,
            d_action,
        })
    }

    /// Steps in the episode, `>= 1`.
    pub fn n_steps(&self) -> usize {
        self.observations.len() / self.d_obs
    }

    /// Values per observation.
    pub fn d_obs(&self) -> usize {
        self.d_obs
    }

    /// Values per action.
    pub fn d_action(&self) -> usize {
        self.d_action
    }

    /// The observation of step `t` (`[d_obs]`); `t < n_steps`.
    pub fn observation(&self, t: usize) -> &'a [f32] {
        &self.observations[t * self.d_obs..(t + 1) * self.d_obs]
    }

    /// The action of step `t` (`[d_action]`); `t < n_steps`.
    pub fn action(&self, t: usize) -> &'a [f32] {
        &self.actions[t * self.d_action..(t + 1) * self.d_action]
    }

    /// Every step as `(observation, action)`, in order.
    pub fn steps(&self) -> impl Iterator<Item = (&'a [f32], &'a [f32])> + '_ {
        (0..self.n_steps()).map(|t| (self.observation(t), self.action(t)))
    }
}
