//! `MinMaxNormalizer`: per-feature affine maps of observations and actions
//! to [-1, 1] from the data's minimum and maximum, as diffusion_policy's
//! `LinearNormalizer` in its `limits` mode. The chunked models work in
//! these units ([`crate::ChunkModel`]); the statistics are saved in the
//! checkpoint so evaluation normalises exactly as training did.

use serde::{Deserialize, Serialize};

use crate::{PolicyError, Result};

/// A feature whose range in the data is below this is constant: it keeps
/// unit scale and is only centred (dividing by a near-zero range would
/// turn a deviation the data never showed into a huge input; the
/// dishwashing expert never yaws, so its yaw features are constant).
pub const CONSTANT_FEATURE_RANGE: f32 = 1e-4;

/// `y = x · scale + offset` per feature, fitted so the data's minimum maps
/// to -1 and its maximum to +1. Ignored features map to 0 whatever their
/// value (an [`crate::ObservationMask`] in normalised units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinMaxNormalizer {
    /// Smallest value of each feature in the data.
    pub min: Vec<f32>,
    /// Largest value of each feature in the data.
    pub max: Vec<f32>,
    /// Features mapped to 0 (never read by the model).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<usize>,
}

impl MinMaxNormalizer {
    /// Fits the limits of `data`, rows of `dim` features. Empty data or
    /// a non-finite value is a [`PolicyError::Dataset`] error.
    pub fn fit(data: &[f32], dim: usize) -> Result<Self> {
        if dim == 0 || data.is_empty() || !data.len().is_multiple_of(dim) {
            return Err(PolicyError::Dataset(format!(
                "normaliser: {} values do not form rows of {dim} features",
                data.len()
            )));
        }
        if data.iter().any(|v| !v.is_finite()) {
            return Err(PolicyError::NonFinite("normaliser data".to_owned()));
        }
        let mut min = vec![f32::INFINITY; dim];
        let mut max = vec![f32::NEG_INFINITY; dim];
        for row in data.chunks_exact(dim) {
            for (k, &v) in row.iter().enumerate() {
                min[k] = min[k].min(v);
                max[k] = max[k].max(v);
            }
        }
        Ok(Self {
            min,
            max,
            ignored: Vec::new(),
        })
    }

    /// The same limits with `features` mapped to 0; a feature outside
    /// `0..dim` is an error naming `field`.
    pub fn ignoring(mut self, features: &[usize], field: &str) -> Result<Self> {
        if let Some(bad) = features.iter().find(|&&i| i >= self.dim()) {
            return Err(PolicyError::config(
                field,
                format!("feature {bad} outside 0..{}", self.dim()),
            ));
        }
        self.ignored = features.to_vec();
        self.ignored.sort_unstable();
        self.ignored.dedup();
        Ok(self)
    }

    /// Features per row.
    pub fn dim(&self) -> usize {
        self.min.len()
    }

    /// Checks the statistics read from a checkpoint: `dim` features,
    /// finite, `min ≤ max`, ignored features in range.
    pub fn check(&self, dim: usize, what: &str) -> Result<()> {
        let bad = |m: String| {
            Err(PolicyError::ParamMismatch(format!(
                "{what} normaliser: {m}"
            )))
        };
        if self.min.len() != dim || self.max.len() != dim {
            return bad(format!(
                "{} / {} limits, the env has {dim} features",
                self.min.len(),
                self.max.len()
            ));
        }
        if self
            .min
            .iter()
            .zip(&self.max)
            .any(|(lo, hi)| !lo.is_finite() || !hi.is_finite() || lo > hi)
        {
            return bad("limits are not finite with min ≤ max".to_owned());
        }
        if self.ignored.iter().any(|&i| i >= dim) {
            return bad("an ignored feature is out of range".to_owned());
        }
        Ok(())
    }

    /// `(scale, offset)` of feature `k`.
    fn affine(&self, k: usize) -> (f32, f32) {
        if self.ignored.binary_search(&k).is_ok() {
            return (0.0, 0.0);
        }
        let (lo, hi) = (self.min[k], self.max[k]);
        let range = hi - lo;
        if range < CONSTANT_FEATURE_RANGE {
            (1.0, -(lo + hi) / 2.0)
        } else {
            let scale = 2.0 / range;
            (scale, -1.0 - lo * scale)
        }
    }

    /// Normalises rows of [`MinMaxNormalizer::dim`] features in place.
    pub fn normalize(&self, x: &mut [f32]) {
        let d = self.dim();
        let affine: Vec<(f32, f32)> = (0..d).map(|k| self.affine(k)).collect();
        for row in x.chunks_exact_mut(d) {
            for (v, (scale, offset)) in row.iter_mut().zip(&affine) {
                *v = *v * scale + offset;
            }
        }
    }

    /// Inverts [`MinMaxNormalizer::normalize`] in place (an ignored
    /// feature comes back as the middle of its range).
    pub fn unnormalize(&self, y: &mut [f32]) {
        let d = self.dim();
        for row in y.chunks_exact_mut(d) {
            for (k, v) in row.iter_mut().enumerate() {
                let (scale, offset) = self.affine(k);
                *v = if scale == 0.0 {
                    (self.min[k] + self.max[k]) / 2.0
                } else {
                    (*v - offset) / scale
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normaliser_maps_the_limits_to_plus_minus_one_and_round_trips() {
        let data = [0.0, 10.0, -2.0, 20.0, 1.0, 15.0];
        let n = MinMaxNormalizer::fit(&data, 2).expect("fits");
        assert_eq!(n.min, vec![-2.0, 10.0]);
        assert_eq!(n.max, vec![1.0, 20.0]);
        let mut x = data;
        n.normalize(&mut x);
        let want = [1.0 / 3.0, -1.0, -1.0, 1.0, 1.0, 0.0];
        for (a, b) in x.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{x:?}");
        }
        n.unnormalize(&mut x);
        for (a, b) in x.iter().zip(data) {
            assert!((a - b).abs() < 1e-5, "{x:?}");
        }
    }

    #[test]
    fn a_constant_feature_is_centred_at_unit_scale() {
        let data = [3.0, 0.0, 3.0, 1.0];
        let n = MinMaxNormalizer::fit(&data, 2).expect("fits");
        let mut x = [3.0, 0.5, 3.25, 1.0];
        n.normalize(&mut x);
        assert_eq!(x, [0.0, 0.0, 0.25, 1.0]);
        n.unnormalize(&mut x);
        assert_eq!(x, [3.0, 0.5, 3.25, 1.0]);
    }

    #[test]
    fn ignored_features_map_to_zero_and_bad_ones_name_the_field() {
        let n = MinMaxNormalizer::fit(&[0.0, 1.0, 2.0, 3.0], 2)
            .expect("fits")
            .ignoring(&[1], "chunk.ignore_observations")
            .expect("in range");
        let mut x = [2.0, 7.0];
        n.normalize(&mut x);
        assert_eq!(x, [1.0, 0.0]);
        let err = MinMaxNormalizer::fit(&[0.0, 1.0], 2)
            .expect("fits")
            .ignoring(&[2], "chunk.ignore_observations")
            .expect_err("out of range");
        assert!(
            err.to_string().contains("chunk.ignore_observations"),
            "{err}"
        );
    }

    #[test]
    fn empty_or_non_finite_data_is_refused() {
        assert!(MinMaxNormalizer::fit(&[], 2).is_err());
        assert!(MinMaxNormalizer::fit(&[1.0, f32::NAN], 2).is_err());
        assert!(MinMaxNormalizer::fit(&[1.0, 2.0, 3.0], 2).is_err());
    }
}
