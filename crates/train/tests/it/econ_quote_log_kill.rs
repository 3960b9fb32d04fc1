//! The quote log survives SIGKILL mid-write (SPEC §9). `vp econ quote
//! --log` processes are started in small concurrent batches and some are
//! killed at random moments: every quote whose command returned is in the
//! log exactly once, no datapoint is logged twice, and `--check` passes
//! after every batch. Then the same for `vp econ true-up`: a true-up that
//! returned is recorded, and one retried after a kill is either recorded
//! now or refused as already done, never applied twice.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::collections::HashMap;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_vp"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vp starts")
}

fn spawn_quote(db: &str, i: usize) -> Child {
    let expected = format!("{}", 1 + i % 7);
    let datapoint = format!("dp-{i}");
    spawn(&[
        "econ",
        "quote",
        "--price-per-unit",
        "0.30",
        "--expected-mpl",
        &expected,
        "--lower",
        "0.5",
        "--horizon",
        "1000",
        "--sharing",
        "withheld",
        "--log",
        db,
        "--datapoint-id",
        &datapoint,
        "--json",
    ])
}

fn spawn_true_up(db: &str, quote_id: &str, realized: f64) -> Child {
    let realized = realized.to_string();
    spawn(&[
        "econ",
        "true-up",
        "--log",
        db,
        "--quote-id",
        quote_id,
        "--realized-mpl",
        &realized,
        "--json",
    ])
}

/// Kills the children whose time has a kill (in time order, from now),
/// then collects every output. Waiting on a child that runs to the end
/// must not delay the kills of the others.
fn kill_and_collect(mut batch: Vec<(Child, Option<Duration>)>) -> Vec<Output> {
    let started = Instant::now();
    let mut kills: Vec<(Duration, usize)> = batch
        .iter()
        .enumerate()
        .filter_map(|(k, (_, at))| Some(((*at)?, k)))
        .collect();
    kills.sort();
    for (at, k) in kills {
        if let Some(wait) = at.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
        let _ = batch[k].0.kill(); // SIGKILL on Unix
    }
    batch
        .into_iter()
        .map(|(child, _)| child.wait_with_output().unwrap())
        .collect()
}

fn check_passes(db: &str) {
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

fn list(db: &str) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_vp"))
        .args(["econ", "quotes", "--log", db, "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
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
    let kill_time = |rng: &mut ChaCha8Rng| {
        rng.random_bool(0.6)
            .then(|| typical.mul_f64(rng.random_range(0.0..1.3)))
    };

    // Quotes.
    let mut returned: HashMap<String, String> = HashMap::new(); // quote_id -> datapoint
    let mut killed = 0;
    let mut next = 0;
    for _batch in 0..16 {
        let ids: Vec<usize> = (next + 1..=next + 4).collect();
        next += 4;
        let batch = ids
            .iter()
            .map(|&i| (spawn_quote(db, i), kill_time(&mut rng)))
            .collect();
        for (i, out) in ids.iter().zip(kill_and_collect(batch)) {
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
        if db_path.exists() {
            check_passes(db);
        }
    }
    assert!(!returned.is_empty(), "some quotes returned");
    let rows = list(db);
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
    eprintln!(
        "quotes: {} returned, {killed} killed by the signal, {} logged ({} by a process killed after its commit)",
        returned.len(),
        rows.len(),
        rows.len() - returned.len()
    );

    // True-ups of every logged quote, killed the same way.
    let quote_ids: Vec<String> = rows
        .iter()
        .map(|r| r["quote_id"].as_str().unwrap().to_owned())
        .collect();
    let realized = |k: usize| 0.25 * (k % 9) as f64;
    let mut settled: HashMap<String, f64> = HashMap::new();
    let mut retry = Vec::new();
    for (chunk_start, chunk) in quote_ids.chunks(4).enumerate().map(|(c, ids)| (c * 4, ids)) {
        let batch = chunk
            .iter()
            .enumerate()
            .map(|(j, id)| {
                (
                    spawn_true_up(db, id, realized(chunk_start + j)),
                    kill_time(&mut rng),
                )
            })
            .collect();
        for (j, out) in kill_and_collect(batch).into_iter().enumerate() {
            let (id, r) = (&chunk[j], realized(chunk_start + j));
            if out.status.success() {
                settled.insert(id.clone(), r);
            } else if out.status.code().is_none() {
                retry.push((id.clone(), r));
            } else {
                panic!(
                    "true-up of {id} failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        check_passes(db);
    }
    let (mut recorded_now, mut already) = (0, 0);
    for (id, r) in &retry {
        let out = spawn_true_up(db, id, *r).wait_with_output().unwrap();
        if out.status.success() {
            recorded_now += 1;
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("already trued up"), "retry of {id}: {err}");
            already += 1;
        }
        settled.insert(id.clone(), *r);
    }
    eprintln!(
        "true-ups: {} killed and retried ({recorded_now} recorded by the retry, {already} already committed)",
        retry.len()
    );
    check_passes(db);
    for row in list(db) {
        let id = row["quote_id"].as_str().unwrap();
        assert_eq!(
            row["realized_mpl"].as_f64(),
            Some(settled[id]),
            "{id} trued up once, as asked"
        );
    }
}
