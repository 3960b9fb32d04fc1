//! National hourly wages by occupation: the table shipped with the project,
//! or one read from an official OEWS file.

use crate::OccupationCode;
use crate::WageEntry;
use crate::WageFigure;
use crate::error::{EconomicsError, Result};
use std::collections::BTreeMap;

/// One row of the shipped table, as written in source.
struct ShippedWage {
    code: &'static str,
    title: &'static str,
    mean: Option<f64>,
    median: Option<f64>,
    year: &'static str,
    source: &'static str,
    verified: bool,
}

/// The occupations the configs use plus the figures the project has
/// checked. Only figures checked against the BLS publication are marked
/// verified; no figure is invented where none was available.
const SHIPPED: &[ShippedWage] = &[
    ShippedWage {
        code: "35-9021",
        title: "Dishwashers",
        mean: None,
        median: None,
        year: "n/a",
        source: "none shipped: no OEWS figure was checked; configs/dishwashing.yaml sets \
                 w_h = 18.00 as its own parameter",
        verified: false,
    },
    ShippedWage {
        code: "37-2011",
        title: "Janitors and Cleaners, Except Maids and Housekeeping Cleaners",
        mean: Some(17.43),
        median: Some(16.84),
        year: "May 2023",
        source: "BLS OEWS national estimates, May 2023 (bls.gov/oes/2023/may/oes372011.htm)",
        verified: true,
    },
    ShippedWage {
        code: "47-2021",
        title: "Brickmasons and Blockmasons",
        mean: None,
        median: Some(28.67),
        year: "May 2023",
        source: "median reported second-hand, not checked against the BLS publication; \
                 mean not shipped",
        verified: false,
    },
    ShippedWage {
        code: "53-7062",
        title: "Laborers and Freight, Stock, and Material Movers, Hand",
        mean: Some(18.03),
        median: Some(17.36),
        year: "May 2022",
        source: "BLS OEWS national estimates, May 2022 (bls.gov/oes/2022/may/oes537062.htm)",
        verified: true,
    },
];

/// Hourly wages keyed by occupation code.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WageTable {
    entries: BTreeMap<OccupationCode, WageEntry>,
}

impl WageTable {
    /// The table shipped with the project.
    ///
    /// ```
    /// let table = economics::WageTable::shipped();
    /// let janitors = table.get("37-2011").unwrap();
    /// assert_eq!(janitors.mean().unwrap(), 17.43);
    /// assert!(table.get("35-2021").is_err()); // food preparation workers: not shipped
    /// ```
    pub fn shipped() -> Self {
        let entries = SHIPPED.iter().map(|row| {
            let figure = |v: Option<f64>| v.map_or(WageFigure::NotShipped, WageFigure::Dollars);
            WageEntry {
                occupation_code: OccupationCode::parse(row.code)
                    .expect("shipped occupation codes are well formed (tested)"),
                title: row.title.to_owned(),
                hourly_mean: figure(row.mean),
                hourly_median: figure(row.median),
                year: row.year.to_owned(),
                source: row.source.to_owned(),
                verified: row.verified,
            }
        });
        Self::from_entries(entries)
    }

    /// A table of the given entries; a later entry with the same code
    /// replaces an earlier one.
    pub fn from_entries(entries: impl IntoIterator<Item = WageEntry>) -> Self {
        Self {
            entries: entries
                .into_iter()
                .map(|e| (e.occupation_code.clone(), e))
                .collect(),
        }
    }

    /// The entry for `code`; a malformed code or one not in the table is an
    /// error that lists the codes the table has.
    pub fn get(&self, code: &str) -> Result<&WageEntry> {
        let parsed = OccupationCode::parse(code)?;
        self.entries
            .get(&parsed)
            .ok_or_else(|| EconomicsError::UnknownOccupation {
                code: parsed.to_string(),
                known: self.codes_summary(),
            })
    }

    /// All entries in code order.
    pub fn entries(&self) -> impl Iterator<Item = &WageEntry> {
        self.entries.values()
    }

    /// Number of occupations.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn codes_summary(&self) -> String {
        const SHOWN: usize = 12;
        let mut codes: Vec<&str> = self
            .entries
            .keys()
            .take(SHOWN)
            .map(|c| c.as_str())
            .collect();
        if self.entries.len() > SHOWN {
            codes.push("...");
        }
        if codes.is_empty() {
            "none".to_owned()
        } else {
            codes.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_table_holds_the_known_figures() {
        let t = WageTable::shipped();
        let janitors = t.get("37-2011").unwrap();
        assert_eq!(
            (janitors.mean().unwrap(), janitors.median().unwrap()),
            (17.43, 16.84)
        );
        assert_eq!(janitors.year, "May 2023");
        assert!(janitors.verified);
        let hand = t.get("53-7062").unwrap();
        assert_eq!(
            (hand.mean().unwrap(), hand.median().unwrap()),
            (18.03, 17.36)
        );
        assert_eq!(hand.year, "May 2022");
        assert!(hand.verified);
    }

    #[test]
    fn brickmason_median_is_shipped_unverified() {
        let t = WageTable::shipped();
        let bricks = t.get("47-2021").unwrap();
        assert_eq!(bricks.median().unwrap(), 28.67);
        assert!(!bricks.verified);
        assert!(matches!(
            bricks.mean(),
            Err(EconomicsError::MissingWage {
                statistic: "mean",
                ..
            })
        ));
    }

    #[test]
    fn dishwashers_are_35_9021_not_food_preparation_workers() {
        let t = WageTable::shipped();
        assert_eq!(t.get("35-9021").unwrap().title, "Dishwashers");
        assert!(matches!(
            t.get("35-2021"),
            Err(EconomicsError::UnknownOccupation { .. })
        ));
    }

    #[test]
    fn unknown_occupation_error_lists_known_codes() {
        let err = WageTable::shipped().get("11-1011").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("unknown occupation 11-1011"), "{text}");
        assert!(text.contains("37-2011"), "{text}");
    }

    #[test]
    fn malformed_code_is_rejected_before_lookup() {
        assert!(matches!(
            WageTable::shipped().get("372011"),
            Err(EconomicsError::InvalidOccupationCode { .. })
        ));
    }

    #[test]
    fn shipped_configs_occupations_are_in_the_table() {
        let t = WageTable::shipped();
        for code in ["35-9021", "47-2021"] {
            assert!(t.get(code).is_ok(), "{code} missing");
        }
    }
}
