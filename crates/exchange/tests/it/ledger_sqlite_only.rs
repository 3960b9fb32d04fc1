//! What only the embedded store has: a file, its pragmas, its faults.

use exchange::{ExchangeError, LedgerStore, SqliteLedger, TxType};

use crate::common::tr;

#[test]
fn sqlite_ledger_uses_wal_and_full_sync() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = SqliteLedger::init(dir.path()).unwrap();
    l.apply(&tr("1", TxType::Seed, "mint", "a", 1)).unwrap();
    let conn = rusqlite::Connection::open(l.path()).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(l.path(), dir.path().join("ledger.sqlite"));
}

#[test]
fn opening_a_folder_without_a_ledger_says_to_init() {
    let dir = tempfile::tempdir().unwrap();
    let e = SqliteLedger::open(dir.path()).unwrap_err();
    assert!(matches!(e, ExchangeError::NoLedger { .. }), "{e:?}");
    assert!(e.to_string().contains("vp exchange init"), "{e}");
    assert!(!dir.path().join("ledger.sqlite").exists());
}

#[test]
fn corrupt_ledger_file_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SqliteLedger::FILE_NAME);
    std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
    let e = SqliteLedger::open(dir.path()).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("not a database"), "{msg}");
    assert_eq!(std::fs::read(&path).unwrap(), vec![0x42u8; 8192]);
}

#[test]
fn truncated_ledger_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut l = SqliteLedger::init(dir.path()).unwrap();
        for i in 0..200 {
            l.apply(&tr(
                &format!("s{i}"),
                TxType::Seed,
                "mint",
                &format!("e{}", i % 7),
                1,
            ))
            .unwrap();
        }
    }
    // Fold the WAL into the main file, then cut the file in half.
    {
        let conn = rusqlite::Connection::open(dir.path().join(SqliteLedger::FILE_NAME)).unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
    }
    let path = dir.path().join(SqliteLedger::FILE_NAME);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let e = SqliteLedger::open(dir.path()).unwrap_err();
    assert!(
        matches!(
            e,
            ExchangeError::Sqlite { .. } | ExchangeError::Integrity { .. }
        ),
        "{e:?}"
    );
}
