//! `vp exchange check`: the ledger's integrity check (every stored balance
//! equals the replay of its transactions, no balance is negative, minted =
//! held + burned). Exit 0 when it passes, 1 on a mismatch (each difference
//! printed), 2 when the ledger cannot be read at all.

use super::exchange_ledger_args::{LedgerArgs, describe};
use crate::out::outln;
use anyhow::{Context, Result};
use clap::Args;
use exchange::ExchangeError;
use serde_json::json;
use std::process::ExitCode;

/// Check the ledger's integrity.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    /// Print one JSON object (`ok`, and the counts and totals or the differences).
    #[arg(long)]
    json: bool,
}

impl CheckArgs {
    /// Opens the ledger (which runs the check) and reports.
    pub fn run(self) -> Result<ExitCode> {
        let location = self.ledger.location()?;
        let checked = location.open().and_then(|mut s| s.check_integrity());
        match checked {
            Ok(r) => {
                if self.json {
                    outln!(
                        "{}",
                        json!({
                            "ok": true,
                            "transactions": r.transactions,
                            "accounts": r.accounts,
                            "minted_micros": r.totals.minted.micros(),
                            "held_micros": r.totals.held.micros(),
                            "burned_micros": r.totals.burned.micros(),
                        })
                    );
                } else {
                    outln!(
                        "ledger {} passes: {} transactions, {} accounts, minted {} = held {} + burned {}",
                        describe(&location),
                        r.transactions,
                        r.accounts,
                        r.totals.minted,
                        r.totals.held,
                        r.totals.burned
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(ExchangeError::Integrity { store, differences }) => {
                if self.json {
                    outln!(
                        "{}",
                        json!({ "ok": false, "ledger": store, "differences": differences })
                    );
                }
                eprintln!(
                    "error: ledger {store} fails its integrity check ({} differences):",
                    differences.len()
                );
                for d in &differences {
                    eprintln!("  {d}");
                }
                Ok(ExitCode::from(1))
            }
            Err(e) => {
                Err(e).with_context(|| format!("checking the ledger {}", describe(&location)))
            }
        }
    }
}
