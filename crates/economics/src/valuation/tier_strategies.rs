//! Tier-threshold strategies compared on labelled datapoints
//! (`vp econ compare-tiers`, SPEC §6: thresholds are validated on held-out
//! data, realized ΔMPL must rise with tier).
//!
//! The labelled set is prequential: each datapoint is valued by a
//! [`ValueEstimator`] fitted on the rows before it only (its window), then
//! its realized ΔMPL joins the window; datapoints met before `min_samples`
//! rows (no fit) are left out. Rows come from a history file or from the
//! generative [`DatapointModelConfig`] (pool 0: fresh data).
//!
//! Each [`TierStrategy`] sets two thresholds on predicted E[ΔMPL]. A tier
//! is priced as one pooled datapoint: `κ_t = κ(Ē_t, L̄_t)` (mean E and mean
//! lower bound of the tier, clipped to [kappa_floor, 1]) and every
//! datapoint in it is quoted `P_t = p·κ_t·Ē_t·H`; its true-up settles at
//! `P_r = p·κ_t·r·H`. The premium error of a datapoint is `|P_t − P_r|`,
//! the size of its true-up.

use super::tier_stats::TierStats;
use super::value_estimator::{ValuationRow, ValueEstimator};
use crate::error::{EconomicsError, Result};
use crate::{DatapointModelConfig, TaskConfig, kappa, premium};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Multiples of the mean predicted gain the fixed-ratio strategy puts its
/// thresholds at: tier 0 below 0.5·Ē, tier 2 from 1.5·Ē.
pub const FIXED_RATIOS: [f64; 2] = [0.5, 1.5];

/// A datapoint with its prediction and its measured gain.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LabelledDatapoint {
    /// E[ΔMPL] predicted before the datapoint was seen, units/hour.
    pub expected: f64,
    /// Lower bound of the interval, units/hour.
    pub lower: f64,
    /// Realized ΔMPL, units/hour.
    pub realized: f64,
}

/// How the two tier thresholds are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TierStrategy {
    /// The config's `tier0_threshold` and `tier1_threshold`.
    Config,
    /// Terciles of the predicted gains (linear interpolation, as numpy).
    Quantile,
    /// [`FIXED_RATIOS`] times the mean predicted gain.
    FixedRatio,
    /// One tier (tier 0) for everything: one flat premium.
    SingleTier,
}

impl TierStrategy {
    /// Every strategy, in report order.
    pub const ALL: [TierStrategy; 4] = [
        TierStrategy::Config,
        TierStrategy::Quantile,
        TierStrategy::FixedRatio,
        TierStrategy::SingleTier,
    ];

    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            TierStrategy::Config => "config",
            TierStrategy::Quantile => "quantile",
            TierStrategy::FixedRatio => "fixed_ratio",
            TierStrategy::SingleTier => "single_tier",
        }
    }

    /// The thresholds `(tier0, tier1)` over `expected` gains; `None` for
    /// the single tier.
    pub fn thresholds(self, task: &TaskConfig, expected: &[f64]) -> Option<(f64, f64)> {
        match self {
            TierStrategy::Config => Some((
                task.data_valuation.tier0_threshold,
                task.data_valuation.tier1_threshold,
            )),
            TierStrategy::Quantile => {
                let mut sorted = expected.to_vec();
                sorted.sort_by(f64::total_cmp);
                Some((quantile(&sorted, 1.0 / 3.0), quantile(&sorted, 2.0 / 3.0)))
            }
            TierStrategy::FixedRatio => {
                let mean = expected.iter().sum::<f64>() / expected.len().max(1) as f64;
                Some((FIXED_RATIOS[0] * mean, FIXED_RATIOS[1] * mean))
            }
            TierStrategy::SingleTier => None,
        }
    }
}

/// The `q`-quantile of sorted values by linear interpolation (numpy's
/// default); 0 for no values.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return 0.0;
    };
    let pos = q.clamp(0.0, 1.0) * last as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(last);
    sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Whether realized ΔMPL rises with the tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Monotonicity {
    /// Every non-empty tier realizes more on average than the one below.
    Rises,
    /// Somewhere it does not; one sentence per break.
    Breaks(Vec<String>),
    /// Fewer than two non-empty tiers: nothing to compare.
    Undetermined,
}

impl Monotonicity {
    /// The verdict of tier statistics.
    pub fn of(stats: &TierStats) -> Self {
        if stats.tiers.iter().filter(|t| t.count > 0).count() < 2 {
            return Monotonicity::Undetermined;
        }
        let breaks = stats.monotonicity_breaks();
        if breaks.is_empty() {
            Monotonicity::Rises
        } else {
            Monotonicity::Breaks(breaks)
        }
    }

    /// One word: `rises`, `breaks` or `undetermined`.
    pub fn verdict(&self) -> &'static str {
        match self {
            Monotonicity::Rises => "rises",
            Monotonicity::Breaks(_) => "breaks",
            Monotonicity::Undetermined => "undetermined",
        }
    }
}

/// One strategy's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyReport {
    /// The strategy.
    pub strategy: TierStrategy,
    /// Its thresholds; `None` for the single tier.
    pub thresholds: Option<(f64, f64)>,
    /// Fraction of datapoints in tiers 0, 1, 2.
    pub shares: [f64; 3],
    /// Counts and mean expected/realized ΔMPL per tier.
    pub tier_stats: TierStats,
    /// Whether realized ΔMPL rises with tier.
    pub monotonicity: Monotonicity,
    /// `κ_t` of tiers 0, 1, 2 (`None` for an empty tier).
    pub tier_kappa: [Option<f64>; 3],
    /// `P_t` of tiers 0, 1, 2, dollars (`None` for an empty tier).
    pub tier_premium: [Option<f64>; 3],
    /// Σ `P_t` over datapoints: what the quotes bill, dollars.
    pub premium_revenue: f64,
    /// Σ `p·κ_t·r·H`: what the premiums settle at after true-ups, dollars.
    pub realized_revenue: f64,
    /// Mean `|P_t − p·κ_t·r·H|`, dollars per datapoint.
    pub mean_abs_premium_error: f64,
}

/// Labels datapoints prequentially: each row is valued by the estimator
/// fitted on the rows before it, then joins the window. Rows before
/// `min_samples` are left out.
pub fn label_prequential(
    task: &TaskConfig,
    rows: &[ValuationRow],
) -> Result<Vec<LabelledDatapoint>> {
    let mut estimator = ValueEstimator::new(&task.data_valuation)?;
    let mut labelled = Vec::with_capacity(rows.len());
    for row in rows {
        let fit = estimator.fit()?;
        if fit.is_some() {
            let (mean, _, lower, _, _) =
                estimator.interval_under(fit.as_ref(), row.novelty, row.causal_gain)?;
            labelled.push(LabelledDatapoint {
                expected: mean,
                lower,
                realized: row.realized_mpl,
            });
        }
        estimator.push(*row)?;
    }
    Ok(labelled)
}

/// `n` rows of the generative model with fresh data (pool 0), seeded.
pub fn synthetic_rows(
    model: &DatapointModelConfig,
    n: usize,
    seed: u64,
) -> Result<Vec<ValuationRow>> {
    model.validate()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Ok((0..n)
        .map(|_| {
            let d = model.draw(&mut rng, 0);
            ValuationRow {
                novelty: d.novelty,
                causal_gain: d.causal_gain,
                realized_mpl: d.realized_mpl,
            }
        })
        .collect())
}

/// Compares [`TierStrategy::ALL`] on `points` under the task's pricing.
pub fn compare_tier_strategies(
    task: &TaskConfig,
    points: &[LabelledDatapoint],
) -> Result<Vec<StrategyReport>> {
    if points.is_empty() {
        return Err(EconomicsError::Shape {
            field: "labelled datapoints",
            expected: "at least one datapoint with a fitted prediction".to_owned(),
            got: "none (fewer rows than min_samples?)".to_owned(),
        });
    }
    let expected: Vec<f64> = points.iter().map(|d| d.expected).collect();
    TierStrategy::ALL
        .iter()
        .map(|&strategy| report(task, points, strategy, strategy.thresholds(task, &expected)))
        .collect()
}

fn report(
    task: &TaskConfig,
    points: &[LabelledDatapoint],
    strategy: TierStrategy,
    thresholds: Option<(f64, f64)>,
) -> Result<StrategyReport> {
    let p = task.task.price_per_unit;
    let horizon = task.pricing.horizon_hours;
    let floor = task.data_valuation.kappa_floor;
    let tier_of = |e: f64| match thresholds {
        None => 0u8,
        Some((t0, _)) if e < t0 => 0,
        Some((_, t1)) if e < t1 => 1,
        Some(_) => 2,
    };
    let tiers: Vec<u8> = points.iter().map(|d| tier_of(d.expected)).collect();
    let mut sums = [(0usize, 0.0f64, 0.0f64); 3];
    for (d, &t) in points.iter().zip(&tiers) {
        let s = &mut sums[usize::from(t)];
        s.0 += 1;
        s.1 += d.expected;
        s.2 += d.lower;
    }
    let mut tier_kappa = [None; 3];
    let mut tier_premium = [None; 3];
    for (t, &(count, e, l)) in sums.iter().enumerate() {
        if count > 0 {
            let (mean, lower) = (e / count as f64, l / count as f64);
            let k = kappa(mean, lower, floor)?;
            tier_kappa[t] = Some(k);
            tier_premium[t] = Some(premium(p, k, mean, horizon, 1.0));
        }
    }
    let (mut billed, mut realized, mut abs_err) = (0.0, 0.0, 0.0);
    for (d, &t) in points.iter().zip(&tiers) {
        let (k, quoted) = (
            tier_kappa[usize::from(t)].unwrap_or(floor),
            tier_premium[usize::from(t)].unwrap_or(0.0),
        );
        let settled = premium(p, k, d.realized, horizon, 1.0);
        billed += quoted;
        realized += settled;
        abs_err += (quoted - settled).abs();
    }
    let n = points.len() as f64;
    let tier_stats = TierStats::from_triples(
        points
            .iter()
            .zip(&tiers)
            .map(|(d, &t)| (t, d.expected, d.realized)),
    );
    Ok(StrategyReport {
        strategy,
        thresholds,
        shares: sums.map(|s| s.0 as f64 / n),
        monotonicity: Monotonicity::of(&tier_stats),
        tier_stats,
        tier_kappa,
        tier_premium,
        premium_revenue: billed,
        realized_revenue: realized,
        mean_abs_premium_error: abs_err / n,
    })
}

/// Columns of `compare_tiers.csv`, in order.
pub const STRATEGY_COLUMNS: [&str; 17] = [
    "strategy",
    "tier0_threshold",
    "tier1_threshold",
    "share_tier0",
    "share_tier1",
    "share_tier2",
    "mean_realized_tier0",
    "mean_realized_tier1",
    "mean_realized_tier2",
    "monotonicity",
    "premium_tier0",
    "premium_tier1",
    "premium_tier2",
    "premium_revenue",
    "realized_revenue",
    "mean_abs_premium_error",
    "datapoints",
];

/// The CSV text of the reports: one row per strategy; empty cells for
/// the single tier's thresholds and for empty tiers.
pub fn strategies_csv(reports: &[StrategyReport]) -> String {
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut text = STRATEGY_COLUMNS.join(",") + "\n";
    for r in reports {
        let cells = [
            r.strategy.as_str().to_owned(),
            opt(r.thresholds.map(|t| t.0)),
            opt(r.thresholds.map(|t| t.1)),
            r.shares[0].to_string(),
            r.shares[1].to_string(),
            r.shares[2].to_string(),
            opt(r.tier_stats.tiers[0].mean_realized),
            opt(r.tier_stats.tiers[1].mean_realized),
            opt(r.tier_stats.tiers[2].mean_realized),
            r.monotonicity.verdict().to_owned(),
            opt(r.tier_premium[0]),
            opt(r.tier_premium[1]),
            opt(r.tier_premium[2]),
            r.premium_revenue.to_string(),
            r.realized_revenue.to_string(),
            r.mean_abs_premium_error.to_string(),
            r.tier_stats
                .tiers
                .iter()
                .map(|t| t.count)
                .sum::<usize>()
                .to_string(),
        ];
        text += &(cells.join(",") + "\n");
    }
    text
}

/// A Markdown table of the reports, with the monotonicity breaks listed
/// under it; `source` says where the datapoints came from.
pub fn strategies_markdown(reports: &[StrategyReport], source: &str, plot: Option<&str>) -> String {
    let opt = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| format!("{v:.3}"));
    let n: usize = reports
        .first()
        .map_or(0, |r| r.tier_stats.tiers.iter().map(|t| t.count).sum());
    let mut md = format!(
        "# Tier strategies\n\n{n} labelled datapoints ({source}), each predicted before it \
         joined the estimator's window. A tier is quoted as one pooled datapoint \
         (P_t = p·κ_t·Ē_t·H); the error is |P_t − p·κ_t·realized·H|, the true-up.\n\n\
         | strategy | thresholds | shares (0/1/2) | mean realized ΔMPL (0/1/2) | rises with tier | \
         premiums ($) | after true-ups ($) | mean abs premium error ($) |\n\
         |---|---|---|---|---|---:|---:|---:|\n"
    );
    for r in reports {
        let thresholds = r
            .thresholds
            .map_or_else(|| "one tier".to_owned(), |(a, b)| format!("{a:.3}, {b:.3}"));
        let realized = r.tier_stats.tiers.map(|t| opt(t.mean_realized)).join(" / ");
        md += &format!(
            "| {} | {thresholds} | {:.3} / {:.3} / {:.3} | {realized} | {} | {:.2} | {:.2} | {:.2} |\n",
            r.strategy.as_str(),
            r.shares[0],
            r.shares[1],
            r.shares[2],
            r.monotonicity.verdict(),
            r.premium_revenue,
            r.realized_revenue,
            r.mean_abs_premium_error
        );
    }
    for r in reports {
        if let Monotonicity::Breaks(breaks) = &r.monotonicity {
            for b in breaks {
                md += &format!("\n- {}: {b}", r.strategy.as_str());
            }
            md += "\n";
        }
    }
    if let Some(plot) = plot {
        md += &format!("\n![Realized ΔMPL by tier and premium error by strategy]({plot})\n");
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task() -> TaskConfig {
        TaskConfig::from_yaml_str(
            "task:\n  name: t\n  occupation_code: 35-9021\n  price_per_unit: 0.30\n  \
             human_mp: 60\n  human_wage: 18.0\n  damage_cost: 1.0\n",
            "t.yaml",
        )
        .unwrap()
    }

    fn point(expected: f64, realized: f64) -> LabelledDatapoint {
        LabelledDatapoint {
            expected,
            lower: 0.8 * expected,
            realized,
        }
    }

    #[test]
    fn quantile_interpolates_like_numpy() {
        // numpy.quantile([1, 2, 3, 4], 1/3) = 2.0, ([1, 2, 3, 4], 0.5) = 2.5.
        assert!((quantile(&[1.0, 2.0, 3.0, 4.0], 1.0 / 3.0) - 2.0).abs() < 1e-12);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }

    #[test]
    fn hand_computed_config_strategy_prices_each_tier_as_a_pool() {
        // Config thresholds 0.5 and 3.0: tiers [0.2] [1, 2] [6].
        let points = [
            point(0.2, 0.1),
            point(1.0, 1.5),
            point(2.0, 1.5),
            point(6.0, 5.0),
        ];
        let reports = compare_tier_strategies(&task(), &points).unwrap();
        let config = &reports[0];
        assert_eq!(config.strategy, TierStrategy::Config);
        assert_eq!(config.shares, [0.25, 0.5, 0.25]);
        assert_eq!(config.monotonicity, Monotonicity::Rises);
        // Tier 1: Ē 1.5, L̄ 1.2, κ 0.8, P = 0.3·0.8·1.5·1000 = 360.
        assert!((config.tier_premium[1].unwrap() - 360.0).abs() < 1e-9);
        // Tier 2: κ 0.8, P = 0.3·0.8·6·1000 = 1440, settles at 1200.
        assert!((config.tier_premium[2].unwrap() - 1440.0).abs() < 1e-9);
        // Billed 48 + 360 + 360 + 1440; settled 24 + 360 + 360 + 1200.
        assert!((config.premium_revenue - 2208.0).abs() < 1e-9);
        assert!((config.realized_revenue - 1944.0).abs() < 1e-9);
        // Errors 24, 0, 0, 240 → mean 66.
        assert!((config.mean_abs_premium_error - 66.0).abs() < 1e-9);
        let single = &reports[3];
        assert_eq!(single.shares, [1.0, 0.0, 0.0]);
        assert_eq!(single.monotonicity, Monotonicity::Undetermined);
        // One pool: Ē 2.3, κ 0.8: P = 552 each, 2208 in all.
        assert!((single.premium_revenue - 2208.0).abs() < 1e-9);
        assert!(single.mean_abs_premium_error > config.mean_abs_premium_error);
        let csv = strategies_csv(&reports);
        // Cells are shortest round-trip floats (48.000000000000014 for 48).
        assert!(
            csv.contains("\nconfig,0.5,3,0.25,0.5,0.25,0.1,1.5,5,rises,48.0"),
            "{csv}"
        );
        assert!(csv.contains("\nquantile,1,2,0.25,0.25,0.5,"), "{csv}");
        assert!(csv.contains("\nsingle_tier,,,1,0,0,"), "{csv}");
        let md = strategies_markdown(&reports, "test", None);
        assert!(
            md.contains("| config | 0.500, 3.000 | 0.250 / 0.500 / 0.250 |"),
            "{md}"
        );
    }

    #[test]
    fn a_tier_realizing_less_than_the_one_below_breaks_monotonicity() {
        let points = [point(0.2, 2.0), point(1.0, 1.0), point(6.0, 5.0)];
        let reports = compare_tier_strategies(&task(), &points).unwrap();
        assert_eq!(reports[0].monotonicity.verdict(), "breaks");
    }

    #[test]
    fn prequential_labels_skip_rows_before_min_samples() {
        let rows = synthetic_rows(&DatapointModelConfig::default(), 30, 0).unwrap();
        let labelled = label_prequential(&task(), &rows).unwrap();
        assert_eq!(labelled.len(), 20);
        assert_eq!(labelled[0].realized, rows[10].realized_mpl);
        assert!(compare_tier_strategies(&task(), &[]).is_err());
    }
}
