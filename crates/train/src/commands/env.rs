//! `vp env ...`: the registered environments, and replaying actions from a
//! set state to check the dynamics against another implementation.

use crate::out::outln;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use envs::{Env, Space};
use serde::Serialize;
use std::process::ExitCode;

/// Environments: list them, replay their dynamics.
#[derive(Debug, Args)]
pub struct EnvArgs {
    #[command(subcommand)]
    command: EnvCommand,
}

#[derive(Debug, Subcommand)]
enum EnvCommand {
    /// List the registered environment ids.
    List(ListArgs),
    /// Set an env's state, apply actions, print one line per step.
    Replay(ReplayArgs),
    /// Run the scripted expert or random actions on a labour env; print economics.
    Rollout(crate::commands::env_rollout::RolloutArgs),
    /// Steps per second of a labour env, its vector env and its raw physics.
    Bench(crate::commands::env_bench::BenchArgs),
}

impl EnvArgs {
    /// Runs the chosen env command.
    pub fn run(self) -> Result<ExitCode> {
        match self.command {
            EnvCommand::List(args) => args.run(),
            EnvCommand::Replay(args) => args.run(),
            EnvCommand::Rollout(args) => args.run(),
            EnvCommand::Bench(args) => args.run(),
        }
    }
}

/// `vp env list`.
#[derive(Debug, Args)]
struct ListArgs {
    /// One JSON object per env instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct ListLine<'a> {
    id: &'a str,
    max_episode_steps: Option<u32>,
    takes_config: bool,
    description: &'a str,
}

impl ListArgs {
    fn run(self) -> Result<ExitCode> {
        for spec in envs::registry() {
            if self.json {
                let line = ListLine {
                    id: spec.id,
                    max_episode_steps: spec.max_episode_steps,
                    takes_config: spec.takes_config,
                    description: spec.description,
                };
                outln!("{}", serde_json::to_string(&line)?);
            } else {
                let limit = spec
                    .max_episode_steps
                    .map_or_else(|| "-".to_string(), |s| s.to_string());
                outln!("{:<16} {:>6}  {}", spec.id, limit, spec.description);
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `vp env replay --env CartPole-v1 --state '[0,0,0.01,0]' --actions '[1,0,1]'`.
#[derive(Debug, Args)]
struct ReplayArgs {
    /// Registered env id (`vp env list`).
    #[arg(long)]
    env: String,
    /// The physical state as a JSON array of numbers, e.g. CartPole's
    /// `[x, x_dot, theta, theta_dot]` or Pendulum's `[theta, theta_dot]`.
    #[arg(long)]
    state: String,
    /// The actions as a JSON array: indices for a discrete env, numbers
    /// (or arrays of numbers) for a continuous one.
    #[arg(long)]
    actions: String,
    /// Seed of the reset that precedes setting the state.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object per step.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct StepLine {
    step: usize,
    obs: Vec<f32>,
    reward: f64,
    terminated: bool,
    truncated: bool,
}

impl ReplayArgs {
    fn run(self) -> Result<ExitCode> {
        let state: Vec<f64> = serde_json::from_str(&self.state).with_context(|| {
            format!(
                "--state: expected a JSON array of numbers, got {}",
                self.state
            )
        })?;
        let actions: Vec<serde_json::Value> = serde_json::from_str(&self.actions)
            .with_context(|| format!("--actions: expected a JSON array, got {}", self.actions))?;
        let mut env = envs::make(&self.env)?;
        let actions = parse_actions(env.action_space(), &actions)?;
        env.reset(Some(self.seed)).context("reset")?;
        env.set_state(&state).context("--state")?;
        for (k, action) in actions.iter().enumerate() {
            let step = env
                .step(action.as_action())
                .with_context(|| format!("step {}", k + 1))?;
            let line = StepLine {
                step: k + 1,
                obs: step.obs,
                reward: step.reward,
                terminated: step.terminated,
                truncated: step.truncated,
            };
            if self.json {
                outln!("{}", serde_json::to_string(&line)?);
            } else {
                outln!(
                    "step {:>4}  obs {:?}  reward {}  terminated {}  truncated {}",
                    line.step,
                    line.obs,
                    line.reward,
                    line.terminated,
                    line.truncated
                );
            }
            if line.terminated || line.truncated {
                let left = actions.len() - k - 1;
                if left > 0 {
                    // On stderr: stdout stays one line per step (--json).
                    eprintln!(
                        "the episode ended at step {}; {left} action(s) left unreplayed",
                        k + 1
                    );
                }
                break;
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Reads each JSON action as the action space wants it; the env itself
/// checks ranges and finiteness when it steps.
fn parse_actions(space: &Space, values: &[serde_json::Value]) -> Result<Vec<envs::OwnedAction>> {
    values
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let bad = || format!("--actions[{k}]: expected {}, got {v}", space.describe());
            match space {
                Space::Discrete { .. } => {
                    let i = v.as_u64().with_context(bad)?;
                    Ok(envs::OwnedAction::Discrete(
                        usize::try_from(i).with_context(bad)?,
                    ))
                }
                Space::Box(_) => {
                    let xs: Vec<f32> = match v {
                        serde_json::Value::Array(a) => a
                            .iter()
                            .map(|x| x.as_f64().map(|x| x as f32))
                            .collect::<Option<_>>()
                            .with_context(bad)?,
                        other => vec![other.as_f64().with_context(bad)? as f32],
                    };
                    Ok(envs::OwnedAction::Continuous(xs))
                }
            }
        })
        .collect()
}
