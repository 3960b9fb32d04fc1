//! `vp econ ...`: economics tools over task configs and run logs.

use super::econ_metrics::MetricsArgs;
use super::econ_plot_convergence::PlotConvergenceArgs;
use super::econ_report::ReportArgs;
use super::econ_wage::WageArgs;
use anyhow::Result;
use clap::{Args, Subcommand};
use std::process::ExitCode;

/// Economics: metrics, wages, plots and reports of runs.
#[derive(Debug, Args)]
pub struct EconArgs {
    #[command(subcommand)]
    command: EconCommand,
}

#[derive(Debug, Subcommand)]
enum EconCommand {
    /// MP_r, e, robot wage ŵ_r, productivity and wage parity (SPEC §2).
    Metrics(MetricsArgs),
    /// National OEWS hourly wage of an occupation (shipped table or --oews FILE).
    Wage(WageArgs),
    /// Plot wage and productivity parity and the reward terms per episode.
    PlotConvergence(PlotConvergenceArgs),
    /// Write a Markdown report of a run (economics, final evaluation, plot).
    Report(ReportArgs),
}

impl EconArgs {
    /// Runs the chosen economics command.
    pub fn run(self) -> Result<ExitCode> {
        match self.command {
            EconCommand::Metrics(args) => args.run(),
            EconCommand::Wage(args) => args.run(),
            EconCommand::PlotConvergence(args) => args.run(),
            EconCommand::Report(args) => args.run(),
        }
    }
}
