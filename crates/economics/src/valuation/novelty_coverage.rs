//! Coverage novelty (SPEC §6): `1 / (count(bin) + 1)` over a discretised
//! state-action histogram.
//!
//! Each step's features are its observation then its action; each feature
//! is cut into `coverage_bins` equal bins between its given bounds (values
//! outside go to the edge bins). The histogram is sparse: a hash map from
//! occupied bin tuples to counts, so memory grows with what was seen, not
//! with `bins^features`.
//!
//! A datapoint's coverage novelty is the mean of `1 / (count + 1)` over its
//! steps, every step scored against the histogram as it was before the
//! datapoint: a long episode is not worth more for its length, and its own
//! repeated steps do not count against it. [`CoverageHistogram::value`]
//! then adds its steps.

use crate::error::{EconomicsError, Result};
use crate::valuation::trajectory::Trajectory;
use std::collections::HashMap;

/// A sparse count of visited state-action bins.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageHistogram {
    lows: Vec<f64>,
    highs: Vec<f64>,
    bins: u32,
    d_obs: usize,
    counts: HashMap<Box<[u32]>, u64>,
    total_steps: u64,
}

impl CoverageHistogram {
    /// An empty histogram over features with the given bounds (`lows[j] <
    /// highs[j]`, both finite; observation features first, then action
    /// features, `d_obs` of the former) and `bins` bins per feature (`>= 1`,
    /// the config's `data_valuation.coverage_bins`).
    pub fn new(lows: Vec<f64>, highs: Vec<f64>, d_obs: usize, bins: u64) -> Result<Self> {
        if lows.is_empty() || lows.len() != highs.len() || d_obs > lows.len() {
            return Err(EconomicsError::Shape {
                field: "coverage bounds",
                expected: format!(
                    "as many highs as lows, at least one, and at least d_obs = {d_obs}"
                ),
                got: format!("{} lows, {} highs", lows.len(), highs.len()),
            });
        }
        for (low, high) in lows.iter().zip(&highs) {
            crate::error::finite("coverage low bound", *low)?;
            crate::error::finite("coverage high bound", *high)?;
            if low >= high {
                return Err(EconomicsError::OutOfRange {
                    field: "coverage high bound",
                    expected: "> the feature's low bound",
                    value: *high,
                });
            }
        }
        let bins =
            u32::try_from(bins)
                .ok()
                .filter(|b| *b >= 1)
                .ok_or(EconomicsError::OutOfRange {
                    field: "coverage_bins",
                    expected: "in 1..=4294967295",
                    value: bins as f64,
                })?;
        Ok(Self {
            lows,
            highs,
            bins,
            d_obs,
            counts: HashMap::new(),
            total_steps: 0,
        })
    }

    /// Features per step (`d_obs + d_action`).
    pub fn d_features(&self) -> usize {
        self.lows.len()
    }

    /// Bins occupied so far.
    pub fn occupied_bins(&self) -> usize {
        self.counts.len()
    }

    /// Steps counted so far.
    pub fn total_steps(&self) -> u64 {
        self.total_steps
    }

    /// Count of the bin holding this step.
    pub fn count(&self, observation: &[f32], action: &[f32]) -> Result<u64> {
        let key = self.bin_of(observation, action)?;
        Ok(self.counts.get(&key).copied().unwrap_or(0))
    }

    /// Coverage novelty of a datapoint without counting it: the mean over
    /// its steps of `1 / (count(bin) + 1)`, in (0, 1].
    pub fn novelty(&self, trajectory: &Trajectory<'_>) -> Result<f64> {
        let mut sum = 0.0;
        for (obs, action) in trajectory.steps() {
            let count = self.count(obs, action)?;
            sum += 1.0 / (count as f64 + 1.0);
        }
        Ok(sum / trajectory.n_steps() as f64)
    }

    /// Counts every step of a datapoint.
    pub fn insert(&mut self, trajectory: &Trajectory<'_>) -> Result<()> {
        // Bin every step before counting any, so a bad step changes nothing.
        let keys = trajectory
            .steps()
            .map(|(obs, action)| self.bin_of(obs, action))
            .collect::<Result<Vec<_>>>()?;
        for key in keys {
            *self.counts.entry(key).or_insert(0) += 1;
        }
        self.total_steps += trajectory.n_steps() as u64;
        Ok(())
    }

    /// Values a datapoint: its [`novelty`](Self::novelty), then counts it.
    pub fn value(&mut self, trajectory: &Trajectory<'_>) -> Result<f64> {
        let novelty = self.novelty(trajectory)?;
        self.insert(trajectory)?;
        Ok(novelty)
    }

    fn bin_of(&self, observation: &[f32], action: &[f32]) -> Result<Box<[u32]>> {
        if observation.len() != self.d_obs || observation.len() + action.len() != self.lows.len() {
            return Err(EconomicsError::Shape {
                field: "coverage step",
                expected: format!(
                    "{} observation and {} action values (the bounds given)",
                    self.d_obs,
                    self.lows.len() - self.d_obs
                ),
                got: format!("{} and {}", observation.len(), action.len()),
            });
        }
        let last = self.bins - 1;
        observation
            .iter()
            .chain(action)
            .zip(self.lows.iter().zip(&self.highs))
            .map(|(x, (low, high))| {
                let x = crate::error::finite("coverage step value", f64::from(*x))?;
                let t = (x - low) / (high - low) * f64::from(self.bins);
                // Saturating float-to-int cast: below range is bin 0.
                Ok((t.floor() as u32).min(last))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram() -> CoverageHistogram {
        // One observation feature in [0, 1), one action feature in [-1, 1).
        CoverageHistogram::new(vec![0.0, -1.0], vec![1.0, 1.0], 1, 4).unwrap()
    }

    #[test]
    fn unseen_bins_score_one_and_repeats_score_one_over_count_plus_one() {
        let mut h = histogram();
        let obs = [0.1_f32, 0.1, 0.9];
        let act = [0.0_f32, 0.0, 0.0];
        let t = Trajectory::new(&obs, 1, &act, 1).unwrap();
        // Against an empty histogram every step is new, own repeats included.
        assert_eq!(h.value(&t).unwrap(), 1.0);
        assert_eq!(h.occupied_bins(), 2);
        // Now bin (0, 2) holds 2 and bin (3, 2) holds 1: (1/3 + 1/3 + 1/2) / 3.
        let want = (1.0 / 3.0 + 1.0 / 3.0 + 0.5) / 3.0;
        assert!((h.novelty(&t).unwrap() - want).abs() < 1e-12);
    }

    #[test]
    fn values_outside_the_bounds_go_to_the_edge_bins() {
        let mut h = histogram();
        let t = Trajectory::new(&[-5.0], 1, &[0.99], 1).unwrap();
        h.insert(&t).unwrap();
        assert_eq!(h.count(&[0.0], &[10.0]).unwrap(), 1);
        assert_eq!(h.count(&[0.3], &[10.0]).unwrap(), 0);
    }

    #[test]
    fn wrong_shapes_and_bad_bounds_are_errors_that_count_nothing() {
        let mut h = histogram();
        let t = Trajectory::new(&[0.1, 0.2], 2, &[0.0], 1).unwrap();
        assert!(matches!(h.insert(&t), Err(EconomicsError::Shape { .. })));
        assert_eq!(h.total_steps(), 0);
        assert!(CoverageHistogram::new(vec![1.0], vec![1.0], 1, 4).is_err());
        assert!(CoverageHistogram::new(vec![0.0], vec![1.0], 1, 0).is_err());
        assert!(CoverageHistogram::new(vec![0.0], vec![f64::NAN], 1, 4).is_err());
    }
}
