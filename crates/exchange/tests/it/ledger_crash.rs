//! SIGKILL a process that is writing transfers, many times at random
//! moments; after every kill the ledger opens, passes its integrity check,
//! and holds every transfer whose call returned exactly once.
//!
//! The writer is this test binary run again with [`CHILD_ENV`] set: it
//! runs `ledger_crash::crash_child_writes_transfers` (ignored otherwise),
//! which prints `applied <id>` after each `apply` returns.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use exchange::{LedgerStore, PostgresLedger, SqliteLedger, TxType};
use rand::{Rng, SeedableRng};

use crate::common::{Backend, tr};

const CHILD_ENV: &str = "VP_LEDGER_CRASH_CHILD";
const START_ENV: &str = "VP_LEDGER_CRASH_START";
const KILLS: usize = 30;

fn open_spec(spec: &str) -> Box<dyn LedgerStore> {
    match spec.split_once(':') {
        Some(("sqlite", dir)) => Box::new(SqliteLedger::init(std::path::Path::new(dir)).unwrap()),
        Some(("postgres", rest)) => {
            let (schema, url) = rest.split_once(':').unwrap();
            Box::new(PostgresLedger::connect_schema(url, schema).unwrap())
        }
        _ => panic!("bad {CHILD_ENV} {spec}"),
    }
}

/// The transfer with index `i` of the writer's fixed sequence.
fn nth(i: u64) -> exchange::Transfer {
    let id = format!("t-{i:06}");
    match i % 4 {
        0 => tr(&id, TxType::RoutingFee, "alice", "bob", 1),
        1 => tr(&id, TxType::RoutingFee, "bob", "alice", 1),
        2 => tr(&id, TxType::Stake, "alice", "alice", 2),
        _ => tr(&id, TxType::Unstake, "alice", "alice", 2),
    }
}

#[test]
#[ignore = "child process of the crash tests; they run it"]
fn crash_child_writes_transfers() {
    use std::io::Write;
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let start: u64 = std::env::var(START_ENV).unwrap().parse().unwrap();
    let mut l = open_spec(&spec);
    for (id, who) in [("seed-alice", "alice"), ("seed-bob", "bob")] {
        l.apply(&tr(id, TxType::Seed, "mint", who, 1000)).unwrap();
    }
    let mut out = std::io::stdout().lock();
    for i in start.. {
        let applied = l.apply(&nth(i)).unwrap();
        writeln!(out, "applied {} {}", applied.transaction.transfer.id, i).unwrap();
        out.flush().unwrap();
    }
}

fn crash_repeatedly(spec: &str, b: &Backend) {
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(16);
    let mut acked: Vec<u64> = Vec::new();
    let mut next_start = 0u64;
    for round in 0..KILLS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "ledger_crash::crash_child_writes_transfers",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, spec)
            .env(START_ENV, next_start.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Some rounds kill before the first transfer returns (during open,
        // schema creation or the integrity check); most after a few.
        let target: usize = if round % 5 == 0 {
            0
        } else {
            rng.random_range(1..40)
        };
        let mut seen = 0;
        if target == 0 {
            std::thread::sleep(Duration::from_micros(rng.random_range(0..30_000)));
        } else {
            for line in lines.by_ref() {
                let line = line.unwrap();
                if let Some(rest) = line.strip_prefix("applied ") {
                    acked.push(rest.split(' ').nth(1).unwrap().parse().unwrap());
                    seen += 1;
                    if seen >= target {
                        break;
                    }
                }
            }
            // Land the kill anywhere within the next transfers.
            std::thread::sleep(Duration::from_micros(rng.random_range(0..3_000)));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        // Lines already in the pipe were printed after their call returned.
        for line in lines {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("applied ") {
                acked.push(rest.split(' ').nth(1).unwrap().parse().unwrap());
            }
        }

        let mut l = b
            .open()
            .unwrap_or_else(|e| panic!("round {round}: reopen failed: {e}"));
        l.check_integrity().unwrap();
        let snap = l.snapshot().unwrap();
        let mut written: Vec<u64> = snap
            .transactions
            .iter()
            .filter_map(|t| t.transfer.id.strip_prefix("t-").map(|n| n.parse().unwrap()))
            .collect();
        written.sort_unstable();
        // The writer is sequential, so what is written is a prefix 0..n with
        // no gap and no repeat, and covers everything acknowledged.
        let n = written.len() as u64;
        assert_eq!(written, (0..n).collect::<Vec<_>>(), "round {round}");
        if let Some(&max) = acked.iter().max() {
            assert!(
                max < n,
                "round {round}: t-{max} returned but is not in the ledger"
            );
        }
        for i in &acked {
            let t = l.transaction(&format!("t-{i:06}")).unwrap();
            assert_eq!(t.map(|t| t.transfer), Some(nth(*i)), "round {round}");
        }
        // Resubmit the last few: they must come back as duplicates.
        next_start = n.saturating_sub(3);
    }
    assert!(
        acked.len() >= KILLS,
        "only {} transfers acknowledged",
        acked.len()
    );
    println!(
        "crash test: {KILLS} kills, {} transfers acknowledged",
        acked.len()
    );
}

#[test]
fn sqlite_ledger_survives_sigkill_mid_write() {
    let b = Backend::sqlite();
    let Backend::Sqlite(dir) = &b else {
        unreachable!()
    };
    let spec = format!("sqlite:{}", dir.path().display());
    crash_repeatedly(&spec, &b);
}

#[test]
fn postgres_ledger_survives_sigkill_mid_write() {
    let Some(b) = Backend::postgres() else { return };
    let Backend::Postgres { url, schema } = &b else {
        unreachable!()
    };
    let spec = format!("postgres:{schema}:{url}");
    crash_repeatedly(&spec, &b);
}
