//! Ledger throughput: transfers applied per second (each one durable
//! database transaction) on SQLite and, when `VP_TEST_POSTGRES_URL` is set,
//! PostgreSQL; and the time to open a ledger of 1,000 and 10,000
//! transactions (the integrity check replays every one).
//!
//! `cargo bench -p exchange --bench ledger` (or with `--profile dev` to
//! reuse the test build).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_main};
use exchange::{Credits, LedgerStore, Party, PostgresLedger, SqliteLedger, Transfer, TxType};

fn party(s: &str) -> Party {
    s.parse().expect("valid party")
}

fn seed(l: &mut dyn LedgerStore) {
    for who in ["alice", "bob"] {
        l.apply(&Transfer::new(
            format!("seed-{who}"),
            TxType::Seed,
            Party::Mint,
            party(who),
            Credits::from_whole(1_000_000).expect("fits"),
        ))
        .expect("seed");
    }
}

/// The i-th transfer of a sequence that never runs out of funds.
fn nth(i: u64) -> Transfer {
    let (from, to) = if i.is_multiple_of(2) {
        ("alice", "bob")
    } else {
        ("bob", "alice")
    };
    Transfer::new(
        format!("fee-{i}"),
        TxType::RoutingFee,
        party(from),
        party(to),
        Credits::from_micros(1_000),
    )
}

fn apply_throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("ledger_apply");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut sqlite = SqliteLedger::init(dir.path()).expect("ledger");
    seed(&mut sqlite);
    let mut i = 0u64;
    group.bench_function("sqlite_wal_sync_full", |b| {
        b.iter(|| {
            i += 1;
            sqlite.apply(&nth(i)).expect("transfer")
        })
    });
    i = 0;
    group.bench_function("sqlite_duplicate_retry", |b| {
        b.iter(|| {
            i = i % 1000 + 1;
            sqlite.apply(&nth(i)).expect("retry")
        })
    });
    if let Ok(url) = std::env::var("VP_TEST_POSTGRES_URL") {
        let schema = format!("bench_{}", std::process::id());
        let mut pg = PostgresLedger::connect_schema(&url, &schema).expect("ledger");
        seed(&mut pg);
        let mut i = 0u64;
        group.bench_function("postgres_serializable", |b| {
            b.iter(|| {
                i += 1;
                pg.apply(&nth(i)).expect("transfer")
            })
        });
    }
    group.finish();
}

fn open_with_integrity_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("ledger_open");
    group.sample_size(10);
    for n in [1_000u64, 10_000] {
        let dir = tempfile::tempdir().expect("temporary folder");
        {
            let mut l = SqliteLedger::init(dir.path()).expect("ledger");
            seed(&mut l);
            for i in 0..n {
                l.apply(&nth(i)).expect("transfer");
            }
        }
        group.throughput(Throughput::Elements(n));
        group.bench_with_input(BenchmarkId::new("sqlite", n), &n, |b, _| {
            b.iter(|| SqliteLedger::open(dir.path()).expect("open"))
        });
    }
    group.finish();
}

mod groups {
    //! `criterion_group!` generates an undocumented public function.
    #![allow(missing_docs)]
    use super::{apply_throughput, open_with_integrity_check};
    criterion::criterion_group!(benches, apply_throughput, open_with_integrity_check);
}
criterion_main!(groups::benches);
