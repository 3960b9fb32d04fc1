//! Pricing, layer 2 (SPEC §6): ex-ante premium quotes, the durable quote
//! log, ex-post true-ups and the reconciliation report.

mod quote;
mod quote_log;
mod quote_request;
mod reconciliation;
mod timestamp;
mod true_up;

pub use quote::Quote;
pub use quote_log::{LogCheck, QuoteLog};
pub use quote_request::{QuoteRequest, QuoteTerms, premium};
pub use reconciliation::{
    DATA_VALUE_COLUMNS, RECONCILIATION_COLUMNS, Reconciliation, ReconciliationRow, write_atomic,
    write_data_value_csv,
};
pub use timestamp::{SECONDS_PER_DAY, format_rfc3339, now_unix, parse_rfc3339};
pub use true_up::{TrueUp, true_up};
