//! `vp econ plot-convergence`: wage and productivity parity per episode with
//! the parity band, and the stacked reward terms, from a run's
//! `training_metrics.csv`, as a PNG.

use crate::out::outln;
use anyhow::{Result, ensure};
use clap::Args;
use runs::{ConvergencePlot, DEFAULT_DELTA, DEFAULT_EPSILON, MetricsTable};
use std::path::PathBuf;
use std::process::ExitCode;

/// Plot convergence to wage parity from a per-episode log.
#[derive(Debug, Args)]
pub struct PlotConvergenceArgs {
    /// The run's per-episode log, `RUN_DIR/training_metrics.csv`.
    #[arg(long, value_name = "CSV")]
    pub log: PathBuf,
    /// PNG file to write.
    #[arg(long, value_name = "PNG")]
    pub out: PathBuf,
    /// ε: productivity parity must reach 1 − ε (SPEC §2 default).
    #[arg(long, default_value_t = DEFAULT_EPSILON)]
    pub epsilon: f64,
    /// δ: wage parity must lie within 1 ± δ (SPEC §2 default).
    #[arg(long, default_value_t = DEFAULT_DELTA)]
    pub delta: f64,
    /// Image width in pixels.
    #[arg(long, default_value_t = 1200)]
    pub width: u32,
    /// Image height in pixels.
    #[arg(long, default_value_t = 900)]
    pub height: u32,
}

impl PlotConvergenceArgs {
    /// Reads the log, draws the plot, writes the PNG.
    pub fn run(self) -> Result<ExitCode> {
        ensure!(
            self.out
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("png")),
            "--out {}: expected a .png file name",
            self.out.display()
        );
        let plot = ConvergencePlot {
            width: self.width,
            height: self.height,
            epsilon: self.epsilon,
            delta: self.delta,
        };
        plot.validate()?;
        let log = MetricsTable::read(&self.log)?;
        plot.write_png(&log, &self.out)?;
        outln!("{}", self.out.display());
        Ok(ExitCode::SUCCESS)
    }
}
