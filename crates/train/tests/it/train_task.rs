//! `vp train` on a task config (dishwashing with short episodes) and
//! `vp evaluate` on its checkpoint: the economics columns, TensorBoard tags,
//! resume and bad overrides, run as the real binary.

use crate::cli::{stderr_of, vp};
use std::path::Path;
use std::process::{Command, Output};

/// The shipped dishwashing config, made CI-sized: 5 s episodes (100 control
/// steps) of 2 dishes, 2 env copies, 64-step rollouts, 2 evaluation episodes.
fn tiny_dishwashing_config(dir: &Path) -> String {
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/dishwashing.yaml"),
    )
    .expect("configs/dishwashing.yaml");
    let text = shipped
        .replace("  episode_seconds: 420.0", "  episode_seconds: 5.0")
        .replace("  num_dishes: 6", "  num_dishes: 2")
        .replace("  num_envs: 8", "  num_envs: 2")
        .replace("  eval_episodes: 10", "  eval_episodes: 2")
        .replace("  eval_interval: 20000", "  eval_interval: 256")
        .replace("  num_steps: 256", "  num_steps: 64")
        .replace("  num_minibatches: 8", "  num_minibatches: 2")
        .replace("  update_epochs: 5", "  update_epochs: 2");
    assert_ne!(text, shipped);
    let path = dir.join("tiny_dishwashing.yaml");
    std::fs::write(&path, text).expect("write config");
    path.display().to_string()
}

fn train(config: &str, run: &Path, steps: u64) -> Output {
    vp(&[
        "train",
        "--config",
        config,
        "--total-steps",
        &steps.to_string(),
        "--run-dir",
        &run.display().to_string(),
    ])
}

/// Behaviour cloning from `demos` expert episodes into `run`.
fn train_bc(config: &str, run: &Path, demos: u64) -> Output {
    vp(&[
        "train",
        "--config",
        config,
        "--algorithm",
        "bc",
        "--demo-episodes",
        &demos.to_string(),
        "--run-dir",
        &run.display().to_string(),
    ])
}

fn data_rows(path: &Path) -> Vec<Vec<f64>> {
    std::fs::read_to_string(path)
        .expect("csv")
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().expect("number")).collect())
        .collect()
}

#[test]
fn task_config_run_logs_every_episode_with_economics_and_evaluates_them() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tiny_dishwashing_config(tmp.path());
    let run = tmp.path().join("run");
    // 1024 steps = 8 updates of 128; 2 copies × 100-step episodes: 10 episodes.
    let out = train(&config, &run, 1024);
    assert!(out.status.success(), "{}", stderr_of(&out));

    let resolved = std::fs::read_to_string(run.join("config.yaml")).unwrap();
    assert!(
        resolved.contains("task:") && resolved.contains("run:"),
        "{resolved}"
    );
    assert!(resolved.contains("total_timesteps: 1024"), "{resolved}");
    let header = std::fs::read_to_string(run.join("training_metrics.csv")).unwrap();
    assert!(header.starts_with(
        "episode,mp_r,e,w_r,wage_parity,productivity_parity,reward_total,reward_mp,\
         reward_error,reward_wage,alpha,beta,gamma"
    ));
    let rows = data_rows(&run.join("training_metrics.csv"));
    assert_eq!(rows.len(), 10, "{header}");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[0], i as f64, "episodes are numbered in order");
        assert!(row.iter().all(|v| v.is_finite()));
        // α anneals from 1.0 towards 0.2 over 2000 episodes, β stays 0.5.
        assert!(row[10] <= 1.0 && row[10] > 0.99, "alpha {}", row[10]);
        assert_eq!(row[11], 0.5);
    }
    // Evaluations every 2 updates (256 steps) and at the end.
    let evals = data_rows(&run.join("eval.csv"));
    assert_eq!(
        evals.iter().map(|r| r[0] as u64).collect::<Vec<_>>(),
        vec![256, 512, 768, 1024]
    );
    assert!(run.join("checkpoints/model_latest.json").is_file());
    assert!(run.join("checkpoints/model_best.json").is_file());

    let events = runs::EventFile::read_dir(&run).expect("event files");
    let tags: std::collections::BTreeSet<String> = events
        .iter()
        .flat_map(|(_, f)| f.scalars())
        .map(|p| p.tag)
        .collect();
    for tag in [
        "economics/mp_r",
        "economics/wage_parity",
        "economics/reward_total",
        "losses/policy_loss",
        "charts/sps",
        "charts/shaping_weight",
        "eval/wage_parity",
    ] {
        assert!(tags.contains(tag), "{tag} missing from {tags:?}");
    }
    assert!(
        events.iter().any(|(_, f)| !f.images().is_empty()),
        "an evaluation frame"
    );
    let hparams = events
        .iter()
        .find_map(|(_, f)| f.hparams())
        .expect("hyperparameters for TensorBoard's hparams tab");
    for key in ["ppo.learning_rate", "reward.alpha_initial", "run.env_id"] {
        assert!(hparams.hparams.contains_key(key), "{key}");
    }

    let ckpt = run.join("checkpoints/model_latest").display().to_string();
    let out = vp(&[
        "evaluate",
        "--policy",
        &ckpt,
        "--episodes",
        "2",
        "--seed",
        "3",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("one JSON object on stdout");
    assert_eq!(json["episodes"], 2);
    for key in [
        "mean_return",
        "mp_r",
        "error_rate",
        "robot_wage",
        "productivity_parity",
        "wage_parity",
    ] {
        assert!(json[key].is_number(), "{key}: {json}");
    }
    let ci = json["wage_parity_ci95"].as_array().expect("a CI pair");
    assert!(ci[0].as_f64().unwrap() <= json["wage_parity"].as_f64().unwrap());
}

#[test]
fn task_run_resumes_its_episode_series_without_gaps_or_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tiny_dishwashing_config(tmp.path());
    let run = tmp.path().join("run");
    let out = train(&config, &run, 512);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let dir = run.display().to_string();
    let out = vp(&["train", "--resume", &dir, "--total-steps", "1024"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let rows = data_rows(&run.join("training_metrics.csv"));
    let episodes: Vec<u64> = rows.iter().map(|r| r[0] as u64).collect();
    assert_eq!(episodes, (0..episodes.len() as u64).collect::<Vec<_>>());
    assert!(episodes.len() >= 8, "{episodes:?}");
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run.join("checkpoints/model_latest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["global_step"], 1024);
}

#[test]
fn bad_task_overrides_fail_with_one_line_and_leave_no_run_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tiny_dishwashing_config(tmp.path());
    let cases: [(&[&str], &str); 7] = [
        (&["--alpha=-1"], "reward.alpha_initial"),
        (&["--gamma-schedule", "cubic"], "cubic"),
        (&["--env", "CartPole-v1"], "CartPole-v1"),
        (&["--algorithm", "a2c"], "unknown algorithm"),
        (
            &["--algorithm", "sac", "--init-from", "x"],
            "--algorithm sac takes none",
        ),
        (&["--dagger-rounds", "3"], "needs --algorithm bc"),
        (
            &["--algorithm", "bc", "--demo-episodes", "0"],
            "--demo-episodes",
        ),
    ];
    for (extra, expected) in cases {
        let run = tmp.path().join("run");
        let dir = run.display().to_string();
        let mut args = vec!["train", "--config", &config, "--run-dir", &dir];
        args.extend_from_slice(extra);
        let out = vp(&args);
        assert!(!out.status.success(), "{extra:?} was accepted");
        let err = stderr_of(&out);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(expected), "{extra:?}: {err}");
        assert!(!run.exists(), "{extra:?} left a run folder");
    }
    // An anchored fine-tune needs the network to anchor to.
    let anchored = tmp.path().join("anchored.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text.replace(
        "  update_epochs: 2",
        "  update_epochs: 2\n  fine_tune:\n    anchor_coef: 1.0\n    \
         freeze_observation_normalizer: true",
    );
    std::fs::write(&anchored, text).unwrap();
    let run = tmp.path().join("run");
    let out = vp(&[
        "train",
        "--config",
        &anchored.display().to_string(),
        "--run-dir",
        &run.display().to_string(),
    ]);
    let err = stderr_of(&out);
    assert!(!out.status.success());
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("ppo.fine_tune.anchor_coef") && err.contains("--init-from"),
        "{err}"
    );
    assert!(!run.exists(), "the anchored run left a run folder");
}

#[test]
fn behaviour_cloning_logs_each_dagger_round_and_its_checkpoint_warm_starts_ppo() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tiny_dishwashing_config(tmp.path());
    // Two DAgger rounds of two clone-driven episodes each; the PPO run
    // from the clone is anchored to it, goes on cloning the expert on its
    // own states and, like the clone, never sees the arm's velocity.
    let mut text = std::fs::read_to_string(&config).unwrap().replace(
        "  update_epochs: 2",
        "  update_epochs: 2\n  ignore_observations: [5, 6, 7, 8]\n  fine_tune:\n    \
         anchor_coef: 10.0\n    freeze_observation_normalizer: true\n    expert_coef: 1.0",
    );
    text.push_str(
        "bc:\n  loss: mse\n  max_epochs: 5\n  dagger:\n    rounds: 2\n    \
         episodes_per_round: 2\n    expert_mix: 0.0\n",
    );
    std::fs::write(&config, text).unwrap();
    let bc_run = tmp.path().join("bc");
    let out = train_bc(&config, &bc_run, 2);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(bc_run.join("checkpoints/model_latest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["algorithm"], "bc");
    assert!(
        meta["normalization"]["obs"].is_object(),
        "the observation statistics travel with the policy"
    );
    // 2 demonstrations, then 2 rounds of 2 episodes, all of 100 control
    // steps: one labelled pair per step.
    assert_eq!(meta["global_step"], 600);
    assert_eq!(meta["update"], 2, "the checkpoint of the last round");
    // An evaluation after the first fit and after each round.
    let evals = data_rows(&bc_run.join("eval.csv"));
    assert_eq!(
        evals.iter().map(|r| r[0] as u64).collect::<Vec<_>>(),
        vec![200, 400, 600]
    );
    // The clone's own episodes, scored like PPO's training episodes.
    let rows = data_rows(&bc_run.join("training_metrics.csv"));
    assert_eq!(rows.len(), 4);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[0], i as f64, "episodes are numbered in order");
        assert!(row.iter().all(|v| v.is_finite()));
        assert_eq!(row[11], 0.5, "beta");
    }
    let events = runs::EventFile::read_dir(&bc_run).expect("event files");
    let tags: std::collections::BTreeSet<String> = events
        .iter()
        .flat_map(|(_, f)| f.scalars())
        .map(|p| p.tag)
        .collect();
    for tag in [
        "economics/mp_r",
        "economics/wage_parity",
        "eval/wage_parity",
        "bc/train_loss",
        "bc/dagger_clone_units_per_episode",
    ] {
        assert!(tags.contains(tag), "{tag} missing from {tags:?}");
    }

    let ckpt = bc_run
        .join("checkpoints/model_latest")
        .display()
        .to_string();
    let out = vp(&["evaluate", "--policy", &ckpt, "--episodes", "2", "--json"]);
    assert!(out.status.success(), "{}", stderr_of(&out));

    let ppo_run = tmp.path().join("ppo");
    let out = vp(&[
        "train",
        "--config",
        &config,
        "--total-steps",
        "256",
        "--init-from",
        &ckpt,
        "--run-dir",
        &ppo_run.display().to_string(),
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let resolved = std::fs::read_to_string(ppo_run.join("config.yaml")).unwrap();
    assert!(resolved.contains("init_from:"), "{resolved}");
    // A resumed anchored run finds its anchor again (from init_from), and
    // its expert.
    let out = vp(&[
        "train",
        "--resume",
        &ppo_run.display().to_string(),
        "--total-steps",
        "512",
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let scalars = runs::EventFile::read_dir(&ppo_run).expect("event files");
    for tag in ["losses/anchor_loss", "losses/expert_loss"] {
        let losses: Vec<f32> = scalars
            .iter()
            .flat_map(|(_, f)| f.scalars())
            .filter(|p| p.tag == tag)
            .map(|p| p.value)
            .collect();
        assert_eq!(losses.len(), 4, "{tag}: one per update, both sessions");
        assert!(losses.iter().all(|l| l.is_finite() && *l >= 0.0), "{tag}");
    }
    // Another clone in the anchor's place is refused, not silently used.
    let other = tmp.path().join("bc2");
    let out = train_bc(&config, &other, 3);
    assert!(out.status.success(), "{}", stderr_of(&out));
    for entry in std::fs::read_dir(other.join("checkpoints")).unwrap() {
        let entry = entry.unwrap();
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with("model_latest")
        {
            std::fs::copy(
                entry.path(),
                bc_run.join("checkpoints").join(entry.file_name()),
            )
            .unwrap();
        }
    }
    let out = vp(&[
        "train",
        "--resume",
        &ppo_run.display().to_string(),
        "--total-steps",
        "768",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains("has changed"),
        "{}",
        stderr_of(&out)
    );

    // A BC run has nothing to resume.
    let out = vp(&["train", "--resume", &bc_run.display().to_string()]);
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains("nothing to resume"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn sigkilled_task_runs_resume_with_exact_logs_and_loadable_checkpoints() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tiny_dishwashing_config(tmp.path());
    let run = tmp.path().join("run");
    let dir = run.display().to_string();
    // First session writes the folder and a first checkpoint, then runs on.
    let out = train(&config, &run, 256);
    assert!(out.status.success(), "{}", stderr_of(&out));
    // Kill later sessions at staggered moments: mid-rollout, mid-checkpoint,
    // whatever each lands on.
    for (round, delay_ms) in [150u64, 400, 250, 600].into_iter().enumerate() {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vp"))
            .args(["train", "--resume", &dir, "--total-steps", "100000"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("vp starts");
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        let meta = std::fs::read_to_string(run.join("checkpoints/model_latest.json"))
            .expect("a checkpoint survives every kill");
        serde_json::from_str::<serde_json::Value>(&meta)
            .unwrap_or_else(|e| panic!("round {round}: torn sidecar: {e}"));
    }
    // A clean finishing session: every episode once, in order.
    let out = vp(&[
        "train",
        "--resume",
        &dir,
        "--total-steps",
        "100000",
        "--episodes",
        "1",
    ]);
    assert!(!out.status.success(), "--episodes conflicts with --resume");
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run.join("checkpoints/model_latest.json")).unwrap(),
    )
    .unwrap();
    let step = meta["global_step"].as_u64().unwrap();
    let out = vp(&[
        "train",
        "--resume",
        &dir,
        "--total-steps",
        &(step + 512).to_string(),
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let rows = data_rows(&run.join("training_metrics.csv"));
    let episodes: Vec<u64> = rows.iter().map(|r| r[0] as u64).collect();
    assert_eq!(episodes, (0..episodes.len() as u64).collect::<Vec<_>>());
    assert!(
        episodes.len() > 2,
        "the sessions made progress: {episodes:?}"
    );
    let evals: Vec<u64> = data_rows(&run.join("eval.csv"))
        .iter()
        .map(|r| r[0] as u64)
        .collect();
    let mut sorted = evals.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(evals, sorted, "evaluations once each, in step order");
    let ckpt = run.join("checkpoints/model_latest").display().to_string();
    let out = vp(&["evaluate", "--policy", &ckpt, "--episodes", "1", "--json"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
}

#[test]
fn a_run_without_run_dir_is_named_by_env_algorithm_and_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tiny_dishwashing_config(tmp.path());
    let out = Command::new(env!("CARGO_BIN_EXE_vp"))
        .args(["train", "--config", &config, "--algorithm", "bc"])
        .args(["--demo-episodes", "1", "--seed", "3"])
        .current_dir(tmp.path())
        .output()
        .expect("vp runs");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let names: Vec<String> = std::fs::read_dir(tmp.path().join("runs"))
        .expect("runs/ was created")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].starts_with("dishwashing__bc__3__"), "{names:?}");
}
