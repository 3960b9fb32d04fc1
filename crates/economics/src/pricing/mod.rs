//! Pricing, layer 2 (SPEC §6): ex-ante premium quotes, the durable quote
//! log, ex-post true-ups, the reconciliation report, and a simulator of
//! pricing with and without data sharing.

mod pricing_simulator;
mod quote;
mod quote_log;
mod quote_request;
mod reconciliation;
mod timestamp;
mod true_up;

pub use pricing_simulator::{
    PricingSimulator, PricingSimulatorConfig, SIMULATION_COLUMNS, SWEEP_COLUMNS, SimulationEpisode,
    SweepRow, simulation_csv, sweep_csv,
};
pub use quote::Quote;
pub use quote_log::{LogCheck, QuoteLog};
pub use quote_request::{QuoteRequest, QuoteTerms, premium};
pub use reconciliation::{
    DATA_VALUE_COLUMNS, RECONCILIATION_COLUMNS, Reconciliation, ReconciliationRow, write_atomic,
    write_data_value_csv,
};
pub use timestamp::{SECONDS_PER_DAY, format_rfc3339, now_unix, parse_rfc3339};
pub use true_up::{TrueUp, true_up};
