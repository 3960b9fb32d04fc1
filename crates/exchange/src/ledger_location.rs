//! Where a ledger lives, as a command line names it: an exchange folder
//! (`--dir`, the SQLite store) or a PostgreSQL URL (`--db`).

use std::path::PathBuf;

use crate::error::{ExchangeError, Result};
use crate::ledger_postgres::PostgresLedger;
use crate::ledger_sqlite::SqliteLedger;
use crate::ledger_store::LedgerStore;

/// A ledger's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerLocation {
    /// An exchange folder holding `ledger.sqlite`.
    Sqlite(PathBuf),
    /// A PostgreSQL server and the schema holding the tables.
    Postgres {
        /// Connection URL (`postgres://user@host:port/db`).
        url: String,
        /// Schema, [`PostgresLedger::DEFAULT_SCHEMA`] unless chosen.
        schema: String,
    },
}

impl LedgerLocation {
    /// From `--dir` and `--db`: exactly one of them.
    pub fn from_args(dir: Option<PathBuf>, db: Option<String>) -> Result<Self> {
        match (dir, db) {
            (Some(d), None) => Ok(LedgerLocation::Sqlite(d)),
            (None, Some(url)) => Ok(LedgerLocation::Postgres {
                url,
                schema: PostgresLedger::DEFAULT_SCHEMA.to_string(),
            }),
            (d, _) => Err(ExchangeError::Options {
                options: "--dir/--db",
                expected: "exactly one of --dir (an exchange folder) or --db (a postgres:// URL)",
                got: if d.is_some() { "both" } else { "neither" },
            }),
        }
    }

    /// Creates the ledger if missing (folder and file, or schema and
    /// tables), then opens it with its integrity check.
    pub fn init(&self) -> Result<Box<dyn LedgerStore + Send>> {
        Ok(match self {
            LedgerLocation::Sqlite(dir) => Box::new(SqliteLedger::init(dir)?),
            LedgerLocation::Postgres { url, schema } => {
                Box::new(PostgresLedger::connect_schema(url, schema)?)
            }
        })
    }

    /// Opens an existing ledger with its integrity check (a folder without
    /// a ledger is refused; a PostgreSQL schema is created if missing).
    pub fn open(&self) -> Result<Box<dyn LedgerStore + Send>> {
        Ok(match self {
            LedgerLocation::Sqlite(dir) => Box::new(SqliteLedger::open(dir)?),
            LedgerLocation::Postgres { url, schema } => {
                Box::new(PostgresLedger::connect_schema(url, schema)?)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_needs_exactly_one_of_dir_and_db() {
        assert_eq!(
            LedgerLocation::from_args(Some("x".into()), None).unwrap(),
            LedgerLocation::Sqlite("x".into())
        );
        let pg = LedgerLocation::from_args(None, Some("postgres://h/db".into())).unwrap();
        assert!(matches!(pg, LedgerLocation::Postgres { schema, .. } if schema == "vp_exchange"));
        let e = LedgerLocation::from_args(Some("x".into()), Some("postgres://h/db".into()));
        assert!(e.unwrap_err().to_string().contains("exactly one of --dir"));
        assert!(LedgerLocation::from_args(None, None).is_err());
    }
}
