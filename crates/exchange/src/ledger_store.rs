//! The store trait every ledger backend implements (SQLite, PostgreSQL).
//!
//! A store applies each transfer and its balance effects in one database
//! transaction, refuses overdrafts and conflicting ids with nothing written,
//! and never changes a stored transaction (corrections are new
//! transactions; the schema rejects UPDATE and DELETE on the table too).

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::account_state::{AccountState, IntegrityReport, Totals, verify};
use crate::credits::Credits;
use crate::error::{ExchangeError, Result};
use crate::transfer::{Applied, Transaction, Transfer};

/// Version of the database schema both stores write.
pub const SCHEMA_VERSION: i64 = 1;

/// A consistent view of the whole ledger, read in one database
/// transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerSnapshot {
    /// Every transaction in sequence order.
    pub transactions: Vec<Transaction>,
    /// Every account as stored.
    pub accounts: BTreeMap<String, AccountState>,
}

impl LedgerSnapshot {
    /// Minted, held and burned.
    pub fn totals(&self) -> Result<Totals> {
        Totals::compute(&self.transactions, &self.accounts)
    }

    /// Every account with its derived figures, by id (what
    /// `vp exchange balances` prints).
    pub fn summaries(&self) -> Vec<AccountSummary> {
        self.accounts
            .iter()
            .map(|(id, s)| AccountSummary {
                id: id.clone(),
                state: *s,
                roi: s.roi(),
                win_rate: s.win_rate(),
                avg_value_per_prediction: s.avg_value_per_prediction(),
            })
            .collect()
    }
}

/// An account's stored figures and the ones derived from them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountSummary {
    /// Expert id.
    pub id: String,
    /// Balances and lifetime figures (money in micro-credits).
    #[serde(flatten)]
    pub state: AccountState,
    /// (earned − spent) / spent; `None` before anything is spent.
    pub roi: Option<f64>,
    /// wins / (wins + losses); `None` before any value signal.
    pub win_rate: Option<f64>,
    /// value_net / predictions in credits; `None` before any prediction.
    pub avg_value_per_prediction: Option<f64>,
}

/// A ledger backend. Each value is one connection; open one per thread.
pub trait LedgerStore: std::fmt::Debug {
    /// Names the store in messages: the file path or the URL without its
    /// password.
    fn describe(&self) -> String;

    /// Applies a transfer exactly once. A new id is validated, checked for
    /// overdraft and written with its balance effects in one database
    /// transaction. An id already stored with identical contents returns
    /// the stored transaction with `duplicate: true`; with different
    /// contents it is refused with [`crate::ExchangeError::IdConflict`].
    /// On any error nothing is written.
    fn apply(&mut self, transfer: &Transfer) -> Result<Applied>;

    /// The stored transaction with this id.
    fn transaction(&mut self, id: &str) -> Result<Option<Transaction>>;

    /// One account as stored.
    fn account(&mut self, id: &str) -> Result<Option<AccountState>>;

    /// Every transaction and account, read in one database transaction.
    fn snapshot(&mut self) -> Result<LedgerSnapshot>;

    /// The integrity check: replay equals the stored accounts, no negative
    /// balance, and `minted = held + burned`, on one consistent snapshot.
    fn check_integrity(&mut self) -> Result<IntegrityReport> {
        let snap = self.snapshot()?;
        verify(&self.describe(), &snap.transactions, &snap.accounts)
    }
}

/// Microseconds since the Unix epoch now (0 if the clock is before 1970).
pub(crate) fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Columns of the transactions table, in the order both stores read them.
pub(crate) const TX_COLUMNS: &str = "seq, id, time_us, tx_type, from_party, to_party, amount, \
     prediction_id, value_signal_id, reason, metadata";

/// Builds a transaction from its stored columns (shared by both stores).
#[allow(clippy::too_many_arguments)]
pub(crate) fn transaction_from_columns(
    store: &str,
    seq: i64,
    id: String,
    time_us: i64,
    tx_type: String,
    from: String,
    to: String,
    amount: i64,
    prediction_id: Option<String>,
    value_signal_id: Option<String>,
    reason: String,
    metadata: String,
) -> Result<Transaction> {
    let corrupt = |field: &'static str, message: String| ExchangeError::CorruptRow {
        store: store.to_string(),
        row: format!("transaction '{id}'"),
        field,
        message,
    };
    let tx_type = tx_type
        .parse()
        .map_err(|e| corrupt("tx_type", format!("{e}")))?;
    let from = from
        .parse()
        .map_err(|e| corrupt("from_party", format!("{e}")))?;
    let to = to
        .parse()
        .map_err(|e| corrupt("to_party", format!("{e}")))?;
    let metadata = serde_json::from_str(&metadata)
        .map_err(|e| corrupt("metadata", format!("is not JSON: {e}")))?;
    Ok(Transaction {
        seq,
        time_us,
        transfer: Transfer {
            id: id.clone(),
            tx_type,
            from,
            to,
            amount: Credits::from_micros(amount),
            prediction_id,
            value_signal_id,
            reason,
            metadata,
        },
    })
}
