//! Gymnasium's `TimeLimit`: truncate an episode after a fixed number of steps.

use super::Wrapper;
use super::wrapper::wraps;
use crate::{Action, Env, EnvError, Info, Result, Transition};

/// Sets `truncated` on the step that brings the episode to
/// `max_episode_steps` (also when that step terminates: both flags are then
/// set, as in Gymnasium). Stepping a finished episode is
/// [`EnvError::NeedsReset`].
#[derive(Debug, Clone)]
pub struct TimeLimit<E> {
    env: E,
    max_episode_steps: u32,
    elapsed: u32,
    ended: bool,
}

impl<E: Env> TimeLimit<E> {
    /// Wraps `env`; `max_episode_steps` must be at least 1.
    pub fn new(env: E, max_episode_steps: u32) -> Result<Self> {
        if max_episode_steps == 0 {
            return Err(EnvError::InvalidParameter {
                env: env.id().to_string(),
                field: "max_episode_steps".to_string(),
                message: "must be at least 1".to_string(),
            });
        }
        Ok(Self {
            env,
            max_episode_steps,
            elapsed: 0,
            ended: true,
        })
    }

    /// The step limit.
    pub fn max_episode_steps(&self) -> u32 {
        self.max_episode_steps
    }

    /// Steps taken in the current episode.
    pub fn elapsed_steps(&self) -> u32 {
        self.elapsed
    }

    /// Unwraps.
    pub fn into_inner(self) -> E {
        self.env
    }
}

impl<E: Env> Wrapper for TimeLimit<E> {
    wraps!(env);
    fn wrapped_reset(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
        let info = self.env.reset_into(seed, obs)?;
        self.elapsed = 0;
        self.ended = false;
        Ok(info)
    }
    #[inline]
    fn wrapped_step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
        if self.ended {
            let when = if self.elapsed == 0 {
                "before reset"
            } else {
                "after the episode ended"
            };
            return Err(EnvError::NeedsReset {
                env: self.env.id().to_string(),
                when,
            });
        }
        let mut t = self.env.step_into(action, obs)?;
        self.elapsed += 1;
        if self.elapsed >= self.max_episode_steps {
            t.truncated = true;
        }
        self.ended = t.terminated || t.truncated;
        Ok(t)
    }
    fn wrapped_set_state(&mut self, state: &[f64]) -> Result<()> {
        self.env.set_state(state)?;
        if self.elapsed < self.max_episode_steps {
            self.ended = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Pendulum;

    #[test]
    fn time_limit_truncates_at_the_limit_and_then_needs_reset() {
        let mut env = TimeLimit::new(Pendulum::new(), 3).expect("limit");
        assert!(matches!(
            env.step(Action::Continuous(&[0.0])),
            Err(EnvError::NeedsReset { .. })
        ));
        env.reset(Some(0)).expect("reset");
        for i in 1..=3 {
            let s = env.step(Action::Continuous(&[0.0])).expect("step");
            assert_eq!(s.truncated, i == 3);
            assert!(!s.terminated);
        }
        assert!(matches!(
            env.step(Action::Continuous(&[0.0])),
            Err(EnvError::NeedsReset { .. })
        ));
        env.reset(None).expect("reset");
        assert_eq!(env.elapsed_steps(), 0);
        assert!(env.step(Action::Continuous(&[0.0])).is_ok());
    }

    #[test]
    fn time_limit_of_zero_steps_is_a_typed_error() {
        assert!(matches!(
            TimeLimit::new(Pendulum::new(), 0),
            Err(EnvError::InvalidParameter { .. })
        ));
    }
}
