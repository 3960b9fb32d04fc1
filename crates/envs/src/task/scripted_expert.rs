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

/// [`ScriptedExpert::act`] for an expert whose own `act` takes its task
/// `T`: finds `T` under `env`'s wrappers, acts, and writes the action into
/// `action` (of the action's length). `expert` names it in errors.
pub(crate) fn act_on_task<T: 'static, const N: usize>(
    env: &dyn Env,
    expert: &'static str,
    action: &mut [f32],
    act: impl FnOnce(&T) -> [f32; N],
) -> Result<()> {
    let a = act(task_of::<T>(env, expert)?);
    if action.len() != N {
        return Err(EnvError::InvalidAction {
            env: env.id().to_string(),
            expected: format!("an action buffer of length {N}"),
            got: format!("length {}", action.len()),
        });
    }
    action.copy_from_slice(&a);
    Ok(())
}

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
