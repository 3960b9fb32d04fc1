//! `vp exchange transfer`: apply one ledger transaction. The id is the
//! client's: a retry with the same contents exits 0 and changes nothing; a
//! bad type, bad parties, an overdraft or an id reused with other contents
//! exits non-zero with a message naming the flag, and changes nothing.

use super::exchange_ledger_args::LedgerArgs;
use crate::out::outln;
use anyhow::{Context, Result, anyhow};
use clap::Args;
use exchange::{Credits, ExchangeError, Party, Transaction, Transfer, TxType, utc_date_time};
use serde_json::json;
use std::process::ExitCode;

/// Apply one ledger transaction.
#[derive(Debug, Args)]
pub struct TransferArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    /// Transaction id chosen by the client (a retry reuses it).
    #[arg(long, value_name = "TXID")]
    id: String,
    /// seed, prediction_cost, value_reward, value_penalty, stake, unstake,
    /// routing_fee or deprecation.
    #[arg(long = "type", value_name = "TYPE")]
    tx_type: String,
    /// Debited party: mint, sink or an expert id (stake/unstake: the expert).
    #[arg(long, value_name = "A")]
    from: String,
    /// Credited party: mint, sink or an expert id (stake/unstake: the same expert).
    #[arg(long, value_name = "B")]
    to: String,
    /// Credits, > 0, at most six decimals (e.g. 12.5).
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    amount: String,
    /// Why (free text, stored with the transaction).
    #[arg(long, value_name = "TEXT", default_value = "")]
    reason: String,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// The flag a ledger refusal is about, for the message.
fn flag_of(err: &ExchangeError) -> &'static str {
    match err {
        ExchangeError::InvalidTransfer { field, .. } => match *field {
            "from" => "--from",
            "to" => "--to",
            "amount" => "--amount",
            "id" => "--id",
            _ => "--type",
        },
        ExchangeError::InsufficientFunds { .. } => "--amount",
        ExchangeError::UnknownAccount { .. } => "--from",
        ExchangeError::IdConflict { .. } => "--id",
        ExchangeError::InvalidAccountId { .. } => "--from/--to",
        _ => "ledger",
    }
}

impl TransferArgs {
    /// Parses, applies once, prints the stored transaction.
    pub fn run(self) -> Result<ExitCode> {
        let tx_type: TxType = self.tx_type.parse().context("--type")?;
        let from: Party = self.from.parse().context("--from")?;
        let to: Party = self.to.parse().context("--to")?;
        let amount: Credits = self.amount.parse().context("--amount")?;
        let mut transfer = Transfer::new(self.id.clone(), tx_type, from, to, amount);
        transfer.reason = self.reason.clone();
        transfer
            .validate()
            .map_err(|e| anyhow!("{}: {e}", flag_of(&e)))?;
        let mut store = self.ledger.open()?;
        let applied = store
            .apply(&transfer)
            .map_err(|e| anyhow!("{}: {e}", flag_of(&e)))?;
        let t = &applied.transaction;
        if self.json {
            outln!("{}", transaction_json(t, applied.duplicate));
        } else if applied.duplicate {
            outln!(
                "transaction '{}' is already in the ledger (seq {}): nothing changed",
                t.transfer.id,
                t.seq
            );
        } else {
            let tr = &t.transfer;
            outln!(
                "applied '{}' (seq {}): {} {} → {} {} credits",
                tr.id,
                t.seq,
                tr.tx_type,
                tr.from,
                tr.to,
                tr.amount
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn transaction_json(t: &Transaction, duplicate: bool) -> serde_json::Value {
    let tr = &t.transfer;
    json!({
        "id": tr.id,
        "seq": t.seq,
        "time": utc_date_time(t.time_us).1,
        "time_us": t.time_us,
        "type": tr.tx_type.as_str(),
        "from": tr.from.as_str(),
        "to": tr.to.as_str(),
        "amount": tr.amount.as_f64(),
        "amount_micros": tr.amount.micros(),
        "reason": tr.reason,
        "duplicate": duplicate,
    })
}
