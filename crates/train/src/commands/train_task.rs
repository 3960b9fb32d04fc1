//! `vp train` on a task config (`configs/dishwashing.yaml`,
//! `configs/bricklaying.yaml`): PPO on the labour env, its reward replaced
//! by the economic reward of SPEC §2.
//!
//! The flow, top to bottom:
//! 1. Resolve: the task config, with the command-line overrides applied
//!    (seed, steps, envs, α/β/γ, curriculum), is re-parsed strictly so an
//!    override out of range fails like a bad file would; the `ppo:` section
//!    becomes the full PPO config and a `run:` section records the run
//!    options. That YAML is the run folder's `config.yaml`, staged under a
//!    temporary name and renamed into place once the learner is built.
//! 2. Envs: every copy is the registered env built from the resolved YAML's
//!    `env:` section, wrapped in `envs::EconomicRewardWrapper` (dense wage
//!    payment per step, `r(t)` at the episode's end, the env's shaping
//!    reward at an annealed weight).
//! 3. Train: per update, the copies' curricula are moved to the run's
//!    global episode count (each wrapper scores its own episodes in between)
//!    and the shaping weight to its schedule; every finished episode is
//!    scored by the run's scorer into a `training_metrics.csv` row (SPEC §6
//!    columns) and `economics/*` scalars; PPO's `losses/*` and `charts/*`
//!    go to TensorBoard.
//! 4. Evaluate every `eval_every` updates: deterministic policy on the
//!    same seeds every time, MP_r, e,
//!    ŵ_r and parities with 95 % CIs into `eval.csv` and `eval/*`, one
//!    rendered frame per evaluation, convergence per SPEC §2; then
//!    `model_latest` and `model_best` (by mean evaluation wage parity),
//!    after the logs are committed, with the episode count and the
//!    scorer's previous `MP_r` so `--resume` continues the same series.

use anyhow::{Context, Result, anyhow, bail, ensure};
use burn::tensor::backend::AutodiffBackend;
use economics::{EpisodeOutcome, EpisodeScorer, Schedule, TaskConfig};
use envs::{
    BricklayingConfig, DishwashingConfig, EconomicRewardWrapper, Env, EpisodeRecord, VecEnv,
};
use policies::{
    Checkpoint, DeviceChoice, PolicySnapshot, Ppo, PpoConfig, WithBackend, evaluate_episodes,
    import_params,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use train::{
    EvalSummary, Progress, ResumePoint, RunDir, RunLogger, RunStatus, Shutdown, StagedRunDir,
};

use super::train::{TrainArgs, hparams_of};
use super::train_bc::run_bc;

/// A labour env copy as PPO sees it.
pub(crate) type EconEnv = EconomicRewardWrapper<Box<dyn Env>>;

/// Checkpoint metric: index of the last episode in `training_metrics.csv`.
const LAST_EPISODE_METRIC: &str = "run/last_episode";
/// Checkpoint metric: `MP_r` of that episode (the scorer's ΔMP baseline).
const PREVIOUS_MP_R_METRIC: &str = "run/previous_mp_r";
/// Checkpoint metric: mean evaluation wage parity (ranks `model_best`).
const EVAL_WAGE_PARITY_METRIC: &str = "eval/wage_parity";
/// Seed offset of evaluation episodes, so they never replay training resets.
const EVAL_SEED_OFFSET: u64 = 1_000_000;
/// Label of the resolved config in errors about overrides.
const RESOLVED: &str = "the config with command-line overrides";

/// How a task run was started, beyond the task config: its `run:` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskRunOptions {
    /// Registered env id (`dishwashing`, `bricklaying`).
    pub env_id: String,
    /// Learning algorithm (`ppo`).
    pub algorithm: String,
    /// Training device (`cpu`, `cuda:N`).
    pub device: String,
    /// Updates between evaluations and checkpoints.
    pub eval_every_updates: u64,
    /// Stop after this many training episodes (`None`: run all steps).
    pub max_episodes: Option<u64>,
    /// Stop once convergence (SPEC §2) is flagged.
    pub stop_on_convergence: bool,
    /// `--track-data-value` (recorded; valued once data valuation lands).
    pub track_data_value: bool,
    /// `--enable-tiering` (recorded; used once pricing lands).
    pub enable_tiering: bool,
    /// Checkpoint the network started from, if any.
    pub init_from: Option<String>,
    /// Checksum of that checkpoint's weights (FNV-1a 64), so a resumed
    /// anchored run refuses an `init_from` file that has changed since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_from_fnv1a64: Option<String>,
    /// The config file the run was built from.
    pub source_config: String,
    /// Expert episodes recorded for `bc`.
    #[serde(default = "default_demo_episodes")]
    pub demo_episodes: u64,
    /// Skill of the scripted expert for `bc`, in [0, 1].
    #[serde(default = "default_demo_skill")]
    pub demo_skill: f64,
}

fn default_demo_episodes() -> u64 {
    5
}

fn default_demo_skill() -> f64 {
    1.0
}

/// A task run, resolved and staged (fresh) or reopened (resume).
pub(crate) struct TaskPlan {
    config: TaskConfig,
    options: TaskRunOptions,
    ppo: PpoConfig,
    yaml: String,
    folder: TaskFolder,
    extend_to: Option<u64>,
}

enum TaskFolder {
    Staged(StagedRunDir),
    Resume(RunDir),
}

/// Resolves a fresh task run from `vp train` arguments and the parsed
/// task config at `path`, and stages its run folder.
pub(crate) fn fresh_task_plan(
    args: &TrainArgs,
    device: DeviceChoice,
    path: &Path,
    mut config: TaskConfig,
) -> Result<TaskPlan> {
    let file = path.display().to_string();
    let algorithm = match args.algorithm.as_deref().unwrap_or("ppo") {
        "ppo" => "ppo",
        "bc" => "bc",
        other => bail!("unknown algorithm `{other}` (expected ppo or bc)"),
    };
    ensure!(
        algorithm == "ppo" || args.init_from.is_none(),
        "--init-from starts PPO from a checkpoint; --algorithm bc trains from demonstrations"
    );
    ensure!(
        args.demo_episodes >= 1,
        "--demo-episodes must be at least 1"
    );
    ensure!(
        (0.0..=1.0).contains(&args.demo_skill),
        "--demo-skill must be in [0, 1], got {}",
        args.demo_skill
    );
    let env_id = args.env.clone().unwrap_or_else(|| config.task.name.clone());
    let spec = envs::spec(&env_id).map_err(|e| anyhow!("--env/task.name: {e}"))?;
    ensure!(
        spec.takes_config,
        "{file} is a task config, but env `{env_id}` takes none (task configs train the labour envs)"
    );
    ensure!(
        config.reward.dense,
        "{file}: reward.dense: false is not supported by `vp train` yet (the economic wrapper \
         always pays the dense wage reward)"
    );
    if let Some(seed) = args.seed {
        config.training.seed = seed;
    }
    if let Some(steps) = args.total_steps {
        config.training.total_steps = steps;
    }
    if let Some(n) = args.num_envs {
        config.training.num_envs = n as u64;
    }
    if let Some(n) = args.eval_episodes {
        config.training.eval_episodes = n as u64;
    }
    if let Some(a) = args.alpha {
        config.reward.alpha_initial = a;
    }
    if let Some(b) = args.beta {
        config.reward.beta = b;
    }
    if let Some(g) = args.gamma {
        config.reward.gamma_initial = g;
    }
    if let Some(n) = args.alpha_anneal {
        config.reward.anneal_episodes = n;
    }
    if let Some(s) = &args.gamma_schedule {
        config.reward.schedule = parse_schedule(s)?;
    }
    if let Some(rounds) = args.dagger_rounds {
        ensure!(
            algorithm == "bc",
            "--dagger-rounds sets behaviour cloning's DAgger rounds; it needs --algorithm bc"
        );
        set_dagger_rounds(&mut config.bc, rounds).with_context(|| format!("{file}: bc"))?;
    }
    // Re-parse strictly: an override out of range fails like a bad file.
    let text = serde_saphyr::to_string(&config).context("writing the resolved config")?;
    config = TaskConfig::from_yaml_str(&text, RESOLVED).map_err(|e| anyhow!("{e}"))?;

    let mut ppo = PpoConfig::from_section(&config.ppo, &file).map_err(|e| anyhow!("{e}"))?;
    ppo.total_timesteps = config.training.total_steps;
    ppo.num_envs =
        usize::try_from(config.training.num_envs).context("training.num_envs is too large")?;
    if config.ppo.get("gamma").is_none() {
        ppo.gamma = config.training.discount;
    }
    ppo.validate().map_err(|e| anyhow!("{file}: {e}"))?;

    let eval_every_updates = match args.eval_every {
        Some(0) => bail!("--eval-every must be at least 1"),
        Some(n) => n,
        None => config
            .training
            .eval_interval
            .div_ceil(ppo.batch_size() as u64)
            .max(1),
    };
    ensure!(
        algorithm != "ppo" || ppo.fine_tune.anchor_coef == 0.0 || args.init_from.is_some(),
        "{file}: ppo.fine_tune.anchor_coef {} anchors the policy to the network it starts from; \
         give that network with --init-from",
        ppo.fine_tune.anchor_coef
    );
    let mut init_from_fnv1a64 = None;
    let init_from = match &args.init_from {
        Some(p) => {
            let ckpt = Checkpoint::load(p).map_err(|e| anyhow!("--init-from: {e}"))?;
            init_from_fnv1a64 = Some(ckpt.meta.weights_fnv1a64.clone());
            ensure!(
                ckpt.meta.env_id == env_id,
                "--init-from {}: written for env `{}`, this run trains `{env_id}`",
                p.display(),
                ckpt.meta.env_id
            );
            Some(p.display().to_string())
        }
        None => None,
    };
    let options = TaskRunOptions {
        env_id: env_id.clone(),
        algorithm: algorithm.to_owned(),
        device: device.to_string(),
        eval_every_updates,
        max_episodes: args.episodes,
        stop_on_convergence: args.stop_on_convergence || config.convergence.stop_on_convergence,
        track_data_value: args.track_data_value,
        enable_tiering: args.enable_tiering,
        init_from,
        init_from_fnv1a64,
        source_config: file.clone(),
        demo_episodes: args.demo_episodes,
        demo_skill: args.demo_skill,
    };
    config.ppo = serde_json::to_value(&ppo)?;
    config.run = serde_json::to_value(&options)?;
    let yaml = serde_saphyr::to_string(&config).context("writing the resolved config")?;
    // Build one env now so a bad `env:` section fails before any folder exists.
    labour_env(&env_id, &yaml, &file)?;
    let run_path = match &args.run_dir {
        Some(p) => p.clone(),
        None => default_run_path(&env_id, algorithm, config.training.seed),
    };
    let staged = RunDir::stage(&run_path, &yaml)?;
    Ok(TaskPlan {
        config,
        options,
        ppo,
        yaml,
        folder: TaskFolder::Staged(staged),
        extend_to: None,
    })
}

/// Reopens a task run for `--resume` (flags were checked by the caller).
pub(crate) fn resume_task_plan(run: RunDir, total_steps: Option<u64>) -> Result<TaskPlan> {
    let yaml = std::fs::read_to_string(run.config_path())
        .with_context(|| format!("reading {}", run.config_path().display()))?;
    let file = run.config_path().display().to_string();
    let config = TaskConfig::from_yaml_str(&yaml, &file).map_err(|e| anyhow!("{e}"))?;
    let options: TaskRunOptions =
        serde_json::from_value(config.run.clone()).map_err(|e| anyhow!("{file}: run: {e}"))?;
    let ppo = PpoConfig::from_section(&config.ppo, &file).map_err(|e| anyhow!("{e}"))?;
    Ok(TaskPlan {
        config,
        options,
        ppo,
        yaml,
        folder: TaskFolder::Resume(run),
        extend_to: total_steps,
    })
}

impl WithBackend for TaskPlan {
    type Output = Result<ExitCode>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let TaskPlan {
            config,
            options,
            ppo: ppo_config,
            yaml,
            folder,
            extend_to,
        } = self;
        let env_id = options.env_id.clone();
        let seed = config.training.seed;
        if options.algorithm == "bc" {
            return match folder {
                TaskFolder::Staged(staged) => {
                    run_bc::<B>(&config, &options, &ppo_config, &yaml, staged, &device)
                }
                TaskFolder::Resume(run) => bail!(
                    "--resume {}: a behaviour-cloning run trains in one go and has nothing to resume",
                    run.root().display()
                ),
            };
        }
        let shaping = ShapingSchedule::from(&config);
        let venv = econ_venv(&config, &env_id, &yaml, ppo_config.num_envs, shaping.at(0))?;
        let mut scorer = config.episode_scorer()?;
        let (mut ppo, run, resume_point, mut best) = match folder {
            TaskFolder::Staged(staged) => {
                let mut ppo =
                    Ppo::<B, EconEnv>::from_venv(ppo_config.clone(), &env_id, venv, seed, &device)?;
                if let Some(path) = &options.init_from {
                    let ckpt = Checkpoint::load(Path::new(path))?;
                    let mut model = import_params(ppo.model().clone(), &ckpt.model_map(), &device)
                        .map_err(|e| anyhow!("--init-from {path}: {e}"))?;
                    if fitted_without_spread(&ckpt) {
                        // Its log-std is the BC network's untrained init:
                        // exploration starts where this config says.
                        model = model.with_log_std(ppo_config.init_log_std);
                    }
                    if ppo_config.fine_tune.anchor_coef > 0.0 {
                        ppo = ppo.with_anchor(&model)?;
                    }
                    ppo = ppo.with_model(model)?;
                    // The network expects observations normalised as it
                    // was trained; continue from those statistics.
                    if let Some(obs) = ckpt.meta.normalization.obs {
                        ensure!(
                            ppo_config.normalize_observation,
                            "--init-from {path}: the policy was trained on normalised observations; \
                             set ppo.normalize_observation: true"
                        );
                        let reward = ppo.venv().normalization_state().reward;
                        ppo.venv_mut()
                            .set_normalization_state(&envs::NormalizationState {
                                obs: Some(obs),
                                reward,
                            })?;
                    }
                }
                if ppo_config.fine_tune.expert_coef > 0.0 {
                    ppo = ppo.with_experts(task_experts(&env_id, ppo_config.num_envs, seed)?)?;
                }
                (ppo, staged.commit()?, None, f64::NEG_INFINITY)
            }
            TaskFolder::Resume(run) => {
                let latest = run.model_latest_path();
                let ckpt = Checkpoint::load(&latest).map_err(|e| anyhow!("--resume: {e}"))?;
                if let Some(steps) = extend_to {
                    ensure!(
                        steps > ckpt.meta.global_step,
                        "--total-steps {steps}: the run is already at step {}",
                        ckpt.meta.global_step
                    );
                    extend_task_run(&run, &ckpt, steps)?;
                }
                let mut ppo = Ppo::<B, EconEnv>::resume_with(&latest, venv, &device)?;
                if ppo_config.fine_tune.anchor_coef > 0.0 {
                    ppo = with_anchor_from(ppo, &options, &device)?;
                }
                if ppo_config.fine_tune.expert_coef > 0.0 {
                    ppo = ppo.with_experts(task_experts(&env_id, ppo_config.num_envs, seed)?)?;
                }
                let last_episode = ckpt
                    .meta
                    .metrics
                    .get(LAST_EPISODE_METRIC)
                    .map(|&e| e as u64);
                let previous_mp_r = ckpt.meta.metrics.get(PREVIOUS_MP_R_METRIC).copied();
                scorer.resume_at(last_episode.map_or(0, |e| e + 1), previous_mp_r);
                let best = Checkpoint::load(&run.model_best_path())
                    .ok()
                    .and_then(|c| c.meta.metrics.get(EVAL_WAGE_PARITY_METRIC).copied())
                    .unwrap_or(f64::NEG_INFINITY);
                let point = ResumePoint {
                    step: ppo.global_step(),
                    last_episode,
                };
                (ppo, run, Some(point), best)
            }
        };
        let (mut logger, _) = RunLogger::open(&run, resume_point)?;
        if resume_point.is_none() {
            logger
                .tensorboard()
                .add_text("config", &format!("```yaml\n{yaml}```"), 0)?;
            let mut resolved = serde_json::to_value(&config)?;
            if let Some(map) = resolved.as_object_mut() {
                // The env's physics parameters are not hyperparameters.
                map.remove("env");
            }
            logger
                .tensorboard()
                .add_hparams(&hparams_of(&resolved), &run.name())?;
        }
        logger.flush()?;
        let mut detector = config.convergence.detector()?;
        let shutdown = Shutdown::install()?;
        let start_step = ppo.global_step();
        let progress = Progress::for_stderr(ppo.config().total_timesteps, start_step);
        let started = Instant::now();
        let ckpt_dir = run.checkpoints_dir();
        let mut episodes_done = 0u64;
        let mut converged = false;
        let mut latest: Option<(f64, f64)> = None;
        let mut last_eval: Option<EvalSummary> = None;

        while !ppo.is_done() {
            let weight = shaping.at(ppo.global_step());
            for env in ppo.venv_mut().envs_mut() {
                env.scorer_mut()
                    .resume_at(scorer.episode(), scorer.previous_mp_r());
                env.set_shaping_weight(weight)?;
            }
            let upd = ppo.step_update()?;
            let step = upd.global_step;
            logger.log_scalars(&upd.scalars(), step)?;
            logger.log_scalars(&[("charts/shaping_weight", weight)], step)?;
            for episode in &upd.episodes {
                let scored = scorer.score(&outcome_of(episode))?;
                logger.log_episode_record(&scored.record, step)?;
                latest = Some((scored.metrics.mp_r, scored.metrics.wage_parity));
            }
            episodes_done += upd.episodes.len() as u64;
            let episodes_reached = options.max_episodes.is_some_and(|n| episodes_done >= n);
            let stop_asked = shutdown.requested();
            let last = ppo.is_done() || episodes_reached;
            if upd.update.is_multiple_of(options.eval_every_updates) || last {
                // The same episodes every time: evaluations differ by the
                // policy alone, not by which dishes they drew.
                let summary = evaluate_economics(&ppo, &config, &yaml, step, seed)?;
                logger.log_eval_summary(&summary)?;
                if let Some(frame) = eval_frame(&ppo, &config, &yaml, seed)? {
                    logger.tensorboard().add_image("eval/frame", &frame, step)?;
                }
                converged = detector
                    .observe_parities(summary.productivity_parity.mean, summary.wage_parity.mean)?;
                logger.commit()?;
                let mut ckpt = run_checkpoint(&ppo, &scorer, logger.last_episode());
                ckpt.meta
                    .metrics
                    .insert(EVAL_WAGE_PARITY_METRIC.to_owned(), summary.wage_parity.mean);
                // The first evaluation always makes a `model_best`.
                if best.is_infinite() || summary.wage_parity.mean > best {
                    best = summary.wage_parity.mean;
                    ckpt.save(&ckpt_dir, "model_best")?;
                }
                ckpt.save(&ckpt_dir, "model_latest")?;
                progress.println(&format!(
                    "step {step}: eval MP_r {:.2}/h (parity {:.3}), wage parity {:.3} \
                     [{:.3}, {:.3}] over {} episodes",
                    summary.mp_r.mean,
                    summary.productivity_parity.mean,
                    summary.wage_parity.mean,
                    summary.wage_parity.lo,
                    summary.wage_parity.hi,
                    summary.episodes
                ));
                last_eval = Some(summary);
            } else if stop_asked {
                logger.commit()?;
                run_checkpoint(&ppo, &scorer, logger.last_episode())
                    .save(&ckpt_dir, "model_latest")?;
            }
            logger.flush()?;
            progress.update(step, latest.map(|l| l.0), latest.map(|l| l.1));
            if stop_asked || episodes_reached || (options.stop_on_convergence && converged) {
                break;
            }
        }
        progress.finish();
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
            |s| {
                format!(
                    "eval MP_r {:.2}/h, wage parity {:.3}",
                    s.mp_r.mean, s.wage_parity.mean
                )
            },
        );
        let why = if converged && options.stop_on_convergence {
            " (converged: parity reached)"
        } else {
            ""
        };
        println!(
            "{}: {steps} steps{why}, {eval}, {sps:.0} steps/s",
            run.root().display()
        );
        Ok(ExitCode::SUCCESS)
    }
}

/// The shaping weight's linear anneal (`training.shaping_*`).
#[derive(Debug, Clone, Copy)]
struct ShapingSchedule {
    initial: f64,
    final_weight: f64,
    steps: u64,
}

impl ShapingSchedule {
    fn from(config: &TaskConfig) -> Self {
        Self {
            initial: config.training.shaping_weight_initial,
            final_weight: config.training.shaping_weight_final,
            steps: config.training.shaping_anneal_steps,
        }
    }

    fn at(&self, step: u64) -> f64 {
        if self.steps == 0 || step >= self.steps {
            return self.final_weight;
        }
        let progress = step as f64 / self.steps as f64;
        self.initial + (self.final_weight - self.initial) * progress
    }
}

/// `dishwashing` or `bricklaying` built from the `env:` section of `yaml`,
/// with its configured episode length in simulated seconds.
fn labour_env(env_id: &str, yaml: &str, file: &str) -> Result<(Box<dyn Env>, f64)> {
    Ok(match env_id {
        envs::DISHWASHING_ID => {
            let cfg = DishwashingConfig::from_yaml_str(yaml, file)?;
            let seconds = f64::from(cfg.episode_seconds);
            (Box::new(envs::DishwashingEnv::new(cfg)?), seconds)
        }
        envs::BRICKLAYING_ID => {
            let cfg = BricklayingConfig::from_yaml_str(yaml, file)?;
            let seconds = f64::from(cfg.episode_seconds);
            (Box::new(envs::BricklayingEnv::new(cfg)?), seconds)
        }
        other => bail!("env `{other}` has no task config support in `vp train`"),
    })
}

/// `n` labour env copies in the economic reward wrapper.
pub(crate) fn econ_venv(
    config: &TaskConfig,
    env_id: &str,
    yaml: &str,
    n: usize,
    shaping_weight: f64,
) -> Result<VecEnv<EconEnv>> {
    let copies = (0..n)
        .map(|_| econ_env(config, env_id, yaml, shaping_weight))
        .collect::<Result<Vec<_>>>()?;
    let mut venv = VecEnv::new(copies)?;
    // A physics step costs microseconds: one rayon task per copy pays off.
    venv.set_min_envs_per_task(1);
    Ok(venv)
}

fn econ_env(config: &TaskConfig, env_id: &str, yaml: &str, shaping_weight: f64) -> Result<EconEnv> {
    let (env, seconds) = labour_env(env_id, yaml, "config.yaml")?;
    Ok(EconomicRewardWrapper::new(
        env,
        config.episode_scorer()?,
        seconds,
        shaping_weight,
    )?)
}

/// The counters of a finished episode as SPEC §2's outcome.
fn outcome_of(e: &EpisodeRecord) -> EpisodeOutcome {
    EpisodeOutcome::from_sim_seconds(
        u64::from(e.units_completed),
        u64::from(e.attempts),
        u64::from(e.errors),
        e.sim_seconds,
    )
}

/// A deterministic evaluation of the current policy, one env copy per
/// episode, scored into MP_r, e, ŵ_r and parities with 95 % CIs.
fn evaluate_economics<B: AutodiffBackend>(
    ppo: &Ppo<B, EconEnv>,
    config: &TaskConfig,
    yaml: &str,
    step: u64,
    seed: u64,
) -> Result<EvalSummary> {
    let episodes = usize::try_from(config.training.eval_episodes)?;
    let weight = ppo.venv().envs()[0].shaping_weight();
    let venv = econ_venv(config, ppo.venv().envs()[0].id(), yaml, episodes, weight)?;
    let records = evaluate_episodes(
        &PolicySnapshot::new(ppo.model()),
        venv,
        episodes,
        seed + EVAL_SEED_OFFSET,
        ppo.venv().normalization_state().obs.as_ref(),
    )?;
    economic_summary(config, step, &records)
}

/// Scores evaluation episodes (metrics only: a fresh scorer per episode, so
/// no curriculum or ΔMP carries between them) into an `eval.csv` summary.
pub(crate) fn economic_summary(
    config: &TaskConfig,
    step: u64,
    records: &[EpisodeRecord],
) -> Result<EvalSummary> {
    let rows = records
        .iter()
        .map(|r| {
            let mut scorer: EpisodeScorer = config.episode_scorer()?;
            Ok(scorer.score(&outcome_of(r))?.record)
        })
        .collect::<Result<Vec<_>>>()?;
    let returns: Vec<f64> = records.iter().map(|r| r.episode_return).collect();
    EvalSummary::from_episodes(step, &rows, &returns)
}

/// One frame of the deterministic policy a few simulated seconds into a
/// fresh episode, for TensorBoard's image tab.
fn eval_frame<B: AutodiffBackend>(
    ppo: &Ppo<B, EconEnv>,
    config: &TaskConfig,
    yaml: &str,
    seed: u64,
) -> Result<Option<envs::RgbFrame>> {
    const FRAME_AFTER_STEPS: usize = 100;
    let env_id = ppo.venv().envs()[0].id().to_owned();
    let mut venv = econ_venv(config, &env_id, yaml, 1, 0.0)?;
    if let Some(obs) = ppo.venv().normalization_state().obs {
        venv = venv.with_obs_normalization(envs::ObsNormConfig::default());
        venv.set_normalization_state(&envs::NormalizationState {
            obs: Some(obs),
            reward: None,
        })?;
        venv.set_normalization_training(false);
    }
    venv.reset(Some(seed + EVAL_SEED_OFFSET))?;
    let mut policy = PolicySnapshot::new(ppo.model());
    let mut act = policies::ActOutput::default();
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
    for _ in 0..FRAME_AFTER_STEPS {
        policy.act(venv.obs(), 1, true, &mut rng, &mut act);
        let clipped: Vec<f32> = act.actions.iter().map(|a| a.clamp(-1.0, 1.0)).collect();
        venv.step(envs::VecAction::Continuous(&clipped))?;
    }
    Ok(venv.render(0))
}

/// Whether `ckpt` is a behaviour clone fitted by squared error, whose
/// log-std was never trained.
fn fitted_without_spread(ckpt: &Checkpoint) -> bool {
    ckpt.meta.algorithm == "bc"
        && ckpt.meta.config.get("loss").and_then(|l| l.as_str()) == Some("mse")
}

/// A resumed run anchored again to the network it started from: anchors
/// are not in checkpoints, so `--init-from`'s file must still be there,
/// unchanged.
fn with_anchor_from<B: AutodiffBackend>(
    ppo: Ppo<B, EconEnv>,
    options: &TaskRunOptions,
    device: &B::Device,
) -> Result<Ppo<B, EconEnv>> {
    let path = options
        .init_from
        .as_deref()
        .context("ppo.fine_tune.anchor_coef > 0 but the run records no init_from")?;
    let ckpt = Checkpoint::load(Path::new(path))
        .map_err(|e| anyhow!("--resume: the anchor network (init_from {path}): {e}"))?;
    if let Some(want) = &options.init_from_fnv1a64 {
        ensure!(
            &ckpt.meta.weights_fnv1a64 == want,
            "--resume: the anchor network (init_from {path}) has changed since the run started \
             (weights checksum {}, expected {want})",
            ckpt.meta.weights_fnv1a64
        );
    }
    let anchor = import_params(ppo.model().clone(), &ckpt.model_map(), device)
        .map_err(|e| anyhow!("--resume: the anchor network (init_from {path}): {e}"))?;
    Ok(ppo.with_anchor(&anchor)?)
}

/// The checkpoint of the current state plus what `--resume` needs to
/// continue the logs and the scorer.
fn run_checkpoint<B: AutodiffBackend>(
    ppo: &Ppo<B, EconEnv>,
    scorer: &EpisodeScorer,
    last_episode: Option<u64>,
) -> Checkpoint {
    let mut ckpt = ppo.checkpoint();
    if let Some(e) = last_episode {
        ckpt.meta
            .metrics
            .insert(LAST_EPISODE_METRIC.to_owned(), e as f64);
    }
    if let Some(mp) = scorer.previous_mp_r() {
        ckpt.meta
            .metrics
            .insert(PREVIOUS_MP_R_METRIC.to_owned(), mp);
    }
    ckpt
}

/// Raises a task run's step budget in its checkpoint and `config.yaml`.
fn extend_task_run(run: &RunDir, ckpt: &Checkpoint, steps: u64) -> Result<()> {
    let mut ckpt = ckpt.clone();
    let config = ckpt
        .meta
        .config
        .as_object_mut()
        .context("checkpoint config is not a mapping")?;
    config.insert("total_timesteps".to_owned(), serde_json::Value::from(steps));
    let text = std::fs::read_to_string(run.config_path())?;
    let file = run.config_path().display().to_string();
    let mut task = TaskConfig::from_yaml_str(&text, &file).map_err(|e| anyhow!("{e}"))?;
    task.training.total_steps = steps;
    if let Some(ppo) = task.ppo.as_object_mut() {
        ppo.insert("total_timesteps".to_owned(), serde_json::Value::from(steps));
    }
    let yaml = serde_saphyr::to_string(&task)?;
    policies::write_atomic(&run.config_path(), yaml.as_bytes())?;
    ckpt.save(&run.checkpoints_dir(), "model_latest")?;
    Ok(())
}

/// `bc.dagger.rounds = rounds` in a `bc:` section (created where absent).
fn set_dagger_rounds(bc: &mut serde_json::Value, rounds: usize) -> Result<()> {
    if bc.is_null() {
        *bc = serde_json::json!({});
    }
    let section = bc.as_object_mut().context("is not a mapping")?;
    let dagger = section
        .entry("dagger")
        .or_insert_with(|| serde_json::json!({}));
    if dagger.is_null() {
        *dagger = serde_json::json!({});
    }
    dagger
        .as_object_mut()
        .context("dagger: is not a mapping")?
        .insert("rounds".to_owned(), serde_json::Value::from(rounds));
    Ok(())
}

fn parse_schedule(s: &str) -> Result<Schedule> {
    match s {
        "linear" => Ok(Schedule::Linear),
        "cosine" => Ok(Schedule::Cosine),
        "constant" => Ok(Schedule::Constant),
        other => bail!("--gamma-schedule `{other}`: expected linear, cosine or constant"),
    }
}

/// `runs/<env>__<algo>__<seed>__<timestamp>`.
fn default_run_path(env_id: &str, algorithm: &str, seed: u64) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    RunDir::default_path(Path::new("runs"), env_id, algorithm, seed, secs)
}

/// The skill-1 scripted expert of `env_id` for each of `n` copies (one
/// each: an expert keeps per-episode state), copy `i`'s seeded `seed + i`
/// (at skill 1 it draws nothing that acts), for `ppo.fine_tune.expert_coef`.
fn task_experts(env_id: &str, n: usize, seed: u64) -> Result<Vec<Box<dyn envs::ScriptedExpert>>> {
    (0..n as u64)
        .map(|i| envs::make_expert(env_id, 1.0, seed.wrapping_add(i)))
        .collect::<envs::Result<_>>()
        .context("ppo.fine_tune.expert_coef")
}
