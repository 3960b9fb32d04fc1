//! Stakes (SPEC §7): an expert locks credits behind a claimed value (a
//! probability or score in [0, 1]) and is paid on resolution by its
//! calibration error `|claimed − actual|`:
//!
//! * error < 0.1 → 1.2 × stake,
//! * error < 0.2 → 1.0 × stake,
//! * otherwise → stake × (1 − min(1, 2·error)).
//!
//! In the ledger: placing is a `stake` (`stake:<id>`, the claim in its
//! metadata); resolving is an `unstake` of the whole stake
//! (`stake:<id>:unstake`) followed by a `value_reward` of the gain
//! (`stake:<id>:reward`) or a `value_penalty` of the loss
//! (`stake:<id>:penalty`). Every id is derived from the stake's id, so a
//! resolution interrupted or repeated applies each part once. A stake is
//! active while its `unstake` is missing; [`active_stakes`] lists them from
//! the transactions alone.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::apply_once::{AmountRule, apply_once};
use crate::credits::Credits;
use crate::error::{ExchangeError, Result};
use crate::ledger_store::LedgerStore;
use crate::transfer::{Applied, Party, Transaction, Transfer, TxType};

/// Error below which the stake pays 1.2×.
pub const EXCELLENT_ERROR: f64 = 0.1;
/// Error below which the stake is returned whole.
pub const GOOD_ERROR: f64 = 0.2;
/// Payout multiplier of an excellent claim.
pub const EXCELLENT_MULTIPLIER: f64 = 1.2;

/// An expert's claim with credits behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StakeClaim {
    /// Client-chosen id (1 to 64 bytes, no ':').
    pub id: String,
    /// Expert id.
    pub expert: String,
    /// Credits locked, > 0.
    pub amount: Credits,
    /// The claimed value, in [0, 1].
    pub claimed: f64,
    /// The prediction the claim is about, if any.
    pub prediction_id: Option<String>,
}

/// A stake that has not been resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActiveStake {
    /// The stake's id.
    pub stake_id: String,
    /// Expert id.
    pub expert: String,
    /// Credits locked.
    pub amount: Credits,
    /// The claimed value (`None` for a stake written without the claim in
    /// its metadata, e.g. by `vp exchange transfer`).
    pub claimed: Option<f64>,
    /// The prediction, if any.
    pub prediction_id: Option<String>,
    /// When it was placed, µs since the Unix epoch.
    pub time_us: i64,
}

/// What resolving a stake wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct StakeResolution {
    /// `|claimed − actual|`.
    pub error: f64,
    /// Payout multiplier.
    pub multiplier: f64,
    /// Stake × multiplier, rounded to the micro-credit.
    pub payout: Credits,
    /// The unstake, then the reward or penalty (none when the payout
    /// equals the stake).
    pub applied: Vec<Applied>,
}

fn check_unit(field: &'static str, v: f64) -> Result<()> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(ExchangeError::OutOfRange {
            field,
            expected: "in [0, 1]",
            value: v,
        })
    }
}

/// The payout multiplier of a claim resolved at `actual` (both in [0, 1]).
pub fn calibration_multiplier(claimed: f64, actual: f64) -> Result<f64> {
    check_unit("claimed", claimed)?;
    check_unit("actual", actual)?;
    let error = (claimed - actual).abs();
    Ok(if error < EXCELLENT_ERROR {
        EXCELLENT_MULTIPLIER
    } else if error < GOOD_ERROR {
        1.0
    } else {
        1.0 - (2.0 * error).min(1.0)
    })
}

/// Stake × multiplier, rounded to the micro-credit.
pub fn stake_payout(amount: Credits, claimed: f64, actual: f64) -> Result<Credits> {
    let m = calibration_multiplier(claimed, actual)?;
    let payout = (amount.micros() as f64 * m).round();
    if payout >= i64::MAX as f64 {
        return Err(ExchangeError::Overflow {
            what: format!("payout of a stake of {amount}"),
        });
    }
    Ok(Credits::from_micros(payout as i64))
}

fn stake_tx_id(stake_id: &str) -> String {
    format!("stake:{stake_id}")
}

/// Locks the claim's credits (`stake:<id>`); a retry applies once.
pub fn place_stake(store: &mut dyn LedgerStore, claim: &StakeClaim) -> Result<Applied> {
    if claim.id.is_empty() || claim.id.len() > 64 || claim.id.chars().any(|c| c == ':') {
        return Err(ExchangeError::InvalidInput {
            field: "stake id".into(),
            expected: "1 to 64 bytes without ':'".into(),
            got: format!("{:?}", claim.id),
        });
    }
    check_unit("claimed", claim.claimed)?;
    let expert = Party::expert(&claim.expert)?;
    let mut t = Transfer::new(
        stake_tx_id(&claim.id),
        TxType::Stake,
        expert.clone(),
        expert,
        claim.amount,
    );
    t.prediction_id = claim.prediction_id.clone();
    t.reason = "stake on a claim".into();
    t.metadata = json!({ "stake_id": claim.id, "claimed": claim.claimed });
    apply_once(store, &t, AmountRule::Exact)
}

/// Resolves a stake at the actual value: releases it and pays the
/// calibration gain or burns the loss. Safe to call again after an
/// interruption: each part applies once.
pub fn resolve_stake(
    store: &mut dyn LedgerStore,
    stake_id: &str,
    actual: f64,
) -> Result<StakeResolution> {
    let placed = store
        .transaction(&stake_tx_id(stake_id))?
        .filter(|t| t.transfer.tx_type == TxType::Stake)
        .ok_or_else(|| ExchangeError::InvalidInput {
            field: "stake id".into(),
            expected: "a stake placed with place_stake".into(),
            got: format!("{stake_id:?} (no transaction 'stake:{stake_id}')"),
        })?;
    let tr = &placed.transfer;
    let claimed = tr
        .metadata
        .get("claimed")
        .and_then(serde_json::Value::as_f64)
        .ok_or_else(|| ExchangeError::InvalidInput {
            field: format!("stake '{stake_id}' metadata.claimed"),
            expected: "a number in [0, 1]".into(),
            got: tr.metadata.to_string(),
        })?;
    let multiplier = calibration_multiplier(claimed, actual)?;
    let payout = stake_payout(tr.amount, claimed, actual)?;
    let error = (claimed - actual).abs();
    let meta = json!({ "stake_id": stake_id, "claimed": claimed, "actual": actual,
        "multiplier": multiplier });
    let mut applied = Vec::new();
    let mut unstake = Transfer::new(
        format!("stake:{stake_id}:unstake"),
        TxType::Unstake,
        tr.from.clone(),
        tr.to.clone(),
        tr.amount,
    );
    unstake.prediction_id = tr.prediction_id.clone();
    unstake.reason = "stake resolved".into();
    unstake.metadata = meta.clone();
    applied.push(apply_once(store, &unstake, AmountRule::Exact)?);
    let diff = payout.micros() - tr.amount.micros();
    if diff != 0 {
        let (suffix, tx_type, from, to) = if diff > 0 {
            ("reward", TxType::ValueReward, Party::Mint, tr.from.clone())
        } else {
            (
                "penalty",
                TxType::ValuePenalty,
                tr.from.clone(),
                Party::Sink,
            )
        };
        let mut t = Transfer::new(
            format!("stake:{stake_id}:{suffix}"),
            tx_type,
            from,
            to,
            Credits::from_micros(diff.abs()),
        );
        t.prediction_id = tr.prediction_id.clone();
        t.reason = format!("stake calibration {suffix}");
        t.metadata = meta;
        applied.push(apply_once(store, &t, AmountRule::Exact)?);
    }
    Ok(StakeResolution {
        error,
        multiplier,
        payout,
        applied,
    })
}

/// Stakes without their unstake, in ledger order. A `stake` transaction
/// whose id is not `stake:<id>` (written by hand) is listed under its
/// transaction id and counts as active while its expert has that much
/// staked.
pub fn active_stakes(transactions: &[Transaction]) -> Vec<ActiveStake> {
    let released: std::collections::BTreeSet<&str> = transactions
        .iter()
        .filter(|t| t.transfer.tx_type == TxType::Unstake)
        .filter_map(|t| t.transfer.id.strip_suffix(":unstake"))
        .collect();
    transactions
        .iter()
        .filter(|t| t.transfer.tx_type == TxType::Stake)
        .filter(|t| !released.contains(t.transfer.id.as_str()))
        .map(|t| ActiveStake {
            stake_id: t
                .transfer
                .id
                .strip_prefix("stake:")
                .unwrap_or(&t.transfer.id)
                .to_string(),
            expert: t.transfer.from.to_string(),
            amount: t.transfer.amount,
            claimed: t
                .transfer
                .metadata
                .get("claimed")
                .and_then(serde_json::Value::as_f64),
            prediction_id: t.transfer.prediction_id.clone(),
            time_us: t.time_us,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger_sqlite::SqliteLedger;

    fn c(s: &str) -> Credits {
        s.parse().unwrap()
    }

    #[test]
    fn calibration_payout_follows_the_three_bands() {
        let ten = c("10");
        // |0.80 − 0.75| = 0.05 < 0.1 → 1.2 × 10 = 12.
        assert_eq!(stake_payout(ten, 0.80, 0.75).unwrap(), c("12"));
        // |0.80 − 0.65| = 0.15 < 0.2 → 1.0 × 10 = 10.
        assert_eq!(stake_payout(ten, 0.80, 0.65).unwrap(), c("10"));
        // |0.90 − 0.60| = 0.30 → 1 − min(1, 0.6) = 0.4 → 4.
        assert_eq!(stake_payout(ten, 0.90, 0.60).unwrap(), c("4"));
        // |0.25 − 0.50| = 0.25 → 1 − 0.5 = 0.5 → 5.
        assert_eq!(stake_payout(ten, 0.25, 0.50).unwrap(), c("5"));
        // |0.90 − 0.20| = 0.70 → 1 − min(1, 1.4) = 0 → 0.
        assert_eq!(stake_payout(ten, 0.90, 0.20).unwrap(), Credits::ZERO);
        assert!(calibration_multiplier(1.5, 0.5).is_err());
        assert!(calibration_multiplier(0.5, f64::NAN).is_err());
    }

    fn ledger() -> (tempfile::TempDir, SqliteLedger) {
        let dir = tempfile::tempdir().unwrap();
        let mut l = SqliteLedger::init(dir.path()).unwrap();
        l.apply(&Transfer::new(
            "seed-x",
            TxType::Seed,
            Party::Mint,
            Party::expert("x").unwrap(),
            c("100"),
        ))
        .unwrap();
        (dir, l)
    }

    fn claim(id: &str, amount: &str, claimed: f64) -> StakeClaim {
        StakeClaim {
            id: id.into(),
            expert: "x".into(),
            amount: c(amount),
            claimed,
            prediction_id: Some(format!("pred-{id}")),
        }
    }

    #[test]
    fn stakes_lock_credits_and_resolve_by_calibration() {
        let (_d, mut l) = ledger();
        place_stake(&mut l, &claim("s1", "10", 0.8)).unwrap();
        place_stake(&mut l, &claim("s2", "20", 0.9)).unwrap();
        // 100 − 10 − 20 = 70 available, 30 staked.
        let a = l.account("x").unwrap().unwrap();
        assert_eq!((a.available, a.staked), (c("70"), c("30")));
        let active = active_stakes(&l.snapshot().unwrap().transactions);
        assert_eq!(active.len(), 2);
        assert_eq!(active[0].stake_id, "s1");
        assert_eq!(active[0].claimed, Some(0.8));

        // s1 at 0.75: error 0.05 → 12: unstake 10, reward 2.
        let r = resolve_stake(&mut l, "s1", 0.75).unwrap();
        assert_eq!(r.payout, c("12"));
        assert_eq!(r.applied.len(), 2);
        assert_eq!(r.applied[1].transaction.transfer.id, "stake:s1:reward");
        // s2 at 0.6: error 0.3 → 20 × 0.4 = 8: unstake 20, penalty 12.
        let r = resolve_stake(&mut l, "s2", 0.6).unwrap();
        assert_eq!(r.payout, c("8"));
        assert_eq!(r.applied[1].transaction.transfer.amount, c("12"));
        // 70 + 10 + 2 + 20 − 12 = 90 available, nothing staked.
        let a = l.account("x").unwrap().unwrap();
        assert_eq!((a.available, a.staked), (c("90"), Credits::ZERO));
        assert!(active_stakes(&l.snapshot().unwrap().transactions).is_empty());

        // Resolving again writes nothing.
        let r = resolve_stake(&mut l, "s2", 0.6).unwrap();
        assert!(r.applied.iter().all(|a| a.duplicate));
        assert_eq!(l.account("x").unwrap().unwrap().available, c("90"));
        l.check_integrity().unwrap();
        assert!(resolve_stake(&mut l, "nope", 0.5).is_err());
    }

    #[test]
    fn stake_refuses_overdraft_and_bad_claims() {
        let (_d, mut l) = ledger();
        assert!(matches!(
            place_stake(&mut l, &claim("big", "101", 0.5)),
            Err(ExchangeError::InsufficientFunds { .. })
        ));
        assert!(place_stake(&mut l, &claim("bad", "1", 1.2)).is_err());
        // A retry applies once; the same id with another amount is refused.
        assert!(
            !place_stake(&mut l, &claim("k", "1", 0.3))
                .unwrap()
                .duplicate
        );
        assert!(
            place_stake(&mut l, &claim("k", "1", 0.3))
                .unwrap()
                .duplicate
        );
        assert!(matches!(
            place_stake(&mut l, &claim("k", "2", 0.3)),
            Err(ExchangeError::IdConflict {
                field: "amount",
                ..
            })
        ));
        assert!(place_stake(&mut l, &claim("a:b", "1", 0.5)).is_err());
        assert_eq!(l.account("x").unwrap().unwrap().staked, c("1"));
    }
}
