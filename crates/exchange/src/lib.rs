//! The exchange (SPEC §7): the credit ledger experts are paid through, and
//! the MRH attention manager and job pricing the ATP scheduler budgets
//! compute with.
//!
//! * Ledger: [`Transfer`]s of the eight [`TxType`]s between [`Party`]s,
//!   in exact [`Credits`], stored by a [`LedgerStore`]: [`SqliteLedger`]
//!   (one file in the exchange folder, the default) or [`PostgresLedger`]
//!   (several machines sharing one exchange). [`AccountState`] holds
//!   balances and lifetime figures; [`verify`] is the integrity check;
//!   [`export`] writes the seed's folder layout.
//! * Attention: a [`MetabolicState`]'s base share times a
//!   [`HorizonProfile`]'s factor is a job's [`Allocation`] ([`allocate`]);
//!   a [`Job`] costs device-seconds on a [`DeviceSpeed`]; the
//!   [`AttentionManager`] runs, defers or routes it against its
//!   [`AtpPools`].

mod account_state;
mod atp_pool;
mod attention_manager;
mod credits;
mod error;
mod horizon_profile;
mod job_kind;
mod job_pricing;
mod ledger_export;
mod ledger_postgres;
mod ledger_sqlite;
mod ledger_store;
mod metabolic_state;
mod transfer;

pub use account_state::{
    AccountState, IntegrityReport, Totals, accounts_touched, apply_transfer, replay, verify,
};
pub use atp_pool::{AtpPool, AtpPools, PoolConfig, PoolMode, STRATUM_SHARES, Stratum};
pub use attention_manager::{
    ALLOCATION_CAP, Admission, Allocation, AttentionConfig, AttentionManager, MAX_HORIZON,
    RouteReason, allocate,
};
pub use credits::{Credits, MICROS_PER_CREDIT};
pub use error::{ExchangeError, Result};
pub use horizon_profile::{
    COMPLEXITY_WEIGHT, ComplexityExtent, HorizonProfile, SPATIAL_WEIGHT, SpatialExtent,
    TEMPORAL_WEIGHT, TemporalExtent,
};
pub use job_kind::JobKind;
pub use job_pricing::{DeviceKind, DeviceSpeed, Job};
pub use ledger_export::{ExportSummary, export, utc_date_time};
pub use ledger_postgres::{MAX_ATTEMPTS, PostgresLedger, redact_url};
pub use ledger_sqlite::SqliteLedger;
pub use ledger_store::{LedgerSnapshot, LedgerStore, SCHEMA_VERSION};
pub use metabolic_state::MetabolicState;
pub use transfer::{
    Applied, MAX_ID_LEN, Party, Transaction, Transfer, TxType, validate_account_id,
};
