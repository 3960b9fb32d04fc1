//! One hourly wage statistic as OEWS publishes it: a dollar figure, or a
//! marker saying why there is none.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An hourly wage figure or the reason it is absent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WageFigure {
    /// Dollars per hour.
    Dollars(f64),
    /// OEWS `*`: the estimate is not available (not released).
    NotAvailable,
    /// OEWS `#`: at or above the top-coded wage ($115.00/h in recent
    /// releases), so no exact figure is published.
    TopCoded,
    /// The shipped table has no figure for this statistic.
    NotShipped,
}

impl WageFigure {
    /// The dollar figure, if there is one.
    pub fn dollars(self) -> Option<f64> {
        match self {
            WageFigure::Dollars(d) => Some(d),
            _ => None,
        }
    }

    /// Why there is no figure, in words (empty for a figure).
    pub fn reason(self) -> &'static str {
        match self {
            WageFigure::Dollars(_) => "",
            WageFigure::NotAvailable => "the OEWS file marks it '*' (estimate not available)",
            WageFigure::TopCoded => {
                "the OEWS file marks it '#' (at or above the top-coded wage, no exact figure)"
            }
            WageFigure::NotShipped => {
                "no figure is shipped; pass the OEWS national file (CSV export) with --oews"
            }
        }
    }
}

impl fmt::Display for WageFigure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WageFigure::Dollars(d) => write!(f, "${d:.2}"),
            WageFigure::NotAvailable => f.write_str("* (not available)"),
            WageFigure::TopCoded => f.write_str("# (top-coded)"),
            WageFigure::NotShipped => f.write_str("not shipped"),
        }
    }
}
