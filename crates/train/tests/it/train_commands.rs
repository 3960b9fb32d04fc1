//! `vp train` and `vp evaluate`, run as the real binary on tiny CartPole runs.

use crate::cli::{stderr_of, vp};
use std::path::{Path, PathBuf};
use std::process::Output;

fn cartpole_config() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../configs/cartpole.yaml")
        .display()
        .to_string()
}

/// Trains CartPole for `steps` into `dir` (3 evaluation episodes).
fn train(dir: &Path, steps: u64) -> Output {
    vp(&[
        "train",
        "--config",
        &cartpole_config(),
        "--total-steps",
        &steps.to_string(),
        "--eval-episodes",
        "3",
        "--run-dir",
        &dir.display().to_string(),
    ])
}

fn eval_steps(run: &Path) -> Vec<u64> {
    let text = std::fs::read_to_string(run.join("eval.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse::<f64>().unwrap() as u64)
        .collect()
}

fn checkpoint_step(run: &Path) -> u64 {
    let text = std::fs::read_to_string(run.join("checkpoints/model_latest.json")).unwrap();
    let meta: serde_json::Value = serde_json::from_str(&text).unwrap();
    meta["global_step"].as_u64().unwrap()
}

#[test]
fn train_writes_a_complete_run_folder_and_evaluate_reads_it() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let out = train(&run, 2048);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(run.join("config.yaml").is_file());
    let config = std::fs::read_to_string(run.join("config.yaml")).unwrap();
    assert!(config.contains("total_timesteps: 2048"), "{config}");
    let names: Vec<String> = std::fs::read_dir(&run)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("events.out.tfevents.")),
        "{names:?}"
    );
    // 2048 steps / (4 envs × 128 steps) = 4 updates, each evaluated.
    assert_eq!(eval_steps(&run), vec![512, 1024, 1536, 2048]);
    // Classic control: no task economics, so no invented per-episode rows.
    let training = std::fs::read_to_string(run.join("training_metrics.csv")).unwrap();
    assert_eq!(training.lines().count(), 1);
    assert!(run.join("checkpoints/model_latest.json").is_file());
    assert!(run.join("checkpoints/model_best.json").is_file());
    assert_eq!(checkpoint_step(&run), 2048);

    let policy = run.join("checkpoints/model_latest").display().to_string();
    let out = vp(&["evaluate", "--policy", &policy, "--episodes", "3", "--json"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let object = json.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = vec![
        "episodes",
        "mean_return",
        "mp_r",
        "error_rate",
        "robot_wage",
        "productivity_parity",
        "wage_parity",
        "mp_r_ci95",
        "error_rate_ci95",
        "robot_wage_ci95",
        "productivity_parity_ci95",
        "wage_parity_ci95",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(json["episodes"].as_f64(), Some(3.0));
    assert!(json["mean_return"].as_f64().unwrap() >= 1.0);
    for key in expected.iter().filter(|k| k.ends_with("_ci95")) {
        let pair = json[*key].as_array().unwrap();
        assert_eq!(pair.len(), 2);
        assert!(pair[0].as_f64().unwrap() <= pair[1].as_f64().unwrap());
    }
    // The same seed gives the same evaluation.
    let again = vp(&["evaluate", "--policy", &policy, "--episodes", "3", "--json"]);
    assert_eq!(out.stdout, again.stdout);
}

#[test]
fn resume_continues_from_the_saved_step_without_duplicate_evaluations() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let out = train(&run, 1024);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(checkpoint_step(&run), 1024);
    let dir = run.display().to_string();
    let out = vp(&["train", "--resume", &dir, "--total-steps", "2048"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(checkpoint_step(&run), 2048);
    let steps = eval_steps(&run);
    assert_eq!(steps, vec![512, 1024, 1536, 2048]);
    let events = std::fs::read_dir(&run)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("events.out")
        })
        .count();
    assert_eq!(events, 2, "one event file per session");
}

/// Moves `ppo.fine_tune.*` back up into `ppo` (the layout before the
/// `fine_tune:` section existed).
fn flatten_fine_tune(ppo: &mut serde_json::Value) {
    let ppo = ppo.as_object_mut().expect("a ppo mapping");
    let nested = ppo.remove("fine_tune").expect("a fine_tune section");
    for (k, v) in nested.as_object().expect("a mapping") {
        ppo.insert(k.clone(), v.clone());
    }
}

#[test]
fn a_run_folder_from_before_the_fine_tune_section_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let out = train(&run, 1024);
    assert!(out.status.success(), "{}", stderr_of(&out));
    // Age the folder: flat fine-tune keys in config.yaml and checkpoints.
    let config_path = run.join("config.yaml");
    let mut config: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    flatten_fine_tune(&mut config["ppo"]);
    std::fs::write(&config_path, serde_saphyr::to_string(&config).unwrap()).unwrap();
    for name in ["model_latest.json", "model_best.json"] {
        let path = run.join("checkpoints").join(name);
        let mut meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        flatten_fine_tune(&mut meta["config"]);
        std::fs::write(&path, serde_json::to_string(&meta).unwrap()).unwrap();
    }
    assert!(
        std::fs::read_to_string(&config_path)
            .unwrap()
            .contains("anchor_coef")
    );

    let dir = run.display().to_string();
    let out = vp(&["train", "--resume", &dir, "--total-steps", "2048"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(checkpoint_step(&run), 2048);
    assert_eq!(eval_steps(&run), vec![512, 1024, 1536, 2048]);
    let upgraded: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    assert!(upgraded["ppo"]["fine_tune"]["anchor_coef"].is_number());
    assert!(upgraded["ppo"].get("anchor_coef").is_none());
}

/// Runs `vp train` with `extra` into a fresh folder; it must fail with one
/// line and leave nothing behind.
fn refused(extra: &[&str]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let run: PathBuf = tmp.path().join("run");
    let dir = run.display().to_string();
    let mut args = vec!["train", "--run-dir", &dir, "--total-steps", "512"];
    args.extend_from_slice(extra);
    let out = vp(&args);
    assert!(!out.status.success(), "{extra:?} was accepted");
    let err = stderr_of(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "{extra:?} left files"
    );
    err
}

#[test]
fn bad_training_inputs_fail_with_one_line_and_leave_no_run_folder() {
    let config = cartpole_config();
    let c = config.as_str();
    assert!(refused(&["--config", c, "--env", "NoSuchEnv-v0"]).contains("NoSuchEnv-v0"));
    assert!(refused(&["--config", c, "--algorithm", "a2c"]).contains("unknown algorithm"));
    assert!(refused(&["--config", c, "--algorithm", "sac"]).contains("continuous (Box)"));
    assert!(refused(&["--config", c, "--algorithm", "bc"]).contains("bc needs"));
    assert!(refused(&["--config", "/no/such/config.yaml"]).contains("config.yaml"));
    assert!(refused(&["--config", c, "--episodes", "3"]).contains("conflict"));
    assert!(refused(&["--config", c, "--alpha", "1.0"]).contains("--alpha"));
    assert!(refused(&["--config", c, "--dagger-rounds", "2"]).contains("--algorithm bc"));
    // Task-run-only PPO settings in a classic-control config.
    let tmp = tempfile::tempdir().unwrap();
    for key in ["anchor_coef", "expert_coef"] {
        let path = tmp.path().join(format!("{key}_cartpole.yaml"));
        let text = std::fs::read_to_string(&config).unwrap().replace(
            "  normalize_observation: false",
            &format!("  normalize_observation: false\n  fine_tune:\n    {key}: 1.0"),
        );
        std::fs::write(&path, text).unwrap();
        let p = path.display().to_string();
        assert!(refused(&["--config", &p]).contains(&format!("ppo.fine_tune.{key}")));
    }
    assert!(refused(&[]).contains("--config"));
}

#[test]
fn checkpoints_of_another_env_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let out = train(&run, 512);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let ckpt = run.join("checkpoints/model_latest").display().to_string();

    let out = vp(&[
        "evaluate",
        "--policy",
        &ckpt,
        "--env",
        "Pendulum-v1",
        "--episodes",
        "1",
    ]);
    assert!(!out.status.success());
    assert_eq!(
        stderr_of(&out).trim().lines().count(),
        1,
        "{}",
        stderr_of(&out)
    );

    let pendulum = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/pendulum.yaml");
    let err = refused(&[
        "--config",
        &pendulum.display().to_string(),
        "--init-from",
        &ckpt,
    ]);
    assert!(err.contains("CartPole-v1"), "{err}");

    // Resuming with a config file that is not the run's own is refused too.
    let dir = run.display().to_string();
    let out = vp(&["train", "--resume", &dir, "--config", &cartpole_config()]);
    assert!(!out.status.success());
    assert_eq!(stderr_of(&out).trim().lines().count(), 1);
}
