//! `vp env rollout`: run the scripted expert or a random policy on a labour
//! env and print each episode's economics (SPEC §2) in simulated time.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use economics::{EpisodeMetrics, EpisodeOutcome, TaskConfig};
use envs::{
    Action, BricklayingConfig, BricklayingEnv, BricklayingExpert, DishwashingConfig,
    DishwashingEnv, DishwashingExpert, Env, Info, RgbFrame, Transition,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Which labour task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LabourTask {
    /// Sink → wash zone → drying rack.
    Dishwashing,
    /// Pallet → mortar board → wall.
    Bricklaying,
}

impl LabourTask {
    /// The registry id and config file stem.
    pub fn id(self) -> &'static str {
        match self {
            LabourTask::Dishwashing => envs::DISHWASHING_ID,
            LabourTask::Bricklaying => envs::BRICKLAYING_ID,
        }
    }
}

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RolloutPolicy {
    /// The task's scripted expert at `--skill`.
    Expert,
    /// Uniform random actions in [-1, 1]^5.
    Random,
}

/// `vp env rollout --env dishwashing --policy expert --episodes 5 --json`.
#[derive(Debug, Args)]
pub struct RolloutArgs {
    /// The labour env.
    #[arg(long, value_enum)]
    env: LabourTask,
    /// Expert or random actions.
    #[arg(long, value_enum, default_value = "expert")]
    policy: RolloutPolicy,
    /// Expert skill in [0, 1] (1: human rate, no mistakes).
    #[arg(long, default_value_t = 1.0)]
    skill: f32,
    /// Episodes to run.
    #[arg(long, default_value_t = 5)]
    episodes: u64,
    /// Seed of the first episode (episode i uses seed + i).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Task YAML (economics and `env:` section); default `configs/<env>.yaml`.
    #[arg(long)]
    config: Option<PathBuf>,
    /// One JSON object per episode.
    #[arg(long)]
    json: bool,
    /// Write the first episode as an mp4 (needs the `ffmpeg` program).
    #[arg(long)]
    video: Option<PathBuf>,
    /// Write the first episode's frames as numbered PNGs into this folder.
    #[arg(long)]
    frames: Option<PathBuf>,
    /// Write six evenly spaced frames of the first episode (its first and
    /// last included), side by side, as one PNG (a frame strip for docs).
    #[arg(long)]
    strip: Option<PathBuf>,
    /// Shrink each strip frame by this integer factor (box filter).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=16))]
    strip_downscale: u32,
    /// Simulated seconds between video frames.
    #[arg(long, default_value_t = 0.2)]
    frame_interval_s: f64,
}

#[derive(Debug, Serialize)]
struct EpisodeLine {
    episode: u64,
    units: u32,
    attempts: u32,
    errors: u32,
    hours: f64,
    mp_r: f64,
    error_rate: f64,
    robot_wage: f64,
    productivity_parity: f64,
    wage_parity: f64,
}

/// A labour env with its expert, behind one interface.
pub(crate) enum LabourRunner {
    Dish(Box<DishwashingEnv>, DishwashingExpert),
    Brick(Box<BricklayingEnv>, BricklayingExpert),
}

impl LabourRunner {
    /// Builds the env from the task YAML's `env:` section (or defaults).
    pub(crate) fn new(
        task: LabourTask,
        config: Option<&std::path::Path>,
        skill: f32,
        seed: u64,
    ) -> Result<Self> {
        Ok(match task {
            LabourTask::Dishwashing => {
                let cfg = match config {
                    Some(p) => DishwashingConfig::from_yaml_path(p)?,
                    None => DishwashingConfig::default(),
                };
                LabourRunner::Dish(
                    Box::new(DishwashingEnv::new(cfg)?),
                    DishwashingExpert::new(skill, seed),
                )
            }
            LabourTask::Bricklaying => {
                let cfg = match config {
                    Some(p) => BricklayingConfig::from_yaml_path(p)?,
                    None => BricklayingConfig::default(),
                };
                LabourRunner::Brick(
                    Box::new(BricklayingEnv::new(cfg)?),
                    BricklayingExpert::new(skill, seed),
                )
            }
        })
    }

    pub(crate) fn env(&mut self) -> &mut dyn Env {
        match self {
            LabourRunner::Dish(env, _) => env.as_mut(),
            LabourRunner::Brick(env, _) => env.as_mut(),
        }
    }

    fn reset(&mut self, seed: u64, obs: &mut [f32]) -> Result<()> {
        match self {
            LabourRunner::Dish(env, expert) => {
                env.reset_into(Some(seed), obs)?;
                expert.reset();
            }
            LabourRunner::Brick(env, expert) => {
                env.reset_into(Some(seed), obs)?;
                expert.reset();
            }
        }
        Ok(())
    }

    fn expert_action(&mut self) -> [f32; 5] {
        match self {
            LabourRunner::Dish(env, expert) => expert.act(env),
            LabourRunner::Brick(env, expert) => expert.act(env),
        }
    }

    fn step(&mut self, a: &[f32; 5], obs: &mut [f32]) -> Result<Transition> {
        Ok(self.env().step_into(Action::Continuous(a), obs)?)
    }

    /// The bare env, for a vector env.
    pub(crate) fn into_env(self) -> Box<dyn Env> {
        match self {
            LabourRunner::Dish(env, _) => env,
            LabourRunner::Brick(env, _) => env,
        }
    }

    /// Steps only the rapier world (see `DishwashingEnv::step_physics_only`).
    pub(crate) fn step_physics_only(&mut self, control_steps: usize) -> Result<()> {
        match self {
            LabourRunner::Dish(env, _) => env.step_physics_only(control_steps)?,
            LabourRunner::Brick(env, _) => env.step_physics_only(control_steps)?,
        }
        Ok(())
    }

    /// Starts or stops timing the rapier sub-steps inside `step_into`.
    pub(crate) fn set_physics_clock(&mut self, on: bool) {
        match self {
            LabourRunner::Dish(env, _) => env.set_physics_clock(on),
            LabourRunner::Brick(env, _) => env.set_physics_clock(on),
        }
    }

    /// Time spent in rapier sub-steps since the clock was started.
    pub(crate) fn physics_clock(&self) -> Option<std::time::Duration> {
        match self {
            LabourRunner::Dish(env, _) => env.physics_clock(),
            LabourRunner::Brick(env, _) => env.physics_clock(),
        }
    }

    fn control_period_s(&self) -> f64 {
        match self {
            LabourRunner::Dish(env, _) => f64::from(env.config().control_period_s),
            LabourRunner::Brick(env, _) => f64::from(env.config().control_period_s),
        }
    }
}

impl RolloutArgs {
    /// Runs the episodes and prints one line per episode.
    pub fn run(self) -> Result<ExitCode> {
        if !(0.0..=1.0).contains(&self.skill) {
            bail!("--skill must be in [0, 1], got {}", self.skill);
        }
        if !(self.frame_interval_s.is_finite() && self.frame_interval_s > 0.0) {
            bail!("--frame-interval-s must be a positive number");
        }
        let config = self
            .config
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("configs/{}.yaml", self.env.id())));
        let task_config = TaskConfig::from_path(&config)
            .with_context(|| format!("reading the task config {}", config.display()))?;
        let economics = task_config.task_economics()?;
        let mut runner = LabourRunner::new(self.env, Some(&config), self.skill, self.seed)?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ 0x7a4d_0b5e);
        let d_obs = runner.env().observation_space().flat_size();
        let mut obs = vec![0.0; d_obs];
        let record = self.video.is_some() || self.frames.is_some() || self.strip.is_some();
        let frame_every =
            ((self.frame_interval_s / runner.control_period_s()).round() as u64).max(1);
        let mut frames: Vec<RgbFrame> = Vec::new();
        if !self.json {
            println!(
                "{:>7} {:>6} {:>8} {:>6} {:>8} {:>8} {:>7} {:>9} {:>8} {:>8}",
                "episode",
                "units",
                "attempts",
                "errors",
                "hours",
                "MP_r",
                "e",
                "ŵ_r",
                "MP par.",
                "wage par."
            );
        }
        for ep in 0..self.episodes {
            runner.reset(self.seed + ep, &mut obs)?;
            let mut steps = 0u64;
            let info: Info = loop {
                if record && ep == 0 && steps.is_multiple_of(frame_every) {
                    frames.extend(runner.env().render());
                }
                let a = match self.policy {
                    RolloutPolicy::Expert => runner.expert_action(),
                    RolloutPolicy::Random => std::array::from_fn(|_| rng.random_range(-1.0..=1.0)),
                };
                let t = runner.step(&a, &mut obs)?;
                steps += 1;
                if let Some(fault) = t.info.fault {
                    bail!("episode {ep} ended with a fault: {fault:?}");
                }
                if t.terminated || t.truncated {
                    break t.info;
                }
            };
            if record && ep == 0 {
                frames.extend(runner.env().render());
            }
            let outcome = EpisodeOutcome::from_sim_seconds(
                u64::from(info.units_completed),
                u64::from(info.attempts),
                u64::from(info.errors),
                info.sim_seconds,
            );
            let m = EpisodeMetrics::compute(&economics, &outcome)?;
            let line = EpisodeLine {
                episode: ep,
                units: info.units_completed,
                attempts: info.attempts,
                errors: info.errors,
                hours: info.sim_hours(),
                mp_r: m.mp_r,
                error_rate: m.error_rate,
                robot_wage: m.robot_wage,
                productivity_parity: m.productivity_parity,
                wage_parity: m.wage_parity,
            };
            if self.json {
                println!("{}", serde_json::to_string(&line)?);
            } else {
                println!(
                    "{:>7} {:>6} {:>8} {:>6} {:>8.4} {:>8.2} {:>7.3} {:>9.2} {:>8.3} {:>8.3}",
                    line.episode,
                    line.units,
                    line.attempts,
                    line.errors,
                    line.hours,
                    line.mp_r,
                    line.error_rate,
                    line.robot_wage,
                    line.productivity_parity,
                    line.wage_parity
                );
            }
        }
        if let Some(dir) = &self.frames {
            envs::render::write_png_sequence(&frames, dir)?;
        }
        if let Some(path) = &self.strip {
            let n = frames.len();
            let m = n.min(6);
            let picks: Vec<RgbFrame> = (0..m)
                .map(|k| frames[if m > 1 { k * (n - 1) / (m - 1) } else { 0 }].clone())
                .collect();
            let strip = envs::render::frame_strip(&picks, self.strip_downscale)?;
            envs::render::write_png(&strip, path)?;
        }
        if let Some(path) = &self.video {
            let fps = (1.0 / self.frame_interval_s).round().clamp(1.0, 60.0) as u32 * 5;
            envs::render::write_mp4(&frames, fps, path)
                .with_context(|| format!("writing the video {}", path.display()))?;
        }
        Ok(ExitCode::SUCCESS)
    }
}
