//! Typed errors of the exchange crate.

use thiserror::Error;

/// Result alias for exchange operations.
pub type Result<T> = std::result::Result<T, ExchangeError>;

/// Everything the exchange can refuse. Never a panic on user input; every
/// message names the transaction, account, field, file or store involved and
/// what was expected.
#[derive(Debug, Error)]
pub enum ExchangeError {
    /// A transfer breaks a rule of SPEC §7 (wrong parties for its type, a
    /// non-positive amount, an empty id, ...). Nothing was written.
    #[error("transaction '{id}': {field} must be {expected}, got {got}")]
    InvalidTransfer {
        /// Client-supplied transaction id.
        id: String,
        /// Field at fault (`from`, `to`, `amount`, `id`, ...).
        field: &'static str,
        /// What the rules allow.
        expected: String,
        /// What was submitted.
        got: String,
    },
    /// An account id is empty, reserved or holds characters that cannot be
    /// a file name in the export (`accounts/<id>.json`).
    #[error("invalid account id '{account}': {expected}")]
    InvalidAccountId {
        /// The id as given.
        account: String,
        /// What an account id must look like.
        expected: &'static str,
    },
    /// The debited balance is too small: no overdraft, nothing was written.
    #[error(
        "transaction '{id}': overdraft refused, account '{account}' has {has} {balance} credits, needs {needed}"
    )]
    InsufficientFunds {
        /// Client-supplied transaction id.
        id: String,
        /// The debited account.
        account: String,
        /// Which balance (`available` or `staked`).
        balance: &'static str,
        /// What the account holds in that balance, in credits.
        has: String,
        /// What the transfer needs, in credits.
        needed: String,
    },
    /// A transfer debits an account the ledger has never credited.
    #[error(
        "transaction '{id}': account '{account}' does not exist (an account is opened by a seed, value_reward or routing_fee to it)"
    )]
    UnknownAccount {
        /// Client-supplied transaction id.
        id: String,
        /// The missing account.
        account: String,
    },
    /// The id is already in the ledger with different contents: a retried
    /// submission must be identical. Nothing was written.
    #[error(
        "transaction id '{id}' is already used by a different transaction: {field} is {stored} in the ledger, {submitted} in this submission"
    )]
    IdConflict {
        /// The reused id.
        id: String,
        /// First field that differs.
        field: &'static str,
        /// The stored value.
        stored: String,
        /// The submitted value.
        submitted: String,
    },
    /// A PostgreSQL schema name that is not a plain lower-case identifier.
    #[error(
        "invalid PostgreSQL schema '{schema}': expected 1 to 63 lower-case letters, digits or '_', not starting with a digit"
    )]
    InvalidSchema {
        /// The name as given.
        schema: String,
    },
    /// The integrity check failed: the store refuses to start.
    #[error("ledger {store} failed its integrity check, refusing to start: {}", differences.join("; "))]
    Integrity {
        /// Which store (file path or redacted URL).
        store: String,
        /// Each difference found, in words with expected and stored values.
        differences: Vec<String>,
    },
    /// No ledger where one was expected.
    #[error("no ledger at {path}: create one first (`vp exchange init --dir <folder>`)")]
    NoLedger {
        /// Path of the missing database file.
        path: String,
    },
    /// The database was written by another version of this crate.
    #[error("ledger {store}: schema version {found}, this program reads version {expected}")]
    SchemaVersion {
        /// Which store.
        store: String,
        /// Version found in the database.
        found: String,
        /// Version this code reads.
        expected: i64,
    },
    /// A stored row cannot be read back (corrupt or hand-edited database).
    #[error("ledger {store}: corrupt row {row}: {field} {message}")]
    CorruptRow {
        /// Which store.
        store: String,
        /// Transaction id or account id of the row.
        row: String,
        /// Column at fault.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// An SQLite error (includes "file is not a database" for a corrupt
    /// file).
    #[error("SQLite ledger {path}: {source}")]
    Sqlite {
        /// Database file.
        path: String,
        /// The underlying error.
        #[source]
        source: rusqlite::Error,
    },
    /// A PostgreSQL error.
    #[error("PostgreSQL ledger {url}: {source}")]
    Postgres {
        /// Connection URL with the password hidden.
        url: String,
        /// The underlying error.
        #[source]
        source: postgres::Error,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON value could not be written or read.
    #[error("{path}: {source}")]
    Json {
        /// The file, or the field holding JSON.
        path: String,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// An amount does not fit in i64 micro-credits, or a sum overflowed.
    #[error("{what}: credits overflow (amounts are i64 micro-credits)")]
    Overflow {
        /// What was being computed.
        what: String,
    },
    /// A number outside its valid range or not finite.
    #[error("{field} must be {expected}, got {value}")]
    OutOfRange {
        /// Name of the quantity.
        field: &'static str,
        /// The valid range, in words.
        expected: &'static str,
        /// The offending value.
        value: f64,
    },
    /// An amount of credits that cannot be read.
    #[error("amount '{got}': expected {expected}")]
    BadAmount {
        /// The text given.
        got: String,
        /// What an amount looks like.
        expected: &'static str,
    },
    /// SQLite would not put the ledger in WAL mode (a file system without
    /// shared-memory support, such as some network mounts).
    #[error(
        "SQLite ledger {path}: journal mode is {mode}, expected wal (is the folder on a network file system?)"
    )]
    NotWal {
        /// Database file.
        path: String,
        /// The journal mode SQLite reported.
        mode: String,
    },
    /// Command-line options that do not go together.
    #[error("{options}: expected {expected}, got {got}")]
    Options {
        /// The options involved.
        options: &'static str,
        /// What is allowed.
        expected: &'static str,
        /// What was given.
        got: &'static str,
    },
    /// A job was priced on a device whose speed for its kind was never
    /// measured.
    #[error(
        "no measured {kind} speed on {device}: record one (units and seconds of a real run) before pricing {kind} jobs"
    )]
    UnmeasuredSpeed {
        /// Job kind.
        kind: String,
        /// Device name.
        device: String,
    },
    /// An input of the value-signal, attribution, staking, routing or
    /// system-actor rules that breaks them (a duplicate expert, a signal
    /// kind missing from the table, an empty id, ...). Nothing was written.
    #[error("{field} must be {expected}, got {got}")]
    InvalidInput {
        /// What is at fault, e.g. `signal 'eval-3' kind` or `contributor 'a'`.
        field: String,
        /// What the rules allow.
        expected: String,
        /// What was given.
        got: String,
    },
    /// A name (state, extent, job kind, transaction type) that is not one
    /// of the allowed ones.
    #[error("unknown {field} '{got}': expected one of {expected}")]
    UnknownName {
        /// What kind of name.
        field: &'static str,
        /// What was given.
        got: String,
        /// The allowed names.
        expected: &'static str,
    },
}
