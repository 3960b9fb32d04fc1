//! `vp econ quotes`: list a quote log, or verify it with `--check`.

use crate::out::outln;
use anyhow::{Context, Result};
use clap::Args;
use economics::{Quote, QuoteLog, TrueUp};
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// List the logged quotes and their true-ups.
#[derive(Debug, Args)]
pub struct QuotesArgs {
    /// The quote log.
    #[arg(long, value_name = "DB")]
    pub log: PathBuf,
    /// Verify the store (SQLite integrity check, schema, every row
    /// well-formed and consistent, no duplicate ids, every true-up naming
    /// a logged quote); exit 1 on damage.
    #[arg(long)]
    pub check: bool,
    /// Print JSON: an array of quotes, or with --check one object.
    #[arg(long)]
    pub json: bool,
}

impl QuotesArgs {
    /// Lists or checks the log.
    pub fn run(self) -> Result<ExitCode> {
        let log = QuoteLog::open(&self.log).context("--log")?;
        if self.check {
            let check = log.check().context("--log")?;
            if self.json {
                outln!(
                    "{}",
                    json!({
                        "ok": check.is_ok(),
                        "quotes": check.quotes,
                        "true_ups": check.true_ups,
                        "problems": check.problems,
                    })
                );
            } else if check.is_ok() {
                outln!(
                    "ok: {} quotes, {} true-ups in {}",
                    check.quotes,
                    check.true_ups,
                    self.log.display()
                );
            } else {
                for p in &check.problems {
                    eprintln!("damaged: {p}");
                }
                eprintln!(
                    "error: quote log {} is damaged ({} problems)",
                    self.log.display(),
                    check.problems.len()
                );
            }
            return Ok(if check.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
        let quotes = log.quotes().context("--log")?;
        let true_ups = log.true_ups().context("--log")?;
        let by_quote: HashMap<&str, &TrueUp> =
            true_ups.iter().map(|t| (t.quote_id.as_str(), t)).collect();
        if self.json {
            let rows: Vec<_> = quotes
                .iter()
                .map(|q| quote_json(q, by_quote.get(q.quote_id.as_str()).copied()))
                .collect();
            outln!("{}", serde_json::Value::Array(rows));
            return Ok(ExitCode::SUCCESS);
        }
        outln!(
            "{:<10} {:<20} {:<9} {:>9} {:>9} {:>6} {:>4} {:>12} {:>12}",
            "quote",
            "issued",
            "sharing",
            "E[ΔMPL]",
            "lower",
            "kappa",
            "tier",
            "premium",
            "true-up"
        );
        for q in &quotes {
            let t = by_quote.get(q.quote_id.as_str());
            outln!(
                "{:<10} {:<20} {:<9} {:>9.4} {:>9.4} {:>6.3} {:>4} {:>12.2} {:>12}",
                q.quote_id,
                q.issued_at_rfc3339(),
                sharing_name(q),
                q.request.expected_mpl,
                q.request.lower,
                q.terms.kappa,
                q.terms.tier,
                q.terms.premium,
                t.map_or_else(|| "open".to_owned(), |t| format!("{:.2}", t.trueup_amount))
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn sharing_name(q: &Quote) -> &'static str {
    match q.request.sharing {
        economics::SharingStatus::Withheld => "withheld",
        economics::SharingStatus::Shared => "shared",
    }
}

/// A quote (and its true-up, if any) as one JSON object.
pub fn quote_json(q: &Quote, t: Option<&TrueUp>) -> serde_json::Value {
    let r = &q.request;
    json!({
        "quote_id": q.quote_id,
        "issued_at": q.issued_at_rfc3339(),
        "due_at": q.due_at_rfc3339(),
        "datapoint_id": r.datapoint_id,
        "novelty": r.novelty,
        "causal_gain": r.causal_gain,
        "price_per_unit": r.price_per_unit,
        "expected_mpl": r.expected_mpl,
        "lower": r.lower,
        "upper": r.upper,
        "horizon_hours": r.horizon_hours,
        "sharing": sharing_name(q),
        "kappa_floor": r.kappa_floor,
        "data_sharing_discount": r.data_sharing_discount,
        "tier0_threshold": r.thresholds.tier0(),
        "tier1_threshold": r.thresholds.tier1(),
        "reconciliation_period_days": r.reconciliation_period_days,
        "kappa": q.terms.kappa,
        "tier": q.terms.tier,
        "premium": q.terms.premium,
        "discount_per_unit": q.terms.discount_per_unit,
        "realized_mpl": t.map(|t| t.realized_mpl),
        "premium_realized": t.map(|t| t.premium_realized),
        "trueup_amount": t.map(|t| t.trueup_amount),
        "trued_up_at": t.map(|t| economics::format_rfc3339(t.recorded_at)),
    })
}
