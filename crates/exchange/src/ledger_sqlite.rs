//! The embedded ledger: one SQLite file (`ledger.sqlite`) in the exchange
//! folder, WAL journal, `synchronous = FULL` (a transfer whose call returned
//! survives a crash or power loss), one IMMEDIATE transaction per transfer.
//! Several connections (threads or processes on one machine) may write at
//! once: SQLite serialises writers, each waits up to 30 s for the lock.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, TransactionBehavior, params};

use crate::account_state::{AccountState, accounts_touched, apply_transfer};
use crate::error::{ExchangeError, Result};
use crate::ledger_store::{
    LedgerSnapshot, LedgerStore, SCHEMA_VERSION, TX_COLUMNS, now_us, transaction_from_columns,
};
use crate::transfer::{Applied, Transaction, Transfer};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS transactions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    time_us INTEGER NOT NULL,
    tx_type TEXT NOT NULL CHECK (tx_type IN ('seed', 'prediction_cost', 'value_reward',
        'value_penalty', 'stake', 'unstake', 'routing_fee', 'deprecation')),
    from_party TEXT NOT NULL,
    to_party TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    prediction_id TEXT,
    value_signal_id TEXT,
    reason TEXT NOT NULL,
    metadata TEXT NOT NULL,
    -- SPEC §7's from/to rule of each type, enforced by the database too.
    CHECK (
        (tx_type IN ('seed', 'value_reward')
            AND from_party = 'mint' AND to_party NOT IN ('mint', 'sink'))
        OR (tx_type IN ('prediction_cost', 'value_penalty', 'deprecation')
            AND from_party NOT IN ('mint', 'sink') AND to_party = 'sink')
        OR (tx_type IN ('stake', 'unstake')
            AND from_party = to_party AND from_party NOT IN ('mint', 'sink'))
        OR (tx_type = 'routing_fee' AND from_party <> to_party
            AND from_party NOT IN ('mint', 'sink') AND to_party NOT IN ('mint', 'sink'))
    )
);
CREATE TRIGGER IF NOT EXISTS transactions_no_update BEFORE UPDATE ON transactions
BEGIN
    SELECT RAISE(ABORT, 'ledger transactions are immutable: record a correction as a new transaction');
END;
CREATE TRIGGER IF NOT EXISTS transactions_no_delete BEFORE DELETE ON transactions
BEGIN
    SELECT RAISE(ABORT, 'ledger transactions are immutable: record a correction as a new transaction');
END;
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    available INTEGER NOT NULL CHECK (available >= 0),
    staked INTEGER NOT NULL CHECK (staked >= 0),
    pending INTEGER NOT NULL CHECK (pending >= 0),
    seeded INTEGER NOT NULL,
    earned INTEGER NOT NULL,
    spent INTEGER NOT NULL,
    burned INTEGER NOT NULL,
    predictions INTEGER NOT NULL,
    wins INTEGER NOT NULL,
    losses INTEGER NOT NULL,
    value_net INTEGER NOT NULL
);
";

/// The SQLite ledger store.
#[derive(Debug)]
pub struct SqliteLedger {
    conn: Connection,
    path: PathBuf,
}

impl SqliteLedger {
    /// Name of the database file in the exchange folder.
    pub const FILE_NAME: &'static str = "ledger.sqlite";

    /// Creates the exchange folder and an empty ledger if they do not
    /// exist, then opens it as [`Self::open`] does.
    pub fn init(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| ExchangeError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        Self::open_file(&dir.join(Self::FILE_NAME), true)
    }

    /// Opens the ledger of an exchange folder and runs the integrity check;
    /// refuses to start on a mismatch ([`ExchangeError::Integrity`]) or when
    /// there is no ledger ([`ExchangeError::NoLedger`]).
    pub fn open(dir: &Path) -> Result<Self> {
        Self::open_file(&dir.join(Self::FILE_NAME), false)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open_file(path: &Path, create: bool) -> Result<Self> {
        let sqlite = |source| ExchangeError::Sqlite {
            path: path.display().to_string(),
            source,
        };
        if !create && !path.is_file() {
            return Err(ExchangeError::NoLedger {
                path: path.display().to_string(),
            });
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let mut conn = Connection::open_with_flags(path, flags).map_err(sqlite)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(sqlite)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(sqlite)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(ExchangeError::NotWal {
                path: path.display().to_string(),
                mode,
            });
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sqlite)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        tx.execute_batch(SCHEMA).map_err(sqlite)?;
        tx.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?1)",
            params![SCHEMA_VERSION.to_string()],
        )
        .map_err(sqlite)?;
        let version: String = tx
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        if version != SCHEMA_VERSION.to_string() {
            return Err(ExchangeError::SchemaVersion {
                store: path.display().to_string(),
                found: version,
                expected: SCHEMA_VERSION,
            });
        }
        let mut ledger = SqliteLedger {
            conn,
            path: path.to_path_buf(),
        };
        ledger.check_integrity()?;
        Ok(ledger)
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> ExchangeError + use<> {
        let path = self.path.display().to_string();
        move |source| ExchangeError::Sqlite {
            path: path.clone(),
            source,
        }
    }
}

type TxColumns = (
    i64,
    String,
    i64,
    String,
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
    String,
    String,
);

fn tx_columns(r: &Row<'_>) -> rusqlite::Result<TxColumns> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
    ))
}

fn from_tx_columns(store: &str, c: TxColumns) -> Result<Transaction> {
    transaction_from_columns(
        store, c.0, c.1, c.2, c.3, c.4, c.5, c.6, c.7, c.8, c.9, c.10,
    )
}

fn account_columns(r: &Row<'_>) -> rusqlite::Result<[i64; 11]> {
    let mut v = [0i64; 11];
    for (i, x) in v.iter_mut().enumerate() {
        *x = r.get(i)?;
    }
    Ok(v)
}

fn select_transaction(conn: &Connection, store: &str, id: &str) -> Result<Option<Transaction>> {
    let sqlite = |source| ExchangeError::Sqlite {
        path: store.to_string(),
        source,
    };
    let row = conn
        .query_row(
            &format!("SELECT {TX_COLUMNS} FROM transactions WHERE id = ?1"),
            params![id],
            tx_columns,
        )
        .optional()
        .map_err(sqlite)?;
    row.map(|c| from_tx_columns(store, c)).transpose()
}

fn select_account(conn: &Connection, store: &str, id: &str) -> Result<Option<AccountState>> {
    let row = conn
        .query_row(
            &format!(
                "SELECT {} FROM accounts WHERE id = ?1",
                AccountState::COLUMNS.join(", ")
            ),
            params![id],
            account_columns,
        )
        .optional()
        .map_err(|source| ExchangeError::Sqlite {
            path: store.to_string(),
            source,
        })?;
    Ok(row.map(AccountState::from_fields))
}

impl LedgerStore for SqliteLedger {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn apply(&mut self, transfer: &Transfer) -> Result<Applied> {
        transfer.validate()?;
        let store = self.describe();
        let sqlite = self.err();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&sqlite)?;
        if let Some(stored) = select_transaction(&tx, &store, &transfer.id)? {
            return match stored.transfer.first_difference(transfer) {
                None => Ok(Applied {
                    transaction: stored,
                    duplicate: true,
                }),
                Some((field, stored, submitted)) => Err(ExchangeError::IdConflict {
                    id: transfer.id.clone(),
                    field,
                    stored,
                    submitted,
                }),
            };
        }
        let mut accounts = BTreeMap::new();
        for id in accounts_touched(transfer) {
            if let Some(s) = select_account(&tx, &store, &id)? {
                accounts.insert(id, s);
            }
        }
        apply_transfer(transfer, &mut accounts)?;
        let time_us = now_us();
        let metadata =
            serde_json::to_string(&transfer.metadata).map_err(|source| ExchangeError::Json {
                path: format!("transaction '{}' metadata", transfer.id),
                source,
            })?;
        tx.execute(
            "INSERT INTO transactions (id, time_us, tx_type, from_party, to_party, amount, \
             prediction_id, value_signal_id, reason, metadata) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                transfer.id,
                time_us,
                transfer.tx_type.as_str(),
                transfer.from.as_str(),
                transfer.to.as_str(),
                transfer.amount.micros(),
                transfer.prediction_id,
                transfer.value_signal_id,
                transfer.reason,
                metadata,
            ],
        )
        .map_err(&sqlite)?;
        let seq = tx.last_insert_rowid();
        let upsert = format!(
            "INSERT INTO accounts (id, {cols}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
             ON CONFLICT (id) DO UPDATE SET {sets}",
            cols = AccountState::COLUMNS.join(", "),
            sets = AccountState::COLUMNS
                .iter()
                .map(|c| format!("{c} = excluded.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for (id, s) in &accounts {
            let f = s.fields().map(|(_, v)| v);
            tx.execute(
                &upsert,
                params![
                    id, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]
                ],
            )
            .map_err(&sqlite)?;
        }
        tx.commit().map_err(&sqlite)?;
        Ok(Applied {
            transaction: Transaction {
                seq,
                time_us,
                transfer: transfer.clone(),
            },
            duplicate: false,
        })
    }

    fn transaction(&mut self, id: &str) -> Result<Option<Transaction>> {
        select_transaction(&self.conn, &self.describe(), id)
    }

    fn account(&mut self, id: &str) -> Result<Option<AccountState>> {
        select_account(&self.conn, &self.describe(), id)
    }

    fn snapshot(&mut self) -> Result<LedgerSnapshot> {
        let store = self.describe();
        let sqlite = self.err();
        // One read transaction: a WAL snapshot, consistent while others write.
        let tx = self.conn.transaction().map_err(&sqlite)?;
        let mut snap = LedgerSnapshot::default();
        {
            let mut stmt = tx
                .prepare(&format!(
                    "SELECT {TX_COLUMNS} FROM transactions ORDER BY seq"
                ))
                .map_err(&sqlite)?;
            let rows = stmt.query_map([], tx_columns).map_err(&sqlite)?;
            for r in rows {
                snap.transactions
                    .push(from_tx_columns(&store, r.map_err(&sqlite)?)?);
            }
            let mut stmt = tx
                .prepare(&format!(
                    "SELECT id, {} FROM accounts ORDER BY id",
                    AccountState::COLUMNS.join(", ")
                ))
                .map_err(&sqlite)?;
            let rows = stmt
                .query_map([], |r| {
                    let mut v = [0i64; 11];
                    for (i, x) in v.iter_mut().enumerate() {
                        *x = r.get(i + 1)?;
                    }
                    Ok((r.get::<_, String>(0)?, v))
                })
                .map_err(&sqlite)?;
            for r in rows {
                let (id, v) = r.map_err(&sqlite)?;
                snap.accounts.insert(id, AccountState::from_fields(v));
            }
        }
        tx.commit().map_err(&sqlite)?;
        Ok(snap)
    }
}
