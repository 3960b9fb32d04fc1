//! A logged quote: id, time, inputs, terms and true-up due date.

use super::quote_request::{QuoteRequest, QuoteTerms};
use super::timestamp::format_rfc3339;

/// One row of the quote log.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    /// Id given by the log, `Q-000001` on.
    pub quote_id: String,
    /// When it was issued, Unix seconds (UTC).
    pub issued_at: i64,
    /// When its true-up is due: `reconciliation_period_days` later.
    pub due_at: i64,
    /// The inputs.
    pub request: QuoteRequest,
    /// The price.
    pub terms: QuoteTerms,
}

impl Quote {
    /// The issue time as RFC 3339.
    pub fn issued_at_rfc3339(&self) -> String {
        format_rfc3339(self.issued_at)
    }

    /// The due date as RFC 3339.
    pub fn due_at_rfc3339(&self) -> String {
        format_rfc3339(self.due_at)
    }

    /// The datapoint this quote prices: its given id, else the quote id.
    pub fn datapoint_id(&self) -> &str {
        self.request
            .datapoint_id
            .as_deref()
            .unwrap_or(&self.quote_id)
    }
}
