//! Resolving `vp train`: the command line against `--config` (a classic
//! run config or a task config) or against a run folder for `--resume`,
//! into a [`Plan`] whose run folder is staged (fresh) or reopened (resume).
//!
//! A fresh task run's resolved config is the task config with the
//! overrides applied, re-parsed strictly so an override out of range fails
//! like a bad file would, its `ppo:` section completed and a `run:`
//! section added; it is `config.yaml` of the staged run folder, so `vp
//! config check` reads a run folder's config like any task config.

use anyhow::{Context, Result, anyhow, bail, ensure};
use economics::TaskConfig;
use envs::Space;
use policies::{
    Checkpoint, ChunkConfig, DeviceChoice, DiffusionConfig, PpoConfig, PpoRunConfig, SacConfig,
    SacRunConfig,
};
use runs::{RunDir, StagedRunDir};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use super::train_args::TrainArgs;

/// Label of the resolved config in errors about overrides.
const RESOLVED: &str = "the config with command-line overrides";

/// How a run was started, beyond the learner's config; part of `config.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunOptions {
    /// Learning algorithm (`ppo`).
    pub algorithm: String,
    /// Training device (`cpu`, `cuda:N`).
    pub device: String,
    /// Updates between evaluations and checkpoints (`--eval-every`;
    /// default a tenth of the run's updates, at least 1).
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
    /// Updates between evaluations and checkpoints (`--eval-every`;
    /// default `training.eval_interval` steps in whole updates, at least 1).
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

/// The run folder of a plan.
pub(crate) enum Folder {
    /// A new run, staged under a temporary name.
    Staged(StagedRunDir),
    /// A run to continue.
    Resume(RunDir),
}

/// A resolved run of either kind.
pub(crate) enum Plan {
    /// PPO on a classic-control env.
    Classic(Box<ClassicPlan>),
    /// PPO, SAC or BC on a labour task.
    Task(Box<TaskPlan>),
    /// SAC on a classic-control env.
    Sac(Box<SacPlan>),
}

/// A classic-control run, resolved.
pub(crate) struct ClassicPlan {
    pub(crate) resolved: ResolvedConfig,
    pub(crate) yaml: String,
    pub(crate) folder: Folder,
    pub(crate) init_from: Option<PathBuf>,
    pub(crate) extend_to: Option<u64>,
}

/// A task run, resolved.
pub(crate) struct TaskPlan {
    pub(crate) config: TaskConfig,
    pub(crate) options: TaskRunOptions,
    pub(crate) ppo: PpoConfig,
    /// The `sac:` section, completed, when the algorithm is `sac`.
    pub(crate) sac: Option<SacConfig>,
    pub(crate) yaml: String,
    pub(crate) folder: Folder,
    pub(crate) extend_to: Option<u64>,
}

/// Resolves `args` into a plan with its folder staged or reopened.
pub(crate) fn plan(args: &TrainArgs) -> Result<Plan> {
    if args.resume.is_some() {
        resume_plan(args)
    } else {
        fresh_plan(args, args.device_choice()?)
    }
}

fn fresh_plan(args: &TrainArgs, device: DeviceChoice) -> Result<Plan> {
    if args.episodes.is_some() && args.total_steps.is_some() {
        bail!("--episodes and --total-steps conflict: give one");
    }
    let config_path = args
        .config
        .as_deref()
        .context("--config FILE is required (or --resume RUN_DIR)")?;
    if wants_sac(args, config_path)? {
        return Ok(Plan::Sac(Box::new(fresh_sac_plan(
            args,
            device,
            config_path,
        )?)));
    }
    let source = load_run_config(config_path)?;
    let algorithm = match &source {
        RunSource::Classic(_) => args.check_algorithm()?,
        RunSource::Task(_) => String::new(),
    };
    let mut cfg = match source {
        RunSource::Classic(cfg) => *cfg,
        RunSource::Task(task) => {
            return Ok(Plan::Task(Box::new(fresh_task_plan(
                args,
                device,
                config_path,
                *task,
            )?)));
        }
    };
    args.refuse_reward_overrides()?;
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
    if let Some(env) = &args.env {
        cfg.env_id.clone_from(env);
    }
    envs::make(&cfg.env_id).map_err(|e| anyhow!("--env/env_id: {e}"))?;
    let init_from = match &args.init_from {
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
    if let Some(seed) = args.seed {
        cfg.seed = seed;
    }
    if let Some(steps) = args.total_steps {
        cfg.ppo.total_timesteps = steps;
    }
    if let Some(n) = args.num_envs {
        cfg.ppo.num_envs = n;
    }
    if let Some(n) = args.eval_episodes {
        cfg.eval_episodes = n;
    }
    ensure!(cfg.eval_episodes > 0, "eval_episodes must be at least 1");
    if args.episodes == Some(0) {
        bail!("--episodes must be at least 1");
    }
    cfg.ppo
        .validate()
        .map_err(|e| anyhow!("{}: {e}", config_path.display()))?;
    let (convergence_return, eval_every) =
        classic_schedule(args, &cfg.env_id, cfg.ppo.num_updates())?;
    let resolved = ResolvedConfig {
        env_id: cfg.env_id.clone(),
        seed: cfg.seed,
        eval_episodes: cfg.eval_episodes,
        ppo: cfg.ppo,
        run: RunOptions {
            algorithm: algorithm.clone(),
            device: device.to_string(),
            eval_every,
            max_episodes: args.episodes,
            stop_on_convergence: args.stop_on_convergence,
            convergence_return,
            track_data_value: args.track_data_value,
            enable_tiering: args.enable_tiering,
            init_from: init_from.as_ref().map(|p| p.display().to_string()),
            source_config: config_path.display().to_string(),
        },
    };
    let yaml = serde_saphyr::to_string(&resolved).context("writing the resolved config")?;
    let path = match &args.run_dir {
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
    Ok(Plan::Classic(Box::new(ClassicPlan {
        resolved,
        yaml,
        folder: Folder::Staged(staged),
        init_from,
        extend_to: None,
    })))
}

fn resume_plan(args: &TrainArgs) -> Result<Plan> {
    let dir = args.resume.as_deref().context("--resume RUN_DIR")?;
    let run = RunDir::open(dir)?;
    if let Some(config) = &args.config {
        let same = config.canonicalize().ok() == run.config_path().canonicalize().ok();
        ensure!(
            same,
            "--resume {} conflicts with --config {}: a resumed run keeps its own config",
            dir.display(),
            config.display()
        );
    }
    let fixed = [
        ("--env", args.env.is_some()),
        ("--seed", args.seed.is_some()),
        ("--num-envs", args.num_envs.is_some()),
        ("--run-dir", args.run_dir.is_some()),
        ("--init-from", args.init_from.is_some()),
        ("--episodes", args.episodes.is_some()),
        ("--eval-episodes", args.eval_episodes.is_some()),
        ("--eval-every", args.eval_every.is_some()),
        ("--dagger-rounds", args.dagger_rounds.is_some()),
    ];
    if let Some((flag, _)) = fixed.iter().find(|(_, g)| *g) {
        bail!("--resume conflicts with {flag}: a resumed run keeps its own config");
    }
    args.refuse_reward_overrides()?;
    upgrade_run_config(&run)?;
    let text = std::fs::read_to_string(run.config_path())?;
    if TaskConfig::is_task_config_text(&text) {
        let plan = resume_task_plan(run, args.total_steps)?;
        if let Some(a) = &args.algorithm {
            let trained = &plan.options.algorithm;
            ensure!(a == trained, "--resume: the run was trained with {trained}");
        }
        return Ok(Plan::Task(Box::new(plan)));
    }
    if is_sac_run(&text)? {
        return Ok(Plan::Sac(Box::new(resume_sac_plan(args, run)?)));
    }
    let resolved: ResolvedConfig = run.load_config()?;
    if let Some(a) = &args.algorithm {
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
    let extend_to = match args.total_steps {
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
    Ok(Plan::Classic(Box::new(ClassicPlan {
        resolved,
        yaml,
        folder: Folder::Resume(run),
        init_from: None,
        extend_to,
    })))
}

/// A run folder written before `ppo.fine_tune:` existed has the fine-tune
/// keys flat under `ppo:`: nest them and rewrite `config.yaml` so the run
/// resumes (its checkpoints are read the same way by `policies`).
fn upgrade_run_config(run: &RunDir) -> Result<()> {
    let path = run.config_path();
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut doc: serde_json::Value = serde_saphyr::from_str(&text)
        .with_context(|| format!("{}: not a YAML mapping", path.display()))?;
    let Some(ppo) = doc.get_mut("ppo") else {
        return Ok(());
    };
    if policies::nest_flat_keys(ppo) {
        let yaml = serde_saphyr::to_string(&doc).context("writing the upgraded config")?;
        policies::write_atomic(&path, yaml.as_bytes())?;
        eprintln!(
            "{}: moved the fine-tune keys under ppo.fine_tune (the layout since this version)",
            path.display()
        );
    }
    Ok(())
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
    if TaskConfig::is_task_config_text(&text) {
        let task = economics::TaskConfig::from_yaml_str(&text, file).map_err(|e| anyhow!("{e}"))?;
        return Ok(RunSource::Task(Box::new(task)));
    }
    PpoRunConfig::from_yaml_str(&text, &file)
        .map(|cfg| RunSource::Classic(Box::new(cfg)))
        .map_err(|e| anyhow!(e))
}

/// The mean evaluation return that counts as converged, where the env has
/// one (Gymnasium's `reward_threshold`).
fn convergence_return(env_id: &str) -> Option<f64> {
    envs::spec(env_id).ok().and_then(|s| s.reward_threshold)
}

/// Raises a run's step budget: the checkpoint's PPO config and `config.yaml`
/// get the new `total_timesteps` (the learning-rate schedule is re-targeted).
pub(crate) fn extend_checkpoint(run: &RunDir, steps: u64) -> Result<()> {
    let mut ckpt = Checkpoint::load(&run.model_latest_path())?;
    ckpt.set_total_timesteps(steps)?;
    let mut resolved: ResolvedConfig = run.load_config()?;
    resolved.ppo.total_timesteps = steps;
    let yaml = serde_saphyr::to_string(&resolved)?;
    policies::write_atomic(&run.config_path(), yaml.as_bytes())?;
    ckpt.save(&run.checkpoints_dir(), "model_latest")?;
    Ok(())
}

/// Resolves a fresh task run from `vp train` arguments and the parsed
/// task config at `path`, and stages its run folder.
fn fresh_task_plan(
    args: &TrainArgs,
    device: DeviceChoice,
    path: &Path,
    mut config: TaskConfig,
) -> Result<TaskPlan> {
    let file = path.display().to_string();
    let algorithm = match args.algorithm.as_deref().unwrap_or("ppo") {
        "ppo" => "ppo",
        "sac" => "sac",
        "bc" => "bc",
        "chunk" => "chunk",
        "diffusion" => "diffusion",
        other => bail!("unknown algorithm `{other}` (expected ppo, sac, bc, chunk or diffusion)"),
    };
    let chunked = algorithm == "chunk" || algorithm == "diffusion";
    ensure!(
        algorithm == "ppo" || chunked || args.init_from.is_none(),
        "--init-from starts PPO, action chunking or diffusion from a checkpoint; --algorithm \
         {algorithm} takes none"
    );
    ensure!(
        algorithm != "bc" || args.episodes.is_none(),
        "--episodes stops an RL run after that many training episodes; --algorithm bc runs \
         its DAgger rounds (--dagger-rounds)"
    );
    ensure!(
        !chunked || args.episodes.is_none(),
        "--episodes stops an RL run after that many training episodes; --algorithm {algorithm} \
         trains offline for --total-steps gradient steps"
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
    match args.total_steps {
        // Offline learners count gradient steps, in their own section.
        Some(steps) if chunked => set_section_key(&mut config.chunk, "gradient_steps", steps)
            .with_context(|| format!("{file}: chunk"))?,
        Some(steps) => config.training.total_steps = steps,
        None => {}
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
        config.reward.schedule = s.parse().map_err(|e| anyhow!("--gamma-schedule {e}"))?;
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

    // A SAC run neither reads nor completes the `ppo:` section.
    let (mut ppo, sac) = match algorithm {
        "sac" => (
            PpoConfig::default(),
            Some(SacConfig::for_task(&config, &file).map_err(|e| anyhow!("{e}"))?),
        ),
        _ => (
            PpoConfig::for_task(&config, &file).with_context(|| format!("{file}: ppo"))?,
            None,
        ),
    };
    // Steps per update (PPO) or iteration (SAC).
    let iteration_steps = sac
        .as_ref()
        .map_or(ppo.batch_size() as u64, |s| s.steps_per_iteration);

    // A bad chunk: (or diffusion:) section fails here, before any folder
    // exists. A diffusion run's budget is diffusion.total_gradient_steps
    // unless --total-steps says otherwise; the resolved config records it.
    let chunk = match algorithm {
        "chunk" => Some(ChunkConfig::from_section(&config.chunk, &file)?),
        "diffusion" => {
            let (_, diffusion) = diffusion_chunk_config(&config, &file)?;
            if args.total_steps.is_none() {
                set_section_key(
                    &mut config.chunk,
                    "gradient_steps",
                    diffusion.total_gradient_steps,
                )
                .with_context(|| format!("{file}: chunk"))?;
            }
            Some(diffusion_chunk_config(&config, &file)?.0)
        }
        _ => None,
    };
    let eval_every_updates = match args.eval_every {
        Some(0) => bail!("--eval-every must be at least 1"),
        Some(n) => n,
        None => match &chunk {
            // A tenth of the run's iterations (blocks of gradient steps).
            Some(chunk) => chunk.iterations().div_ceil(10).max(1),
            None => config
                .training
                .eval_interval
                .div_ceil(iteration_steps)
                .max(1),
        },
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
            if chunked {
                ensure!(
                    ckpt.meta.algorithm == algorithm,
                    "--init-from {}: written by `{}`; --algorithm {algorithm} fine-tunes a \
                     `{algorithm}` checkpoint",
                    p.display(),
                    ckpt.meta.algorithm
                );
            } else if policies::is_chunk_checkpoint(&ckpt) {
                // PPO fine-tunes a chunked policy as a residual on it,
                // recorded (path and checksum) for resume and evaluate.
                let scale = ppo.fine_tune.residual.as_ref().map_or(0.1, |r| r.scale);
                ppo.fine_tune.residual = Some(
                    policies::ResidualSpec::on(&ckpt, p, scale)
                        .map_err(|e| anyhow!("--init-from: {e}"))?,
                );
                ppo.fine_tune
                    .validate(ppo.normalize_observation)
                    .map_err(|e| anyhow!("{file}: {e}"))?;
            }
            Some(p.display().to_string())
        }
        None => None,
    };
    ensure!(
        algorithm != "ppo"
            || ppo
                .fine_tune
                .residual
                .as_ref()
                .is_none_or(|r| r.base.is_some()),
        "{file}: ppo.fine_tune.residual fine-tunes a chunked policy; give its checkpoint with \
         --init-from"
    );
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
    match &sac {
        Some(sac) => config.sac = serde_json::to_value(sac)?,
        None => config.ppo = serde_json::to_value(&ppo)?,
    }
    config.run = serde_json::to_value(&options)?;
    let yaml = serde_saphyr::to_string(&config).context("writing the resolved config")?;
    // Build one env now so a bad `env:` section fails before any folder exists.
    envs::task_env_from_yaml(&env_id, &yaml, &file)?;
    let run_path = match &args.run_dir {
        Some(p) => p.clone(),
        None => default_run_path(&env_id, algorithm, config.training.seed),
    };
    let staged = RunDir::stage(&run_path, &yaml)?;
    Ok(TaskPlan {
        config,
        options,
        ppo,
        sac,
        yaml,
        folder: Folder::Staged(staged),
        extend_to: None,
    })
}

/// Reopens a task run for `--resume` (flags were checked by the caller).
fn resume_task_plan(run: RunDir, total_steps: Option<u64>) -> Result<TaskPlan> {
    let yaml = std::fs::read_to_string(run.config_path())
        .with_context(|| format!("reading {}", run.config_path().display()))?;
    let file = run.config_path().display().to_string();
    let config = TaskConfig::from_yaml_str(&yaml, &file).map_err(|e| anyhow!("{e}"))?;
    let options: TaskRunOptions =
        serde_json::from_value(config.run.clone()).map_err(|e| anyhow!("{file}: run: {e}"))?;
    let ppo = PpoConfig::from_section(&config.ppo, &file).map_err(|e| anyhow!("{e}"))?;
    let sac = match options.algorithm.as_str() {
        "sac" => Some(SacConfig::from_section(&config.sac, &file).map_err(|e| anyhow!("{e}"))?),
        _ => None,
    };
    Ok(TaskPlan {
        config,
        options,
        ppo,
        sac,
        yaml,
        folder: Folder::Resume(run),
        extend_to: total_steps,
    })
}

/// Raises a task run's step budget in its checkpoint and `config.yaml`.
pub(crate) fn extend_task_run(run: &RunDir, ckpt: &Checkpoint, steps: u64) -> Result<()> {
    let mut ckpt = ckpt.clone();
    ckpt.set_total_timesteps(steps)?;
    let text = std::fs::read_to_string(run.config_path())?;
    let file = run.config_path().display().to_string();
    let mut task = TaskConfig::from_yaml_str(&text, &file).map_err(|e| anyhow!("{e}"))?;
    task.training.total_steps = steps;
    if let Some(ppo) = task.ppo.as_object_mut() {
        ppo.insert("total_timesteps".to_owned(), serde_json::Value::from(steps));
    }
    if let Some(sac) = task.sac.as_object_mut() {
        sac.insert("total_timesteps".to_owned(), serde_json::Value::from(steps));
    }
    let yaml = serde_saphyr::to_string(&task)?;
    policies::write_atomic(&run.config_path(), yaml.as_bytes())?;
    ckpt.save(&run.checkpoints_dir(), "model_latest")?;
    Ok(())
}

/// The `diffusion:` section of a task config, parsed strictly and
/// validated, and the learner's chunk settings for it: the `chunk:`
/// section's windows, execution and budget (`gradient_steps`) with the
/// diffusion section's batch size.
pub(crate) fn diffusion_chunk_config(
    config: &TaskConfig,
    file: &str,
) -> Result<(ChunkConfig, DiffusionConfig)> {
    let section = if config.diffusion.is_null() {
        serde_json::json!({})
    } else {
        config.diffusion.clone()
    };
    let diffusion: DiffusionConfig =
        serde_json::from_value(section).map_err(|e| anyhow!("{file}: diffusion: {e}"))?;
    diffusion.validate().map_err(|e| anyhow!("{file}: {e}"))?;
    let mut chunk = ChunkConfig::from_section(&config.chunk, file)?;
    chunk.batch_size = diffusion.batch_size;
    Ok((chunk, diffusion))
}

/// Raises a chunk run's budget of gradient steps in its `config.yaml`
/// (`chunk.gradient_steps`); the learner records it in its next checkpoint.
pub(crate) fn extend_chunk_run(run: &RunDir, steps: u64) -> Result<()> {
    let text = std::fs::read_to_string(run.config_path())?;
    let file = run.config_path().display().to_string();
    let mut task = TaskConfig::from_yaml_str(&text, &file).map_err(|e| anyhow!("{e}"))?;
    set_section_key(&mut task.chunk, "gradient_steps", steps)
        .with_context(|| format!("{file}: chunk"))?;
    let yaml = serde_saphyr::to_string(&task)?;
    policies::write_atomic(&run.config_path(), yaml.as_bytes())?;
    Ok(())
}

/// `key = value` in a config section (created where absent).
fn set_section_key(section: &mut serde_json::Value, key: &str, value: u64) -> Result<()> {
    if section.is_null() {
        *section = serde_json::json!({});
    }
    section
        .as_object_mut()
        .context("is not a mapping")?
        .insert(key.to_owned(), serde_json::Value::from(value));
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

/// `runs/<env>__<algo>__<seed>__<timestamp>`.
fn default_run_path(env_id: &str, algorithm: &str, seed: u64) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    RunDir::default_path(Path::new("runs"), env_id, algorithm, seed, secs)
}

/// A classic SAC run folder's `config.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SacResolvedConfig {
    /// Registered env id.
    pub env_id: String,
    /// Seed of the learner and the envs.
    pub seed: u64,
    /// Episodes per evaluation.
    pub eval_episodes: usize,
    /// SAC hyperparameters.
    pub sac: SacConfig,
    /// Run options.
    pub run: RunOptions,
}

/// A classic SAC run, resolved.
pub(crate) struct SacPlan {
    pub(crate) resolved: SacResolvedConfig,
    pub(crate) yaml: String,
    pub(crate) folder: Folder,
}

/// Whether `vp train` trains SAC on the classic run config at `path`:
/// `--algorithm sac`, or no `--algorithm` and a file with a `sac:` section
/// but no `ppo:` one. Task configs choose in their own plan.
fn wants_sac(args: &TrainArgs, path: &Path) -> Result<bool> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if TaskConfig::is_task_config_text(&text) {
        return Ok(false);
    }
    let section = |key: &str| text.lines().any(|l| l.starts_with(&format!("{key}:")));
    Ok(match args.algorithm.as_deref() {
        Some(a) => a == "sac",
        None => section("sac") && !section("ppo"),
    })
}

/// Whether a classic run folder's `config.yaml` text is a SAC run's.
fn is_sac_run(text: &str) -> Result<bool> {
    let doc: serde_json::Value =
        serde_saphyr::from_str(text).context("the run's config.yaml is not a YAML mapping")?;
    Ok(doc.pointer("/run/algorithm").and_then(|a| a.as_str()) == Some("sac"))
}

/// Refuses SAC on an env whose actions are not a bounded Box.
fn check_action_space(env_id: &str) -> Result<()> {
    let env = envs::make(env_id).map_err(|e| anyhow!("--env/env_id: {e}"))?;
    if let Space::Discrete { n } = env.action_space() {
        bail!(
            "--algorithm sac needs a continuous (Box) action space; {env_id} has Discrete({n}): \
             use --algorithm ppo"
        );
    }
    policies::sac::action_scale_bias(env.action_space()).map_err(|e| anyhow!("{env_id}: {e}"))?;
    Ok(())
}

/// Resolves a fresh classic SAC run and stages its folder.
fn fresh_sac_plan(args: &TrainArgs, device: DeviceChoice, path: &Path) -> Result<SacPlan> {
    if args.episodes.is_some() && args.total_steps.is_some() {
        bail!("--episodes and --total-steps conflict: give one");
    }
    args.refuse_reward_overrides()?;
    ensure!(
        args.init_from.is_none(),
        "--init-from starts PPO from a checkpoint; --algorithm sac takes none"
    );
    ensure!(
        args.dagger_rounds.is_none(),
        "--dagger-rounds sets behaviour cloning's DAgger rounds; it needs --algorithm bc"
    );
    let file = path.display().to_string();
    let mut cfg = SacRunConfig::from_yaml_file(path).map_err(|e| anyhow!(e))?;
    if let Some(env) = &args.env {
        cfg.env_id.clone_from(env);
    }
    check_action_space(&cfg.env_id)?;
    if let Some(seed) = args.seed {
        cfg.seed = seed;
    }
    if let Some(steps) = args.total_steps {
        cfg.sac.total_timesteps = steps;
    }
    if let Some(n) = args.num_envs {
        cfg.sac.num_envs = n;
    }
    if let Some(n) = args.eval_episodes {
        cfg.eval_episodes = n;
    }
    ensure!(cfg.eval_episodes > 0, "eval_episodes must be at least 1");
    if args.episodes == Some(0) {
        bail!("--episodes must be at least 1");
    }
    cfg.sac.validate().map_err(|e| anyhow!("{file}: {e}"))?;
    let (convergence_return, eval_every) =
        classic_schedule(args, &cfg.env_id, cfg.sac.num_iterations())?;
    let resolved = SacResolvedConfig {
        env_id: cfg.env_id.clone(),
        seed: cfg.seed,
        eval_episodes: cfg.eval_episodes,
        sac: cfg.sac,
        run: RunOptions {
            algorithm: "sac".to_owned(),
            device: device.to_string(),
            eval_every,
            max_episodes: args.episodes,
            stop_on_convergence: args.stop_on_convergence,
            convergence_return,
            track_data_value: args.track_data_value,
            enable_tiering: args.enable_tiering,
            init_from: None,
            source_config: file,
        },
    };
    let yaml = serde_saphyr::to_string(&resolved).context("writing the resolved config")?;
    let run_path = match &args.run_dir {
        Some(p) => p.clone(),
        None => default_run_path(&resolved.env_id, "sac", resolved.seed),
    };
    let staged = RunDir::stage(&run_path, &yaml)?;
    Ok(SacPlan {
        resolved,
        yaml,
        folder: Folder::Staged(staged),
    })
}

/// Reopens a classic SAC run for `--resume` (the flags a resumed run
/// refuses were checked by the caller); `--total-steps` raises the budget
/// in its `config.yaml`.
fn resume_sac_plan(args: &TrainArgs, run: RunDir) -> Result<SacPlan> {
    let mut resolved: SacResolvedConfig = run.load_config()?;
    if let Some(a) = &args.algorithm {
        ensure!(a == "sac", "--resume: the run was trained with sac");
    }
    let ckpt = Checkpoint::load(&run.model_latest_path()).map_err(|e| anyhow!("--resume: {e}"))?;
    ensure!(
        ckpt.meta.env_id == resolved.env_id,
        "--resume: checkpoint written for env `{}`, the run trains `{}`",
        ckpt.meta.env_id,
        resolved.env_id
    );
    if let Some(steps) = args.total_steps {
        ensure!(
            steps > ckpt.meta.global_step,
            "--total-steps {steps}: the run is already at step {}",
            ckpt.meta.global_step
        );
        resolved.sac.total_timesteps = steps;
        resolved
            .sac
            .validate()
            .map_err(|e| anyhow!("--total-steps: {e}"))?;
        let yaml = serde_saphyr::to_string(&resolved)?;
        policies::write_atomic(&run.config_path(), yaml.as_bytes())?;
    }
    let yaml = std::fs::read_to_string(run.config_path())?;
    Ok(SacPlan {
        resolved,
        yaml,
        folder: Folder::Resume(run),
    })
}

/// A classic-control run's convergence return (refusing
/// `--stop-on-convergence` where the env has none) and its evaluation
/// cadence: `--eval-every`, or a tenth of its `iterations`.
fn classic_schedule(args: &TrainArgs, env_id: &str, iterations: u64) -> Result<(Option<f64>, u64)> {
    let convergence_return = convergence_return(env_id);
    if args.stop_on_convergence && convergence_return.is_none() {
        bail!("--stop-on-convergence: no convergence criterion for {env_id}");
    }
    let eval_every = match args.eval_every {
        Some(0) => bail!("--eval-every must be at least 1"),
        Some(n) => n,
        None => iterations.div_ceil(10).max(1),
    };
    Ok((convergence_return, eval_every))
}
