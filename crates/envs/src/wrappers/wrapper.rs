//! The one place wrappers forward [`Env`]: a wrapper implements
//! [`Wrapper`] (its inner env plus the hooks it changes) and the blanket
//! `impl<W: Wrapper> Env for W` forwards every other method, `as_any` and
//! `as_labour_task` included (a scripted expert reaches its task through
//! them, so one forgotten forward would silently break expert labelling).
//! A method added to [`Env`] without a default is a compile error here; one
//! with a default fails the test below until it is forwarded here.

use crate::{Action, Env, Info, LabourTask, Result, RgbFrame, Space, Transition};

/// An env that holds another env and is an env (Gymnasium's `Wrapper`).
/// Override the hooks a wrapper changes; each defaults to the inner env's
/// method. The hooks have their own names so that calling an [`Env`]
/// method on a wrapper is never ambiguous.
pub trait Wrapper: Send {
    /// The wrapped env.
    type Inner: Env + ?Sized;

    /// The wrapped env.
    fn inner(&self) -> &Self::Inner;

    /// The wrapped env, mutably.
    fn inner_mut(&mut self) -> &mut Self::Inner;

    /// [`Env::observation_space`] of the wrapper.
    fn wrapped_observation_space(&self) -> &Space {
        self.inner().observation_space()
    }

    /// [`Env::action_space`] of the wrapper.
    fn wrapped_action_space(&self) -> &Space {
        self.inner().action_space()
    }

    /// [`Env::reset_into`] of the wrapper.
    fn wrapped_reset(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
        self.inner_mut().reset_into(seed, obs)
    }

    /// [`Env::step_into`] of the wrapper.
    fn wrapped_step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
        self.inner_mut().step_into(action, obs)
    }

    /// [`Env::set_state`] of the wrapper.
    fn wrapped_set_state(&mut self, state: &[f64]) -> Result<()> {
        self.inner_mut().set_state(state)
    }
}

/// The body of a `Wrapper` impl for a wrapper `Name<E>` whose inner env is
/// the field `$field`: `type Inner = E`, `inner` and `inner_mut`.
/// `wraps!(@ self => get, get_mut)` takes the two accessor expressions.
macro_rules! wraps {
    ($field:ident) => {
        wraps!(@ self => &self.$field, &mut self.$field);
    };
    (@ $s:ident => $get:expr, $get_mut:expr) => {
        type Inner = E;
        fn inner(&$s) -> &E {
            $get
        }
        fn inner_mut(&mut $s) -> &mut E {
            $get_mut
        }
    };
}
pub(crate) use wraps;

impl<W: Wrapper> Env for W {
    fn id(&self) -> &str {
        self.inner().id()
    }
    fn observation_space(&self) -> &Space {
        self.wrapped_observation_space()
    }
    fn action_space(&self) -> &Space {
        self.wrapped_action_space()
    }
    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
        self.wrapped_reset(seed, obs)
    }
    fn step_into(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
        self.wrapped_step(action, obs)
    }
    fn render(&mut self) -> Option<RgbFrame> {
        self.inner_mut().render()
    }
    fn set_state(&mut self, state: &[f64]) -> Result<()> {
        self.wrapped_set_state(state)
    }
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        self.inner().as_any()
    }
    fn as_labour_task(&self) -> Option<&dyn LabourTask> {
        self.inner().as_labour_task()
    }
    // `reset` and `step` keep their defaults: they call the wrapper's own
    // `reset_into` and `step_into`, so its hooks run.
}

/// A boxed env forwards everything to the env in the box.
impl<E: Env + ?Sized> Wrapper for Box<E> {
    wraps!(@ self => self, self);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EconomicRewardWrapper, Pendulum, TimeLimit};

    /// Names of the `fn`s declared between `start` and the first line that
    /// is exactly `}` after it.
    fn fn_names(source: &str, start: &str) -> Vec<String> {
        let body = source
            .split_once(start)
            .map(|(_, rest)| rest.split("\n}\n").next().unwrap_or(""))
            .expect("block present");
        let mut names: Vec<String> = body
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("fn "))
            .map(|l| l.split(['(', '<']).next().unwrap_or("").to_string())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn every_env_method_is_forwarded_by_the_wrapper_impl() {
        let mut declared = fn_names(include_str!("../env.rs"), "pub trait Env: Send {");
        // Built on `reset_into`/`step_into`, which run the wrapper's hooks.
        declared.retain(|n| n != "reset" && n != "step");
        let forwarded = fn_names(include_str!("wrapper.rs"), "impl<W: Wrapper> Env for W {");
        assert_eq!(declared, forwarded);
    }

    #[test]
    fn boxed_and_wrapped_envs_reach_the_task_under_them() {
        let plain: Box<dyn Env> = Box::new(TimeLimit::new(Pendulum::new(), 5).expect("limit"));
        assert!(plain.as_labour_task().is_none());
        let task: Box<dyn Env> =
            Box::new(crate::DishwashingEnv::new(crate::DishwashingConfig::default()).expect("env"));
        let scorer = economics::EpisodeScorer::new(
            economics::TaskEconomics::new(0.3, 60.0, 18.0, 1.0).expect("task"),
            economics::EconomicReward::new(0.5, economics::WageLoss::Abs).expect("reward"),
            economics::Curriculum::new(1.0, 0.0, 1.0, 0.0, 1.0, 10, economics::Schedule::Linear)
                .expect("curriculum"),
        );
        let wrapped: Box<dyn Env> = Box::new(
            TimeLimit::new(
                EconomicRewardWrapper::new(task, scorer, 420.0, 1.0).expect("wrap"),
                10,
            )
            .expect("limit"),
        );
        assert_eq!(wrapped.id(), crate::DISHWASHING_ID);
        assert!(wrapped.as_labour_task().is_some());
        assert!(
            wrapped
                .as_any()
                .and_then(|a| a.downcast_ref::<crate::DishwashingEnv>())
                .is_some()
        );
    }
}
