//! `vp econ true-up`: settle a logged quote against the measured ΔMPL
//! (SPEC §6): `trueup = P − p·κ·realized·H·S`, positive is a refund.

use crate::out::outln;
use anyhow::{Context, Result};
use clap::Args;
use economics::{QuoteLog, format_rfc3339, now_unix, parse_rfc3339};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Record the true-up of one quote (once; entries are never edited).
#[derive(Debug, Args)]
pub struct TrueUpArgs {
    /// The quote log.
    #[arg(long, value_name = "DB")]
    pub log: PathBuf,
    /// The quote's id (as `vp econ quote --log` printed it, e.g. Q-000001).
    #[arg(long, value_name = "ID")]
    pub quote_id: String,
    /// The measured ΔMPL, units per hour.
    #[arg(long, value_name = "R", allow_negative_numbers = true)]
    pub realized_mpl: f64,
    /// Time to record (RFC 3339) instead of now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

impl TrueUpArgs {
    /// Records and prints the true-up.
    pub fn run(self) -> Result<ExitCode> {
        let at = match &self.at {
            Some(text) => parse_rfc3339("--at", text)?,
            None => now_unix(),
        };
        if !self.realized_mpl.is_finite() {
            anyhow::bail!(
                "invalid --realized-mpl: {} is not finite: expected a finite number",
                self.realized_mpl
            );
        }
        let mut log = QuoteLog::open(&self.log).context("--log")?;
        let t = log
            .true_up(&self.quote_id, self.realized_mpl, at)
            .context("--quote-id")?;
        let quote = log.quote(&self.quote_id).context("--log")?;
        if self.json {
            outln!(
                "{}",
                json!({
                    "quote_id": t.quote_id,
                    "expected_mpl": quote.request.expected_mpl,
                    "realized_mpl": t.realized_mpl,
                    "premium": quote.terms.premium,
                    "premium_realized": t.premium_realized,
                    "trueup_amount": t.trueup_amount,
                    "refund": t.trueup_amount > 0.0,
                    "recorded_at": format_rfc3339(t.recorded_at),
                })
            );
        } else {
            outln!("quote              {}", t.quote_id);
            outln!("premium            ${:.2}", quote.terms.premium);
            outln!("realized premium   ${:.2}", t.premium_realized);
            if t.trueup_amount >= 0.0 {
                outln!("refund             ${:.2}", t.trueup_amount);
            } else {
                outln!("extra bill         ${:.2}", -t.trueup_amount);
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
