//! The exchange (SPEC §7): the credit ledger experts are paid through, and
//! the MRH attention manager and job pricing the ATP scheduler budgets
//! compute with.
//!
//! * Ledger: [`Transfer`]s of the eight [`TxType`]s between [`Party`]s,
//!   in exact [`Credits`], stored by a [`LedgerStore`]: [`SqliteLedger`]
//!   (one file in the exchange folder, the default) or [`PostgresLedger`]
//!   (several machines sharing one exchange). [`AccountState`] holds
//!   balances and lifetime figures; [`verify`] is the integrity check;
//!   [`export`] writes the seed's folder layout.

mod account_state;
mod credits;
mod error;
mod ledger_export;
mod ledger_postgres;
mod ledger_sqlite;
mod ledger_store;
mod transfer;

pub use account_state::{
    AccountState, IntegrityReport, Totals, accounts_touched, apply_transfer, replay, verify,
};
pub use credits::{Credits, MICROS_PER_CREDIT};
pub use error::{ExchangeError, Result};
pub use ledger_export::{ExportSummary, export};
pub use ledger_postgres::{MAX_ATTEMPTS, PostgresLedger, redact_url};
pub use ledger_sqlite::SqliteLedger;
pub use ledger_store::{LedgerSnapshot, LedgerStore, SCHEMA_VERSION};
pub use transfer::{
    Applied, MAX_ID_LEN, Party, Transaction, Transfer, TxType, validate_account_id,
};
