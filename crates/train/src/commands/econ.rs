//! `vp econ ...`: economics tools over task configs and run logs.

use super::econ_analyze_data_value::AnalyzeDataValueArgs;
use super::econ_compare_tiers::CompareTiersArgs;
use super::econ_estimate::EstimateArgs;
use super::econ_metrics::MetricsArgs;
use super::econ_plot_convergence::PlotConvergenceArgs;
use super::econ_pricing_simulator::PricingSimulatorArgs;
use super::econ_quote::QuoteArgs;
use super::econ_quotes::QuotesArgs;
use super::econ_reconcile_premiums::ReconcilePremiumsArgs;
use super::econ_report::ReportArgs;
use super::econ_true_up::TrueUpArgs;
use super::econ_wage::WageArgs;
use anyhow::Result;
use clap::{Args, Subcommand};
use std::process::ExitCode;

/// Economics: metrics, wages, plots and reports of runs; data valuation,
/// premium quotes, true-ups and their reconciliation.
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
    /// A datapoint's expected ΔMPL, interval, κ, tier and value per hour (SPEC §6).
    Estimate(EstimateArgs),
    /// Quote a data premium (withheld) or discount (shared); --log keeps it.
    Quote(QuoteArgs),
    /// List a quote log; --check verifies it.
    Quotes(QuotesArgs),
    /// True up a logged quote against the measured ΔMPL.
    TrueUp(TrueUpArgs),
    /// Reconcile premiums against true-ups per period and tier.
    ReconcilePremiums(ReconcilePremiumsArgs),
    /// Report on a data-value log: tier shares, Spearman ρ, MAE, monotonicity.
    AnalyzeDataValue(AnalyzeDataValueArgs),
    /// Simulate premiums, sharing discounts and MP_r at a sharing rate (or --sweep).
    PricingSimulator(PricingSimulatorArgs),
    /// Compare tier-threshold strategies on held-out predictions.
    CompareTiers(CompareTiersArgs),
}

impl EconArgs {
    /// Runs the chosen economics command.
    pub fn run(self) -> Result<ExitCode> {
        match self.command {
            EconCommand::Metrics(args) => args.run(),
            EconCommand::Wage(args) => args.run(),
            EconCommand::PlotConvergence(args) => args.run(),
            EconCommand::Report(args) => args.run(),
            EconCommand::Estimate(args) => args.run(),
            EconCommand::Quote(args) => args.run(),
            EconCommand::Quotes(args) => args.run(),
            EconCommand::TrueUp(args) => args.run(),
            EconCommand::ReconcilePremiums(args) => args.run(),
            EconCommand::AnalyzeDataValue(args) => args.run(),
            EconCommand::PricingSimulator(args) => args.run(),
            EconCommand::CompareTiers(args) => args.run(),
        }
    }
}
