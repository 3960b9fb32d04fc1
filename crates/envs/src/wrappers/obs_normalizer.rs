//! Observation normalisation statistics shared by the single-env wrapper
//! and the vector env: `clip((x − mean) / sqrt(var + ε), −c, c)`.

use super::running_mean_std::RunningMeanStd;
use crate::Result;
use serde::{Deserialize, Serialize};

/// Settings of observation normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ObsNormConfig {
    /// Added to the variance under the square root. Default `1e-8`.
    pub epsilon: f64,
    /// Normalised values are clipped to `[-clip, clip]`. Default 10
    /// (SB3's `VecNormalize`, CleanRL's `clip(-10, 10)`).
    pub clip: f64,
}

impl Default for ObsNormConfig {
    fn default() -> Self {
        Self {
            epsilon: 1e-8,
            clip: 10.0,
        }
    }
}

/// Running observation statistics and the transform they define. Updates
/// only while `training` is on; freeze it for evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct ObsNormalizer {
    rms: RunningMeanStd,
    config: ObsNormConfig,
    training: bool,
}

impl ObsNormalizer {
    /// Fresh statistics for `d_obs`-element observations, training on.
    pub fn new(d_obs: usize, config: ObsNormConfig) -> Self {
        Self {
            rms: RunningMeanStd::new(d_obs),
            config,
            training: true,
        }
    }

    /// Whether `update` changes the statistics.
    pub fn training(&self) -> bool {
        self.training
    }

    /// Turns updating on (training) or off (evaluation).
    pub fn set_training(&mut self, training: bool) {
        self.training = training;
    }

    /// The settings.
    pub fn config(&self) -> ObsNormConfig {
        self.config
    }

    /// The statistics, for checkpoints.
    pub fn state(&self) -> &RunningMeanStd {
        &self.rms
    }

    /// Restores statistics saved by [`state`](Self::state); refuses ones of
    /// another dimension or with non-finite values.
    pub fn set_state(&mut self, state: RunningMeanStd) -> Result<()> {
        state.validate(self.rms.dim())?;
        self.rms = state;
        Ok(())
    }

    /// Folds a batch of raw observations (row-major) into the statistics,
    /// if training.
    pub fn update(&mut self, rows: &[f32]) -> Result<()> {
        if self.training {
            self.rms.update(rows)
        } else {
            Ok(())
        }
    }

    /// Normalises observations (one or many rows) in place.
    pub fn normalize(&self, rows: &mut [f32]) {
        let d = self.rms.dim().max(1);
        let clip = self.config.clip;
        for row in rows.chunks_mut(d) {
            for ((x, m), v) in row.iter_mut().zip(&self.rms.mean).zip(&self.rms.var) {
                *x = ((f64::from(*x) - m) / (v + self.config.epsilon).sqrt()).clamp(-clip, clip)
                    as f32;
            }
        }
    }
}
