//! The arguments of `vp train` and the checks that need no file.

use anyhow::{Result, anyhow, bail};
use clap::Args;
use policies::DeviceChoice;
use std::path::PathBuf;

/// Arguments of `vp train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Run config (YAML, e.g. configs/cartpole.yaml).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Continue the run in this folder from checkpoints/model_latest.
    #[arg(long, value_name = "RUN_DIR")]
    pub(crate) resume: Option<PathBuf>,
    /// Seed (overrides the config).
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Env steps to train for, summed over env copies (overrides the
    /// config; with --resume, extends the run to this many steps). For
    /// --algorithm chunk or diffusion: gradient steps (overrides
    /// chunk.gradient_steps; a diffusion run defaults to
    /// diffusion.total_gradient_steps, the span of its cosine schedule).
    #[arg(long)]
    pub(crate) total_steps: Option<u64>,
    /// Stop after this many training episodes have ended.
    #[arg(long)]
    pub(crate) episodes: Option<u64>,
    /// Run folder (default runs/<env>__<algo>__<seed>__<unix-secs>).
    #[arg(long)]
    pub(crate) run_dir: Option<PathBuf>,
    /// Stop once the env's convergence criterion holds (CartPole-v1: mean
    /// evaluation return >= 475).
    #[arg(long)]
    pub(crate) stop_on_convergence: bool,
    /// Training device: cpu, cuda or cuda:N.
    #[arg(long)]
    pub(crate) device: Option<String>,
    /// Shorthand for --device cuda.
    #[arg(long)]
    pub(crate) gpu: bool,
    /// Registered env id (overrides the config).
    #[arg(long)]
    pub(crate) env: Option<String>,
    /// Learning algorithm: ppo, sac, bc, chunk or diffusion.
    #[arg(long)]
    pub(crate) algorithm: Option<String>,
    /// Parallel env copies (overrides ppo.num_envs).
    #[arg(long)]
    pub(crate) num_envs: Option<usize>,
    /// Evaluate (and checkpoint) every this many updates (default: a tenth
    /// of the run's updates).
    #[arg(long)]
    pub(crate) eval_every: Option<u64>,
    /// Episodes per evaluation (overrides eval_episodes).
    #[arg(long)]
    pub(crate) eval_episodes: Option<usize>,
    /// Reward weight α (task configs only).
    #[arg(long)]
    pub(crate) alpha: Option<f64>,
    /// Reward weight β (task configs only).
    #[arg(long)]
    pub(crate) beta: Option<f64>,
    /// Reward weight γ (task configs only).
    #[arg(long)]
    pub(crate) gamma: Option<f64>,
    /// Episodes over which α anneals (task configs only).
    #[arg(long)]
    pub(crate) alpha_anneal: Option<u64>,
    /// γ schedule: linear, cosine or constant (task configs only).
    #[arg(long)]
    pub(crate) gamma_schedule: Option<String>,
    /// Track data value (recorded in the resolved config).
    #[arg(long)]
    pub(crate) track_data_value: bool,
    /// Enable tiering (recorded in the resolved config).
    #[arg(long)]
    pub(crate) enable_tiering: bool,
    /// Start the network from this checkpoint's weights (same env).
    #[arg(long, value_name = "CHECKPOINT")]
    pub(crate) init_from: Option<PathBuf>,
    /// Expert episodes recorded for --algorithm bc, chunk or diffusion
    /// (task configs).
    #[arg(long, default_value_t = 5)]
    pub(crate) demo_episodes: u64,
    /// Skill of the scripted expert for --algorithm bc, chunk or diffusion,
    /// in [0, 1].
    #[arg(long, default_value_t = 1.0)]
    pub(crate) demo_skill: f64,
    /// DAgger rounds for --algorithm bc (overrides bc.dagger.rounds).
    #[arg(long, value_name = "N")]
    pub(crate) dagger_rounds: Option<usize>,
}

impl TrainArgs {
    pub(crate) fn device_choice(&self) -> Result<DeviceChoice> {
        match (&self.device, self.gpu) {
            (Some(d), true) if d != "cuda" && !d.starts_with("cuda:") => {
                bail!("--gpu conflicts with --device {d}")
            }
            (Some(d), _) => d.parse().map_err(|e| anyhow!("--device: {e}")),
            (None, true) => Ok(DeviceChoice::Cuda(0)),
            (None, false) => Ok(DeviceChoice::Cpu),
        }
    }

    /// Refuses options that only task configs (economic reward) take.
    pub(crate) fn refuse_reward_overrides(&self) -> Result<()> {
        let given = [
            ("--alpha", self.alpha.is_some()),
            ("--beta", self.beta.is_some()),
            ("--gamma", self.gamma.is_some()),
            ("--alpha-anneal", self.alpha_anneal.is_some()),
            ("--gamma-schedule", self.gamma_schedule.is_some()),
        ];
        if let Some((flag, _)) = given.iter().find(|(_, g)| *g) {
            bail!(
                "{flag} sets the economic reward, which only task configs (reward: section) have"
            );
        }
        Ok(())
    }

    pub(crate) fn check_algorithm(&self) -> Result<String> {
        match self.algorithm.as_deref().unwrap_or("ppo") {
            "ppo" if self.dagger_rounds.is_some() => bail!(
                "--dagger-rounds sets behaviour cloning's DAgger rounds; it needs --algorithm bc"
            ),
            "ppo" => Ok("ppo".to_owned()),
            "sac" => Ok("sac".to_owned()),
            a @ ("bc" | "chunk" | "diffusion") => bail!(
                "--algorithm {a} needs demonstrations: `vp train` clones the scripted expert of a \
                 task config ({}); classic-control envs have none",
                envs::labour_task_ids().join(", ")
            ),
            other => {
                bail!("unknown algorithm `{other}` (expected ppo, sac, bc, chunk or diffusion)")
            }
        }
    }
}
