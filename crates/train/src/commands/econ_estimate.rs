//! `vp econ estimate`: a datapoint's expected productivity gain, interval,
//! κ, tier and value per hour from a valuation history (SPEC §6).

use super::econ_valuation_flags::{flag_error, load_task_config};
use crate::out::outln;
use anyhow::{Context, Result};
use clap::Args;
use economics::{DataValuationConfig, ValueEstimator, read_valuation_history};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Value one datapoint with the rolling Bayesian-ridge estimator.
#[derive(Debug, Args)]
pub struct EstimateArgs {
    /// History CSV with columns novelty,causal_gain,realized_mpl (oldest
    /// first; the last --lookback-window rows are used).
    #[arg(long, value_name = "FILE.csv")]
    pub history: PathBuf,
    /// The datapoint's novelty score.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub novelty: f64,
    /// The datapoint's causal gain.
    #[arg(long, value_name = "Y", allow_negative_numbers = true)]
    pub causal_gain: f64,
    /// Task config whose data_valuation: section (and task price) gives the
    /// defaults of the options below.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Rows of history the fit uses (>= 1) [default: 100].
    #[arg(long, value_name = "N")]
    pub lookback_window: Option<u64>,
    /// No fit before this many rows; until then mean, lower and upper are 0
    /// [default: 10].
    #[arg(long, value_name = "N")]
    pub min_samples: Option<u64>,
    /// Two-sided confidence of the interval, in (0, 1) [default: 0.80].
    #[arg(long, value_name = "C", allow_negative_numbers = true)]
    pub confidence_level: Option<f64>,
    /// Floor of κ = lower/mean, in (0, 1] [default: 0.25].
    #[arg(long, value_name = "F", allow_negative_numbers = true)]
    pub kappa_floor: Option<f64>,
    /// Tier 0 below this E[ΔMPL] [default: 0.5].
    #[arg(long, value_name = "T0", allow_negative_numbers = true)]
    pub tier0_threshold: Option<f64>,
    /// Tier 1 below this, tier 2 from it on [default: 3.0].
    #[arg(long, value_name = "T1", allow_negative_numbers = true)]
    pub tier1_threshold: Option<f64>,
    /// p, dollars per unit, for the value per hour p·κ·E[ΔMPL] [default:
    /// the --config task's price; without either, value_per_hour is null].
    #[arg(long, value_name = "P", allow_negative_numbers = true)]
    pub price_per_unit: Option<f64>,
    /// Print one JSON object: mean, std, lower, upper, kappa, tier,
    /// value_per_hour, and the fit's coef, intercept, alpha, lambda, n_iter.
    #[arg(long)]
    pub json: bool,
}

impl EstimateArgs {
    /// Fits and prints the estimate.
    pub fn run(self) -> Result<ExitCode> {
        let task = load_task_config(self.config.as_deref())?;
        let base = task
            .as_ref()
            .map(|t| t.data_valuation.clone())
            .unwrap_or_default();
        let config = DataValuationConfig {
            lookback_window: self.lookback_window.unwrap_or(base.lookback_window),
            min_samples: self.min_samples.unwrap_or(base.min_samples),
            confidence_level: self.confidence_level.unwrap_or(base.confidence_level),
            kappa_floor: self.kappa_floor.unwrap_or(base.kappa_floor),
            tier0_threshold: self.tier0_threshold.unwrap_or(base.tier0_threshold),
            tier1_threshold: self.tier1_threshold.unwrap_or(base.tier1_threshold),
            ..base
        };
        let price = self
            .price_per_unit
            .or_else(|| task.as_ref().map(|t| t.task.price_per_unit));
        let mut estimator = ValueEstimator::new(&config).map_err(flag_error)?;
        let history = read_valuation_history(&self.history).context("reading --history")?;
        for row in &history {
            estimator.push(*row).map_err(flag_error)?;
        }
        let e = estimator
            .estimate(self.novelty, self.causal_gain, price)
            .map_err(flag_error)?;
        let tier_stats = match &e.fit {
            Some(fit) => Some(estimator.tier_stats(fit).map_err(flag_error)?),
            None => None,
        };
        if self.json {
            let fit = e.fit.as_ref();
            outln!(
                "{}",
                json!({
                    "mean": e.mean,
                    "std": e.std,
                    "lower": e.lower,
                    "upper": e.upper,
                    "kappa": e.kappa,
                    "tier": e.tier,
                    "value_per_hour": e.value_per_hour,
                    "coef": fit.map(|f| &f.coef),
                    "intercept": fit.map(|f| f.intercept),
                    "alpha": fit.map(|f| f.alpha),
                    "lambda": fit.map(|f| f.lambda),
                    "n_iter": fit.map(|f| f.n_iter),
                    "fitted": fit.is_some(),
                    "samples": estimator.len(),
                    "history_rows": history.len(),
                    "z": estimator.z(),
                    "confidence_level": config.confidence_level,
                    "tier_stats": tier_stats.as_ref().map(|s| &s.tiers),
                    "tier_monotonicity_breaks": tier_stats.as_ref().map(|s| s.monotonicity_breaks()),
                })
            );
            return Ok(ExitCode::SUCCESS);
        }
        outln!(
            "E[ΔMPL]         {:.4} units/h (std {:.4}, {}% interval [{:.4}, {:.4}], z {:.4})",
            e.mean,
            e.std,
            config.confidence_level * 100.0,
            e.lower,
            e.upper,
            estimator.z()
        );
        outln!("kappa           {:.4}", e.kappa);
        outln!("tier            {}", e.tier);
        match e.value_per_hour {
            Some(v) => outln!("value per hour  ${v:.4}/robot-hour"),
            None => outln!("value per hour  (give --price-per-unit or --config)"),
        }
        match &e.fit {
            Some(f) => outln!(
                "fit             {} rows: coef {:?}, intercept {:.4}, alpha {:.4}, lambda {:.4}, {} iterations",
                estimator.len(),
                f.coef,
                f.intercept,
                f.alpha,
                f.lambda,
                f.n_iter
            ),
            None => outln!(
                "fit             none: {} rows, fewer than min_samples {}",
                estimator.len(),
                config.min_samples
            ),
        }
        Ok(ExitCode::SUCCESS)
    }
}
