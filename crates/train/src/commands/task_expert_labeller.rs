//! The labour tasks' scripted experts as PPO's expert labeller
//! (`ppo.expert_coef`): one skill-1 expert per env copy reads that copy's
//! privileged state and writes what it would do; the learner still drives.

use anyhow::{Result, bail};
use envs::{BricklayingEnv, BricklayingExpert, DishwashingEnv, DishwashingExpert, Env};
use policies::{ExpertLabeller, PolicyError};

use super::train_task::EconEnv;

/// One scripted expert per copy of a task env `T` (an env's state machine
/// keeps per-episode state, so copies do not share one).
struct ScriptedLabeller<X, T> {
    experts: Vec<X>,
    reset: fn(&mut X),
    act: fn(&mut X, &T) -> [f32; 5],
}

impl<X: Send, T: 'static> ExpertLabeller<EconEnv> for ScriptedLabeller<X, T> {
    fn label(
        &mut self,
        envs: &[EconEnv],
        episode_start: &[bool],
        out: &mut [f32],
    ) -> policies::Result<()> {
        let n = self.experts.len();
        if envs.len() != n || episode_start.len() != n || out.len() != 5 * n {
            return Err(PolicyError::InvalidConfig {
                field: "ppo.num_envs".to_owned(),
                reason: format!(
                    "{n} experts of 5 actions were given {} copies, {} episode flags and \
                     {} label slots",
                    envs.len(),
                    episode_start.len(),
                    out.len()
                ),
            });
        }
        for (i, ((env, expert), slot)) in envs
            .iter()
            .zip(&mut self.experts)
            .zip(out.chunks_exact_mut(5))
            .enumerate()
        {
            let task = env
                .as_any()
                .and_then(|a| a.downcast_ref::<T>())
                .ok_or_else(|| PolicyError::InvalidConfig {
                    field: "ppo.expert_coef".to_owned(),
                    reason: format!("env `{}` is not the task this expert works", env.id()),
                })?;
            if episode_start[i] {
                (self.reset)(expert);
            }
            slot.copy_from_slice(&(self.act)(expert, task));
        }
        Ok(())
    }
}

/// The skill-1 scripted expert of `env_id` for `n` copies; copy `i`'s
/// expert is seeded `seed + i` (at skill 1 it draws nothing that acts).
pub(crate) fn task_labeller(
    env_id: &str,
    n: usize,
    seed: u64,
) -> Result<Box<dyn ExpertLabeller<EconEnv>>> {
    let seeds = (0..n as u64).map(|i| seed.wrapping_add(i));
    Ok(match env_id {
        envs::DISHWASHING_ID => Box::new(ScriptedLabeller::<_, DishwashingEnv> {
            experts: seeds.map(|s| DishwashingExpert::new(1.0, s)).collect(),
            reset: DishwashingExpert::reset,
            act: DishwashingExpert::act,
        }),
        envs::BRICKLAYING_ID => Box::new(ScriptedLabeller::<_, BricklayingEnv> {
            experts: seeds.map(|s| BricklayingExpert::new(1.0, s)).collect(),
            reset: BricklayingExpert::reset,
            act: BricklayingExpert::act,
        }),
        other => bail!("ppo.expert_coef: env `{other}` has no scripted expert"),
    })
}
