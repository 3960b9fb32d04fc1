//! `vp env rollout` and `vp env bench` at tiny sizes, run as the real binary.

use crate::cli::vp;
use std::path::PathBuf;
use std::process::Command;

fn repo_file(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

/// The shipped dishwashing config with a one-dish, short-wash `env:` section.
fn small_dish_config(dir: &std::path::Path) -> String {
    let text = std::fs::read_to_string(repo_file("configs/dishwashing.yaml")).expect("config");
    let head = text.split("\nenv:").next().expect("has env section");
    let path = dir.join("dish.yaml");
    let small =
        format!("{head}\nenv:\n  num_dishes: 1\n  wash_time_s: 2.0\n  episode_seconds: 40.0\n");
    std::fs::write(&path, small).expect("write");
    path.display().to_string()
}

#[test]
fn env_rollout_json_prints_one_object_per_episode_with_the_economics_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = small_dish_config(dir.path());
    let frames = dir.path().join("frames");
    let strip = dir.path().join("strip.png");
    let out = vp(&[
        "env",
        "rollout",
        "--env",
        "dishwashing",
        "--policy",
        "expert",
        "--episodes",
        "2",
        "--seed",
        "4",
        "--config",
        &config,
        "--json",
        "--frames",
        &frames.display().to_string(),
        "--frame-interval-s",
        "2.0",
        "--strip",
        &strip.display().to_string(),
        "--strip-downscale",
        "2",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2);
    for (i, line) in lines.iter().enumerate() {
        for key in [
            "episode",
            "units",
            "attempts",
            "errors",
            "hours",
            "mp_r",
            "error_rate",
            "robot_wage",
            "productivity_parity",
            "wage_parity",
        ] {
            assert!(line.get(key).is_some(), "missing {key} in {line}");
        }
        assert_eq!(line["episode"], i as u64);
        assert_eq!(line["units"], 1, "the expert racks the one dish: {line}");
    }
    let pngs = std::fs::read_dir(&frames).expect("frames folder").count();
    assert!(pngs >= 2, "{pngs} frames written");
    // The strip: up to six 256-pixel frames at half size, side by side
    // (sizes read from the PNG's IHDR chunk).
    let png = std::fs::read(&strip).expect("strip written");
    assert_eq!(&png[1..4], b"PNG");
    let width = u32::from_be_bytes(png[16..20].try_into().expect("4 bytes"));
    let height = u32::from_be_bytes(png[20..24].try_into().expect("4 bytes"));
    assert_eq!((width, height), (pngs.min(6) as u32 * 128, 128));
}

#[test]
fn env_rollout_random_policy_completes_nothing_and_the_same_seed_repeats() {
    for env in ["dishwashing", "bricklaying"] {
        let config = repo_file(&format!("configs/{env}.yaml"));
        let args = [
            "env",
            "rollout",
            "--env",
            env,
            "--policy",
            "random",
            "--episodes",
            "1",
            "--seed",
            "9",
            "--config",
            &config.display().to_string(),
            "--json",
        ];
        let a = vp(&args);
        let b = vp(&args);
        assert_eq!(a.status.code(), Some(0), "{a:?}");
        assert_eq!(a.stdout, b.stdout, "{env}: same seed, same episode");
        let line: serde_json::Value = serde_json::from_slice(&a.stdout).expect("json");
        assert_eq!(
            line["units"], 0,
            "{env}: random actions complete nothing: {line}"
        );
    }
}

/// `vp env rollout --policy expert --episodes 1 --json` on the shipped
/// config of `env`: the episode's object.
fn expert_episode(env: &str, skill: &str) -> serde_json::Value {
    let out = vp(&[
        "env",
        "rollout",
        "--env",
        env,
        "--policy",
        "expert",
        "--skill",
        skill,
        "--episodes",
        "1",
        "--seed",
        "2",
        "--config",
        &repo_file(&format!("configs/{env}.yaml"))
            .display()
            .to_string(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn env_rollout_expert_works_at_the_human_rate_with_few_errors_on_both_tasks() {
    for env in ["dishwashing", "bricklaying"] {
        let line = expert_episode(env, "1.0");
        // productivity_parity is MP_r / MP_h of the task config.
        let parity = line["productivity_parity"].as_f64().expect("parity");
        let error_rate = line["error_rate"].as_f64().expect("error rate");
        assert!((0.8..=1.5).contains(&parity), "{env}: {line}");
        assert!(error_rate < 0.03, "{env}: {line}");
    }
}

#[test]
fn env_rollout_half_skill_expert_sits_between_random_and_full_skill() {
    for env in ["dishwashing", "bricklaying"] {
        let full = expert_episode(env, "1.0")["mp_r"].as_f64().expect("mp_r");
        let half = expert_episode(env, "0.5")["mp_r"].as_f64().expect("mp_r");
        // A random policy racks or lays nothing (see the random-policy tests).
        assert!(
            half > 0.0 && half < 0.9 * full,
            "{env}: half {half}, full {full}"
        );
    }
}

#[test]
fn env_bench_json_names_each_figure() {
    let out = vp(&[
        "env",
        "bench",
        "--env",
        "dishwashing",
        "--steps",
        "200",
        "--num-envs",
        "2",
        "--json",
        "--config",
        &repo_file("configs/dishwashing.yaml").display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    for key in [
        "single_env_steps_per_s",
        "vec_env_steps_per_s",
        "env_physics_steps_per_s",
        "env_overhead",
        "raw_physics_steps_per_s",
        "overhead_vs_idle_physics",
    ] {
        assert!(v[key].as_f64().is_some_and(f64::is_finite), "{key} in {v}");
    }
    // Per-CPU-second figures are null where the OS does not report CPU time.
    for key in ["single_env_steps_per_cpu_s", "vec_env_steps_per_cpu_s"] {
        assert!(
            v[key].is_null() || v[key].as_f64().is_some_and(|x| x > 0.0),
            "{key} in {v}"
        );
    }
}

#[test]
fn env_rollout_rejects_a_skill_outside_zero_to_one() {
    let out = vp(&["env", "rollout", "--env", "dishwashing", "--skill", "1.5"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--skill"));
}

#[test]
fn a_rollout_piped_into_a_reader_that_stops_after_one_line_exits_quietly() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = small_dish_config(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_vp"))
        .args([
            "env",
            "rollout",
            "--env",
            "dishwashing",
            "--policy",
            "expert",
            "--episodes",
            "20",
            "--json",
            "--config",
            &config,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("vp starts");
    // `| head -1`: read one line, then close the pipe.
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("one line");
    assert!(first.starts_with('{'), "{first}");
    let out = child.wait_with_output().expect("vp ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}
