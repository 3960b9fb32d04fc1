//! The rolling estimator of a datapoint's productivity gain (SPEC §6):
//! a window of (novelty, causal gain, realized ΔMPL) rows, a Bayesian ridge
//! fit on it, the interval mean ± z·std, κ, value per hour and tier.

use super::bayesian_ridge::{BayesianRidge, BayesianRidgeConfig};
use super::kappa::kappa;
use super::normal_quantile::two_sided_z;
use super::tier_stats::TierStats;
use super::tier_thresholds::TierThresholds;
use crate::DataValuationConfig;
use crate::error::{EconomicsError, Result, finite, open_unit, positive};
use serde::Serialize;
use std::collections::VecDeque;

/// One observed datapoint: its two scores and the gain it realized.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ValuationRow {
    /// Novelty score (embedding or coverage novelty).
    pub novelty: f64,
    /// Causal gain (information gain or prediction-error reduction).
    pub causal_gain: f64,
    /// Measured ΔMPL, units per hour.
    pub realized_mpl: f64,
}

/// What the estimator says about one datapoint.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueEstimate {
    /// E[ΔMPL], clipped at 0 (units/hour). 0 before `min_samples` rows.
    pub mean: f64,
    /// Predictive standard deviation, noise included. 0 before a fit.
    pub std: f64,
    /// Lower bound mean − z·std, clipped at 0.
    pub lower: f64,
    /// Upper bound mean + z·std, clipped at 0.
    pub upper: f64,
    /// κ = lower/mean in [kappa_floor, 1]; the floor when the mean is 0.
    pub kappa: f64,
    /// Tier 0, 1 or 2 of the mean.
    pub tier: u8,
    /// `p·κ·E[ΔMPL]`, dollars per robot-hour; `None` without a price.
    pub value_per_hour: Option<f64>,
    /// The fit behind the numbers; `None` before `min_samples` rows.
    pub fit: Option<BayesianRidge>,
}

/// A rolling window of [`ValuationRow`]s and the settings of
/// `data_valuation:` that turn it into a [`ValueEstimate`].
#[derive(Debug, Clone)]
pub struct ValueEstimator {
    lookback_window: usize,
    min_samples: usize,
    z: f64,
    kappa_floor: f64,
    thresholds: TierThresholds,
    model: BayesianRidgeConfig,
    rows: VecDeque<ValuationRow>,
}

impl ValueEstimator {
    /// An empty estimator. Checks the section's ranges (window and
    /// min_samples `>= 1`, confidence in (0, 1), floor in (0, 1], tier
    /// thresholds in order).
    pub fn new(config: &DataValuationConfig) -> Result<Self> {
        let window = usize::try_from(config.lookback_window).unwrap_or(usize::MAX);
        let min_samples = usize::try_from(config.min_samples).unwrap_or(usize::MAX);
        if window == 0 {
            return Err(EconomicsError::OutOfRange {
                field: "lookback_window",
                expected: ">= 1",
                value: 0.0,
            });
        }
        if min_samples == 0 || min_samples > window {
            return Err(EconomicsError::OutOfRange {
                field: "min_samples",
                expected: ">= 1 and <= lookback_window",
                value: min_samples as f64,
            });
        }
        open_unit("confidence_level", config.confidence_level)?;
        kappa(0.0, 0.0, config.kappa_floor)?;
        Ok(Self {
            lookback_window: window,
            min_samples,
            z: two_sided_z(config.confidence_level)?,
            kappa_floor: config.kappa_floor,
            thresholds: TierThresholds::new(config.tier0_threshold, config.tier1_threshold)?,
            model: BayesianRidgeConfig::default(),
            rows: VecDeque::new(),
        })
    }

    /// z of the two-sided interval (1.2816 for 0.80).
    pub fn z(&self) -> f64 {
        self.z
    }

    /// The tier thresholds in use.
    pub fn thresholds(&self) -> TierThresholds {
        self.thresholds
    }

    /// Rows in the window.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the window is empty.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds a row, dropping the oldest beyond `lookback_window`.
    pub fn push(&mut self, row: ValuationRow) -> Result<()> {
        finite("novelty", row.novelty)?;
        finite("causal_gain", row.causal_gain)?;
        finite("realized_mpl", row.realized_mpl)?;
        self.rows.push_back(row);
        while self.rows.len() > self.lookback_window {
            self.rows.pop_front();
        }
        Ok(())
    }

    /// The Bayesian ridge fit on the window; `None` before `min_samples`.
    pub fn fit(&self) -> Result<Option<BayesianRidge>> {
        if self.rows.len() < self.min_samples {
            return Ok(None);
        }
        let x: Vec<[f64; 2]> = self
            .rows
            .iter()
            .map(|r| [r.novelty, r.causal_gain])
            .collect();
        let y: Vec<f64> = self.rows.iter().map(|r| r.realized_mpl).collect();
        self.model.fit(&x, &y).map(Some)
    }

    /// Values a datapoint with scores `(novelty, causal_gain)`.
    /// `price_per_unit` (`p`, > 0) gives the value per hour.
    pub fn estimate(
        &self,
        novelty: f64,
        causal_gain: f64,
        price_per_unit: Option<f64>,
    ) -> Result<ValueEstimate> {
        finite("novelty", novelty)?;
        finite("causal_gain", causal_gain)?;
        if let Some(p) = price_per_unit {
            positive("price_per_unit", p)?;
        }
        let fit = self.fit()?;
        let (mean, std, lower, upper, kappa) =
            self.interval_under(fit.as_ref(), novelty, causal_gain)?;
        Ok(ValueEstimate {
            mean,
            std,
            lower,
            upper,
            kappa,
            tier: self.thresholds.tier_of(mean),
            value_per_hour: price_per_unit.map(|p| p * kappa * mean),
            fit,
        })
    }

    /// `(mean, std, lower, upper, κ)` of a datapoint under `fit` (a
    /// [`fit`](Self::fit) of this estimator, `None` before `min_samples`
    /// rows), without refitting: what [`estimate`](Self::estimate) computes,
    /// for callers that value many datapoints against one window.
    pub fn interval_under(
        &self,
        fit: Option<&BayesianRidge>,
        novelty: f64,
        causal_gain: f64,
    ) -> Result<(f64, f64, f64, f64, f64)> {
        finite("novelty", novelty)?;
        finite("causal_gain", causal_gain)?;
        let (raw_mean, std) = match fit {
            Some(model) => model.predict(&[novelty, causal_gain])?,
            None => (0.0, 0.0),
        };
        // `f64::max` would turn a NaN mean into 0: refuse it instead.
        if !(raw_mean.is_finite() && std.is_finite()) {
            return Err(EconomicsError::Fit {
                message: format!(
                    "prediction at ({novelty}, {causal_gain}) is mean {raw_mean}, std {std}: \
                     expected finite numbers (are the history's magnitudes extreme?)"
                ),
            });
        }
        let mean = raw_mean.max(0.0);
        let lower = (raw_mean - self.z * std).max(0.0);
        let upper = (raw_mean + self.z * std).max(0.0);
        let kappa = kappa(mean, lower, self.kappa_floor)?;
        Ok((mean, std, lower, upper, kappa))
    }

    /// Tier statistics of the window: each row tiered by the fit's clipped
    /// in-sample prediction, against its realized ΔMPL. `None` before a fit.
    pub fn tier_stats(&self, fit: &BayesianRidge) -> Result<TierStats> {
        let mut triples = Vec::with_capacity(self.rows.len());
        for r in &self.rows {
            let (mean, _) = fit.predict(&[r.novelty, r.causal_gain])?;
            let mean = mean.max(0.0);
            triples.push((self.thresholds.tier_of(mean), mean, r.realized_mpl));
        }
        Ok(TierStats::from_triples(triples))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: usize) -> ValuationRow {
        let novelty = (i % 7) as f64 / 7.0;
        let causal_gain = (i % 5) as f64 / 2.0;
        ValuationRow {
            novelty,
            causal_gain,
            realized_mpl: 0.5 + novelty + 2.0 * causal_gain + 0.1 * ((i * 37 % 11) as f64 - 5.0),
        }
    }

    #[test]
    fn estimate_is_zero_before_min_samples() {
        let mut est = ValueEstimator::new(&DataValuationConfig::default()).unwrap();
        for i in 0..9 {
            est.push(row(i)).unwrap();
        }
        let e = est.estimate(0.5, 1.0, Some(0.3)).unwrap();
        assert_eq!((e.mean, e.lower, e.upper), (0.0, 0.0, 0.0));
        assert_eq!(e.kappa, 0.25);
        assert_eq!(e.tier, 0);
        assert_eq!(e.value_per_hour, Some(0.0));
        assert!(e.fit.is_none());
    }

    #[test]
    fn estimate_interval_is_mean_plus_minus_z_std_and_kappa_lower_over_mean() {
        let mut est = ValueEstimator::new(&DataValuationConfig::default()).unwrap();
        for i in 0..30 {
            est.push(row(i)).unwrap();
        }
        let e = est.estimate(0.5, 2.0, Some(0.3)).unwrap();
        assert!(e.fit.is_some());
        let z = est.z();
        assert!((e.lower - (e.mean - z * e.std)).abs() < 1e-12);
        assert!((e.upper - (e.mean + z * e.std)).abs() < 1e-12);
        assert!((e.kappa - (e.lower / e.mean).max(0.25)).abs() < 1e-12);
        assert_eq!(e.tier, 2);
        assert!((e.value_per_hour.unwrap() - 0.3 * e.kappa * e.mean).abs() < 1e-12);
    }

    #[test]
    fn negative_predictions_are_clipped_at_zero() {
        let mut est = ValueEstimator::new(&DataValuationConfig::default()).unwrap();
        for i in 0..30 {
            est.push(row(i)).unwrap();
        }
        let e = est.estimate(-10.0, -10.0, None).unwrap();
        assert_eq!((e.mean, e.lower, e.upper), (0.0, 0.0, 0.0));
        assert_eq!(e.kappa, 0.25);
        assert_eq!(e.value_per_hour, None);
    }

    #[test]
    fn window_keeps_the_latest_lookback_rows() {
        let config = DataValuationConfig {
            lookback_window: 12,
            ..DataValuationConfig::default()
        };
        let mut est = ValueEstimator::new(&config).unwrap();
        for i in 0..40 {
            est.push(row(i)).unwrap();
        }
        assert_eq!(est.len(), 12);
        let fit = est.fit().unwrap().unwrap();
        let mut fresh = ValueEstimator::new(&config).unwrap();
        for i in 28..40 {
            fresh.push(row(i)).unwrap();
        }
        assert_eq!(fresh.fit().unwrap().unwrap(), fit);
        let stats = est.tier_stats(&fit).unwrap();
        assert_eq!(stats.tiers.iter().map(|t| t.count).sum::<usize>(), 12);
    }

    proptest::proptest! {
        #[test]
        fn interval_brackets_the_mean_and_kappa_stays_in_its_range(
            rows in proptest::collection::vec((0.0..1.0f64, 0.0..3.0f64, -2.0..10.0f64), 0..40),
            novelty in -1.0..2.0f64,
            causal_gain in -1.0..4.0f64,
        ) {
            let mut est = ValueEstimator::new(&DataValuationConfig::default()).unwrap();
            for (n, g, r) in rows {
                est.push(ValuationRow { novelty: n, causal_gain: g, realized_mpl: r }).unwrap();
            }
            let e = est.estimate(novelty, causal_gain, Some(0.3)).unwrap();
            proptest::prop_assert!(0.0 <= e.lower && e.lower <= e.mean && e.mean <= e.upper);
            proptest::prop_assert!((0.25..=1.0).contains(&e.kappa));
            proptest::prop_assert_eq!(e.tier, est.thresholds().tier_of(e.mean));
            proptest::prop_assert!(e.value_per_hour.unwrap() >= 0.0);
        }
    }

    #[test]
    fn extreme_history_is_an_error_not_a_silent_zero() {
        let mut est = ValueEstimator::new(&DataValuationConfig::default()).unwrap();
        for i in 0..12 {
            let mut r = row(i);
            r.realized_mpl *= 1e300;
            r.novelty *= 1e300;
            est.push(r).unwrap();
        }
        assert!(est.estimate(1e300, 1.0, None).is_err());
    }

    #[test]
    fn estimator_refuses_thresholds_out_of_order_and_non_finite_rows() {
        let config = DataValuationConfig {
            tier0_threshold: 3.0,
            tier1_threshold: 0.5,
            ..DataValuationConfig::default()
        };
        assert!(ValueEstimator::new(&config).is_err());
        let mut est = ValueEstimator::new(&DataValuationConfig::default()).unwrap();
        let mut bad = row(0);
        bad.realized_mpl = f64::INFINITY;
        assert!(est.push(bad).is_err());
        assert!(est.is_empty());
    }
}
