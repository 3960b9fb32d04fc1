//! `EvalSummary`: one evaluation (several episodes of a frozen policy)
//! reduced to an `eval.csv` row: means and 95 % normal confidence intervals
//! of `MP_r`, wage parity and productivity parity.

use crate::error::{Context, Result, ensure};
use crate::metrics_csv::EVAL_COLUMNS;
use economics::{EpisodeRecord, TaskConfig};

/// z for a two-sided 95 % normal interval.
const Z95: f64 = 1.959_963_984_540_054;

/// A mean with its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanCi {
    /// Sample mean.
    pub mean: f64,
    /// `mean − z·s/√n` (the mean itself for one sample).
    pub lo: f64,
    /// `mean + z·s/√n`.
    pub hi: f64,
}

impl MeanCi {
    /// Mean and normal 95 % interval with the sample (n − 1) standard
    /// deviation; `None` for no values.
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let half = if values.len() > 1 {
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
            Z95 * (var / n).sqrt()
        } else {
            0.0
        };
        Some(Self {
            mean,
            lo: mean - half,
            hi: mean + half,
        })
    }
}

/// The summary of one evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvalSummary {
    /// Global training step of the evaluated policy.
    pub step: u64,
    /// Episodes evaluated.
    pub episodes: usize,
    /// Mean undiscounted return (the env's reward, as the policy saw it).
    pub mean_return: f64,
    /// `MP_r`, units per simulated hour.
    pub mp_r: MeanCi,
    /// Mean error rate.
    pub error_rate: f64,
    /// Mean robot implied wage, dollars per hour.
    pub w_r: f64,
    /// Wage parity `ŵ_r / w_h`.
    pub wage_parity: MeanCi,
    /// Productivity parity `MP_r / MP_h`.
    pub productivity_parity: MeanCi,
}

impl EvalSummary {
    /// An evaluation of an env without task economics (classic control):
    /// returns only; the economic columns are 0, never an invented `MP_r`.
    pub fn of_returns(step: u64, returns: &[f64]) -> Result<Self> {
        let ret = MeanCi::of(returns).context("an evaluation needs at least one episode")?;
        let zero = MeanCi {
            mean: 0.0,
            lo: 0.0,
            hi: 0.0,
        };
        Ok(Self {
            step,
            episodes: returns.len(),
            mean_return: ret.mean,
            mp_r: zero,
            error_rate: 0.0,
            w_r: 0.0,
            wage_parity: zero,
            productivity_parity: zero,
        })
    }

    /// Scores a labour task's evaluation episodes with the task economics
    /// of `task` (metrics only: a fresh scorer per episode, so no
    /// curriculum or ΔMP carries between them).
    pub fn of_task_episodes(
        task: &TaskConfig,
        step: u64,
        episodes: &[envs::EpisodeRecord],
    ) -> Result<Self> {
        let rows = episodes
            .iter()
            .map(|e| {
                let mut scorer = task.episode_scorer().context("task economics")?;
                Ok(scorer
                    .score(&e.outcome())
                    .context("scoring an evaluation episode")?
                    .record)
            })
            .collect::<Result<Vec<_>>>()?;
        let returns: Vec<f64> = episodes.iter().map(|e| e.episode_return).collect();
        Self::from_episodes(step, &rows, &returns)
    }

    /// Summarises the evaluation episodes' records and returns (same
    /// order, one per episode).
    pub fn from_episodes(step: u64, records: &[EpisodeRecord], returns: &[f64]) -> Result<Self> {
        ensure!(
            !records.is_empty(),
            "an evaluation needs at least one episode"
        );
        ensure!(
            records.len() == returns.len(),
            "{} episode records but {} returns",
            records.len(),
            returns.len()
        );
        let column = |f: fn(&EpisodeRecord) -> f64| -> Vec<f64> { records.iter().map(f).collect() };
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let ci = |f: fn(&EpisodeRecord) -> f64| MeanCi::of(&column(f)).expect("non-empty");
        let summary = Self {
            step,
            episodes: records.len(),
            mean_return: mean(returns),
            mp_r: ci(|r| r.mp_r),
            error_rate: mean(&column(|r| r.e)),
            w_r: mean(&column(|r| r.w_r)),
            wage_parity: ci(|r| r.wage_parity),
            productivity_parity: ci(|r| r.productivity_parity),
        };
        ensure!(
            summary.row().iter().all(|v| v.is_finite()),
            "evaluation at step {step} has non-finite values"
        );
        Ok(summary)
    }

    /// The `eval.csv` row, in [`EVAL_COLUMNS`] order.
    pub fn row(&self) -> [f64; EVAL_COLUMNS.len()] {
        [
            self.step as f64,
            self.episodes as f64,
            self.mean_return,
            self.mp_r.mean,
            self.mp_r.lo,
            self.mp_r.hi,
            self.error_rate,
            self.w_r,
            self.wage_parity.mean,
            self.wage_parity.lo,
            self.wage_parity.hi,
            self.productivity_parity.mean,
            self.productivity_parity.lo,
            self.productivity_parity.hi,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(mp_r: f64, wage_parity: f64) -> EpisodeRecord {
        EpisodeRecord {
            episode: 0,
            mp_r,
            e: 0.1,
            w_r: 18.0 * wage_parity,
            wage_parity,
            productivity_parity: mp_r / 60.0,
            reward_total: 0.0,
            reward_mp: 0.0,
            reward_error: 0.0,
            reward_wage: 0.0,
            alpha: 1.0,
            beta: 1.0,
            gamma: 1.0,
        }
    }

    #[test]
    fn interval_is_mean_plus_minus_z_sample_std_over_root_n() {
        // mean 5, sample variance 2.5, n 5: half width 1.96 * sqrt(0.5).
        let ci = MeanCi::of(&[3.0, 4.0, 5.0, 6.0, 7.0]).unwrap();
        assert_eq!(ci.mean, 5.0);
        let half = 1.959_963_984_540_054 * 0.5f64.sqrt();
        assert!((ci.hi - 5.0 - half).abs() < 1e-12 && (5.0 - ci.lo - half).abs() < 1e-12);
        assert_eq!(
            MeanCi::of(&[2.0]).unwrap(),
            MeanCi {
                mean: 2.0,
                lo: 2.0,
                hi: 2.0
            }
        );
        assert_eq!(MeanCi::of(&[]), None);
    }

    #[test]
    fn row_follows_the_eval_columns() {
        let records = [record(54.0, 0.7), record(60.0, 0.8)];
        let summary = EvalSummary::from_episodes(4096, &records, &[1.0, 3.0]).unwrap();
        let row = summary.row();
        let get = |name: &str| row[EVAL_COLUMNS.iter().position(|c| *c == name).unwrap()];
        assert_eq!(get("step"), 4096.0);
        assert_eq!(get("episodes"), 2.0);
        assert_eq!(get("mean_return"), 2.0);
        assert_eq!(get("mp_r"), 57.0);
        assert!((get("wage_parity") - 0.75).abs() < 1e-12);
        assert!(get("wage_parity_ci95_lo") < 0.75 && get("wage_parity_ci95_hi") > 0.75);
        assert!((get("productivity_parity") - 0.95).abs() < 1e-12);
        assert!((get("w_r") - 13.5).abs() < 1e-12);
    }

    #[test]
    fn empty_or_mismatched_evaluations_are_errors() {
        assert!(EvalSummary::from_episodes(1, &[], &[]).is_err());
        assert!(EvalSummary::from_episodes(1, &[record(1.0, 1.0)], &[]).is_err());
    }
}
