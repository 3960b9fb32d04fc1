//! SIGKILL at arbitrary moments, then resume: the run-output protocol
//! (CSV logs trimmed to the checkpoint, TensorBoard resume markers, atomic
//! checkpoint files) leaves no duplicated, missing or corrupt data.
//!
//! The "training loop" is this test binary re-run as a child process (the
//! ignored test `child_training_loop`), killed with SIGKILL while it writes.

use runs::{EventFile, ResumePoint, RunDir, RunLogger, TRAINING_COLUMNS};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const TOTAL_EPISODES: u64 = 400;
const STEPS_PER_EPISODE: u64 = 10;
const CHECKPOINT_EVERY: u64 = 5;
const RUN_DIR_VAR: &str = "VP_KILL_RESUME_RUN_DIR";

fn row_for(episode: u64) -> [f64; TRAINING_COLUMNS.len()] {
    std::array::from_fn(|c| {
        if c == 0 {
            episode as f64
        } else {
            episode as f64 * 0.5 + c as f64
        }
    })
}

fn checkpoint_path(run: &RunDir) -> PathBuf {
    run.checkpoints_dir().join("model_latest.json")
}

/// The last committed (episode, step), as a checkpoint would record them.
fn read_checkpoint(run: &RunDir) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(checkpoint_path(run)).ok()?;
    let value: serde_json::Value =
        serde_json::from_str(&text).expect("checkpoint is never torn: written by rename");
    Some((value["episode"].as_u64()?, value["step"].as_u64()?))
}

fn write_checkpoint(run: &RunDir, episode: u64, step: u64) {
    let path = checkpoint_path(run);
    let temp = path.with_extension("json.tmp");
    let mut file = std::fs::File::create(&temp).unwrap();
    write!(file, r#"{{"episode": {episode}, "step": {step}}}"#).unwrap();
    file.sync_all().unwrap();
    std::fs::rename(&temp, &path).unwrap();
}

/// The child: a training loop that resumes from its checkpoint through
/// `RunLogger`, logs one episode (CSV row and TensorBoard scalars) and
/// flushes per iteration, and checkpoints every few episodes. Run only as a child of the test below.
#[test]
#[ignore = "child process of sigkill_at_any_moment_then_resume_leaves_exact_logs"]
fn child_training_loop() {
    let Some(dir) = std::env::var_os(RUN_DIR_VAR) else {
        return;
    };
    let run = RunDir::open(Path::new(&dir)).unwrap();
    let checkpoint = read_checkpoint(&run);
    let resume = checkpoint.map(|(episode, step)| ResumePoint {
        step,
        last_episode: Some(episode),
    });
    let (mut logger, _) = RunLogger::open(&run, resume).unwrap();
    let start = checkpoint.map_or(0, |(episode, _)| episode + 1);
    for episode in start..TOTAL_EPISODES {
        let step = (episode + 1) * STEPS_PER_EPISODE;
        logger.log_episode(&row_for(episode), step).unwrap();
        logger.flush().unwrap();
        if episode % CHECKPOINT_EVERY == CHECKPOINT_EVERY - 1 || episode + 1 == TOTAL_EPISODES {
            logger.commit().unwrap();
            write_checkpoint(&run, episode, step);
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn csv_rows(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.matches('\n').count().saturating_sub(1))
        .unwrap_or(0)
}

/// TensorBoard's view of one tag across the run's event files.
fn tensorboard_series(run: &RunDir, tag: &str) -> Vec<(u64, f32)> {
    let files = EventFile::read_dir(&run.events_dir()).unwrap();
    EventFile::merged_scalars(files.iter().map(|(_, f)| f))
        .into_iter()
        .filter(|p| p.tag == tag)
        .map(|p| (p.step, p.value))
        .collect()
}

#[test]
fn sigkill_at_any_moment_then_resume_leaves_exact_logs() {
    let runs = tempfile::tempdir().unwrap();
    let run = RunDir::stage(&runs.path().join("kill__test__0__0"), "seed: 0\n")
        .unwrap()
        .commit()
        .unwrap();
    let exe = std::env::current_exe().unwrap();
    let spawn = || {
        Command::new(&exe)
            .args([
                "--exact",
                "kill_resume::child_training_loop",
                "--ignored",
                "--test-threads=1",
            ])
            .env(RUN_DIR_VAR, run.root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // Kill each child once the log has grown past a moving target, after a
    // varying extra delay, so kills land at different points of the loop.
    let extra_delay_us = [0u64, 130, 370, 50, 910, 260, 700, 10, 480];
    let mut kills = 0;
    for (round, delay) in extra_delay_us.iter().enumerate() {
        let target = (round + 1) * 35;
        let mut child = spawn();
        let finished = loop {
            if child.try_wait().unwrap().is_some() {
                break true;
            }
            if csv_rows(&run.training_metrics_path()) >= target {
                break false;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        if !finished {
            std::thread::sleep(Duration::from_micros(*delay));
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
    assert!(kills > 0, "no child was killed");
    eprintln!("{kills} children killed with SIGKILL");
    let status = spawn().wait().unwrap();
    assert!(status.success(), "final resume failed: {status}");

    // CSV: every episode exactly once, in order, with its own values.
    let text = std::fs::read_to_string(run.training_metrics_path()).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), TRAINING_COLUMNS.join(","));
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|f| f.parse().unwrap()).collect())
        .collect();
    let expected: Vec<Vec<f64>> = (0..TOTAL_EPISODES).map(|e| row_for(e).to_vec()).collect();
    assert_eq!(rows.len(), expected.len(), "{kills} kills");
    assert_eq!(rows, expected);
    assert!(text.ends_with('\n'));

    // Checkpoint: parseable and at the end.
    assert_eq!(
        read_checkpoint(&run),
        Some((TOTAL_EPISODES - 1, TOTAL_EPISODES * STEPS_PER_EPISODE))
    );

    // TensorBoard: after purging, each episode appears once at its step.
    let series = tensorboard_series(&run, "economics/episode");
    let expected: Vec<(u64, f32)> = (0..TOTAL_EPISODES)
        .map(|e| ((e + 1) * STEPS_PER_EPISODE, e as f32))
        .collect();
    assert_eq!(series, expected);
}
