//! Opening a fresh ledger of either store for a test.

use std::sync::atomic::{AtomicU64, Ordering};

use exchange::{Credits, LedgerStore, Party, PostgresLedger, SqliteLedger, Transfer, TxType};

/// The environment variable naming the PostgreSQL server of the tests.
pub const PG_ENV: &str = "VP_TEST_POSTGRES_URL";

/// Where a test's ledger lives.
pub enum Backend {
    /// A temporary exchange folder.
    Sqlite(tempfile::TempDir),
    /// A fresh schema on the test server.
    Postgres { url: String, schema: String },
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl Backend {
    pub fn sqlite() -> Backend {
        Backend::Sqlite(tempfile::tempdir().expect("temporary folder"))
    }

    /// `None` (after printing why) when no server is configured.
    pub fn postgres() -> Option<Backend> {
        let url = pg_url()?;
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let schema = format!("t_{}_{}_{}", std::process::id(), n, nanos);
        Some(Backend::Postgres { url, schema })
    }

    pub fn open(&self) -> exchange::Result<Box<dyn LedgerStore + Send>> {
        Ok(match self {
            Backend::Sqlite(dir) => Box::new(SqliteLedger::init(dir.path())?),
            Backend::Postgres { url, schema } => {
                Box::new(PostgresLedger::connect_schema(url, schema)?)
            }
        })
    }

    /// Runs raw SQL on the store's tables, bypassing the ledger (to tamper).
    pub fn raw(&self, sql: &str) -> Result<(), String> {
        match self {
            Backend::Sqlite(dir) => {
                let conn = rusqlite::Connection::open(dir.path().join(SqliteLedger::FILE_NAME))
                    .map_err(|e| e.to_string())?;
                conn.execute_batch(sql).map_err(|e| e.to_string())
            }
            Backend::Postgres { url, schema } => {
                let mut c =
                    postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
                c.batch_execute(&format!("SET search_path TO {schema}; {sql}"))
                    .map_err(|e| format!("{e:?}"))
            }
        }
    }
}

pub fn pg_url() -> Option<String> {
    match std::env::var(PG_ENV) {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            println!("skipped: {PG_ENV} unset");
            None
        }
    }
}

pub fn c(whole: i64) -> Credits {
    Credits::from_whole(whole).expect("small amount")
}

pub fn tr(id: &str, ty: TxType, from: &str, to: &str, whole: i64) -> Transfer {
    Transfer::new(
        id,
        ty,
        from.parse::<Party>().expect("party"),
        to.parse::<Party>().expect("party"),
        c(whole),
    )
}

/// Instantiates each named `fn(&Backend)` once per store.
#[macro_export]
macro_rules! both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() {
                super::$name(&$crate::common::Backend::sqlite());
            })*
        }
        mod postgres {
            $(#[test]
            fn $name() {
                if let Some(b) = $crate::common::Backend::postgres() {
                    super::$name(&b);
                }
            })*
        }
    };
}
