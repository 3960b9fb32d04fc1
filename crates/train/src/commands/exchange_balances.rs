//! `vp exchange balances`: every account's balances (available, staked,
//! pending) and lifetime figures (seeded, earned, spent, burned,
//! predictions, wins, losses, net value, ROI, win rate, value per
//! prediction), the active stakes, and the totals minted, held and burned.
//! Money is printed in credits, and in `--json` also as exact integer
//! micro-credits (`*_micros`).

use super::exchange_ledger_args::LedgerArgs;
use crate::out::outln;
use anyhow::Result;
use clap::Args;
use exchange::{AccountSummary, Credits, active_stakes};
use serde_json::{Value, json};
use std::process::ExitCode;

/// Print every account and the ledger's totals.
#[derive(Debug, Args)]
pub struct BalancesArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    /// Print one JSON object: `accounts`, `active_stakes`, `totals`.
    #[arg(long)]
    json: bool,
}

fn money(obj: &mut serde_json::Map<String, Value>, name: &str, c: Credits) {
    obj.insert(name.to_string(), json!(c.as_f64()));
    obj.insert(format!("{name}_micros"), json!(c.micros()));
}

fn account_json(a: &AccountSummary) -> Value {
    let s = &a.state;
    let mut o = serde_json::Map::new();
    o.insert("id".into(), json!(a.id));
    for (name, c) in [
        ("available", s.available),
        ("staked", s.staked),
        ("pending", s.pending),
        ("seeded", s.seeded),
        ("earned", s.earned),
        ("spent", s.spent),
        ("burned", s.burned),
        ("value_net", s.value_net),
    ] {
        money(&mut o, name, c);
    }
    o.insert("predictions".into(), json!(s.predictions));
    o.insert("wins".into(), json!(s.wins));
    o.insert("losses".into(), json!(s.losses));
    o.insert("roi".into(), json!(a.roi));
    o.insert("win_rate".into(), json!(a.win_rate));
    o.insert(
        "avg_value_per_prediction".into(),
        json!(a.avg_value_per_prediction),
    );
    Value::Object(o)
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.3}"))
}

impl BalancesArgs {
    /// Reads one consistent snapshot and prints it.
    pub fn run(self) -> Result<ExitCode> {
        let mut store = self.ledger.open()?;
        let snap = store.snapshot()?;
        let totals = snap.totals()?;
        let summaries = snap.summaries();
        let stakes = active_stakes(&snap.transactions);
        if self.json {
            let mut t = serde_json::Map::new();
            money(&mut t, "minted", totals.minted);
            money(&mut t, "held", totals.held);
            money(&mut t, "burned", totals.burned);
            t.insert(
                "conserved".into(),
                json!(totals.held.checked_add(totals.burned) == Some(totals.minted)),
            );
            let stakes: Vec<Value> = stakes
                .iter()
                .map(|s| {
                    json!({
                        "stake_id": s.stake_id,
                        "expert": s.expert,
                        "amount": s.amount.as_f64(),
                        "amount_micros": s.amount.micros(),
                        "claimed": s.claimed,
                        "prediction_id": s.prediction_id,
                    })
                })
                .collect();
            let v = json!({
                "ledger": store.describe(),
                "transactions": snap.transactions.len(),
                "accounts": summaries.iter().map(account_json).collect::<Vec<_>>(),
                "active_stakes": stakes,
                "totals": Value::Object(t),
            });
            outln!("{v}");
            return Ok(ExitCode::SUCCESS);
        }
        outln!(
            "{:<24} {:>16} {:>14} {:>14} {:>14} {:>14} {:>8} {:>8}",
            "account",
            "available",
            "staked",
            "earned",
            "spent",
            "burned",
            "roi",
            "win_rate"
        );
        for a in &summaries {
            let s = &a.state;
            outln!(
                "{:<24} {:>16} {:>14} {:>14} {:>14} {:>14} {:>8} {:>8}",
                a.id,
                s.available.to_string(),
                s.staked.to_string(),
                s.earned.to_string(),
                s.spent.to_string(),
                s.burned.to_string(),
                opt(a.roi),
                opt(a.win_rate)
            );
        }
        outln!(
            "minted {}  held {}  burned {}  ({} transactions, {} accounts, {} active stakes)",
            totals.minted,
            totals.held,
            totals.burned,
            snap.transactions.len(),
            summaries.len(),
            stakes.len()
        );
        Ok(ExitCode::SUCCESS)
    }
}
