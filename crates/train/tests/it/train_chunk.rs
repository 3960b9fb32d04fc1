//! `vp train --algorithm chunk` on the short dishwashing config and `vp
//! evaluate` of its checkpoint, run as the real binary: the logs, an exact
//! resume, and refusals.

use crate::cli::{stderr_of, vp};
use std::path::Path;
use std::process::Output;

/// configs/dishwashing_short.yaml with 5 s episodes (100 control steps),
/// 2 evaluation episodes and a small chunk head (its own `chunk:` section,
/// with `extra` in it, for the shipped one).
fn tiny_chunk_config(dir: &Path, extra: &str) -> String {
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/dishwashing_short.yaml"),
    )
    .expect("configs/dishwashing_short.yaml");
    // The shipped chunk: section is the last; this test writes its own.
    let shipped = shipped
        .split("\n# Action chunking")
        .next()
        .expect("split yields a first part")
        .to_owned();
    let mut text = shipped
        .replace("  episode_seconds: 60.0", "  episode_seconds: 5.0")
        .replace("  eval_episodes: 10", "  eval_episodes: 2");
    text.push_str(&format!(
        "chunk:\n  batch_size: 32\n  steps_per_iteration: 10\n  head:\n    hidden: [32, 32]\n{extra}"
    ));
    let path = dir.join("tiny_chunk.yaml");
    std::fs::write(&path, text).expect("write config");
    path.display().to_string()
}

/// Every scalar tag in `run`'s TensorBoard event files.
fn scalar_tags(run: &Path) -> std::collections::BTreeSet<String> {
    runs::EventFile::read_dir(run)
        .expect("event files")
        .iter()
        .flat_map(|(_, f)| f.scalars())
        .map(|p| p.tag)
        .collect()
}

fn train_chunk(config: &str, run: &Path, steps: u64) -> Output {
    vp(&[
        "train",
        "--config",
        config,
        "--algorithm",
        "chunk",
        "--demo-episodes",
        "2",
        "--total-steps",
        &steps.to_string(),
        "--eval-every",
        "2",
        "--run-dir",
        &run.display().to_string(),
    ])
}

#[test]
fn chunk_runs_log_losses_evaluate_and_resume_bit_for_bit() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tiny_chunk_config(tmp.path(), "");
    let straight = tmp.path().join("straight");
    let out = train_chunk(&config, &straight, 40);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(straight.join("checkpoints/model_latest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["algorithm"], "chunk");
    assert_eq!(meta["global_step"], 40, "gradient steps");
    assert_eq!(meta["update"], 4, "iterations of 10 steps");
    assert_eq!(meta["config"]["shape"]["horizon"], 16);
    assert!(meta["config"]["obs_norm"]["min"].is_array());
    let tags = scalar_tags(&straight);
    for tag in [
        "losses/chunk_loss",
        "charts/learning_rate",
        "eval/wage_parity",
    ] {
        assert!(tags.contains(tag), "{tag} missing from {tags:?}");
    }

    // Stopped at 20 gradient steps, then resumed to 40: the same run.
    let resumed = tmp.path().join("resumed");
    let out = train_chunk(&config, &resumed, 20);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let dir = resumed.display().to_string();
    let out = vp(&["train", "--resume", &dir, "--total-steps", "40"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let weights =
        |run: &Path| std::fs::read(run.join("checkpoints/model_latest-00000004.safetensors"));
    assert!(
        weights(&straight).expect("straight weights")
            == weights(&resumed).expect("resumed weights"),
        "weights, optimizer moments and step equal bit for bit"
    );
    let eval = |run: &Path| std::fs::read_to_string(run.join("eval.csv")).unwrap();
    assert_eq!(eval(&straight), eval(&resumed));
    assert_eq!(
        eval(&straight).lines().count(),
        3,
        "evaluations at 20 and 40"
    );
    // Nothing left to do: a further resume without a larger budget is refused.
    let out = vp(&["train", "--resume", &dir, "--total-steps", "40"]);
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains("already at gradient step 40"),
        "{}",
        stderr_of(&out)
    );

    // vp evaluate runs the chunk executor on the run's task config.
    let ckpt = straight
        .join("checkpoints/model_latest")
        .display()
        .to_string();
    let per_episode = tmp.path().join("episodes.csv");
    let per_episode_s = per_episode.display().to_string();
    let out = vp(&[
        "evaluate",
        "--policy",
        &ckpt,
        "--episodes",
        "2",
        "--seed",
        "5000",
        "--json",
        "--episodes-csv",
        &per_episode_s,
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["episodes"], 2);
    assert!(report["mp_r"].as_f64().is_some_and(f64::is_finite));
    // One row per episode, by seed, whose wage parities average to the report's.
    let text = std::fs::read_to_string(&per_episode).expect("episodes csv");
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert_eq!(rows[0][0], "seed");
    assert_eq!(rows[0][10], "wage_parity");
    assert_eq!((rows[1][0], rows[2][0]), ("5000", "5001"));
    let mean = (rows[1][10].parse::<f64>().unwrap() + rows[2][10].parse::<f64>().unwrap()) / 2.0;
    let reported = report["wage_parity"].as_f64().unwrap();
    assert!(
        (mean - reported).abs() <= 1e-9 * reported.abs().max(1.0),
        "{mean} vs {reported}"
    );
    // A file in a folder that does not exist is refused before evaluating.
    let missing = tmp.path().join("no/such/dir/episodes.csv");
    let out = vp(&[
        "evaluate",
        "--policy",
        &ckpt,
        "--episodes-csv",
        &missing.display().to_string(),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains("--episodes-csv"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn temporal_ensembling_trains_and_evaluates() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tiny_chunk_config(
        tmp.path(),
        "  temporal_ensemble: true\n  ensemble_decay: 0.05\n",
    );
    let run = tmp.path().join("run");
    let out = train_chunk(&config, &run, 10);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let ckpt = run.join("checkpoints/model_latest").display().to_string();
    let out = vp(&["evaluate", "--policy", &ckpt, "--episodes", "1"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
}

#[test]
fn diffusion_runs_through_the_same_learner_and_resume_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tiny_chunk_config(
        tmp.path(),
        "diffusion:\n  down_dims: [8, 16]\n  step_embed_dim: 8\n  num_train_timesteps: 10\n  \
         num_inference_steps: 2\n  lr_warmup_steps: 1\n  batch_size: 4\n",
    );
    let train = |run: &Path, steps: &str| {
        vp(&[
            "train",
            "--config",
            &config,
            "--algorithm",
            "diffusion",
            "--demo-episodes",
            "1",
            "--total-steps",
            steps,
            "--eval-every",
            "1",
            "--eval-episodes",
            "1",
            "--run-dir",
            &run.display().to_string(),
        ])
    };
    let straight = tmp.path().join("straight");
    let out = train(&straight, "20");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(straight.join("checkpoints/model_latest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["algorithm"], "diffusion");
    assert_eq!(meta["global_step"], 20);
    assert_eq!(
        meta["config"]["chunk"]["batch_size"], 4,
        "diffusion's batch"
    );
    assert_eq!(meta["config"]["chunk"]["gradient_steps"], 20);
    let resumed = tmp.path().join("resumed");
    let out = train(&resumed, "10");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let dir = resumed.display().to_string();
    let out = vp(&["train", "--resume", &dir, "--total-steps", "20"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let weights = |run: &Path| {
        std::fs::read(run.join("checkpoints/model_latest-00000002.safetensors")).expect("weights")
    };
    assert!(
        weights(&straight) == weights(&resumed),
        "weights, EMA, moments and step equal bit for bit"
    );
    let ckpt = straight
        .join("checkpoints/model_latest")
        .display()
        .to_string();
    let out = vp(&["evaluate", "--policy", &ckpt, "--episodes", "1", "--json"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
}

#[test]
fn bad_chunk_settings_fail_with_one_line_and_leave_no_run_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str], &str); 5] = [
        ("  horizn: 8\n", &[], "horizn"),
        ("  action_steps: 20\n", &[], "chunk.action_steps"),
        ("", &["--episodes", "3"], "--episodes"),
        ("", &["--demo-episodes", "0"], "--demo-episodes"),
        (
            "diffusion:\n  down_dim: [8]\n",
            &["--algorithm", "diffusion"],
            "down_dim",
        ),
    ];
    for (extra, flags, expected) in cases {
        let config = tiny_chunk_config(tmp.path(), extra);
        let run = tmp.path().join("run");
        let dir = run.display().to_string();
        let mut args = vec!["train", "--config", &config, "--run-dir", &dir];
        args.extend_from_slice(flags);
        if !flags.contains(&"--algorithm") {
            args.extend_from_slice(&["--algorithm", "chunk"]);
        }
        let out = vp(&args);
        assert!(!out.status.success(), "{extra:?} {flags:?} was accepted");
        let err = stderr_of(&out);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(expected), "{extra:?} {flags:?}: {err}");
        assert!(!run.exists(), "{extra:?} {flags:?} left a run folder");
    }
}

#[test]
fn self_imitation_fine_tunes_a_clone_resumes_exactly_and_refuses_another_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let clone_config = tiny_chunk_config(tmp.path(), "");
    let clone = tmp.path().join("clone");
    let out = train_chunk(&clone_config, &clone, 20);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let init = clone.join("checkpoints/model_latest").display().to_string();
    let dir = tmp.path().join("ft");
    std::fs::create_dir_all(&dir).unwrap();
    let config = tiny_chunk_config(
        &dir,
        "    learning_rate: 1.0e-4\n  self_imitation:\n    episodes_per_round: 2\n    \
         iterations_per_round: 1\n    keep_fraction: 1.0\n    noise_std: 0.1\n",
    );
    let fine_tune = |run: &Path, steps: &str| {
        vp(&[
            "train",
            "--config",
            &config,
            "--algorithm",
            "chunk",
            "--init-from",
            &init,
            "--total-steps",
            steps,
            "--eval-every",
            "1",
            "--run-dir",
            &run.display().to_string(),
        ])
    };
    let straight = tmp.path().join("straight");
    let out = fine_tune(&straight, "30");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(straight.join("checkpoints/model_latest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["global_step"], 30, "a fresh optimizer counts from 0");
    assert_eq!(meta["config"]["init_from"]["path"], init);
    let rounds = meta["config"]["demonstrations"]["self_imitation"]
        .as_array()
        .expect("rounds recorded");
    assert_eq!(rounds.len(), 3, "one round per iteration");
    for (r, round) in rounds.iter().enumerate() {
        assert_eq!(round["round"], r);
        assert_eq!(round["episodes"], 2);
        assert_eq!(round["seed"], 2_000_000 + 2 * r as u64);
    }
    let rows = std::fs::read_to_string(straight.join("training_metrics.csv")).unwrap();
    assert_eq!(
        rows.lines().count(),
        1 + 6,
        "every rollout episode scored: {rows}"
    );
    let tags = scalar_tags(&straight);
    for tag in [
        "self_imitation/successful_segments",
        "self_imitation/kept_segments",
        "losses/chunk_loss",
    ] {
        assert!(tags.contains(tag), "{tag} missing from {tags:?}");
    }

    // Stopped after 10 steps and resumed: the same rounds, the same weights.
    let resumed = tmp.path().join("resumed");
    let out = fine_tune(&resumed, "10");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let out = vp(&[
        "train",
        "--resume",
        &resumed.display().to_string(),
        "--total-steps",
        "30",
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let weights =
        |run: &Path| std::fs::read(run.join("checkpoints/model_latest-00000003.safetensors"));
    assert!(
        weights(&straight).expect("straight") == weights(&resumed).expect("resumed"),
        "weights, moments and step equal bit for bit"
    );
    let csv = |run: &Path, f: &str| std::fs::read_to_string(run.join(f)).unwrap();
    assert_eq!(csv(&straight, "eval.csv"), csv(&resumed, "eval.csv"));
    assert_eq!(
        csv(&straight, "training_metrics.csv"),
        csv(&resumed, "training_metrics.csv")
    );

    // A clone read through other windows, or by another algorithm, is refused
    // before any folder exists.
    let other_dir = tmp.path().join("other");
    std::fs::create_dir_all(&other_dir).unwrap();
    let other = tiny_chunk_config(&other_dir, "  horizon: 8\n");
    let run = tmp.path().join("refused");
    let run_s = run.display().to_string();
    for (args, expected) in [
        (
            vec!["--config", &other, "--algorithm", "chunk"],
            "predicts 16 actions",
        ),
        (
            vec!["--config", &config, "--algorithm", "diffusion"],
            "written by `chunk`",
        ),
    ] {
        let mut all = vec!["train", "--init-from", &init, "--run-dir", &run_s];
        all.extend(args);
        let out = vp(&all);
        assert!(!out.status.success(), "{all:?} was accepted");
        let err = stderr_of(&out);
        assert!(err.contains(expected), "{all:?}: {err}");
        assert!(!run.exists(), "{all:?} left a run folder");
    }
}
