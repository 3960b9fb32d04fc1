//! `vp econ pricing-simulator`, `compare-tiers` and `analyze-data-value`
//! (SPEC §6) run as the real binary: seeded determinism, the monotonicity
//! verdict on a crafted log, and bad input refused with the file, row and
//! column named and nothing written.

use crate::cli::{stderr_of, vp};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

const CONFIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../configs/dishwashing_short.yaml"
);

const HEADER: &str = "datapoint_id,timestamp,novelty_score,causal_gain,expected_mpl_gain,\
    confidence_lower,confidence_upper,kappa,tier,premium_quote,sharing_status,\
    realized_mpl_gain,trueup_amount";

fn json_of(output: &Output) -> Value {
    assert!(output.status.success(), "{}", stderr_of(output));
    serde_json::from_slice(&output.stdout).expect("one JSON document")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn simulate(out: &Path, seed: &str) -> Output {
    vp(&[
        "econ",
        "pricing-simulator",
        "--config",
        CONFIG,
        "--data-sharing-rate",
        "0.4",
        "--episodes",
        "12",
        "--out",
        s(out),
        "--seed",
        seed,
    ])
}

#[test]
fn pricing_simulator_same_seed_writes_byte_identical_csv() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a.csv"),
        dir.path().join("b.csv"),
        dir.path().join("c.csv"),
    );
    for (out, seed) in [(&a, "7"), (&b, "7"), (&c, "8")] {
        let output = simulate(out, seed);
        assert!(output.status.success(), "{}", stderr_of(&output));
    }
    let (a_text, b_text) = (
        std::fs::read_to_string(&a).unwrap(),
        std::fs::read_to_string(&b).unwrap(),
    );
    assert_eq!(a_text, b_text);
    assert_ne!(a_text, std::fs::read_to_string(&c).unwrap());
    assert_eq!(
        a_text.lines().next().unwrap(),
        "episode,sharing_rate,shared_datapoints,withheld_datapoints,premium_revenue,\
         discount_cost,net_revenue,cumulative_revenue,mp_r,mp_r_growth"
    );
    assert_eq!(a_text.lines().count(), 13);
    let png = std::fs::read(dir.path().join("a.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
fn pricing_simulator_sweep_writes_one_row_per_rate_and_sharing_lifts_mp_r() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep.csv");
    let doc = json_of(&vp(&[
        "econ",
        "pricing-simulator",
        "--config",
        CONFIG,
        "--sweep",
        "4",
        "--episodes",
        "10",
        "--out",
        s(&out),
        "--json",
    ]));
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0]["sharing_rate"], 0.0);
    assert_eq!(rows[4]["sharing_rate"], 1.0);
    let mp = |i: usize| rows[i]["final_mp_r"].as_f64().unwrap();
    assert!(mp(4) > mp(0), "{doc}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 6);
}

#[test]
fn pricing_simulator_refuses_a_rate_outside_zero_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.csv");
    let output = vp(&[
        "econ",
        "pricing-simulator",
        "--config",
        CONFIG,
        "--data-sharing-rate",
        "1.5",
        "--episodes",
        "3",
        "--out",
        s(&out),
    ]);
    assert!(!output.status.success());
    let err = stderr_of(&output);
    assert!(err.contains("--data-sharing-rate"), "{err}");
    assert!(!out.exists());
}

#[test]
fn compare_tiers_writes_the_table_for_four_strategies_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let run = |out: &Path| {
        json_of(&vp(&[
            "econ",
            "compare-tiers",
            "--config",
            CONFIG,
            "--out",
            s(out),
            "--seed",
            "3",
            "--datapoints",
            "200",
            "--json",
        ]))
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let doc = run(&a);
    run(&b);
    let names: Vec<&str> = doc["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["config", "quantile", "fixed_ratio", "single_tier"]);
    assert_eq!(doc["datapoints"], 200);
    let csv = std::fs::read_to_string(a.join("compare_tiers.csv")).unwrap();
    assert_eq!(
        csv,
        std::fs::read_to_string(b.join("compare_tiers.csv")).unwrap()
    );
    assert_eq!(csv.lines().count(), 5);
    assert!(a.join("compare_tiers.md").exists() && a.join("compare_tiers.png").exists());
}

fn crafted_log(tier2_realized: &str) -> String {
    format!(
        "{HEADER}\n\
         a,2026-01-01T00:00:00Z,0.1,0.2,0.2,0.1,0.3,0.5,0,30,withheld,0.1,15\n\
         b,2026-01-01T00:00:00Z,0.5,0.5,1.0,0.8,1.2,0.8,1,240,withheld,1.5,-120\n\
         c,2026-01-01T00:00:00Z,,,2.0,1.6,,0.8,1,0,shared,1.5,\n\
         d,2026-01-01T00:00:00Z,0.9,0.9,6.0,4.8,7.2,0.8,2,1440,withheld,{tier2_realized},240\n\
         e,2026-01-01T00:00:00Z,0.9,0.9,4.0,3.2,4.8,0.8,2,960,withheld,,\n"
    )
}

fn analyze(log: &Path, out: &Path) -> Output {
    vp(&[
        "econ",
        "analyze-data-value",
        "--log",
        s(log),
        "--out",
        s(out),
        "--json",
    ])
}

#[test]
fn analyze_data_value_gives_the_monotonicity_verdict_of_a_crafted_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("data_value.csv");
    std::fs::write(&log, crafted_log("5.0")).unwrap();
    let out = dir.path().join("report");
    let doc = json_of(&analyze(&log, &out));
    assert_eq!(doc["monotonicity"], "rises");
    assert!((doc["mean_abs_error"].as_f64().unwrap() - 0.525).abs() < 1e-12);
    assert!((doc["spearman_rho"].as_f64().unwrap() - 4.5 / 22.5f64.sqrt()).abs() < 1e-12);
    for file in [
        "report.md",
        "tier_shares.png",
        "predicted_vs_realized.png",
        "value_by_tier.png",
    ] {
        assert!(out.join(file).exists(), "{file}");
    }
    // Tier 2 realizing less than tier 1 (1.5) breaks the order.
    std::fs::write(&log, crafted_log("1.0")).unwrap();
    let doc = json_of(&analyze(&log, &dir.path().join("report2")));
    let breaks = &doc["monotonicity"]["breaks"];
    assert_eq!(breaks.as_array().unwrap().len(), 1, "{doc}");
    assert!(breaks[0].as_str().unwrap().contains("tier 2"), "{doc}");
}

#[test]
fn analyze_data_value_names_file_row_and_column_of_bad_input_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("bad.csv");
    let out = dir.path().join("report");
    for (text, want) in [
        (
            crafted_log("5.0").replace("6.0,4.8", "NaN,4.8"),
            "line 5 column expected_mpl_gain: row 4",
        ),
        (
            crafted_log("5.0").replace(",0.8,1,240,", ",0.8,7,240,"),
            "line 3 column tier: row 2: unknown tier '7'",
        ),
        (
            crafted_log("5.0").replace("kappa,", "k,"),
            "column kappa: missing column 'kappa'",
        ),
        (String::new(), "empty file"),
    ] {
        std::fs::write(&log, &text).unwrap();
        let output = analyze(&log, &out);
        assert!(!output.status.success(), "{want}");
        let err = stderr_of(&output);
        assert!(err.contains(s(&log)), "{err}");
        assert!(err.contains(want), "want {want:?} in {err}");
        assert!(!out.exists(), "nothing written for {want}");
    }
}
