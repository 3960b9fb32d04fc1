//! The quote log survives SIGKILL mid-write (SPEC §9): `vp econ quote
//! --log` processes are started in small concurrent batches and some are
//! killed at random moments; every quote whose command returned is in the
//! log exactly once, no datapoint is logged twice, and `--check` passes.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn spawn_quote(db: &str, i: usize) -> Child {
    Command::new(env!("CARGO_BIN_EXE_vp"))
        .args([
            "econ",
            "quote",
            "--price-per-unit",
            "0.30",
            "--expected-mpl",
            &format!("{}", 1 + i % 7),
            "--lower",
            "0.5",
            "--horizon",
            "1000",
            "--sharing",
            "withheld",
            "--log",
            db,
            "--datapoint-id",
            &format!("dp-{i}"),
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vp starts")
}

#[test]
fn quote_log_survives_sigkill_mid_write() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("quotes.db");
    let db = db_path.to_str().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(15);

    // How long one quote takes here, so kills land across its whole life
    // (start-up, opening, the transaction, printing). Only where the kills
    // land depends on it, never the verdict. Measured on a scratch log.
    let scratch = dir.path().join("scratch.db");
    let t0 = Instant::now();
    let out = spawn_quote(scratch.to_str().unwrap(), 0)
        .wait_with_output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let typical = t0.elapsed().max(Duration::from_millis(5));
    std::fs::remove_file(&scratch).unwrap();

    let mut returned: HashMap<String, String> = HashMap::new(); // quote_id -> datapoint
    let mut killed = 0;
    let mut next = 0;
    for _batch in 0..16 {
        let batch: Vec<(usize, Child, Option<Duration>)> = (0..4)
            .map(|_| {
                next += 1;
                let kill_at = rng
                    .random_bool(0.6)
                    .then(|| typical.mul_f64(rng.random_range(0.0..1.3)));
                (next, spawn_quote(db, next), kill_at)
            })
            .collect();
        let started = Instant::now();
        // Kill in time order first, then collect: waiting on a child that
        // runs to completion must not delay the kills of the others.
        let mut kills: Vec<(Duration, usize)> = batch
            .iter()
            .enumerate()
            .filter_map(|(k, (_, _, at))| Some(((*at)?, k)))
            .collect();
        kills.sort();
        let mut batch = batch;
        for (at, k) in kills {
            if let Some(wait) = at.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
            let _ = batch[k].1.kill(); // SIGKILL on Unix
        }
        for (i, child, _) in batch {
            let out = child.wait_with_output().unwrap();
            if out.status.success() {
                let v: Value =
                    serde_json::from_slice(&out.stdout).expect("a returned quote prints JSON");
                let id = v["quote_id"].as_str().expect("quote_id").to_owned();
                assert!(
                    returned.insert(id, format!("dp-{i}")).is_none(),
                    "an id handed out twice"
                );
            } else if out.status.code().is_none() {
                killed += 1;
            } else {
                panic!("quote {i} failed: {}", String::from_utf8_lossy(&out.stderr));
            }
        }
        // The log stays sound after every batch of kills.
        if db_path.exists() {
            let check = Command::new(env!("CARGO_BIN_EXE_vp"))
                .args(["econ", "quotes", "--log", db, "--check"])
                .output()
                .unwrap();
            assert!(
                check.status.success(),
                "{}",
                String::from_utf8_lossy(&check.stderr)
            );
        }
    }
    eprintln!("{} returned, {killed} killed by the signal", returned.len());
    assert!(!returned.is_empty(), "some quotes returned");

    let list = Command::new(env!("CARGO_BIN_EXE_vp"))
        .args(["econ", "quotes", "--log", db, "--json"])
        .output()
        .unwrap();
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&list.stdout).unwrap();
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    let mut by_datapoint: HashMap<&str, usize> = HashMap::new();
    for r in &rows {
        *by_id.entry(r["quote_id"].as_str().unwrap()).or_default() += 1;
        *by_datapoint
            .entry(r["datapoint_id"].as_str().unwrap())
            .or_default() += 1;
    }
    for (id, dp) in &returned {
        assert_eq!(
            by_id.get(id.as_str()),
            Some(&1),
            "returned quote {id} logged once"
        );
        let row = rows.iter().find(|r| r["quote_id"] == id.as_str()).unwrap();
        assert_eq!(
            row["datapoint_id"],
            dp.as_str(),
            "{id} holds its own datapoint"
        );
    }
    assert!(
        by_datapoint.values().all(|&n| n == 1),
        "no datapoint logged twice"
    );
    assert!(rows.len() >= returned.len());
    eprintln!(
        "{} quotes logged, {} of them by a process killed after its commit",
        rows.len(),
        rows.len() - returned.len()
    );
}
