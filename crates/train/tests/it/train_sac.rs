//! `vp train --algorithm sac` and `vp evaluate` of its checkpoints, run as
//! the real binary on tiny Pendulum and dishwashing runs.

use crate::cli::{stderr_of, vp};
use std::path::Path;

fn shipped(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../configs")
        .join(name)
        .display()
        .to_string()
}

/// A Pendulum SAC run config sized for CI: learning from step 100 on
/// batches of 32 with 32-wide networks, iterations of 100 steps.
fn tiny_pendulum_config(dir: &Path) -> String {
    let path = dir.join("pendulum_sac.yaml");
    std::fs::write(
        &path,
        "env_id: Pendulum-v1\nseed: 2\neval_episodes: 2\nsac:\n  total_timesteps: 400\n  \
         learning_starts: 100\n  batch_size: 32\n  d_hidden: 32\n  steps_per_iteration: 100\n",
    )
    .expect("write config");
    path.display().to_string()
}

fn eval_steps(run: &Path) -> Vec<u64> {
    std::fs::read_to_string(run.join("eval.csv"))
        .expect("eval.csv")
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse::<f64>().unwrap() as u64)
        .collect()
}

fn checkpoint_step(run: &Path) -> u64 {
    let text = std::fs::read_to_string(run.join("checkpoints/model_latest.json")).unwrap();
    let meta: serde_json::Value = serde_json::from_str(&text).unwrap();
    meta["global_step"].as_u64().unwrap()
}

fn scalar_tags(run: &Path) -> std::collections::BTreeSet<String> {
    runs::EventFile::read_dir(run)
        .expect("event files")
        .iter()
        .flat_map(|(_, f)| f.scalars())
        .map(|p| p.tag)
        .collect()
}

#[test]
fn sac_trains_pendulum_resumes_and_its_checkpoint_evaluates() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tiny_pendulum_config(tmp.path());
    let run = tmp.path().join("run");
    let dir = run.display().to_string();
    let out = vp(&[
        "train",
        "--config",
        &config,
        "--run-dir",
        &dir,
        "--eval-every",
        "2",
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let resolved = std::fs::read_to_string(run.join("config.yaml")).unwrap();
    assert!(resolved.contains("algorithm: sac"), "{resolved}");
    assert_eq!(eval_steps(&run), vec![200, 400]);
    assert_eq!(checkpoint_step(&run), 400);
    let tags = scalar_tags(&run);
    for tag in [
        "losses/qf1_loss",
        "losses/qf2_loss",
        "losses/qf1_values",
        "losses/actor_loss",
        "losses/alpha",
        "losses/alpha_loss",
        "charts/sps",
        "eval/mean_return",
    ] {
        assert!(tags.contains(tag), "{tag} missing from {tags:?}");
    }
    let files: Vec<String> = std::fs::read_dir(run.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("model_latest-") && f.ends_with("-replay.safetensors")),
        "{files:?}"
    );

    let out = vp(&["train", "--resume", &dir, "--total-steps", "600"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(checkpoint_step(&run), 600);
    assert_eq!(eval_steps(&run), vec![200, 400, 600]);
    let resolved = std::fs::read_to_string(run.join("config.yaml")).unwrap();
    assert!(resolved.contains("total_timesteps: 600"), "{resolved}");

    let policy = run.join("checkpoints/model_latest").display().to_string();
    let out = vp(&["evaluate", "--policy", &policy, "--episodes", "2", "--json"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["episodes"].as_f64(), Some(2.0));
    let ret = json["mean_return"].as_f64().unwrap();
    assert!((-2000.0..=0.0).contains(&ret), "{ret}");
}

#[test]
fn sac_on_a_discrete_action_space_is_refused_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let out = vp(&[
        "train",
        "--algorithm",
        "sac",
        "--config",
        &shipped("cartpole.yaml"),
        "--run-dir",
        &run.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("continuous") && err.contains("Discrete(2)"),
        "{err}"
    );
    assert!(!run.exists());
}

#[test]
fn algorithm_sac_takes_sac_defaults_on_the_ppo_pendulum_config() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let out = vp(&[
        "train",
        "--algorithm",
        "sac",
        "--config",
        &shipped("pendulum.yaml"),
        "--total-steps",
        "200",
        "--eval-episodes",
        "1",
        "--seed",
        "5",
        "--run-dir",
        &run.display().to_string(),
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let resolved: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(run.join("config.yaml")).unwrap()).unwrap();
    assert_eq!(resolved["sac"]["learning_starts"].as_u64(), Some(5000));
    assert_eq!(resolved["sac"]["batch_size"].as_u64(), Some(256));
    assert_eq!(resolved["seed"].as_u64(), Some(5));
    assert!(resolved.get("ppo").is_none());
    assert_eq!(eval_steps(&run), vec![200]);
}

#[test]
fn sac_trains_a_labour_task_config_with_its_economics() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(shipped("dishwashing.yaml"))
        .unwrap()
        .replace("  episode_seconds: 420.0", "  episode_seconds: 5.0")
        .replace("  num_dishes: 6", "  num_dishes: 2")
        .replace("  eval_episodes: 10", "  eval_episodes: 2")
        .replace("  eval_interval: 20000", "  eval_interval: 300")
        + "\nsac:\n  learning_starts: 50\n  batch_size: 16\n  d_hidden: 16\n  \
           steps_per_iteration: 100\n";
    let config = tmp.path().join("dish_sac.yaml");
    std::fs::write(&config, text).unwrap();
    let run = tmp.path().join("run");
    let dir = run.display().to_string();
    let config = config.display().to_string();
    // 100-step episodes: three in 300 steps, scored with economics.
    let out = vp(&[
        "train",
        "--config",
        &config,
        "--algorithm",
        "sac",
        "--total-steps",
        "300",
        "--run-dir",
        &dir,
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let rows = std::fs::read_to_string(run.join("training_metrics.csv")).unwrap();
    assert_eq!(rows.lines().count(), 1 + 3, "{rows}");
    assert_eq!(eval_steps(&run), vec![300]);
    let tags = scalar_tags(&run);
    assert!(
        tags.contains("eval/wage_parity") && tags.contains("losses/qf1_loss"),
        "{tags:?}"
    );

    let out = vp(&["train", "--resume", &dir, "--total-steps", "400"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let rows = std::fs::read_to_string(run.join("training_metrics.csv")).unwrap();
    assert_eq!(rows.lines().count(), 1 + 4, "{rows}");
    let first: Vec<&str> = rows
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(first, ["0", "1", "2", "3"]);

    let policy = run.join("checkpoints/model_latest").display().to_string();
    let out = vp(&["evaluate", "--policy", &policy, "--episodes", "2", "--json"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
}
