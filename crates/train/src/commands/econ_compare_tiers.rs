//! `vp econ compare-tiers`: the config's tier thresholds against terciles,
//! fixed ratios of the mean and a single tier, on held-out (prequential)
//! predictions, by tier shares, realized ΔMPL per tier, monotonicity,
//! revenue and premium error (SPEC §6; `economics::compare_tier_strategies`).

use super::econ_valuation_flags::{flag_error, load_task_config};
use crate::out::outln;
use anyhow::{Context, Result};
use clap::Args;
use economics::{
    DatapointModelConfig, StrategyReport, TierStrategy, compare_tier_strategies, label_prequential,
    read_valuation_history, strategies_csv, strategies_markdown, synthetic_rows, write_atomic,
};
use runs::{ChartPanel, ChartSeries, PanelChart, SeriesStyle};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// The PNG written beside the table.
const PLOT_FILE: &str = "compare_tiers.png";

/// Compare tier-threshold strategies on labelled datapoints.
#[derive(Debug, Args)]
pub struct CompareTiersArgs {
    /// Task config: the thresholds, κ's floor, the estimator's window, the
    /// price and the horizon.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Folder for compare_tiers.csv, compare_tiers.md and compare_tiers.png
    /// (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Seed of the generated datapoints (without --history).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Labelled datapoints to generate (without --history), after the
    /// min_samples rows the estimator needs first.
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub datapoints: usize,
    /// Use a history CSV (novelty,causal_gain,realized_mpl, oldest first)
    /// instead of generated datapoints.
    #[arg(long, value_name = "FILE.csv")]
    pub history: Option<PathBuf>,
    /// Print the reports as JSON.
    #[arg(long)]
    pub json: bool,
}

impl CompareTiersArgs {
    /// Labels the datapoints, compares, then writes the table and plot.
    pub fn run(self) -> Result<ExitCode> {
        let task = load_task_config(Some(&self.config))?.context("--config")?;
        let (rows, source) = match &self.history {
            Some(path) => (
                read_valuation_history(path).context("reading --history")?,
                format!("history {}", path.display()),
            ),
            None => {
                let warm_up = usize::try_from(task.data_valuation.min_samples).unwrap_or(0);
                (
                    synthetic_rows(
                        &DatapointModelConfig::default(),
                        self.datapoints.saturating_add(warm_up),
                        self.seed,
                    )
                    .map_err(flag_error)?,
                    format!("generated, seed {}", self.seed),
                )
            }
        };
        let labelled = label_prequential(&task, &rows).map_err(flag_error)?;
        let reports = compare_tier_strategies(&task, &labelled)
            .map_err(flag_error)
            .with_context(|| format!("{} rows from {source}", rows.len()))?;
        let png = chart(&reports).render_png()?;
        let csv = strategies_csv(&reports);
        let md = strategies_markdown(&reports, &source, Some(PLOT_FILE));
        // Everything is computed: only now touch the disk.
        std::fs::create_dir_all(&self.out)
            .with_context(|| format!("creating --out {}", self.out.display()))?;
        write_atomic(&self.out.join("compare_tiers.csv"), &csv)?;
        write_atomic(&self.out.join("compare_tiers.md"), &md)?;
        runs::write_atomically(&self.out.join(PLOT_FILE), &png)?;
        if self.json {
            outln!(
                "{}",
                json!({ "source": source, "datapoints": labelled.len(), "strategies": reports })
            );
        } else {
            for r in &reports {
                outln!(
                    "{:<12} shares {:.3}/{:.3}/{:.3}  realized ΔMPL {}  premiums ${:.2}  after true-ups ${:.2}  mean |error| ${:.2}",
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
            outln!("{}", self.out.join("compare_tiers.md").display());
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn chart(reports: &[StrategyReport]) -> PanelChart {
    let n = reports.len() as f64;
    let width = 0.8 / n;
    let by_tier = reports
        .iter()
        .enumerate()
        .map(|(i, r)| ChartSeries {
            name: r.strategy.as_str().to_owned(),
            style: SeriesStyle::Bars {
                width,
                offset: (i as f64 - (n - 1.0) / 2.0) * width,
            },
            points: r
                .tier_stats
                .tiers
                .iter()
                .filter_map(|t| Some((f64::from(t.tier), t.mean_realized?)))
                .collect(),
        })
        .collect();
    let errors = vec![ChartSeries {
        name: "mean |P_t − P_realized|".to_owned(),
        style: SeriesStyle::Bars {
            width: 0.6,
            offset: 0.0,
        },
        points: reports
            .iter()
            .enumerate()
            .map(|(i, r)| (i as f64, r.mean_abs_premium_error))
            .collect(),
    }];
    PanelChart::new(vec![
        ChartPanel {
            title: "Mean realized ΔMPL by tier".into(),
            x_desc: "tier".into(),
            y_desc: "units per hour".into(),
            categories: vec!["0".into(), "1".into(), "2".into()],
            integer_x: false,
            series: by_tier,
        },
        ChartPanel {
            title: "Premium error per datapoint".into(),
            x_desc: "strategy".into(),
            y_desc: "dollars".into(),
            categories: TierStrategy::ALL
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            integer_x: false,
            series: errors,
        },
    ])
}
