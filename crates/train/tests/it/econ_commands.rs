//! `vp econ plot-convergence` and `vp econ report`, run as the real binary.

use crate::cli::{stderr_of, vp};
use runs::{EVAL_COLUMNS, MetricsCsv, RunDir, TRAINING_COLUMNS};
use std::fmt::Write as _;
use std::path::Path;

fn training_csv(episodes: u64) -> String {
    let mut text = TRAINING_COLUMNS.join(",");
    text.push('\n');
    for ep in 0..episodes {
        let p = 0.4 + 0.6 * ep as f64 / episodes as f64;
        let (r_mp, r_err, r_wage) = (0.02, -0.05 * (1.0 - p), -(1.0 - p).abs());
        writeln!(
            text,
            "{ep},{},{},{},{p},{p},{},{r_mp},{r_err},{r_wage},1,1,0.5",
            60.0 * p,
            0.05 * (1.0 - p),
            18.0 * p,
            r_mp + r_err + r_wage
        )
        .unwrap();
    }
    text
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is a PNG",
        path.display()
    );
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn plot_convergence_writes_a_png_of_the_requested_size() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("training_metrics.csv");
    std::fs::write(&log, training_csv(200)).unwrap();
    let out = dir.path().join("plot.png");
    let output = vp(&[
        "econ",
        "plot-convergence",
        "--log",
        log.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--width",
        "640",
        "--height",
        "400",
    ]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(png_size(&out), (640, 400));
}

#[test]
fn plot_convergence_on_a_bad_csv_names_file_line_and_column_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("bad.csv");
    let mut text = training_csv(3);
    text.push_str("3,abc,0,0,0,0,0,0,0,0,1,1,1\n");
    std::fs::write(&log, text).unwrap();
    let out = dir.path().join("plot.png");
    let output = vp(&[
        "econ",
        "plot-convergence",
        "--log",
        log.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let err = stderr_of(&output);
    assert_eq!(err.trim_end().lines().count(), 1, "one-line error: {err}");
    assert!(
        err.contains("bad.csv: line 5, column mp_r: `abc` is not a number"),
        "{err}"
    );
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn plot_convergence_rejects_a_missing_log_and_a_non_png_output() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.csv");
    let out = dir.path().join("plot.png");
    let output = vp(&[
        "econ",
        "plot-convergence",
        "--log",
        missing.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains("nope.csv"),
        "{}",
        stderr_of(&output)
    );

    let log = dir.path().join("m.csv");
    std::fs::write(&log, training_csv(5)).unwrap();
    let output = vp(&[
        "econ",
        "plot-convergence",
        "--log",
        log.to_str().unwrap(),
        "--out",
        dir.path().join("plot.svg").to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains("expected a .png"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn report_writes_markdown_with_plot_and_final_evaluation() {
    let dir = tempfile::tempdir().unwrap();
    let config = "env: dishwashing\nalgorithm: ppo\nseed: 2\ntask:\n  price_per_unit: 0.3\n  \
                  human_mp: 60.0\n  human_wage: 18.0\n  damage_cost: 1.0\nconvergence:\n  \
                  epsilon: 0.05\n  delta: 0.3\n";
    let run = RunDir::stage(&dir.path().join("dishwashing__ppo__2__100"), config)
        .unwrap()
        .commit()
        .unwrap();
    std::fs::write(run.training_metrics_path(), training_csv(120)).unwrap();
    let (mut eval, _) = MetricsCsv::open_resume(&run.eval_path(), &EVAL_COLUMNS, None).unwrap();
    eval.append(&[
        5000.0, 20.0, 1.2, 54.0, 52.0, 56.0, 0.05, 13.5, 0.75, 0.7, 0.8, 0.9, 0.87, 0.93,
    ])
    .unwrap();
    let out = dir.path().join("report");
    let output = vp(&[
        "econ",
        "report",
        "--run",
        run.root().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.starts_with("# Run report: dishwashing__ppo__2__100"),
        "{md}"
    );
    assert!(md.contains("| `price_per_unit` | 0.3 |"), "{md}");
    assert!(
        md.contains("| wage parity ŵ_r/w_h | 0.7500 | 0.7000 – 0.8000 |"),
        "{md}"
    );
    // δ comes from the run's config (0.3): 0.75 is inside 1 ± 0.3.
    assert!(md.contains("within 1 ± 0.3: **yes**"), "{md}");
    assert!(md.contains("120 episodes logged"), "{md}");
    assert_eq!(png_size(&out.join("convergence.png")), (1200, 900));
}

#[test]
fn report_on_a_folder_that_is_not_a_run_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let output = vp(&[
        "econ",
        "report",
        "--run",
        dir.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let err = stderr_of(&output);
    assert!(err.contains("not a run folder (no config.yaml)"), "{err}");
    assert!(!out.exists());
}

#[test]
fn report_on_a_run_with_a_broken_config_prints_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir_all(run.join("checkpoints")).unwrap();
    std::fs::write(run.join("config.yaml"), "env: [unclosed\nseed: 1\n").unwrap();
    let out = dir.path().join("report");
    let output = vp(&[
        "econ",
        "report",
        "--run",
        run.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let err = stderr_of(&output);
    assert_eq!(err.trim_end().lines().count(), 1, "one-line error: {err}");
    assert!(
        err.contains("config.yaml") && err.contains("line 2 column 5"),
        "{err}"
    );
    assert!(!out.exists());
}
