//! `vp econ reconcile-premiums`: the reconciliation report of a quote log
//! per period and tier, and SPEC §6's per-datapoint CSV.

use super::econ_valuation_flags::load_task_config;
use crate::out::outln;
use anyhow::{Context, Result};
use clap::Args;
use economics::{QuoteLog, Reconciliation, write_atomic, write_data_value_csv};
use std::path::PathBuf;
use std::process::ExitCode;

/// Reconcile premiums against true-ups per period and tier.
#[derive(Debug, Args)]
pub struct ReconcilePremiumsArgs {
    /// The quote log.
    #[arg(long, value_name = "DB")]
    pub log: PathBuf,
    /// Folder for reconciliation.csv, reconciliation.json and
    /// data_value.csv (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Days per period (>= 1) [default: 90, or --config's
    /// pricing.reconciliation_period_days].
    #[arg(long, value_name = "N")]
    pub period_days: Option<u64>,
    /// Task config for the default period.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print the overall lines as JSON.
    #[arg(long)]
    pub json: bool,
}

impl ReconcilePremiumsArgs {
    /// Reads the log, then writes the report.
    pub fn run(self) -> Result<ExitCode> {
        let task = load_task_config(self.config.as_deref())?;
        let period_days = self.period_days.unwrap_or_else(|| {
            task.as_ref()
                .map_or(90, |t| t.pricing.reconciliation_period_days)
        });
        if period_days == 0 {
            anyhow::bail!("invalid --period-days: 0: expected >= 1");
        }
        let log = QuoteLog::open(&self.log).context("--log")?;
        let quotes = log.quotes().context("--log")?;
        let true_ups = log.true_ups().context("--log")?;
        let rec = Reconciliation::new(&quotes, &true_ups, period_days)?;
        // Everything is read and computed: only now touch the disk.
        std::fs::create_dir_all(&self.out)
            .with_context(|| format!("creating --out {}", self.out.display()))?;
        rec.write_csv(&self.out)?;
        write_data_value_csv(&self.out.join("data_value.csv"), &quotes, &true_ups)?;
        write_atomic(
            &self.out.join("reconciliation.json"),
            &(serde_json::to_string_pretty(&rec)? + "\n"),
        )?;
        if self.json {
            outln!("{}", serde_json::to_string(&rec.overall)?);
        } else {
            if let Some(all) = rec.overall.first() {
                outln!(
                    "{} quotes ({} trued up): premiums ${:.2}, refunds ${:.2}, extra bills ${:.2}, net ${:.2} back",
                    all.quotes,
                    all.trued_up,
                    all.premiums_billed,
                    all.refunds,
                    all.extra_bills,
                    all.net_trueup
                );
            }
            for b in &rec.tier_monotonicity_breaks {
                outln!("tiers: {b}");
            }
            outln!("{}", self.out.join("reconciliation.csv").display());
            outln!("{}", self.out.join("data_value.csv").display());
        }
        Ok(ExitCode::SUCCESS)
    }
}
