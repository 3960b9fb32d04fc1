//! `vp exchange init|transfer|balances|check|export|allocate`, run as the
//! real binary on a temporary exchange folder (and on PostgreSQL when
//! `VP_TEST_POSTGRES_URL` names a server).

use crate::cli::{stderr_of, test_postgres_url, vp};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

fn ok(args: &[&str]) -> String {
    let o = vp(args);
    assert!(o.status.success(), "vp {args:?}: {}", stderr_of(&o));
    String::from_utf8(o.stdout).expect("UTF-8 output")
}

fn json_of(args: &[&str]) -> Value {
    let out = ok(args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("vp {args:?} printed {out:?}: {e}"))
}

/// `vp exchange transfer` on `loc` (`["--dir", D]` or `["--db", URL]`).
fn transfer(loc: &[&str], id: &str, ty: &str, from: &str, to: &str, amount: &str) -> Output {
    let mut args = vec!["exchange", "transfer"];
    args.extend_from_slice(loc);
    args.extend_from_slice(&[
        "--id", id, "--type", ty, "--from", from, "--to", to, "--amount", amount, "--json",
    ]);
    vp(&args)
}

fn balances(loc: &[&str]) -> Value {
    let mut args = vec!["exchange", "balances"];
    args.extend_from_slice(loc);
    args.push("--json");
    json_of(&args)
}

fn account<'a>(b: &'a Value, id: &str) -> &'a Value {
    b["accounts"]
        .as_array()
        .expect("accounts array")
        .iter()
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| panic!("account {id} in {b}"))
}

fn micros(v: &Value) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| panic!("integer micro-credits, got {v}"))
}

/// Seeds a (100) and b (50), then a pays a prediction (10), stakes 20 and
/// pays b a routing fee of 5; b earns a reward of 7.5.
fn populate(loc: &[&str], p: &str) {
    let a = format!("{p}a");
    let b = format!("{p}b");
    for (id, ty, from, to, amount) in [
        ("seed-a", "seed", "mint", a.as_str(), "100"),
        ("seed-b", "seed", "mint", b.as_str(), "50"),
        ("cost-1", "prediction_cost", a.as_str(), "sink", "10"),
        ("stake-1", "stake", a.as_str(), a.as_str(), "20"),
        ("fee-1", "routing_fee", a.as_str(), b.as_str(), "5"),
        ("reward-1", "value_reward", "mint", b.as_str(), "7.5"),
    ] {
        let id = format!("{p}{id}");
        let o = transfer(loc, &id, ty, from, to, amount);
        assert!(o.status.success(), "{id}: {}", stderr_of(&o));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["duplicate"], false);
        assert_eq!(v["id"], id);
    }
}

#[test]
fn exchange_ledger_commands_on_an_exchange_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("exchange");
    let d = dir.to_str().unwrap();
    let loc = ["--dir", d];
    ok(&["exchange", "init", "--dir", d]);
    assert!(dir.join("ledger.sqlite").is_file());
    ok(&["exchange", "init", "--dir", d]); // again: opens, changes nothing

    populate(&loc, "");
    let before = balances(&loc);
    // a: 100 − 10 − 20 − 5 = 65 available, 20 staked, spent 10 + 5 = 15,
    // burned 10, ROI (0 − 15)/15 = −1.
    let a = account(&before, "a");
    assert_eq!(micros(&a["available_micros"]), 65_000_000);
    assert_eq!(micros(&a["staked_micros"]), 20_000_000);
    assert_eq!(micros(&a["spent_micros"]), 15_000_000);
    assert_eq!(micros(&a["burned_micros"]), 10_000_000);
    assert_eq!(a["predictions"], 1);
    assert_eq!(a["roi"].as_f64(), Some(-1.0));
    // b: 50 + 5 + 7.5 = 62.5 available, earned 12.5, one win.
    let b = account(&before, "b");
    assert_eq!(micros(&b["available_micros"]), 62_500_000);
    assert_eq!(micros(&b["earned_micros"]), 12_500_000);
    assert_eq!(b["win_rate"].as_f64(), Some(1.0));
    // minted 100 + 50 + 7.5 = 157.5 = held 65 + 20 + 62.5 = 147.5 + burned 10.
    let t = &before["totals"];
    assert_eq!(micros(&t["minted_micros"]), 157_500_000);
    assert_eq!(micros(&t["held_micros"]), 147_500_000);
    assert_eq!(micros(&t["burned_micros"]), 10_000_000);
    assert_eq!(t["conserved"], true);
    assert_eq!(before["transactions"], 6);
    assert_eq!(before["active_stakes"].as_array().unwrap().len(), 1);

    // A retry with the same id and contents: exit 0, nothing changes.
    let o = transfer(&loc, "seed-a", "seed", "mint", "a", "100");
    assert!(o.status.success(), "{}", stderr_of(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["duplicate"], true);
    assert_eq!(v["seq"], 1);
    let human = ok(&[
        "exchange", "transfer", "--dir", d, "--id", "seed-a", "--type", "seed", "--from", "mint",
        "--to", "a", "--amount", "100",
    ]);
    assert!(human.contains("nothing changed"), "{human}");
    assert_eq!(balances(&loc), before);

    // The same id with another amount is refused.
    let o = transfer(&loc, "seed-a", "seed", "mint", "a", "99");
    assert!(!o.status.success());
    assert!(stderr_of(&o).contains("--id"), "{}", stderr_of(&o));

    // Overdraft: b holds 62.5, cannot pay 1000.
    let o = transfer(&loc, "cost-big", "prediction_cost", "b", "sink", "1000");
    assert!(!o.status.success());
    let e = stderr_of(&o);
    assert!(e.contains("--amount") && e.contains("overdraft"), "{e}");
    // Unstaking more than is staked is an overdraft of `staked`.
    let o = transfer(&loc, "unstake-big", "unstake", "a", "a", "21");
    assert!(!o.status.success());
    assert!(stderr_of(&o).contains("staked"), "{}", stderr_of(&o));

    // A bad type, bad parties for a type, a bad amount.
    let o = transfer(&loc, "x-1", "refund", "mint", "a", "1");
    assert!(!o.status.success());
    let e = stderr_of(&o);
    assert!(e.contains("--type") && e.contains("refund"), "{e}");
    let o = transfer(&loc, "x-2", "seed", "a", "b", "1");
    assert!(!o.status.success());
    assert!(stderr_of(&o).contains("--from"), "{}", stderr_of(&o));
    let o = transfer(&loc, "x-3", "stake", "a", "b", "1");
    assert!(!o.status.success());
    assert!(stderr_of(&o).contains("--to"), "{}", stderr_of(&o));
    let o = transfer(&loc, "x-4", "seed", "mint", "a", "-5");
    assert!(!o.status.success());
    assert!(stderr_of(&o).contains("--amount"), "{}", stderr_of(&o));
    assert_eq!(balances(&loc), before, "refusals change nothing");

    // Human-readable balances name every account and the totals.
    let table = ok(&["exchange", "balances", "--dir", d]);
    assert!(table.contains("minted 157.500000"), "{table}");

    // Check passes, export writes the seed's layout.
    let out = ok(&["exchange", "check", "--dir", d]);
    assert!(out.contains("passes"), "{out}");
    let export = tmp.path().join("export");
    let e = export.to_str().unwrap();
    let summary = json_of(&["exchange", "export", "--dir", d, "--out", e, "--json"]);
    assert_eq!(summary["transactions"], 6);
    assert_eq!(summary["accounts"], 2);
    check_export_layout(&export);
}

fn check_export_layout(export: &Path) {
    let ledger = std::fs::read_to_string(export.join("ledger.jsonl")).unwrap();
    assert_eq!(ledger.lines().count(), 6);
    for l in ledger.lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        assert!(v["id"].is_string() && v["amount_micros"].is_i64(), "{l}");
    }
    for f in [
        "accounts/a.json",
        "accounts/b.json",
        "stakes/active_stakes.json",
        "market/price_history.jsonl",
        "market/market_state.json",
        "tracked/exchange_summary.jsonl",
    ] {
        assert!(export.join(f).is_file(), "{f} exported");
    }
    let a: Value =
        serde_json::from_str(&std::fs::read_to_string(export.join("accounts/a.json")).unwrap())
            .unwrap();
    assert_eq!(a["available_micros"], 65_000_000);
    let stakes: Value = serde_json::from_str(
        &std::fs::read_to_string(export.join("stakes/active_stakes.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(stakes[0]["expert"], "a");
    // One day of value signals holding the one reward.
    let days: Vec<_> = std::fs::read_dir(export.join("value_signals"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(days.len(), 1);
    let signals = std::fs::read_to_string(days[0].join("signals.jsonl")).unwrap();
    assert_eq!(signals.lines().count(), 1);
    let market: Value = serde_json::from_str(
        &std::fs::read_to_string(export.join("market/market_state.json")).unwrap(),
    )
    .unwrap();
    // minted 157.5 > burned 10 within the day → bull.
    assert_eq!(market["state"], "bull");
}

#[test]
fn exchange_check_fails_on_a_tampered_ledger_file() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().to_str().unwrap();
    ok(&["exchange", "init", "--dir", d]);
    populate(&["--dir", d], "");
    ok(&["exchange", "check", "--dir", d]);
    // Give a one extra credit behind the ledger's back.
    let conn = rusqlite::Connection::open(tmp.path().join("ledger.sqlite")).unwrap();
    conn.execute(
        "UPDATE accounts SET available = available + 1000000 WHERE id = 'a'",
        [],
    )
    .unwrap();
    drop(conn);
    let o = vp(&["exchange", "check", "--dir", d]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr_of(&o));
    let e = stderr_of(&o);
    assert!(e.contains("account 'a' available"), "{e}");
    assert!(e.contains("not conserved"), "{e}");
    // Every other command refuses to start on it.
    let o = vp(&["exchange", "balances", "--dir", d, "--json"]);
    assert!(!o.status.success());
    assert!(stderr_of(&o).contains("integrity"), "{}", stderr_of(&o));
}

#[test]
fn exchange_commands_need_a_ledger_and_exactly_one_location() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("none");
    let d = d.to_str().unwrap();
    let o = vp(&["exchange", "balances", "--dir", d]);
    assert!(!o.status.success());
    assert!(
        stderr_of(&o).contains("vp exchange init"),
        "{}",
        stderr_of(&o)
    );
    assert!(!Path::new(d).exists(), "balances creates nothing");
    let o = vp(&["exchange", "check"]);
    assert!(!o.status.success());
    assert!(
        stderr_of(&o).contains("exactly one of --dir"),
        "{}",
        stderr_of(&o)
    );
    let o = vp(&[
        "exchange",
        "check",
        "--dir",
        d,
        "--db",
        "postgres://x@127.0.0.1:1/x",
    ]);
    assert!(!o.status.success());
}

#[test]
fn exchange_allocate_reproduces_the_four_spec_scenarios() {
    for (state, s, t, c, want, factor, capped) in [
        // 0.08 × (0.4·1.0 + 0.3·0.8 + 0.3·0.7) = 0.08 × 0.85 = 0.068
        ("WAKE", "LOCAL", "EPHEMERAL", "SIMPLE", 0.068, 0.85, false),
        // 0.80 × (0.4 + 0.3 + 0.3) = 0.80 × 1.0 = 0.80
        ("FOCUS", "LOCAL", "SESSION", "AGENT_SCALE", 0.80, 1.0, false),
        // 0.40 × (0.52 + 0.42 + 0.45) = 0.40 × 1.39 = 0.556
        (
            "DREAM",
            "REGIONAL",
            "DAY",
            "SOCIETY_SCALE",
            0.556,
            1.39,
            false,
        ),
        // 0.95 × (0.72 + 0.24 + 0.45) = 0.95 × 1.41 = 1.3395 → capped to 1.0
        (
            "CRISIS",
            "GLOBAL",
            "EPHEMERAL",
            "SOCIETY_SCALE",
            1.0,
            1.41,
            true,
        ),
    ] {
        let v = json_of(&[
            "exchange",
            "allocate",
            "--state",
            state,
            "--spatial",
            s,
            "--temporal",
            t,
            "--complexity",
            c,
            "--json",
        ]);
        let got = v["allocation"].as_f64().unwrap();
        assert!((got - want).abs() < 1e-9, "{state}: {got} vs {want}");
        let f = v["horizon_factor"].as_f64().unwrap();
        assert!((f - factor).abs() < 1e-9, "{state}: {f} vs {factor}");
        assert_eq!(v["capped"], capped, "{state}");
    }
    let o = vp(&[
        "exchange",
        "allocate",
        "--state",
        "SLEEPY",
        "--spatial",
        "LOCAL",
        "--temporal",
        "DAY",
        "--complexity",
        "SIMPLE",
    ]);
    assert!(!o.status.success());
    assert!(stderr_of(&o).contains("--state"), "{}", stderr_of(&o));
}

#[test]
fn exchange_ledger_commands_on_postgres() {
    let Some(url) = test_postgres_url() else {
        return;
    };
    // The commands use the default schema, shared by runs: ids and experts
    // carry a unique prefix.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let p = format!("t{}-{nanos}-", std::process::id());
    let loc = ["--db", url.as_str()];
    ok(&["exchange", "init", "--db", &url]);
    populate(&loc, &p);
    let before = balances(&loc);
    let a = format!("{p}a");
    let b = format!("{p}b");
    assert_eq!(
        micros(&account(&before, &a)["available_micros"]),
        65_000_000
    );
    let o = transfer(&loc, &format!("{p}seed-a"), "seed", "mint", &a, "100");
    assert!(o.status.success(), "{}", stderr_of(&o));
    let o = transfer(
        &loc,
        &format!("{p}big"),
        "prediction_cost",
        &b,
        "sink",
        "1000",
    );
    assert!(!o.status.success());
    assert!(stderr_of(&o).contains("--amount"));
    let after = balances(&loc);
    assert_eq!(account(&after, &a), account(&before, &a));
    assert_eq!(account(&after, &b), account(&before, &b));
    ok(&["exchange", "check", "--db", &url]);
    let tmp = tempfile::tempdir().unwrap();
    ok(&[
        "exchange",
        "export",
        "--db",
        &url,
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(tmp.path().join("ledger.jsonl").is_file());
}
