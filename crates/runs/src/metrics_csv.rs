//! `MetricsCsv`: an append-only numeric CSV log with a fixed header, safe to
//! resume after a kill.
//!
//! The first column is the row key (episode or step), a non-negative
//! integer that strictly increases. Each row goes to the file with a single
//! `write`, so a kill leaves at most one torn line at the end. Reopening for
//! a resume drops that torn line and every row past the checkpoint's last
//! committed key, so rows the resumed run writes again are not doubled.

use crate::error::{Context, Result, bail, ensure};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Columns of `training_metrics.csv`, exactly SPEC §6's per-episode log
/// (the economics crate's `EpisodeRecord` order).
pub const TRAINING_COLUMNS: [&str; 13] = economics::EpisodeRecord::COLUMNS;

/// Columns of `eval.csv`: one row per evaluation, keyed by the global step.
/// Confidence intervals are 95 % normal intervals over the evaluation's
/// episodes.
pub const EVAL_COLUMNS: [&str; 14] = [
    "step",
    "episodes",
    "mean_return",
    "mp_r",
    "mp_r_ci95_lo",
    "mp_r_ci95_hi",
    "error_rate",
    "w_r",
    "wage_parity",
    "wage_parity_ci95_lo",
    "wage_parity_ci95_hi",
    "productivity_parity",
    "productivity_parity_ci95_lo",
    "productivity_parity_ci95_hi",
];

/// What reopening a log for resume found and removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResumeTrim {
    /// Complete rows kept.
    pub kept_rows: u64,
    /// Complete rows removed because their key was past the checkpoint.
    pub dropped_rows: u64,
    /// Bytes of a torn (unterminated) last line removed.
    pub torn_bytes: u64,
}

/// An open append-only CSV log.
#[derive(Debug)]
pub struct MetricsCsv {
    file: File,
    path: PathBuf,
    columns: &'static [&'static str],
    last_key: Option<u64>,
}

impl MetricsCsv {
    /// Creates the file (it must not exist) and writes the header.
    pub fn create(path: &Path, columns: &'static [&'static str]) -> Result<Self> {
        let mut file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(path)
            .with_context(|| format!("creating {}", path.display()))?;
        file.write_all(header_line(columns).as_bytes())
            .with_context(|| format!("writing header of {}", path.display()))?;
        Ok(Self {
            file,
            path: path.to_owned(),
            columns,
            last_key: None,
        })
    }

    /// Reopens a log to continue a run whose last checkpoint committed rows
    /// up to key `keep_through` (`None`: no row committed). Drops a torn last
    /// line and the rows past `keep_through`, then appends after the rest. A
    /// missing file, or one killed before its header was complete, starts
    /// afresh. A different header or a malformed complete row is an error
    /// naming the file and line; the file is then left untouched.
    pub fn open_resume(
        path: &Path,
        columns: &'static [&'static str],
        keep_through: Option<u64>,
    ) -> Result<(Self, ResumeTrim)> {
        if !path.exists() {
            return Ok((Self::create(path, columns)?, ResumeTrim::default()));
        }
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let complete_len = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let mut trim = ResumeTrim {
            torn_bytes: (bytes.len() - complete_len) as u64,
            ..ResumeTrim::default()
        };
        let header = header_line(columns);
        let mut cut = complete_len;
        let mut last_key = None;
        if complete_len == 0 {
            // Killed while writing the header: start the file again.
            cut = 0;
        } else {
            let text = std::str::from_utf8(&bytes[..complete_len])
                .with_context(|| format!("{}: not UTF-8 text", path.display()))?;
            let mut offset = 0;
            for (index, line) in text.split_inclusive('\n').enumerate() {
                let line_no = index + 1;
                if index == 0 {
                    if line != header {
                        bail!(
                            "{}: header is `{}`, expected `{}`",
                            path.display(),
                            line.trim_end(),
                            header.trim_end()
                        );
                    }
                } else {
                    let key = parse_row(line, columns)
                        .with_context(|| format!("{}: line {line_no}", path.display()))?;
                    if let Some(prev) = last_key {
                        ensure!(
                            key > prev,
                            "{}: line {line_no}: {} {key} does not follow {prev}",
                            path.display(),
                            columns[0]
                        );
                    }
                    if keep_through.is_none_or(|k| key > k) {
                        cut = offset;
                        break;
                    }
                    last_key = Some(key);
                    trim.kept_rows += 1;
                }
                offset += line.len();
            }
            trim.dropped_rows = text[cut..].lines().count() as u64;
        }
        let mut file = OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        file.set_len(cut as u64)
            .with_context(|| format!("truncating {}", path.display()))?;
        if cut == 0 {
            file.write_all(header.as_bytes())
                .with_context(|| format!("writing header of {}", path.display()))?;
        }
        file.sync_data()
            .with_context(|| format!("syncing {}", path.display()))?;
        Ok((
            Self {
                file,
                path: path.to_owned(),
                columns,
                last_key,
            },
            trim,
        ))
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Key of the last row in the file, if any.
    pub fn last_key(&self) -> Option<u64> {
        self.last_key
    }

    /// Appends one row with a single write. `values[0]` is the key and must
    /// be an integer above the previous key; every value must be finite.
    pub fn append(&mut self, values: &[f64]) -> Result<()> {
        ensure!(
            values.len() == self.columns.len(),
            "{}: row has {} values, expected {} ({})",
            self.path.display(),
            values.len(),
            self.columns.len(),
            self.columns.join(",")
        );
        for (value, column) in values.iter().zip(self.columns) {
            ensure!(
                value.is_finite(),
                "{}: refusing non-finite {column} = {value}",
                self.path.display()
            );
        }
        let key = values[0];
        ensure!(
            key >= 0.0 && key.fract() == 0.0 && key < 2f64.powi(53),
            "{}: {} must be a non-negative integer, got {key}",
            self.path.display(),
            self.columns[0]
        );
        let key = key as u64;
        if let Some(prev) = self.last_key {
            ensure!(
                key > prev,
                "{}: {} {key} does not follow {prev}",
                self.path.display(),
                self.columns[0]
            );
        }
        let mut line = key.to_string();
        for value in &values[1..] {
            line.push(',');
            line.push_str(&format_value(*value));
        }
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .with_context(|| format!("appending to {}", self.path.display()))?;
        self.last_key = Some(key);
        Ok(())
    }

    /// Forces written rows to disk (before a checkpoint records them).
    pub fn sync(&self) -> Result<()> {
        self.file
            .sync_data()
            .with_context(|| format!("syncing {}", self.path.display()))
    }
}

/// Shortest text that parses back to exactly `value`: plain decimals in the
/// usual range, scientific notation for tiny or huge magnitudes (Rust's
/// `Display` would print all 300 digits of `1e-300`).
fn format_value(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-5..1e16).contains(&magnitude) {
        format!("{value:e}")
    } else {
        value.to_string()
    }
}

fn header_line(columns: &[&str]) -> String {
    format!("{}\n", columns.join(","))
}

/// Checks one complete row and returns its key.
fn parse_row(line: &str, columns: &[&str]) -> Result<u64> {
    let fields: Vec<&str> = line.trim_end_matches(['\n', '\r']).split(',').collect();
    ensure!(
        fields.len() == columns.len(),
        "{} fields, expected {}",
        fields.len(),
        columns.len()
    );
    for (field, column) in fields.iter().zip(columns).skip(1) {
        let value: f64 = field.parse().map_err(|_| {
            crate::RunsError::Invalid(format!("column {column}: `{field}` is not a number"))
        })?;
        ensure!(
            value.is_finite(),
            "column {column}: `{field}` is not finite"
        );
    }
    fields[0].parse().map_err(|_| {
        crate::RunsError::Invalid(format!(
            "column {}: `{}` is not an integer",
            columns[0], fields[0]
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: u64) -> Vec<f64> {
        let mut values = vec![key as f64];
        values.extend((1..TRAINING_COLUMNS.len()).map(|c| key as f64 + c as f64 / 8.0));
        values
    }

    fn keys(path: &Path) -> Vec<u64> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().parse().unwrap())
            .collect()
    }

    #[test]
    fn header_is_exactly_the_spec_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("training_metrics.csv");
        MetricsCsv::create(&path, &TRAINING_COLUMNS).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "episode,mp_r,e,w_r,wage_parity,productivity_parity,reward_total,\
             reward_mp,reward_error,reward_wage,alpha,beta,gamma\n"
        );
    }

    #[test]
    fn rows_round_trip_with_shortest_exact_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        let mut log = MetricsCsv::create(&path, &TRAINING_COLUMNS).unwrap();
        let values = [
            3.0, 54.0, 0.05, 13.5, 0.75, 0.9, -0.1, 0.1, -0.05, -0.15, 1.0, 1.0, 0.1,
        ];
        log.append(&values).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let line = text.lines().nth(1).unwrap();
        assert_eq!(line, "3,54,0.05,13.5,0.75,0.9,-0.1,0.1,-0.05,-0.15,1,1,0.1");
        let parsed: Vec<f64> = line.split(',').map(|f| f.parse().unwrap()).collect();
        assert_eq!(parsed, values);
    }

    #[test]
    fn extreme_magnitudes_are_written_compactly_and_exactly() {
        for v in [1e-300, -2.5e-7, 3e20, 0.0, -0.0, 12.75, f64::MIN_POSITIVE] {
            let text = format_value(v);
            assert!(text.len() <= 24, "{text}");
            assert_eq!(
                text.parse::<f64>().unwrap().to_bits(),
                v.to_bits(),
                "{text}"
            );
        }
        assert_eq!(format_value(1e-300), "1e-300");
        assert_eq!(format_value(0.05), "0.05");
    }

    #[test]
    fn non_finite_values_and_bad_keys_are_refused_without_writing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        let mut log = MetricsCsv::create(&path, &TRAINING_COLUMNS).unwrap();
        let mut bad = row(0);
        bad[4] = f64::INFINITY;
        let err = log.append(&bad).unwrap_err().to_string();
        assert!(err.contains("non-finite wage_parity"), "{err}");
        log.append(&row(1)).unwrap();
        let err = log.append(&row(1)).unwrap_err().to_string();
        assert!(err.contains("episode 1 does not follow 1"), "{err}");
        let mut fractional = row(2);
        fractional[0] = 2.5;
        assert!(log.append(&fractional).is_err());
        assert!(log.append(&row(2)[..5]).is_err());
        assert_eq!(keys(&path), vec![1]);
    }

    #[test]
    fn resume_drops_rows_past_the_checkpoint_and_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        let mut log = MetricsCsv::create(&path, &TRAINING_COLUMNS).unwrap();
        for k in 0..6 {
            log.append(&row(k)).unwrap();
        }
        drop(log);
        // A kill in the middle of writing row 6.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"6,54.1,0.0").unwrap();
        drop(file);

        let (mut log, trim) = MetricsCsv::open_resume(&path, &TRAINING_COLUMNS, Some(3)).unwrap();
        assert_eq!(
            trim,
            ResumeTrim {
                kept_rows: 4,
                dropped_rows: 2,
                torn_bytes: 10
            }
        );
        assert_eq!(log.last_key(), Some(3));
        for k in 4..8 {
            log.append(&row(k)).unwrap();
        }
        assert_eq!(keys(&path), (0..8).collect::<Vec<_>>());
    }

    #[test]
    fn resume_with_nothing_committed_keeps_only_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        let mut log = MetricsCsv::create(&path, &EVAL_COLUMNS).unwrap();
        log.append(&[100.0; 14]).unwrap();
        drop(log);
        let (log, trim) = MetricsCsv::open_resume(&path, &EVAL_COLUMNS, None).unwrap();
        assert_eq!(trim.dropped_rows, 1);
        assert_eq!(log.last_key(), None);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            header_line(&EVAL_COLUMNS)
        );
    }

    #[test]
    fn resume_rewrites_a_torn_header_and_creates_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let torn = dir.path().join("torn.csv");
        std::fs::write(&torn, "episode,mp_r,e,w").unwrap();
        let (_, trim) = MetricsCsv::open_resume(&torn, &TRAINING_COLUMNS, Some(9)).unwrap();
        assert_eq!(trim.torn_bytes, 16);
        assert_eq!(
            std::fs::read_to_string(&torn).unwrap(),
            header_line(&TRAINING_COLUMNS)
        );
        let missing = dir.path().join("missing.csv");
        MetricsCsv::open_resume(&missing, &TRAINING_COLUMNS, Some(9)).unwrap();
        assert_eq!(
            std::fs::read_to_string(&missing).unwrap(),
            header_line(&TRAINING_COLUMNS)
        );
    }

    #[test]
    fn resume_rejects_a_foreign_header_or_a_corrupt_row_and_leaves_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        let err = MetricsCsv::open_resume(&path, &TRAINING_COLUMNS, Some(1)).unwrap_err();
        assert!(format!("{err:#}").contains("header is `a,b`"), "{err:#}");

        let mut text = header_line(&TRAINING_COLUMNS);
        text.push_str("0,1,2,3,4,5,6,7,8,9,10,11,12\n1,1,2,x,4,5,6,7,8,9,10,11,12\n");
        std::fs::write(&path, &text).unwrap();
        let err = MetricsCsv::open_resume(&path, &TRAINING_COLUMNS, Some(5)).unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("line 3") && msg.contains("column w_r"),
            "{msg}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }

    #[test]
    fn create_refuses_to_overwrite_an_existing_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        std::fs::write(&path, "keep me\n").unwrap();
        assert!(MetricsCsv::create(&path, &TRAINING_COLUMNS).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me\n");
    }
}
