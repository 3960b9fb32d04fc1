//! `vp env rollout`: run the scripted expert or a random policy on a labour
//! env and print each episode's economics (SPEC §2) in simulated time.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::out::outln;
use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use economics::{EpisodeMetrics, TaskConfig};
use envs::{Action, Info, LabourTask, RgbFrame};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// The registered labour tasks, for `--env`'s possible values.
pub(crate) fn labour_task_arg() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(envs::labour_task_ids())
}

/// `--config`, or `configs/<env>.yaml` where the user gave none.
pub(crate) fn task_config_path(env: &str, config: Option<&std::path::Path>) -> PathBuf {
    config.map_or_else(|| PathBuf::from(format!("configs/{env}.yaml")), Into::into)
}

/// The labour task `env` built from the `env:` section of `config` (its
/// defaults where there is no such file).
pub(crate) fn labour_task(
    env: &str,
    config: Option<&std::path::Path>,
) -> Result<Box<dyn LabourTask>> {
    match config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the task config {}", path.display()))?;
            Ok(envs::make_task(env, &text, &path.display().to_string())?)
        }
        None => Ok(envs::make_task(env, "", "defaults")?),
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
    #[arg(long, value_parser = labour_task_arg())]
    env: String,
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

impl RolloutArgs {
    /// Runs the episodes and prints one line per episode.
    pub fn run(self) -> Result<ExitCode> {
        if !(0.0..=1.0).contains(&self.skill) {
            bail!("--skill must be in [0, 1], got {}", self.skill);
        }
        if !(self.frame_interval_s.is_finite() && self.frame_interval_s > 0.0) {
            bail!("--frame-interval-s must be a positive number");
        }
        let config = task_config_path(&self.env, self.config.as_deref());
        let task_config = TaskConfig::from_path(&config)
            .with_context(|| format!("reading the task config {}", config.display()))?;
        let economics = task_config.task_economics()?;
        let mut env = labour_task(&self.env, Some(&config))?;
        let mut expert = envs::make_expert(&self.env, self.skill, self.seed)?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ 0x7a4d_0b5e);
        let d_obs = env.observation_space().flat_size();
        let mut obs = vec![0.0; d_obs];
        let mut action = vec![0.0; env.action_space().flat_size()];
        let record = self.video.is_some() || self.frames.is_some() || self.strip.is_some();
        let frame_every = ((self.frame_interval_s / env.control_period_s()).round() as u64).max(1);
        let mut frames: Vec<RgbFrame> = Vec::new();
        if !self.json {
            outln!(
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
            env.reset_into(Some(self.seed + ep), &mut obs)?;
            expert.reset();
            let mut steps = 0u64;
            let info: Info = loop {
                if record && ep == 0 && steps.is_multiple_of(frame_every) {
                    frames.extend(env.render());
                }
                match self.policy {
                    RolloutPolicy::Expert => expert.act(&*env, &mut action)?,
                    RolloutPolicy::Random => action
                        .iter_mut()
                        .for_each(|a| *a = rng.random_range(-1.0..=1.0)),
                }
                let t = env.step_into(Action::Continuous(&action), &mut obs)?;
                steps += 1;
                if let Some(fault) = t.info.fault {
                    bail!("episode {ep} ended with a fault: {fault:?}");
                }
                if t.terminated || t.truncated {
                    break t.info;
                }
            };
            if record && ep == 0 {
                frames.extend(env.render());
            }
            let m = EpisodeMetrics::compute(&economics, &info.outcome())?;
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
                outln!("{}", serde_json::to_string(&line)?);
            } else {
                outln!(
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
