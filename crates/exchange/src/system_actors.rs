//! The system actors of the exchange (SPEC §7), each a documented rule
//! that writes ordinary ledger transactions with ids derived from what
//! triggered it (so a rule applied twice writes once):
//!
//! * **Seed fund**: a new expert receives `seed_amount` (default 100
//!   credits) once, as a `seed` (`seed-fund:<expert>`).
//! * **Insurance pool**: the account [`INSURANCE_POOL`]. Every
//!   `value_reward` pays a premium of `insurance_rate` (default 5 %) of it
//!   into the pool (`routing_fee` expert → pool,
//!   `insurance-premium:<reward id>`); every `value_penalty` is refunded
//!   `insurance_coverage` (default 50 %) of its amount from the pool, as far
//!   as the pool holds (`routing_fee` pool → expert,
//!   `insurance-claim:<penalty id>`). Premiums count as spent and claims as
//!   earned in the expert's lifetime figures.
//! * **Diversity subsidy**: after a round, every expert consulted fewer
//!   than `diversity_min_fraction` (default 0.5) × the fair count (total
//!   consultations / experts) receives `diversity_subsidy` (default 5
//!   credits) as a `seed` (`diversity:<round>:<expert>`), so that experts
//!   routing never picks keep enough credits to be tried.
//! * **Novelty premium**: a prediction or datapoint whose novelty (in
//!   [0, 1]) is at least `novelty_threshold` (default 0.5) earns its expert
//!   `novelty_premium × novelty` (default 10 credits × novelty) as a
//!   `value_reward` (`novelty:<item>:<expert>`).
//!
//! A premium is cut to what the expert has available and a claim to what
//! the pool holds when first applied; nothing is written when that is 0.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::apply_once::{AmountRule, apply_once};
use crate::credits::{Credits, MICROS_PER_CREDIT};
use crate::error::{ExchangeError, Result};
use crate::ledger_store::LedgerStore;
use crate::transfer::{Applied, Party, Transaction, Transfer, TxType, validate_account_id};

/// Account id of the insurance pool.
pub const INSURANCE_POOL: &str = "system.insurance";

/// The system actors' rules.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SystemActors {
    /// Credits a new expert is seeded with (default 100).
    pub seed_amount: Credits,
    /// Share of each reward paid into the insurance pool, in [0, 1]
    /// (default 0.05).
    pub insurance_rate: f64,
    /// Share of each penalty the pool refunds, in [0, 1] (default 0.5).
    pub insurance_coverage: f64,
    /// Credits given to an under-consulted expert per round (default 5).
    pub diversity_subsidy: Credits,
    /// Fraction of the fair consultation count below which the subsidy is
    /// paid, in [0, 1] (default 0.5).
    pub diversity_min_fraction: f64,
    /// Credits of a novelty premium at novelty 1 (default 10).
    pub novelty_premium: Credits,
    /// Novelty at or above which the premium is paid, in [0, 1] (default
    /// 0.5).
    pub novelty_threshold: f64,
}

impl Default for SystemActors {
    fn default() -> Self {
        let whole = |c: i64| Credits::from_micros(c * MICROS_PER_CREDIT);
        SystemActors {
            seed_amount: whole(100),
            insurance_rate: 0.05,
            insurance_coverage: 0.5,
            diversity_subsidy: whole(5),
            diversity_min_fraction: 0.5,
            novelty_premium: whole(10),
            novelty_threshold: 0.5,
        }
    }
}

fn unit(field: &'static str, v: f64) -> Result<()> {
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

fn scale(amount: Credits, factor: f64) -> Credits {
    // factor in [0, 1]: the product fits in i64.
    Credits::from_micros((amount.micros() as f64 * factor).round() as i64)
}

impl SystemActors {
    /// Checks the rates and fractions are in [0, 1] and the amounts ≥ 0.
    pub fn validate(&self) -> Result<()> {
        unit("insurance_rate", self.insurance_rate)?;
        unit("insurance_coverage", self.insurance_coverage)?;
        unit("diversity_min_fraction", self.diversity_min_fraction)?;
        unit("novelty_threshold", self.novelty_threshold)?;
        for (field, c) in [
            ("seed_amount", self.seed_amount),
            ("diversity_subsidy", self.diversity_subsidy),
            ("novelty_premium", self.novelty_premium),
        ] {
            if c.micros() < 0 {
                return Err(ExchangeError::OutOfRange {
                    field,
                    expected: ">= 0 credits",
                    value: c.as_f64(),
                });
            }
        }
        Ok(())
    }

    /// Seed fund: `seed_amount` to a new expert, once.
    pub fn seed(&self, store: &mut dyn LedgerStore, expert: &str) -> Result<Option<Applied>> {
        self.validate()?;
        if self.seed_amount.micros() == 0 {
            return Ok(None);
        }
        let mut t = Transfer::new(
            format!("seed-fund:{expert}"),
            TxType::Seed,
            Party::Mint,
            Party::expert(expert)?,
            self.seed_amount,
        );
        t.reason = "seed fund".into();
        apply_once(store, &t, AmountRule::Exact).map(Some)
    }

    /// Insurance premium on a `value_reward`: `insurance_rate` of it from
    /// the expert into the pool, cut to what it has available.
    pub fn insurance_premium(
        &self,
        store: &mut dyn LedgerStore,
        reward: &Transaction,
    ) -> Result<Option<Applied>> {
        self.validate()?;
        let tr = &reward.transfer;
        let expert = expect_type(tr, TxType::ValueReward, &tr.to)?;
        let id = format!("insurance-premium:{}", tr.id);
        let mut amount = scale(tr.amount, self.insurance_rate);
        if store.transaction(&id)?.is_none() {
            let available = store
                .account(expert)?
                .map_or(Credits::ZERO, |a| a.available);
            amount = amount.min(available);
        }
        if amount.micros() == 0 {
            return Ok(None);
        }
        let mut t = Transfer::new(
            id,
            TxType::RoutingFee,
            tr.to.clone(),
            Party::expert(INSURANCE_POOL)?,
            amount,
        );
        t.reason = "insurance premium".into();
        t.metadata = json!({ "reward": tr.id, "rate": self.insurance_rate });
        apply_once(store, &t, AmountRule::DecidedWhenFirstApplied).map(Some)
    }

    /// Insurance claim on a `value_penalty`: `insurance_coverage` of it
    /// from the pool back to the expert, cut to what the pool holds.
    pub fn insurance_claim(
        &self,
        store: &mut dyn LedgerStore,
        penalty: &Transaction,
    ) -> Result<Option<Applied>> {
        self.validate()?;
        let tr = &penalty.transfer;
        expect_type(tr, TxType::ValuePenalty, &tr.from)?;
        let id = format!("insurance-claim:{}", tr.id);
        let mut amount = scale(tr.amount, self.insurance_coverage);
        if store.transaction(&id)?.is_none() {
            let pool = store
                .account(INSURANCE_POOL)?
                .map_or(Credits::ZERO, |a| a.available);
            amount = amount.min(pool);
        }
        if amount.micros() == 0 {
            return Ok(None);
        }
        let mut t = Transfer::new(
            id,
            TxType::RoutingFee,
            Party::expert(INSURANCE_POOL)?,
            tr.from.clone(),
            amount,
        );
        t.reason = "insurance claim".into();
        t.metadata = json!({ "penalty": tr.id, "coverage": self.insurance_coverage });
        apply_once(store, &t, AmountRule::DecidedWhenFirstApplied).map(Some)
    }

    /// Diversity subsidy after round `round`: `consultations` counts how
    /// often each expert was consulted (every live expert, 0 included).
    pub fn diversity_subsidy(
        &self,
        store: &mut dyn LedgerStore,
        round: &str,
        consultations: &BTreeMap<String, u64>,
    ) -> Result<Vec<Applied>> {
        self.validate()?;
        let total: u64 = consultations.values().sum();
        if consultations.is_empty() || total == 0 || self.diversity_subsidy.micros() == 0 {
            return Ok(Vec::new());
        }
        let fair = total as f64 / consultations.len() as f64;
        let mut applied = Vec::new();
        for (expert, &n) in consultations {
            if (n as f64) < self.diversity_min_fraction * fair {
                let mut t = Transfer::new(
                    format!("diversity:{round}:{expert}"),
                    TxType::Seed,
                    Party::Mint,
                    Party::expert(expert)?,
                    self.diversity_subsidy,
                );
                t.reason = "diversity subsidy".into();
                t.metadata = json!({ "round": round, "consulted": n, "fair": fair });
                applied.push(apply_once(store, &t, AmountRule::Exact)?);
            }
        }
        Ok(applied)
    }

    /// Novelty premium: `novelty_premium × novelty` to the expert when
    /// `novelty ≥ novelty_threshold`.
    pub fn novelty_premium(
        &self,
        store: &mut dyn LedgerStore,
        expert: &str,
        item: &str,
        novelty: f64,
    ) -> Result<Option<Applied>> {
        self.validate()?;
        unit("novelty", novelty)?;
        validate_account_id(expert)?;
        let amount = scale(self.novelty_premium, novelty);
        if novelty < self.novelty_threshold || amount.micros() == 0 {
            return Ok(None);
        }
        let mut t = Transfer::new(
            format!("novelty:{item}:{expert}"),
            TxType::ValueReward,
            Party::Mint,
            Party::expert(expert)?,
            amount,
        );
        t.prediction_id = Some(item.to_string());
        t.reason = "novelty premium".into();
        t.metadata = json!({ "novelty": novelty });
        apply_once(store, &t, AmountRule::Exact).map(Some)
    }
}

fn expect_type<'a>(tr: &Transfer, want: TxType, expert: &'a Party) -> Result<&'a str> {
    match expert.expert_id() {
        Some(id) if tr.tx_type == want => Ok(id),
        _ => Err(ExchangeError::InvalidInput {
            field: format!("transaction '{}' type", tr.id),
            expected: want.as_str().to_string(),
            got: tr.tx_type.as_str().to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger_sqlite::SqliteLedger;

    fn c(s: &str) -> Credits {
        s.parse().unwrap()
    }

    fn ledger() -> (tempfile::TempDir, SqliteLedger) {
        let dir = tempfile::tempdir().unwrap();
        let l = SqliteLedger::init(dir.path()).unwrap();
        (dir, l)
    }

    #[test]
    fn seed_fund_seeds_each_expert_once() {
        let (_d, mut l) = ledger();
        let s = SystemActors::default();
        assert!(!s.seed(&mut l, "x").unwrap().unwrap().duplicate);
        assert!(s.seed(&mut l, "x").unwrap().unwrap().duplicate);
        assert_eq!(l.account("x").unwrap().unwrap().available, c("100"));
    }

    #[test]
    fn insurance_collects_premiums_and_pays_claims_up_to_the_pool() {
        let (_d, mut l) = ledger();
        let s = SystemActors::default();
        s.seed(&mut l, "x").unwrap();
        let reward = l
            .apply(&Transfer::new(
                "r1",
                TxType::ValueReward,
                Party::Mint,
                Party::expert("x").unwrap(),
                c("40"),
            ))
            .unwrap()
            .transaction;
        // Premium 5 % of 40 = 2: x 100 + 40 − 2 = 138, pool 2.
        let p = s.insurance_premium(&mut l, &reward).unwrap().unwrap();
        assert_eq!(p.transaction.transfer.amount, c("2"));
        assert!(
            s.insurance_premium(&mut l, &reward)
                .unwrap()
                .unwrap()
                .duplicate
        );
        let penalty = l
            .apply(&Transfer::new(
                "p1",
                TxType::ValuePenalty,
                Party::expert("x").unwrap(),
                Party::Sink,
                c("3"),
            ))
            .unwrap()
            .transaction;
        // Claim 50 % of 3 = 1.5 ≤ pool 2: x 138 − 3 + 1.5 = 136.5, pool 0.5.
        let cl = s.insurance_claim(&mut l, &penalty).unwrap().unwrap();
        assert_eq!(cl.transaction.transfer.amount, c("1.5"));
        let penalty2 = l
            .apply(&Transfer::new(
                "p2",
                TxType::ValuePenalty,
                Party::expert("x").unwrap(),
                Party::Sink,
                c("10"),
            ))
            .unwrap()
            .transaction;
        // Claim 50 % of 10 = 5, pool holds 0.5: pays 0.5.
        // x 136.5 − 10 + 0.5 = 127, pool 0.
        let cl = s.insurance_claim(&mut l, &penalty2).unwrap().unwrap();
        assert_eq!(cl.transaction.transfer.amount, c("0.5"));
        assert!(
            s.insurance_claim(&mut l, &penalty2)
                .unwrap()
                .unwrap()
                .duplicate
        );
        assert_eq!(l.account("x").unwrap().unwrap().available, c("127"));
        assert_eq!(
            l.account(INSURANCE_POOL).unwrap().unwrap().available,
            Credits::ZERO
        );
        // A reward is not a penalty.
        assert!(s.insurance_claim(&mut l, &reward).is_err());
        l.check_integrity().unwrap();
    }

    #[test]
    fn diversity_subsidy_goes_to_the_under_consulted() {
        let (_d, mut l) = ledger();
        let s = SystemActors::default();
        // 12 consultations over 4 experts: fair 3, threshold 0.5·3 = 1.5:
        // c (1) and d (0) are below, b (2) is not.
        let counts: BTreeMap<String, u64> = [("a", 9), ("b", 2), ("c", 1), ("d", 0)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let a = s.diversity_subsidy(&mut l, "r1", &counts).unwrap();
        let ids: Vec<&str> = a
            .iter()
            .map(|x| x.transaction.transfer.id.as_str())
            .collect();
        assert_eq!(ids, ["diversity:r1:c", "diversity:r1:d"]);
        assert_eq!(l.account("d").unwrap().unwrap().available, c("5"));
        let again = s.diversity_subsidy(&mut l, "r1", &counts).unwrap();
        assert!(again.iter().all(|x| x.duplicate));
    }

    #[test]
    fn novelty_premium_scales_with_novelty_above_threshold() {
        let (_d, mut l) = ledger();
        let s = SystemActors::default();
        // 10 × 0.75 = 7.5 credits.
        let a = s
            .novelty_premium(&mut l, "x", "dp-1", 0.75)
            .unwrap()
            .unwrap();
        assert_eq!(a.transaction.transfer.amount, c("7.5"));
        // 0.4 < 0.5: nothing.
        assert!(
            s.novelty_premium(&mut l, "x", "dp-2", 0.4)
                .unwrap()
                .is_none()
        );
        assert!(s.novelty_premium(&mut l, "x", "dp-3", 1.4).is_err());
    }
}
