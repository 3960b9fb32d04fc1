//! Ledger transactions: the eight types of SPEC §7, who may send to whom,
//! and the client-supplied id that makes a retried submission apply once.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::credits::Credits;
use crate::error::{ExchangeError, Result};

/// Longest transaction or account id accepted, in bytes.
pub const MAX_ID_LEN: usize = 128;

/// The eight transaction types of SPEC §7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxType {
    /// New credits for an expert: `mint → expert`.
    Seed,
    /// What an expert pays to make a prediction (burned): `expert → sink`.
    PredictionCost,
    /// New credits for a prediction that proved valuable: `mint → expert`.
    ValueReward,
    /// Credits burned for a prediction that proved harmful: `expert → sink`.
    ValuePenalty,
    /// Available credits locked behind a claim: the expert on both sides.
    Stake,
    /// Staked credits released: the expert on both sides.
    Unstake,
    /// One expert pays another for being consulted: `caller → callee`.
    RoutingFee,
    /// A broke or weak expert's remaining credits are burned:
    /// `expert → sink`.
    Deprecation,
}

impl TxType {
    /// Every type, in SPEC order.
    pub const ALL: [TxType; 8] = [
        TxType::Seed,
        TxType::PredictionCost,
        TxType::ValueReward,
        TxType::ValuePenalty,
        TxType::Stake,
        TxType::Unstake,
        TxType::RoutingFee,
        TxType::Deprecation,
    ];

    /// The name used in storage, exports and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            TxType::Seed => "seed",
            TxType::PredictionCost => "prediction_cost",
            TxType::ValueReward => "value_reward",
            TxType::ValuePenalty => "value_penalty",
            TxType::Stake => "stake",
            TxType::Unstake => "unstake",
            TxType::RoutingFee => "routing_fee",
            TxType::Deprecation => "deprecation",
        }
    }

    /// Whether the type creates credits (`mint → expert`).
    pub const fn mints(self) -> bool {
        matches!(self, TxType::Seed | TxType::ValueReward)
    }

    /// Whether the type destroys credits (`expert → sink`).
    pub const fn burns(self) -> bool {
        matches!(
            self,
            TxType::PredictionCost | TxType::ValuePenalty | TxType::Deprecation
        )
    }

    /// The `from → to` rule, in words, for error messages.
    pub const fn rule(self) -> &'static str {
        match self {
            TxType::Seed | TxType::ValueReward => "mint → expert",
            TxType::PredictionCost | TxType::ValuePenalty | TxType::Deprecation => "expert → sink",
            TxType::Stake => "expert → same expert (available → staked)",
            TxType::Unstake => "expert → same expert (staked → available)",
            TxType::RoutingFee => "caller expert → a different callee expert",
        }
    }
}

impl fmt::Display for TxType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TxType {
    type Err = ExchangeError;

    fn from_str(s: &str) -> Result<Self> {
        TxType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| ExchangeError::UnknownName {
                field: "transaction type",
                got: s.to_string(),
                expected: "seed, prediction_cost, value_reward, value_penalty, stake, unstake, routing_fee, deprecation",
            })
    }
}

/// One side of a transfer: the mint (where credits come from), the sink
/// (where burned credits go) or an expert's account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Party {
    /// Source of new credits.
    Mint,
    /// Destination of burned credits.
    Sink,
    /// An expert's account, by id.
    Expert(String),
}

impl Party {
    /// An expert party, with its id checked (see [`validate_account_id`]).
    pub fn expert(id: &str) -> Result<Party> {
        validate_account_id(id)?;
        Ok(Party::Expert(id.to_string()))
    }

    /// The expert id, if this is an expert.
    pub fn expert_id(&self) -> Option<&str> {
        match self {
            Party::Expert(id) => Some(id),
            _ => None,
        }
    }

    /// The name used in storage: `mint`, `sink` or the expert id.
    pub fn as_str(&self) -> &str {
        match self {
            Party::Mint => "mint",
            Party::Sink => "sink",
            Party::Expert(id) => id,
        }
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Party {
    type Err = ExchangeError;

    /// `mint`, `sink` or an expert id.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "mint" => Ok(Party::Mint),
            "sink" => Ok(Party::Sink),
            id => Party::expert(id),
        }
    }
}

impl Serialize for Party {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Party {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Checks an account id: 1 to [`MAX_ID_LEN`] bytes of ASCII letters, digits,
/// `_`, `-` and `.`, not starting with `.`, and not `mint` or `sink`. The
/// id is a file name in the export (`accounts/<id>.json`).
pub fn validate_account_id(id: &str) -> Result<()> {
    let expected = "1 to 128 ASCII letters, digits, '_', '-' or '.', not starting with '.', and not 'mint' or 'sink' in any case";
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && !id.eq_ignore_ascii_case("mint")
        && !id.eq_ignore_ascii_case("sink");
    if ok {
        Ok(())
    } else {
        Err(ExchangeError::InvalidAccountId {
            account: id.to_string(),
            expected,
        })
    }
}

/// A transfer as a client submits it. The id is chosen by the client, so a
/// retried submission (after a crash, a timeout, a lost reply) is recognised
/// and applied once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    /// Client-supplied unique id (1 to 128 bytes, no control characters).
    pub id: String,
    /// Transaction type (`type` in the export).
    #[serde(rename = "type")]
    pub tx_type: TxType,
    /// Debited party.
    pub from: Party,
    /// Credited party.
    pub to: Party,
    /// Amount, > 0 (micro-credits in storage and JSON).
    pub amount: Credits,
    /// Prediction this transfer pays for or rewards, if any.
    pub prediction_id: Option<String>,
    /// Value signal behind a reward or penalty, if any.
    pub value_signal_id: Option<String>,
    /// Free text: why.
    pub reason: String,
    /// Free JSON, `null` when none.
    pub metadata: serde_json::Value,
}

impl Transfer {
    /// A transfer with no prediction, signal, reason or metadata.
    pub fn new(
        id: impl Into<String>,
        tx_type: TxType,
        from: Party,
        to: Party,
        amount: Credits,
    ) -> Self {
        Transfer {
            id: id.into(),
            tx_type,
            from,
            to,
            amount,
            prediction_id: None,
            value_signal_id: None,
            reason: String::new(),
            metadata: serde_json::Value::Null,
        }
    }

    /// Checks the id, the amount and the `from → to` rule of the type.
    pub fn validate(&self) -> Result<()> {
        let invalid = |field: &'static str, expected: String, got: String| {
            Err(ExchangeError::InvalidTransfer {
                id: self.id.clone(),
                field,
                expected,
                got,
            })
        };
        if self.id.is_empty() || self.id.len() > MAX_ID_LEN || self.id.chars().any(char::is_control)
        {
            return invalid(
                "id",
                "1 to 128 bytes without control characters".into(),
                format!("{:?}", self.id),
            );
        }
        if self.amount.micros() <= 0 {
            return invalid("amount", "> 0".into(), self.amount.to_string());
        }
        for p in [&self.from, &self.to] {
            if let Party::Expert(id) = p {
                validate_account_id(id)?;
            }
        }
        let rule = self.tx_type.rule();
        let (from_ok, to_ok) = match self.tx_type {
            TxType::Seed | TxType::ValueReward => {
                (self.from == Party::Mint, self.to.expert_id().is_some())
            }
            TxType::PredictionCost | TxType::ValuePenalty | TxType::Deprecation => {
                (self.from.expert_id().is_some(), self.to == Party::Sink)
            }
            TxType::Stake | TxType::Unstake => (
                self.from.expert_id().is_some(),
                self.to.expert_id().is_some() && self.to == self.from,
            ),
            TxType::RoutingFee => (
                self.from.expert_id().is_some(),
                self.to.expert_id().is_some() && self.to != self.from,
            ),
        };
        if !from_ok {
            return invalid(
                "from",
                format!("{} for a {} transaction", rule, self.tx_type),
                self.from.to_string(),
            );
        }
        if !to_ok {
            return invalid(
                "to",
                format!("{} for a {} transaction", rule, self.tx_type),
                self.to.to_string(),
            );
        }
        Ok(())
    }

    /// The first field in which `other` differs from `self`, as
    /// `(field, self's value, other's value)`; `None` when identical.
    pub fn first_difference(&self, other: &Transfer) -> Option<(&'static str, String, String)> {
        let pair = |a: &dyn fmt::Debug, b: &dyn fmt::Debug| (format!("{a:?}"), format!("{b:?}"));
        let diff = if self.id != other.id {
            ("id", pair(&self.id, &other.id))
        } else if self.tx_type != other.tx_type {
            (
                "type",
                pair(&self.tx_type.as_str(), &other.tx_type.as_str()),
            )
        } else if self.from != other.from {
            ("from", pair(&self.from.as_str(), &other.from.as_str()))
        } else if self.to != other.to {
            ("to", pair(&self.to.as_str(), &other.to.as_str()))
        } else if self.amount != other.amount {
            (
                "amount",
                (self.amount.to_string(), other.amount.to_string()),
            )
        } else if self.prediction_id != other.prediction_id {
            (
                "prediction_id",
                pair(&self.prediction_id, &other.prediction_id),
            )
        } else if self.value_signal_id != other.value_signal_id {
            (
                "value_signal_id",
                pair(&self.value_signal_id, &other.value_signal_id),
            )
        } else if self.reason != other.reason {
            ("reason", pair(&self.reason, &other.reason))
        } else if self.metadata != other.metadata {
            (
                "metadata",
                (self.metadata.to_string(), other.metadata.to_string()),
            )
        } else {
            return None;
        };
        Some((diff.0, diff.1.0, diff.1.1))
    }
}

/// A transfer as the ledger stored it: the submission plus the ledger's
/// sequence number and time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    /// Position in the ledger, from 1, increasing in commit order.
    pub seq: i64,
    /// When the ledger applied it, microseconds since the Unix epoch (UTC).
    pub time_us: i64,
    /// What was submitted.
    #[serde(flatten)]
    pub transfer: Transfer,
}

/// What [`crate::LedgerStore::apply`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The stored transaction.
    pub transaction: Transaction,
    /// `true` when the id was already in the ledger with the same contents:
    /// nothing was written and the stored transaction is returned.
    pub duplicate: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(tx_type: TxType, from: &str, to: &str) -> Transfer {
        Transfer::new(
            "tx-1",
            tx_type,
            from.parse().unwrap(),
            to.parse().unwrap(),
            Credits::from_micros(5),
        )
    }

    #[test]
    fn transfer_rules_follow_spec_table() {
        assert!(t(TxType::Seed, "mint", "a").validate().is_ok());
        assert!(t(TxType::Seed, "a", "b").validate().is_err());
        assert!(t(TxType::PredictionCost, "a", "sink").validate().is_ok());
        assert!(t(TxType::PredictionCost, "a", "b").validate().is_err());
        assert!(t(TxType::ValueReward, "mint", "a").validate().is_ok());
        assert!(t(TxType::ValuePenalty, "a", "sink").validate().is_ok());
        assert!(t(TxType::ValuePenalty, "mint", "sink").validate().is_err());
        assert!(t(TxType::Stake, "a", "a").validate().is_ok());
        assert!(t(TxType::Stake, "a", "b").validate().is_err());
        assert!(t(TxType::Unstake, "a", "a").validate().is_ok());
        assert!(t(TxType::RoutingFee, "a", "b").validate().is_ok());
        assert!(t(TxType::RoutingFee, "a", "a").validate().is_err());
        assert!(t(TxType::Deprecation, "a", "sink").validate().is_ok());
        assert!(t(TxType::Deprecation, "sink", "a").validate().is_err());
    }

    #[test]
    fn transfer_rejects_zero_amount_and_bad_ids() {
        let mut x = t(TxType::Seed, "mint", "a");
        x.amount = Credits::ZERO;
        assert!(x.validate().is_err());
        let mut y = t(TxType::Seed, "mint", "a");
        y.id = String::new();
        assert!(y.validate().is_err());
        assert!("../etc".parse::<Party>().is_err());
        assert!("a/b".parse::<Party>().is_err());
        assert!("Sink".parse::<Party>().is_err());
        assert_eq!("sink".parse::<Party>().unwrap(), Party::Sink);
    }

    #[test]
    fn transaction_type_names_round_trip() {
        for t in TxType::ALL {
            assert_eq!(t.as_str().parse::<TxType>().unwrap(), t);
        }
        assert!("refund".parse::<TxType>().is_err());
    }
}
