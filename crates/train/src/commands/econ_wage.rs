//! `vp econ wage`: national OEWS hourly wages of an occupation, from the
//! shipped table or from an OEWS national file the user supplies.

use crate::out::outln;
use anyhow::{Context, Result};
use clap::Args;
use economics::{OewsReader, WageEntry, WageFigure, WageTable};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Look up the national hourly wage of an occupation.
#[derive(Debug, Args)]
pub struct WageArgs {
    /// SOC occupation code, e.g. 35-9021 (dishwashers).
    #[arg(value_name = "OCC_CODE")]
    pub occupation_code: String,
    /// Read this OEWS national file (CSV export with OCC_CODE, H_MEAN,
    /// H_MEDIAN) instead of the shipped table.
    #[arg(long, value_name = "FILE")]
    pub oews: Option<PathBuf>,
    /// Reference period of the --oews file (default: from its name, e.g.
    /// national_M2024_dl.csv → May 2024).
    #[arg(long, value_name = "PERIOD", requires = "oews")]
    pub year: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

impl WageArgs {
    /// Looks up and prints the entry.
    pub fn run(self) -> Result<ExitCode> {
        let table = match &self.oews {
            Some(path) => {
                let reader = match &self.year {
                    Some(year) => OewsReader::new().year(year.clone()),
                    None => OewsReader::new(),
                };
                reader
                    .read_path(path)
                    .with_context(|| format!("reading OEWS file {}", path.display()))?
            }
            None => WageTable::shipped(),
        };
        let entry = table.get(&self.occupation_code)?;
        if self.json {
            outln!("{}", entry_json(entry));
        } else {
            print_entry(entry)?;
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn figure_json(figure: WageFigure) -> serde_json::Value {
    figure
        .dollars()
        .map_or(serde_json::Value::Null, |d| json!(d))
}

fn entry_json(e: &WageEntry) -> serde_json::Value {
    let mut notes = Vec::new();
    for (name, figure) in [
        ("hourly_mean", e.hourly_mean),
        ("hourly_median", e.hourly_median),
    ] {
        if figure.dollars().is_none() {
            notes.push(format!("{name}: {}", figure.reason()));
        }
    }
    json!({
        "occupation_code": e.occupation_code.as_str(),
        "title": e.title,
        "hourly_mean": figure_json(e.hourly_mean),
        "hourly_median": figure_json(e.hourly_median),
        "year": e.year,
        "source": e.source,
        "verified": e.verified,
        "notes": notes,
    })
}

fn print_entry(e: &WageEntry) -> Result<()> {
    outln!("{} {}", e.occupation_code, e.title);
    outln!("  hourly mean    {}", e.hourly_mean);
    outln!("  hourly median  {}", e.hourly_median);
    outln!("  period         {}", e.year);
    outln!("  source         {}", e.source);
    outln!("  verified       {}", if e.verified { "yes" } else { "no" });
    for (name, figure) in [("mean", e.hourly_mean), ("median", e.hourly_median)] {
        if figure.dollars().is_none() {
            outln!("  note           {name}: {}", figure.reason());
        }
    }
    Ok(())
}
