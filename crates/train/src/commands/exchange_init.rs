//! `vp exchange init`: create an exchange folder with an empty SQLite
//! ledger, or the ledger's schema on a PostgreSQL server. Running it on an
//! existing ledger opens and checks it and changes nothing.

use super::exchange_ledger_args::{LedgerArgs, describe};
use crate::out::outln;
use anyhow::{Context, Result};
use clap::Args;
use std::process::ExitCode;

/// Create an exchange ledger.
#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
}

impl InitArgs {
    /// Creates (or opens) the ledger and reports what it holds.
    pub fn run(self) -> Result<ExitCode> {
        let location = self.ledger.location()?;
        let mut store = location
            .init()
            .with_context(|| format!("creating the ledger {}", describe(&location)))?;
        let snap = store.snapshot()?;
        outln!(
            "ledger ready at {}: {} transactions, {} accounts",
            store.describe(),
            snap.transactions.len(),
            snap.accounts.len()
        );
        Ok(ExitCode::SUCCESS)
    }
}
