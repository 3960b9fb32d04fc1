//! `vp env bench`: control steps per second of a labour env alone, in a
//! rayon vector env, and of the raw rapier step of the same scene (timed
//! inside the env on the same trajectory, and with the scene idle).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use envs::{Action, Env, VecAction, VecEnv};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::env_rollout::{labour_task, labour_task_arg, task_config_path};
use crate::out::outln;

/// `vp env bench --env dishwashing --steps 20000 --num-envs 2 --json`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The labour env.
    #[arg(long, value_parser = labour_task_arg())]
    env: String,
    /// Control steps to time (per measurement; the vector env takes this
    /// many steps in total across its copies).
    #[arg(long, default_value_t = 20_000)]
    steps: u64,
    /// Copies in the vector env (stepped in parallel with rayon).
    #[arg(long, default_value_t = 2)]
    num_envs: usize,
    /// Task YAML whose `env:` section sets the scene; default `configs/<env>.yaml`.
    #[arg(long)]
    config: Option<PathBuf>,
    /// One JSON object with every figure.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct BenchLine {
    env: String,
    steps: u64,
    num_envs: usize,
    threads: usize,
    single_env_steps_per_s: f64,
    vec_env_steps_per_s: f64,
    /// Single-env steps per second of CPU time (all threads), where the OS
    /// reports it: on a shared machine this is what one core delivers.
    single_env_steps_per_cpu_s: Option<f64>,
    /// Vector-env steps per second of CPU time summed over its threads.
    vec_env_steps_per_cpu_s: Option<f64>,
    /// Control steps per second of the rapier sub-steps alone, timed inside
    /// the single-env run (same scene, same trajectory).
    env_physics_steps_per_s: f64,
    /// Single-env time over the time of its own rapier sub-steps, minus 1
    /// (0.05 = 5 % overhead): everything the env adds to the physics.
    env_overhead: f64,
    /// Control steps per second of the idle scene (robot still, objects
    /// asleep): rapier with nothing moving.
    raw_physics_steps_per_s: f64,
    /// Single-env time over idle-scene physics time, minus 1.
    overhead_vs_idle_physics: f64,
}

impl BenchArgs {
    /// Times the three cases and prints the figures.
    pub fn run(self) -> Result<ExitCode> {
        if self.steps == 0 || self.num_envs == 0 {
            bail!("--steps and --num-envs must be at least 1");
        }
        let config = task_config_path(&self.env, self.config.as_deref());
        let config = config.exists().then_some(config);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let actions: Vec<[f32; 5]> = (0..4096)
            .map(|_| std::array::from_fn(|_| rng.random_range(-1.0..=1.0)))
            .collect();

        // Single env, random actions, reset on episode end; the env times
        // its own rapier sub-steps on the way.
        let mut env = labour_task(&self.env, config.as_deref())?;
        let mut obs = vec![0.0; env.observation_space().flat_size()];
        env.reset_into(Some(0), &mut obs)?;
        env.set_physics_clock(true);
        let cpu0 = process_cpu_seconds();
        let t0 = Instant::now();
        for i in 0..self.steps {
            let a = &actions[i as usize % actions.len()];
            let t = env.step_into(Action::Continuous(a), &mut obs)?;
            if t.terminated || t.truncated {
                env.reset_into(None, &mut obs)?;
            }
        }
        let elapsed = t0.elapsed().as_secs_f64();
        let single = self.steps as f64 / elapsed;
        let single_cpu = per_cpu_second(self.steps, cpu0);
        let in_env_physics = env
            .physics_clock()
            .context("the env's physics clock was started")?
            .as_secs_f64()
            .max(1e-9);

        // Raw rapier step of the same scene, robot holding still (objects
        // fall asleep: a lower bound on the physics cost of a real step).
        let mut raw_env = labour_task(&self.env, config.as_deref())?;
        raw_env.reset_into(Some(0), &mut obs)?;
        let t0 = Instant::now();
        raw_env.step_physics_only(self.steps as usize)?;
        let raw = self.steps as f64 / t0.elapsed().as_secs_f64();

        // Vector env.
        let copies = (0..self.num_envs)
            .map(|_| labour_task(&self.env, config.as_deref()).map(|t| t as Box<dyn Env>))
            .collect::<Result<Vec<_>>>()?;
        let mut vec_env = VecEnv::new(copies)?;
        // A physics step costs tens of microseconds: one rayon task per copy.
        vec_env.set_min_envs_per_task(1);
        vec_env.reset(Some(0))?;
        let rounds = self.steps.div_ceil(self.num_envs as u64);
        let mut flat = vec![0.0_f32; self.num_envs * 5];
        let cpu0 = process_cpu_seconds();
        let t0 = Instant::now();
        for r in 0..rounds {
            for (k, chunk) in flat.chunks_mut(5).enumerate() {
                chunk.copy_from_slice(&actions[(r as usize * self.num_envs + k) % actions.len()]);
            }
            vec_env.step(VecAction::Continuous(&flat))?;
        }
        let vector = (rounds * self.num_envs as u64) as f64 / t0.elapsed().as_secs_f64();
        let vector_cpu = per_cpu_second(rounds * self.num_envs as u64, cpu0);

        let line = BenchLine {
            env: self.env.clone(),
            steps: self.steps,
            num_envs: self.num_envs,
            threads: rayon_threads(),
            single_env_steps_per_s: single,
            vec_env_steps_per_s: vector,
            single_env_steps_per_cpu_s: single_cpu,
            vec_env_steps_per_cpu_s: vector_cpu,
            env_physics_steps_per_s: self.steps as f64 / in_env_physics,
            env_overhead: elapsed / in_env_physics - 1.0,
            raw_physics_steps_per_s: raw,
            overhead_vs_idle_physics: raw / single - 1.0,
        };
        if self.json {
            outln!("{}", serde_json::to_string(&line)?);
        } else {
            outln!("env                 {}", line.env);
            outln!(
                "single env          {:>10.0} steps/s",
                line.single_env_steps_per_s
            );
            outln!(
                "vector env ({:>2})     {:>10.0} steps/s on {} threads",
                line.num_envs,
                line.vec_env_steps_per_s,
                line.threads
            );
            if let (Some(s), Some(v)) = (
                line.single_env_steps_per_cpu_s,
                line.vec_env_steps_per_cpu_s,
            ) {
                outln!("per CPU-second      {s:>10.0} single, {v:.0} vector");
            }
            outln!(
                "rapier in the env   {:>10.0} steps/s",
                line.env_physics_steps_per_s
            );
            outln!("env overhead        {:>9.1} %", 100.0 * line.env_overhead);
            outln!(
                "raw rapier, idle    {:>10.0} steps/s ({:+.1} % vs single env)",
                line.raw_physics_steps_per_s,
                100.0 * line.overhead_vs_idle_physics
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// CPU time of every thread of this process so far, in seconds, from
/// `/proc/self/task/*/schedstat` (Linux); `None` where that is unreadable.
fn process_cpu_seconds() -> Option<f64> {
    let mut ns: u64 = 0;
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        let text = std::fs::read_to_string(entry.ok()?.path().join("schedstat")).ok()?;
        ns += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(ns as f64 * 1e-9)
}

/// `steps` over the CPU seconds used since `cpu0`.
fn per_cpu_second(steps: u64, cpu0: Option<f64>) -> Option<f64> {
    let used = process_cpu_seconds()? - cpu0?;
    (used > 0.0).then(|| steps as f64 / used)
}
