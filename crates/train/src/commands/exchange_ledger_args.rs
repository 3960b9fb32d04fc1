//! The `--dir`/`--db` options every ledger command of `vp exchange` takes.

use anyhow::{Context, Result};
use clap::Args;
use exchange::{LedgerLocation, LedgerStore};
use std::path::PathBuf;

/// Where the ledger is: an exchange folder or a PostgreSQL URL.
#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// Exchange folder holding the SQLite ledger (ledger.sqlite).
    #[arg(long, value_name = "DIR", conflicts_with = "db")]
    pub dir: Option<PathBuf>,
    /// PostgreSQL ledger shared by several machines (postgres://user@host:port/db).
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
}

impl LedgerArgs {
    /// The location named by --dir or --db.
    pub fn location(&self) -> Result<LedgerLocation> {
        Ok(LedgerLocation::from_args(
            self.dir.clone(),
            self.db.clone(),
        )?)
    }

    /// Opens the existing ledger (with its integrity check).
    pub fn open(&self) -> Result<Box<dyn LedgerStore + Send>> {
        let location = self.location()?;
        location
            .open()
            .with_context(|| format!("opening the ledger {}", describe(&location)))
    }
}

/// The location in words, the password of a URL hidden.
pub fn describe(location: &LedgerLocation) -> String {
    match location {
        LedgerLocation::Sqlite(dir) => dir.display().to_string(),
        LedgerLocation::Postgres { url, schema } => {
            format!("{} (schema {schema})", exchange::redact_url(url))
        }
    }
}
