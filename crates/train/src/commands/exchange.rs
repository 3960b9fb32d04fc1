//! `vp exchange ...`: the credit ledger of SPEC §7 (init, transfer,
//! balances, check, export), the MRH attention allocation, and population
//! runs under the ATP scheduler.

use super::exchange_allocate::AllocateArgs;
use super::exchange_balances::BalancesArgs;
use super::exchange_check::CheckArgs;
use super::exchange_dashboard::DashboardArgs;
use super::exchange_export::ExportArgs;
use super::exchange_init::InitArgs;
use super::exchange_run::RunArgs;
use super::exchange_transfer::TransferArgs;
use anyhow::Result;
use clap::{Args, Subcommand};
use std::process::ExitCode;

/// The exchange: credit ledger and ATP attention.
#[derive(Debug, Args)]
pub struct ExchangeArgs {
    #[command(subcommand)]
    command: ExchangeCommand,
}

#[derive(Debug, Subcommand)]
enum ExchangeCommand {
    /// Create an exchange folder with an empty ledger (or a PostgreSQL schema).
    Init(InitArgs),
    /// Apply one ledger transaction (a retry with the same id applies once).
    Transfer(TransferArgs),
    /// Every account's balances and lifetime figures, and the totals.
    Balances(BalancesArgs),
    /// Integrity check: replay equals the stored balances, credits conserved.
    Check(CheckArgs),
    /// Write the ledger in the seed's folder layout.
    Export(ExportArgs),
    /// ATP allocation of a metabolic state and a horizon profile.
    Allocate(AllocateArgs),
    /// Train a population of experts under the ATP scheduler (or equal
    /// shares, or successive halving).
    Run(RunArgs),
    /// Live view of the exchange: circulation, volume, inflation, top experts, recent signals.
    Dashboard(DashboardArgs),
}

impl ExchangeArgs {
    /// Runs the chosen exchange command.
    pub fn run(self) -> Result<ExitCode> {
        match self.command {
            ExchangeCommand::Init(args) => args.run(),
            ExchangeCommand::Transfer(args) => args.run(),
            ExchangeCommand::Balances(args) => args.run(),
            ExchangeCommand::Check(args) => args.run(),
            ExchangeCommand::Export(args) => args.run(),
            ExchangeCommand::Allocate(args) => args.run(),
            ExchangeCommand::Run(args) => args.run(),
            ExchangeCommand::Dashboard(args) => args.run(),
        }
    }
}
