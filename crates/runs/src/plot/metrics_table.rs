//! `MetricsTable`: a numeric CSV log (`training_metrics.csv`, `eval.csv`)
//! read back by column, with errors that name the file, line and column.

use crate::error::{Context, Result, bail, ensure};
use std::path::{Path, PathBuf};

/// A numeric CSV table held column by column.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsTable {
    path: PathBuf,
    columns: Vec<String>,
    values: Vec<Vec<f64>>,
}

impl MetricsTable {
    /// Reads `path`. Every field must be a finite number. An unterminated
    /// last line that does not parse is a row being written by a live run
    /// and is skipped; any other bad field is an error naming the line and
    /// column.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        ensure!(
            !bytes.is_empty(),
            "{}: empty file, expected a CSV header",
            path.display()
        );
        let terminated = bytes.ends_with(b"\n");
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(bytes.as_slice());
        let columns: Vec<String> = reader
            .headers()
            .with_context(|| format!("{}: line 1: unreadable header", path.display()))?
            .iter()
            .map(|h| h.trim().to_owned())
            .collect();
        if let Some(dup) = columns
            .iter()
            .enumerate()
            .find_map(|(i, c)| columns[..i].contains(c).then_some(c))
        {
            bail!("{}: line 1: column `{dup}` appears twice", path.display());
        }
        let mut records = Vec::new();
        for record in reader.records() {
            records.push(record.with_context(|| format!("{}: malformed CSV", path.display()))?);
        }
        let mut values = vec![Vec::with_capacity(records.len()); columns.len()];
        let count = records.len();
        for (index, record) in records.iter().enumerate() {
            let line = record.position().map_or(index as u64 + 2, |p| p.line());
            match parse_record(record, &columns) {
                Ok(row) => {
                    for (column, value) in values.iter_mut().zip(row) {
                        column.push(value);
                    }
                }
                Err(_) if index + 1 == count && !terminated => {} // torn tail
                Err(err) => bail!("{}: line {line}, {err}", path.display()),
            }
        }
        Ok(Self {
            path: path.to_owned(),
            columns,
            values,
        })
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Column names in file order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }

    /// Whether the table has no data rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One column's values; an error names the file and the missing column.
    pub fn column(&self, name: &str) -> Result<&[f64]> {
        match self.columns.iter().position(|c| c == name) {
            Some(i) => Ok(&self.values[i]),
            None => bail!(
                "{}: no column `{name}` (columns: {})",
                self.path.display(),
                self.columns.join(", ")
            ),
        }
    }

    /// Checks that every named column exists.
    pub fn require(&self, names: &[&str]) -> Result<()> {
        names
            .iter()
            .try_for_each(|name| self.column(name).map(|_| ()))
    }

    /// The value of `name` in row `row`, if both exist.
    pub fn get(&self, row: usize, name: &str) -> Option<f64> {
        self.column(name).ok()?.get(row).copied()
    }
}

fn parse_record(record: &csv::StringRecord, columns: &[String]) -> Result<Vec<f64>> {
    ensure!(
        record.len() == columns.len(),
        "{} fields, expected {} (one per header column)",
        record.len(),
        columns.len()
    );
    record
        .iter()
        .zip(columns)
        .map(|(field, column)| {
            let value: f64 = field.trim().parse().map_err(|_| {
                crate::RunsError::Invalid(format!("column {column}: `{field}` is not a number"))
            })?;
            ensure!(
                value.is_finite(),
                "column {column}: `{field}` is not finite"
            );
            Ok(value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("training_metrics.csv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn columns_are_read_by_name() {
        let (_dir, path) = write("episode,mp_r\n0,1.5\n1,2.5\n");
        let table = MetricsTable::read(&path).unwrap();
        assert_eq!(table.len(), 2);
        assert_eq!(table.column("mp_r").unwrap(), &[1.5, 2.5]);
        assert_eq!(table.get(1, "episode"), Some(1.0));
        let err = table.column("wage_parity").unwrap_err().to_string();
        assert!(err.contains("no column `wage_parity`"), "{err}");
    }

    #[test]
    fn a_bad_field_error_names_file_line_and_column() {
        let (_dir, path) = write("episode,mp_r,e\n0,1,0\n1,oops,0\n2,3,0\n");
        let err = MetricsTable::read(&path).unwrap_err().to_string();
        assert!(
            err.contains("training_metrics.csv: line 3, column mp_r: `oops`"),
            "{err}"
        );
    }

    #[test]
    fn non_finite_and_short_rows_are_errors() {
        let (_dir, path) = write("episode,mp_r\n0,NaN\n");
        let err = MetricsTable::read(&path).unwrap_err().to_string();
        assert!(
            err.contains("line 2, column mp_r: `NaN` is not finite"),
            "{err}"
        );
        let (_dir, path) = write("episode,mp_r\n0\n1,2\n");
        let err = MetricsTable::read(&path).unwrap_err().to_string();
        assert!(err.contains("line 2, 1 fields, expected 2"), "{err}");
    }

    #[test]
    fn a_torn_last_line_of_a_live_run_is_skipped() {
        let (_dir, path) = write("episode,mp_r\n0,1\n1,2\n2,");
        let table = MetricsTable::read(&path).unwrap();
        assert_eq!(table.column("episode").unwrap(), &[0.0, 1.0]);
    }

    #[test]
    fn an_empty_file_is_an_error() {
        let (_dir, path) = write("");
        assert!(
            MetricsTable::read(&path)
                .unwrap_err()
                .to_string()
                .contains("empty file")
        );
    }
}
