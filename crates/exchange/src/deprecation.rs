//! Deprecation of experts (SPEC §7): an expert that goes broke, or is weak
//! in a bear market, is retired. Its staked credits are released
//! (`unstake`, id `deprecate:<expert>:unstake`) and everything it holds is
//! burned (`deprecation`, id `deprecate:<expert>`). An expert with a
//! `deprecation` transaction is deprecated for good; one that holds nothing
//! has nothing to burn, writes nothing, and stays out of routing because it
//! is broke.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::apply_once::{AmountRule, apply_once};
use crate::error::Result;
use crate::ledger_store::LedgerStore;
use crate::transfer::{Applied, Party, Transaction, Transfer, TxType};

/// Why an expert is deprecated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeprecationReason {
    /// It holds less than the policy's minimum.
    Broke,
    /// Weak standing in a bear market.
    WeakInBearMarket,
}

impl DeprecationReason {
    /// `broke` or `weak_in_bear_market`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeprecationReason::Broke => "broke",
            DeprecationReason::WeakInBearMarket => "weak_in_bear_market",
        }
    }
}

/// Retires an expert: releases its stake and burns what it holds. Each
/// part applies once; nothing is written for an empty account (or one
/// that does not exist).
pub fn deprecate(
    store: &mut dyn LedgerStore,
    expert: &str,
    reason: DeprecationReason,
) -> Result<Vec<Applied>> {
    let party = Party::expert(expert)?;
    let mut applied = Vec::new();
    let Some(mut account) = store.account(expert)? else {
        return Ok(applied);
    };
    let meta = serde_json::json!({ "reason": reason.as_str() });
    if account.staked.micros() > 0 {
        let mut t = Transfer::new(
            format!("deprecate:{expert}:unstake"),
            TxType::Unstake,
            party.clone(),
            party.clone(),
            account.staked,
        );
        t.reason = format!("deprecated ({}): stake released", reason.as_str());
        t.metadata = meta.clone();
        applied.push(apply_once(store, &t, AmountRule::DecidedWhenFirstApplied)?);
        account = store.account(expert)?.unwrap_or(account);
    }
    if account.available.micros() > 0 {
        let mut t = Transfer::new(
            format!("deprecate:{expert}"),
            TxType::Deprecation,
            party,
            Party::Sink,
            account.available,
        );
        t.reason = format!("deprecated ({})", reason.as_str());
        t.metadata = meta;
        applied.push(apply_once(store, &t, AmountRule::DecidedWhenFirstApplied)?);
    }
    Ok(applied)
}

/// Experts with a `deprecation` transaction.
pub fn deprecated_experts(transactions: &[Transaction]) -> BTreeSet<String> {
    transactions
        .iter()
        .filter(|t| t.transfer.tx_type == TxType::Deprecation)
        .map(|t| t.transfer.from.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credits::Credits;
    use crate::ledger_sqlite::SqliteLedger;

    #[test]
    fn deprecation_releases_stake_and_burns_everything_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = SqliteLedger::init(dir.path()).unwrap();
        let w = |x: i64| Credits::from_whole(x).unwrap();
        let x = Party::expert("x").unwrap();
        l.apply(&Transfer::new(
            "s",
            TxType::Seed,
            Party::Mint,
            x.clone(),
            w(8),
        ))
        .unwrap();
        l.apply(&Transfer::new("k", TxType::Stake, x.clone(), x, w(3)))
            .unwrap();
        // 5 available + 3 staked: unstake 3, then burn 8.
        let a = deprecate(&mut l, "x", DeprecationReason::Broke).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].transaction.transfer.amount, w(3));
        assert_eq!(a[1].transaction.transfer.amount, w(8));
        assert_eq!(l.account("x").unwrap().unwrap().held(), Some(Credits::ZERO));
        // Nothing left: a second call writes nothing.
        assert!(
            deprecate(&mut l, "x", DeprecationReason::Broke)
                .unwrap()
                .is_empty()
        );
        assert!(
            deprecate(&mut l, "nobody", DeprecationReason::Broke)
                .unwrap()
                .is_empty()
        );
        let snap = l.snapshot().unwrap();
        assert_eq!(
            deprecated_experts(&snap.transactions),
            ["x".to_string()].into()
        );
        // minted 8 = held 0 + burned 8.
        assert_eq!(snap.totals().unwrap().burned, w(8));
    }
}
