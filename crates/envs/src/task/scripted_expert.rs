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

/// [`ScriptedExpert::act`] for an expert of the concrete task `T` whose
/// plan is `plan`: finds `T` under `env`'s wrappers (any other env is
/// refused, naming `expert`) and writes the plan's action into `action`
/// (whose length must match).
pub(crate) fn act_on<T: 'static, const N: usize>(
    env: &dyn Env,
    action: &mut [f32],
    expert: &'static str,
    plan: impl FnOnce(&T) -> [f32; N],
) -> Result<()> {
    let task = env
        .as_any()
        .and_then(|a| a.downcast_ref::<T>())
        .ok_or_else(|| EnvError::Unsupported {
            env: env.id().to_string(),
            operation: expert,
        })?;
    if action.len() != N {
        return Err(EnvError::InvalidAction {
            env: env.id().to_string(),
            expected: format!("an action buffer of length {N}"),
            got: format!("length {}", action.len()),
        });
    }
    action.copy_from_slice(&plan(task));
    Ok(())
}
