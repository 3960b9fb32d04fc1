//! Full-size PPO runs for BENCHMARKS.md: trains a config for several seeds,
//! evaluates the deterministic policy every `--eval-every` updates, and
//! prints one JSON line per seed.
//!
//! ```text
//! cargo run --release -p policies --example ppo_results -- configs/cartpole.yaml --seeds 1,2,3
//! cargo run --release -p policies --example ppo_results -- configs/pendulum.yaml --seeds 1 --threshold -200
//! cargo run --release -p policies --features cuda --example ppo_results -- configs/cartpole.yaml --device cuda
//! ```

use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::backend::AutodiffBackend;
use policies::{Control, DeviceChoice, Ppo, PpoRunConfig, WithBackend, run_on};

struct Job {
    run: PpoRunConfig,
    seed: u64,
    eval_every: u64,
    threshold: f64,
}

impl WithBackend for Job {
    type Output = Result<String, policies::PolicyError>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let start = Instant::now();
        let mut ppo = Ppo::<B>::new(self.run.ppo.clone(), &self.run.env_id, self.seed, &device)?;
        let mut evals: Vec<(u64, f64)> = Vec::new();
        let mut train_secs = 0.0;
        let (mut rollout_secs, mut learn_secs) = (0.0, 0.0);
        let mut eval_error = None;
        let mut last = Instant::now();
        let (episodes, eval_every, seed) = (self.run.eval_episodes, self.eval_every, self.seed);
        ppo.train(|ppo, u| {
            train_secs += last.elapsed().as_secs_f64();
            rollout_secs += u.rollout_secs;
            learn_secs += u.learn_secs;
            if u.update.is_multiple_of(eval_every) || ppo.is_done() {
                match ppo.evaluate(episodes, 10_000 + seed) {
                    Ok(r) => evals.push((u.global_step, r.iter().sum::<f64>() / r.len() as f64)),
                    Err(e) => {
                        eval_error = Some(e);
                        return Control::Stop;
                    }
                }
            }
            last = Instant::now();
            Control::Continue
        })?;
        if let Some(e) = eval_error {
            return Err(e);
        }
        let first_hit = evals
            .iter()
            .find(|(_, r)| *r >= self.threshold)
            .map(|(s, _)| *s);
        let best = evals
            .iter()
            .map(|(_, r)| *r)
            .fold(f64::NEG_INFINITY, f64::max);
        let final_eval = evals.last().map_or(f64::NAN, |(_, r)| *r);
        Ok(format!(
            "{{\"env\":\"{}\",\"seed\":{},\"steps\":{},\"final_eval\":{final_eval:.1},\"best_eval\":{best:.1},\
             \"first_step_at_threshold\":{},\"threshold\":{},\"train_sps\":{:.0},\"rollout_s\":{rollout_secs:.1},\"learn_s\":{learn_secs:.1},\"wall_s\":{:.1}}}",
            self.run.env_id,
            self.seed,
            ppo.global_step(),
            first_hit.map_or("null".to_owned(), |s| s.to_string()),
            self.threshold,
            ppo.global_step() as f64 / train_secs.max(1e-9),
            start.elapsed().as_secs_f64(),
        ))
    }
}

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let mut config = None;
    let mut seeds = vec![1u64];
    let mut device = DeviceChoice::Cpu;
    let mut eval_every = 10u64;
    let mut threshold = None;
    let mut total = None;
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_default();
        match a.as_str() {
            "--seeds" => seeds = value().split(',').filter_map(|s| s.parse().ok()).collect(),
            "--device" => match value().parse() {
                Ok(d) => device = d,
                Err(e) => {
                    eprintln!("error: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            },
            "--eval-every" => eval_every = value().parse().unwrap_or(10).max(1),
            "--threshold" => threshold = value().parse().ok(),
            "--total-timesteps" => total = value().parse().ok(),
            other => config = Some(PathBuf::from(other)),
        }
    }
    let Some(config) = config else {
        eprintln!(
            "usage: ppo_results <config.yaml> [--seeds 1,2,3] [--device cpu|cuda] [--threshold R] [--eval-every N]"
        );
        return std::process::ExitCode::FAILURE;
    };
    let mut run = match PpoRunConfig::from_yaml_file(&config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Some(t) = total {
        run.ppo.total_timesteps = t;
    }
    let threshold = threshold.unwrap_or(if run.env_id.starts_with("CartPole") {
        475.0
    } else {
        -200.0
    });
    for seed in seeds {
        let job = Job {
            run: run.clone(),
            seed,
            eval_every,
            threshold,
        };
        match run_on(device, job) {
            Ok(Ok(line)) => println!("{line}"),
            Ok(Err(e)) | Err(e) => {
                eprintln!("error: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    std::process::ExitCode::SUCCESS
}
