//! The learners of this crate as [`runs::Learner`]s, so that one
//! [`runs::Session`] drives every training run: PPO on a classic-control
//! env, PPO on a labour task under the economic reward, behaviour
//! cloning of a task's scripted expert with DAgger rounds, SAC on either
//! kind of env, and chunked policies (chunk head, diffusion) learnt
//! offline from a task's expert episodes.

mod classic_ppo_learner;
mod sac_learner;
mod task_bc_learner;
mod task_chunk_learner;
mod task_ppo_learner;

pub use classic_ppo_learner::ClassicPpoLearner;
pub use sac_learner::SacLearner;
pub use task_bc_learner::{DemoSummary, TaskBcLearner};
pub use task_chunk_learner::{ChunkRun, TaskChunkLearner};
pub use task_ppo_learner::{TaskPpoLearner, task_venv};

/// Seed offset of evaluation episodes, so they never replay training resets.
pub const EVAL_SEED_OFFSET: u64 = 1_000_000;

/// A checkpoint of `ckpt` with the session's `metrics` added, saved as
/// `dir/name`.
fn save_with(
    mut ckpt: crate::Checkpoint,
    dir: &std::path::Path,
    name: &str,
    metrics: &std::collections::BTreeMap<String, f64>,
) -> crate::Result<()> {
    ckpt.meta
        .metrics
        .extend(metrics.iter().map(|(k, v)| (k.clone(), *v)));
    ckpt.save(dir, name).map(|_| ())
}

/// A PPO update as a session iteration: its scalars at its global step,
/// its finished episodes counted and, where `scored` (task runs), handed
/// over as outcomes to score.
fn ppo_iteration(upd: &crate::PpoUpdate, scored: bool) -> runs::Iteration {
    runs::Iteration {
        index: upd.update,
        global_step: upd.global_step,
        scalars: upd
            .scalars()
            .into_iter()
            .map(|(tag, v)| runs::Scalar::new(tag, upd.global_step, v))
            .collect(),
        outcomes: if scored {
            upd.episodes.iter().map(|e| e.outcome()).collect()
        } else {
            Vec::new()
        },
        episodes_ended: upd.episodes.len() as u64,
        note: None,
    }
}

/// Simulated steps into a fresh episode at which the evaluation frame is
/// drawn: far enough that the arm has moved.
const FRAME_AFTER_STEPS: usize = 100;

/// One frame of `policy` (deterministic) a few simulated seconds into the
/// first evaluation episode of a task run, for TensorBoard's image tab;
/// observations normalised with `obs_norm` where the policy was trained so.
fn eval_frame<P: crate::DeterministicPolicy>(
    task: &economics::TaskConfig,
    mut venv: envs::VecEnv<envs::EconEnv>,
    obs_norm: Option<envs::RunningMeanStd>,
    policy: &mut P,
) -> crate::Result<Option<envs::RgbFrame>> {
    if let Some(obs) = obs_norm {
        venv = venv.with_obs_normalization(envs::ObsNormConfig::default());
        venv.set_normalization_state(&envs::NormalizationState {
            obs: Some(obs),
            reward: None,
        })?;
        venv.set_normalization_training(false);
    }
    venv.reset(Some(task.training.seed + EVAL_SEED_OFFSET))?;
    let bounds = crate::action_bounds(venv.action_space());
    let mut actions = Vec::new();
    for _ in 0..FRAME_AFTER_STEPS {
        policy.act_deterministic(venv.obs(), 1, &mut actions)?;
        if let Some((low, high)) = &bounds {
            for (j, a) in actions.iter_mut().enumerate() {
                *a = a.clamp(low[j % low.len()], high[j % high.len()]);
            }
        }
        venv.step(envs::VecAction::Continuous(&actions))?;
    }
    Ok(venv.render(0))
}

/// `training.eval_episodes` of a task config as a count.
fn eval_episodes(task: &economics::TaskConfig) -> crate::Result<usize> {
    usize::try_from(task.training.eval_episodes).map_err(|_| {
        crate::PolicyError::config(
            "training.eval_episodes",
            "does not fit this machine's usize",
        )
    })
}
