//! `vp econ metrics`: SPEC §2's layer-1 metrics from rates given on the
//! command line.

use crate::out::outln;
use anyhow::{Context, Result};
use clap::Args;
use economics::{EpisodeMetrics, TaskEconomics};
use std::process::ExitCode;

/// Compute MP_r, e, the robot wage and the two parities.
#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// p: dollars per completed unit (> 0).
    #[arg(long, value_name = "P", allow_negative_numbers = true)]
    pub price_per_unit: f64,
    /// MP_h: units per hour a human produces (> 0).
    #[arg(long, value_name = "M", allow_negative_numbers = true)]
    pub human_mp: f64,
    /// w_h: human wage, dollars per hour (> 0).
    #[arg(long, value_name = "W", allow_negative_numbers = true)]
    pub human_wage: f64,
    /// c_d: dollars per error (>= 0).
    #[arg(long, value_name = "C", allow_negative_numbers = true)]
    pub damage_cost: f64,
    /// MP_r: units per hour the robot produces (>= 0).
    #[arg(long, value_name = "R", allow_negative_numbers = true)]
    pub robot_mp: f64,
    /// e: errors per attempt (>= 0).
    #[arg(long, value_name = "E", allow_negative_numbers = true)]
    pub error_rate: f64,
    /// Print one JSON object with keys mp_r, error_rate, robot_wage,
    /// productivity_parity, wage_parity.
    #[arg(long)]
    pub json: bool,
}

impl MetricsArgs {
    /// Computes and prints the metrics.
    pub fn run(self) -> Result<ExitCode> {
        let task = TaskEconomics::new(
            self.price_per_unit,
            self.human_mp,
            self.human_wage,
            self.damage_cost,
        )
        .context("invalid task economics")?;
        let m = EpisodeMetrics::from_rates(&task, self.robot_mp, self.error_rate)
            .context("invalid robot rates")?;
        if self.json {
            outln!("{}", serde_json::to_string(&m)?);
        } else {
            outln!("MP_r                 {} units/h", m.mp_r);
            outln!("e                    {}", m.error_rate);
            outln!("robot wage (ŵ_r)     ${:.2}/h", m.robot_wage);
            outln!("productivity parity  {}", m.productivity_parity);
            outln!("wage parity          {}", m.wage_parity);
        }
        Ok(ExitCode::SUCCESS)
    }
}
