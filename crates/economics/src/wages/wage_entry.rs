//! One occupation's national hourly wages, with where they come from.

use crate::OccupationCode;
use crate::WageFigure;
use crate::error::{EconomicsError, Result};
use serde::{Deserialize, Serialize};

/// National OEWS hourly wages of one occupation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WageEntry {
    /// SOC code, e.g. `37-2011`.
    pub occupation_code: OccupationCode,
    /// Occupation title as BLS writes it.
    pub title: String,
    /// Mean hourly wage.
    pub hourly_mean: WageFigure,
    /// Median hourly wage.
    pub hourly_median: WageFigure,
    /// Reference period of the estimate, e.g. `May 2023`.
    pub year: String,
    /// Where the figures come from.
    pub source: String,
    /// Whether the figures were checked against the BLS publication.
    pub verified: bool,
}

impl WageEntry {
    /// The mean hourly wage, or why there is none.
    pub fn mean(&self) -> Result<f64> {
        self.figure("mean", self.hourly_mean)
    }

    /// The median hourly wage, or why there is none.
    pub fn median(&self) -> Result<f64> {
        self.figure("median", self.hourly_median)
    }

    fn figure(&self, statistic: &'static str, figure: WageFigure) -> Result<f64> {
        figure.dollars().ok_or_else(|| EconomicsError::MissingWage {
            code: self.occupation_code.to_string(),
            statistic,
            reason: figure.reason().to_owned(),
        })
    }
}
