//! `vp exchange run`: a population trained by the ATP scheduler through
//! real `vp train` jobs, its run folder, ledger and refusals.

use crate::cli::{stderr_of, test_postgres_url, vp};
use std::path::Path;

/// A scheduler config over the repository's CartPole config: jobs of 512
/// steps, a target of mean return 40 (reached in a few jobs), credits such
/// that stalled experts go broke and are replaced by children of the best.
fn write_config(dir: &Path, extra: &str) -> std::path::PathBuf {
    let cartpole = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/cartpole.yaml");
    let path = dir.join("population.yaml");
    std::fs::write(
        &path,
        format!(
            "train_config: {}\nmetric: mean_return\ntarget: 40.0\nround_steps: 512\n\
             max_steps_per_expert: 8192\npopulation:\n  base_seed: 3\n  common_overrides:\n    \
             ppo.anneal_lr: false\n    eval_episodes: 5\n  variants:\n    - overrides: {{ppo.learning_rate: 1.0e-3}}\n    \
             - overrides: {{ppo.learning_rate: 1.0e-6}}\neconomy:\n  seed_credits: 5.0\n  \
             price_per_unit: 0.1\n  routing_budget: 1\nexplore:\n  key: ppo.learning_rate\n{extra}",
            cartpole.display()
        ),
    )
    .unwrap();
    path
}

/// `vp exchange run` of 2 experts of `config` into `run`, with `extra`
/// options.
fn population(config: &Path, run: &Path, budget: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "exchange",
        "run",
        "--config",
        config.to_str().unwrap(),
        "--experts",
        "2",
        "--budget-seconds",
        budget,
        "--run-dir",
        run.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    vp(&args)
}

fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn atp_population_trains_real_runs_pays_credits_and_keeps_the_ledger_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "");
    let run = tmp.path().join("pop");
    let out = population(&config, &run, "120", &["--json"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["stop"], "target", "{summary}");
    assert_eq!(summary["allocation"], "atp");
    let winner = summary["winner"].as_str().unwrap();
    // The winner is an ordinary run folder that reached the target.
    let eval = std::fs::read_to_string(run.join("experts").join(winner).join("eval.csv")).unwrap();
    let last: f64 = eval
        .lines()
        .last()
        .unwrap()
        .split(',')
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    assert!(last >= 40.0, "{eval}");
    assert_eq!(summary["best_metric"].as_f64().unwrap(), last);
    // Job costs are measured CPU time; the summary adds them up.
    let events = lines(&run.join("scheduler.jsonl"));
    let jobs: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "job").collect();
    assert_eq!(jobs.len() as u64, summary["jobs"].as_u64().unwrap());
    let total: f64 = jobs
        .iter()
        .map(|j| j["device_seconds"].as_f64().unwrap())
        .sum();
    assert!(total > 0.0);
    assert!((total - summary["device_seconds"].as_f64().unwrap()).abs() < 1e-6);
    // Every job is charged in the ledger and every evaluation is a signal.
    let exchange = run.join("exchange");
    let check = vp(&["exchange", "check", "--dir", exchange.to_str().unwrap()]);
    assert!(check.status.success(), "{}", stderr_of(&check));
    let balances = vp(&[
        "exchange",
        "balances",
        "--dir",
        exchange.to_str().unwrap(),
        "--json",
    ]);
    let b: serde_json::Value = serde_json::from_slice(&balances.stdout).unwrap();
    let predictions: i64 = b["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["predictions"].as_i64().unwrap_or(0))
        .sum();
    let charged = jobs
        .iter()
        .filter(|j| j["charged"].as_f64().unwrap() > 0.0)
        .count();
    assert_eq!(predictions as usize, charged, "{b}");
    // The resolved config and TensorBoard events are in the run folder.
    assert!(run.join("scheduler.yaml").exists());
    assert!(run.join("summary.json").exists());
    assert!(std::fs::read_dir(&run).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("events.out.tfevents")
    }));
}

/// The jobs of a run: expert, steps after, metric.
fn job_sequence(run: &Path) -> Vec<(String, u64, f64)> {
    lines(&run.join("scheduler.jsonl"))
        .iter()
        .filter(|e| e["event"] == "job")
        .map(|e| {
            (
                e["expert"].as_str().unwrap().to_string(),
                e["steps"].as_u64().unwrap(),
                e["metric"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn broke_experts_make_way_for_children_and_a_seed_repeats_its_run_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    // Gains pay almost nothing and a job costs 0.02 credits at the declared
    // speed: every expert goes broke after a few jobs and its place goes to
    // a child started from the best checkpoint.
    let config = write_config(tmp.path(), "  factors: [0.5, 2.0]\n  spawn_credits: 0.01\n");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("seed_credits: 5.0", "seed_credits: 0.05")
        .replace(
            "price_per_unit: 0.1",
            "price_per_unit: 0.0001\n  declared_speed: 25600.0",
        )
        .replace("target: 40.0", "target: 150.0");
    std::fs::write(&config, text).unwrap();
    let mut runs = Vec::new();
    for name in ["first", "second"] {
        let run = tmp.path().join(name);
        let out = population(&config, &run, "120", &["--json"]);
        assert!(out.status.success(), "{}", stderr_of(&out));
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["stop"], "target", "{summary}");
        runs.push(run);
    }
    let events = lines(&runs[0].join("scheduler.jsonl"));
    let broke = events
        .iter()
        .filter(|e| e["event"] == "left" && e["reason"] == "broke")
        .count();
    assert!(broke >= 1, "{events:?}");
    let child = events
        .iter()
        .find(|e| e["event"] == "joined" && !e["expert"]["parent"].is_null())
        .expect("a child joined");
    let id = child["expert"]["id"].as_str().unwrap();
    let parent = child["expert"]["parent"].as_str().unwrap();
    // The child's learning rate is its parent's × 0.5 or × 2, and it
    // started from the parent's checkpoint.
    let lr = |id: &str| {
        events
            .iter()
            .find(|e| e["event"] == "joined" && e["expert"]["id"] == id)
            .unwrap()["expert"]["overrides"]["ppo.learning_rate"]
            .as_f64()
            .unwrap()
    };
    let ratio = lr(id) / lr(parent);
    assert!(
        (ratio - 0.5).abs() < 1e-9 || (ratio - 2.0).abs() < 1e-9,
        "{ratio}"
    );
    let child_config =
        std::fs::read_to_string(runs[0].join("experts").join(id).join("config.yaml")).unwrap();
    assert!(
        child_config.contains(&format!("{id}.init")),
        "{child_config}"
    );
    // Same seed, same decisions and the same evaluations.
    assert_eq!(job_sequence(&runs[0]), job_sequence(&runs[1]));
    let check = vp(&[
        "exchange",
        "check",
        "--dir",
        runs[0].join("exchange").to_str().unwrap(),
    ]);
    assert!(check.status.success(), "{}", stderr_of(&check));
}

#[test]
fn baselines_run_the_same_population_without_a_ledger() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "");
    for allocation in ["equal", "halving"] {
        let run = tmp.path().join(allocation);
        let out = population(
            &config,
            &run,
            "120",
            &["--allocation", allocation, "--json"],
        );
        assert!(out.status.success(), "{allocation}: {}", stderr_of(&out));
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["allocation"], allocation);
        assert_eq!(summary["stop"], "target", "{summary}");
        assert!(!run.join("exchange").exists());
    }
}

#[test]
fn bad_population_configs_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("pop");
    let args = |config: &Path| population(config, &run, "10", &[]);
    // An unknown key names itself and the file.
    let config = write_config(tmp.path(), "rounds: 3\n");
    let out = args(&config);
    assert!(!out.status.success());
    let err = stderr_of(&out);
    assert!(
        err.contains("rounds") && err.contains("population.yaml"),
        "{err}"
    );
    assert!(!run.exists());
    // An override through a value that is not a mapping.
    let good = write_config(tmp.path(), "");
    let text = std::fs::read_to_string(&good)
        .unwrap()
        .replace("ppo.anneal_lr: false", "seed.x: 1");
    std::fs::write(&good, text).unwrap();
    let out = args(&good);
    assert!(!out.status.success());
    assert!(stderr_of(&out).contains("seed.x"), "{}", stderr_of(&out));
    assert!(!run.exists());
    // An unknown allocation, and a run folder that exists.
    let config = write_config(tmp.path(), "");
    let out = population(&config, &run, "10", &["--allocation", "greedy"]);
    assert!(stderr_of(&out).contains("greedy"), "{}", stderr_of(&out));
    assert!(!run.exists());
    std::fs::create_dir_all(&run).unwrap();
    let out = args(&config);
    assert!(
        stderr_of(&out).contains("already exists"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_shared_postgres_ledger_that_holds_transactions_is_refused_before_anything_is_written() {
    let Some(url) = test_postgres_url() else {
        return;
    };
    // The default schema is shared with other tests: make sure it holds
    // at least one transaction of our own.
    let id = format!("run-refusal-{}", std::process::id());
    let seeded = vp(&[
        "exchange", "transfer", "--db", &url, "--id", &id, "--type", "seed", "--from", "mint",
        "--to", &id, "--amount", "1",
    ]);
    assert!(seeded.status.success(), "{}", stderr_of(&seeded));
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "");
    let run = tmp.path().join("pop");
    let out = population(&config, &run, "10", &["--db", &url]);
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains("already holds"),
        "{}",
        stderr_of(&out)
    );
    assert!(!run.exists());
}
