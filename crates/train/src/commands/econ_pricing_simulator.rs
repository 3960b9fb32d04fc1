//! `vp econ pricing-simulator`: premiums against sharing discounts and the
//! learner's MP_r over simulated episodes, at one sharing rate or swept
//! over 0..1 (SPEC §6; the model is `economics::PricingSimulator`'s).

use super::econ_valuation_flags::{flag_error, load_task_config};
use crate::out::outln;
use anyhow::{Context, Result, bail};
use clap::Args;
use economics::{
    PricingSimulator, PricingSimulatorConfig, SimulationEpisode, SweepRow, simulation_csv,
    sweep_csv, write_atomic,
};
use runs::{ChartPanel, ChartSeries, PanelChart, SeriesStyle};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Simulate premiums, sharing discounts and MP_r growth.
#[derive(Debug, Args)]
pub struct PricingSimulatorArgs {
    /// Task config: price, MP_h, horizon, sharing discount and the
    /// data_valuation: section.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Probability that a customer shares its data, in [0, 1] (ignored
    /// with --sweep).
    #[arg(
        long,
        value_name = "R",
        allow_negative_numbers = true,
        required_unless_present = "sweep"
    )]
    pub data_sharing_rate: Option<f64>,
    /// Episodes to simulate (>= 1).
    #[arg(long, value_name = "N")]
    pub episodes: u64,
    /// CSV to write (one row per episode, or per rate with --sweep); the
    /// plot goes beside it with the extension .png.
    #[arg(long, value_name = "FILE.csv")]
    pub out: PathBuf,
    /// Seed of the simulation.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Customers (>= 1).
    #[arg(long, value_name = "C", default_value_t = 20)]
    pub customers: u32,
    /// Datapoints each customer contributes per episode (>= 1).
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub datapoints_per_episode: u32,
    /// Run the rates 0, 1/K, …, 1 and write one summary row per rate.
    #[arg(long, value_name = "K")]
    pub sweep: Option<u32>,
    /// Print the rows as JSON.
    #[arg(long)]
    pub json: bool,
}

impl PricingSimulatorArgs {
    /// Simulates, then writes the CSV and the plot.
    pub fn run(self) -> Result<ExitCode> {
        let task = load_task_config(Some(&self.config))?.context("--config")?;
        let rate = match (self.sweep, self.data_sharing_rate) {
            (Some(_), r) => r.unwrap_or(0.0),
            (None, Some(r)) => r,
            (None, None) => bail!("give --data-sharing-rate R (in [0, 1]) or --sweep K"),
        };
        let config = PricingSimulatorConfig {
            customers: self.customers,
            episodes: self.episodes,
            data_sharing_rate: rate,
            seed: self.seed,
            datapoints_per_episode: self.datapoints_per_episode,
            ..PricingSimulatorConfig::default()
        };
        let png = self.out.with_extension("png");
        ensure_csv_path(&self.out)?;
        let create_parent = || -> Result<()> {
            match self.out.parent().filter(|p| !p.as_os_str().is_empty()) {
                Some(parent) => std::fs::create_dir_all(parent).with_context(|| {
                    format!("creating the folder of --out {}", self.out.display())
                }),
                None => Ok(()),
            }
        };
        match self.sweep {
            Some(k) => {
                let rows = PricingSimulator::sweep(&task, config, k).map_err(flag_error)?;
                let plot = sweep_chart(&rows).render_png()?;
                create_parent()?;
                write_atomic(&self.out, &sweep_csv(&rows))?;
                runs::write_atomically(&png, &plot)?;
                if self.json {
                    outln!("{}", json!({ "rows": rows, "csv": self.out, "plot": png }));
                } else {
                    for r in &rows {
                        outln!(
                            "R {:.3}: {:>2} of {} customers share; revenue ${:.2} (premiums ${:.2}, discounts ${:.2}); MP_r {:.2} → {:.2}",
                            r.sharing_rate,
                            r.sharing_customers,
                            self.customers,
                            r.total_revenue,
                            r.premium_revenue,
                            r.discount_cost,
                            r.initial_mp_r,
                            r.final_mp_r
                        );
                    }
                }
            }
            None => {
                let rows = PricingSimulator::new(&task, config)
                    .map_err(flag_error)?
                    .run()
                    .map_err(flag_error)?;
                let plot = episode_chart(&rows).render_png()?;
                create_parent()?;
                write_atomic(&self.out, &simulation_csv(&rows))?;
                runs::write_atomically(&png, &plot)?;
                if self.json {
                    outln!("{}", json!({ "rows": rows, "csv": self.out, "plot": png }));
                } else if let Some(last) = rows.last() {
                    outln!(
                        "{} episodes at R {}: revenue ${:.2}, MP_r {:.2} units/h ({:.3} of MP_h)",
                        rows.len(),
                        rate,
                        last.cumulative_revenue,
                        last.mp_r,
                        last.mp_r / task.task.human_mp
                    );
                }
            }
        }
        if !self.json {
            outln!("{}", self.out.display());
            outln!("{}", png.display());
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `--out` must name a .csv file, so the plot beside it cannot overwrite it.
fn ensure_csv_path(out: &Path) -> Result<()> {
    if !out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        bail!("--out {}: expected a .csv file name", out.display());
    }
    Ok(())
}

fn line(name: &str, points: Vec<(f64, f64)>) -> ChartSeries {
    ChartSeries {
        name: name.to_owned(),
        style: SeriesStyle::Line,
        points,
    }
}

fn episode_chart(rows: &[SimulationEpisode]) -> PanelChart {
    let series = |f: fn(&SimulationEpisode) -> f64| -> Vec<(f64, f64)> {
        rows.iter().map(|r| (r.episode as f64, f(r))).collect()
    };
    PanelChart::new(vec![
        ChartPanel {
            title: "Revenue per episode".into(),
            x_desc: "episode".into(),
            y_desc: "dollars".into(),
            series: vec![
                line("premium revenue", series(|r| r.premium_revenue)),
                line("sharing discounts", series(|r| r.discount_cost)),
                line("net revenue", series(|r| r.net_revenue)),
            ],
            integer_x: true,
            ..ChartPanel::default()
        },
        ChartPanel {
            title: "Cumulative net revenue".into(),
            x_desc: "episode".into(),
            y_desc: "dollars".into(),
            series: vec![line(
                "cumulative net revenue",
                series(|r| r.cumulative_revenue),
            )],
            integer_x: true,
            ..ChartPanel::default()
        },
        ChartPanel {
            title: "Learner's MP_r".into(),
            x_desc: "episode".into(),
            y_desc: "units per hour".into(),
            series: vec![line("MP_r", series(|r| r.mp_r))],
            integer_x: true,
            ..ChartPanel::default()
        },
    ])
}

fn sweep_chart(rows: &[SweepRow]) -> PanelChart {
    let series = |f: fn(&SweepRow) -> f64| -> Vec<(f64, f64)> {
        rows.iter().map(|r| (r.sharing_rate, f(r))).collect()
    };
    PanelChart::new(vec![
        ChartPanel {
            title: "Revenue over the run by sharing rate".into(),
            x_desc: "data sharing rate".into(),
            y_desc: "dollars".into(),
            series: vec![
                line("premium revenue", series(|r| r.premium_revenue)),
                line("sharing discounts", series(|r| r.discount_cost)),
                line("net revenue", series(|r| r.total_revenue)),
            ],
            ..ChartPanel::default()
        },
        ChartPanel {
            title: "Final MP_r by sharing rate".into(),
            x_desc: "data sharing rate".into(),
            y_desc: "units per hour".into(),
            series: vec![line("final MP_r", series(|r| r.final_mp_r))],
            ..ChartPanel::default()
        },
    ])
}
