//! `vp exchange export`: write the ledger in the seed project's folder
//! layout (ledger.jsonl, accounts/, stakes/active_stakes.json,
//! market/price_history.jsonl and market_state.json,
//! value_signals/<date>/signals.jsonl, tracked/exchange_summary.jsonl).

use super::exchange_ledger_args::LedgerArgs;
use crate::out::outln;
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Export the ledger for other tools.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    /// Folder to write (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

impl ExportArgs {
    /// Exports from one checked snapshot.
    pub fn run(self) -> Result<ExitCode> {
        let mut store = self.ledger.open()?;
        let s = exchange::export(store.as_mut(), &self.out)
            .with_context(|| format!("exporting to {}", self.out.display()))?;
        if self.json {
            outln!("{}", serde_json::to_string(&s)?);
        } else {
            outln!(
                "exported {} transactions, {} accounts, {} days of value signals to {} (market {})",
                s.transactions,
                s.accounts,
                s.signal_days,
                self.out.display(),
                s.market_state
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
