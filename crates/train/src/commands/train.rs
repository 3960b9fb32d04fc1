//! `vp train`: PPO on a registered env through `policies::Ppo`, with the
//! run folder, logs, evaluations, checkpoints and Ctrl-C handling of the
//! `train` run modules.
//!
//! What is wired:
//! - run configs in the `policies::PpoRunConfig` form (`configs/cartpole.yaml`,
//!   `configs/pendulum.yaml`), with command-line overrides; the resolved
//!   config (`ResolvedConfig`: the run config plus the run options) is
//!   `config.yaml` of a run folder staged under a temporary name and renamed
//!   into place once the learner has been built, before the first step;
//! - per update, PPO's `losses/*` and `charts/*` scalars to TensorBoard;
//! - every `eval_every` updates and at the end, a deterministic evaluation
//!   of `eval_episodes` episodes logged to `eval.csv` and `eval/*`, then
//!   `model_latest` (and `model_best`, best by mean evaluation return) via
//!   the policies checkpoint API, after the logs are committed;
//! - Ctrl-C: the update in progress finishes, `model_latest` is written and
//!   the command exits with 130; `--resume RUN_DIR` continues from
//!   `model_latest` with its counters, learning-rate schedule, normaliser
//!   statistics, optimizer and RNG.
//!
//! Classic-control envs have no task economics: `training_metrics.csv`
//! stays header-only (no invented MP_r) and the economic columns of
//! `eval.csv` are 0. `--stop-on-convergence` on `CartPole-v1` stops once a
//! mean evaluation return reaches 475 (Gymnasium's `reward_threshold`).
//!
//! A task config (a `task:` section: `configs/dishwashing.yaml`,
//! `configs/bricklaying.yaml`) trains the labour env under the economic
//! reward: see [`super::train_task`]; `--algorithm bc` clones its scripted
//! expert ([`super::train_bc`]). Classic-control envs have no expert, so
//! `--algorithm bc` on them is refused.

use super::train_task::{TaskPlan, fresh_task_plan, resume_task_plan};
use anyhow::{Context, Result, anyhow, bail, ensure};
use burn::tensor::backend::AutodiffBackend;
use clap::Args;
use policies::{
    Checkpoint, Control, DeviceChoice, Ppo, PpoConfig, PpoRunConfig, WithBackend, import_params,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use train::{
    EvalSummary, HParam, MeanCi, Progress, ResumePoint, RunDir, RunLogger, RunStatus, Shutdown,
    StagedRunDir,
};

/// Mean evaluation return at which `CartPole-v1` counts as solved
/// (Gymnasium's `reward_threshold`).
const CARTPOLE_SOLVED_RETURN: f64 = 475.0;

/// Checkpoint metric holding the mean evaluation return.
const EVAL_RETURN_METRIC: &str = "eval/mean_return";

/// Seed offset of evaluation episodes, so they never replay training resets.
const EVAL_SEED_OFFSET: u64 = 1_000_000;

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
    /// config; with --resume, extends the run to this many steps).
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
    /// Learning algorithm: ppo or bc.
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
    /// Expert episodes recorded for --algorithm bc (task configs).
    #[arg(long, default_value_t = 5)]
    pub(crate) demo_episodes: u64,
    /// Skill of the scripted expert for --algorithm bc, in [0, 1].
    #[arg(long, default_value_t = 1.0)]
    pub(crate) demo_skill: f64,
    /// DAgger rounds for --algorithm bc (overrides bc.dagger.rounds).
    #[arg(long, value_name = "N")]
    pub(crate) dagger_rounds: Option<usize>,
}

/// How a run was started, beyond the learner's config; part of `config.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunOptions {
    /// Learning algorithm (`ppo`).
    pub algorithm: String,
    /// Training device (`cpu`, `cuda:N`).
    pub device: String,
    /// Updates between evaluations and checkpoints.
    pub eval_every: u64,
    /// Stop after this many training episodes (`None`: run all steps).
    pub max_episodes: Option<u64>,
    /// Stop once the convergence criterion holds.
    pub stop_on_convergence: bool,
    /// Mean evaluation return that counts as converged, if the env has one.
    pub convergence_return: Option<f64>,
    /// `--track-data-value` (recorded; not used by PPO runs yet).
    pub track_data_value: bool,
    /// `--enable-tiering` (recorded; not used by PPO runs yet).
    pub enable_tiering: bool,
    /// Checkpoint the network started from, if any.
    pub init_from: Option<String>,
    /// The config file the run was built from.
    pub source_config: String,
}

/// A run folder's `config.yaml`: the run config with every override
/// applied, plus the run options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolvedConfig {
    /// Registered env id.
    pub env_id: String,
    /// Seed of the learner and the envs.
    pub seed: u64,
    /// Episodes per evaluation.
    pub eval_episodes: usize,
    /// PPO hyperparameters.
    pub ppo: PpoConfig,
    /// Run options.
    pub run: RunOptions,
}

impl TrainArgs {
    /// Resolves the config, stages the run folder and trains.
    pub fn run(self) -> Result<ExitCode> {
        let device = self.device_choice()?;
        let plan = if self.resume.is_some() {
            self.resume_plan()?
        } else {
            self.fresh_plan(device)?
        };
        match plan {
            Plan::Classic(plan) => policies::run_on(device, *plan).map_err(|e| anyhow!(e))?,
            Plan::Task(plan) => policies::run_on(device, *plan).map_err(|e| anyhow!(e))?,
        }
    }

    fn device_choice(&self) -> Result<DeviceChoice> {
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
    fn refuse_reward_overrides(&self) -> Result<()> {
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

    fn check_algorithm(&self) -> Result<String> {
        match self.algorithm.as_deref().unwrap_or("ppo") {
            "ppo" if self.dagger_rounds.is_some() => bail!(
                "--dagger-rounds sets behaviour cloning's DAgger rounds; it needs --algorithm bc"
            ),
            "ppo" => Ok("ppo".to_owned()),
            "bc" => bail!(
                "--algorithm bc needs demonstrations: `vp train` clones the scripted expert of a \
                 task config (dishwashing, bricklaying); classic-control envs have none"
            ),
            other => bail!("unknown algorithm `{other}` (expected ppo or bc)"),
        }
    }

    fn fresh_plan(&self, device: DeviceChoice) -> Result<Plan> {
        if self.episodes.is_some() && self.total_steps.is_some() {
            bail!("--episodes and --total-steps conflict: give one");
        }
        let config_path = self
            .config
            .as_deref()
            .context("--config FILE is required (or --resume RUN_DIR)")?;
        let source = load_run_config(config_path)?;
        let algorithm = match &source {
            RunSource::Classic(_) => self.check_algorithm()?,
            RunSource::Task(_) => String::new(),
        };
        let mut cfg = match source {
            RunSource::Classic(cfg) => *cfg,
            RunSource::Task(task) => {
                return Ok(Plan::Task(Box::new(fresh_task_plan(
                    self,
                    device,
                    config_path,
                    *task,
                )?)));
            }
        };
        self.refuse_reward_overrides()?;
        ensure!(
            cfg.ppo.fine_tune.anchor_coef == 0.0,
            "{}: ppo.fine_tune.anchor_coef anchors the fine-tune of a task run's behaviour clone; \
             classic-control runs take none (expected 0, got {})",
            config_path.display(),
            cfg.ppo.fine_tune.anchor_coef
        );
        ensure!(
            cfg.ppo.fine_tune.expert_coef == 0.0,
            "{}: ppo.fine_tune.expert_coef clones a labour task's scripted expert; \
             classic-control runs have none (expected 0, got {})",
            config_path.display(),
            cfg.ppo.fine_tune.expert_coef
        );
        if let Some(env) = &self.env {
            cfg.env_id.clone_from(env);
        }
        envs::make(&cfg.env_id).map_err(|e| anyhow!("--env/env_id: {e}"))?;
        let init_from = match &self.init_from {
            Some(path) => {
                let ckpt = Checkpoint::load(path).map_err(|e| anyhow!("--init-from: {e}"))?;
                ensure!(
                    ckpt.meta.env_id == cfg.env_id,
                    "--init-from {}: written for env `{}`, this run trains `{}`",
                    path.display(),
                    ckpt.meta.env_id,
                    cfg.env_id
                );
                Some(path.clone())
            }
            None => None,
        };
        if let Some(seed) = self.seed {
            cfg.seed = seed;
        }
        if let Some(steps) = self.total_steps {
            cfg.ppo.total_timesteps = steps;
        }
        if let Some(n) = self.num_envs {
            cfg.ppo.num_envs = n;
        }
        if let Some(n) = self.eval_episodes {
            cfg.eval_episodes = n;
        }
        ensure!(cfg.eval_episodes > 0, "eval_episodes must be at least 1");
        if self.episodes == Some(0) {
            bail!("--episodes must be at least 1");
        }
        cfg.ppo
            .validate()
            .map_err(|e| anyhow!("{}: {e}", config_path.display()))?;
        let convergence_return = convergence_return(&cfg.env_id);
        if self.stop_on_convergence && convergence_return.is_none() {
            bail!(
                "--stop-on-convergence: no convergence criterion for {}",
                cfg.env_id
            );
        }
        let eval_every = match self.eval_every {
            Some(0) => bail!("--eval-every must be at least 1"),
            Some(n) => n,
            None => cfg.ppo.num_updates().div_ceil(10).max(1),
        };
        let resolved = ResolvedConfig {
            env_id: cfg.env_id.clone(),
            seed: cfg.seed,
            eval_episodes: cfg.eval_episodes,
            ppo: cfg.ppo,
            run: RunOptions {
                algorithm: algorithm.clone(),
                device: device.to_string(),
                eval_every,
                max_episodes: self.episodes,
                stop_on_convergence: self.stop_on_convergence,
                convergence_return,
                track_data_value: self.track_data_value,
                enable_tiering: self.enable_tiering,
                init_from: init_from.as_ref().map(|p| p.display().to_string()),
                source_config: config_path.display().to_string(),
            },
        };
        let yaml = serde_saphyr::to_string(&resolved).context("writing the resolved config")?;
        let path = match &self.run_dir {
            Some(p) => p.clone(),
            None => {
                let secs = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                RunDir::default_path(
                    Path::new("runs"),
                    &resolved.env_id,
                    &algorithm,
                    resolved.seed,
                    secs,
                )
            }
        };
        let staged = RunDir::stage(&path, &yaml)?;
        Ok(Plan::Classic(Box::new(TrainPlan {
            resolved,
            yaml,
            folder: Folder::Staged(staged),
            init_from,
            extend_to: None,
        })))
    }

    fn resume_plan(&self) -> Result<Plan> {
        let dir = self.resume.as_deref().context("--resume RUN_DIR")?;
        let run = RunDir::open(dir)?;
        if let Some(config) = &self.config {
            let same = config.canonicalize().ok() == run.config_path().canonicalize().ok();
            ensure!(
                same,
                "--resume {} conflicts with --config {}: a resumed run keeps its own config",
                dir.display(),
                config.display()
            );
        }
        let fixed = [
            ("--env", self.env.is_some()),
            ("--seed", self.seed.is_some()),
            ("--num-envs", self.num_envs.is_some()),
            ("--run-dir", self.run_dir.is_some()),
            ("--init-from", self.init_from.is_some()),
            ("--episodes", self.episodes.is_some()),
            ("--eval-episodes", self.eval_episodes.is_some()),
            ("--eval-every", self.eval_every.is_some()),
            ("--dagger-rounds", self.dagger_rounds.is_some()),
        ];
        if let Some((flag, _)) = fixed.iter().find(|(_, g)| *g) {
            bail!("--resume conflicts with {flag}: a resumed run keeps its own config");
        }
        self.refuse_reward_overrides()?;
        let text = std::fs::read_to_string(run.config_path())?;
        if is_task_config(&text) {
            if let Some(a) = &self.algorithm {
                ensure!(a == "ppo", "--resume: the run was trained with ppo");
            }
            return Ok(Plan::Task(Box::new(resume_task_plan(
                run,
                self.total_steps,
            )?)));
        }
        let resolved: ResolvedConfig = run.load_config()?;
        if let Some(a) = &self.algorithm {
            ensure!(
                *a == resolved.run.algorithm,
                "--resume: the run was trained with {}",
                resolved.run.algorithm
            );
        }
        let latest = run.model_latest_path();
        let ckpt = Checkpoint::load(&latest).map_err(|e| anyhow!("--resume: {e}"))?;
        ensure!(
            ckpt.meta.env_id == resolved.env_id,
            "--resume: checkpoint written for env `{}`, the run trains `{}`",
            ckpt.meta.env_id,
            resolved.env_id
        );
        let extend_to = match self.total_steps {
            Some(steps) => {
                ensure!(
                    steps > ckpt.meta.global_step,
                    "--total-steps {steps}: the run is already at step {}",
                    ckpt.meta.global_step
                );
                Some(steps)
            }
            None => None,
        };
        let yaml = std::fs::read_to_string(run.config_path())?;
        Ok(Plan::Classic(Box::new(TrainPlan {
            resolved,
            yaml,
            folder: Folder::Resume(run),
            init_from: None,
            extend_to,
        })))
    }
}

/// What `--config` holds.
enum RunSource {
    /// A classic-control run config (`env_id`, `seed`, `ppo:`).
    Classic(Box<PpoRunConfig>),
    /// A task config with economics (`task:`, `reward:`, ...).
    Task(Box<economics::TaskConfig>),
}

/// Reads a run config: a task config when it has a `task:` section, a
/// classic-control run config otherwise; the error is the strict parser's.
fn load_run_config(path: &Path) -> Result<RunSource> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file = path.display().to_string();
    if is_task_config(&text) {
        let task = economics::TaskConfig::from_yaml_str(&text, file).map_err(|e| anyhow!("{e}"))?;
        return Ok(RunSource::Task(Box::new(task)));
    }
    PpoRunConfig::from_yaml_str(&text, &file)
        .map(|cfg| RunSource::Classic(Box::new(cfg)))
        .map_err(|e| anyhow!(e))
}

/// Whether YAML text has a top-level `task:` key (a task config).
fn is_task_config(text: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with("task:") || l.starts_with("\"task\":"))
}

/// The mean evaluation return that counts as converged, where the env has
/// one (Gymnasium's `reward_threshold`).
fn convergence_return(env_id: &str) -> Option<f64> {
    (env_id == "CartPole-v1").then_some(CARTPOLE_SOLVED_RETURN)
}

enum Folder {
    Staged(StagedRunDir),
    Resume(RunDir),
}

/// A resolved run of either kind.
enum Plan {
    Classic(Box<TrainPlan>),
    Task(Box<TaskPlan>),
}

/// Everything resolved before the learner is built.
struct TrainPlan {
    resolved: ResolvedConfig,
    yaml: String,
    folder: Folder,
    init_from: Option<PathBuf>,
    extend_to: Option<u64>,
}

impl WithBackend for TrainPlan {
    type Output = Result<ExitCode>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let TrainPlan {
            resolved,
            yaml,
            folder,
            init_from,
            extend_to,
        } = self;
        let (mut ppo, run, resume_point, mut best) = match folder {
            Folder::Staged(staged) => {
                let mut ppo = Ppo::<B>::new(
                    resolved.ppo.clone(),
                    &resolved.env_id,
                    resolved.seed,
                    &device,
                )?;
                if let Some(path) = &init_from {
                    let ckpt = Checkpoint::load(path)?;
                    let model = import_params(ppo.model().clone(), &ckpt.model_map(), &device)
                        .map_err(|e| anyhow!("--init-from {}: {e}", path.display()))?;
                    ppo = ppo.with_model(model)?;
                }
                (ppo, staged.commit()?, None, f64::NEG_INFINITY)
            }
            Folder::Resume(run) => {
                let latest = run.model_latest_path();
                if let Some(steps) = extend_to {
                    extend_checkpoint(&run, steps)?;
                }
                let ppo = Ppo::<B>::resume(&latest, &device)?;
                let point = ResumePoint {
                    step: ppo.global_step(),
                    last_episode: None,
                };
                let best = Checkpoint::load(&run.model_best_path())
                    .ok()
                    .and_then(|c| c.meta.metrics.get(EVAL_RETURN_METRIC).copied())
                    .unwrap_or(f64::NEG_INFINITY);
                (ppo, run, Some(point), best)
            }
        };
        let (mut logger, _) = RunLogger::open(&run, resume_point)?;
        if resume_point.is_none() {
            logger
                .tensorboard()
                .add_text("config", &format!("```yaml\n{yaml}```"), 0)?;
            let config = serde_json::to_value(&resolved)?;
            logger
                .tensorboard()
                .add_hparams(&hparams_of(&config), &run.name())?;
        }
        logger.flush()?;
        let shutdown = Shutdown::install()?;
        let total = ppo.config().total_timesteps;
        let start_step = ppo.global_step();
        let progress = Progress::for_stderr(total, start_step);
        let started = Instant::now();
        let ckpt_dir = run.checkpoints_dir();
        let opts = resolved.run.clone();
        let mut failure: Option<anyhow::Error> = None;
        let mut episodes_done = 0u64;
        let mut converged = false;
        let mut last_eval: Option<EvalSummary> = None;

        let mut on_update = |ppo: &Ppo<B>, upd: &policies::PpoUpdate| -> Result<Control> {
            let step = upd.global_step;
            logger.log_scalars(&upd.scalars(), step)?;
            episodes_done += upd.episodes.len() as u64;
            let episodes_reached = opts.max_episodes.is_some_and(|n| episodes_done >= n);
            let stop_asked = shutdown.requested();
            let last = ppo.is_done() || episodes_reached;
            if upd.update.is_multiple_of(opts.eval_every) || last {
                let returns = ppo.evaluate(
                    resolved.eval_episodes,
                    resolved.seed + EVAL_SEED_OFFSET + upd.update,
                )?;
                let summary = classic_summary(step, &returns)?;
                logger.log_eval_summary(&summary)?;
                logger.commit()?;
                let mut ckpt = ppo.checkpoint();
                ckpt.meta
                    .metrics
                    .insert(EVAL_RETURN_METRIC.to_owned(), summary.mean_return);
                if summary.mean_return > best {
                    best = summary.mean_return;
                    ckpt.save(&ckpt_dir, "model_best")?;
                }
                ckpt.save(&ckpt_dir, "model_latest")?;
                converged = opts
                    .convergence_return
                    .is_some_and(|r| summary.mean_return >= r);
                progress.println(&format!(
                    "step {step}: eval mean return {:.1} over {} episodes",
                    summary.mean_return, summary.episodes
                ));
                last_eval = Some(summary);
            } else if stop_asked {
                logger.commit()?;
                ppo.save(&ckpt_dir, "model_latest")?;
            }
            logger.flush()?;
            progress.update(step, None, None);
            let stop = stop_asked || episodes_reached || (opts.stop_on_convergence && converged);
            Ok(if stop {
                Control::Stop
            } else {
                Control::Continue
            })
        };
        let trained = ppo.train(|ppo, upd| match on_update(ppo, upd) {
            Ok(c) => c,
            Err(e) => {
                failure = Some(e);
                Control::Stop
            }
        });
        progress.finish();
        if let Err(e) = trained {
            let _ = logger.tensorboard().end_session(RunStatus::Failure);
            return Err(anyhow!(e));
        }
        if let Some(e) = failure {
            let _ = logger.tensorboard().end_session(RunStatus::Failure);
            return Err(e);
        }
        let steps = ppo.global_step();
        let sps = (steps - start_step) as f64 / started.elapsed().as_secs_f64().max(1e-9);
        if shutdown.requested() {
            logger.tensorboard().end_session(RunStatus::Running)?;
            logger.commit()?;
            eprintln!(
                "interrupted at step {steps}; model_latest saved; continue with: vp train --resume {}",
                run.root().display()
            );
            return Ok(ExitCode::from(130));
        }
        logger.tensorboard().end_session(RunStatus::Success)?;
        logger.commit()?;
        let eval = last_eval.map_or_else(
            || "no evaluation".to_owned(),
            |s| format!("eval mean return {:.1}", s.mean_return),
        );
        let why = if converged && opts.stop_on_convergence {
            " (converged)"
        } else {
            ""
        };
        println!(
            "{}: {} steps{why}, {eval}, {sps:.0} steps/s",
            run.root().display(),
            steps
        );
        Ok(ExitCode::SUCCESS)
    }
}

/// An evaluation of a classic-control env: returns only; the economic
/// columns are 0 (no task economics).
fn classic_summary(step: u64, returns: &[f64]) -> Result<EvalSummary> {
    let ret = MeanCi::of(returns).context("an evaluation needs at least one episode")?;
    let zero = MeanCi {
        mean: 0.0,
        lo: 0.0,
        hi: 0.0,
    };
    Ok(EvalSummary {
        step,
        episodes: returns.len(),
        mean_return: ret.mean,
        mp_r: zero,
        error_rate: 0.0,
        w_r: 0.0,
        wage_parity: zero,
        productivity_parity: zero,
    })
}

/// Raises a run's step budget: the checkpoint's PPO config and `config.yaml`
/// get the new `total_timesteps` (the learning-rate schedule is re-targeted).
fn extend_checkpoint(run: &RunDir, steps: u64) -> Result<()> {
    let latest = run.model_latest_path();
    let mut ckpt = Checkpoint::load(&latest)?;
    let config = ckpt
        .meta
        .config
        .as_object_mut()
        .context("checkpoint config is not a mapping")?;
    config.insert("total_timesteps".to_owned(), serde_json::Value::from(steps));
    let mut resolved: ResolvedConfig = run.load_config()?;
    resolved.ppo.total_timesteps = steps;
    let yaml = serde_saphyr::to_string(&resolved)?;
    policies::write_atomic(&run.config_path(), yaml.as_bytes())?;
    ckpt.save(&run.checkpoints_dir(), "model_latest")?;
    Ok(())
}

/// The scalar leaves of a resolved config (`ppo.learning_rate`,
/// `reward.alpha_initial`, `env_id`...) as TensorBoard hyperparameters.
pub(crate) fn hparams_of(config: &serde_json::Value) -> BTreeMap<String, HParam> {
    fn walk(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, HParam>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, v) in map {
                    let name = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&name, v, out);
                }
            }
            serde_json::Value::Number(n) => {
                if let Some(v) = n.as_f64().filter(|v| v.is_finite()) {
                    out.insert(prefix.to_owned(), HParam::Number(v));
                }
            }
            serde_json::Value::Bool(b) => {
                out.insert(prefix.to_owned(), HParam::Bool(*b));
            }
            serde_json::Value::String(t) => {
                out.insert(prefix.to_owned(), HParam::Text(t.clone()));
            }
            serde_json::Value::Null | serde_json::Value::Array(_) => {}
        }
    }
    let mut out = BTreeMap::new();
    walk("", config, &mut out);
    out
}
