//! What the market state means for experts (SPEC §7): who is proven, who
//! is weak, who is broke; in a bull market every live expert may be
//! consulted, in a bear market only proven ones, and weak ones are
//! deprecated. Broke experts are deprecated in any market.
//!
//! With the defaults, an expert with at least 3 value signals is
//! * proven when its win rate is ≥ 0.6 and its ROI > 0,
//! * weak when its win rate is < 0.3 or its ROI < −0.5,
//! * unproven otherwise (and always before 3 signals);
//!
//! and broke when it holds (available + staked + pending) less than 1
//! credit. A deprecated expert is never consulted again.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::account_state::AccountState;
use crate::credits::Credits;
use crate::deprecation::{DeprecationReason, deprecate, deprecated_experts};
use crate::error::{ExchangeError, Result};
use crate::ledger_store::LedgerStore;
use crate::market_state::{MarketState, MarketWindow};
use crate::system_actors::INSURANCE_POOL;
use crate::transfer::Applied;

/// How an expert has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpertStanding {
    /// Enough signals, a good win rate and a positive ROI.
    Proven,
    /// Not enough evidence either way.
    Unproven,
    /// Enough signals and a poor win rate or ROI.
    Weak,
}

/// The thresholds of the market rules.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketPolicy {
    /// Length of the bull/bear window, hours (> 0; default 24).
    pub window_hours: f64,
    /// Value signals (wins + losses) before an expert can be proven or
    /// weak (default 3).
    pub min_signals: i64,
    /// Win rate at or above which an expert can be proven (default 0.6).
    pub proven_min_win_rate: f64,
    /// ROI above which an expert can be proven (default 0.0).
    pub proven_min_roi: f64,
    /// Win rate below which an expert is weak (default 0.3).
    pub weak_below_win_rate: f64,
    /// ROI below which an expert is weak (default −0.5).
    pub weak_below_roi: f64,
    /// Holding less than this is broke (default 1 credit).
    pub broke_below: Credits,
}

impl Default for MarketPolicy {
    fn default() -> Self {
        MarketPolicy {
            window_hours: 24.0,
            min_signals: 3,
            proven_min_win_rate: 0.6,
            proven_min_roi: 0.0,
            weak_below_win_rate: 0.3,
            weak_below_roi: -0.5,
            broke_below: Credits::from_micros(1_000_000),
        }
    }
}

/// What [`MarketPolicy::apply`] saw and did.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketRound {
    /// The window and its state.
    pub window: MarketWindow,
    /// Experts that may be consulted now, by id.
    pub consultable: Vec<String>,
    /// Experts deprecated this round, why, and the transactions written.
    pub deprecated: Vec<(String, DeprecationReason, Vec<Applied>)>,
}

impl MarketPolicy {
    /// The window in microseconds.
    pub fn window_us(&self) -> Result<i64> {
        let us = self.window_hours * 3.6e9;
        if !(us.is_finite() && us >= 1.0 && us < i64::MAX as f64) {
            return Err(ExchangeError::OutOfRange {
                field: "market window_hours",
                expected: "> 0 and finite",
                value: self.window_hours,
            });
        }
        Ok(us as i64)
    }

    /// An account's standing.
    pub fn standing(&self, a: &AccountState) -> ExpertStanding {
        if a.wins + a.losses < self.min_signals {
            return ExpertStanding::Unproven;
        }
        let win_rate = a.win_rate().unwrap_or(0.0);
        let roi = a.roi();
        if win_rate < self.weak_below_win_rate || roi.is_some_and(|r| r < self.weak_below_roi) {
            ExpertStanding::Weak
        } else if win_rate >= self.proven_min_win_rate
            && roi.is_some_and(|r| r > self.proven_min_roi)
        {
            ExpertStanding::Proven
        } else {
            ExpertStanding::Unproven
        }
    }

    /// Whether an account holds less than [`Self::broke_below`].
    pub fn is_broke(&self, a: &AccountState) -> bool {
        a.held().is_some_and(|h| h < self.broke_below)
    }

    /// Experts that may be consulted in `state`: not deprecated, not broke,
    /// and in a bear market proven. Sorted by id.
    pub fn consultable(
        &self,
        state: MarketState,
        accounts: &BTreeMap<String, AccountState>,
        deprecated: &BTreeSet<String>,
    ) -> Vec<String> {
        accounts
            .iter()
            .filter(|(id, a)| !deprecated.contains(*id) && !self.is_broke(a))
            .filter(|(_, a)| {
                state == MarketState::Bull || self.standing(a) == ExpertStanding::Proven
            })
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Experts to deprecate in `state`: broke ones in any market, weak ones
    /// in a bear market; never one already deprecated. Sorted by id.
    pub fn to_deprecate(
        &self,
        state: MarketState,
        accounts: &BTreeMap<String, AccountState>,
        deprecated: &BTreeSet<String>,
    ) -> Vec<(String, DeprecationReason)> {
        accounts
            .iter()
            .filter(|(id, _)| !deprecated.contains(*id))
            .filter_map(|(id, a)| {
                if self.is_broke(a) {
                    Some((id.clone(), DeprecationReason::Broke))
                } else if state == MarketState::Bear && self.standing(a) == ExpertStanding::Weak {
                    Some((id.clone(), DeprecationReason::WeakInBearMarket))
                } else {
                    None
                }
            })
            .collect()
    }

    /// One round of the market rules on a ledger: computes the state over
    /// the window, deprecates broke (and, in a bear market, weak) experts,
    /// and lists who may be consulted afterwards. The insurance pool
    /// ([`INSURANCE_POOL`]) and the accounts named in `system` are not
    /// experts and are left alone.
    pub fn apply(&self, store: &mut dyn LedgerStore, system: &[&str]) -> Result<MarketRound> {
        let snap = store.snapshot()?;
        let window = MarketWindow::compute(&snap.transactions, self.window_us()?, None)?;
        self.apply_window(store, window, system)
    }

    /// [`Self::apply`] with the state given instead of computed (the
    /// window's sums are still reported).
    pub fn apply_in(
        &self,
        store: &mut dyn LedgerStore,
        state: MarketState,
        system: &[&str],
    ) -> Result<MarketRound> {
        let snap = store.snapshot()?;
        let mut window = MarketWindow::compute(&snap.transactions, self.window_us()?, None)?;
        window.state = state;
        self.apply_window(store, window, system)
    }

    fn apply_window(
        &self,
        store: &mut dyn LedgerStore,
        window: MarketWindow,
        system: &[&str],
    ) -> Result<MarketRound> {
        let snap = store.snapshot()?;
        let mut experts = snap.accounts;
        experts.retain(|id, _| id != INSURANCE_POOL && !system.contains(&id.as_str()));
        let mut gone = deprecated_experts(&snap.transactions);
        let mut deprecated = Vec::new();
        for (id, reason) in self.to_deprecate(window.state, &experts, &gone) {
            let applied = deprecate(store, &id, reason)?;
            gone.insert(id.clone());
            deprecated.push((id, reason, applied));
        }
        for (id, _, _) in &deprecated {
            if let Some(a) = store.account(id)? {
                experts.insert(id.clone(), a);
            }
        }
        Ok(MarketRound {
            consultable: self.consultable(window.state, &experts, &gone),
            window,
            deprecated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct(available: i64, earned: i64, spent: i64, wins: i64, losses: i64) -> AccountState {
        let w = |x: i64| Credits::from_whole(x).unwrap();
        AccountState {
            available: w(available),
            earned: w(earned),
            spent: w(spent),
            wins,
            losses,
            ..AccountState::default()
        }
    }

    #[test]
    fn standing_follows_win_rate_roi_and_evidence() {
        let p = MarketPolicy::default();
        // 3 wins of 4 = 0.75 ≥ 0.6, ROI (30 − 10)/10 = 2 > 0 → proven.
        assert_eq!(p.standing(&acct(50, 30, 10, 3, 1)), ExpertStanding::Proven);
        // 2 of 2 but only 2 signals < 3 → unproven.
        assert_eq!(
            p.standing(&acct(50, 30, 10, 2, 0)),
            ExpertStanding::Unproven
        );
        // 1 of 4 = 0.25 < 0.3 → weak.
        assert_eq!(p.standing(&acct(50, 30, 10, 1, 3)), ExpertStanding::Weak);
        // 2 of 4 = 0.5, ROI (4 − 10)/10 = −0.6 < −0.5 → weak.
        assert_eq!(p.standing(&acct(50, 4, 10, 2, 2)), ExpertStanding::Weak);
        // 2 of 4 = 0.5 < 0.6, ROI 2 → unproven.
        assert_eq!(
            p.standing(&acct(50, 30, 10, 2, 2)),
            ExpertStanding::Unproven
        );
        // 3 of 3 but nothing spent (ROI undefined) → unproven.
        assert_eq!(p.standing(&acct(50, 30, 0, 3, 0)), ExpertStanding::Unproven);
    }

    #[test]
    fn bear_market_consults_only_proven_and_deprecates_weak() {
        let p = MarketPolicy::default();
        let accounts: BTreeMap<String, AccountState> = [
            ("proven", acct(50, 30, 10, 3, 1)),
            ("unproven", acct(50, 0, 0, 0, 0)),
            ("weak", acct(50, 30, 10, 1, 3)),
            ("broke", acct(0, 0, 5, 0, 0)),
            ("gone", acct(50, 30, 10, 3, 1)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let deprecated: BTreeSet<String> = ["gone".to_string()].into();
        assert_eq!(
            p.consultable(MarketState::Bull, &accounts, &deprecated),
            ["proven", "unproven", "weak"]
        );
        assert_eq!(
            p.consultable(MarketState::Bear, &accounts, &deprecated),
            ["proven"]
        );
        assert_eq!(
            p.to_deprecate(MarketState::Bull, &accounts, &deprecated),
            [("broke".to_string(), DeprecationReason::Broke)]
        );
        assert_eq!(
            p.to_deprecate(MarketState::Bear, &accounts, &deprecated),
            [
                ("broke".to_string(), DeprecationReason::Broke),
                ("weak".to_string(), DeprecationReason::WeakInBearMarket)
            ]
        );
    }

    #[test]
    fn market_round_on_a_ledger_deprecates_and_filters() {
        use crate::ledger_sqlite::SqliteLedger;
        use crate::transfer::{Party, Transfer, TxType};
        let dir = tempfile::tempdir().unwrap();
        let mut l = SqliteLedger::init(dir.path()).unwrap();
        let w = |x: i64| Credits::from_whole(x).unwrap();
        let e = |id: &str| Party::expert(id).unwrap();
        let mut n = 0;
        let mut put = |l: &mut SqliteLedger, ty, from, to, amount| {
            n += 1;
            l.apply(&Transfer::new(format!("t{n}"), ty, from, to, amount))
                .unwrap();
        };
        put(&mut l, TxType::Seed, Party::Mint, e("good"), w(20));
        put(&mut l, TxType::Seed, Party::Mint, e("bad"), w(20));
        put(&mut l, TxType::Seed, Party::Mint, e("newbie"), w(10));
        // good: 4 predictions at 1 (spent 4), 3 rewards of 2 (earned 6),
        // 1 penalty of 1 (spent 5): win rate 0.75, ROI (6 − 5)/5 = 0.2 →
        // proven; holds 20 − 4 + 6 − 1 = 21.
        for _ in 0..4 {
            put(&mut l, TxType::PredictionCost, e("good"), Party::Sink, w(1));
        }
        for _ in 0..3 {
            put(&mut l, TxType::ValueReward, Party::Mint, e("good"), w(2));
        }
        put(&mut l, TxType::ValuePenalty, e("good"), Party::Sink, w(1));
        // bad: 3 penalties of 5: win rate 0 → weak; holds 5, staked 2 of it.
        for _ in 0..3 {
            put(&mut l, TxType::ValuePenalty, e("bad"), Party::Sink, w(5));
        }
        put(&mut l, TxType::Stake, e("bad"), e("bad"), w(2));
        // Minted 20 + 20 + 10 + 6 = 56 > burned 4 + 1 + 15 = 20 → bull:
        // bad is weak but not broke (holds 5 ≥ 1): nobody deprecated.
        let p = MarketPolicy::default();
        let r = p.apply(&mut l, &[]).unwrap();
        assert_eq!(r.window.state, MarketState::Bull);
        assert_eq!(r.window.minted, w(56));
        assert_eq!(r.window.burned, w(20));
        assert!(r.deprecated.is_empty());
        assert_eq!(r.consultable, ["bad", "good", "newbie"]);
        // Over a whole ledger burned never exceeds minted; a bear market
        // comes from a window that leaves the old mints out. Same ledger
        // in a bear market: bad (weak) is deprecated: its 2 staked are
        // released and its 5 burned; only good (proven) is consulted;
        // newbie (unproven) is kept but not consulted.
        let r = p.apply_in(&mut l, MarketState::Bear, &[]).unwrap();
        assert_eq!(r.deprecated.len(), 1);
        let (id, reason, applied) = &r.deprecated[0];
        assert_eq!(
            (id.as_str(), *reason),
            ("bad", DeprecationReason::WeakInBearMarket)
        );
        assert_eq!(applied.len(), 2);
        assert_eq!(applied[1].transaction.transfer.amount, w(5));
        assert_eq!(r.consultable, ["good"]);
        let bad = l.account("bad").unwrap().unwrap();
        assert_eq!(bad.held(), Some(Credits::ZERO));
        // Again: bad is already deprecated; nothing more is written.
        let r = p.apply_in(&mut l, MarketState::Bear, &[]).unwrap();
        assert!(r.deprecated.is_empty());
        assert_eq!(r.consultable, ["good"]);
        l.check_integrity().unwrap();
    }
}
