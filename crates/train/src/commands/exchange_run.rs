//! `vp exchange run`: a population of experts trained by the ATP scheduler
//! (SPEC §7), or by the equal-share or successive-halving baselines.
//!
//! Every expert is an ordinary run folder, trained by this program's own
//! `vp train` in a child process, one job at a time: the first job starts
//! the run (`--config experts/<id>.yaml --total-steps N`), later ones
//! extend it (`--resume experts/<id> --total-steps N'`). A job's cost is
//! the CPU time of its process (user + system, from the kernel's
//! accounting of waited-for children), its metric the last row of the
//! expert's `eval.csv`.
//!
//! The run folder:
//! - `scheduler.yaml`: the scheduler config as resolved, and the options;
//! - `experts/<id>.yaml` (each expert's training config), `experts/<id>/`
//!   (its run folder), `experts/<id>.log` (what its jobs printed);
//! - `exchange/ledger.sqlite`: the credit ledger of the ATP strategy (or
//!   the PostgreSQL ledger of `--db`); `vp exchange dashboard --dir
//!   <run>/exchange --watch` shows it live;
//! - `scheduler.jsonl`: one JSON event per job, join, leave and round;
//! - `summary.json`: how the run ended, the compute it took, every expert;
//! - TensorBoard events: `scheduler/*` (device-seconds, best metric, each
//!   expert's metric) and, for ATP, `exchange/*` (circulation, volume,
//!   inflation, each expert's credits and ROI), at the job number.

use super::exchange_ledger_args::describe;
use crate::out::outln;
use anyhow::{Context, Result, anyhow, ensure};
use clap::Args;
use exchange::{
    AllocationStrategy, DeviceKind, ExchangeStats, ExpertSpec, JobOutcome, JobRunner,
    LedgerLocation, LedgerStore, RunSummary, Scheduler, SchedulerConfig, SchedulerEvent,
    StopReason, initial_population,
};
use runs::TensorBoardWriter;
use serde_json::Value;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

/// Train a population of experts under the ATP scheduler. Exits 0 when an
/// expert reached the target, 3 when the budget ran out or no expert was
/// left first.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scheduler config (YAML, e.g. configs/exchange_cartpole.yaml).
    #[arg(long)]
    config: PathBuf,
    /// Experts in the population.
    #[arg(long)]
    experts: usize,
    /// Device-seconds (CPU-seconds on a CPU) the population may use.
    #[arg(long)]
    budget_seconds: f64,
    /// How compute is shared: atp (credits), equal or halving.
    #[arg(long, default_value = "atp")]
    allocation: String,
    /// Run folder (default runs/exchange__<allocation>__<unix-secs>); must
    /// not exist.
    #[arg(long)]
    run_dir: Option<PathBuf>,
    /// PostgreSQL ledger for the ATP strategy instead of the run folder's
    /// SQLite one (it must hold no transactions yet).
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// Seed of expert 0 (overrides population.base_seed; expert i gets
    /// seed + i).
    #[arg(long)]
    seed: Option<u64>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

impl RunArgs {
    /// Runs the population.
    pub fn run(self) -> Result<ExitCode> {
        let allocation: AllocationStrategy = self
            .allocation
            .parse()
            .map_err(|e| anyhow!("--allocation: {e}"))?;
        ensure!(self.experts >= 1, "--experts must be at least 1, got 0");
        ensure!(
            self.budget_seconds.is_finite() && self.budget_seconds > 0.0,
            "--budget-seconds must be a finite number > 0, got {}",
            self.budget_seconds
        );
        let (mut config, base, train_config) = load(&self.config)?;
        if let Some(seed) = self.seed {
            config.population.base_seed = seed;
        }
        let root = match &self.run_dir {
            Some(d) => d.clone(),
            None => PathBuf::from("runs").join(format!(
                "exchange__{allocation}__{}",
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs())
            )),
        };
        ensure!(
            !root.exists(),
            "--run-dir {}: already exists (a population run starts in a new folder)",
            root.display()
        );
        // Every expert's config is built before anything is written, so a
        // bad override fails with nothing on disk.
        for spec in initial_population(&config, self.experts) {
            expert_yaml(&base, &spec.overrides).with_context(|| {
                format!("{}: population expert {}", self.config.display(), spec.id)
            })?;
        }
        // A shared PostgreSQL ledger is checked (empty) before the folder is
        // made, so a refusal leaves nothing behind.
        let mut ledger = match (allocation, &self.db) {
            (AllocationStrategy::Atp, Some(_)) => Some(self.open_ledger(&root)?),
            _ => None,
        };
        fs::create_dir_all(root.join("experts"))
            .with_context(|| format!("creating {}", root.display()))?;
        let resolved = serde_json::json!({
            "scheduler": config,
            "options": {
                "config": self.config.display().to_string(),
                "train_config": train_config.display().to_string(),
                "experts": self.experts,
                "budget_seconds": self.budget_seconds,
                "allocation": allocation.as_str(),
            },
        });
        fs::write(
            root.join("scheduler.yaml"),
            serde_saphyr::to_string(&resolved)?,
        )?;
        if allocation == AllocationStrategy::Atp && ledger.is_none() {
            ledger = Some(self.open_ledger(&root)?);
        }
        let mut runner = TrainRunner {
            exe: std::env::current_exe().context("locating this program")?,
            root: root.clone(),
            base,
            metric: config.metric.column(),
        };
        let mut log = Log::create(&root, config.metric.column(), self.json)?;
        log.say(&format!(
            "{} experts, {allocation} allocation, budget {} device-seconds: {}",
            self.experts,
            self.budget_seconds,
            root.display()
        ))?;

        let ledger_ref = ledger.as_deref_mut().map(|l| l as &mut dyn LedgerStore);
        let mut observe = |e: &SchedulerEvent| -> exchange::Result<()> {
            log.event(e).map_err(|err| exchange::ExchangeError::Io {
                path: root.join("scheduler.jsonl").display().to_string(),
                source: std::io::Error::other(format!("{err:#}")),
            })
        };
        let summary = Scheduler::new(
            config,
            allocation,
            self.experts,
            self.budget_seconds,
            &mut runner,
            ledger_ref,
            &mut observe,
        )?
        .with_device(DeviceKind::Cpu, "cpu")
        .run()?;
        if let Some(l) = ledger.as_mut() {
            l.check_integrity()
                .context("the ledger's integrity check after the run")?;
        }
        log.finish()?;
        fs::write(
            root.join("summary.json"),
            serde_json::to_string_pretty(&summary)?,
        )?;
        print_summary(&summary, self.json)?;
        Ok(match summary.stop {
            StopReason::Target => ExitCode::SUCCESS,
            _ => ExitCode::from(3),
        })
    }

    fn open_ledger(&self, root: &Path) -> Result<Box<dyn LedgerStore + Send>> {
        let location = match &self.db {
            Some(url) => LedgerLocation::from_args(None, Some(url.clone()))?,
            None => LedgerLocation::from_args(Some(root.join("exchange")), None)?,
        };
        let mut store = location
            .init()
            .with_context(|| format!("creating the ledger {}", describe(&location)))?;
        let snap = store.snapshot()?;
        ensure!(
            snap.transactions.is_empty(),
            "--db {}: the ledger already holds {} transactions; a population run needs an empty one",
            describe(&location),
            snap.transactions.len()
        );
        Ok(store)
    }
}

/// The scheduler config, the training config as a JSON tree, and its path.
fn load(path: &Path) -> Result<(SchedulerConfig, Value, PathBuf)> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let config: SchedulerConfig =
        serde_saphyr::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    config
        .validate()
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let train_config = path
        .parent()
        .unwrap_or(Path::new("."))
        .join(&config.train_config);
    let train_text = fs::read_to_string(&train_config).with_context(|| {
        format!(
            "{}: train_config {}: reading it",
            path.display(),
            train_config.display()
        )
    })?;
    let base: Value = serde_saphyr::from_str(&train_text)
        .map_err(|e| anyhow!("{}: {e}", train_config.display()))?;
    ensure!(
        base.is_object(),
        "{}: expected a mapping at the top",
        train_config.display()
    );
    Ok((config, base, train_config))
}

/// The training config with dotted-key overrides applied; a key must name
/// an existing mapping path (its last part may be new).
fn expert_yaml(
    base: &Value,
    overrides: &std::collections::BTreeMap<String, Value>,
) -> Result<Value> {
    let mut v = base.clone();
    for (key, value) in overrides {
        let parts: Vec<&str> = key.split('.').collect();
        let (last, path) = parts.split_last().context("an empty override key")?;
        let mut node = &mut v;
        for (depth, part) in path.iter().enumerate() {
            let map = node.as_object_mut().with_context(|| {
                format!(
                    "override `{key}`: `{}` is not a mapping",
                    parts[..depth].join(".")
                )
            })?;
            node = map
                .entry(part.to_string())
                .or_insert_with(|| Value::Object(Default::default()));
        }
        node.as_object_mut()
            .with_context(|| format!("override `{key}`: `{}` is not a mapping", path.join(".")))?
            .insert(last.to_string(), value.clone());
    }
    Ok(v)
}

fn lookup(v: &Value, key: &str) -> Option<f64> {
    key.split('.')
        .try_fold(v, |node, part| node.get(part))
        .and_then(Value::as_f64)
}

/// Runs jobs as `vp train` child processes in the experts' run folders.
struct TrainRunner {
    exe: PathBuf,
    root: PathBuf,
    base: Value,
    /// The `eval.csv` column of the run's metric.
    metric: &'static str,
}

impl TrainRunner {
    fn dir(&self, id: &str) -> PathBuf {
        self.root.join("experts").join(id)
    }

    fn job(&mut self, expert: &ExpertSpec, until: u64) -> Result<JobOutcome> {
        let dir = self.dir(&expert.id);
        let mut cmd = Command::new(&self.exe);
        cmd.arg("train");
        if dir.exists() {
            cmd.arg("--resume").arg(&dir);
        } else {
            let yaml_path = self
                .root
                .join("experts")
                .join(format!("{}.yaml", expert.id));
            let yaml = expert_yaml(&self.base, &expert.overrides)?;
            fs::write(&yaml_path, serde_saphyr::to_string(&yaml)?)?;
            cmd.arg("--config")
                .arg(&yaml_path)
                .arg("--run-dir")
                .arg(&dir)
                .arg("--seed")
                .arg(expert.seed.to_string())
                // One evaluation per job: the one at its last iteration.
                .arg("--eval-every")
                .arg(u32::MAX.to_string())
                .args(&expert.args);
            let init = self.init_path(&expert.id);
            if init.with_extension("json").exists() {
                cmd.arg("--init-from").arg(&init);
            }
        }
        cmd.arg("--total-steps").arg(until.to_string());
        let log_path = self.root.join("experts").join(format!("{}.log", expert.id));
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("opening {}", log_path.display()))?;
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let before = children_cpu_seconds()?;
        let status = cmd
            .status()
            .with_context(|| format!("starting {}", self.exe.display()))?;
        let device_seconds = children_cpu_seconds()? - before;
        ensure!(
            status.success(),
            "`vp train` for {} exited with {status}; see {}",
            expert.id,
            log_path.display()
        );
        Ok(JobOutcome {
            device_seconds,
            metric: last_eval(&dir.join("eval.csv"), self.metric)?,
        })
    }

    fn init_path(&self, id: &str) -> PathBuf {
        self.root
            .join("experts")
            .join(format!("{id}.init"))
            .join("model_latest")
    }
}

impl JobRunner for TrainRunner {
    fn run_job(
        &mut self,
        expert: &ExpertSpec,
        until_steps: u64,
    ) -> std::result::Result<JobOutcome, String> {
        self.job(expert, until_steps).map_err(|e| format!("{e:#}"))
    }

    fn spawn(
        &mut self,
        parent: &ExpertSpec,
        child: &ExpertSpec,
    ) -> std::result::Result<(), String> {
        let from = self.dir(&parent.id).join("checkpoints");
        let to = self.init_path(&child.id);
        let to_dir = to.parent().map(Path::to_path_buf).unwrap_or_default();
        let copy = || -> Result<()> {
            fs::create_dir_all(&to_dir)?;
            for entry in fs::read_dir(&from)? {
                let entry = entry?;
                let name = entry.file_name();
                if name.to_string_lossy().starts_with("model_latest") {
                    fs::copy(entry.path(), to_dir.join(&name))?;
                }
            }
            ensure!(
                to.with_extension("json").exists(),
                "{} has no model_latest checkpoint",
                from.display()
            );
            Ok(())
        };
        copy().map_err(|e| format!("{e:#}"))
    }

    fn hyperparameter(&self, expert: &ExpertSpec, key: &str) -> Option<f64> {
        expert
            .overrides
            .get(key)
            .and_then(Value::as_f64)
            .or_else(|| lookup(&self.base, key))
    }
}

/// CPU-seconds (user + system) of every child process waited for so far.
fn children_cpu_seconds() -> Result<f64> {
    use nix::sys::resource::{UsageWho, getrusage};
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).context("getrusage")?;
    let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 * 1e-6;
    Ok(secs(usage.user_time()) + secs(usage.system_time()))
}

/// `column` of the last row of an `eval.csv`.
fn last_eval(path: &Path, column: &str) -> Result<f64> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines
        .next()
        .with_context(|| format!("{}: empty", path.display()))?;
    let index = header
        .split(',')
        .position(|c| c == column)
        .with_context(|| format!("{}: no column {column}", path.display()))?;
    let last = lines
        .next_back()
        .with_context(|| format!("{}: no evaluation yet", path.display()))?;
    let cell = last
        .split(',')
        .nth(index)
        .with_context(|| format!("{}: short last row", path.display()))?;
    let value: f64 = cell
        .trim()
        .parse()
        .with_context(|| format!("{}: {column} `{cell}` is not a number", path.display()))?;
    ensure!(value.is_finite(), "{}: {column} is {value}", path.display());
    Ok(value)
}

/// `scheduler.jsonl` and the TensorBoard scalars.
struct Log {
    jsonl: File,
    tb: TensorBoardWriter,
    metric: &'static str,
    /// Progress goes to stderr (`--json` keeps stdout for the summary).
    to_stderr: bool,
}

impl Log {
    fn create(root: &Path, metric: &'static str, to_stderr: bool) -> Result<Self> {
        Ok(Log {
            jsonl: File::create(root.join("scheduler.jsonl"))?,
            tb: TensorBoardWriter::create(root)?,
            metric,
            to_stderr,
        })
    }

    fn say(&self, line: &str) -> Result<()> {
        if self.to_stderr {
            eprintln!("{line}");
        } else {
            outln!("{line}");
        }
        Ok(())
    }

    fn event(&mut self, e: &SchedulerEvent) -> Result<()> {
        writeln!(self.jsonl, "{}", serde_json::to_string(e)?)?;
        self.jsonl.flush()?;
        match e {
            SchedulerEvent::Job(j) => {
                let what = match (j.metric, &j.error) {
                    (Some(m), _) => format!("{} {m:.2}", self.metric),
                    (None, Some(err)) => format!("failed: {err}"),
                    (None, None) => "no evaluation".into(),
                };
                self.say(&format!(
                    "job {:>3} round {:>2} {} to {} steps: {:.1} s, {what}, total {:.1} s",
                    j.job, j.round, j.expert, j.steps, j.device_seconds, j.total_device_seconds
                ))?;
                self.tb
                    .add_scalar("scheduler/device_seconds", j.total_device_seconds, j.job)?;
                if let Some(m) = j.metric {
                    self.tb
                        .add_scalar(&format!("scheduler/metric/{}", j.expert), m, j.job)?;
                }
                self.tb.flush()?;
            }
            SchedulerEvent::Joined { expert, round } if *round > 0 => {
                self.say(&format!(
                    "round {round}: {} joins, from {}",
                    expert.id,
                    expert.parent.as_deref().unwrap_or("scratch")
                ))?;
            }
            SchedulerEvent::Joined { .. } => {}
            SchedulerEvent::Left {
                expert,
                round,
                reason,
            } => self.say(&format!("round {round}: {expert} leaves ({reason})"))?,
            SchedulerEvent::Round {
                round,
                jobs,
                best_metric,
                exchange,
                ..
            } => {
                if let Some(b) = best_metric {
                    self.tb.add_scalar("scheduler/best_metric", *b, *jobs)?;
                }
                self.tb
                    .add_scalar("scheduler/rounds", *round as f64, *jobs)?;
                if let Some(x) = exchange {
                    self.exchange_scalars(x, *jobs)?;
                }
                self.tb.flush()?;
            }
        }
        Ok(())
    }

    /// `exchange/*` at job `step`.
    fn exchange_scalars(&mut self, x: &ExchangeStats, step: u64) -> Result<()> {
        self.tb
            .add_scalar("exchange/circulation", x.circulation, step)?;
        self.tb.add_scalar("exchange/volume", x.volume, step)?;
        self.tb.add_scalar("exchange/minted", x.minted, step)?;
        self.tb.add_scalar("exchange/burned", x.burned, step)?;
        self.tb
            .add_scalar("exchange/value_signals", x.signals as f64, step)?;
        if let Some(i) = x.inflation() {
            self.tb.add_scalar("exchange/inflation", i, step)?;
        }
        for (id, available, roi) in &x.experts {
            self.tb
                .add_scalar(&format!("exchange/credits/{id}"), *available, step)?;
            if let Some(roi) = roi {
                self.tb
                    .add_scalar(&format!("exchange/roi/{id}"), *roi, step)?;
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        self.tb.flush()?;
        Ok(())
    }
}

fn print_summary(s: &RunSummary, json: bool) -> Result<()> {
    if json {
        outln!("{}", serde_json::to_string_pretty(s)?);
        return Ok(());
    }
    let how = match (s.stop, &s.winner) {
        (StopReason::Target, Some(w)) => format!("{w} reached {} {}", s.metric, s.target),
        (StopReason::Budget, _) => "budget spent before the target".into(),
        _ => "no expert left to train".into(),
    };
    outln!(
        "{} allocation: {how} after {:.1} device-seconds, {} jobs in {} rounds (best {} {})",
        s.allocation,
        s.device_seconds,
        s.jobs,
        s.rounds,
        s.metric,
        s.best_metric.map_or("none".into(), |b| format!("{b:.2}"))
    );
    Ok(())
}
