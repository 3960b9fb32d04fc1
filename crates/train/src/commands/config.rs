//! `vp config ...`: task config tools.

use crate::out::outln;
use anyhow::Result;
use clap::{Args, Subcommand};
use economics::TaskConfig;
use std::path::{Path, PathBuf};
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
                let env = check_env_section(&config, &args.file)?;
                outln!("{}: ok: {}; {env}", args.file.display(), config.summary());
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}

/// Checks the `env:` section with the parser of the task's simulator (owned
/// by the envs crate), so a file is only reported valid when every section
/// its run would read is.
fn check_env_section(config: &TaskConfig, file: &Path) -> Result<String> {
    let name = config.task.name.as_str();
    if !envs::labour_task_ids().contains(&name) {
        return Ok("env not checked (no simulator for this task name)".to_owned());
    }
    let text = std::fs::read_to_string(file)?;
    envs::make_task(name, &text, &file.display().to_string())?;
    Ok(format!("env checked ({name})"))
}
