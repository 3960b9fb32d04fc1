//! `vp econ analyze-data-value`: a report of a per-datapoint data-value
//! log (SPEC §6's columns): tier shares, predicted against realized ΔMPL
//! (Spearman ρ, MAE), value by tier and the tier-monotonicity verdict.
//! The log is read, checked and every file rendered before `--out` is
//! touched: bad input leaves nothing behind.

use crate::out::outln;
use anyhow::{Context, Result};
use clap::Args;
use economics::{DataValueAnalysis, DataValueRecord, read_data_value_log, write_atomic};
use runs::{ChartPanel, ChartSeries, PanelChart, SeriesStyle};
use std::path::PathBuf;
use std::process::ExitCode;

/// Analyse a data-value log.
#[derive(Debug, Args)]
pub struct AnalyzeDataValueArgs {
    /// The log (data_value.csv, as `vp econ reconcile-premiums` writes it).
    #[arg(long, value_name = "FILE.csv")]
    pub log: PathBuf,
    /// Folder for report.md, analysis.json and the plots (created if
    /// missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Print the analysis as JSON.
    #[arg(long)]
    pub json: bool,
}

impl AnalyzeDataValueArgs {
    /// Reads and checks the log, analyses it, then writes the report.
    pub fn run(self) -> Result<ExitCode> {
        let records = read_data_value_log(&self.log).context("reading --log")?;
        let analysis = DataValueAnalysis::new(&records);
        let plots = [
            ("tier_shares.png", "Tier shares", tier_shares(&analysis)),
            (
                "predicted_vs_realized.png",
                "Predicted against realized ΔMPL",
                predicted_vs_realized(&records),
            ),
            (
                "value_by_tier.png",
                "Value by tier",
                value_by_tier(&analysis),
            ),
        ];
        let mut rendered = Vec::with_capacity(plots.len());
        for (file, caption, chart) in &plots {
            rendered.push((*file, *caption, chart.render_png()?));
        }
        let captions: Vec<(&str, &str)> = rendered.iter().map(|(f, c, _)| (*f, *c)).collect();
        let md = analysis.markdown(&self.log.display().to_string(), &captions);
        let json = serde_json::to_string_pretty(&analysis)? + "\n";
        // Everything is read, checked and rendered: only now touch the disk.
        std::fs::create_dir_all(&self.out)
            .with_context(|| format!("creating --out {}", self.out.display()))?;
        for (file, _, png) in &rendered {
            runs::write_atomically(&self.out.join(file), png)?;
        }
        write_atomic(&self.out.join("analysis.json"), &json)?;
        write_atomic(&self.out.join("report.md"), &md)?;
        if self.json {
            outln!("{}", serde_json::to_string(&analysis)?);
        } else {
            let opt =
                |v: Option<f64>| v.map_or_else(|| "undefined".to_owned(), |v| format!("{v:.4}"));
            outln!(
                "{} datapoints, {} measured: Spearman ρ {}, MAE {} units/h, realized ΔMPL by tier {}",
                analysis.datapoints,
                analysis.with_realized,
                opt(analysis.spearman_rho),
                opt(analysis.mean_abs_error),
                analysis.monotonicity.verdict()
            );
            outln!("{}", self.out.join("report.md").display());
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn tiers() -> Vec<String> {
    vec!["0".into(), "1".into(), "2".into()]
}

fn bars(name: &str, width: f64, offset: f64, points: Vec<(f64, f64)>) -> ChartSeries {
    ChartSeries {
        name: name.to_owned(),
        style: SeriesStyle::Bars { width, offset },
        points,
    }
}

fn tier_shares(a: &DataValueAnalysis) -> PanelChart {
    PanelChart::new(vec![ChartPanel {
        title: "Share of datapoints by tier".into(),
        x_desc: "tier".into(),
        y_desc: "share".into(),
        categories: tiers(),
        integer_x: false,
        series: vec![bars(
            "share",
            0.6,
            0.0,
            a.tiers
                .iter()
                .map(|t| (f64::from(t.tier), t.share))
                .collect(),
        )],
    }])
}

fn predicted_vs_realized(records: &[DataValueRecord]) -> PanelChart {
    let points: Vec<(f64, f64)> = records
        .iter()
        .filter_map(|r| Some((r.expected_mpl_gain, r.realized_mpl_gain?)))
        .collect();
    let top = points
        .iter()
        .flat_map(|&(x, y)| [x, y])
        .fold(0.0f64, f64::max);
    PanelChart::new(vec![ChartPanel {
        title: "Predicted against realized ΔMPL".into(),
        x_desc: "predicted E[ΔMPL] (units/h)".into(),
        y_desc: "realized ΔMPL (units/h)".into(),
        categories: Vec::new(),
        integer_x: false,
        series: vec![
            ChartSeries {
                name: "datapoints".into(),
                style: SeriesStyle::Points,
                points,
            },
            ChartSeries {
                name: "realized = predicted".into(),
                style: SeriesStyle::Line,
                points: vec![(0.0, 0.0), (top, top)],
            },
        ],
    }])
}

fn value_by_tier(a: &DataValueAnalysis) -> PanelChart {
    let per_tier = |f: fn(&economics::TierValue) -> Option<f64>| -> Vec<(f64, f64)> {
        a.tiers
            .iter()
            .filter_map(|t| Some((f64::from(t.tier), f(t)?)))
            .collect()
    };
    PanelChart::new(vec![
        ChartPanel {
            title: "Mean ΔMPL by tier".into(),
            x_desc: "tier".into(),
            y_desc: "units per hour".into(),
            categories: tiers(),
            integer_x: false,
            series: vec![
                bars("mean predicted", 0.35, -0.2, per_tier(|t| t.mean_expected)),
                bars("mean realized", 0.35, 0.2, per_tier(|t| t.mean_realized)),
            ],
        },
        ChartPanel {
            title: "Premiums quoted by tier".into(),
            x_desc: "tier".into(),
            y_desc: "dollars".into(),
            categories: tiers(),
            integer_x: false,
            series: vec![bars(
                "premiums",
                0.6,
                0.0,
                per_tier(|t| Some(t.premium_total)),
            )],
        },
    ])
}
