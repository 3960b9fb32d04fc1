//! The step-wise interface a [`Session`](crate::Session) drives: any
//! learner (PPO on classic control or on a labour task, behaviour cloning
//! with DAgger, later SAC and diffusion) is a [`Learner`].
//!
//! The session owns the loop, the logs, the evaluation cadence, the
//! checkpoints and the stop conditions; the learner only trains one
//! iteration at a time, evaluates and saves itself when asked.

use std::collections::BTreeMap;
use std::path::Path;

use economics::EpisodeOutcome;
use envs::RgbFrame;

use crate::EvalSummary;

/// One scalar for TensorBoard, at its own step (a PPO loss at the global
/// step, a BC epoch loss at the epoch number).
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    /// Namespaced tag, e.g. `losses/approx_kl`, `charts/sps`, `bc/val_loss`.
    pub tag: String,
    /// The x-axis value.
    pub step: u64,
    /// The value.
    pub value: f64,
}

impl Scalar {
    /// A scalar `tag = value` at `step`.
    pub fn new(tag: impl Into<String>, step: u64, value: f64) -> Self {
        Self {
            tag: tag.into(),
            step,
            value,
        }
    }
}

/// What one training iteration did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Iteration {
    /// 1-based iteration number (PPO update, DAgger round); evaluations
    /// fall on multiples of the session's `eval_every`. An iteration 0 (a
    /// fit made before the loop, as BC's first) is evaluated too.
    pub index: u64,
    /// Global step after it: env steps for RL, demonstration pairs for BC.
    /// The x-axis of `training_metrics.csv` rows and evaluations.
    pub global_step: u64,
    /// Learner scalars (`losses/*`, `charts/*`, `bc/*`); never `economics/`
    /// or `eval/`, which come from the CSV rows.
    pub scalars: Vec<Scalar>,
    /// Training episodes that ended in this iteration, as counters. A
    /// session with a scorer (task runs) logs each as a
    /// `training_metrics.csv` row.
    pub outcomes: Vec<EpisodeOutcome>,
    /// Training episodes that ended, counted for `max_episodes` (classic
    /// control has no outcomes to score but still counts its episodes).
    pub episodes_ended: u64,
    /// One line for the person watching, if the learner has something to
    /// say (a DAgger round's expert share).
    pub note: Option<String>,
}

/// An evaluation of the current policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The `eval.csv` row: return, MP_r, e, ŵ_r and parities with 95 % CIs.
    pub summary: EvalSummary,
    /// A frame of the policy at work, for TensorBoard's image tab.
    pub frame: Option<RgbFrame>,
}

/// Where the run's scored episode series stands, handed to every
/// iteration so a learner can keep per-copy curricula in step with it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EpisodeSeries {
    /// Index the next scored training episode will get.
    pub next_episode: u64,
    /// `MP_r` of the last scored episode (the ΔMP baseline), if any.
    pub previous_mp_r: Option<f64>,
}

/// A learner the session drives one iteration at a time.
pub trait Learner {
    /// The learner's own error type.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Trains one iteration (a PPO update, a DAgger round).
    fn iterate(&mut self, series: EpisodeSeries) -> Result<Iteration, Self::Error>;

    /// Whether the learner has used its budget (steps, rounds).
    fn is_done(&self) -> bool;

    /// The global step so far (the x-axis; see [`Iteration::global_step`]).
    fn global_step(&self) -> u64;

    /// Evaluates the current policy after iteration `at`.
    fn evaluate(&mut self, at: &Iteration) -> Result<Evaluation, Self::Error>;

    /// Writes the current state as checkpoint `name` in `dir`, with
    /// `metrics` (the session's: the best-by metric, the episode series)
    /// added to the learner's own.
    fn save(
        &self,
        dir: &Path,
        name: &str,
        metrics: &BTreeMap<String, f64>,
    ) -> Result<(), Self::Error>;
}
