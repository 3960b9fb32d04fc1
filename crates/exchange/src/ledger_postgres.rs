//! The shared ledger: PostgreSQL, for several machines using one exchange.
//! Each transfer is one SERIALIZABLE transaction that also locks the
//! touched account rows (`SELECT … FOR UPDATE`, in id order), so concurrent
//! writers on any number of machines cannot overdraw; a serialisation
//! failure, deadlock or id race is retried (up to [`MAX_ATTEMPTS`] times).
//! The tables live in one schema (default [`PostgresLedger::DEFAULT_SCHEMA`]),
//! so one database can hold several exchanges.

use std::collections::BTreeMap;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, IsolationLevel, NoTls, Row, Transaction as PgTransaction};

use crate::account_state::{AccountState, accounts_touched, apply_transfer};
use crate::error::{ExchangeError, Result};
use crate::ledger_store::{
    LedgerSnapshot, LedgerStore, SCHEMA_VERSION, TX_COLUMNS, now_us, transaction_from_columns,
};
use crate::transfer::{Applied, Transaction, Transfer};

/// How many times a transfer is tried when PostgreSQL reports a
/// serialisation failure, a deadlock or a concurrent insert of the same id.
pub const MAX_ATTEMPTS: u32 = 200;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS transactions (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    time_us BIGINT NOT NULL,
    tx_type TEXT NOT NULL CHECK (tx_type IN ('seed', 'prediction_cost', 'value_reward',
        'value_penalty', 'stake', 'unstake', 'routing_fee', 'deprecation')),
    from_party TEXT NOT NULL,
    to_party TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
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
CREATE OR REPLACE FUNCTION reject_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger transactions are immutable: record a correction as a new transaction';
END
$$;
CREATE OR REPLACE TRIGGER transactions_immutable BEFORE UPDATE OR DELETE ON transactions
    FOR EACH ROW EXECUTE FUNCTION reject_ledger_change();
CREATE OR REPLACE TRIGGER transactions_no_truncate BEFORE TRUNCATE ON transactions
    FOR EACH STATEMENT EXECUTE FUNCTION reject_ledger_change();
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    available BIGINT NOT NULL CHECK (available >= 0),
    staked BIGINT NOT NULL CHECK (staked >= 0),
    pending BIGINT NOT NULL CHECK (pending >= 0),
    seeded BIGINT NOT NULL,
    earned BIGINT NOT NULL,
    spent BIGINT NOT NULL,
    burned BIGINT NOT NULL,
    predictions BIGINT NOT NULL,
    wins BIGINT NOT NULL,
    losses BIGINT NOT NULL,
    value_net BIGINT NOT NULL
);
";

/// The PostgreSQL ledger store.
pub struct PostgresLedger {
    client: Client,
    url: String,
    schema: String,
}

impl std::fmt::Debug for PostgresLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresLedger")
            .field("url", &self.url)
            .field("schema", &self.schema)
            .finish()
    }
}

/// The URL with any password replaced by `***`, for messages.
pub fn redact_url(url: &str) -> String {
    // URL form: postgres://user:password@host/db
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((auth, host)) = rest.rsplit_once('@')
            && let Some((user, _)) = auth.split_once(':')
        {
            return format!("{scheme}://{user}:***@{host}");
        }
        return url.to_string();
    }
    // key=value form: host=... password=...
    url.split_whitespace()
        .map(|kv| {
            if kv.starts_with("password=") {
                "password=***".to_string()
            } else {
                kv.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn retryable(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
            || *c == SqlState::UNIQUE_VIOLATION
    )
}

/// Why one attempt ended: a PostgreSQL error that may be retried, or a
/// final answer.
enum Attempt {
    Retry(postgres::Error),
    Done(Box<Result<Applied>>),
}

impl PostgresLedger {
    /// Schema used by [`Self::connect`].
    pub const DEFAULT_SCHEMA: &'static str = "vp_exchange";

    /// Connects, creates the tables in [`Self::DEFAULT_SCHEMA`] if missing,
    /// and runs the integrity check (refusing to start on a mismatch).
    pub fn connect(url: &str) -> Result<Self> {
        Self::connect_schema(url, Self::DEFAULT_SCHEMA)
    }

    /// As [`Self::connect`], with the tables in `schema` (lower-case
    /// letters, digits and `_`, at most 63 bytes, not starting with a
    /// digit).
    pub fn connect_schema(url: &str, schema: &str) -> Result<Self> {
        let ok = !schema.is_empty()
            && schema.len() <= 63
            && !schema.starts_with(|c: char| c.is_ascii_digit())
            && schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(ExchangeError::InvalidSchema {
                schema: schema.to_string(),
            });
        }
        let redacted = redact_url(url);
        let pg = |source| ExchangeError::Postgres {
            url: redacted.clone(),
            source,
        };
        let mut client = Client::connect(url, NoTls).map_err(pg)?;
        client
            .batch_execute(&format!("SET search_path TO {schema}"))
            .map_err(pg)?;
        // Creating the same tables from several connections at once races in
        // the catalogue: one advisory lock per schema orders them.
        let lock_key = schema.bytes().fold(0x5650_4c45_4447_4552_i64, |h, b| {
            h.wrapping_mul(31).wrapping_add(i64::from(b))
        });
        let mut tx = client.transaction().map_err(pg)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_key])
            .map_err(pg)?;
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema};"))
            .map_err(pg)?;
        tx.batch_execute(SCHEMA).map_err(pg)?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT DO NOTHING",
            &[&SCHEMA_VERSION.to_string()],
        )
        .map_err(pg)?;
        let version: String = tx
            .query_one("SELECT value FROM meta WHERE key = 'schema_version'", &[])
            .map_err(pg)?
            .get(0);
        tx.commit().map_err(pg)?;
        let mut ledger = PostgresLedger {
            client,
            url: redacted,
            schema: schema.to_string(),
        };
        if version != SCHEMA_VERSION.to_string() {
            return Err(ExchangeError::SchemaVersion {
                store: ledger.describe(),
                found: version,
                expected: SCHEMA_VERSION,
            });
        }
        ledger.check_integrity()?;
        Ok(ledger)
    }

    /// The schema holding the tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    fn pg(&self) -> impl Fn(postgres::Error) -> ExchangeError + use<> {
        let url = self.describe();
        move |source| ExchangeError::Postgres {
            url: url.clone(),
            source,
        }
    }

    fn attempt(&mut self, transfer: &Transfer) -> Attempt {
        let store = self.describe();
        let mut tx = match self
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::Serializable)
            .start()
        {
            Ok(tx) => tx,
            Err(e) => return Attempt::Retry(e),
        };
        macro_rules! pg {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(e) => return Attempt::Retry(e),
                }
            };
        }
        macro_rules! ours {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(e) => return Attempt::Done(Box::new(Err(e))),
                }
            };
        }
        let row = pg!(tx.query_opt(
            &format!("SELECT {TX_COLUMNS} FROM transactions WHERE id = $1"),
            &[&transfer.id],
        ));
        if let Some(row) = row {
            let stored = ours!(row_transaction(&store, &row));
            return Attempt::Done(Box::new(match stored.transfer.first_difference(transfer) {
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
            }));
        }
        let mut accounts = BTreeMap::new();
        for id in accounts_touched(transfer) {
            if let Some(s) = pg!(lock_account(&mut tx, &id)) {
                accounts.insert(id, s);
            }
        }
        ours!(apply_transfer(transfer, &mut accounts));
        let time_us = now_us();
        let metadata = ours!(serde_json::to_string(&transfer.metadata).map_err(|source| {
            ExchangeError::Json {
                path: format!("transaction '{}' metadata", transfer.id),
                source,
            }
        }));
        let seq: i64 = pg!(tx.query_one(
            "INSERT INTO transactions (id, time_us, tx_type, from_party, to_party, amount, \
             prediction_id, value_signal_id, reason, metadata) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq",
            &[
                &transfer.id,
                &time_us,
                &transfer.tx_type.as_str(),
                &transfer.from.as_str(),
                &transfer.to.as_str(),
                &transfer.amount.micros(),
                &transfer.prediction_id,
                &transfer.value_signal_id,
                &transfer.reason,
                &metadata,
            ],
        ))
        .get(0);
        let upsert = format!(
            "INSERT INTO accounts (id, {cols}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
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
            pg!(tx.execute(
                &upsert,
                &[
                    id, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9],
                    &f[10]
                ],
            ));
        }
        pg!(tx.commit());
        Attempt::Done(Box::new(Ok(Applied {
            transaction: Transaction {
                seq,
                time_us,
                transfer: transfer.clone(),
            },
            duplicate: false,
        })))
    }
}

fn lock_account(
    tx: &mut PgTransaction<'_>,
    id: &str,
) -> std::result::Result<Option<AccountState>, postgres::Error> {
    let row = tx.query_opt(
        &format!(
            "SELECT {} FROM accounts WHERE id = $1 FOR UPDATE",
            AccountState::COLUMNS.join(", ")
        ),
        &[&id],
    )?;
    row.map(|r| account_from_row(&r, 0)).transpose()
}

fn account_from_row(r: &Row, first: usize) -> std::result::Result<AccountState, postgres::Error> {
    let mut v = [0i64; 11];
    for (i, x) in v.iter_mut().enumerate() {
        *x = r.try_get(first + i)?;
    }
    Ok(AccountState::from_fields(v))
}

fn row_transaction(store: &str, r: &Row) -> Result<Transaction> {
    let pg = |source| ExchangeError::Postgres {
        url: store.to_string(),
        source,
    };
    transaction_from_columns(
        store,
        r.try_get(0).map_err(pg)?,
        r.try_get(1).map_err(pg)?,
        r.try_get(2).map_err(pg)?,
        r.try_get(3).map_err(pg)?,
        r.try_get(4).map_err(pg)?,
        r.try_get(5).map_err(pg)?,
        r.try_get(6).map_err(pg)?,
        r.try_get(7).map_err(pg)?,
        r.try_get(8).map_err(pg)?,
        r.try_get(9).map_err(pg)?,
        r.try_get(10).map_err(pg)?,
    )
}

impl LedgerStore for PostgresLedger {
    fn describe(&self) -> String {
        format!("{} (schema {})", self.url, self.schema)
    }

    fn apply(&mut self, transfer: &Transfer) -> Result<Applied> {
        transfer.validate()?;
        let mut last = None;
        for attempt in 0..MAX_ATTEMPTS {
            match self.attempt(transfer) {
                Attempt::Done(r) => return *r,
                Attempt::Retry(e) if retryable(&e) => {
                    last = Some(e);
                    // Back off a little more each time, staggered per attempt.
                    std::thread::sleep(Duration::from_micros(200 * u64::from(attempt % 20 + 1)));
                }
                Attempt::Retry(e) => return Err((self.pg())(e)),
            }
        }
        match last {
            Some(e) => Err((self.pg())(e)),
            None => Err(ExchangeError::Overflow {
                what: "retry loop".into(),
            }),
        }
    }

    fn transaction(&mut self, id: &str) -> Result<Option<Transaction>> {
        let store = self.describe();
        let row = self
            .client
            .query_opt(
                &format!("SELECT {TX_COLUMNS} FROM transactions WHERE id = $1"),
                &[&id],
            )
            .map_err(self.pg())?;
        row.map(|r| row_transaction(&store, &r)).transpose()
    }

    fn account(&mut self, id: &str) -> Result<Option<AccountState>> {
        let pg = self.pg();
        let row = self
            .client
            .query_opt(
                &format!(
                    "SELECT {} FROM accounts WHERE id = $1",
                    AccountState::COLUMNS.join(", ")
                ),
                &[&id],
            )
            .map_err(&pg)?;
        row.map(|r| account_from_row(&r, 0))
            .transpose()
            .map_err(&pg)
    }

    fn snapshot(&mut self) -> Result<LedgerSnapshot> {
        let store = self.describe();
        let pg = self.pg();
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(&pg)?;
        let mut snap = LedgerSnapshot::default();
        for r in tx
            .query(
                &format!("SELECT {TX_COLUMNS} FROM transactions ORDER BY seq"),
                &[],
            )
            .map_err(&pg)?
        {
            snap.transactions.push(row_transaction(&store, &r)?);
        }
        for r in tx
            .query(
                &format!(
                    "SELECT id, {} FROM accounts ORDER BY id",
                    AccountState::COLUMNS.join(", ")
                ),
                &[],
            )
            .map_err(&pg)?
        {
            let id: String = r.try_get(0).map_err(&pg)?;
            snap.accounts
                .insert(id, account_from_row(&r, 1).map_err(&pg)?);
        }
        tx.commit().map_err(&pg)?;
        Ok(snap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_in_messages() {
        assert_eq!(
            redact_url("postgres://vp:secret@db.example:5432/ex"),
            "postgres://vp:***@db.example:5432/ex"
        );
        assert_eq!(redact_url("postgres://vp@h/db"), "postgres://vp@h/db");
        assert_eq!(
            redact_url("host=h user=vp password=secret"),
            "host=h user=vp password=***"
        );
    }

    #[test]
    fn schema_names_are_checked_before_connecting() {
        let e =
            PostgresLedger::connect_schema("postgres://nowhere.invalid/db", "x; DROP").unwrap_err();
        assert!(matches!(e, ExchangeError::InvalidSchema { .. }), "{e}");
    }
}
