//! Typed errors of the economics crate.

use thiserror::Error;

/// Result alias for economics operations.
pub type Result<T> = std::result::Result<T, EconomicsError>;

/// Everything the economics layer can refuse. Never a panic on user input.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum EconomicsError {
    /// A quantity was NaN or infinite. Non-finite values are errors, never
    /// silently propagated into logs or rewards (SPEC §2, safety rules).
    #[error("{field} must be a finite number, got {value}")]
    NonFinite {
        /// Name of the quantity (e.g. `price_per_unit`, `mp_r`).
        field: &'static str,
        /// The offending value.
        value: f64,
    },
    /// An input has the wrong length or shape: an embedding of the wrong
    /// dimension, ragged rows, no rows where some are needed.
    #[error("{field}: expected {expected}, got {got}")]
    Shape {
        /// Name of the input (e.g. `embedding`, `validation_x`).
        field: &'static str,
        /// What was expected, in words (e.g. `32 values (d_embedding)`).
        expected: String,
        /// What was given, in words.
        got: String,
    },
    /// A finite quantity lies outside its valid range.
    #[error("{field} out of range: expected {expected}, got {value}")]
    OutOfRange {
        /// Name of the quantity.
        field: &'static str,
        /// What the range is, in words (e.g. `> 0`).
        expected: &'static str,
        /// The offending value.
        value: f64,
    },
    /// An episode lasted zero simulated time, so `MP_r = units / hours` is
    /// undefined. Reported instead of returning infinity.
    #[error("episode lasted zero simulated hours: MP_r = units / hours is undefined")]
    ZeroHours,
    /// An occupation code is not of the SOC form `NN-NNNN`.
    #[error("invalid occupation code '{code}': expected the SOC form NN-NNNN (e.g. 47-2021)")]
    InvalidOccupationCode {
        /// The code as given.
        code: String,
    },
    /// The wage table has no entry for this occupation.
    #[error("unknown occupation {code}: not in the wage table (known: {known})")]
    UnknownOccupation {
        /// The code asked for.
        code: String,
        /// Comma-separated codes the table does have.
        known: String,
    },
    /// The entry exists but the requested wage statistic is not available.
    #[error("no {statistic} hourly wage for {code}: {reason}")]
    MissingWage {
        /// The occupation code.
        code: String,
        /// `mean` or `median`.
        statistic: &'static str,
        /// Why (suppressed in the source file, not shipped, ...).
        reason: String,
    },
    /// An OEWS data file could not be read or has an unexpected layout.
    #[error("OEWS file {file}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Oews {
        /// Path of the file as given.
        file: String,
        /// 1-based line of the problem, where known.
        line: Option<u64>,
        /// What was wrong and what was expected.
        message: String,
    },
    /// A regression could not be fitted or queried (bad shapes, non-finite
    /// data, out-of-range hyperparameters).
    #[error("Bayesian ridge: {message}")]
    Fit {
        /// What was wrong and what was expected.
        message: String,
    },
    /// Tier thresholds must rise: tier 0 below `tier0`, tier 1 below `tier1`.
    #[error(
        "tier thresholds out of order: expected tier0_threshold < tier1_threshold, got {tier0} >= {tier1}"
    )]
    TierThresholdsOutOfOrder {
        /// The tier-0 threshold given.
        tier0: f64,
        /// The tier-1 threshold given.
        tier1: f64,
    },
    /// A CSV input (the valuation history) could not be read or holds a bad
    /// value.
    #[error("{file}{}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default(), column.as_ref().map(|c| format!(" column {c}")).unwrap_or_default())]
    Csv {
        /// Path of the file as given.
        file: String,
        /// 1-based line of the problem (the header is line 1), where known.
        line: Option<u64>,
        /// The column, where the problem is one cell.
        column: Option<String>,
        /// What was wrong and what was expected.
        message: String,
    },
    /// The quote log cannot be opened, is not a quote log, or is damaged.
    #[error("quote log {file}: {message}")]
    QuoteLog {
        /// Path of the log as given.
        file: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// No quote with this id in the log.
    #[error(
        "quote log {file}: no quote with id '{quote_id}' (expected an id printed by `vp econ quote`, listed by `vp econ quotes`)"
    )]
    UnknownQuote {
        /// Path of the log.
        file: String,
        /// The id asked for.
        quote_id: String,
    },
    /// The quote was already trued up; true-ups are final.
    #[error(
        "quote log {file}: quote '{quote_id}' was already trued up at {at} (realized ΔMPL {realized_mpl}); a quote is trued up once"
    )]
    AlreadyTruedUp {
        /// Path of the log.
        file: String,
        /// The quote.
        quote_id: String,
        /// When the earlier true-up was recorded (RFC 3339).
        at: String,
        /// The realized ΔMPL recorded then.
        realized_mpl: f64,
    },
    /// A timestamp could not be parsed.
    #[error(
        "{field}: '{text}' is not an RFC 3339 time ({message}): expected e.g. 2026-12-03T16:22:04Z"
    )]
    Timestamp {
        /// The input it came from.
        field: &'static str,
        /// The text given.
        text: String,
        /// The parser's complaint.
        message: String,
    },
    /// Writing an output file failed.
    #[error("writing {path}: {message}")]
    Write {
        /// The file or folder.
        path: String,
        /// The cause.
        message: String,
    },
}

/// Checks that `value` is finite, naming `field` otherwise.
pub(crate) fn finite(field: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(EconomicsError::NonFinite { field, value })
    }
}

/// Checks that `value` is finite and strictly positive.
pub(crate) fn positive(field: &'static str, value: f64) -> Result<f64> {
    finite(field, value)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(EconomicsError::OutOfRange {
            field,
            expected: "> 0",
            value,
        })
    }
}

/// Checks that `value` is finite and not negative.
pub(crate) fn non_negative(field: &'static str, value: f64) -> Result<f64> {
    finite(field, value)?;
    if value >= 0.0 {
        Ok(value)
    } else {
        Err(EconomicsError::OutOfRange {
            field,
            expected: ">= 0",
            value,
        })
    }
}

/// Checks that `value` lies in the open interval (0, 1).
pub(crate) fn open_unit(field: &'static str, value: f64) -> Result<f64> {
    finite(field, value)?;
    if value > 0.0 && value < 1.0 {
        Ok(value)
    } else {
        Err(EconomicsError::OutOfRange {
            field,
            expected: "in the open interval (0, 1)",
            value,
        })
    }
}
