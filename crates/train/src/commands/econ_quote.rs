//! `vp econ quote`: an ex-ante premium quote (SPEC §6), appended to a
//! durable quote log with `--log`.

use super::econ_valuation_flags::{flag_error, load_task_config};
use crate::out::outln;
use anyhow::{Context, Result};
use clap::Args;
use economics::{
    PricingConfig, Quote, QuoteLog, QuoteRequest, QuoteTerms, SharingStatus, TierThresholds,
    format_rfc3339, now_unix, parse_rfc3339,
};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Quote the premium for withheld data, or the discount for shared data.
#[derive(Debug, Args)]
pub struct QuoteArgs {
    /// p: dollars per unit (> 0).
    #[arg(long, value_name = "P", allow_negative_numbers = true)]
    pub price_per_unit: f64,
    /// E[ΔMPL]: expected productivity gain, units per hour (>= 0).
    #[arg(long, value_name = "E", allow_negative_numbers = true)]
    pub expected_mpl: f64,
    /// Lower confidence bound of ΔMPL (>= 0); κ = lower / E.
    #[arg(long, value_name = "L", allow_negative_numbers = true)]
    pub lower: f64,
    /// H: robot-hours the premium covers (> 0).
    #[arg(long, value_name = "H", allow_negative_numbers = true)]
    pub horizon: f64,
    /// Whether the customer withholds the data (pays the premium) or shares
    /// it (no premium, a per-unit discount).
    #[arg(long, value_name = "withheld|shared", value_parser = parse_sharing)]
    pub sharing: SharingStatus,
    /// Floor of κ, in (0, 1] [default: 0.25, or --config's].
    #[arg(long, value_name = "F", allow_negative_numbers = true)]
    pub kappa_floor: Option<f64>,
    /// Per-unit discount for shared data as a fraction of p, in [0, 1]
    /// [default: 0.15, or --config's].
    #[arg(long, value_name = "D", allow_negative_numbers = true)]
    pub data_sharing_discount: Option<f64>,
    /// Append the quote to this quote log (SQLite; created if missing).
    #[arg(long, value_name = "DB")]
    pub log: Option<PathBuf>,
    /// Task config whose data_valuation: and pricing: sections give the
    /// defaults of κ floor, discount, tier thresholds and true-up period.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Tier 0 below this E[ΔMPL] [default: 0.5].
    #[arg(long, value_name = "T0", allow_negative_numbers = true)]
    pub tier0_threshold: Option<f64>,
    /// Tier 1 below this, tier 2 from it on [default: 3.0].
    #[arg(long, value_name = "T1", allow_negative_numbers = true)]
    pub tier1_threshold: Option<f64>,
    /// Days from the quote to its true-up (>= 1) [default: 90].
    #[arg(long, value_name = "N")]
    pub reconciliation_period_days: Option<u64>,
    /// Id of the datapoint quoted, kept in the log.
    #[arg(long, value_name = "ID")]
    pub datapoint_id: Option<String>,
    /// Its novelty score, kept in the log.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub novelty: Option<f64>,
    /// Its causal gain, kept in the log.
    #[arg(long, value_name = "Y", allow_negative_numbers = true)]
    pub causal_gain: Option<f64>,
    /// Upper confidence bound of ΔMPL, kept in the log.
    #[arg(long, value_name = "U", allow_negative_numbers = true)]
    pub upper: Option<f64>,
    /// Issue time to record (RFC 3339, e.g. 2026-12-03T16:22:04Z) instead
    /// of now: for back-filling quotes made elsewhere.
    #[arg(long, value_name = "TIME", requires = "log")]
    pub at: Option<String>,
    /// Print one JSON object: premium, kappa, tier, discount_per_unit and,
    /// with --log, quote_id, issued_at and due_at.
    #[arg(long)]
    pub json: bool,
}

/// Parses `withheld` or `shared`.
pub fn parse_sharing(text: &str) -> std::result::Result<SharingStatus, String> {
    match text {
        "withheld" => Ok(SharingStatus::Withheld),
        "shared" => Ok(SharingStatus::Shared),
        other => Err(format!("'{other}': expected withheld or shared")),
    }
}

impl QuoteArgs {
    /// Prices, logs and prints the quote.
    pub fn run(self) -> Result<ExitCode> {
        let task = load_task_config(self.config.as_deref())?;
        let valuation = task
            .as_ref()
            .map(|t| t.data_valuation.clone())
            .unwrap_or_default();
        let pricing: PricingConfig = task.as_ref().map(|t| t.pricing.clone()).unwrap_or_default();
        let thresholds = TierThresholds::new(
            self.tier0_threshold.unwrap_or(valuation.tier0_threshold),
            self.tier1_threshold.unwrap_or(valuation.tier1_threshold),
        )
        .map_err(flag_error)?;
        let request = QuoteRequest {
            datapoint_id: self.datapoint_id,
            novelty: self.novelty,
            causal_gain: self.causal_gain,
            price_per_unit: self.price_per_unit,
            expected_mpl: self.expected_mpl,
            lower: self.lower,
            upper: self.upper,
            horizon_hours: self.horizon,
            sharing: self.sharing,
            kappa_floor: self.kappa_floor.unwrap_or(valuation.kappa_floor),
            data_sharing_discount: self
                .data_sharing_discount
                .unwrap_or(pricing.data_sharing_discount),
            thresholds,
            reconciliation_period_days: self
                .reconciliation_period_days
                .unwrap_or(pricing.reconciliation_period_days),
        };
        let terms = request.terms().map_err(flag_error)?;
        let issued_at = match &self.at {
            Some(text) => parse_rfc3339("--at", text).map_err(anyhow::Error::new)?,
            None => now_unix(),
        };
        let stored = match &self.log {
            Some(path) => {
                let mut log = QuoteLog::open_or_create(path).context("--log")?;
                Some(log.append(&request, issued_at).context("--log")?)
            }
            None => None,
        };
        print_quote(&terms, stored.as_ref(), self.json)?;
        Ok(ExitCode::SUCCESS)
    }
}

fn print_quote(terms: &QuoteTerms, stored: Option<&Quote>, as_json: bool) -> Result<()> {
    if as_json {
        let mut out = json!({
            "premium": terms.premium,
            "kappa": terms.kappa,
            "tier": terms.tier,
            "discount_per_unit": terms.discount_per_unit,
        });
        if let Some(q) = stored {
            out["quote_id"] = json!(q.quote_id);
            out["issued_at"] = json!(q.issued_at_rfc3339());
            out["due_at"] = json!(q.due_at_rfc3339());
        }
        outln!("{out}");
        return Ok(());
    }
    outln!("premium            ${:.2}", terms.premium);
    outln!("kappa              {:.4}", terms.kappa);
    outln!("tier               {}", terms.tier);
    outln!("discount per unit  ${:.4}", terms.discount_per_unit);
    if let Some(q) = stored {
        outln!("quote id           {}", q.quote_id);
        outln!("issued             {}", format_rfc3339(q.issued_at));
        outln!("true-up due        {}", format_rfc3339(q.due_at));
    }
    Ok(())
}
