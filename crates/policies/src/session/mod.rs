//! The learners of this crate as [`runs::Learner`]s, so that one
//! [`runs::Session`] drives every training run: PPO on a classic-control
//! env, PPO on a labour task under the economic reward, and behaviour
//! cloning of a task's scripted expert with DAgger rounds.

mod classic_ppo_learner;
mod task_bc_learner;
mod task_ppo_learner;

pub use classic_ppo_learner::ClassicPpoLearner;
pub use task_bc_learner::{DemoSummary, TaskBcLearner};
pub use task_ppo_learner::TaskPpoLearner;

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

/// A PPO update's scalars, each at the update's global step.
fn update_scalars(upd: &crate::PpoUpdate) -> Vec<runs::Scalar> {
    upd.scalars()
        .into_iter()
        .map(|(tag, v)| runs::Scalar::new(tag, upd.global_step, v))
        .collect()
}
