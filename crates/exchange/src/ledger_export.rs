//! Export to the seed project's folder layout, for people who read the
//! exchange with other tools. Written from one consistent snapshot that must
//! pass the integrity check; every file is written whole (temporary file,
//! then rename). Money appears twice: as credits (a JSON number, for
//! reading) and as exact integer micro-credits (`*_micros`).
//!
//! * `ledger.jsonl`: one transaction per line in sequence order: `seq`,
//!   `id`, `time` (ISO 8601 UTC), `time_us` (µs since the Unix epoch),
//!   `type`, `from`, `to` (`mint`, `sink` or an expert id), `amount`,
//!   `amount_micros`, `prediction_id`, `value_signal_id` (or null),
//!   `reason`, `metadata`.
//! * `accounts/<id>.json`: `id`; balances `available`, `staked`,
//!   `pending`; lifetime `seeded`, `earned`, `spent`, `burned` (each also as
//!   `*_micros`); `predictions`, `wins`, `losses`, `value_net`; derived
//!   `roi` ((earned − spent)/spent), `win_rate` (wins/(wins + losses)),
//!   `avg_value_per_prediction` (value_net/predictions, credits), null when
//!   undefined; `last_activity` (time of its latest transaction).
//! * `stakes/active_stakes.json`: array of `{expert, staked, staked_micros,
//!   last_staked}` for every account with credits staked.
//! * `market/price_history.jsonl`: one line per UTC day with activity:
//!   `date`, `transactions`, `volume` (sum of amounts), `minted`, `burned`,
//!   `circulation` (credits held at the end of the day), `inflation`
//!   ((minted − burned) / circulation at the start of the day; null when
//!   that is 0). Credits have no outside price: the history is the supply.
//! * `market/market_state.json`: `state` (`bull` when more was minted than
//!   burned over the window, else `bear`), `window_hours` (24), `window_end`
//!   (time of the latest transaction), `minted`, `burned` in the window,
//!   `circulation`, `total_minted`, `total_burned`, `accounts`.
//! * `value_signals/<YYYY-MM-DD>/signals.jsonl`: every `value_reward` and
//!   `value_penalty` of that day: `time`, `transaction_id`,
//!   `value_signal_id`, `expert`, `prediction_id`, `value` (credits,
//!   negative for a penalty), `value_micros`, `reason`, `metadata`.
//! * `tracked/exchange_summary.jsonl`: one line appended per export:
//!   `exported_at`, `transactions`, `accounts`, `minted`, `burned`, `held`,
//!   `volume_24h`, `market_state`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use crate::account_state::{Totals, verify};
use crate::credits::Credits;
use crate::error::{ExchangeError, Result};
use crate::ledger_store::{LedgerStore, now_us};
use crate::market_state::{DEFAULT_WINDOW_US, MarketWindow};
use crate::transfer::{Party, Transaction, TxType};

/// Microseconds in the market-state window (24 h).
const WINDOW_US: i64 = DEFAULT_WINDOW_US;

/// What [`export`] wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportSummary {
    /// Lines in `ledger.jsonl`.
    pub transactions: usize,
    /// Files in `accounts/`.
    pub accounts: usize,
    /// Folders in `value_signals/`.
    pub signal_days: usize,
    /// Minted, held and burned.
    pub totals: Totals,
    /// `bull` or `bear`.
    pub market_state: String,
}

/// `(YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS.ffffffZ)` of a time in µs since the
/// Unix epoch (proleptic Gregorian, UTC).
pub fn utc_date_time(time_us: i64) -> (String, String) {
    let secs = time_us.div_euclid(1_000_000);
    let micros = time_us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let date = format!("{y:04}-{m:02}-{d:02}");
    let time = format!(
        "{date}T{:02}:{:02}:{:02}.{micros:06}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    );
    (date, time)
}

fn credits(c: Credits) -> Value {
    json!(c.as_f64())
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ExchangeError + '_ {
    move |source| ExchangeError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let tmp = path.with_extension("tmp-export");
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

fn json_bytes(path: &Path, v: &Value, pretty: bool) -> Result<Vec<u8>> {
    let r = if pretty {
        serde_json::to_vec_pretty(v)
    } else {
        serde_json::to_vec(v)
    };
    r.map_err(|source| ExchangeError::Json {
        path: path.display().to_string(),
        source,
    })
}

fn jsonl(path: &Path, lines: &[Value]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for l in lines {
        out.extend(json_bytes(path, l, false)?);
        out.push(b'\n');
    }
    Ok(out)
}

fn ledger_line(t: &Transaction) -> Value {
    let tr = &t.transfer;
    json!({
        "seq": t.seq,
        "id": tr.id,
        "time": utc_date_time(t.time_us).1,
        "time_us": t.time_us,
        "type": tr.tx_type.as_str(),
        "from": tr.from.as_str(),
        "to": tr.to.as_str(),
        "amount": credits(tr.amount),
        "amount_micros": tr.amount.micros(),
        "prediction_id": tr.prediction_id,
        "value_signal_id": tr.value_signal_id,
        "reason": tr.reason,
        "metadata": tr.metadata,
    })
}

/// Writes the ledger of `store` into `out` in the seed's layout (see the
/// module documentation for every file and field). Refuses a ledger that
/// fails its integrity check. `tracked/exchange_summary.jsonl` gains a line
/// per export; every other file is replaced.
pub fn export(store: &mut dyn LedgerStore, out: &Path) -> Result<ExportSummary> {
    let snap = store.snapshot()?;
    let report = verify(&store.describe(), &snap.transactions, &snap.accounts)?;
    let txs = &snap.transactions;
    let end_us = txs.iter().map(|t| t.time_us).max().unwrap_or_else(now_us);

    let p = out.join("ledger.jsonl");
    let lines: Vec<Value> = txs.iter().map(ledger_line).collect();
    write_atomic(&p, &jsonl(&p, &lines)?)?;

    let mut last_activity: BTreeMap<&str, i64> = BTreeMap::new();
    let mut last_staked: BTreeMap<&str, i64> = BTreeMap::new();
    for t in txs {
        for party in [&t.transfer.from, &t.transfer.to] {
            if let Party::Expert(id) = party {
                last_activity.insert(id, t.time_us);
                if t.transfer.tx_type == TxType::Stake {
                    last_staked.insert(id, t.time_us);
                }
            }
        }
    }
    let mut stakes = Vec::new();
    for (id, s) in &snap.accounts {
        let p = out.join("accounts").join(format!("{id}.json"));
        let v = json!({
            "id": id,
            "available": credits(s.available),
            "available_micros": s.available.micros(),
            "staked": credits(s.staked),
            "staked_micros": s.staked.micros(),
            "pending": credits(s.pending),
            "pending_micros": s.pending.micros(),
            "seeded": credits(s.seeded),
            "seeded_micros": s.seeded.micros(),
            "earned": credits(s.earned),
            "earned_micros": s.earned.micros(),
            "spent": credits(s.spent),
            "spent_micros": s.spent.micros(),
            "burned": credits(s.burned),
            "burned_micros": s.burned.micros(),
            "predictions": s.predictions,
            "wins": s.wins,
            "losses": s.losses,
            "value_net": credits(s.value_net),
            "value_net_micros": s.value_net.micros(),
            "roi": s.roi(),
            "win_rate": s.win_rate(),
            "avg_value_per_prediction": s.avg_value_per_prediction(),
            "last_activity": last_activity.get(id.as_str()).map(|t| utc_date_time(*t).1),
        });
        write_atomic(&p, &json_bytes(&p, &v, true)?)?;
        if s.staked.micros() > 0 {
            stakes.push(json!({
                "expert": id,
                "staked": credits(s.staked),
                "staked_micros": s.staked.micros(),
                "last_staked": last_staked.get(id.as_str()).map(|t| utc_date_time(*t).1),
            }));
        }
    }
    let p = out.join("stakes").join("active_stakes.json");
    write_atomic(&p, &json_bytes(&p, &Value::Array(stakes), true)?)?;

    // Daily supply, and the value signals of each day.
    #[derive(Default)]
    struct Day {
        transactions: u64,
        volume: i64,
        minted: i64,
        burned: i64,
        signals: Vec<Value>,
    }
    let mut days: BTreeMap<String, Day> = BTreeMap::new();
    for t in txs {
        let tr = &t.transfer;
        let a = tr.amount.micros();
        let (date, time) = utc_date_time(t.time_us);
        let day = days.entry(date).or_default();
        day.transactions += 1;
        day.volume = day.volume.saturating_add(a);
        if tr.tx_type.mints() {
            day.minted = day.minted.saturating_add(a);
        }
        if tr.to == Party::Sink {
            day.burned = day.burned.saturating_add(a);
        }
        if matches!(tr.tx_type, TxType::ValueReward | TxType::ValuePenalty) {
            let (expert, value) = if tr.tx_type == TxType::ValueReward {
                (tr.to.as_str(), a)
            } else {
                (tr.from.as_str(), -a)
            };
            day.signals.push(json!({
                "time": time,
                "transaction_id": tr.id,
                "value_signal_id": tr.value_signal_id,
                "expert": expert,
                "prediction_id": tr.prediction_id,
                "value": credits(Credits::from_micros(value)),
                "value_micros": value,
                "reason": tr.reason,
                "metadata": tr.metadata,
            }));
        }
    }
    let mut history = Vec::new();
    let mut circulation = 0i64;
    let mut signal_days = 0;
    for (date, day) in &days {
        let start = circulation;
        circulation = circulation.saturating_add(day.minted - day.burned);
        history.push(json!({
            "date": date,
            "transactions": day.transactions,
            "volume": credits(Credits::from_micros(day.volume)),
            "minted": credits(Credits::from_micros(day.minted)),
            "burned": credits(Credits::from_micros(day.burned)),
            "circulation": credits(Credits::from_micros(circulation)),
            "inflation": (start > 0).then(|| (day.minted - day.burned) as f64 / start as f64),
        }));
        if !day.signals.is_empty() {
            let p = out.join("value_signals").join(date).join("signals.jsonl");
            write_atomic(&p, &jsonl(&p, &day.signals)?)?;
            signal_days += 1;
        }
    }
    let p = out.join("market").join("price_history.jsonl");
    write_atomic(&p, &jsonl(&p, &history)?)?;
    let window = MarketWindow::compute(txs, WINDOW_US, Some(end_us))?;
    let state = window.state.as_str();
    let totals = report.totals;
    let p = out.join("market").join("market_state.json");
    let v = json!({
        "state": state,
        "window_hours": 24,
        "window_end": utc_date_time(end_us).1,
        "minted": credits(window.minted),
        "burned": credits(window.burned),
        "circulation": credits(totals.held),
        "total_minted": credits(totals.minted),
        "total_burned": credits(totals.burned),
        "accounts": snap.accounts.len(),
    });
    write_atomic(&p, &json_bytes(&p, &v, true)?)?;

    let volume_24h: i64 = txs
        .iter()
        .filter(|t| t.time_us > end_us - WINDOW_US)
        .map(|t| t.transfer.amount.micros())
        .fold(0, i64::saturating_add);
    let p = out.join("tracked").join("exchange_summary.jsonl");
    let line = json!({
        "exported_at": utc_date_time(now_us()).1,
        "transactions": txs.len(),
        "accounts": snap.accounts.len(),
        "minted": credits(totals.minted),
        "burned": credits(totals.burned),
        "held": credits(totals.held),
        "volume_24h": credits(Credits::from_micros(volume_24h)),
        "market_state": state,
    });
    let dir = out.join("tracked");
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&p)
        .map_err(io(&p))?;
    let mut bytes = json_bytes(&p, &line, false)?;
    bytes.push(b'\n');
    f.write_all(&bytes).map_err(io(&p))?;

    Ok(ExportSummary {
        transactions: txs.len(),
        accounts: snap.accounts.len(),
        signal_days,
        totals,
        market_state: state.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_match_known_days() {
        assert_eq!(utc_date_time(0).1, "1970-01-01T00:00:00.000000Z");
        // 2024-02-29T12:34:56.789Z
        assert_eq!(
            utc_date_time(1_709_210_096_789_000).1,
            "2024-02-29T12:34:56.789000Z"
        );
        assert_eq!(utc_date_time(-1).0, "1969-12-31");
    }
}
