//! Reads the official BLS OEWS national data file into a [`WageTable`].
//!
//! BLS publishes the national file (`national_M<year>_dl`) as Excel; this
//! reader takes its CSV export. The columns it needs are `OCC_CODE`,
//! `H_MEAN` and `H_MEDIAN` (matched case-insensitively, since older
//! releases use lower case); `OCC_TITLE` is used when present and every
//! other column is ignored. Cells may be `*` (estimate not available) or
//! `#` (top-coded): those become [`WageFigure::NotAvailable`] and
//! [`WageFigure::TopCoded`], and asking for them later is a clear error.

use crate::OccupationCode;
use crate::WageEntry;
use crate::WageFigure;
use crate::WageTable;
use crate::error::{EconomicsError, Result};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// Reader of an OEWS national file exported as CSV.
#[derive(Debug, Clone, Default)]
pub struct OewsReader {
    year: Option<String>,
}

impl OewsReader {
    /// A reader that takes the reference period from the file name
    /// (`national_M2024_dl.csv` → `May 2024`) when it can.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the reference period written into every entry (e.g. `May 2024`).
    pub fn year(mut self, year: impl Into<String>) -> Self {
        self.year = Some(year.into());
        self
    }

    /// Reads the file at `path`.
    pub fn read_path(&self, path: impl AsRef<Path>) -> Result<WageTable> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if ext == "xlsx" || ext == "xls" {
            return Err(oews_error(
                &file,
                None,
                "this is the Excel file; export its sheet as CSV (keeping the columns \
                 OCC_CODE, H_MEAN and H_MEDIAN) and pass the CSV",
            ));
        }
        let reader = std::fs::File::open(path)
            .map_err(|e| oews_error(&file, None, &format!("cannot open: {e}")))?;
        let year = self
            .year
            .clone()
            .or_else(|| year_from_file_name(path))
            .unwrap_or_else(|| "unknown period".to_owned());
        read_csv(reader, &file, &year)
    }

    /// Reads CSV text from memory; `file` labels it in errors and in each
    /// entry's source.
    pub fn read_str(&self, text: &str, file: &str) -> Result<WageTable> {
        let year = self
            .year
            .clone()
            .or_else(|| year_from_file_name(Path::new(file)))
            .unwrap_or_else(|| "unknown period".to_owned());
        read_csv(text.as_bytes(), file, &year)
    }
}

fn oews_error(file: &str, line: Option<u64>, message: &str) -> EconomicsError {
    EconomicsError::Oews {
        file: file.to_owned(),
        line,
        message: message.to_owned(),
    }
}

/// `national_M2023_dl.csv` → `May 2023`.
fn year_from_file_name(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let at = stem.find("_M")?;
    let digits: String = stem[at + 2..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (digits.len() == 4).then(|| format!("May {digits}"))
}

fn read_csv<R: Read>(input: R, file: &str, year: &str) -> Result<WageTable> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| oews_error(file, Some(1), &format!("cannot read the header: {e}")))?
        .clone();
    let column = |name: &str| {
        headers.iter().position(|h| {
            h.trim()
                .trim_start_matches('\u{feff}')
                .eq_ignore_ascii_case(name)
        })
    };
    let require = |name: &str| {
        column(name).ok_or_else(|| {
            oews_error(
                file,
                Some(1),
                &format!(
                    "no {name} column; expected the OEWS national file's columns \
                     OCC_CODE, H_MEAN, H_MEDIAN (found: {})",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ),
            )
        })
    };
    let code_col = require("OCC_CODE")?;
    let mean_col = require("H_MEAN")?;
    let median_col = require("H_MEDIAN")?;
    let title_col = column("OCC_TITLE");

    let mut entries: BTreeMap<OccupationCode, (u64, WageEntry)> = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line());
            oews_error(file, line, &format!("malformed CSV: {e}"))
        })?;
        let line = record.position().map(|p| p.line());
        let cell = |i: usize| record.get(i).unwrap_or_default().trim();
        let raw_code = cell(code_col);
        let code = OccupationCode::parse(raw_code).map_err(|_| {
            oews_error(
                file,
                line,
                &format!("OCC_CODE '{raw_code}' is not a SOC code of the form NN-NNNN"),
            )
        })?;
        let at = |what: &str| format!("{what} of {code}");
        let entry = WageEntry {
            occupation_code: code.clone(),
            title: title_col.map(|i| cell(i).to_owned()).unwrap_or_default(),
            hourly_mean: parse_figure(cell(mean_col))
                .map_err(|m| oews_error(file, line, &format!("{}: {m}", at("H_MEAN"))))?,
            hourly_median: parse_figure(cell(median_col))
                .map_err(|m| oews_error(file, line, &format!("{}: {m}", at("H_MEDIAN"))))?,
            year: year.to_owned(),
            source: format!("OEWS national file {file}"),
            verified: true,
        };
        let this_line = line.unwrap_or(0);
        match entries.get(&code) {
            Some((first_line, existing)) if existing != &entry => {
                return Err(oews_error(
                    file,
                    line,
                    &format!(
                        "OCC_CODE {code} appears again with different wages (first on line {first_line})"
                    ),
                ));
            }
            Some(_) => {}
            None => {
                entries.insert(code, (this_line, entry));
            }
        }
    }
    if entries.is_empty() {
        return Err(oews_error(
            file,
            None,
            "no occupation rows after the header",
        ));
    }
    Ok(WageTable::from_entries(
        entries.into_values().map(|(_, e)| e),
    ))
}

/// One wage cell: dollars (`17.43`, `$17.43`, `1,234.50`), `*`, `#`.
fn parse_figure(cell: &str) -> std::result::Result<WageFigure, String> {
    match cell {
        "*" => Ok(WageFigure::NotAvailable),
        "#" => Ok(WageFigure::TopCoded),
        "" => Err("empty cell; expected dollars per hour, '*' or '#'".to_owned()),
        text => {
            let cleaned: String = text.chars().filter(|c| *c != '$' && *c != ',').collect();
            match cleaned.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(WageFigure::Dollars(v)),
                Ok(v) => Err(format!("expected a finite wage >= 0, got {v}")),
                Err(_) => Err(format!(
                    "'{text}' is not a wage; expected dollars per hour, '*' or '#'"
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
AREA,AREA_TITLE,OCC_CODE,OCC_TITLE,O_GROUP,TOT_EMP,H_MEAN,A_MEAN,H_MEDIAN,A_MEDIAN
99,U.S.,00-0000,All Occupations,total,151853870,31.48,65470,23.11,48060
99,U.S.,37-2011,\"Janitors and Cleaners, Except Maids and Housekeeping Cleaners\",detailed,2183760,17.43,36250,16.84,35020
99,U.S.,29-1215,Family Medicine Physicians,detailed,109370,#,255490,#,*
99,U.S.,27-2021,Athletes and Sports Competitors,detailed,12510,*,\"126,730\",*,\"49,740\"
";

    #[test]
    fn reader_takes_wages_from_the_official_columns() {
        let t = OewsReader::new()
            .read_str(SAMPLE, "national_M2023_dl.csv")
            .unwrap();
        assert_eq!(t.len(), 4);
        let j = t.get("37-2011").unwrap();
        assert_eq!(j.mean().unwrap(), 17.43);
        assert_eq!(j.median().unwrap(), 16.84);
        assert_eq!(j.year, "May 2023");
        assert_eq!(
            j.title,
            "Janitors and Cleaners, Except Maids and Housekeeping Cleaners"
        );
    }

    #[test]
    fn suppressed_and_top_coded_cells_are_missing_with_reasons() {
        let t = OewsReader::new()
            .year("May 2023")
            .read_str(SAMPLE, "x.csv")
            .unwrap();
        let doc = t.get("29-1215").unwrap();
        assert_eq!(doc.hourly_mean, WageFigure::TopCoded);
        let err = doc.mean().unwrap_err().to_string();
        assert!(err.contains("'#'"), "{err}");
        let athletes = t.get("27-2021").unwrap();
        assert_eq!(athletes.hourly_median, WageFigure::NotAvailable);
        assert!(athletes.median().unwrap_err().to_string().contains("'*'"));
    }

    #[test]
    fn lower_case_headers_of_older_releases_are_accepted() {
        let text =
            "occ_code,occ_title,h_mean,h_median\n47-2021,Brickmasons and Blockmasons,30.00,29.00\n";
        let t = OewsReader::new()
            .read_str(text, "national_M2018_dl.csv")
            .unwrap();
        assert_eq!(t.get("47-2021").unwrap().median().unwrap(), 29.0);
        assert_eq!(t.get("47-2021").unwrap().year, "May 2018");
    }

    #[test]
    fn missing_column_is_an_error_naming_it() {
        let err = OewsReader::new()
            .read_str("OCC_CODE,H_MEAN\n37-2011,17.43\n", "x.csv")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no H_MEDIAN column"), "{err}");
        assert!(err.contains("x.csv line 1"), "{err}");
    }

    #[test]
    fn bad_cells_are_errors_with_their_line() {
        let err = OewsReader::new()
            .read_str(
                "OCC_CODE,H_MEAN,H_MEDIAN\n37-2011,17.43,16.84\n53-7062,lots,17.36\n",
                "x.csv",
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("H_MEAN of 53-7062"), "{err}");
        let err = OewsReader::new()
            .read_str("OCC_CODE,H_MEAN,H_MEDIAN\n372011,1,1\n", "x.csv")
            .unwrap_err()
            .to_string();
        assert!(err.contains("NN-NNNN"), "{err}");
    }

    #[test]
    fn conflicting_duplicate_rows_are_rejected() {
        let text = "OCC_CODE,H_MEAN,H_MEDIAN\n37-2011,17.43,16.84\n37-2011,18.00,16.84\n";
        let err = OewsReader::new()
            .read_str(text, "x.csv")
            .unwrap_err()
            .to_string();
        assert!(err.contains("appears again"), "{err}");
    }

    #[test]
    fn excel_files_get_an_export_hint() {
        let err = OewsReader::new()
            .read_path("national_M2023_dl.xlsx")
            .unwrap_err()
            .to_string();
        assert!(err.contains("export its sheet as CSV"), "{err}");
    }

    #[test]
    fn header_only_file_is_an_error() {
        assert!(
            OewsReader::new()
                .read_str("OCC_CODE,H_MEAN,H_MEDIAN\n", "x.csv")
                .is_err()
        );
    }
}
