//! The exchange (SPEC §7): the credit ledger experts are paid through, and
//! the MRH attention manager and job pricing the ATP scheduler budgets
//! compute with.
//!
//! * Ledger: [`Transfer`]s of the eight [`TxType`]s between [`Party`]s,
//!   in exact [`Credits`], stored by a [`LedgerStore`]: [`SqliteLedger`]
//!   (one file in the exchange folder, the default) or [`PostgresLedger`]
//!   (several machines sharing one exchange). [`AccountState`] holds
//!   balances and lifetime figures; [`verify`] is the integrity check;
//!   [`export`] writes the seed's folder layout; [`LedgerLocation`] opens
//!   either store from `--dir`/`--db`; [`DashboardStats`] is what the
//!   dashboard shows (circulation, 24 h volume and inflation, top experts
//!   by ROI, recent value signals).
//! * Attention: a [`MetabolicState`]'s base share times a
//!   [`HorizonProfile`]'s factor is a job's [`Allocation`] ([`allocate`]);
//!   a [`Job`] costs device-seconds on a [`DeviceSpeed`]; the
//!   [`AttentionManager`] runs, defers or routes it against its
//!   [`AtpPools`].
//! * Economy: a [`SignalEvent`] of a kind in the [`SignalTable`] is split
//!   among experts by [`attribute`] into [`ValueSignal`]s that
//!   [`settle_signal`] pays or charges; [`place_stake`]/[`resolve_stake`]
//!   pay by calibration; [`route`] picks experts by relevance, stake and
//!   ROI; [`MarketWindow`] says bull or bear and [`MarketPolicy`] who is
//!   consulted and who is [`deprecate`]d; [`SystemActors`] are the seed
//!   fund, insurance pool, diversity subsidy and novelty premium.
//! * Scheduling: the [`Scheduler`] trains a population of experts in
//!   rounds through a [`JobRunner`], sharing the device by credits (ATP),
//!   equal shares or successive halving ([`AllocationStrategy`]), as a
//!   [`SchedulerConfig`] says.
//!
//! ```
//! use exchange::{Credits, LedgerStore, Party, SqliteLedger, Transfer, TxType};
//!
//! # fn main() -> exchange::Result<()> {
//! let dir = std::env::temp_dir().join(format!("vp-doc-{}", std::process::id()));
//! let mut ledger = SqliteLedger::init(&dir)?;
//! let seed = Transfer::new(
//!     "seed-ppo-0",
//!     TxType::Seed,
//!     Party::Mint,
//!     Party::expert("ppo-0")?,
//!     "100".parse::<Credits>()?,
//! );
//! ledger.apply(&seed)?;
//! assert!(ledger.apply(&seed)?.duplicate); // a retry applies once
//! let account = ledger.account("ppo-0")?.expect("opened by the seed");
//! assert_eq!(account.available.to_string(), "100.000000");
//! # drop(ledger);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```
//!
//! A value signal attributed to the expert behind it, paid once however
//! often it is settled:
//!
//! ```
//! use exchange::{Contribution, LedgerStore, SignalEvent, SignalTable, SqliteLedger,
//!     SystemActors, settle_signal};
//!
//! # fn main() -> exchange::Result<()> {
//! let dir = std::env::temp_dir().join(format!("vp-doc-signal-{}", std::process::id()));
//! let mut ledger = SqliteLedger::init(&dir)?;
//! SystemActors::default().seed(&mut ledger, "ppo-0")?; // 100 credits
//! let table = SignalTable::default();
//! // thumbs up: 10 credits × confidence 0.9 = 9 credits to share.
//! let event = SignalEvent::from_table(&table, "fb-1", "thumbs_up", 0)?;
//! let winners = vec!["a".to_string(), "b".to_string(), "c".to_string()];
//! let parts = event.attribute(
//!     &winners,
//!     &[Contribution::new("ppo-0", &[("a", 1.0), ("b", 1.0), ("c", 1.0)])],
//! )?;
//! // All three winners at confidence 1: raw share 1 + 0.3, scaled to 1.
//! for _ in 0..2 {
//!     settle_signal(&mut ledger, &parts[0])?;
//! }
//! let account = ledger.account("ppo-0")?.expect("seeded");
//! assert_eq!(account.available.to_string(), "109.000000");
//! # drop(ledger);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```

mod account_state;
mod apply_once;
mod atp_pool;
mod attention_manager;
mod attribution;
mod credits;
mod dashboard_stats;
mod deprecation;
mod error;
mod horizon_profile;
mod job_kind;
mod job_pricing;
mod ledger_export;
mod ledger_location;
mod ledger_postgres;
mod ledger_sqlite;
mod ledger_store;
mod market_policy;
mod market_state;
mod metabolic_state;
mod routing;
mod scheduler;
mod scheduler_config;
mod stake;
mod system_actors;
mod transfer;
mod value_signal;
mod value_signal_table;

pub use account_state::{
    AccountState, IntegrityReport, Totals, accounts_touched, apply_transfer, replay, verify,
};
pub use apply_once::{AmountRule, apply_once};
pub use atp_pool::{AtpPool, AtpPools, PoolConfig, PoolMode, STRATUM_SHARES, Stratum};
pub use attention_manager::{
    ALLOCATION_CAP, Admission, Allocation, AttentionConfig, AttentionManager, MAX_HORIZON,
    RouteReason, allocate,
};
pub use attribution::{
    Attribution, CONFIDENCE_WEIGHT, CONTRARIAN_THRESHOLD, CONTRARIAN_WEIGHT, Contribution,
    TOP_CONTRIBUTED, TOP_WINNERS, attribute,
};
pub use credits::{Credits, MICROS_PER_CREDIT};
pub use dashboard_stats::{DashboardStats, RecentSignal, TopExpert};
pub use deprecation::{DeprecationReason, deprecate, deprecated_experts};
pub use error::{ExchangeError, Result};
pub use horizon_profile::{
    COMPLEXITY_WEIGHT, ComplexityExtent, HorizonProfile, SPATIAL_WEIGHT, SpatialExtent,
    TEMPORAL_WEIGHT, TemporalExtent,
};
pub use job_kind::JobKind;
pub use job_pricing::{DeviceKind, DeviceSpeed, Job};
pub use ledger_export::{ExportSummary, export, utc_date_time};
pub use ledger_location::LedgerLocation;
pub use ledger_postgres::{MAX_ATTEMPTS, PostgresLedger, redact_url};
pub use ledger_sqlite::SqliteLedger;
pub use ledger_store::{AccountSummary, LedgerSnapshot, LedgerStore, SCHEMA_VERSION};
pub use market_policy::{ExpertStanding, MarketPolicy, MarketRound};
pub use market_state::{DEFAULT_WINDOW_US, MarketState, MarketWindow};
pub use metabolic_state::MetabolicState;
pub use routing::{
    DEFAULT_ROUTING_BUDGET, MIN_RELEVANCE, MIN_TRAINING_EXAMPLES, RoutedExpert, RoutingCandidate,
    inference_budget_ms, route, routing_score, training_data_shares,
};
pub use scheduler::{
    ExchangeStats, ExpertSpec, ExpertSummary, JobOutcome, JobRecord, JobRunner, RunSummary,
    Scheduler, SchedulerEvent, StopReason, initial_population,
};
pub use scheduler_config::{
    AllocationStrategy, EconomyConfig, ExpertVariant, ExploreConfig, PayFor, PopulationConfig,
    SchedulerConfig, TargetMetric,
};
pub use stake::{
    ActiveStake, EXCELLENT_ERROR, EXCELLENT_MULTIPLIER, GOOD_ERROR, StakeClaim, StakeResolution,
    active_stakes, calibration_multiplier, place_stake, resolve_stake, stake_payout,
};
pub use system_actors::{INSURANCE_POOL, SystemActors};
pub use transfer::{
    Applied, MAX_ID_LEN, Party, Transaction, Transfer, TxType, validate_account_id,
};
pub use value_signal::{
    MAX_SIGNAL_ID_LEN, SignalEvent, SignalSettlement, ValueSignal, settle_signal,
};
pub use value_signal_table::{
    DEFAULT_SIGNALS, EVALUATION_SUCCESS, PRODUCTIVITY_GAIN, SignalRule, SignalTable,
    TRAINING_DIVERGENCE, WAGE_PARITY_REACHED,
};
