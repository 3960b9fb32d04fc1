//! The durable quote log: an embedded SQLite database (WAL journal,
//! `synchronous = FULL`, one transaction per quote or true-up). Rows are
//! appended, never edited: a true-up is a new row, and a quote is trued up
//! once.
//!
//! A new log is built under a temporary name and hard-linked into place,
//! so a log that exists always has its whole schema, and a file that is
//! not a quote log is refused before anything is written to it.

use super::quote::Quote;
use super::quote_request::{QuoteRequest, QuoteTerms};
use super::timestamp::{SECONDS_PER_DAY, format_rfc3339};
use super::true_up::{TrueUp, true_up};
use crate::error::{EconomicsError, Result};
use crate::{SharingStatus, TierThresholds};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `meta.format` of a quote log.
const FORMAT: &str = "vp-quote-log";
/// `meta.version` of this layout.
const VERSION: &str = "1";
/// How long a writer waits for another process's transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Columns of `quotes`, in order.
const QUOTE_COLUMNS: [&str; 22] = [
    "seq",
    "quote_id",
    "issued_at",
    "due_at",
    "datapoint_id",
    "novelty",
    "causal_gain",
    "price_per_unit",
    "expected_mpl",
    "lower",
    "upper",
    "horizon_hours",
    "sharing",
    "kappa_floor",
    "data_sharing_discount",
    "tier0_threshold",
    "tier1_threshold",
    "reconciliation_period_days",
    "kappa",
    "tier",
    "premium",
    "discount_per_unit",
];
/// Columns of `true_ups`, in order.
const TRUE_UP_COLUMNS: [&str; 6] = [
    "seq",
    "quote_id",
    "recorded_at",
    "realized_mpl",
    "premium_realized",
    "trueup_amount",
];

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE quotes (
    seq INTEGER PRIMARY KEY,
    quote_id TEXT NOT NULL UNIQUE,
    issued_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    datapoint_id TEXT,
    novelty REAL,
    causal_gain REAL,
    price_per_unit REAL NOT NULL,
    expected_mpl REAL NOT NULL,
    lower REAL NOT NULL,
    upper REAL,
    horizon_hours REAL NOT NULL,
    sharing TEXT NOT NULL,
    kappa_floor REAL NOT NULL,
    data_sharing_discount REAL NOT NULL,
    tier0_threshold REAL NOT NULL,
    tier1_threshold REAL NOT NULL,
    reconciliation_period_days INTEGER NOT NULL,
    kappa REAL NOT NULL,
    tier INTEGER NOT NULL,
    premium REAL NOT NULL,
    discount_per_unit REAL NOT NULL
) STRICT;
CREATE TABLE true_ups (
    seq INTEGER PRIMARY KEY,
    quote_id TEXT NOT NULL UNIQUE REFERENCES quotes(quote_id),
    recorded_at INTEGER NOT NULL,
    realized_mpl REAL NOT NULL,
    premium_realized REAL NOT NULL,
    trueup_amount REAL NOT NULL
) STRICT;
";

/// What [`QuoteLog::check`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct LogCheck {
    /// Quote rows.
    pub quotes: usize,
    /// True-up rows.
    pub true_ups: usize,
    /// Every problem found, one sentence each; empty for a sound log.
    pub problems: Vec<String>,
}

impl LogCheck {
    /// Whether the log is sound.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// An open quote log.
#[derive(Debug)]
pub struct QuoteLog {
    conn: Connection,
    path: PathBuf,
}

impl QuoteLog {
    /// Opens the log at `path`, creating an empty one if nothing is there.
    pub fn open_or_create(path: &Path) -> Result<Self> {
        if !path.exists() {
            create(path)?;
        }
        Self::open(path)
    }

    /// Opens an existing log. Refuses (and leaves untouched) a missing file
    /// or one that is not a quote log.
    pub fn open(path: &Path) -> Result<Self> {
        let err = |message: String| log_error(path, message);
        let meta = std::fs::metadata(path).map_err(|e| {
            err(format!(
                "cannot open ({e}): expected an existing quote log (`vp econ quote --log` creates one)"
            ))
        })?;
        if !meta.is_file() {
            return Err(err("is not a file: expected a quote log".into()));
        }
        let mut header = [0u8; 16];
        let is_sqlite = std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut header))
            .is_ok()
            && &header == b"SQLite format 3\0";
        if !is_sqlite {
            return Err(err(
                "is not a quote log: expected an SQLite database written by `vp econ quote --log`"
                    .into(),
            ));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| err(format!("cannot open: {e}")))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| err(format!("cannot set a busy timeout: {e}")))?;
        let format: Option<String> = match conn
            .query_row("SELECT value FROM meta WHERE key = 'format'", [], |r| {
                r.get(0)
            })
            .optional()
        {
            Ok(format) => format,
            Err(e) if e.to_string().contains("no such table") => None,
            Err(e) => {
                return Err(err(format!(
                    "cannot read its meta table ({e}): the file is damaged or not a quote log"
                )));
            }
        };
        if format.as_deref() != Some(FORMAT) {
            return Err(err(format!(
                "is not a quote log: expected an SQLite database with meta.format = '{FORMAT}'"
            )));
        }
        let version: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'version'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| err(format!("cannot read meta.version: {e}")))?;
        if version.as_deref() != Some(VERSION) {
            return Err(err(format!(
                "layout version {}: expected {VERSION}",
                version.as_deref().unwrap_or("(none)")
            )));
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| err(format!("cannot set synchronous = FULL: {e}")))?;
        Ok(Self {
            conn,
            path: path.to_owned(),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, message: impl Into<String>) -> EconomicsError {
        log_error(&self.path, message.into())
    }

    fn sql(&self, what: &str) -> impl Fn(rusqlite::Error) -> EconomicsError + '_ {
        let what = what.to_owned();
        move |e| self.error(format!("{what}: {e}"))
    }

    /// Prices `request` and appends it, issued at `issued_at` (Unix
    /// seconds), in one transaction. Returns the stored quote.
    pub fn append(&mut self, request: &QuoteRequest, issued_at: i64) -> Result<Quote> {
        let terms = request.terms()?;
        let days = i64::try_from(request.reconciliation_period_days).unwrap_or(i64::MAX);
        let due_at = issued_at.saturating_add(days.saturating_mul(SECONDS_PER_DAY));
        let path = self.path.clone();
        let sql = move |what: &'static str| {
            let path = path.clone();
            move |e: rusqlite::Error| log_error(&path, format!("{what}: {e}"))
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql("cannot begin a transaction"))?;
        let seq: i64 = tx
            .query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM quotes", [], |r| {
                r.get(0)
            })
            .map_err(sql("cannot read the next quote number"))?;
        let quote_id = format!("Q-{seq:06}");
        tx.execute(
            "INSERT INTO quotes VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
             ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
            params![
                seq,
                quote_id,
                issued_at,
                due_at,
                request.datapoint_id,
                request.novelty,
                request.causal_gain,
                request.price_per_unit,
                request.expected_mpl,
                request.lower,
                request.upper,
                request.horizon_hours,
                sharing_name(request.sharing),
                request.kappa_floor,
                request.data_sharing_discount,
                request.thresholds.tier0(),
                request.thresholds.tier1(),
                days,
                terms.kappa,
                terms.tier,
                terms.premium,
                terms.discount_per_unit,
            ],
        )
        .map_err(sql("cannot append the quote"))?;
        tx.commit().map_err(sql("cannot commit the quote"))?;
        Ok(Quote {
            quote_id,
            issued_at,
            due_at,
            request: request.clone(),
            terms,
        })
    }

    /// Every quote, in the order issued.
    pub fn quotes(&self) -> Result<Vec<Quote>> {
        self.read_all(
            "SELECT * FROM quotes ORDER BY seq",
            QUOTE_COLUMNS.len(),
            "cannot read quotes",
            quote_from_row,
        )
    }

    /// Every row `sql` selects, `width` columns each, parsed by `parse`;
    /// `what` heads an SQL error.
    fn read_all<T>(
        &self,
        sql: &str,
        width: usize,
        what: &'static str,
        parse: fn(&[Value]) -> std::result::Result<T, String>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare(sql).map_err(self.sql(what))?;
        let rows = stmt
            .query_map([], |r| {
                (0..width)
                    .map(|i| r.get::<_, Value>(i))
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(self.sql(what))?;
        let mut out = Vec::new();
        for row in rows {
            let row = row.map_err(self.sql(what))?;
            out.push(parse(&row).map_err(|m| self.error(m))?);
        }
        Ok(out)
    }

    /// One quote by id.
    pub fn quote(&self, quote_id: &str) -> Result<Quote> {
        let row: Option<Vec<Value>> = self
            .conn
            .query_row(
                "SELECT * FROM quotes WHERE quote_id = ?1",
                [quote_id],
                |r| {
                    (0..QUOTE_COLUMNS.len())
                        .map(|i| r.get::<_, Value>(i))
                        .collect()
                },
            )
            .optional()
            .map_err(self.sql("cannot read quotes"))?;
        match row {
            Some(row) => quote_from_row(&row).map_err(|m| self.error(m)),
            None => Err(EconomicsError::UnknownQuote {
                file: self.path.display().to_string(),
                quote_id: quote_id.to_owned(),
            }),
        }
    }

    /// Every true-up, in the order recorded.
    pub fn true_ups(&self) -> Result<Vec<TrueUp>> {
        self.read_all(
            "SELECT * FROM true_ups ORDER BY seq",
            TRUE_UP_COLUMNS.len(),
            "cannot read true-ups",
            true_up_from_row,
        )
    }

    /// Records the true-up of `quote_id` against `realized_mpl`, at
    /// `recorded_at` (Unix seconds), in one transaction. Refuses an unknown
    /// quote and a second true-up of the same quote, writing nothing.
    pub fn true_up(
        &mut self,
        quote_id: &str,
        realized_mpl: f64,
        recorded_at: i64,
    ) -> Result<TrueUp> {
        crate::error::finite("realized_mpl", realized_mpl)?;
        let path = self.path.clone();
        let sql = |what: &'static str| {
            let path = path.clone();
            move |e: rusqlite::Error| log_error(&path, format!("{what}: {e}"))
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql("cannot begin a transaction"))?;
        let row: Option<Vec<Value>> = tx
            .query_row(
                "SELECT * FROM quotes WHERE quote_id = ?1",
                [quote_id],
                |r| {
                    (0..QUOTE_COLUMNS.len())
                        .map(|i| r.get::<_, Value>(i))
                        .collect()
                },
            )
            .optional()
            .map_err(sql("cannot read quotes"))?;
        let Some(row) = row else {
            return Err(EconomicsError::UnknownQuote {
                file: path.display().to_string(),
                quote_id: quote_id.to_owned(),
            });
        };
        let quote = quote_from_row(&row).map_err(|m| log_error(&path, m))?;
        let earlier: Option<(i64, f64)> = tx
            .query_row(
                "SELECT recorded_at, realized_mpl FROM true_ups WHERE quote_id = ?1",
                [quote_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(sql("cannot read true-ups"))?;
        if let Some((at, realized)) = earlier {
            return Err(EconomicsError::AlreadyTruedUp {
                file: path.display().to_string(),
                quote_id: quote_id.to_owned(),
                at: format_rfc3339(at),
                realized_mpl: realized,
            });
        }
        let t = true_up(&quote, realized_mpl, recorded_at)?;
        tx.execute(
            "INSERT INTO true_ups (quote_id, recorded_at, realized_mpl, premium_realized, trueup_amount) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![t.quote_id, t.recorded_at, t.realized_mpl, t.premium_realized, t.trueup_amount],
        )
        .map_err(sql("cannot append the true-up"))?;
        tx.commit().map_err(sql("cannot commit the true-up"))?;
        Ok(t)
    }

    /// Verifies the store: SQLite's integrity check, the schema, every row
    /// well-formed and consistent with its inputs, no duplicate ids, every
    /// true-up naming an existing quote. Reads only.
    pub fn check(&self) -> Result<LogCheck> {
        let mut problems = Vec::new();
        let integrity: Vec<String> = match self
            .conn
            .prepare("PRAGMA integrity_check")
            .and_then(|mut stmt| stmt.query_map([], |r| r.get(0))?.collect())
        {
            Ok(lines) => lines,
            // A file too damaged to check is damaged, not a failed command.
            Err(e) => vec![format!("cannot complete ({e})")],
        };
        if integrity != ["ok"] {
            problems.extend(
                integrity
                    .into_iter()
                    .map(|m| format!("integrity_check: {m}")),
            );
        }
        // WAL is what makes a commit survive a kill without a torn page.
        match self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))
        {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => {}
            Ok(mode) => problems.push(format!("journal_mode is {mode}: expected wal")),
            Err(e) => problems.push(format!("cannot read journal_mode ({e})")),
        }
        for (table, want) in [
            ("meta", vec!["key", "value"]),
            ("quotes", QUOTE_COLUMNS.to_vec()),
            ("true_ups", TRUE_UP_COLUMNS.to_vec()),
        ] {
            let got = self.columns(table)?;
            if got != want {
                problems.push(format!(
                    "table {table} has columns [{}]: expected [{}]",
                    got.join(", "),
                    want.join(", ")
                ));
            }
        }
        if !problems.is_empty() {
            return Ok(LogCheck {
                quotes: 0,
                true_ups: 0,
                problems,
            });
        }

        let quote_rows =
            match self.raw_rows("SELECT * FROM quotes ORDER BY seq", QUOTE_COLUMNS.len()) {
                Ok(rows) => rows,
                Err(e) => {
                    problems.push(e.to_string());
                    return Ok(LogCheck {
                        quotes: 0,
                        true_ups: 0,
                        problems,
                    });
                }
            };
        let mut quotes = std::collections::HashMap::new();
        for row in &quote_rows {
            let seq = &row[0];
            match quote_from_row(row) {
                Ok(q) => {
                    if let Err(m) = consistent(&q) {
                        problems.push(format!("quote {}: {m}", q.quote_id));
                    }
                    if quotes.insert(q.quote_id.clone(), q.clone()).is_some() {
                        problems.push(format!("quote id {} appears more than once", q.quote_id));
                    }
                }
                Err(m) => problems.push(format!("quotes row seq {seq:?}: {m}")),
            }
        }
        let true_up_rows =
            match self.raw_rows("SELECT * FROM true_ups ORDER BY seq", TRUE_UP_COLUMNS.len()) {
                Ok(rows) => rows,
                Err(e) => {
                    problems.push(e.to_string());
                    Vec::new()
                }
            };
        let mut settled = std::collections::HashSet::new();
        for row in &true_up_rows {
            let seq = &row[0];
            match true_up_from_row(row) {
                Ok(t) => {
                    if !settled.insert(t.quote_id.clone()) {
                        problems.push(format!("quote {} is trued up more than once", t.quote_id));
                    }
                    match quotes.get(&t.quote_id) {
                        None => problems.push(format!(
                            "true-up seq {seq:?} names quote {}, which is not in the log",
                            t.quote_id
                        )),
                        Some(q) => match true_up(q, t.realized_mpl, t.recorded_at) {
                            Ok(want) if !same(want.trueup_amount, t.trueup_amount)
                                || !same(want.premium_realized, t.premium_realized) =>
                            {
                                problems.push(format!(
                                    "true-up of {}: amount {} (realized premium {}), expected {} ({})",
                                    t.quote_id,
                                    t.trueup_amount,
                                    t.premium_realized,
                                    want.trueup_amount,
                                    want.premium_realized
                                ))
                            }
                            Ok(_) => {}
                            Err(e) => problems.push(format!("true-up of {}: {e}", t.quote_id)),
                        },
                    }
                }
                Err(m) => problems.push(format!("true_ups row seq {seq:?}: {m}")),
            }
        }
        Ok(LogCheck {
            quotes: quote_rows.len(),
            true_ups: true_up_rows.len(),
            problems,
        })
    }

    fn columns(&self, table: &str) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare(&format!("PRAGMA table_info({table})"))
            .map_err(self.sql("cannot read the schema"))?;
        stmt.query_map([], |r| r.get::<_, String>(1))
            .and_then(|rows| rows.collect())
            .map_err(self.sql("cannot read the schema"))
    }

    fn raw_rows(&self, query: &str, width: usize) -> Result<Vec<Vec<Value>>> {
        let mut stmt = self
            .conn
            .prepare(query)
            .map_err(self.sql("cannot read rows"))?;
        stmt.query_map([], |r| (0..width).map(|i| r.get::<_, Value>(i)).collect())
            .and_then(|rows| rows.collect())
            .map_err(self.sql("cannot read rows"))
    }
}

fn log_error(path: &Path, message: String) -> EconomicsError {
    EconomicsError::QuoteLog {
        file: path.display().to_string(),
        message,
    }
}

/// Builds an empty log beside `path` and links it into place; if another
/// process got there first, its log stands.
fn create(path: &Path) -> Result<()> {
    let err = |message: String| log_error(path, message);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| err("has no file name: expected a file path".into()))?
        .to_string_lossy()
        .into_owned();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = dir.join(format!(".{name}.creating-{}-{nanos}", std::process::id()));
    let build = || -> rusqlite::Result<()> {
        let conn = Connection::open(&tmp)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(&format!(
            "BEGIN; {SCHEMA} INSERT INTO meta VALUES ('format', '{FORMAT}'), ('version', '{VERSION}'); COMMIT;"
        ))?;
        conn.close().map_err(|(_, e)| e)
    };
    let result = build()
        .map_err(|e| err(format!("cannot create: {e}")))
        .and_then(|()| {
            std::fs::File::open(&tmp)
                .and_then(|f| f.sync_all())
                .map_err(|e| err(format!("cannot sync the new log: {e}")))
        })
        .and_then(|()| match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(err(format!("cannot create: {e}"))),
        });
    for suffix in ["", "-wal", "-shm"] {
        let mut p = tmp.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    if result.is_ok()
        && let Ok(d) = std::fs::File::open(&dir)
    {
        // The new name must survive a crash with the file.
        let _ = d.sync_all();
    }
    result
}

fn sharing_name(s: SharingStatus) -> &'static str {
    match s {
        SharingStatus::Withheld => "withheld",
        SharingStatus::Shared => "shared",
    }
}

fn int(row: &[Value], i: usize, name: &str) -> std::result::Result<i64, String> {
    match &row[i] {
        Value::Integer(v) => Ok(*v),
        other => Err(format!("{name} is {other:?}: expected an integer")),
    }
}

fn real(row: &[Value], i: usize, name: &str) -> std::result::Result<f64, String> {
    match &row[i] {
        Value::Real(v) if v.is_finite() => Ok(*v),
        Value::Integer(v) => Ok(*v as f64),
        other => Err(format!("{name} is {other:?}: expected a finite number")),
    }
}

fn opt_real(row: &[Value], i: usize, name: &str) -> std::result::Result<Option<f64>, String> {
    match &row[i] {
        Value::Null => Ok(None),
        _ => real(row, i, name).map(Some),
    }
}

fn text(row: &[Value], i: usize, name: &str) -> std::result::Result<String, String> {
    match &row[i] {
        Value::Text(v) => Ok(v.clone()),
        other => Err(format!("{name} is {other:?}: expected text")),
    }
}

fn quote_from_row(row: &[Value]) -> std::result::Result<Quote, String> {
    if row.len() != QUOTE_COLUMNS.len() {
        return Err(format!(
            "{} columns: expected {}",
            row.len(),
            QUOTE_COLUMNS.len()
        ));
    }
    let c = |i: usize| QUOTE_COLUMNS[i];
    let quote_id = text(row, 1, c(1))?;
    if !quote_id.starts_with("Q-") || quote_id.len() < 8 {
        return Err(format!("quote_id '{quote_id}': expected Q-NNNNNN"));
    }
    let datapoint_id = match &row[4] {
        Value::Null => None,
        _ => Some(text(row, 4, c(4))?),
    };
    let sharing = match text(row, 12, c(12))?.as_str() {
        "withheld" => SharingStatus::Withheld,
        "shared" => SharingStatus::Shared,
        other => return Err(format!("sharing '{other}': expected withheld or shared")),
    };
    let thresholds = TierThresholds::new(real(row, 15, c(15))?, real(row, 16, c(16))?)
        .map_err(|e| e.to_string())?;
    let days = int(row, 17, c(17))?;
    let tier = int(row, 19, c(19))?;
    let request = QuoteRequest {
        datapoint_id,
        novelty: opt_real(row, 5, c(5))?,
        causal_gain: opt_real(row, 6, c(6))?,
        price_per_unit: real(row, 7, c(7))?,
        expected_mpl: real(row, 8, c(8))?,
        lower: real(row, 9, c(9))?,
        upper: opt_real(row, 10, c(10))?,
        horizon_hours: real(row, 11, c(11))?,
        sharing,
        kappa_floor: real(row, 13, c(13))?,
        data_sharing_discount: real(row, 14, c(14))?,
        thresholds,
        reconciliation_period_days: u64::try_from(days)
            .map_err(|_| format!("reconciliation_period_days {days}: expected >= 1"))?,
    };
    request.validate().map_err(|e| e.to_string())?;
    Ok(Quote {
        quote_id,
        issued_at: int(row, 2, c(2))?,
        due_at: int(row, 3, c(3))?,
        terms: QuoteTerms {
            kappa: real(row, 18, c(18))?,
            tier: u8::try_from(tier)
                .ok()
                .filter(|t| *t <= 2)
                .ok_or_else(|| format!("tier {tier}: expected 0, 1 or 2"))?,
            premium: real(row, 20, c(20))?,
            discount_per_unit: real(row, 21, c(21))?,
        },
        request,
    })
}

fn true_up_from_row(row: &[Value]) -> std::result::Result<TrueUp, String> {
    if row.len() != TRUE_UP_COLUMNS.len() {
        return Err(format!(
            "{} columns: expected {}",
            row.len(),
            TRUE_UP_COLUMNS.len()
        ));
    }
    let c = |i: usize| TRUE_UP_COLUMNS[i];
    Ok(TrueUp {
        quote_id: text(row, 1, c(1))?,
        recorded_at: int(row, 2, c(2))?,
        realized_mpl: real(row, 3, c(3))?,
        premium_realized: real(row, 4, c(4))?,
        trueup_amount: real(row, 5, c(5))?,
    })
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// A stored quote's terms and due date agree with its inputs.
fn consistent(q: &Quote) -> std::result::Result<(), String> {
    let want = q.request.terms().map_err(|e| e.to_string())?;
    let t = &q.terms;
    if !same(want.kappa, t.kappa)
        || want.tier != t.tier
        || !same(want.premium, t.premium)
        || !same(want.discount_per_unit, t.discount_per_unit)
    {
        return Err(format!(
            "stored terms (kappa {}, tier {}, premium {}, discount {}) disagree with its inputs \
             (expected kappa {}, tier {}, premium {}, discount {})",
            t.kappa,
            t.tier,
            t.premium,
            t.discount_per_unit,
            want.kappa,
            want.tier,
            want.premium,
            want.discount_per_unit
        ));
    }
    let days = i64::try_from(q.request.reconciliation_period_days).unwrap_or(i64::MAX);
    let due = q
        .issued_at
        .saturating_add(days.saturating_mul(SECONDS_PER_DAY));
    if due != q.due_at {
        return Err(format!(
            "due_at {}: expected {due} (issued_at + {days} days)",
            q.due_at
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::quote_request::tests::spec_request;

    #[test]
    fn quotes_are_appended_with_rising_ids_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("quotes.db");
        let mut log = QuoteLog::open_or_create(&path).unwrap();
        let a = log.append(&spec_request(), 1_000).unwrap();
        let b = log.append(&spec_request(), 2_000).unwrap();
        assert_eq!(
            (a.quote_id.as_str(), b.quote_id.as_str()),
            ("Q-000001", "Q-000002")
        );
        assert_eq!(a.due_at, 1_000 + 90 * 86_400);
        drop(log);
        let log = QuoteLog::open(&path).unwrap();
        assert_eq!(log.quotes().unwrap(), vec![a.clone(), b]);
        assert_eq!(log.quote("Q-000001").unwrap(), a);
        assert!(log.check().unwrap().is_ok());
    }

    #[test]
    fn a_quote_is_trued_up_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("quotes.db");
        let mut log = QuoteLog::open_or_create(&path).unwrap();
        let q = log.append(&spec_request(), 0).unwrap();
        let t = log.true_up(&q.quote_id, 4.5, 10).unwrap();
        assert!((t.trueup_amount - 360.0).abs() < 1e-9);
        assert!(matches!(
            log.true_up(&q.quote_id, 5.0, 11),
            Err(EconomicsError::AlreadyTruedUp { .. })
        ));
        assert!(matches!(
            log.true_up("Q-999999", 5.0, 11),
            Err(EconomicsError::UnknownQuote { .. })
        ));
        assert_eq!(log.true_ups().unwrap(), vec![t]);
        assert!(log.check().unwrap().is_ok());
    }

    #[test]
    fn a_file_that_is_not_a_quote_log_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "hello\n").unwrap();
        assert!(QuoteLog::open_or_create(&text).is_err());
        assert_eq!(std::fs::read(&text).unwrap(), b"hello\n");
        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .unwrap();
        let before = std::fs::read(&other).unwrap();
        let msg = QuoteLog::open(&other).unwrap_err().to_string();
        assert!(msg.contains("is not a quote log"), "{msg}");
        assert_eq!(std::fs::read(&other).unwrap(), before);
        assert!(QuoteLog::open(&dir.path().join("missing.db")).is_err());
        assert!(!dir.path().join("missing.db").exists());
    }

    #[test]
    fn check_finds_a_log_taken_out_of_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("quotes.db");
        let mut log = QuoteLog::open_or_create(&path).unwrap();
        log.append(&spec_request(), 0).unwrap();
        log.conn
            .pragma_update(None, "journal_mode", "DELETE")
            .unwrap();
        let check = log.check().unwrap();
        assert_eq!(check.problems, vec!["journal_mode is delete: expected wal"]);
    }

    #[test]
    fn check_finds_a_true_up_of_a_missing_quote_and_edited_terms() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("quotes.db");
        let mut log = QuoteLog::open_or_create(&path).unwrap();
        log.append(&spec_request(), 0).unwrap();
        log.conn
            .execute_batch(
                "PRAGMA foreign_keys = OFF; UPDATE quotes SET premium = 1.0; \
                 INSERT INTO true_ups (quote_id, recorded_at, realized_mpl, premium_realized, trueup_amount) \
                 VALUES ('Q-000777', 0, 1.0, 0.0, 0.0);",
            )
            .unwrap();
        let check = log.check().unwrap();
        assert_eq!(check.problems.len(), 2, "{:?}", check.problems);
        assert!(check.problems.iter().any(|p| p.contains("not in the log")));
        assert!(check.problems.iter().any(|p| p.contains("disagree")));
    }
}
