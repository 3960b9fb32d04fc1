//! The valuation history CSV: `novelty,causal_gain,realized_mpl` rows, in
//! any column order, extra columns ignored.

use super::value_estimator::ValuationRow;
use crate::error::{EconomicsError, Result};
use std::path::Path;

/// A trimming CSV reader of `path` and its header row; errors name the
/// file (and line 1 for the header).
pub(crate) fn open_csv(path: &Path) -> Result<(csv::Reader<std::fs::File>, csv::StringRecord)> {
    let err = |line: Option<u64>, message: String| EconomicsError::Csv {
        file: path.display().to_string(),
        line,
        column: None,
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| err(None, format!("cannot read: {e}")))?;
    let headers = reader
        .headers()
        .map_err(|e| err(Some(1), format!("cannot read the header: {e}")))?
        .clone();
    Ok((reader, headers))
}

/// Where each of `columns` is in `headers`; a missing one is an error at
/// line 1 naming it and the columns expected and found.
pub(crate) fn column_indices<const N: usize>(
    path: &Path,
    headers: &csv::StringRecord,
    columns: &[&str; N],
) -> Result<[usize; N]> {
    let mut index = [0usize; N];
    for (slot, name) in index.iter_mut().zip(columns) {
        *slot = headers
            .iter()
            .position(|h| h == *name)
            .ok_or_else(|| EconomicsError::Csv {
                file: path.display().to_string(),
                line: Some(1),
                column: Some((*name).to_owned()),
                message: format!(
                    "missing column '{name}': expected a header with {} (found {})",
                    columns.join(","),
                    headers.iter().collect::<Vec<_>>().join(",")
                ),
            })?;
    }
    Ok(index)
}

/// The columns a history file must have.
pub const HISTORY_COLUMNS: [&str; 3] = ["novelty", "causal_gain", "realized_mpl"];

/// Reads a history file. Errors name the file, the line and column of a
/// bad cell, and what was expected.
pub fn read_valuation_history(path: &Path) -> Result<Vec<ValuationRow>> {
    let file = path.display().to_string();
    let err = |line: Option<u64>, column: Option<&str>, message: String| EconomicsError::Csv {
        file: file.clone(),
        line,
        column: column.map(str::to_owned),
        message,
    };
    let (mut reader, headers) = open_csv(path)?;
    let index = column_indices(path, &headers, &HISTORY_COLUMNS)?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line());
            err(line, None, format!("malformed row: {e}"))
        })?;
        let line = record.position().map(|p| p.line());
        let mut values = [0.0; 3];
        for ((value, &i), name) in values.iter_mut().zip(&index).zip(HISTORY_COLUMNS) {
            let cell = record.get(i).unwrap_or("");
            *value = cell
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    err(
                        line,
                        Some(name),
                        format!("'{cell}' is not a finite number: expected a finite number"),
                    )
                })?;
        }
        rows.push(ValuationRow {
            novelty: values[0],
            causal_gain: values[1],
            realized_mpl: values[2],
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn history_reads_columns_in_any_order() {
        let f = write("realized_mpl,novelty,causal_gain,note\n1.5,0.2,0.3,x\n2,0.4,0.5,y\n");
        let rows = read_valuation_history(f.path()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].novelty, 0.4);
        assert_eq!(rows[1].realized_mpl, 2.0);
    }

    #[test]
    fn history_without_a_column_names_it() {
        let f = write("novelty,realized_mpl\n0.1,1\n");
        let msg = read_valuation_history(f.path()).unwrap_err().to_string();
        assert!(msg.contains("missing column 'causal_gain'"), "{msg}");
        assert!(msg.contains(&f.path().display().to_string()), "{msg}");
    }

    #[test]
    fn history_with_a_non_finite_cell_names_line_and_column() {
        let f = write("novelty,causal_gain,realized_mpl\n0.1,0.2,1\n0.1,inf,1\n");
        let msg = read_valuation_history(f.path()).unwrap_err().to_string();
        assert!(msg.contains("line 3 column causal_gain"), "{msg}");
        assert!(msg.contains("expected a finite number"), "{msg}");
    }
}
