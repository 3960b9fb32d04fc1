//! `vp econ metrics` and `vp econ wage`, run as the real binary.

use crate::cli::vp;

const WORKED_EXAMPLE: [&str; 14] = [
    "econ",
    "metrics",
    "--price-per-unit",
    "0.30",
    "--human-mp",
    "60",
    "--human-wage",
    "18",
    "--damage-cost",
    "1",
    "--robot-mp",
    "54",
    "--error-rate",
    "0.05",
];

#[test]
fn econ_metrics_json_reproduces_the_spec_worked_example() {
    let mut args = WORKED_EXAMPLE.to_vec();
    args.push("--json");
    let out = vp(&args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    let obj = v.as_object().expect("an object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "error_rate",
            "mp_r",
            "productivity_parity",
            "robot_wage",
            "wage_parity"
        ]
    );
    let get = |k: &str| obj[k].as_f64().expect("a number");
    assert!((get("mp_r") - 54.0).abs() < 1e-9);
    assert!((get("error_rate") - 0.05).abs() < 1e-9);
    assert!((get("robot_wage") - 13.5).abs() < 1e-9);
    assert!((get("wage_parity") - 0.75).abs() < 1e-9);
    assert!((get("productivity_parity") - 0.9).abs() < 1e-9);
}

#[test]
fn econ_metrics_prints_a_readable_table() {
    let out = vp(&WORKED_EXAMPLE);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("$13.50/h"), "{stdout}");
    assert!(stdout.contains("wage parity          0.75"), "{stdout}");
}

#[test]
fn econ_metrics_rejects_non_finite_and_negative_inputs() {
    let mut nan = WORKED_EXAMPLE.to_vec();
    nan[11] = "NaN";
    let out = vp(&nan);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mp_r must be a finite number"));
    let mut negative = WORKED_EXAMPLE.to_vec();
    negative[3] = "-0.3";
    let out = vp(&negative);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("price_per_unit"));
}

#[test]
fn econ_wage_prints_the_shipped_entry() {
    let out = vp(&["econ", "wage", "37-2011"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("$17.43"), "{stdout}");
    assert!(stdout.contains("$16.84"), "{stdout}");
    assert!(stdout.contains("May 2023"), "{stdout}");
}

#[test]
fn econ_wage_json_marks_the_brickmason_median_unverified() {
    let out = vp(&["econ", "wage", "47-2021", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["hourly_median"], 28.67);
    assert_eq!(v["verified"], false);
    assert!(v["hourly_mean"].is_null());
}

#[test]
fn econ_wage_of_an_unknown_occupation_is_a_clear_error() {
    let out = vp(&["econ", "wage", "35-2021"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown occupation 35-2021"), "{stderr}");
}

#[test]
fn econ_wage_reads_a_user_supplied_oews_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("national_M2024_dl.csv");
    std::fs::write(
        &path,
        "OCC_CODE,OCC_TITLE,H_MEAN,H_MEDIAN\n35-9021,Dishwashers,16.50,16.00\n29-1215,Family Medicine Physicians,#,*\n",
    )
    .expect("write CSV");
    let file = path.display().to_string();
    let out = vp(&["econ", "wage", "35-9021", "--oews", &file, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["hourly_mean"], 16.5);
    assert_eq!(v["year"], "May 2024");
    let out = vp(&["econ", "wage", "29-1215", "--oews", &file]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("'#'"));
}
