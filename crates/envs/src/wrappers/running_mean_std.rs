//! Running mean and variance over batches (Chan et al.'s parallel merge), as
//! Gymnasium's and SB3's `RunningMeanStd`: mean 0, variance 1 and count
//! `1e-4` to start.

use crate::{EnvError, Result};
use serde::{Deserialize, Serialize};

/// Per-element running mean, (population) variance and sample count. The
/// whole struct is the checkpointable state (serde).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningMeanStd {
    /// Mean per element.
    pub mean: Vec<f64>,
    /// Variance per element.
    pub var: Vec<f64>,
    /// Number of samples seen (starts at `1e-4`, Gymnasium's epsilon).
    pub count: f64,
}

impl RunningMeanStd {
    /// Statistics for vectors of `dim` elements.
    pub fn new(dim: usize) -> Self {
        Self {
            mean: vec![0.0; dim],
            var: vec![1.0; dim],
            count: 1e-4,
        }
    }

    /// Elements per sample.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Folds in a batch of samples laid out row-major, `dim` values per row.
    /// A batch whose length is not a multiple of `dim`, or holds a
    /// non-finite value, is refused and changes nothing.
    pub fn update<T: Copy + Into<f64>>(&mut self, rows: &[T]) -> Result<()> {
        let dim = self.dim();
        if dim == 0 || rows.is_empty() {
            return Ok(());
        }
        if !rows.len().is_multiple_of(dim) {
            return Err(EnvError::NormalizerState {
                message: format!(
                    "batch of {} values is not a multiple of dimension {dim}",
                    rows.len()
                ),
            });
        }
        if !rows.iter().all(|v| (*v).into().is_finite()) {
            return Err(EnvError::NormalizerState {
                message: "batch holds a non-finite value".to_string(),
            });
        }
        let n = rows.len() / dim;
        let mut batch_mean = vec![0.0; dim];
        for row in rows.chunks_exact(dim) {
            for (m, v) in batch_mean.iter_mut().zip(row) {
                *m += (*v).into();
            }
        }
        batch_mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut batch_var = vec![0.0; dim];
        for row in rows.chunks_exact(dim) {
            for ((s, v), m) in batch_var.iter_mut().zip(row).zip(&batch_mean) {
                let d = (*v).into() - m;
                *s += d * d;
            }
        }
        batch_var.iter_mut().for_each(|s| *s /= n as f64);
        self.update_from_moments(&batch_mean, &batch_var, n as f64);
        Ok(())
    }

    /// Chan's parallel merge with a batch summarised by its moments.
    pub fn update_from_moments(&mut self, batch_mean: &[f64], batch_var: &[f64], batch_count: f64) {
        let tot = self.count + batch_count;
        for i in 0..self.dim() {
            let delta = batch_mean[i] - self.mean[i];
            let m_a = self.var[i] * self.count;
            let m_b = batch_var[i] * batch_count;
            let m2 = m_a + m_b + delta * delta * self.count * batch_count / tot;
            self.mean[i] += delta * batch_count / tot;
            self.var[i] = m2 / tot;
        }
        self.count = tot;
    }

    /// Checks a state loaded from a checkpoint: the given dimension, finite
    /// means, finite non-negative variances, positive count.
    pub fn validate(&self, dim: usize) -> Result<()> {
        let bad = |message: String| Err(EnvError::NormalizerState { message });
        if self.mean.len() != dim || self.var.len() != dim {
            return bad(format!(
                "expected dimension {dim}, got mean {} and var {}",
                self.mean.len(),
                self.var.len()
            ));
        }
        if !self.mean.iter().all(|m| m.is_finite()) {
            return bad("non-finite mean".to_string());
        }
        if !self.var.iter().all(|v| v.is_finite() && *v >= 0.0) {
            return bad("variance must be finite and non-negative".to_string());
        }
        if !(self.count.is_finite() && self.count > 0.0) {
            return bad(format!(
                "count must be positive and finite, got {}",
                self.count
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_mean_std_merges_batches_like_one_big_batch() {
        let data: Vec<f64> = (0..60).map(|i| ((i * 37) % 11) as f64 - 3.5).collect();
        let mut whole = RunningMeanStd::new(2);
        whole.update(&data).expect("update");
        let mut parts = RunningMeanStd::new(2);
        for chunk in data.chunks(6) {
            parts.update(chunk).expect("update");
        }
        for i in 0..2 {
            assert!((whole.mean[i] - parts.mean[i]).abs() < 1e-9);
            assert!((whole.var[i] - parts.var[i]).abs() < 1e-9);
        }
        // Against the direct formula (the 1e-4 prior count barely matters).
        let col: Vec<f64> = data.iter().step_by(2).copied().collect();
        let mean = col.iter().sum::<f64>() / col.len() as f64;
        let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / col.len() as f64;
        assert!((whole.mean[0] - mean).abs() < 1e-4);
        assert!((whole.var[0] - var).abs() < 1e-3);
    }

    #[test]
    fn running_mean_std_refuses_ragged_or_non_finite_batches() {
        let mut r = RunningMeanStd::new(2);
        assert!(r.update(&[1.0_f32, 2.0, 3.0]).is_err());
        assert!(r.update(&[1.0_f32, f32::NAN]).is_err());
        assert_eq!(r, RunningMeanStd::new(2));
        let mut bad = RunningMeanStd::new(2);
        bad.var[0] = -1.0;
        assert!(bad.validate(2).is_err());
        assert!(RunningMeanStd::new(3).validate(2).is_err());
    }
}
