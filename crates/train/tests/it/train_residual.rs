//! `vp train --init-from <chunked policy>`: PPO fine-tunes a residual on a
//! frozen chunk policy, run as the real binary on 5 s dishwashing episodes:
//! the run records its base, `vp evaluate` rebuilds it, and a resume
//! refuses a base that changed.

use crate::cli::{stderr_of, vp};
use std::path::Path;
use std::process::Output;

/// configs/dishwashing_short.yaml with 5 s episodes, 2 evaluation
/// episodes, a small chunk head, and `fine_tune` as given.
fn residual_config(dir: &Path, fine_tune: &str) -> String {
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/dishwashing_short.yaml"),
    )
    .expect("configs/dishwashing_short.yaml");
    let head = shipped
        .split("\n# Action chunking")
        .next()
        .expect("split yields a first part");
    let (before, after) = head
        .split_once("  fine_tune:\n")
        .expect("a fine_tune section");
    // Drop the shipped fine_tune keys (indented four spaces).
    let rest: String = after
        .lines()
        .skip_while(|l| l.starts_with("    ") || l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    let mut text = format!("{before}{fine_tune}{rest}")
        .replace("  episode_seconds: 60.0", "  episode_seconds: 5.0")
        .replace("  eval_episodes: 10", "  eval_episodes: 2");
    text.push_str(
        "chunk:\n  batch_size: 32\n  steps_per_iteration: 10\n  head:\n    hidden: [32, 32]\n",
    );
    let path = dir.join("residual.yaml");
    std::fs::write(&path, text).expect("write config");
    path.display().to_string()
}

fn train_residual(config: &str, base: &Path, run: &Path) -> Output {
    vp(&[
        "train",
        "--config",
        config,
        "--init-from",
        &base.display().to_string(),
        "--total-steps",
        "512",
        "--num-envs",
        "2",
        "--run-dir",
        &run.display().to_string(),
    ])
}

#[test]
fn ppo_on_a_chunk_policy_trains_a_residual_that_evaluate_and_resume_rebuild() {
    let tmp = tempfile::tempdir().unwrap();
    let config = residual_config(
        tmp.path(),
        "  fine_tune:\n    residual:\n      scale: 0.2\n",
    );
    let chunk_run = tmp.path().join("chunk");
    let out = vp(&[
        "train",
        "--config",
        &config,
        "--algorithm",
        "chunk",
        "--demo-episodes",
        "2",
        "--total-steps",
        "20",
        "--run-dir",
        &chunk_run.display().to_string(),
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let base = chunk_run.join("checkpoints/model_latest");

    let run = tmp.path().join("residual");
    let out = train_residual(&config, &base, &run);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let resolved = std::fs::read_to_string(run.join("config.yaml")).unwrap();
    assert!(resolved.contains("scale: 0.2"), "{resolved}");
    assert!(
        resolved.contains(&format!("base: {}", base.display())),
        "{resolved}"
    );
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run.join("checkpoints/model_latest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["algorithm"], "ppo");
    // The learner sees the task's 30 observations and the base's 5 actions.
    assert_eq!(
        meta["observation_space"]["Box"]["shape"],
        serde_json::json!([35])
    );
    let out = vp(&[
        "evaluate",
        "--policy",
        &run.join("checkpoints/model_latest").display().to_string(),
        "--episodes",
        "2",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["episodes"], 2);

    // Training the chunk policy further changes the base under the run:
    // its resume refuses, naming the file.
    let out = vp(&[
        "train",
        "--resume",
        &chunk_run.display().to_string(),
        "--total-steps",
        "30",
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let out = vp(&[
        "train",
        "--resume",
        &run.display().to_string(),
        "--total-steps",
        "1024",
    ]);
    assert!(!out.status.success());
    let err = stderr_of(&out);
    assert!(err.contains("has changed since the run started"), "{err}");
    assert!(err.contains("model_latest"), "{err}");
}

#[test]
fn a_residual_needs_a_chunked_policy_to_start_from() {
    let tmp = tempfile::tempdir().unwrap();
    let config = residual_config(tmp.path(), "  fine_tune:\n    residual: {}\n");
    let out = vp(&[
        "train",
        "--config",
        &config,
        "--total-steps",
        "256",
        "--num-envs",
        "1",
        "--run-dir",
        &tmp.path().join("run").display().to_string(),
    ]);
    assert!(!out.status.success());
    let err = stderr_of(&out);
    assert!(err.contains("ppo.fine_tune.residual"), "{err}");
    assert!(err.contains("--init-from"), "{err}");
    assert!(!tmp.path().join("run").exists(), "nothing written");
}
