//! `vp config check`, run as the real binary.

use crate::cli::vp;
use std::path::PathBuf;

fn repo_file(relative: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
        .display()
        .to_string()
}

#[test]
fn config_check_accepts_the_shipped_configs_with_a_one_line_summary() {
    for name in [
        "configs/dishwashing.yaml",
        "configs/dishwashing_short.yaml",
        "configs/bricklaying.yaml",
    ] {
        let out = vp(&["config", "check", &repo_file(name)]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name}: {out:?}");
        assert_eq!(stdout.lines().count(), 1, "{stdout}");
        assert!(stdout.contains(": ok: task "), "{stdout}");
    }
}

#[test]
fn config_check_reports_a_misspelt_key_with_file_line_and_path_and_exits_2() {
    let file = repo_file("crates/economics/tests/fixtures/bad_misspelt_reward_key.yaml");
    let out = vp(&["config", "check", &file]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains(&format!("{file}:11:3: reward.alpha_inital: unknown field")),
        "{stderr}"
    );
}

#[test]
fn config_check_reports_an_out_of_range_value_and_exits_2() {
    let file = repo_file("crates/economics/tests/fixtures/bad_epsilon_above_one.yaml");
    let out = vp(&["config", "check", &file]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("convergence.epsilon"), "{stderr}");
    assert!(stderr.contains("open interval (0, 1), got 1.5"), "{stderr}");
}

#[test]
fn config_check_of_a_missing_file_exits_2_naming_it() {
    let out = vp(&["config", "check", "/nonexistent/task.yaml"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("/nonexistent/task.yaml"), "{stderr}");
}

#[test]
fn config_check_also_checks_the_env_section_with_the_envs_parser() {
    let text = std::fs::read_to_string(repo_file("configs/dishwashing.yaml")).expect("config");
    let bad = text.replacen("num_dishes: ", "num_dishes: -", 1);
    assert_ne!(bad, text, "the dishwashing config has num_dishes");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("dishwashing.yaml");
    std::fs::write(&path, bad).expect("write config");
    let out = vp(&["config", "check", &path.display().to_string()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("env.num_dishes"), "{stderr}");
}

#[test]
fn an_env_value_out_of_range_is_located_and_says_what_was_expected_once() {
    let text = std::fs::read_to_string(repo_file("configs/bricklaying.yaml")).expect("config");
    let bad = text.replacen("\n  courses: 3\n", "\n  courses: 9\n", 1);
    assert_ne!(bad, text, "the bricklaying config builds 3 courses");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bricklaying.yaml");
    std::fs::write(&path, &bad).expect("write config");
    let line = bad
        .lines()
        .position(|l| l == "  courses: 9")
        .expect("the line")
        + 1;
    let out = vp(&["config", "check", &path.display().to_string()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let want = format!(
        "{}:{line}:12: env.courses: expected an integer from 1 to 4, got 9",
        path.display()
    );
    assert!(stderr.contains(&want), "{stderr}");
    assert_eq!(stderr.matches("expected").count(), 1, "{stderr}");
}
