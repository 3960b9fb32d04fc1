//! The learners of this crate as [`runs::Learner`]s, so that one
//! [`runs::Session`] drives every training run: PPO on a classic-control
//! env, PPO on a labour task under the economic reward, and behaviour
//! cloning of a task's scripted expert with DAgger rounds, and chunked
//! policies (chunk head, diffusion) learnt offline from its episodes.

mod classic_ppo_learner;
mod task_bc_learner;
mod task_chunk_learner;
mod task_ppo_learner;

pub use classic_ppo_learner::ClassicPpoLearner;
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

/// `training.eval_episodes` of a task config as a count.
fn eval_episodes(task: &economics::TaskConfig) -> crate::Result<usize> {
    usize::try_from(task.training.eval_episodes).map_err(|_| {
        crate::PolicyError::config(
            "training.eval_episodes",
            "does not fit this machine's usize",
        )
    })
}
