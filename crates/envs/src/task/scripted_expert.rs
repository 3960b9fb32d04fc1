//! A scripted expert: a state-feedback controller over a labour task's
//! privileged state, used for demonstrations (behaviour cloning), DAgger's
//! relabelling and PPO's expert term. The registry names each task's
//! expert ([`EnvSpec::expert`](crate::EnvSpec)), so no caller matches on
//! env ids to find one.

use crate::{Env, EnvError, GRIP_ACTION, Result};

/// A scripted worker that can act from any state of its task.
pub trait ScriptedExpert: Send {
    /// The env id of the task this expert works.
    fn task_id(&self) -> &'static str;

    /// Forgets per-episode state; call after every reset.
    fn reset(&mut self);

    /// Writes the action the expert takes in `env`'s current state into
    /// `action` (length [`LABOUR_ACTION_DIM`](crate::LABOUR_ACTION_DIM)).
    /// `env` may be wrapped: the expert reaches its task through
    /// [`Env::as_any`]. An env of another task is [`EnvError::Unsupported`].
    fn act(&mut self, env: &dyn Env, action: &mut [f32]) -> Result<()>;

    /// Whether `action` is a decision in `env`'s state: its grip would open
    /// or close the gripper. Behaviour cloning weights these rare steps.
    fn is_decision(&self, env: &dyn Env, action: &[f32]) -> bool {
        env.as_labour_task()
            .is_some_and(|t| (action[GRIP_ACTION] > 0.0) != t.gripper_closed())
    }
}

/// What every pick-and-place expert `$expert` (a struct whose field
/// `worker` is its `ExpertSkill`, with an inherent `act(&$env) -> [f32; N]`)
/// shares: `new`, `skill` and `reset`, and its [`ScriptedExpert`] impl on
/// the task env `$env` (found under any wrappers through [`Env::as_any`]).
macro_rules! scripted_expert {
    ($expert:ident on $env:ty) => {
        impl $expert {
            /// An expert with `skill` (clamped to [0, 1]; non-finite: 1) and
            /// its own random stream.
            pub fn new(skill: f32, seed: u64) -> Self {
                Self {
                    worker: $crate::pick_and_place::ExpertSkill::new(skill, seed),
                }
            }

            /// The skill in use.
            pub fn skill(&self) -> f32 {
                self.worker.skill()
            }

            /// Forgets per-episode state; call after each reset.
            pub fn reset(&mut self) {
                self.worker.reset();
            }
        }

        impl $crate::ScriptedExpert for $expert {
            fn task_id(&self) -> &'static str {
                <$env>::ID
            }

            fn reset(&mut self) {
                $expert::reset(self);
            }

            fn act(&mut self, env: &dyn $crate::Env, action: &mut [f32]) -> $crate::Result<()> {
                let name = concat!(stringify!($expert), "::act");
                let a = $expert::act(self, $crate::task::task_of::<$env>(env, name)?);
                if action.len() != a.len() {
                    return Err($crate::EnvError::InvalidAction {
                        env: env.id().to_string(),
                        expected: format!("an action buffer of length {}", a.len()),
                        got: format!("length {}", action.len()),
                    });
                }
                action.copy_from_slice(&a);
                Ok(())
            }
        }
    };
}
pub(crate) use scripted_expert;

/// `env`'s concrete task `T` under its wrappers, or the error an expert of
/// `T` gives for any other env.
pub(crate) fn task_of<'a, T: 'static>(env: &'a dyn Env, expert: &'static str) -> Result<&'a T> {
    env.as_any()
        .and_then(|a| a.downcast_ref::<T>())
        .ok_or_else(|| EnvError::Unsupported {
            env: env.id().to_string(),
            operation: expert,
        })
}
