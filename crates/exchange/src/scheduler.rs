//! The ATP scheduler (SPEC §7): a population of experts trained on one
//! device in rounds, with compute shared by credits, by equal shares, or
//! by successive halving.
//!
//! A job is one expert training `round_steps` more steps and evaluating;
//! a [`JobRunner`] runs it (the binary runs `vp train` in the expert's own
//! run folder) and reports the device-seconds it took and the evaluation
//! metric. The scheduler stops when an expert's metric reaches the target,
//! when the device-second budget is spent, or when nobody is left to train.
//!
//! Every strategy draws jobs from the same [`AttentionManager`]: one pool
//! of `budget_seconds` device-seconds that does not refill, priced by the
//! speed measured on this device ([`DeviceSpeed`]); a job is admitted when
//! its estimated cost fits the allocation of the economy's metabolic state
//! for a policy update (FOCUS: 0.8 of what is left).
//!
//! The ATP strategy, each round:
//! 1. **Market**: experts that cannot pay for their next job are broke and
//!    deprecated (what they hold is burned); in a bear market weak experts
//!    go too ([`MarketPolicy`]).
//! 2. **Exploit/explore** (with `explore:`): each freed place goes to a
//!    child of the best expert (the best last evaluation, deprecated or
//!    not), started from its checkpoint with one hyperparameter multiplied
//!    by a factor; a live parent that can afford it pays the child
//!    `spawn_credits` (a `routing_fee`), else the seed fund seeds it.
//! 3. **Routing**: experts that have never trained go first; the others by
//!    [`route`]'s score, with relevance = metric / best metric (those below
//!    0.1 of the leader are skipped), stake and ROI; `routing_budget` jobs
//!    per round.
//! 4. **Jobs**: each routed job is admitted by the attention manager, run,
//!    and charged its device-seconds × `credits_per_device_second`
//!    (`prediction_cost`, cut to what the expert has): the measured ones,
//!    or, with `declared_speed`, its steps at that speed, so that the
//!    run's decisions do not depend on timing noise (same seed, same run). Its evaluation is a
//!    productivity-gain signal worth `p · Δmetric · horizon_hours` dollars,
//!    paid or charged once ([`settle_signal`]): with `pay_for: change`, Δ
//!    against the expert's previous evaluation (a drop is charged); with
//!    `pay_for: record`, only what it adds above its best so far (its
//!    parent's level for a child); reaching
//!    the target adds an evaluation-success signal; a failed job a
//!    training-divergence signal and deprecation.
//!
//! Equal shares: every live expert runs one job per round. Successive
//! halving (Jamieson & Talwalkar 2016, η = 2): every survivor trains to the
//! rung's budget (1, 2, 4, … rounds), the better half by its last
//! evaluation goes on; the last one trains a round at a time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::atp_pool::{PoolConfig, PoolMode};
use crate::attention_manager::{Admission, AttentionConfig, AttentionManager};
use crate::credits::Credits;
use crate::deprecation::{DeprecationReason, deprecate};
use crate::error::{ExchangeError, Result};
use crate::job_kind::JobKind;
use crate::job_pricing::{DeviceKind, DeviceSpeed, Job};
use crate::ledger_store::LedgerStore;
use crate::market_policy::MarketPolicy;
use crate::routing::{RoutingCandidate, route};
use crate::scheduler_config::{AllocationStrategy, PayFor, SchedulerConfig};
use crate::system_actors::SystemActors;
use crate::transfer::{Party, Transfer, TxType};
use crate::value_signal::{SignalEvent, settle_signal};
use crate::value_signal_table::{EVALUATION_SUCCESS, SignalTable, TRAINING_DIVERGENCE};

/// One member of the population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpertSpec {
    /// Account id and run-folder name (`e00`, `e01`, …).
    pub id: String,
    /// Seed of its run.
    pub seed: u64,
    /// Dotted config keys and values, common ones first.
    pub overrides: BTreeMap<String, serde_json::Value>,
    /// Extra `vp train` options of its fresh run.
    pub args: Vec<String>,
    /// The expert it was spawned from, if any.
    pub parent: Option<String>,
}

/// The first `experts` experts of a config: expert `i` is `e<i>` with seed
/// `base_seed + i` and variant `i mod len` (common overrides first).
pub fn initial_population(config: &SchedulerConfig, experts: usize) -> Vec<ExpertSpec> {
    let p = &config.population;
    (0..experts)
        .filter_map(|i| {
            let variant = p.variants.get(i % p.variants.len().max(1))?;
            let mut overrides = p.common_overrides.clone();
            overrides.extend(variant.overrides.clone());
            Some(ExpertSpec {
                id: format!("e{i:02}"),
                seed: p.base_seed + i as u64,
                overrides,
                args: variant.args.clone(),
                parent: None,
            })
        })
        .collect()
}

/// What one job did, as the runner measured it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct JobOutcome {
    /// Device-seconds the job used (CPU-seconds of its process on a CPU).
    pub device_seconds: f64,
    /// The expert's evaluation metric after the job.
    pub metric: f64,
}

/// Runs jobs: the binary's runner trains an expert with `vp train` in its
/// run folder; tests script one.
pub trait JobRunner {
    /// Trains `expert` until it has trained `until_steps` steps in all,
    /// then evaluates it. An error is the job's failure (a diverged or
    /// crashed run), reported with its message.
    fn run_job(
        &mut self,
        expert: &ExpertSpec,
        until_steps: u64,
    ) -> std::result::Result<JobOutcome, String>;

    /// Prepares `child` to start from `parent`'s current checkpoint.
    fn spawn(&mut self, parent: &ExpertSpec, child: &ExpertSpec)
    -> std::result::Result<(), String>;

    /// The value of a dotted config key for `expert` (its override, else
    /// the training config's), for the explore step.
    fn hyperparameter(&self, expert: &ExpertSpec, key: &str) -> Option<f64>;
}

/// One job, as the scheduler logs it (`scheduler.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// 1-based job number in the run.
    pub job: u64,
    /// Round it ran in.
    pub round: u64,
    /// The expert.
    pub expert: String,
    /// Steps the expert had trained after the job.
    pub steps: u64,
    /// Device-seconds estimated before the job (`None` before the device's
    /// speed was measured).
    pub estimated_seconds: Option<f64>,
    /// Device-seconds it used.
    pub device_seconds: f64,
    /// Device-seconds of every job so far.
    pub total_device_seconds: f64,
    /// Evaluation metric after it (`None` when it failed).
    pub metric: Option<f64>,
    /// Change against the expert's previous evaluation.
    pub delta: Option<f64>,
    /// Credits charged for it (ATP only).
    pub charged: f64,
    /// Credits paid (negative: charged) by its value signals (ATP only).
    pub paid: f64,
    /// The job's failure, if it failed.
    pub error: Option<String>,
}

/// What the scheduler tells its observer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SchedulerEvent {
    /// A job finished.
    Job(JobRecord),
    /// An expert joined (the population at the start, or a child).
    Joined {
        /// The expert.
        expert: ExpertSpec,
        /// Round it joined in.
        round: u64,
    },
    /// An expert left: deprecated (ATP) or cut (halving).
    Left {
        /// The expert.
        expert: String,
        /// Round it left in.
        round: u64,
        /// `broke`, `weak_in_bear_market`, `diverged`, `halved`,
        /// `max_steps`.
        reason: String,
    },
    /// A round ended.
    Round {
        /// The round.
        round: u64,
        /// Jobs run so far.
        jobs: u64,
        /// Device-seconds of every job so far.
        total_device_seconds: f64,
        /// Best metric seen so far.
        best_metric: Option<f64>,
        /// The ledger after the round (ATP only).
        exchange: Option<ExchangeStats>,
    },
}

/// The ledger's figures after a round, for `exchange/*` scalars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExchangeStats {
    /// Credits held by every account.
    pub circulation: f64,
    /// Credits minted so far.
    pub minted: f64,
    /// Credits burned so far.
    pub burned: f64,
    /// Sum of every transaction's amount so far.
    pub volume: f64,
    /// Value signals (rewards and penalties) so far.
    pub signals: u64,
    /// Each expert: id, available credits, ROI.
    pub experts: Vec<(String, f64, Option<f64>)>,
}

impl ExchangeStats {
    /// The figures of a ledger now.
    pub fn of(ledger: &mut dyn LedgerStore) -> Result<Self> {
        let snap = ledger.snapshot()?;
        let totals = snap.totals()?;
        Ok(ExchangeStats {
            circulation: totals.held.as_f64(),
            minted: totals.minted.as_f64(),
            burned: totals.burned.as_f64(),
            volume: snap
                .transactions
                .iter()
                .map(|t| t.transfer.amount.as_f64())
                .sum(),
            signals: snap
                .transactions
                .iter()
                .filter(|t| {
                    matches!(
                        t.transfer.tx_type,
                        TxType::ValueReward | TxType::ValuePenalty
                    )
                })
                .count() as u64,
            experts: snap
                .summaries()
                .into_iter()
                .map(|a| (a.id, a.state.available.as_f64(), a.roi))
                .collect(),
        })
    }

    /// `(minted − burned) / circulation`: the share of what is held that
    /// was created net of burns (`None` with nothing held).
    pub fn inflation(&self) -> Option<f64> {
        (self.circulation > 0.0).then(|| (self.minted - self.burned) / self.circulation)
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// An expert reached the target.
    Target,
    /// The device-second budget would not admit another job.
    Budget,
    /// No expert is left that can train.
    Exhausted,
}

/// One expert at the end of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpertSummary {
    /// Its spec.
    pub spec: ExpertSpec,
    /// Steps trained.
    pub steps: u64,
    /// Jobs run.
    pub jobs: u64,
    /// Device-seconds used.
    pub device_seconds: f64,
    /// Last evaluation.
    pub last_metric: Option<f64>,
    /// Best evaluation.
    pub best_metric: Option<f64>,
    /// Still in the population at the end.
    pub alive: bool,
}

/// The run's result (`summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The strategy.
    pub allocation: AllocationStrategy,
    /// The metric's `eval.csv` column.
    pub metric: String,
    /// The target.
    pub target: f64,
    /// How it ended.
    pub stop: StopReason,
    /// The expert that reached the target, if one did.
    pub winner: Option<String>,
    /// Device-seconds of every job until the target was reached (or until
    /// the run stopped).
    pub device_seconds: f64,
    /// Jobs run.
    pub jobs: u64,
    /// Rounds run.
    pub rounds: u64,
    /// Best metric seen.
    pub best_metric: Option<f64>,
    /// Every expert that took part.
    pub experts: Vec<ExpertSummary>,
}

#[derive(Debug, Clone)]
struct Member {
    spec: ExpertSpec,
    steps: u64,
    jobs: u64,
    device_seconds: f64,
    /// Metric of the last evaluation (a child starts with its parent's).
    last_metric: Option<f64>,
    best_metric: Option<f64>,
    alive: bool,
}

/// The scheduler of one population run.
pub struct Scheduler<'a> {
    config: SchedulerConfig,
    allocation: AllocationStrategy,
    runner: &'a mut dyn JobRunner,
    /// The ledger (ATP strategy; the baselines write nothing to it).
    ledger: Option<&'a mut dyn LedgerStore>,
    observer: &'a mut dyn FnMut(&SchedulerEvent) -> Result<()>,
    attention: AttentionManager,
    speed: DeviceSpeed,
    members: Vec<Member>,
    table: SignalTable,
    market: MarketPolicy,
    job: u64,
    round: u64,
    total_seconds: f64,
    budget_seconds: f64,
    children: usize,
    /// Places in the population: the experts it started with.
    places: usize,
}

impl<'a> Scheduler<'a> {
    /// A scheduler for `experts` experts with `budget_seconds` of device
    /// time; `ledger` is needed (and only used) by the ATP strategy.
    pub fn new(
        config: SchedulerConfig,
        allocation: AllocationStrategy,
        experts: usize,
        budget_seconds: f64,
        runner: &'a mut dyn JobRunner,
        ledger: Option<&'a mut dyn LedgerStore>,
        observer: &'a mut dyn FnMut(&SchedulerEvent) -> Result<()>,
    ) -> Result<Self> {
        config.validate()?;
        if experts == 0 {
            return Err(ExchangeError::InvalidInput {
                field: "--experts".into(),
                expected: "at least 1".into(),
                got: "0".into(),
            });
        }
        if !(budget_seconds.is_finite() && budget_seconds > 0.0) {
            return Err(ExchangeError::OutOfRange {
                field: "--budget-seconds",
                expected: "a finite number > 0",
                value: budget_seconds,
            });
        }
        if allocation == AllocationStrategy::Atp && ledger.is_none() {
            return Err(ExchangeError::InvalidInput {
                field: "ledger".into(),
                expected: "a ledger for the atp allocation".into(),
                got: "none".into(),
            });
        }
        let attention = AttentionManager::new(AttentionConfig {
            pools: PoolConfig {
                mode: PoolMode::Global,
                capacity_seconds: budget_seconds,
                refill_per_second: 0.0,
                stratum_refill_per_second: None,
            },
            ..AttentionConfig::default()
        })?;
        let members = initial_population(&config, experts)
            .into_iter()
            .map(Member::new)
            .collect();
        Ok(Scheduler {
            config,
            allocation,
            runner,
            ledger,
            observer,
            attention,
            speed: DeviceSpeed::new(DeviceKind::Cpu, "this device"),
            members,
            table: SignalTable::default(),
            // Broke is "cannot pay for the next job", checked against the
            // job's price; the policy's own floor only catches empty
            // accounts.
            market: MarketPolicy {
                broke_below: Credits::from_micros(1),
                ..MarketPolicy::default()
            },
            job: 0,
            round: 0,
            total_seconds: 0.0,
            budget_seconds,
            children: 0,
            places: experts,
        })
    }

    /// Names the device jobs are priced on (`cpu`, a GPU's name).
    pub fn with_device(mut self, kind: DeviceKind, name: &str) -> Self {
        self.speed = DeviceSpeed::new(kind, name);
        self
    }

    /// Runs the population until the target, the budget or nobody is left.
    pub fn run(mut self) -> Result<RunSummary> {
        for i in 0..self.members.len() {
            let spec = self.members[i].spec.clone();
            if self.allocation == AllocationStrategy::Atp {
                self.seed(&spec.id)?;
            }
            (self.observer)(&SchedulerEvent::Joined {
                expert: spec,
                round: 0,
            })?;
        }
        let stop = match self.allocation {
            AllocationStrategy::Equal => self.run_equal()?,
            AllocationStrategy::Halving => self.run_halving()?,
            AllocationStrategy::Atp => self.run_atp()?,
        };
        // The round the run stopped in ends here.
        self.end_round()?;
        Ok(self.summary(stop))
    }

    fn run_equal(&mut self) -> Result<StopReason> {
        loop {
            self.round += 1;
            let live = self.trainable();
            if live.is_empty() {
                return Ok(StopReason::Exhausted);
            }
            for i in live {
                if let Some(stop) = self.train(i, 1)? {
                    return Ok(stop);
                }
            }
            self.end_round()?;
        }
    }

    fn run_halving(&mut self) -> Result<StopReason> {
        let mut rung_rounds = 1u64;
        loop {
            self.round += 1;
            let live = self.trainable();
            if live.is_empty() {
                return Ok(StopReason::Exhausted);
            }
            for &i in &live {
                let done = self.members[i].steps / self.config.round_steps;
                let rounds = if live.len() == 1 {
                    1
                } else {
                    rung_rounds.saturating_sub(done)
                };
                if rounds > 0
                    && let Some(stop) = self.train(i, rounds)?
                {
                    return Ok(stop);
                }
            }
            if live.len() > 1 {
                let mut ranked: Vec<usize> = self.trainable();
                ranked.sort_by(|&a, &b| {
                    let m = |i: usize| self.members[i].last_metric.unwrap_or(f64::NEG_INFINITY);
                    m(b).total_cmp(&m(a))
                        .then(self.members[a].spec.id.cmp(&self.members[b].spec.id))
                });
                let keep = ranked.len().div_ceil(2);
                for &i in &ranked[keep..] {
                    self.leave(i, "halved")?;
                }
                rung_rounds = rung_rounds.saturating_mul(2);
            }
            self.end_round()?;
        }
    }

    fn run_atp(&mut self) -> Result<StopReason> {
        loop {
            self.round += 1;
            self.market()?;
            self.explore()?;
            let routed = self.routed()?;
            if routed.is_empty() {
                return Ok(StopReason::Exhausted);
            }
            for i in routed {
                if let Some(stop) = self.train(i, 1)? {
                    return Ok(stop);
                }
            }
            self.end_round()?;
        }
    }

    /// Live experts below their step cap, in population order.
    fn trainable(&self) -> Vec<usize> {
        let cap = self.config.max_steps();
        (0..self.members.len())
            .filter(|&i| self.members[i].alive && self.members[i].steps < cap)
            .collect()
    }

    /// Trains member `i` for `rounds` rounds as one job; `Some` ends the run.
    fn train(&mut self, i: usize, rounds: u64) -> Result<Option<StopReason>> {
        let size = rounds * self.config.round_steps;
        let job = Job::new(JobKind::PolicyUpdate, size as f64);
        let estimated = match self.speed.rate(JobKind::PolicyUpdate) {
            Some(_) => {
                match self
                    .attention
                    .admit(self.config.economy.state, &job, &self.speed)?
                {
                    Admission::Run { cost_seconds, .. } => Some(cost_seconds),
                    Admission::Defer { .. } | Admission::Route { .. } => {
                        return Ok(Some(StopReason::Budget));
                    }
                }
            }
            // The device's first job measures its speed.
            None => None,
        };
        let id = self.members[i].spec.id.clone();
        let until = (self.members[i].steps + size).min(self.config.max_steps());
        let outcome = self.runner.run_job(&self.members[i].spec, until);
        self.job += 1;
        let (device_seconds, result) = match outcome {
            Ok(o) => (o.device_seconds.max(0.0), Ok(o.metric)),
            Err(message) => (0.0, Err(message)),
        };
        self.total_seconds += device_seconds;
        let m = &mut self.members[i];
        let trained = until - m.steps;
        m.jobs += 1;
        m.device_seconds += device_seconds;
        let mut record = JobRecord {
            job: self.job,
            round: self.round,
            expert: id.clone(),
            steps: m.steps,
            estimated_seconds: estimated,
            device_seconds,
            total_device_seconds: self.total_seconds,
            metric: None,
            delta: None,
            charged: 0.0,
            paid: 0.0,
            error: None,
        };
        match result {
            Ok(metric) => {
                m.steps = until;
                record.steps = until;
                if trained > 0 && device_seconds > 0.0 {
                    self.speed
                        .record(JobKind::PolicyUpdate, trained as f64, device_seconds)?;
                }
                let m = &mut self.members[i];
                let delta = metric - m.last_metric.unwrap_or(0.0);
                let gain = match self.config.economy.pay_for {
                    PayFor::Change => delta,
                    PayFor::Record => {
                        (metric - m.best_metric.or(m.last_metric).unwrap_or(0.0)).max(0.0)
                    }
                };
                m.last_metric = Some(metric);
                m.best_metric = Some(m.best_metric.map_or(metric, |b| b.max(metric)));
                record.metric = Some(metric);
                record.delta = Some(delta);
                let reached = metric >= self.config.target;
                if self.allocation == AllocationStrategy::Atp {
                    let priced = match self.config.economy.declared_speed {
                        Some(rate) => trained as f64 / rate,
                        None => device_seconds,
                    };
                    record.charged = self.charge(&id, priced)?;
                    record.paid = self.pay(&id, gain, reached)?;
                }
                (self.observer)(&SchedulerEvent::Job(record))?;
                if reached {
                    return Ok(Some(StopReason::Target));
                }
            }
            Err(message) => {
                record.error = Some(message.clone());
                if self.allocation == AllocationStrategy::Atp {
                    record.paid = self.diverged(&id)?;
                }
                (self.observer)(&SchedulerEvent::Job(record))?;
                if self
                    .members
                    .iter()
                    .all(|m| m.jobs > 0 && m.last_metric.is_none())
                {
                    return Err(ExchangeError::InvalidInput {
                        field: format!("job of expert '{id}'"),
                        expected: "a training run that finishes".into(),
                        got: message,
                    });
                }
                self.leave(i, "diverged")?;
            }
        }
        if self.total_seconds >= self.budget_seconds {
            return Ok(Some(StopReason::Budget));
        }
        if self.members[i].steps >= self.config.max_steps() && self.members[i].alive {
            self.leave(i, "max_steps")?;
        }
        Ok(None)
    }

    fn leave(&mut self, i: usize, reason: &str) -> Result<()> {
        self.members[i].alive = false;
        (self.observer)(&SchedulerEvent::Left {
            expert: self.members[i].spec.id.clone(),
            round: self.round,
            reason: reason.to_string(),
        })
    }

    fn end_round(&mut self) -> Result<()> {
        let best_metric = self
            .members
            .iter()
            .filter_map(|m| m.best_metric)
            .reduce(f64::max);
        let exchange = match self.ledger.as_deref_mut() {
            Some(l) => Some(ExchangeStats::of(l)?),
            None => None,
        };
        (self.observer)(&SchedulerEvent::Round {
            round: self.round,
            jobs: self.job,
            total_device_seconds: self.total_seconds,
            best_metric,
            exchange,
        })
    }

    fn ledger(&mut self) -> Result<&mut dyn LedgerStore> {
        match self.ledger.as_deref_mut() {
            Some(l) => Ok(l),
            None => Err(ExchangeError::InvalidInput {
                field: "ledger".into(),
                expected: "a ledger for the atp allocation".into(),
                got: "none".into(),
            }),
        }
    }

    fn seed(&mut self, expert: &str) -> Result<()> {
        let actors = SystemActors {
            seed_amount: credits(self.config.economy.seed_credits)?,
            ..SystemActors::default()
        };
        actors.seed(self.ledger()?, expert)?;
        Ok(())
    }

    fn available(&mut self, expert: &str) -> Result<Credits> {
        Ok(self
            .ledger()?
            .account(expert)?
            .map_or(Credits::ZERO, |a| a.available))
    }

    /// Credits of `seconds` of device time.
    fn price(&self, seconds: f64) -> Result<Credits> {
        credits(seconds * self.config.economy.credits_per_device_second)
    }

    /// The estimated price of one round's job: at the declared speed, else
    /// once the speed is measured.
    fn job_price(&self) -> Result<Option<Credits>> {
        match self
            .config
            .economy
            .declared_speed
            .or(self.speed.rate(JobKind::PolicyUpdate))
        {
            Some(rate) => Ok(Some(self.price(self.config.round_steps as f64 / rate)?)),
            None => Ok(None),
        }
    }

    /// `prediction_cost` of the job's measured device time, cut to what the
    /// expert has; returns the credits charged.
    fn charge(&mut self, expert: &str, seconds: f64) -> Result<f64> {
        let price = self.price(seconds)?;
        let amount = price.min(self.available(expert)?);
        if amount.micros() <= 0 {
            return Ok(0.0);
        }
        let mut t = Transfer::new(
            format!("job-{}-{expert}", self.job),
            TxType::PredictionCost,
            Party::expert(expert)?,
            Party::Sink,
            amount,
        );
        t.prediction_id = Some(format!("job-{}", self.job));
        t.reason = format!("{seconds:.3} device-seconds of training");
        self.ledger()?.apply(&t)?;
        Ok(amount.as_f64())
    }

    /// The job's productivity-gain signal, and evaluation success when it
    /// reached the target; returns the credits paid (negative: charged).
    fn pay(&mut self, expert: &str, delta: f64, reached: bool) -> Result<f64> {
        let e = &self.config.economy;
        let id = format!("gain-{}", self.job);
        let now = now_us();
        let gain = SignalEvent::productivity_gain(
            &self.table,
            &id,
            now,
            e.price_per_unit,
            delta,
            e.horizon_hours,
        )?
        .with_prediction(&format!("job-{}", self.job));
        let mut paid = self.settle(&gain, expert)?;
        if reached {
            let success = SignalEvent::from_table(
                &self.table,
                &format!("success-{}", self.job),
                EVALUATION_SUCCESS,
                now,
            )?;
            paid += self.settle(&success, expert)?;
        }
        Ok(paid)
    }

    fn diverged(&mut self, expert: &str) -> Result<f64> {
        let signal = SignalEvent::from_table(
            &self.table,
            &format!("diverged-{}", self.job),
            TRAINING_DIVERGENCE,
            now_us(),
        )?;
        let paid = self.settle(&signal, expert)?;
        deprecate(self.ledger()?, expert, DeprecationReason::Broke)?;
        Ok(paid)
    }

    fn settle(&mut self, event: &SignalEvent, expert: &str) -> Result<f64> {
        let signal = event.to_expert(expert)?;
        let s = settle_signal(self.ledger()?, &signal)?;
        Ok(s.transaction.map_or(0.0, |t| {
            let a = t.transfer.amount.as_f64();
            if t.transfer.tx_type == TxType::ValuePenalty {
                -a
            } else {
                a
            }
        }))
    }

    /// Deprecates experts that cannot pay for a job (and, in a bear
    /// market, weak ones).
    fn market(&mut self) -> Result<()> {
        let price = self.job_price()?;
        let policy = self.market;
        let round = policy.apply(self.ledger()?, &[])?;
        let mut gone: BTreeMap<String, String> = round
            .deprecated
            .into_iter()
            .map(|(id, reason, _)| (id, reason.as_str().to_string()))
            .collect();
        if let Some(price) = price {
            for i in self.trainable() {
                let id = self.members[i].spec.id.clone();
                if !gone.contains_key(&id) && self.available(&id)? < price {
                    deprecate(self.ledger()?, &id, DeprecationReason::Broke)?;
                    gone.insert(id, "broke".into());
                }
            }
        }
        for (id, reason) in gone {
            if let Some(i) = self.members.iter().position(|m| m.spec.id == id && m.alive) {
                self.leave(i, &reason)?;
            }
        }
        Ok(())
    }

    /// Fills freed places with children of the best expert: the best last
    /// evaluation of any expert with a checkpoint, deprecated this round
    /// or not (its account is closed, its policy is not lost). A live
    /// parent that can pay its child `spawn_credits` and its own next job
    /// does; otherwise the seed fund seeds the child.
    fn explore(&mut self) -> Result<()> {
        let Some(x) = self.config.explore.clone() else {
            return Ok(());
        };
        let spawn = credits(x.spawn_credits)?;
        let job_price = self.job_price()?.unwrap_or(Credits::ZERO);
        while self.trainable().len() < self.places {
            let Some(parent) = (0..self.members.len())
                .filter(|&i| self.members[i].jobs > 0 && self.members[i].last_metric.is_some())
                .max_by(|&a, &b| {
                    let m = |i: usize| self.members[i].last_metric.unwrap_or(f64::NEG_INFINITY);
                    m(a).total_cmp(&m(b)).then(b.cmp(&a))
                })
            else {
                return Ok(());
            };
            let pid = self.members[parent].spec.id.clone();
            let factor = x.factors[self.children % x.factors.len()];
            let Some(value) = self
                .runner
                .hyperparameter(&self.members[parent].spec, &x.key)
            else {
                return Err(ExchangeError::InvalidInput {
                    field: "explore.key".into(),
                    expected: "a numeric key of the training config".into(),
                    got: x.key.clone(),
                });
            };
            self.children += 1;
            let mut spec = self.members[parent].spec.clone();
            spec.id = format!("e{:02}", self.members.len());
            spec.seed = self.config.population.base_seed + self.members.len() as u64;
            spec.parent = Some(pid.clone());
            spec.overrides
                .insert(x.key.clone(), serde_json::Value::from(value * factor));
            self.runner
                .spawn(&self.members[parent].spec, &spec)
                .map_err(|message| ExchangeError::InvalidInput {
                    field: format!("spawning '{}' from '{pid}'", spec.id),
                    expected: "a parent checkpoint to start from".into(),
                    got: message,
                })?;
            let parent_pays = self.members[parent].alive
                && spawn.micros() > 0
                && self.available(&pid)?.micros() >= spawn.micros() + job_price.micros();
            if parent_pays {
                let mut t = Transfer::new(
                    format!("spawn-{}", spec.id),
                    TxType::RoutingFee,
                    Party::expert(&pid)?,
                    Party::expert(&spec.id)?,
                    spawn,
                );
                t.reason = format!("{pid} spawns {} ({} × {factor})", spec.id, x.key);
                self.ledger()?.apply(&t)?;
            } else {
                self.seed(&spec.id)?;
            }
            let mut child = Member::new(spec.clone());
            child.last_metric = self.members[parent].last_metric;
            self.members.push(child);
            (self.observer)(&SchedulerEvent::Joined {
                expert: spec,
                round: self.round,
            })?;
        }
        Ok(())
    }

    /// This round's jobs: experts that never trained first, then the
    /// routing order, `routing_budget` in all.
    fn routed(&mut self) -> Result<Vec<usize>> {
        let budget = self.config.economy.routing_budget;
        let live = self.trainable();
        let mut chosen: Vec<usize> = live
            .iter()
            .copied()
            .filter(|&i| self.members[i].jobs == 0)
            .collect();
        if self.round == 1 {
            // The first round measures everyone once (and the device).
            return Ok(chosen);
        }
        // A child's first job comes before the routed ones, within budget.
        chosen.truncate(budget);
        let best = live
            .iter()
            .filter_map(|&i| self.members[i].last_metric)
            .fold(f64::NEG_INFINITY, f64::max);
        let mut candidates = Vec::new();
        for &i in &live {
            let id = self.members[i].spec.id.clone();
            let Some(a) = self.ledger()?.account(&id)? else {
                continue;
            };
            let metric = self.members[i].last_metric.unwrap_or(0.0);
            let relevance = if best > 0.0 {
                (metric / best).clamp(0.0, 1.0)
            } else {
                1.0
            };
            candidates.push(RoutingCandidate {
                expert: id,
                relevance,
                staked: a.staked,
                roi: a.roi().filter(|r| r.is_finite()),
            });
        }
        candidates.retain(|c| !chosen.iter().any(|&i| self.members[i].spec.id == c.expert));
        for r in route(&candidates, budget - chosen.len())? {
            if let Some(i) = live
                .iter()
                .copied()
                .find(|&i| self.members[i].spec.id == r.expert)
            {
                chosen.push(i);
            }
        }
        Ok(chosen)
    }

    fn summary(&self, stop: StopReason) -> RunSummary {
        let winner = (stop == StopReason::Target)
            .then(|| {
                self.members
                    .iter()
                    .find(|m| m.last_metric.is_some_and(|x| x >= self.config.target))
                    .map(|m| m.spec.id.clone())
            })
            .flatten();
        RunSummary {
            allocation: self.allocation,
            metric: self.config.metric.column().to_string(),
            target: self.config.target,
            stop,
            winner,
            device_seconds: self.total_seconds,
            jobs: self.job,
            rounds: self.round,
            best_metric: self
                .members
                .iter()
                .filter_map(|m| m.best_metric)
                .reduce(f64::max),
            experts: self
                .members
                .iter()
                .map(|m| ExpertSummary {
                    spec: m.spec.clone(),
                    steps: m.steps,
                    jobs: m.jobs,
                    device_seconds: m.device_seconds,
                    last_metric: m.last_metric,
                    best_metric: m.best_metric,
                    alive: m.alive,
                })
                .collect(),
        }
    }
}

impl Member {
    fn new(spec: ExpertSpec) -> Self {
        Member {
            spec,
            steps: 0,
            jobs: 0,
            device_seconds: 0.0,
            last_metric: None,
            best_metric: None,
            alive: true,
        }
    }
}

fn now_us() -> i64 {
    crate::ledger_store::now_us()
}

/// Credits of a finite, non-negative number (rounded to micro-credits).
fn credits(x: f64) -> Result<Credits> {
    let micros = (x * crate::credits::MICROS_PER_CREDIT as f64).round();
    if !(micros.is_finite() && micros >= 0.0 && micros < i64::MAX as f64) {
        return Err(ExchangeError::OutOfRange {
            field: "credits",
            expected: "a finite number >= 0",
            value: x,
        });
    }
    Ok(Credits::from_micros(micros as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger_sqlite::SqliteLedger;
    use crate::scheduler_config::{ExpertVariant, ExploreConfig, PayFor, TargetMetric};

    /// A runner whose experts improve at a fixed rate per step (metric =
    /// rate · steps, capped at 500), each step costing 1 ms of device time.
    struct Scripted {
        rates: BTreeMap<String, f64>,
        jobs: Vec<(String, u64)>,
        fail: Option<String>,
    }

    impl Scripted {
        fn new(rates: &[f64]) -> Self {
            Scripted {
                rates: rates
                    .iter()
                    .enumerate()
                    .map(|(i, &r)| (format!("e{i:02}"), r))
                    .collect(),
                jobs: Vec::new(),
                fail: None,
            }
        }
    }

    impl JobRunner for Scripted {
        fn run_job(
            &mut self,
            expert: &ExpertSpec,
            until_steps: u64,
        ) -> std::result::Result<JobOutcome, String> {
            let before = self.jobs.iter().rev().find(|(id, _)| *id == expert.id);
            let from = before.map_or(0, |(_, s)| *s);
            self.jobs.push((expert.id.clone(), until_steps));
            if self.fail.as_deref() == Some(expert.id.as_str()) {
                return Err("diverged: loss is NaN".into());
            }
            let rate = self.rates.get(&expert.id).copied().unwrap_or_else(|| {
                let parent = expert.parent.as_deref().unwrap_or("e00");
                self.rates[parent] * expert.overrides["lr"].as_f64().unwrap_or(1.0)
            });
            Ok(JobOutcome {
                device_seconds: (until_steps - from) as f64 * 1e-3,
                metric: (rate * until_steps as f64).min(500.0),
            })
        }
        fn spawn(&mut self, _: &ExpertSpec, _: &ExpertSpec) -> std::result::Result<(), String> {
            Ok(())
        }
        fn hyperparameter(&self, expert: &ExpertSpec, key: &str) -> Option<f64> {
            expert
                .overrides
                .get(key)
                .and_then(|v| v.as_f64())
                .or(Some(1.0))
        }
    }

    fn config(routing_budget: usize) -> SchedulerConfig {
        let mut c: SchedulerConfig = serde_json::from_value(serde_json::json!({
            "train_config": "x.yaml",
            "metric": "mean_return",
            "target": 475.0,
            "round_steps": 1000,
        }))
        .unwrap();
        c.population.variants = vec![ExpertVariant::default()];
        c.economy.routing_budget = routing_budget;
        c.economy.price_per_unit = 0.5;
        c.economy.credits_per_device_second = 10.0;
        c.economy.seed_credits = 30.0;
        c
    }

    fn run(
        c: SchedulerConfig,
        allocation: AllocationStrategy,
        runner: &mut Scripted,
        ledger: Option<&mut SqliteLedger>,
    ) -> (RunSummary, Vec<SchedulerEvent>) {
        let mut events = Vec::new();
        let k = runner.rates.len();
        let s = {
            let mut observe = |e: &SchedulerEvent| {
                events.push(e.clone());
                Ok(())
            };
            let ledger = ledger.map(|l| l as &mut dyn LedgerStore);
            Scheduler::new(c, allocation, k, 1e6, runner, ledger, &mut observe)
                .unwrap()
                .run()
                .unwrap()
        };
        (s, events)
    }

    /// Rates: one fast learner (reaches 475 at 10 rounds), three slow.
    const RATES: [f64; 4] = [0.01, 0.0475, 0.005, 0.002];

    #[test]
    fn equal_shares_train_everyone_every_round() {
        let mut r = Scripted::new(&RATES);
        let (s, _) = run(config(3), AllocationStrategy::Equal, &mut r, None);
        assert_eq!(s.stop, StopReason::Target);
        assert_eq!(s.winner.as_deref(), Some("e01"));
        // e01 reaches 475 at 10 000 steps: round 10, after e00 ran its 10th.
        assert_eq!(s.rounds, 10);
        assert_eq!(s.jobs, 9 * 4 + 2);
        assert!(
            (s.device_seconds - 38.0).abs() < 1e-9,
            "{}",
            s.device_seconds
        );
    }

    #[test]
    fn halving_keeps_the_better_half_with_twice_the_budget() {
        let mut r = Scripted::new(&RATES);
        let (s, events) = run(config(3), AllocationStrategy::Halving, &mut r, None);
        assert_eq!(s.winner.as_deref(), Some("e01"));
        // Rung 1: four experts to 1 round (4 s); e01 and e00 stay. Rung 2:
        // both to 2 rounds (2 s); e01 alone then trains a round at a time
        // to 10 rounds (8 s).
        let halved: Vec<&str> = events
            .iter()
            .filter_map(|e| match e {
                SchedulerEvent::Left { expert, reason, .. } if reason == "halved" => {
                    Some(expert.as_str())
                }
                _ => None,
            })
            .collect();
        assert_eq!(halved, ["e02", "e03", "e00"]);
        assert!(
            (s.device_seconds - 14.0).abs() < 1e-9,
            "{}",
            s.device_seconds
        );
    }

    #[test]
    fn atp_routes_compute_to_the_expert_that_earns_and_stops_paying_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = SqliteLedger::init(dir.path()).unwrap();
        let mut r = Scripted::new(&RATES);
        let (s, events) = run(
            config(1),
            AllocationStrategy::Atp,
            &mut r,
            Some(&mut ledger),
        );
        assert_eq!(s.winner.as_deref(), Some("e01"));
        // Round 1 measures all four (4 s); from then on only e01, the
        // highest ROI, is routed: 9 more rounds of 1 s.
        assert_eq!(s.jobs, 13);
        assert!(
            (s.device_seconds - 13.0).abs() < 1e-9,
            "{}",
            s.device_seconds
        );
        let after_first: Vec<&str> = events
            .iter()
            .filter_map(|e| match e {
                SchedulerEvent::Job(j) if j.round > 1 => Some(j.expert.as_str()),
                _ => None,
            })
            .collect();
        assert!(after_first.iter().all(|&e| e == "e01"), "{after_first:?}");
        // e01's first job: 1 s at 10 credits/s charged; a gain of 47.5
        // return × $0.5 × 1 h × 1 credit/$ × confidence 0.8 = 19 paid.
        let first = events
            .iter()
            .find_map(|e| match e {
                SchedulerEvent::Job(j) if j.expert == "e01" => Some(j.clone()),
                _ => None,
            })
            .unwrap();
        assert!((first.charged - 10.0).abs() < 1e-6, "{first:?}");
        assert!((first.paid - 19.0).abs() < 1e-6, "{first:?}");
        ledger.check_integrity().unwrap();
    }

    #[test]
    fn atp_deprecates_broke_experts_and_spawns_children_of_the_best() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = SqliteLedger::init(dir.path()).unwrap();
        let mut c = config(4);
        // A job costs 10 credits; e01 earns 19 a job, the slow ones 6 or
        // less (still within 0.1 of the leader, so routed): they go broke.
        c.explore = Some(ExploreConfig {
            key: "lr".into(),
            factors: vec![1.25],
            spawn_credits: 5.0,
        });
        c.economy.seed_credits = 30.0;
        let mut r = Scripted::new(&[0.015, 0.0475, 0.012, 0.012]);
        let (s, events) = run(c, AllocationStrategy::Atp, &mut r, Some(&mut ledger));
        let broke: Vec<String> = events
            .iter()
            .filter_map(|e| match e {
                SchedulerEvent::Left { expert, reason, .. } if reason == "broke" => {
                    Some(expert.clone())
                }
                _ => None,
            })
            .collect();
        assert!(!broke.is_empty(), "{events:?}");
        let children: Vec<&ExpertSpec> = s
            .experts
            .iter()
            .map(|e| &e.spec)
            .filter(|e| e.parent.is_some())
            .collect();
        assert!(!children.is_empty());
        assert!(
            children.iter().all(|c| c.overrides["lr"] == 1.25),
            "{children:?}"
        );
        assert_eq!(s.stop, StopReason::Target);
        let snap = ledger.snapshot().unwrap();
        assert!(
            snap.transactions
                .iter()
                .any(|t| t.transfer.tx_type == TxType::RoutingFee)
        );
        assert!(
            snap.transactions
                .iter()
                .any(|t| t.transfer.tx_type == TxType::Deprecation)
        );
        ledger.check_integrity().unwrap();
    }

    #[test]
    fn paying_for_records_charges_nothing_for_a_dip() {
        /// Metrics 100, 60, 130: change pays +100, −40, +70; record pays
        /// +100, 0, +30.
        struct Dip(usize);
        impl JobRunner for Dip {
            fn run_job(
                &mut self,
                _: &ExpertSpec,
                _: u64,
            ) -> std::result::Result<JobOutcome, String> {
                self.0 += 1;
                Ok(JobOutcome {
                    device_seconds: 0.5,
                    metric: [100.0, 60.0, 130.0, 500.0][self.0 - 1],
                })
            }
            fn spawn(&mut self, _: &ExpertSpec, _: &ExpertSpec) -> std::result::Result<(), String> {
                Ok(())
            }
            fn hyperparameter(&self, _: &ExpertSpec, _: &str) -> Option<f64> {
                None
            }
        }
        for (pay_for, expected) in [
            (PayFor::Change, [40.0, -16.0, 28.0]),
            (PayFor::Record, [40.0, 0.0, 12.0]),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let mut ledger = SqliteLedger::init(dir.path()).unwrap();
            let mut c = config(1);
            c.economy.pay_for = pay_for;
            c.economy.seed_credits = 100.0;
            let mut paid = Vec::new();
            let mut observe = |e: &SchedulerEvent| {
                if let SchedulerEvent::Job(j) = e {
                    paid.push(j.paid);
                }
                Ok(())
            };
            let mut runner = Dip(0);
            Scheduler::new(
                c,
                AllocationStrategy::Atp,
                1,
                1e6,
                &mut runner,
                Some(&mut ledger as &mut dyn LedgerStore),
                &mut observe,
            )
            .unwrap()
            .run()
            .unwrap();
            // × $0.5 per point × 0.8 confidence; the last job also earns
            // the evaluation-success signal.
            for (p, e) in paid.iter().zip(expected) {
                assert!((p - e).abs() < 1e-6, "{pay_for:?}: {paid:?}");
            }
            ledger.check_integrity().unwrap();
        }
    }

    #[test]
    fn a_diverged_job_is_penalised_and_its_expert_retired() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = SqliteLedger::init(dir.path()).unwrap();
        let mut r = Scripted::new(&RATES);
        r.fail = Some("e02".into());
        let (s, events) = run(
            config(2),
            AllocationStrategy::Atp,
            &mut r,
            Some(&mut ledger),
        );
        assert_eq!(s.winner.as_deref(), Some("e01"));
        assert!(events.iter().any(|e| matches!(e,
            SchedulerEvent::Left { expert, reason, .. } if expert == "e02" && reason == "diverged")));
        let e02 = ledger.account("e02").unwrap().unwrap();
        assert_eq!(e02.held(), Some(Credits::ZERO));
        assert!(!r.jobs.iter().skip(4).any(|(id, _)| id == "e02"));
    }

    #[test]
    fn the_budget_stops_a_run_that_cannot_reach_the_target() {
        let mut r = Scripted::new(&[0.001, 0.001]);
        let mut observe = |_: &SchedulerEvent| Ok(());
        let s = Scheduler::new(
            config(2),
            AllocationStrategy::Equal,
            2,
            5.0,
            &mut r,
            None,
            &mut observe,
        )
        .unwrap()
        .run()
        .unwrap();
        assert_eq!(s.stop, StopReason::Budget);
        assert!(s.device_seconds <= 5.0 + 1e-9, "{}", s.device_seconds);
        assert_eq!(s.winner, None);
        let _ = TargetMetric::MpR;
    }
}
