//! Analysis of a per-datapoint data-value log (SPEC §6's columns,
//! `vp econ analyze-data-value`): tier shares, predicted against realized
//! ΔMPL (Spearman ρ, mean absolute error), value by tier and whether
//! realized ΔMPL rises with the tier.
//!
//! The log is the CSV `vp econ reconcile-premiums` writes
//! (`data_value.csv`): the columns of [`DATA_VALUE_COLUMNS`] in any order,
//! an optional `timestamp`, extra columns ignored. `realized_mpl_gain` and
//! `trueup_amount` are empty until a true-up; `novelty_score`,
//! `causal_gain` and `confidence_upper` may be empty when unknown.

use super::spearman::spearman;
use super::tier_stats::TierStats;
use super::tier_strategies::Monotonicity;
use super::valuation_history::{column_indices, open_csv};
use crate::error::{EconomicsError, Result};
use crate::{DATA_VALUE_COLUMNS, SharingStatus};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// One row of the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataValueRecord {
    /// The datapoint (or quote) id.
    pub datapoint_id: String,
    /// When it was valued, as written; `None` without the column.
    pub timestamp: Option<String>,
    /// Novelty score, where known.
    pub novelty_score: Option<f64>,
    /// Causal gain, where known.
    pub causal_gain: Option<f64>,
    /// E[ΔMPL], units/hour.
    pub expected_mpl_gain: f64,
    /// Lower bound, units/hour.
    pub confidence_lower: f64,
    /// Upper bound, where known.
    pub confidence_upper: Option<f64>,
    /// κ.
    pub kappa: f64,
    /// Tier 0, 1 or 2.
    pub tier: u8,
    /// Premium quoted, dollars.
    pub premium_quote: f64,
    /// Withheld or shared.
    pub sharing_status: SharingStatus,
    /// Realized ΔMPL, once measured.
    pub realized_mpl_gain: Option<f64>,
    /// True-up, once made (positive is a refund), dollars.
    pub trueup_amount: Option<f64>,
}

/// Reads a data-value log. Errors name the file, the line (the header is
/// line 1), the data row, the column and what was expected; an empty file
/// or one without rows is an error.
pub fn read_data_value_log(path: &Path) -> Result<Vec<DataValueRecord>> {
    let file = path.display().to_string();
    let err = |line: Option<u64>, column: Option<&str>, message: String| EconomicsError::Csv {
        file: file.clone(),
        line,
        column: column.map(str::to_owned),
        message,
    };
    let (mut reader, headers) = open_csv(path)?;
    if headers.iter().all(str::is_empty) {
        return Err(err(
            None,
            None,
            format!(
                "empty file: expected a header with {}",
                DATA_VALUE_COLUMNS.join(",")
            ),
        ));
    }
    let index = column_indices(path, &headers, &DATA_VALUE_COLUMNS)?;
    let timestamp = headers.iter().position(|h| h == "timestamp");
    let mut records = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let row = row + 1;
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line());
            err(line, None, format!("row {row}: malformed row: {e}"))
        })?;
        let line = record.position().map(|p| p.line());
        let cell = |c: usize| record.get(index[c]).unwrap_or("");
        let number = |c: usize| -> Result<Option<f64>> {
            let text = cell(c);
            if text.is_empty() {
                return Ok(None);
            }
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Some(v)),
                _ => Err(err(
                    line,
                    Some(DATA_VALUE_COLUMNS[c]),
                    format!("row {row}: '{text}' is not a finite number: expected a finite number"),
                )),
            }
        };
        let required = |c: usize| -> Result<f64> {
            number(c)?.ok_or_else(|| {
                err(
                    line,
                    Some(DATA_VALUE_COLUMNS[c]),
                    format!("row {row}: empty: expected a finite number"),
                )
            })
        };
        let datapoint_id = cell(0).to_owned();
        if datapoint_id.is_empty() {
            return Err(err(
                line,
                Some(DATA_VALUE_COLUMNS[0]),
                format!("row {row}: empty: expected a datapoint id"),
            ));
        }
        let tier = match cell(7) {
            "0" => 0,
            "1" => 1,
            "2" => 2,
            other => {
                return Err(err(
                    line,
                    Some(DATA_VALUE_COLUMNS[7]),
                    format!("row {row}: unknown tier '{other}': expected 0, 1 or 2"),
                ));
            }
        };
        let sharing_status = match cell(9) {
            "withheld" => SharingStatus::Withheld,
            "shared" => SharingStatus::Shared,
            other => {
                return Err(err(
                    line,
                    Some(DATA_VALUE_COLUMNS[9]),
                    format!(
                        "row {row}: unknown sharing status '{other}': expected withheld or shared"
                    ),
                ));
            }
        };
        records.push(DataValueRecord {
            datapoint_id,
            timestamp: timestamp.map(|i| record.get(i).unwrap_or("").to_owned()),
            novelty_score: number(1)?,
            causal_gain: number(2)?,
            expected_mpl_gain: required(3)?,
            confidence_lower: required(4)?,
            confidence_upper: number(5)?,
            kappa: required(6)?,
            tier,
            premium_quote: required(8)?,
            sharing_status,
            realized_mpl_gain: number(10)?,
            trueup_amount: number(11)?,
        });
    }
    if records.is_empty() {
        return Err(err(
            None,
            None,
            "no rows: expected at least one datapoint after the header".to_owned(),
        ));
    }
    Ok(records)
}

/// Per-tier figures of the whole log.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TierValue {
    /// The tier.
    pub tier: u8,
    /// Datapoints in it.
    pub count: usize,
    /// count / all datapoints.
    pub share: f64,
    /// Mean E[ΔMPL] of all its datapoints; `None` when empty.
    pub mean_expected: Option<f64>,
    /// Mean realized ΔMPL of those measured; `None` without any.
    pub mean_realized: Option<f64>,
    /// Datapoints with a realized ΔMPL.
    pub realized_count: usize,
    /// Σ premiums quoted, dollars.
    pub premium_total: f64,
}

/// What a data-value log says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataValueAnalysis {
    /// Rows in the log.
    pub datapoints: usize,
    /// Of those, withheld.
    pub withheld: usize,
    /// Of those, shared.
    pub shared: usize,
    /// Rows with a realized ΔMPL.
    pub with_realized: usize,
    /// Tiers 0, 1, 2.
    pub tiers: [TierValue; 3],
    /// Spearman ρ of E[ΔMPL] against realized ΔMPL (average ranks for
    /// ties); `None` below two measured rows or for a constant side.
    pub spearman_rho: Option<f64>,
    /// Mean |E[ΔMPL] − realized|, units/hour; `None` without measured rows.
    pub mean_abs_error: Option<f64>,
    /// Whether mean realized ΔMPL rises with the logged tier.
    pub monotonicity: Monotonicity,
    /// Σ premiums quoted, dollars.
    pub premium_total: f64,
    /// Σ true-ups (positive is refunded), dollars.
    pub trueup_total: f64,
}

impl DataValueAnalysis {
    /// Analyses the records.
    pub fn new(records: &[DataValueRecord]) -> Self {
        let measured: Vec<(u8, f64, f64)> = records
            .iter()
            .filter_map(|r| Some((r.tier, r.expected_mpl_gain, r.realized_mpl_gain?)))
            .collect();
        let stats = TierStats::from_triples(measured.iter().copied());
        let (predicted, realized): (Vec<f64>, Vec<f64>) =
            measured.iter().map(|&(_, e, r)| (e, r)).unzip();
        let n = records.len();
        let tiers = [0u8, 1, 2].map(|tier| {
            let in_tier: Vec<&DataValueRecord> =
                records.iter().filter(|r| r.tier == tier).collect();
            let count = in_tier.len();
            TierValue {
                tier,
                count,
                share: count as f64 / n.max(1) as f64,
                mean_expected: (count > 0).then(|| {
                    in_tier.iter().map(|r| r.expected_mpl_gain).sum::<f64>() / count as f64
                }),
                mean_realized: stats.tiers[usize::from(tier)].mean_realized,
                realized_count: stats.tiers[usize::from(tier)].count,
                premium_total: in_tier.iter().map(|r| r.premium_quote).sum(),
            }
        });
        Self {
            datapoints: n,
            withheld: records
                .iter()
                .filter(|r| r.sharing_status == SharingStatus::Withheld)
                .count(),
            shared: records
                .iter()
                .filter(|r| r.sharing_status == SharingStatus::Shared)
                .count(),
            with_realized: measured.len(),
            tiers,
            spearman_rho: spearman(&predicted, &realized),
            mean_abs_error: (!measured.is_empty()).then(|| {
                predicted
                    .iter()
                    .zip(&realized)
                    .map(|(e, r)| (e - r).abs())
                    .sum::<f64>()
                    / measured.len() as f64
            }),
            monotonicity: Monotonicity::of(&stats),
            premium_total: records.iter().map(|r| r.premium_quote).sum(),
            trueup_total: records.iter().filter_map(|r| r.trueup_amount).sum(),
        }
    }

    /// The Markdown report; `log` names the input, `plots` are image file
    /// names (relative to the report) with their captions.
    pub fn markdown(&self, log: &str, plots: &[(&str, &str)]) -> String {
        let opt = |v: Option<f64>, digits: usize| {
            v.map_or_else(|| "–".to_owned(), |v| format!("{v:.digits$}"))
        };
        let mut md = String::new();
        let _ = writeln!(md, "# Data value report\n");
        let _ = writeln!(
            md,
            "Log `{log}`: {} datapoints ({} withheld, {} shared), {} with a realized ΔMPL.\n",
            self.datapoints, self.withheld, self.shared, self.with_realized
        );
        let _ = writeln!(md, "## Predicted against realized ΔMPL\n");
        let _ = writeln!(
            md,
            "- Spearman ρ (average ranks for ties): {}",
            opt(self.spearman_rho, 4)
        );
        let _ = writeln!(
            md,
            "- Mean absolute error: {} units/h",
            opt(self.mean_abs_error, 4)
        );
        let _ = writeln!(
            md,
            "- Realized ΔMPL by tier: **{}**",
            self.monotonicity.verdict()
        );
        if let Monotonicity::Breaks(breaks) = &self.monotonicity {
            for b in breaks {
                let _ = writeln!(md, "  - {b}");
            }
        }
        let _ = writeln!(
            md,
            "- Premiums quoted ${:.2}; true-ups ${:.2} (positive is refunded)\n",
            self.premium_total, self.trueup_total
        );
        let _ = writeln!(md, "## Tiers\n");
        let _ = writeln!(
            md,
            "| tier | datapoints | share | mean E[ΔMPL] | measured | mean realized ΔMPL | premiums ($) |"
        );
        let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|");
        for t in &self.tiers {
            let _ = writeln!(
                md,
                "| {} | {} | {:.3} | {} | {} | {} | {:.2} |",
                t.tier,
                t.count,
                t.share,
                opt(t.mean_expected, 4),
                t.realized_count,
                opt(t.mean_realized, 4),
                t.premium_total
            );
        }
        let _ = writeln!(md);
        for (file, caption) in plots {
            let _ = writeln!(md, "![{caption}]({file})\n");
        }
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "datapoint_id,timestamp,novelty_score,causal_gain,expected_mpl_gain,\
        confidence_lower,confidence_upper,kappa,tier,premium_quote,sharing_status,\
        realized_mpl_gain,trueup_amount";

    fn write(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    fn log() -> String {
        format!(
            "{HEADER}\n\
             a,2026-01-01T00:00:00Z,0.1,0.2,0.2,0.1,0.3,0.5,0,30,withheld,0.1,15\n\
             b,2026-01-01T00:00:00Z,0.5,0.5,1.0,0.8,1.2,0.8,1,240,withheld,1.5,-120\n\
             c,2026-01-01T00:00:00Z,,,2.0,1.6,,0.8,1,0,shared,1.5,\n\
             d,2026-01-01T00:00:00Z,0.9,0.9,6.0,4.8,7.2,0.8,2,1440,withheld,5.0,240\n\
             e,2026-01-01T00:00:00Z,0.9,0.9,4.0,3.2,4.8,0.8,2,960,withheld,,\n"
        )
    }

    #[test]
    fn analysis_of_a_hand_computed_log() {
        let f = write(&log());
        let records = read_data_value_log(f.path()).unwrap();
        assert_eq!(records.len(), 5);
        assert_eq!(records[2].novelty_score, None);
        let a = DataValueAnalysis::new(&records);
        assert_eq!((a.withheld, a.shared, a.with_realized), (4, 1, 4));
        assert_eq!(a.tiers.map(|t| t.count), [1, 2, 2]);
        assert_eq!(a.tiers[2].mean_expected, Some(5.0));
        assert_eq!(a.tiers[2].mean_realized, Some(5.0));
        assert_eq!(a.monotonicity, Monotonicity::Rises);
        // |0.2−0.1| + |1−1.5| + |2−1.5| + |6−5| = 2.1 over 4.
        assert!((a.mean_abs_error.unwrap() - 0.525).abs() < 1e-12);
        // Predicted ranks 1,2,3,4; realized [0.1,1.5,1.5,5] ranks 1,2.5,2.5,4:
        // Σdxdy = 1.5·1.5 + 0 + 0 + 1.5·1.5 = 4.5, Σdx² = 5, Σdy² = 4.5;
        // ρ = 4.5/√22.5 = 0.9486832980505138.
        assert!((a.spearman_rho.unwrap() - 4.5 / 22.5f64.sqrt()).abs() < 1e-15);
        assert_eq!(a.premium_total, 2670.0);
        assert_eq!(a.trueup_total, 135.0);
        let md = a.markdown("log.csv", &[("tier_shares.png", "Tier shares")]);
        assert!(md.contains("| 2 | 2 | 0.400 |"), "{md}");
        assert!(md.contains("**rises**"), "{md}");
    }

    #[test]
    fn bad_cells_name_line_row_and_column() {
        let f = write(&log().replace("6.0,4.8", "inf,4.8"));
        let msg = read_data_value_log(f.path()).unwrap_err().to_string();
        assert!(
            msg.contains("line 5 column expected_mpl_gain: row 4"),
            "{msg}"
        );
        let f = write(&log().replace(",0.8,1,240,", ",0.8,3,240,"));
        let msg = read_data_value_log(f.path()).unwrap_err().to_string();
        assert!(
            msg.contains("line 3 column tier: row 2: unknown tier '3'"),
            "{msg}"
        );
        let f = write(&log().replace("premium_quote", "premium"));
        let msg = read_data_value_log(f.path()).unwrap_err().to_string();
        assert!(msg.contains("missing column 'premium_quote'"), "{msg}");
        let f = write("");
        let msg = read_data_value_log(f.path()).unwrap_err().to_string();
        assert!(msg.contains("empty file"), "{msg}");
        let f = write(&format!("{HEADER}\n"));
        let msg = read_data_value_log(f.path()).unwrap_err().to_string();
        assert!(msg.contains("no rows"), "{msg}");
    }
}
