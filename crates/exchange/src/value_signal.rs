//! Value signals (SPEC §7): an observed outcome ([`SignalEvent`]: kind,
//! time, prediction, raw value, confidence) split among the experts behind
//! it ([`ValueSignal`]: one expert and its attribution share), and turned
//! into `value_reward` / `value_penalty` ledger transactions.
//!
//! An expert's value is `raw value × confidence × share`, rounded to the
//! micro-credit. A positive value is a `value_reward` (`mint → expert`), a
//! negative one a `value_penalty` (`expert → sink`) capped at the expert's
//! available credits when it is first applied (a penalty never overdraws;
//! one on an empty account writes nothing). The transaction id is
//! `vs:<signal id>:<expert>`, so settling a signal again applies nothing.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::apply_once::{AmountRule, apply_once};
use crate::attribution::{Contribution, attribute};
use crate::credits::{Credits, MICROS_PER_CREDIT};
use crate::error::{ExchangeError, Result};
use crate::ledger_store::LedgerStore;
use crate::transfer::{Party, Transaction, Transfer, TxType, validate_account_id};
use crate::value_signal_table::{PRODUCTIVITY_GAIN, SignalTable};

/// Longest signal id accepted, in bytes (the transaction id adds the
/// expert id).
pub const MAX_SIGNAL_ID_LEN: usize = 48;

/// An observed outcome before it is split among experts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalEvent {
    /// Client-chosen unique id (1 to 48 bytes, no ':' or control
    /// characters), e.g. `eval-run3-ep200`.
    pub id: String,
    /// Kind, a key of the [`SignalTable`].
    pub kind: String,
    /// When it was observed, µs since the Unix epoch (UTC).
    pub time_us: i64,
    /// The prediction it judges, if any.
    pub prediction_id: Option<String>,
    /// Raw value in credits (the table's base value, or the priced gain).
    pub raw_value: f64,
    /// Confidence in [0, 1].
    pub confidence: f64,
}

impl SignalEvent {
    /// A signal of a fixed-value kind, with the table's base value and
    /// confidence.
    pub fn from_table(table: &SignalTable, id: &str, kind: &str, time_us: i64) -> Result<Self> {
        let rule = table.rule(kind)?;
        let e = SignalEvent {
            id: id.to_string(),
            kind: kind.to_string(),
            time_us,
            prediction_id: None,
            raw_value: rule.base_value,
            confidence: rule.confidence,
        };
        e.validate()?;
        Ok(e)
    }

    /// The harness's productivity-gain signal: raw value
    /// `p·ΔMP_r·horizon_hours` dollars in credits (see
    /// [`SignalTable::productivity_gain_value`]), the table's confidence.
    pub fn productivity_gain(
        table: &SignalTable,
        id: &str,
        time_us: i64,
        price_per_unit: f64,
        delta_mp_r: f64,
        horizon_hours: f64,
    ) -> Result<Self> {
        let rule = table.rule(PRODUCTIVITY_GAIN)?;
        let e = SignalEvent {
            id: id.to_string(),
            kind: PRODUCTIVITY_GAIN.to_string(),
            time_us,
            prediction_id: None,
            raw_value: table.productivity_gain_value(price_per_unit, delta_mp_r, horizon_hours)?,
            confidence: rule.confidence,
        };
        e.validate()?;
        Ok(e)
    }

    /// The same signal about a prediction.
    pub fn with_prediction(mut self, prediction_id: &str) -> Self {
        self.prediction_id = Some(prediction_id.to_string());
        self
    }

    /// Checks the id, a finite raw value and a confidence in [0, 1].
    pub fn validate(&self) -> Result<()> {
        if self.id.is_empty()
            || self.id.len() > MAX_SIGNAL_ID_LEN
            || self.id.chars().any(|c| c == ':' || c.is_control())
        {
            return Err(ExchangeError::InvalidInput {
                field: "signal id".into(),
                expected: "1 to 48 bytes without ':' or control characters".into(),
                got: format!("{:?}", self.id),
            });
        }
        if !self.raw_value.is_finite() {
            return Err(ExchangeError::InvalidInput {
                field: format!("signal '{}' raw_value", self.id),
                expected: "a finite number of credits".into(),
                got: self.raw_value.to_string(),
            });
        }
        if !(0.0..=1.0).contains(&self.confidence) {
            return Err(ExchangeError::InvalidInput {
                field: format!("signal '{}' confidence", self.id),
                expected: "in [0, 1]".into(),
                got: self.confidence.to_string(),
            });
        }
        Ok(())
    }

    /// `raw value × confidence`, the credits shared among the experts.
    pub fn total(&self) -> f64 {
        self.raw_value * self.confidence
    }

    /// The whole signal to one expert (share 1).
    pub fn to_expert(&self, expert: &str) -> Result<ValueSignal> {
        self.validate()?;
        validate_account_id(expert)?;
        Ok(self.signal(expert, 1.0))
    }

    /// The signal split among contributors by [`attribute`]; experts with
    /// a zero share are left out.
    pub fn attribute(
        &self,
        winners: &[String],
        contributions: &[Contribution],
    ) -> Result<Vec<ValueSignal>> {
        self.validate()?;
        Ok(attribute(winners, contributions)?
            .into_iter()
            .filter(|a| a.share > 0.0)
            .map(|a| self.signal(&a.expert, a.share))
            .collect())
    }

    fn signal(&self, expert: &str, share: f64) -> ValueSignal {
        ValueSignal {
            signal_id: self.id.clone(),
            kind: self.kind.clone(),
            time_us: self.time_us,
            expert: expert.to_string(),
            prediction_id: self.prediction_id.clone(),
            raw_value: self.raw_value,
            confidence: self.confidence,
            attribution_share: share,
        }
    }
}

/// One expert's part of a signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueSignal {
    /// The event's id.
    pub signal_id: String,
    /// Kind.
    pub kind: String,
    /// When the event was observed, µs since the Unix epoch.
    pub time_us: i64,
    /// Expert id.
    pub expert: String,
    /// The prediction judged, if any.
    pub prediction_id: Option<String>,
    /// The event's raw value, credits.
    pub raw_value: f64,
    /// The event's confidence.
    pub confidence: f64,
    /// This expert's share of the total, in [0, 1].
    pub attribution_share: f64,
}

impl ValueSignal {
    /// `raw value × confidence × share`, credits (negative: a penalty).
    pub fn value(&self) -> f64 {
        self.raw_value * self.confidence * self.attribution_share
    }

    /// The value rounded to the micro-credit (half away from zero).
    pub fn value_credits(&self) -> Result<Credits> {
        let micros = (self.value() * MICROS_PER_CREDIT as f64).round();
        if !micros.is_finite() || micros.abs() >= i64::MAX as f64 {
            return Err(ExchangeError::Overflow {
                what: format!("value of signal '{}' to '{}'", self.signal_id, self.expert),
            });
        }
        Ok(Credits::from_micros(micros as i64))
    }

    /// The ledger transaction id: `vs:<signal id>:<expert>`.
    pub fn transaction_id(&self) -> String {
        format!("vs:{}:{}", self.signal_id, self.expert)
    }

    /// The transfer at its full (uncapped) value; `None` when the value
    /// rounds to zero micro-credits.
    pub fn transfer(&self) -> Result<Option<Transfer>> {
        let v = self.value_credits()?;
        if v.micros() == 0 {
            return Ok(None);
        }
        let expert = Party::expert(&self.expert)?;
        let (tx_type, from, to, amount) = if v.micros() > 0 {
            (TxType::ValueReward, Party::Mint, expert, v)
        } else {
            (
                TxType::ValuePenalty,
                expert,
                Party::Sink,
                Credits::from_micros(-v.micros()),
            )
        };
        let mut t = Transfer::new(self.transaction_id(), tx_type, from, to, amount);
        t.prediction_id = self.prediction_id.clone();
        t.value_signal_id = Some(self.signal_id.clone());
        t.reason = format!("value signal {}", self.kind);
        t.metadata = json!({
            "kind": self.kind,
            "signal_time_us": self.time_us,
            "raw_value": self.raw_value,
            "confidence": self.confidence,
            "attribution_share": self.attribution_share,
            "value_micros": v.micros(),
        });
        Ok(Some(t))
    }
}

/// What [`settle_signal`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalSettlement {
    /// The transaction id (`vs:<signal id>:<expert>`).
    pub transaction_id: String,
    /// The signal's value, credits, negative for a penalty.
    pub value: Credits,
    /// The stored transaction; `None` when nothing was written (a value
    /// of zero, or a penalty on an account with nothing available).
    pub transaction: Option<Transaction>,
    /// The transaction was already in the ledger: nothing was written.
    pub duplicate: bool,
    /// The penalty was cut to the account's available credits.
    pub capped: bool,
}

/// Writes one expert's signal to the ledger, exactly once (see the module
/// documentation for the rules).
pub fn settle_signal(
    store: &mut dyn LedgerStore,
    signal: &ValueSignal,
) -> Result<SignalSettlement> {
    let value = signal.value_credits()?;
    let mut settlement = SignalSettlement {
        transaction_id: signal.transaction_id(),
        value,
        transaction: None,
        duplicate: false,
        capped: false,
    };
    let Some(mut t) = signal.transfer()? else {
        return Ok(settlement);
    };
    if t.tx_type == TxType::ValuePenalty && store.transaction(&t.id)?.is_none() {
        let available = store
            .account(&signal.expert)?
            .map_or(Credits::ZERO, |a| a.available);
        if available.micros() == 0 {
            return Ok(settlement);
        }
        if available < t.amount {
            t.amount = available;
            settlement.capped = true;
        }
    }
    let rule = if t.tx_type == TxType::ValuePenalty {
        AmountRule::DecidedWhenFirstApplied
    } else {
        AmountRule::Exact
    };
    let applied = apply_once(store, &t, rule)?;
    settlement.duplicate = applied.duplicate;
    if applied.duplicate {
        settlement.capped = applied.transaction.transfer.amount.micros() < value.micros().abs();
    }
    settlement.transaction = Some(applied.transaction);
    Ok(settlement)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger_sqlite::SqliteLedger;

    fn c(s: &str) -> Credits {
        s.parse().unwrap()
    }

    fn seeded(amount: &str) -> (tempfile::TempDir, SqliteLedger) {
        let dir = tempfile::tempdir().unwrap();
        let mut l = SqliteLedger::init(dir.path()).unwrap();
        let seed = Transfer::new(
            "seed-x",
            TxType::Seed,
            Party::Mint,
            Party::expert("x").unwrap(),
            c(amount),
        );
        l.apply(&seed).unwrap();
        (dir, l)
    }

    #[test]
    fn thumbs_up_pays_base_times_confidence_once() {
        let (_d, mut l) = seeded("10");
        let table = SignalTable::default();
        let ev = SignalEvent::from_table(&table, "fb-1", "thumbs_up", 0)
            .unwrap()
            .with_prediction("p-1");
        let s = ev.to_expert("x").unwrap();
        // 10 × 0.9 × 1 = 9 credits.
        let first = settle_signal(&mut l, &s).unwrap();
        assert_eq!(first.value, c("9"));
        assert_eq!(first.transaction_id, "vs:fb-1:x");
        assert!(!first.duplicate);
        let tx = first.transaction.unwrap().transfer;
        assert_eq!(tx.tx_type, TxType::ValueReward);
        assert_eq!(tx.value_signal_id.as_deref(), Some("fb-1"));
        assert_eq!(tx.prediction_id.as_deref(), Some("p-1"));
        let again = settle_signal(&mut l, &s).unwrap();
        assert!(again.duplicate);
        // 10 seeded + 9 once.
        assert_eq!(l.account("x").unwrap().unwrap().available, c("19"));
    }

    #[test]
    fn penalty_is_capped_at_available_and_replays_once() {
        let (_d, mut l) = seeded("10");
        let table = SignalTable::default();
        // ci_fail: −25 × 0.6 = −15 credits, but x holds 10: 10 burned.
        let s = SignalEvent::from_table(&table, "ci-7", "ci_fail", 0)
            .unwrap()
            .to_expert("x")
            .unwrap();
        let r = settle_signal(&mut l, &s).unwrap();
        assert_eq!(r.value, c("-15"));
        assert!(r.capped);
        assert_eq!(r.transaction.unwrap().transfer.amount, c("10"));
        assert_eq!(l.account("x").unwrap().unwrap().available, Credits::ZERO);
        let r = settle_signal(&mut l, &s).unwrap();
        assert!(r.duplicate && r.capped);
        // On an empty account another penalty writes nothing.
        let s2 = SignalEvent::from_table(&table, "ci-8", "ci_fail", 0)
            .unwrap()
            .to_expert("x")
            .unwrap();
        assert!(settle_signal(&mut l, &s2).unwrap().transaction.is_none());
        l.check_integrity().unwrap();
    }

    #[test]
    fn productivity_gain_signal_credits_the_priced_gain() {
        let (_d, mut l) = seeded("1");
        let table = SignalTable::default();
        // p = 0.30, ΔMP_r = 2.5 units/h over 40 h: 0.30·2.5·40 = $30 → 30
        // credits raw; × confidence 0.8 = 24 credits.
        let ev = SignalEvent::productivity_gain(&table, "gain-1", 0, 0.30, 2.5, 40.0).unwrap();
        assert!((ev.raw_value - 30.0).abs() < 1e-9);
        let r = settle_signal(&mut l, &ev.to_expert("x").unwrap()).unwrap();
        assert_eq!(r.value, c("24"));
        // Divergence: −20 × 0.9 = −18, capped at 25 available → 18 burned.
        let div = SignalEvent::from_table(&table, "div-1", "training_divergence", 0).unwrap();
        let r = settle_signal(&mut l, &div.to_expert("x").unwrap()).unwrap();
        assert_eq!(r.value, c("-18"));
        assert!(!r.capped);
        assert_eq!(l.account("x").unwrap().unwrap().available, c("7"));
    }

    #[test]
    fn attributed_signal_splits_the_total() {
        let table = SignalTable::default();
        let ev = SignalEvent::from_table(&table, "err-1", "error_resolved", 0).unwrap();
        let winners: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        // x: a, b, c at 1.0 → overlap 1, bonus 0.1·3 = 0.3; y: a at 0.5 →
        // overlap 1/3, bonus 0.05; z: q → nothing.
        // disagreement x: vs y |{a}|/3 = 1/3, vs z 0 → 1 − 1/6 = 0.8333 >
        // 0.5 → +0.2·0.8333 = 0.1667; y: vs x 1/1, vs z 0 → 1 − 0.5 = 0.5,
        // not > 0.5 → no bonus; z no overlap → no bonus.
        // raw x = 1.466667, y = 0.383333, sum 1.85 > 1.
        // total 30 × 0.5 = 15 → x 15·1.466667/1.85 = 22/1.85 = 11.891892,
        // y 15·0.383333/1.85 = 5.75/1.85 = 3.108108.
        let parts = ev
            .attribute(
                &winners,
                &[
                    Contribution::new("x", &[("a", 1.0), ("b", 1.0), ("c", 1.0)]),
                    Contribution::new("y", &[("a", 0.5)]),
                    Contribution::new("z", &[("q", 0.5)]),
                ],
            )
            .unwrap();
        assert_eq!(parts.len(), 2, "z has no share");
        assert_eq!(parts[0].value_credits().unwrap(), c("11.891892"));
        assert_eq!(parts[1].value_credits().unwrap(), c("3.108108"));
    }

    #[test]
    fn signal_ids_are_checked() {
        let table = SignalTable::default();
        assert!(SignalEvent::from_table(&table, "a:b", "thumbs_up", 0).is_err());
        assert!(SignalEvent::from_table(&table, "", "thumbs_up", 0).is_err());
        assert!(SignalEvent::from_table(&table, "ok", "nope", 0).is_err());
    }
}
