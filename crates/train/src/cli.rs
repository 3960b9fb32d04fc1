//! Clap derive types for `vp` and the dispatch to each command module.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Robot-labour RL training harness scored in economics.
#[derive(Debug, Parser)]
#[command(name = "vp", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Task configs: check a file strictly.
    Config(crate::commands::config::ConfigArgs),
    /// Economics: metrics, wages, plots and reports of runs.
    Econ(crate::commands::econ::EconArgs),
    /// Environments: list the registered ones, replay their dynamics.
    Env(crate::commands::env::EnvArgs),
    /// The exchange: credit ledger (init, transfer, balances, check, export)
    /// and ATP allocation.
    Exchange(crate::commands::exchange::ExchangeArgs),
    /// Train a policy (PPO) and log its run folder.
    Train(crate::commands::train_args::TrainArgs),
    /// Evaluate a saved policy: economics and return with 95% CIs.
    Evaluate(crate::commands::evaluate::EvaluateArgs),
}

impl Cli {
    /// Runs the chosen command; the exit code is the command's own.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            Command::Config(args) => args.run(),
            Command::Econ(args) => args.run(),
            Command::Env(args) => args.run(),
            Command::Exchange(args) => args.run(),
            Command::Train(args) => crate::commands::train::run(args),
            Command::Evaluate(args) => args.run(),
        }
    }
}
