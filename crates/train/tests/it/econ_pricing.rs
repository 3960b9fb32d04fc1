//! `vp econ estimate`, `quote`, `quotes`, `true-up` and
//! `reconcile-premiums` (SPEC §6), run as the real binary: their numbers,
//! and bad input refused with the file, row or flag named and nothing on
//! disk changed.

use crate::cli::{stderr_of, vp};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Output;

const FIXTURES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../economics/tests/fixtures/bayesian_ridge.json"
));

fn json_of(output: &Output) -> Value {
    assert!(output.status.success(), "{}", stderr_of(output));
    serde_json::from_slice(&output.stdout).expect("one JSON document")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The fixture case scikit-learn fitted on 40 (novelty, causal_gain) rows.
fn sklearn_case() -> Value {
    let doc: Value = serde_json::from_str(FIXTURES).unwrap();
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "novelty_causal_gain_40")
        .unwrap()
        .clone()
}

fn history_csv(case: &Value) -> String {
    let mut text = String::from("novelty,causal_gain,realized_mpl\n");
    for (x, y) in case["x"]
        .as_array()
        .unwrap()
        .iter()
        .zip(case["y"].as_array().unwrap())
    {
        // `{}` of an f64 prints the shortest text that reads back exactly.
        writeln!(
            text,
            "{},{},{}",
            x[0].as_f64().unwrap(),
            x[1].as_f64().unwrap(),
            y.as_f64().unwrap()
        )
        .unwrap();
    }
    text
}

fn rel_close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-8 * want.abs().max(1e-12)
}

#[test]
fn estimate_reproduces_sklearn_and_spec_interval() {
    let case = sklearn_case();
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.csv");
    std::fs::write(&history, history_csv(&case)).unwrap();
    let q = &case["x_query"][0];
    let (novelty, gain) = (
        q[0].as_f64().unwrap().to_string(),
        q[1].as_f64().unwrap().to_string(),
    );
    let out = json_of(&vp(&[
        "econ",
        "estimate",
        "--history",
        s(&history),
        "--novelty",
        &novelty,
        "--causal-gain",
        &gain,
        "--price-per-unit",
        "0.3",
        "--json",
    ]));
    for key in [
        "mean",
        "std",
        "lower",
        "upper",
        "kappa",
        "tier",
        "value_per_hour",
        "coef",
        "intercept",
        "alpha",
        "lambda",
        "n_iter",
    ] {
        assert!(out.get(key).is_some(), "missing {key}: {out}");
    }
    assert_eq!(out["n_iter"], case["n_iter"]);
    for key in ["intercept", "alpha", "lambda"] {
        assert!(
            rel_close(out[key].as_f64().unwrap(), case[key].as_f64().unwrap()),
            "{key}: {out}"
        );
    }
    for (g, w) in out["coef"]
        .as_array()
        .unwrap()
        .iter()
        .zip(case["coef"].as_array().unwrap())
    {
        assert!(
            rel_close(g.as_f64().unwrap(), w.as_f64().unwrap()),
            "coef {g} vs {w}"
        );
    }
    let (mean, std) = (out["mean"].as_f64().unwrap(), out["std"].as_f64().unwrap());
    assert!(rel_close(mean, case["mean"][0].as_f64().unwrap()), "{out}");
    assert!(rel_close(std, case["std"][0].as_f64().unwrap()), "{out}");
    // z of 0.80 is 1.2816, computed.
    assert!((out["z"].as_f64().unwrap() - 1.2816).abs() < 5e-5);
    let lower = out["lower"].as_f64().unwrap();
    assert!((lower - (mean - out["z"].as_f64().unwrap() * std).max(0.0)).abs() < 1e-12);
    let kappa = out["kappa"].as_f64().unwrap();
    assert!((kappa - (lower / mean).clamp(0.25, 1.0)).abs() < 1e-12);
    assert!((out["value_per_hour"].as_f64().unwrap() - 0.3 * kappa * mean).abs() < 1e-12);
}

#[test]
fn estimate_before_min_samples_is_zero() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.csv");
    std::fs::write(
        &history,
        "novelty,causal_gain,realized_mpl\n0.1,0.2,1.0\n0.3,0.1,2.0\n",
    )
    .unwrap();
    let out = json_of(&vp(&[
        "econ",
        "estimate",
        "--history",
        s(&history),
        "--novelty",
        "0.5",
        "--causal-gain",
        "0.5",
        "--json",
    ]));
    assert_eq!(
        (
            out["mean"].as_f64(),
            out["lower"].as_f64(),
            out["upper"].as_f64()
        ),
        (Some(0.0), Some(0.0), Some(0.0))
    );
    assert_eq!(out["kappa"].as_f64(), Some(0.25));
    assert_eq!(out["fitted"], Value::Bool(false));
    assert!(out["coef"].is_null());
}

#[test]
fn quote_prices_spec_example_at_1440_dollars() {
    let out = json_of(&vp(&[
        "econ",
        "quote",
        "--price-per-unit",
        "0.30",
        "--expected-mpl",
        "6",
        "--lower",
        "4.8",
        "--horizon",
        "1000",
        "--sharing",
        "withheld",
        "--json",
    ]));
    assert!(
        (out["premium"].as_f64().unwrap() - 1440.0).abs() < 1e-9,
        "{out}"
    );
    assert!((out["kappa"].as_f64().unwrap() - 0.8).abs() < 1e-12);
    assert_eq!(out["tier"], 2);
    assert_eq!(out["discount_per_unit"].as_f64(), Some(0.0));
    assert!(out.get("quote_id").is_none());
    let shared = json_of(&vp(&[
        "econ",
        "quote",
        "--price-per-unit",
        "0.30",
        "--expected-mpl",
        "6",
        "--lower",
        "4.8",
        "--horizon",
        "1000",
        "--sharing",
        "shared",
        "--json",
    ]));
    assert_eq!(shared["premium"].as_f64(), Some(0.0));
    assert!((shared["discount_per_unit"].as_f64().unwrap() - 0.045).abs() < 1e-12);
}

#[test]
fn quote_log_true_up_and_reconciliation_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quotes.db");
    let quote = |e: &str, l: &str, at: &str| {
        json_of(&vp(&[
            "econ",
            "quote",
            "--price-per-unit",
            "0.30",
            "--expected-mpl",
            e,
            "--lower",
            l,
            "--horizon",
            "1000",
            "--sharing",
            "withheld",
            "--log",
            s(&db),
            "--at",
            at,
            "--json",
        ]))
    };
    let a = quote("6", "4.8", "2026-01-10T00:00:00Z");
    let b = quote("1", "0.5", "2026-02-01T00:00:00Z");
    let c = quote("6", "4.8", "2026-05-01T00:00:00Z");
    assert_eq!(a["quote_id"], "Q-000001");
    assert_eq!(a["due_at"], "2026-04-10T00:00:00Z");
    assert_eq!(b["tier"], 1);
    assert_eq!(c["quote_id"], "Q-000003");

    let t = json_of(&vp(&[
        "econ",
        "true-up",
        "--log",
        s(&db),
        "--quote-id",
        "Q-000001",
        "--realized-mpl",
        "4.5",
        "--json",
    ]));
    assert!(
        (t["trueup_amount"].as_f64().unwrap() - 360.0).abs() < 1e-9,
        "{t}"
    );
    assert_eq!(t["refund"], Value::Bool(true));
    let t3 = json_of(&vp(&[
        "econ",
        "true-up",
        "--log",
        s(&db),
        "--quote-id",
        "Q-000003",
        "--realized-mpl",
        "7",
        "--json",
    ]));
    assert!(
        (t3["trueup_amount"].as_f64().unwrap() + 240.0).abs() < 1e-9,
        "{t3}"
    );

    // A second true-up of the same quote is refused and changes nothing.
    let before = std::fs::read(&db).unwrap();
    let again = vp(&[
        "econ",
        "true-up",
        "--log",
        s(&db),
        "--quote-id",
        "Q-000001",
        "--realized-mpl",
        "5",
    ]);
    assert!(!again.status.success());
    assert!(
        stderr_of(&again).contains("already trued up"),
        "{}",
        stderr_of(&again)
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);

    let list = json_of(&vp(&["econ", "quotes", "--log", s(&db), "--json"]));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["trueup_amount"].as_f64(), Some(360.0));
    assert!(list[1]["trueup_amount"].is_null());
    let check = vp(&["econ", "quotes", "--log", s(&db), "--check"]);
    assert!(check.status.success(), "{}", stderr_of(&check));

    let out = dir.path().join("report");
    let rec = vp(&[
        "econ",
        "reconcile-premiums",
        "--log",
        s(&db),
        "--out",
        s(&out),
        "--json",
    ]);
    let overall = json_of(&rec);
    let all = &overall[0];
    assert_eq!(all["quotes"], 3);
    assert_eq!(all["trued_up"], 2);
    assert!((all["refunds"].as_f64().unwrap() - 360.0).abs() < 1e-9);
    assert!((all["extra_bills"].as_f64().unwrap() - 240.0).abs() < 1e-9);
    let csv = std::fs::read_to_string(out.join("reconciliation.csv")).unwrap();
    // Two 90-day periods (January–March, then May), each with its total,
    // then the total of both.
    let totals: Vec<&str> = csv.lines().filter(|l| l.contains(",all,")).collect();
    assert_eq!(totals.len(), 3, "{csv}");
    assert!(
        totals[0].starts_with("0,2026-01-10T00:00:00Z,2026-04-10T00:00:00Z,all,2,1,1,"),
        "{csv}"
    );
    assert!(
        totals[1].starts_with("1,2026-04-10T00:00:00Z,2026-07-09T00:00:00Z,all,1,1,0,"),
        "{csv}"
    );
    assert!(
        totals[2].starts_with("all,2026-01-10T00:00:00Z,2026-07-09T00:00:00Z,all,3,2,1,"),
        "{csv}"
    );
    let data = std::fs::read_to_string(out.join("data_value.csv")).unwrap();
    assert_eq!(
        data.lines().next().unwrap(),
        "datapoint_id,novelty_score,causal_gain,expected_mpl_gain,confidence_lower,confidence_upper,kappa,tier,premium_quote,sharing_status,realized_mpl_gain,trueup_amount"
    );
    assert_eq!(data.lines().count(), 4);
}

#[test]
fn history_with_a_missing_column_names_file_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.csv");
    std::fs::write(&history, "novelty,realized_mpl\n0.1,1.0\n").unwrap();
    let out = vp(&[
        "econ",
        "estimate",
        "--history",
        s(&history),
        "--novelty",
        "0.1",
        "--causal-gain",
        "0.1",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains(s(&history)) && err.contains("missing column 'causal_gain'"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn history_with_a_non_finite_number_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.csv");
    std::fs::write(
        &history,
        "novelty,causal_gain,realized_mpl\n0.1,0.2,1.0\n0.1,0.2,NaN\n",
    )
    .unwrap();
    let out = vp(&[
        "econ",
        "estimate",
        "--history",
        s(&history),
        "--novelty",
        "0.1",
        "--causal-gain",
        "0.1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("line 3 column realized_mpl"), "{err}");
    assert!(err.contains("expected a finite number"), "{err}");
}

#[test]
fn thresholds_out_of_order_name_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.csv");
    std::fs::write(&history, "novelty,causal_gain,realized_mpl\n").unwrap();
    let out = vp(&[
        "econ",
        "estimate",
        "--history",
        s(&history),
        "--novelty",
        "0.1",
        "--causal-gain",
        "0.1",
        "--tier0-threshold",
        "3",
        "--tier1-threshold",
        "0.5",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("--tier0-threshold") && err.contains("tier0_threshold < tier1_threshold"),
        "{err}"
    );
    let db = dir.path().join("quotes.db");
    let quote = vp(&[
        "econ",
        "quote",
        "--price-per-unit",
        "0.3",
        "--expected-mpl",
        "6",
        "--lower",
        "4.8",
        "--horizon",
        "1000",
        "--sharing",
        "withheld",
        "--tier0-threshold",
        "3",
        "--tier1-threshold",
        "3",
        "--log",
        s(&db),
    ]);
    assert_eq!(quote.status.code(), Some(2));
    assert!(!db.exists(), "a refused quote creates no log");
    let negative = vp(&[
        "econ",
        "quote",
        "--price-per-unit",
        "-0.3",
        "--expected-mpl",
        "6",
        "--lower",
        "4.8",
        "--horizon",
        "1000",
        "--sharing",
        "withheld",
        "--log",
        s(&db),
    ]);
    assert!(
        stderr_of(&negative).contains("--price-per-unit"),
        "{}",
        stderr_of(&negative)
    );
    assert!(!db.exists());
}

#[test]
fn unknown_quote_id_is_refused_and_the_log_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quotes.db");
    json_of(&vp(&[
        "econ",
        "quote",
        "--price-per-unit",
        "0.3",
        "--expected-mpl",
        "6",
        "--lower",
        "4.8",
        "--horizon",
        "1000",
        "--sharing",
        "withheld",
        "--log",
        s(&db),
        "--json",
    ]));
    let before = std::fs::read(&db).unwrap();
    let out = vp(&[
        "econ",
        "true-up",
        "--log",
        s(&db),
        "--quote-id",
        "Q-000042",
        "--realized-mpl",
        "5",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("--quote-id") && err.contains("Q-000042") && err.contains(s(&db)),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert!(
        !db.with_extension("db-wal").exists()
            || std::fs::metadata(db.with_extension("db-wal"))
                .unwrap()
                .len()
                == 0
    );
}

#[test]
fn a_log_that_is_not_a_quote_log_is_refused_and_left_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.db");
    std::fs::write(&notes, "not a database\n").unwrap();
    let out_dir = dir.path().join("report");
    for args in [
        vec![
            "econ",
            "quote",
            "--price-per-unit",
            "0.3",
            "--expected-mpl",
            "6",
            "--lower",
            "4.8",
            "--horizon",
            "1000",
            "--sharing",
            "withheld",
            "--log",
            s(&notes),
        ],
        vec!["econ", "quotes", "--log", s(&notes), "--check"],
        vec![
            "econ",
            "true-up",
            "--log",
            s(&notes),
            "--quote-id",
            "Q-000001",
            "--realized-mpl",
            "1",
        ],
        vec![
            "econ",
            "reconcile-premiums",
            "--log",
            s(&notes),
            "--out",
            s(&out_dir),
        ],
    ] {
        let out = vp(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr_of(&out);
        assert!(
            err.contains("--log") && err.contains("is not a quote log") && err.contains(s(&notes)),
            "{err}"
        );
        assert_eq!(std::fs::read(&notes).unwrap(), b"not a database\n");
    }
    assert!(
        !out_dir.exists(),
        "a refused reconciliation writes no folder"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    let missing = vp(&["econ", "quotes", "--log", s(&dir.path().join("missing.db"))]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(!dir.path().join("missing.db").exists());
}

#[test]
fn check_exits_non_zero_on_a_damaged_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quotes.db");
    for e in ["6", "1", "0.2"] {
        json_of(&vp(&[
            "econ",
            "quote",
            "--price-per-unit",
            "0.3",
            "--expected-mpl",
            e,
            "--lower",
            "0.1",
            "--horizon",
            "1000",
            "--sharing",
            "withheld",
            "--log",
            s(&db),
            "--json",
        ]));
    }
    json_of(&vp(&[
        "econ",
        "true-up",
        "--log",
        s(&db),
        "--quote-id",
        "Q-000002",
        "--realized-mpl",
        "1.5",
        "--json",
    ]));
    let sound = std::fs::read(&db).unwrap();
    assert!(
        vp(&["econ", "quotes", "--log", s(&db), "--check"])
            .status
            .success()
    );
    // SQLite keeps a page's cells at its end: overwrite the end of every
    // page after the header page, one at a time.
    let page = usize::from(u16::from_be_bytes([sound[16], sound[17]]));
    let damaged = dir.path().join("damaged.db");
    for start in (page..sound.len()).step_by(page) {
        let mut bytes = sound.clone();
        bytes[start + page - 190..start + page].fill(0xff);
        std::fs::write(&damaged, &bytes).unwrap();
        let out = vp(&["econ", "quotes", "--log", s(&damaged), "--check"]);
        assert!(
            !out.status.success(),
            "page at {start} damaged, yet --check passed"
        );
        let err = stderr_of(&out);
        assert!(
            err.contains("damaged") || err.contains("malformed"),
            "{err}"
        );
    }
    // Cut short.
    std::fs::write(&damaged, &sound[..sound.len() / 2]).unwrap();
    assert!(
        !vp(&["econ", "quotes", "--log", s(&damaged), "--check"])
            .status
            .success()
    );
}
