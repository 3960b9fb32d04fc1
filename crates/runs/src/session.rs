//! `Session`: one training session in a run folder, the loop every learner
//! plugs into.
//!
//! A session opens a new run folder (committing the staged one, writing the
//! resolved config and hyperparameters to TensorBoard once) or resumes one
//! (trimming the logs to the checkpoint, continuing the episode series),
//! then drives a [`Learner`] iteration by iteration:
//!
//! 1. `iterate` → its scalars to TensorBoard; its finished episodes scored
//!    by the run's [`EpisodeScorer`] (task runs) into `training_metrics.csv`
//!    and `economics/*`;
//! 2. every `eval_every` iterations, at the last one and at iteration 0:
//!    `evaluate` → `eval.csv` and `eval/*` (and a frame), convergence;
//!    then the logs are committed and `model_latest` written, and
//!    `model_best` when the best-by metric improved (the first evaluation
//!    always makes one);
//! 3. stop on the learner's budget, `max_episodes`, convergence (if asked)
//!    or Ctrl-C (the iteration in progress finishes, the logs are committed
//!    and `model_latest` written).
//!
//! Logs are committed before each checkpoint, so a run killed at any moment
//! resumes with nothing lost and nothing duplicated (the resume protocol of
//! [`RunLogger`]).

use std::collections::BTreeMap;
use std::time::Instant;

use economics::{ConvergenceDetector, EpisodeRecord, EpisodeScorer, TaskConfig};

use crate::error::{Context, Result, ensure};
use crate::learner::{EpisodeSeries, Iteration, Learner};
use crate::{
    EvalSummary, HParam, ResumePoint, RunDir, RunLogger, RunStatus, RunsError, Shutdown,
    StagedRunDir,
};

/// Checkpoint metric: index of the last episode in `training_metrics.csv`.
pub const LAST_EPISODE_METRIC: &str = "run/last_episode";
/// Checkpoint metric: `MP_r` of that episode (the scorer's ΔMP baseline).
pub const PREVIOUS_MP_R_METRIC: &str = "run/previous_mp_r";

/// The evaluation metric that ranks `model_best`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BestBy {
    /// Mean evaluation return (`eval/mean_return`): classic control.
    MeanReturn,
    /// Mean evaluation wage parity (`eval/wage_parity`): labour tasks.
    WageParity,
}

impl BestBy {
    /// The checkpoint metric that records it.
    pub fn metric(self) -> &'static str {
        match self {
            BestBy::MeanReturn => "eval/mean_return",
            BestBy::WageParity => "eval/wage_parity",
        }
    }

    /// Its value in an evaluation.
    pub fn value(self, summary: &EvalSummary) -> f64 {
        match self {
            BestBy::MeanReturn => summary.mean_return,
            BestBy::WageParity => summary.wage_parity.mean,
        }
    }
}

/// When a run counts as converged.
#[derive(Debug, Clone)]
pub enum Convergence {
    /// Never (no criterion for this env).
    Never,
    /// Mean evaluation return at least this (Gymnasium's
    /// `reward_threshold`, e.g. 475 for `CartPole-v1`).
    MeanReturnAtLeast(f64),
    /// SPEC §2's parity criterion over consecutive evaluations.
    Parity(ConvergenceDetector),
}

impl Convergence {
    fn observe(&mut self, summary: &EvalSummary) -> Result<bool> {
        Ok(match self {
            Convergence::Never => false,
            Convergence::MeanReturnAtLeast(r) => summary.mean_return >= *r,
            Convergence::Parity(detector) => detector
                .observe_parities(summary.productivity_parity.mean, summary.wage_parity.mean)
                .context("convergence")?,
        })
    }
}

/// How a session runs, beyond the learner.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Iterations between evaluations and checkpoints (≥ 1).
    pub eval_every: u64,
    /// Stop once this many training episodes have ended.
    pub max_episodes: Option<u64>,
    /// Stop once [`Convergence`] holds.
    pub stop_on_convergence: bool,
    /// The metric that ranks `model_best`.
    pub best_by: BestBy,
    /// The convergence criterion.
    pub convergence: Convergence,
    /// Scores training episodes into `training_metrics.csv` (task runs);
    /// `None` leaves that file header-only (no invented `MP_r`).
    pub scorer: Option<EpisodeScorer>,
}

impl SessionConfig {
    /// A labour task's session: training episodes scored with the task
    /// economics of `task`, `model_best` by evaluation wage parity,
    /// convergence by SPEC §2's parity criterion (`task.convergence`).
    pub fn for_task(
        task: &TaskConfig,
        eval_every: u64,
        max_episodes: Option<u64>,
        stop_on_convergence: bool,
    ) -> Result<Self> {
        Ok(Self {
            eval_every,
            max_episodes,
            stop_on_convergence,
            best_by: BestBy::WageParity,
            convergence: Convergence::Parity(task.convergence.detector().context("convergence")?),
            scorer: Some(task.episode_scorer().context("task economics")?),
        })
    }
}

/// How the session finds its run folder.
#[derive(Debug)]
pub enum Start {
    /// A new run: the folder staged with the resolved config, committed
    /// once the learner has been built.
    Fresh {
        /// The staged folder.
        staged: StagedRunDir,
        /// The resolved config (TensorBoard's text tab).
        config_yaml: String,
        /// Hyperparameters for TensorBoard's hparams tab.
        hparams: BTreeMap<String, HParam>,
    },
    /// A run continued from `model_latest`.
    Resume {
        /// The run folder.
        run: RunDir,
        /// Global step of `model_latest`.
        step: u64,
        /// Metrics of `model_latest` (the episode series).
        latest_metrics: BTreeMap<String, f64>,
        /// The best-by metric of `model_best`, if there is one.
        best: Option<f64>,
    },
}

/// Hears about progress; the binary draws a bar and prints.
pub trait Reporter {
    /// After every iteration's logs are written (before its evaluation),
    /// with the latest scored training episode.
    fn iteration(&mut self, iteration: &Iteration, latest: Option<&EpisodeRecord>) {
        let _ = (iteration, latest);
    }
    /// After every evaluation and its checkpoints.
    fn evaluation(&mut self, iteration: &Iteration, summary: &EvalSummary) {
        let _ = (iteration, summary);
    }
}

/// A reporter that reports nothing (tests, the scheduler's inner runs).
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Reporter for Silent {}

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Budget used, `max_episodes` reached or converged.
    Done,
    /// Stopped by Ctrl-C/SIGTERM; `model_latest` holds where it stopped.
    Interrupted,
}

/// What a finished session reports.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionEnd {
    /// Done or interrupted.
    pub ending: Ending,
    /// Whether the convergence criterion held at the last evaluation.
    pub converged: bool,
    /// Global step at the start of this session.
    pub start_step: u64,
    /// Global step at its end.
    pub steps: u64,
    /// Wall-clock seconds of this session.
    pub seconds: f64,
    /// The last evaluation, if there was one.
    pub last_eval: Option<EvalSummary>,
}

impl SessionEnd {
    /// Global steps per wall-clock second in this session.
    pub fn steps_per_second(&self) -> f64 {
        (self.steps - self.start_step) as f64 / self.seconds.max(1e-9)
    }
}

/// One training session in a run folder.
#[derive(Debug)]
pub struct Session {
    run: RunDir,
    logger: RunLogger,
    config: SessionConfig,
    best: f64,
    shutdown: Shutdown,
}

impl Session {
    /// Opens the run folder (see [`Start`]) for `config`; `shutdown` is the
    /// flag Ctrl-C sets.
    pub fn open(start: Start, mut config: SessionConfig, shutdown: Shutdown) -> Result<Self> {
        ensure!(
            config.eval_every >= 1,
            "eval_every must be at least 1, got {}",
            config.eval_every
        );
        let (run, mut logger, best) = match start {
            Start::Fresh {
                staged,
                config_yaml,
                hparams,
            } => {
                let run = staged.commit()?;
                let mut logger = RunLogger::create(&run)?;
                let tb = logger.tensorboard();
                tb.add_text("config", &format!("```yaml\n{config_yaml}```"), 0)?;
                tb.add_hparams(&hparams, &run.name())?;
                (run, logger, f64::NEG_INFINITY)
            }
            Start::Resume {
                run,
                step,
                latest_metrics,
                best,
            } => {
                let last_episode = latest_metrics.get(LAST_EPISODE_METRIC).map(|&e| e as u64);
                if let Some(scorer) = &mut config.scorer {
                    let previous_mp_r = latest_metrics.get(PREVIOUS_MP_R_METRIC).copied();
                    scorer.resume_at(last_episode.map_or(0, |e| e + 1), previous_mp_r);
                }
                let point = ResumePoint { step, last_episode };
                let (logger, _) = RunLogger::open(&run, Some(point))?;
                (run, logger, best.unwrap_or(f64::NEG_INFINITY))
            }
        };
        logger.flush()?;
        Ok(Self {
            run,
            logger,
            config,
            best,
            shutdown,
        })
    }

    /// The run folder.
    pub fn run_dir(&self) -> &RunDir {
        &self.run
    }

    /// The logs, for a learner's extra records (a demonstration summary).
    pub fn logger(&mut self) -> &mut RunLogger {
        &mut self.logger
    }

    /// Drives `learner` until it is done, `max_episodes` is reached, it
    /// converges (if asked) or Ctrl-C; see the module doc. A failure ends
    /// the TensorBoard session as failed and is returned.
    pub fn run<L: Learner>(
        mut self,
        learner: &mut L,
        reporter: &mut dyn Reporter,
    ) -> Result<SessionEnd> {
        let start_step = learner.global_step();
        let started = Instant::now();
        match self.drive(learner, reporter) {
            Ok((converged, last_eval)) => {
                let interrupted = self.shutdown.requested();
                let status = if interrupted {
                    RunStatus::Running
                } else {
                    RunStatus::Success
                };
                self.logger.tensorboard().end_session(status)?;
                self.logger.commit()?;
                Ok(SessionEnd {
                    ending: if interrupted {
                        Ending::Interrupted
                    } else {
                        Ending::Done
                    },
                    converged,
                    start_step,
                    steps: learner.global_step(),
                    seconds: started.elapsed().as_secs_f64(),
                    last_eval,
                })
            }
            Err(e) => {
                // The failure is what the caller needs to see; a second
                // one while marking the session failed would hide it.
                let _ = self.logger.tensorboard().end_session(RunStatus::Failure);
                Err(e)
            }
        }
    }

    fn drive<L: Learner>(
        &mut self,
        learner: &mut L,
        reporter: &mut dyn Reporter,
    ) -> Result<(bool, Option<EvalSummary>)> {
        let mut episodes_done = 0u64;
        let mut converged = false;
        let mut latest: Option<EpisodeRecord> = None;
        let mut last_eval = None;
        while !learner.is_done() {
            let it = learner.iterate(self.series()).map_err(RunsError::learner)?;
            // One event per step, as the loops before the session wrote.
            for group in it.scalars.chunk_by(|a, b| a.step == b.step) {
                let scalars: Vec<(&str, f64)> =
                    group.iter().map(|s| (s.tag.as_str(), s.value)).collect();
                self.logger.log_scalars(&scalars, group[0].step)?;
            }
            if let Some(scorer) = &mut self.config.scorer {
                for outcome in &it.outcomes {
                    let scored = scorer
                        .score(outcome)
                        .context("scoring a training episode")?;
                    self.logger
                        .log_episode_record(&scored.record, it.global_step)?;
                    latest = Some(scored.record);
                }
            }
            reporter.iteration(&it, latest.as_ref());
            episodes_done += it.episodes_ended;
            let episodes_reached = self.config.max_episodes.is_some_and(|n| episodes_done >= n);
            let stop_asked = self.shutdown.requested();
            let last = learner.is_done() || episodes_reached;
            if it.index.is_multiple_of(self.config.eval_every) || last {
                let eval = learner.evaluate(&it).map_err(RunsError::learner)?;
                self.logger.log_eval_summary(&eval.summary)?;
                if let Some(frame) = &eval.frame {
                    self.logger
                        .tensorboard()
                        .add_image("eval/frame", frame, it.global_step)?;
                }
                converged = self.config.convergence.observe(&eval.summary)?;
                self.logger.commit()?;
                let best_by = self.config.best_by;
                let value = best_by.value(&eval.summary);
                let mut metrics = self.series_metrics();
                metrics.insert(best_by.metric().to_owned(), value);
                if best_by == BestBy::WageParity {
                    metrics.insert("eval/mp_r".to_owned(), eval.summary.mp_r.mean);
                }
                let dir = self.run.checkpoints_dir();
                if self.best == f64::NEG_INFINITY || value > self.best {
                    self.best = value;
                    learner
                        .save(&dir, "model_best", &metrics)
                        .map_err(RunsError::learner)?;
                }
                learner
                    .save(&dir, "model_latest", &metrics)
                    .map_err(RunsError::learner)?;
                reporter.evaluation(&it, &eval.summary);
                last_eval = Some(eval.summary);
            } else if stop_asked {
                self.logger.commit()?;
                learner
                    .save(
                        &self.run.checkpoints_dir(),
                        "model_latest",
                        &self.series_metrics(),
                    )
                    .map_err(RunsError::learner)?;
            }
            self.logger.flush()?;
            if stop_asked || episodes_reached || (self.config.stop_on_convergence && converged) {
                break;
            }
        }
        Ok((converged, last_eval))
    }

    /// Where the scored episode series stands.
    fn series(&self) -> EpisodeSeries {
        self.config
            .scorer
            .as_ref()
            .map_or_else(EpisodeSeries::default, |s| EpisodeSeries {
                next_episode: s.episode(),
                previous_mp_r: s.previous_mp_r(),
            })
    }

    /// The checkpoint metrics `--resume` needs to continue the episode
    /// series: the last logged episode and the scorer's ΔMP baseline.
    fn series_metrics(&self) -> BTreeMap<String, f64> {
        let mut metrics = BTreeMap::new();
        if let Some(e) = self.logger.last_episode() {
            metrics.insert(LAST_EPISODE_METRIC.to_owned(), e as f64);
        }
        if let Some(mp) = self.config.scorer.as_ref().and_then(|s| s.previous_mp_r()) {
            metrics.insert(PREVIOUS_MP_R_METRIC.to_owned(), mp);
        }
        metrics
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Evaluation, MeanCi, Scalar};
    use economics::{
        Curriculum, EconomicReward, EpisodeOutcome, Schedule, TaskEconomics, WageLoss,
    };
    use std::path::Path;

    /// A learner that "trains" `budget` iterations of one 1-hour episode
    /// each, whose evaluation parity follows `parities`, and that appends
    /// every checkpoint it is asked to save to `checkpoints/saves.log`.
    struct Scripted {
        done: u64,
        budget: u64,
        parities: Vec<f64>,
        series_seen: Vec<EpisodeSeries>,
        fail_at: Option<u64>,
    }

    impl Scripted {
        fn new(budget: u64, parities: &[f64]) -> Self {
            Self {
                done: 0,
                budget,
                parities: parities.to_vec(),
                series_seen: Vec::new(),
                fail_at: None,
            }
        }
    }

    impl Learner for Scripted {
        type Error = std::io::Error;

        fn iterate(&mut self, series: EpisodeSeries) -> Result<Iteration, Self::Error> {
            self.series_seen.push(series);
            self.done += 1;
            if self.fail_at == Some(self.done) {
                return Err(std::io::Error::other("diverged"));
            }
            Ok(Iteration {
                index: self.done,
                global_step: self.done * 10,
                scalars: vec![Scalar::new("losses/v_loss", self.done * 10, 0.5)],
                outcomes: vec![EpisodeOutcome::from_sim_seconds(
                    self.done, self.done, 0, 3600.0,
                )],
                episodes_ended: 1,
                note: None,
            })
        }
        fn is_done(&self) -> bool {
            self.done >= self.budget
        }
        fn global_step(&self) -> u64 {
            self.done * 10
        }
        fn evaluate(&mut self, at: &Iteration) -> Result<Evaluation, Self::Error> {
            let p = self.parities[(self.done - 1) as usize % self.parities.len()];
            let ci = |m: f64| MeanCi {
                mean: m,
                lo: m,
                hi: m,
            };
            Ok(Evaluation {
                summary: EvalSummary {
                    step: at.global_step,
                    episodes: 1,
                    mean_return: p,
                    mp_r: ci(60.0 * p),
                    error_rate: 0.0,
                    w_r: 18.0 * p,
                    wage_parity: ci(p),
                    productivity_parity: ci(p),
                },
                frame: None,
            })
        }
        fn save(
            &self,
            dir: &Path,
            name: &str,
            metrics: &BTreeMap<String, f64>,
        ) -> Result<(), Self::Error> {
            std::fs::create_dir_all(dir)?;
            let log = dir.join("saves.log");
            let mut text = std::fs::read_to_string(&log).unwrap_or_default();
            text.push_str(&format!("{name} {} {metrics:?}\n", self.global_step()));
            std::fs::write(log, text)
        }
    }

    fn scorer() -> EpisodeScorer {
        EpisodeScorer::new(
            TaskEconomics::new(0.3, 60.0, 18.0, 1.0).unwrap(),
            EconomicReward::new(0.5, WageLoss::Abs).unwrap(),
            Curriculum::new(1.0, 1.0, 0.5, 0.5, 0.5, 0, Schedule::Constant).unwrap(),
        )
    }

    fn config(eval_every: u64) -> SessionConfig {
        SessionConfig {
            eval_every,
            max_episodes: None,
            stop_on_convergence: false,
            best_by: BestBy::WageParity,
            convergence: Convergence::Never,
            scorer: Some(scorer()),
        }
    }

    fn fresh(root: &Path) -> Start {
        Start::Fresh {
            staged: RunDir::stage(&root.join("run"), "seed: 1\n").unwrap(),
            config_yaml: "seed: 1\n".to_owned(),
            hparams: BTreeMap::from([("seed".to_owned(), HParam::Number(1.0))]),
        }
    }

    /// The first field of every data row of a CSV log.
    fn first_column(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_owned())
            .collect()
    }

    fn saves(run: &RunDir) -> Vec<String> {
        std::fs::read_to_string(run.checkpoints_dir().join("saves.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn a_session_logs_every_episode_evaluates_on_schedule_and_keeps_the_best() {
        let root = tempfile::tempdir().unwrap();
        let session = Session::open(fresh(root.path()), config(2), Shutdown::new()).unwrap();
        let run = session.run_dir().clone();
        let mut learner = Scripted::new(5, &[0.2, 0.5, 0.3, 0.4, 0.1]);
        let end = session.run(&mut learner, &mut Silent).unwrap();
        assert_eq!(end.ending, Ending::Done);
        assert_eq!((end.start_step, end.steps), (0, 50));
        // Evaluations after iterations 2, 4 and 5 (the last).
        assert_eq!(first_column(&run.eval_path()), vec!["20", "40", "50"]);
        assert_eq!(
            first_column(&run.training_metrics_path()),
            vec!["0", "1", "2", "3", "4"]
        );
        let saves = saves(&run);
        let names: Vec<String> = saves
            .iter()
            .map(|l| l.split(' ').take(2).collect::<Vec<_>>().join(" "))
            .collect();
        // Parity 0.5 at 20 (first: best), 0.4 at 40 (not), 0.1 at 50 (not).
        assert_eq!(
            names,
            vec![
                "model_best 20",
                "model_latest 20",
                "model_latest 40",
                "model_latest 50"
            ]
        );
        assert!(saves[0].contains("\"run/last_episode\": 1.0"));
        assert!(saves[0].contains("\"eval/wage_parity\": 0.5"));
        assert!(saves[0].contains("run/previous_mp_r"));
        // Each iteration saw the series where the previous one left it.
        let next: Vec<u64> = learner.series_seen.iter().map(|s| s.next_episode).collect();
        assert_eq!(next, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_resumed_session_continues_the_episode_series_and_the_best() {
        let root = tempfile::tempdir().unwrap();
        let session = Session::open(fresh(root.path()), config(1), Shutdown::new()).unwrap();
        let run = session.run_dir().clone();
        let mut first = Scripted::new(2, &[0.6, 0.1]);
        session.run(&mut first, &mut Silent).unwrap();

        let start = Start::Resume {
            run: run.clone(),
            step: 20,
            latest_metrics: BTreeMap::from([
                (LAST_EPISODE_METRIC.to_owned(), 1.0),
                (PREVIOUS_MP_R_METRIC.to_owned(), 2.0),
            ]),
            best: Some(0.6),
        };
        let session = Session::open(start, config(1), Shutdown::new()).unwrap();
        let mut second = Scripted::new(4, &[0.3]);
        second.done = 2;
        session.run(&mut second, &mut Silent).unwrap();
        let seen = &second.series_seen[0];
        assert_eq!(seen.next_episode, 2);
        assert_eq!(seen.previous_mp_r, Some(2.0));
        // 0.3 never beats the first session's 0.6: no new model_best.
        let saves = saves(&run);
        assert_eq!(
            saves.iter().filter(|l| l.starts_with("model_best")).count(),
            1
        );
        assert_eq!(
            first_column(&run.training_metrics_path()),
            vec!["0", "1", "2", "3"]
        );
    }

    #[test]
    fn ctrl_c_finishes_the_iteration_saves_latest_and_reports_interrupted() {
        let root = tempfile::tempdir().unwrap();
        let shutdown = Shutdown::new();
        let session = Session::open(fresh(root.path()), config(100), shutdown.clone()).unwrap();
        let run = session.run_dir().clone();
        shutdown.request();
        let mut learner = Scripted::new(5, &[0.2]);
        let end = session.run(&mut learner, &mut Silent).unwrap();
        assert_eq!(end.ending, Ending::Interrupted);
        assert_eq!(end.steps, 10);
        let saves = saves(&run);
        assert_eq!(saves.len(), 1);
        assert!(saves[0].starts_with("model_latest 10"));
        assert!(saves[0].contains("run/last_episode"));
    }

    #[test]
    fn max_episodes_and_convergence_stop_the_loop() {
        let root = tempfile::tempdir().unwrap();
        let mut cfg = config(100);
        cfg.max_episodes = Some(3);
        let session = Session::open(fresh(root.path()), cfg, Shutdown::new()).unwrap();
        let mut learner = Scripted::new(10, &[0.2]);
        let end = session.run(&mut learner, &mut Silent).unwrap();
        assert_eq!((end.ending, end.steps), (Ending::Done, 30));
        assert!(end.last_eval.is_some(), "the last iteration is evaluated");

        let root = tempfile::tempdir().unwrap();
        let mut cfg = config(1);
        cfg.stop_on_convergence = true;
        cfg.best_by = BestBy::MeanReturn;
        cfg.convergence = Convergence::MeanReturnAtLeast(0.5);
        let session = Session::open(fresh(root.path()), cfg, Shutdown::new()).unwrap();
        let mut learner = Scripted::new(10, &[0.2, 0.4, 0.6, 0.1]);
        let end = session.run(&mut learner, &mut Silent).unwrap();
        assert!(end.converged);
        assert_eq!(end.steps, 30);
    }

    #[test]
    fn a_learner_failure_is_returned_with_its_cause() {
        let root = tempfile::tempdir().unwrap();
        let session = Session::open(fresh(root.path()), config(1), Shutdown::new()).unwrap();
        let mut scripted = Scripted::new(5, &[0.2]);
        scripted.fail_at = Some(2);
        let err = session.run(&mut scripted, &mut Silent).unwrap_err();
        assert!(matches!(err, RunsError::Learner(_)));
        assert_eq!(err.to_string(), "learner: diverged");
    }

    #[test]
    fn eval_every_zero_is_refused_and_leaves_no_folder() {
        let root = tempfile::tempdir().unwrap();
        let err = Session::open(fresh(root.path()), config(0), Shutdown::new()).unwrap_err();
        assert!(err.to_string().contains("eval_every"));
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
    }
}
