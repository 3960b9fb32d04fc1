//! `ClassicPpoLearner`: PPO on a registered env without task economics
//! (CartPole, Pendulum). Evaluations log returns only.

use std::collections::BTreeMap;
use std::path::Path;

use burn::tensor::backend::AutodiffBackend;
use runs::{EpisodeSeries, EvalSummary, Evaluation, Iteration, Learner};

use super::{EVAL_SEED_OFFSET, ppo_iteration, save_with};
use crate::{PolicyError, Ppo};

/// PPO on a classic-control env, driven by a session.
pub struct ClassicPpoLearner<B: AutodiffBackend> {
    ppo: Ppo<B>,
    eval_episodes: usize,
    seed: u64,
}

impl<B: AutodiffBackend> ClassicPpoLearner<B> {
    /// Wraps `ppo`; each evaluation plays `eval_episodes` deterministic
    /// episodes seeded `seed + 1 000 000 + update` (never a training reset).
    pub fn new(ppo: Ppo<B>, eval_episodes: usize, seed: u64) -> Self {
        Self {
            ppo,
            eval_episodes,
            seed,
        }
    }

    /// The PPO learner.
    pub fn ppo(&self) -> &Ppo<B> {
        &self.ppo
    }
}

impl<B: AutodiffBackend> Learner for ClassicPpoLearner<B> {
    type Error = PolicyError;

    fn iterate(&mut self, _series: EpisodeSeries) -> Result<Iteration, PolicyError> {
        Ok(ppo_iteration(&self.ppo.step_update()?, false))
    }

    fn is_done(&self) -> bool {
        self.ppo.is_done()
    }

    fn global_step(&self) -> u64 {
        self.ppo.global_step()
    }

    fn evaluate(&mut self, at: &Iteration) -> Result<Evaluation, PolicyError> {
        let returns = self
            .ppo
            .evaluate(self.eval_episodes, self.seed + EVAL_SEED_OFFSET + at.index)?;
        Ok(Evaluation {
            summary: EvalSummary::of_returns(at.global_step, &returns)?,
            frame: None,
        })
    }

    fn save(&self, dir: &Path, name: &str, metrics: &BTreeMap<String, f64>) -> crate::Result<()> {
        save_with(self.ppo.checkpoint(), dir, name, metrics)
    }
}
