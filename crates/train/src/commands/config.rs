//! `vp config ...`: task config tools.

use anyhow::Result;
use clap::{Args, Subcommand};
use economics::TaskConfig;
use std::path::PathBuf;
use std::process::ExitCode;

/// Task configs: check a file strictly.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Parse and check a task config; exit 0 with a one-line summary when
    /// valid, exit 2 with the error (file:line:column: key.path: expected …).
    Check(CheckArgs),
}

/// Arguments of `vp config check`.
#[derive(Debug, Args)]
struct CheckArgs {
    /// The task config, e.g. `configs/dishwashing.yaml`.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

impl ConfigArgs {
    /// Runs the chosen config command.
    pub fn run(self) -> Result<ExitCode> {
        match self.command {
            ConfigCommand::Check(args) => {
                let config = TaskConfig::from_path(&args.file)?;
                println!("{}: ok: {}", args.file.display(), config.summary());
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}
