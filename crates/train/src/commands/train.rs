//! `vp train`: resolve the command line ([`super::train_plan`]), build the
//! learner, hand it to a [`runs::Session`], print.
//!
//! - a classic-control run config (`configs/cartpole.yaml`) trains
//!   [`policies::ClassicPpoLearner`]; evaluations log returns, and
//!   `--stop-on-convergence` on `CartPole-v1` stops at a mean evaluation
//!   return of 475 (Gymnasium's `reward_threshold`);
//! - a task config (`configs/dishwashing.yaml`) trains
//!   [`policies::TaskPpoLearner`] under the economic reward, or with
//!   `--algorithm bc` clones the task's scripted expert with DAgger
//!   ([`policies::TaskBcLearner`]); training episodes are scored into
//!   `training_metrics.csv`, evaluations into `eval.csv`, `model_best` is
//!   kept by evaluation wage parity;
//! - `--algorithm sac` trains [`policies::SacLearner`] on either kind of
//!   config. A SAC run's budget is the one in its `config.yaml`
//!   (`--total-steps` on resume raises it there), so a SAC checkpoint,
//!   whose replay buffer is large, is never rewritten to extend a run.
//!
//! Ctrl-C finishes the iteration in progress, writes `model_latest` and
//! exits with 130; `--resume RUN_DIR` continues from it.

use anyhow::{Context, Result, anyhow, ensure};
use burn::tensor::backend::AutodiffBackend;
use economics::TaskConfig;
use policies::{
    Checkpoint, ChunkConfig, ChunkHead, ChunkHeadConfig, ChunkModel, ChunkRun, ChunkShape,
    ClassicPpoLearner, DiffusionConfig, DiffusionPolicy, Ppo, Sac, SacLearner, TaskBcLearner,
    TaskChunkLearner, TaskPpoLearner, WithBackend, import_params,
};
use runs::{
    BestBy, Convergence, EvalSummary, Iteration, Reporter, Session, SessionConfig, SessionEnd,
    Shutdown, Start, hparams_of,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use super::train_args::TrainArgs;
use super::train_plan::{
    ClassicPlan, Folder, Plan, RunOptions, SacPlan, TaskPlan, diffusion_chunk_config,
    extend_checkpoint, extend_chunk_run, extend_task_run,
};
use crate::out::outln;
use crate::progress::Progress;

/// Resolves the config, stages the run folder and trains.
pub fn run(args: TrainArgs) -> Result<ExitCode> {
    let device = args.device_choice()?;
    match super::train_plan::plan(&args)? {
        Plan::Classic(plan) => policies::run_on(device, *plan).map_err(|e| anyhow!(e))?,
        Plan::Task(plan) => policies::run_on(device, *plan).map_err(|e| anyhow!(e))?,
        Plan::Sac(plan) => policies::run_on(device, *plan).map_err(|e| anyhow!(e))?,
    }
}

impl WithBackend for ClassicPlan {
    type Output = Result<ExitCode>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let ClassicPlan {
            resolved,
            yaml,
            folder,
            init_from,
            extend_to,
        } = self;
        let best_by = BestBy::MeanReturn;
        let (ppo, start) = match folder {
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
                let start = Start::Fresh {
                    staged,
                    hparams: hparams_of(&serde_json::to_value(&resolved)?),
                    config_yaml: yaml,
                };
                (ppo, start)
            }
            Folder::Resume(run) => {
                if let Some(steps) = extend_to {
                    extend_checkpoint(&run, steps)?;
                }
                let latest = run.model_latest_path();
                let ppo = Ppo::<B>::resume(&latest, &device)?;
                let metrics = latest_metrics(&latest)?;
                let start = resume_start(run, ppo.global_step(), metrics, best_by)?;
                (ppo, start)
            }
        };
        let config = classic_session(&resolved.run, best_by);
        let mut learner = ClassicPpoLearner::new(ppo, resolved.eval_episodes, resolved.seed);
        let total = learner.ppo().config().total_timesteps;
        let (end, root) = drive(start, config, &mut learner, total, Kind::Returns)?;
        let eval = end.last_eval.map_or_else(
            || "no evaluation".to_owned(),
            |s| format!("eval mean return {:.1}", s.mean_return),
        );
        let why = if end.converged && resolved.run.stop_on_convergence {
            " (converged)"
        } else {
            ""
        };
        finish(&end, &root, &format!("{why}, {eval}"))
    }
}

impl WithBackend for TaskPlan {
    type Output = Result<ExitCode>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        match self.options.algorithm.as_str() {
            "bc" => return run_bc::<B>(self, &device),
            "sac" => return run_task_sac::<B>(self, &device),
            _ => {}
        }
        if self.options.algorithm == "chunk" {
            return run_chunk::<B>(self, &device);
        }
        if self.options.algorithm == "diffusion" {
            return run_diffusion::<B>(self, &device);
        }
        let TaskPlan {
            config,
            options,
            ppo,
            yaml,
            folder,
            extend_to,
            sac: _,
        } = self;
        let env_id = options.env_id.clone();
        let best_by = BestBy::WageParity;
        let session_config = SessionConfig::for_task(
            &config,
            options.eval_every_updates,
            options.max_episodes,
            options.stop_on_convergence,
        )?;
        let (mut learner, start) = match folder {
            Folder::Staged(staged) => {
                let hparams = task_hparams(&config)?;
                let init_from = options.init_from.as_deref().map(Path::new);
                let learner = TaskPpoLearner::<B>::fresh(
                    ppo,
                    config,
                    yaml.clone(),
                    &env_id,
                    init_from,
                    &device,
                );
                let learner = match init_from {
                    Some(path) => {
                        learner.with_context(|| format!("--init-from {}", path.display()))?
                    }
                    None => learner?,
                };
                let start = Start::Fresh {
                    staged,
                    config_yaml: yaml,
                    hparams,
                };
                (learner, start)
            }
            Folder::Resume(run) => {
                let latest = run.model_latest_path();
                let ckpt = Checkpoint::load(&latest).map_err(|e| anyhow!("--resume: {e}"))?;
                if let Some(steps) = extend_to {
                    anyhow::ensure!(
                        steps > ckpt.meta.global_step,
                        "--total-steps {steps}: the run is already at step {}",
                        ckpt.meta.global_step
                    );
                    extend_task_run(&run, &ckpt, steps)?;
                }
                let anchor = options
                    .init_from
                    .as_deref()
                    .map(|p| (Path::new(p), options.init_from_fnv1a64.as_deref()));
                let learner = TaskPpoLearner::<B>::resume(
                    &latest, ppo, config, yaml, &env_id, anchor, &device,
                )
                .with_context(|| format!("--resume {}", run.root().display()))?;
                // The checkpoint read for the step check above: extending
                // the budget leaves its metrics as they are.
                let step = learner.ppo().global_step();
                let start = resume_start(run, step, ckpt.meta.metrics, best_by)?;
                (learner, start)
            }
        };
        let total = learner.ppo().config().total_timesteps;
        let (end, root) = drive(start, session_config, &mut learner, total, Kind::Economics)?;
        let eval = end.last_eval.map_or_else(
            || "no evaluation".to_owned(),
            |s| {
                format!(
                    "eval MP_r {:.2}/h, wage parity {:.3}",
                    s.mp_r.mean, s.wage_parity.mean
                )
            },
        );
        let why = if end.converged && options.stop_on_convergence {
            " (converged: parity reached)"
        } else {
            ""
        };
        finish(&end, &root, &format!("{why}, {eval}"))
    }
}

impl WithBackend for SacPlan {
    type Output = Result<ExitCode>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let SacPlan {
            resolved,
            yaml,
            folder,
        } = self;
        let best_by = BestBy::MeanReturn;
        let (sac, start) = match folder {
            Folder::Staged(staged) => {
                let sac = Sac::<B>::new(
                    resolved.sac.clone(),
                    &resolved.env_id,
                    resolved.seed,
                    &device,
                )?;
                let start = Start::Fresh {
                    staged,
                    hparams: hparams_of(&serde_json::to_value(&resolved)?),
                    config_yaml: yaml,
                };
                (sac, start)
            }
            Folder::Resume(run) => {
                let latest = run.model_latest_path();
                let mut sac = Sac::<B>::resume(&latest, &device)
                    .with_context(|| format!("--resume {}", run.root().display()))?;
                sac.set_total_timesteps(resolved.sac.total_timesteps)?;
                let metrics = latest_metrics(&latest)?;
                let start = resume_start(run, sac.global_step(), metrics, best_by)?;
                (sac, start)
            }
        };
        let config = classic_session(&resolved.run, best_by);
        let total = resolved.sac.total_timesteps;
        let mut learner = SacLearner::classic(sac, resolved.eval_episodes, resolved.seed);
        let (end, root) = drive(start, config, &mut learner, total, Kind::Returns)?;
        let eval = end.last_eval.map_or_else(
            || "no evaluation".to_owned(),
            |s| format!("eval mean return {:.1}", s.mean_return),
        );
        let why = if end.converged && resolved.run.stop_on_convergence {
            " (converged)"
        } else {
            ""
        };
        finish(&end, &root, &format!("{why}, {eval}"))
    }
}

/// `--algorithm sac` on a task config: the economic env copies, scored
/// training episodes, evaluations by wage parity, as PPO's task runs.
pub(crate) fn run_task_sac<B: AutodiffBackend>(
    plan: TaskPlan,
    device: &B::Device,
) -> Result<ExitCode> {
    let TaskPlan {
        config,
        options,
        sac,
        yaml,
        folder,
        extend_to,
        ..
    } = plan;
    let sac = sac.context("a SAC task run without a sac: section")?;
    let env_id = options.env_id.clone();
    let session_config = SessionConfig::for_task(
        &config,
        options.eval_every_updates,
        options.max_episodes,
        options.stop_on_convergence,
    )?;
    let (mut learner, start) = match folder {
        Folder::Staged(staged) => {
            let hparams = task_hparams(&config)?;
            let learner =
                SacLearner::<B>::task(sac.clone(), config, yaml.clone(), &env_id, device)?;
            let start = Start::Fresh {
                staged,
                config_yaml: yaml,
                hparams,
            };
            (learner, start)
        }
        Folder::Resume(run) => {
            let latest = run.model_latest_path();
            let ckpt = Checkpoint::load(&latest).map_err(|e| anyhow!("--resume: {e}"))?;
            let total = match extend_to {
                Some(steps) => {
                    ensure!(
                        steps > ckpt.meta.global_step,
                        "--total-steps {steps}: the run is already at step {}",
                        ckpt.meta.global_step
                    );
                    extend_task_config(&run, steps)?;
                    steps
                }
                None => sac.total_timesteps,
            };
            let mut learner =
                SacLearner::<B>::task_resume(&latest, &sac, config, yaml, &env_id, device)
                    .with_context(|| format!("--resume {}", run.root().display()))?;
            learner.set_total_timesteps(total)?;
            let step = runs::Learner::global_step(&learner);
            let start = resume_start(run, step, ckpt.meta.metrics, BestBy::WageParity)?;
            (learner, start)
        }
    };
    let total = learner.config().total_timesteps;
    let (end, root) = drive(start, session_config, &mut learner, total, Kind::Economics)?;
    let eval = end.last_eval.map_or_else(
        || "no evaluation".to_owned(),
        |s| {
            format!(
                "eval MP_r {:.2}/h, wage parity {:.3}",
                s.mp_r.mean, s.wage_parity.mean
            )
        },
    );
    let why = if end.converged && options.stop_on_convergence {
        " (converged: parity reached)"
    } else {
        ""
    };
    finish(&end, &root, &format!("{why}, {eval}"))
}

/// Raises a SAC task run's budget in its `config.yaml` (`training` and
/// `sac` sections); the checkpoint stays as it is.
fn extend_task_config(run: &runs::RunDir, steps: u64) -> Result<()> {
    let text = std::fs::read_to_string(run.config_path())?;
    let file = run.config_path().display().to_string();
    let mut task = TaskConfig::from_yaml_str(&text, &file).map_err(|e| anyhow!("{e}"))?;
    task.training.total_steps = steps;
    if let Some(sac) = task.sac.as_object_mut() {
        sac.insert("total_timesteps".to_owned(), serde_json::Value::from(steps));
    }
    let yaml = serde_saphyr::to_string(&task)?;
    policies::write_atomic(&run.config_path(), yaml.as_bytes())?;
    Ok(())
}

/// `--algorithm bc`: demonstrations and the first fit before the run
/// folder opens (a failure leaves nothing), then the DAgger rounds.
fn run_bc<B: AutodiffBackend>(plan: TaskPlan, device: &B::Device) -> Result<ExitCode> {
    let TaskPlan {
        config,
        options,
        ppo,
        yaml,
        folder,
        ..
    } = plan;
    let staged = match folder {
        Folder::Staged(staged) => staged,
        Folder::Resume(run) => anyhow::bail!(
            "--resume {}: a behaviour-cloning run trains in one go and has nothing to resume",
            run.root().display()
        ),
    };
    // Every fit is evaluated: iteration 0 and each DAgger round.
    let session_config = SessionConfig::for_task(&config, 1, None, options.stop_on_convergence)?;
    let hparams = task_hparams(&config)?;
    let mut learner = TaskBcLearner::<B>::start(
        config,
        yaml.clone(),
        &options.env_id,
        &ppo,
        options.demo_episodes,
        options.demo_skill,
        device,
    )?;
    let demos = learner.demos().clone();
    outln!(
        "{} expert demonstrations: {} pairs, {:.2} units per episode",
        demos.episodes,
        demos.pairs,
        demos.mean_units()
    );
    let start = Start::Fresh {
        staged,
        config_yaml: yaml,
        hparams,
    };
    let mut session = Session::open(start, session_config, install_shutdown()?)?;
    session.logger().tensorboard().add_text(
        "bc/demonstrations",
        &format!(
            "{} expert episodes at skill {}: {} (observation, action) pairs, units per episode \
             {:?}",
            demos.episodes, demos.skill, demos.pairs, demos.units
        ),
        0,
    )?;
    let root = session.run_dir().root().to_owned();
    let mut reporter = Printer {
        progress: None,
        kind: Kind::Clone,
    };
    let end = session.run(&mut learner, &mut reporter)?;
    let dagger = learner.dagger();
    let why = if end.converged && options.stop_on_convergence {
        " (converged: parity reached)"
    } else {
        ""
    };
    if let Some(last) = &end.last_eval {
        outln!(
            "{}: behaviour cloning on {} pairs ({} DAgger rounds){why}; eval MP_r {:.2}/h, wage \
             parity {:.3} [{:.3}, {:.3}] over {} episodes",
            root.display(),
            dagger.pairs(),
            dagger.rounds_done(),
            last.mp_r.mean,
            last.wage_parity.mean,
            last.wage_parity.lo,
            last.wage_parity.hi,
            last.episodes
        );
    }
    Ok(exit_code(&end, &root, false))
}

/// `--algorithm chunk`: the ACT-style chunk head of `chunk.head`.
fn run_chunk<B: AutodiffBackend>(plan: TaskPlan, device: &B::Device) -> Result<ExitCode> {
    let file = plan.options.source_config.clone();
    let chunk = ChunkConfig::from_section(&plan.config.chunk, &file)?;
    let seed = plan.config.training.seed;
    let build = |model: &serde_json::Value, shape: ChunkShape| {
        ChunkHead::<B>::new(ChunkHeadConfig::from_value(model)?, shape, device, seed)
    };
    let head = serde_json::to_value(&chunk.head)?;
    run_chunked(plan, chunk, head, build)
}

/// `--algorithm diffusion`: the diffusion policy of `diffusion:`, on the
/// windows and execution of `chunk:` (batch and budget from `diffusion:`).
fn run_diffusion<B: AutodiffBackend>(plan: TaskPlan, device: &B::Device) -> Result<ExitCode> {
    let file = plan.options.source_config.clone();
    let (chunk, diffusion) = diffusion_chunk_config(&plan.config, &file)?;
    let seed = plan.config.training.seed;
    let build = |model: &serde_json::Value, shape: ChunkShape| {
        let config: DiffusionConfig = serde_json::from_value(model.clone())
            .map_err(|e| policies::PolicyError::Dataset(format!("diffusion config: {e}")))?;
        DiffusionPolicy::<B>::new(config, shape, device, seed)
    };
    run_chunked(plan, chunk, serde_json::to_value(&diffusion)?, build)
}

/// A chunked policy (`--algorithm chunk`, `diffusion`) learnt offline:
/// the expert's episodes, the normalisers and the model (`build` from its
/// config and sizes) before the run folder opens (a failure leaves
/// nothing), then blocks of gradient steps; `--resume` continues exactly.
fn run_chunked<M: ChunkModel>(
    plan: TaskPlan,
    chunk: ChunkConfig,
    model_config: serde_json::Value,
    build: impl Fn(&serde_json::Value, ChunkShape) -> policies::Result<M>,
) -> Result<ExitCode> {
    let TaskPlan {
        config,
        options,
        yaml,
        folder,
        extend_to,
        ..
    } = plan;
    let session_config = SessionConfig::for_task(
        &config,
        options.eval_every_updates,
        None,
        options.stop_on_convergence,
    )?;
    let hparams = task_hparams(&config)?;
    let mut run = ChunkRun {
        task: config,
        yaml: yaml.clone(),
        env_id: options.env_id.clone(),
        total_steps: chunk.gradient_steps,
        chunk,
        algorithm: options.algorithm.clone(),
        model_config,
    };
    let (mut learner, start) = match folder {
        Folder::Staged(staged) => {
            let model_config = run.model_config.clone();
            let learner = match &options.init_from {
                Some(path) => TaskChunkLearner::fine_tune(run, Path::new(path), &build)
                    .with_context(|| format!("--init-from {path}"))?,
                None => TaskChunkLearner::start(
                    run,
                    options.demo_episodes,
                    options.demo_skill,
                    |shape| build(&model_config, shape),
                )?,
            };
            let demos = learner.demos();
            outln!(
                "{} expert demonstrations{}: {} steps, {:.2} units per episode; {} training \
                 windows",
                demos.episodes,
                options
                    .init_from
                    .as_ref()
                    .map_or(String::new(), |p| format!(" (the clone's, from {p})")),
                demos.steps,
                demos.units.iter().map(|&u| f64::from(u)).sum::<f64>()
                    / demos.units.len().max(1) as f64,
                learner.windows()
            );
            let start = Start::Fresh {
                staged,
                config_yaml: yaml,
                hparams,
            };
            (learner, start)
        }
        Folder::Resume(dir) => {
            let latest = dir.model_latest_path();
            let ckpt = Checkpoint::load(&latest).map_err(|e| anyhow!("--resume: {e}"))?;
            if let Some(steps) = extend_to {
                anyhow::ensure!(
                    steps > ckpt.meta.global_step,
                    "--total-steps {steps}: the run is already at gradient step {}",
                    ckpt.meta.global_step
                );
                extend_chunk_run(&dir, steps)?;
                run.total_steps = steps;
            }
            let learner = TaskChunkLearner::resume(run, &latest, &build)
                .with_context(|| format!("--resume {}", dir.root().display()))?;
            let step = learner.model().gradient_steps();
            let start = resume_start(dir, step, ckpt.meta.metrics, BestBy::WageParity)?;
            (learner, start)
        }
    };
    let total = learner.total_steps();
    let (end, root) = drive(start, session_config, &mut learner, total, Kind::Economics)?;
    let eval = end.last_eval.map_or_else(
        || "no evaluation".to_owned(),
        |s| {
            format!(
                "eval MP_r {:.2}/h (parity {:.3}), error rate {:.3}, wage parity {:.3}",
                s.mp_r.mean, s.productivity_parity.mean, s.error_rate, s.wage_parity.mean
            )
        },
    );
    finish(&end, &root, &format!(" (gradient steps), {eval}"))
}

/// The resolved task config's hyperparameters: every scalar but the env's
/// physics parameters.
pub(super) fn task_hparams(
    config: &economics::TaskConfig,
) -> Result<BTreeMap<String, runs::HParam>> {
    let mut resolved = serde_json::to_value(config)?;
    if let Some(map) = resolved.as_object_mut() {
        map.remove("env");
    }
    Ok(hparams_of(&resolved))
}

/// Where a resumed run's session starts: `model_latest`'s step and
/// metrics (read by the caller), and `model_best`'s best-by metric.
/// The metrics `model_latest` at `latest` was saved with.
fn latest_metrics(latest: &Path) -> Result<BTreeMap<String, f64>> {
    Ok(Checkpoint::load(latest)
        .map_err(|e| anyhow!("--resume: {e}"))?
        .meta
        .metrics)
}

/// The session of a classic-control run (PPO or SAC): its evaluation
/// cadence, episode cap and the env's convergence return, no economics.
fn classic_session(run: &RunOptions, best_by: BestBy) -> SessionConfig {
    SessionConfig {
        eval_every: run.eval_every,
        max_episodes: run.max_episodes,
        stop_on_convergence: run.stop_on_convergence,
        best_by,
        convergence: run
            .convergence_return
            .map_or(Convergence::Never, Convergence::MeanReturnAtLeast),
        scorer: None,
    }
}

fn resume_start(
    run: runs::RunDir,
    step: u64,
    latest_metrics: BTreeMap<String, f64>,
    best_by: BestBy,
) -> Result<Start> {
    let best = Checkpoint::load(&run.model_best_path())
        .ok()
        .and_then(|c| c.meta.metrics.get(best_by.metric()).copied());
    Ok(Start::Resume {
        run,
        step,
        latest_metrics,
        best,
    })
}

/// Opens the session and drives `learner` with a progress bar on stderr.
fn drive<L: runs::Learner>(
    start: Start,
    config: SessionConfig,
    learner: &mut L,
    total_steps: u64,
    kind: Kind,
) -> Result<(SessionEnd, std::path::PathBuf)> {
    let session = Session::open(start, config, install_shutdown()?)?;
    let root = session.run_dir().root().to_owned();
    let mut reporter = Printer {
        progress: Some(Progress::for_stderr(total_steps, learner.global_step())),
        kind,
    };
    let end = session.run(learner, &mut reporter);
    if let Some(p) = &reporter.progress {
        p.finish();
    }
    Ok((end.context("training")?, root))
}

/// Prints how an RL session ended and returns its exit code.
fn finish(end: &SessionEnd, root: &Path, what: &str) -> Result<ExitCode> {
    if end.ending == runs::Ending::Done {
        outln!(
            "{}: {} steps{what}, {:.0} steps/s",
            root.display(),
            end.steps,
            end.steps_per_second()
        );
    }
    Ok(exit_code(end, root, true))
}

/// 0 when done; 130 when interrupted, saying how to continue where the
/// run is `resumable` (a behaviour-cloning run is not).
fn exit_code(end: &SessionEnd, root: &Path, resumable: bool) -> ExitCode {
    match end.ending {
        runs::Ending::Done => ExitCode::SUCCESS,
        runs::Ending::Interrupted if resumable => {
            eprintln!(
                "interrupted at step {}; model_latest saved; continue with: vp train --resume {}",
                end.steps,
                root.display()
            );
            ExitCode::from(130)
        }
        runs::Ending::Interrupted => {
            eprintln!(
                "interrupted after {} pairs; model_latest (the last fit) saved in {}; a \
                 behaviour-cloning run cannot be resumed",
                end.steps,
                root.display()
            );
            ExitCode::from(130)
        }
    }
}

/// Ctrl-C as the session's stop flag; a second one aborts at once.
fn install_shutdown() -> Result<Shutdown> {
    Ok(Shutdown::install(|signal| match signal {
        runs::Interrupt::First => {
            eprintln!("\ninterrupt: saving a checkpoint, then stopping (Ctrl-C again to abort)");
        }
        runs::Interrupt::Again => {
            eprintln!("\nsecond interrupt: aborting without a checkpoint");
            std::process::exit(runs::ABORT_EXIT_CODE);
        }
    })?)
}

/// What an evaluation line shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Classic control: the mean return.
    Returns,
    /// PPO on a labour task: MP_r and parities.
    Economics,
    /// Behaviour cloning: economics after each fit.
    Clone,
}

/// The terminal side of a session: a progress bar and a line per
/// evaluation.
struct Printer {
    progress: Option<Progress>,
    kind: Kind,
}

impl Printer {
    /// A line on stderr beside the bar, or on stdout without one. A closed
    /// stdout does not stop training: the run's last line will say so.
    fn println(&self, line: &str) {
        match &self.progress {
            Some(p) => p.println(line),
            None => {
                use std::io::Write as _;
                let _ = writeln!(std::io::stdout().lock(), "{line}");
            }
        }
    }
}

impl Reporter for Printer {
    fn iteration(&mut self, it: &Iteration, latest: Option<&economics::EpisodeRecord>) {
        if let Some(note) = &it.note {
            self.println(note);
        }
        if let Some(p) = &self.progress {
            p.update(
                it.global_step,
                latest.map(|r| r.mp_r),
                latest.map(|r| r.wage_parity),
            );
        }
    }

    fn evaluation(&mut self, it: &Iteration, s: &EvalSummary) {
        let line = match self.kind {
            Kind::Returns => format!(
                "step {}: eval mean return {:.1} over {} episodes",
                s.step, s.mean_return, s.episodes
            ),
            Kind::Economics => format!(
                "step {}: eval MP_r {:.2}/h (parity {:.3}), wage parity {:.3} [{:.3}, {:.3}] \
                 over {} episodes",
                s.step,
                s.mp_r.mean,
                s.productivity_parity.mean,
                s.wage_parity.mean,
                s.wage_parity.lo,
                s.wage_parity.hi,
                s.episodes
            ),
            Kind::Clone => {
                let label = if it.index == 0 {
                    "the first fit".to_owned()
                } else {
                    format!("round {}", it.index)
                };
                format!(
                    "  eval after {label} ({} pairs): MP_r {:.2}/h, error rate {:.3}, wage \
                     parity {:.3} [{:.3}, {:.3}] over {} episodes",
                    s.step,
                    s.mp_r.mean,
                    s.error_rate,
                    s.wage_parity.mean,
                    s.wage_parity.lo,
                    s.wage_parity.hi,
                    s.episodes
                )
            }
        };
        self.println(&line);
    }
}
