//! `vp econ report`: a short Markdown report of one run (task economics,
//! final evaluation, end of training, convergence plot).

use crate::out::outln;
use anyhow::Result;
use clap::Args;
use runs::{ConvergencePlot, DEFAULT_DELTA, DEFAULT_EPSILON, RunDir, RunReport};
use std::path::PathBuf;
use std::process::ExitCode;

/// Write a Markdown report of a run.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The run folder (`runs/<env>__<algo>__<seed>__<timestamp>`).
    #[arg(long, value_name = "RUN_DIR")]
    pub run: PathBuf,
    /// Folder to write `report.md` and `convergence.png` into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// ε: productivity parity must reach 1 − ε [default: the run config's
    /// `convergence.epsilon`, else 0.05].
    #[arg(long)]
    pub epsilon: Option<f64>,
    /// δ: wage parity must lie within 1 ± δ [default: the run config's
    /// `convergence.delta`, else 0.10].
    #[arg(long)]
    pub delta: Option<f64>,
}

impl ReportArgs {
    /// Reads the run and writes the report.
    pub fn run(self) -> Result<ExitCode> {
        let run = RunDir::open(&self.run)?;
        let config: serde_json::Value = run.load_config()?;
        let from_config = |key: &str| config.get("convergence")?.get(key)?.as_f64();
        let plot = ConvergencePlot {
            epsilon: self
                .epsilon
                .or_else(|| from_config("epsilon"))
                .unwrap_or(DEFAULT_EPSILON),
            delta: self
                .delta
                .or_else(|| from_config("delta"))
                .unwrap_or(DEFAULT_DELTA),
            ..ConvergencePlot::default()
        };
        let report = RunReport::load(run, plot)?.write(&self.out)?;
        outln!("{}", report.display());
        Ok(ExitCode::SUCCESS)
    }
}
