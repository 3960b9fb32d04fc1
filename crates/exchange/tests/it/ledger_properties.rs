//! Random operation sequences on both stores: credits are conserved, no
//! balance goes negative, the stored accounts equal the replay of the
//! transactions, and a duplicate id applies once. The expected balances
//! come from a small model written here, independent of the crate's.

use std::collections::BTreeMap;

use exchange::{Credits, ExchangeError, LedgerStore, TxType};
use proptest::prelude::*;

use crate::common::{Backend, tr};

const EXPERTS: [&str; 3] = ["e0", "e1", "e2"];

#[derive(Debug, Clone)]
enum Op {
    /// A new transfer.
    New {
        ty: usize,
        from: usize,
        to: usize,
        amount: i64,
    },
    /// Resubmit the k-th submitted transfer unchanged.
    Retry(usize),
    /// Reuse the k-th submitted id with another amount.
    Conflict(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..8usize, 0..3usize, 0..3usize, 1..40i64)
            .prop_map(|(ty, from, to, amount)| Op::New { ty, from, to, amount }),
        1 => (0..64usize).prop_map(Op::Retry),
        1 => (0..64usize).prop_map(Op::Conflict),
    ]
}

/// Available and staked per expert, in whole credits, plus minted and burned.
#[derive(Default, Debug, PartialEq)]
struct Model {
    available: BTreeMap<String, i64>,
    staked: BTreeMap<String, i64>,
    minted: i64,
    burned: i64,
}

impl Model {
    /// Applies a rule-abiding transfer; `false` (unchanged) on overdraft.
    fn apply(&mut self, ty: TxType, from: &str, to: &str, a: i64) -> bool {
        let avail = |m: &Model, id: &str| m.available.get(id).copied().unwrap_or(0);
        let staked = |m: &Model, id: &str| m.staked.get(id).copied().unwrap_or(0);
        match ty {
            TxType::Seed | TxType::ValueReward => {
                *self.available.entry(to.into()).or_default() += a;
                self.minted += a;
            }
            TxType::PredictionCost | TxType::ValuePenalty | TxType::Deprecation => {
                if avail(self, from) < a || !self.available.contains_key(from) {
                    return false;
                }
                *self.available.get_mut(from).unwrap() -= a;
                self.burned += a;
            }
            TxType::Stake => {
                if avail(self, from) < a || !self.available.contains_key(from) {
                    return false;
                }
                *self.available.get_mut(from).unwrap() -= a;
                *self.staked.entry(from.into()).or_default() += a;
            }
            TxType::Unstake => {
                if staked(self, from) < a {
                    return false;
                }
                *self.staked.get_mut(from).unwrap() -= a;
                *self.available.get_mut(from).unwrap() += a;
            }
            TxType::RoutingFee => {
                if avail(self, from) < a || !self.available.contains_key(from) {
                    return false;
                }
                *self.available.get_mut(from).unwrap() -= a;
                *self.available.entry(to.into()).or_default() += a;
            }
        }
        true
    }
}

fn run_ops(mut l: Box<dyn LedgerStore + Send>, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut submitted: Vec<exchange::Transfer> = Vec::new();
    let mut applied_ids: Vec<String> = Vec::new();
    let mut model = Model::default();
    for (n, op) in ops.iter().enumerate() {
        match op {
            Op::New {
                ty,
                from,
                to,
                amount,
            } => {
                let ty = TxType::ALL[*ty];
                // Shape the parties to the type's rule (invalid shapes are
                // covered by the suite), so most operations are meaningful.
                let (f, t) = match ty {
                    TxType::Seed | TxType::ValueReward => ("mint", EXPERTS[*to]),
                    TxType::PredictionCost | TxType::ValuePenalty | TxType::Deprecation => {
                        (EXPERTS[*from], "sink")
                    }
                    TxType::Stake | TxType::Unstake => (EXPERTS[*from], EXPERTS[*from]),
                    TxType::RoutingFee => (EXPERTS[*from], EXPERTS[(*from + 1 + *to % 2) % 3]),
                };
                let transfer = tr(&format!("op-{n}"), ty, f, t, *amount);
                let expect_ok = model.apply(ty, f, t, *amount);
                match l.apply(&transfer) {
                    Ok(a) => {
                        prop_assert!(expect_ok, "{transfer:?} applied, model refuses");
                        prop_assert!(!a.duplicate);
                        applied_ids.push(transfer.id.clone());
                    }
                    Err(
                        ExchangeError::InsufficientFunds { .. }
                        | ExchangeError::UnknownAccount { .. },
                    ) => {
                        prop_assert!(!expect_ok, "{transfer:?} refused, model applies")
                    }
                    Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
                }
                submitted.push(transfer);
            }
            Op::Retry(k) if !submitted.is_empty() => {
                let t = &submitted[k % submitted.len()];
                let r = l.apply(t);
                if applied_ids.contains(&t.id) {
                    prop_assert!(r.unwrap().duplicate, "retry of {} applied twice", t.id);
                } else {
                    // Refused the first time: a retry is judged afresh.
                    let ok = model.apply(
                        t.tx_type,
                        t.from.as_str(),
                        t.to.as_str(),
                        t.amount.micros() / 1_000_000,
                    );
                    prop_assert_eq!(r.is_ok(), ok);
                    if ok {
                        applied_ids.push(t.id.clone());
                    }
                }
            }
            Op::Conflict(k) if !applied_ids.is_empty() => {
                let id = &applied_ids[k % applied_ids.len()];
                let mut t = submitted.iter().find(|s| &s.id == id).unwrap().clone();
                t.amount = t.amount.checked_add(Credits::from_micros(1)).unwrap();
                let conflict = matches!(l.apply(&t), Err(ExchangeError::IdConflict { .. }));
                prop_assert!(conflict);
            }
            _ => {}
        }
    }
    let report = l
        .check_integrity()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let snap = l.snapshot().unwrap();
    prop_assert_eq!(snap.transactions.len(), applied_ids.len());
    let w = |x: i64| Credits::from_whole(x).unwrap();
    prop_assert_eq!(report.totals.minted, w(model.minted));
    prop_assert_eq!(report.totals.burned, w(model.burned));
    prop_assert_eq!(
        report.totals.minted,
        report
            .totals
            .held
            .checked_add(report.totals.burned)
            .unwrap()
    );
    for (id, s) in &snap.accounts {
        prop_assert!(s.available >= Credits::ZERO && s.staked >= Credits::ZERO);
        prop_assert_eq!(
            s.available,
            w(model.available.get(id).copied().unwrap_or(0))
        );
        prop_assert_eq!(s.staked, w(model.staked.get(id).copied().unwrap_or(0)));
    }
    prop_assert_eq!(
        &exchange::replay(&snap.transactions).unwrap(),
        &snap.accounts
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn sqlite_random_operations_keep_the_ledger_sound(ops in prop::collection::vec(op(), 1..60)) {
        run_ops(Backend::sqlite().open().unwrap(), &ops)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn postgres_random_operations_keep_the_ledger_sound(ops in prop::collection::vec(op(), 1..60)) {
        if let Some(b) = Backend::postgres() {
            run_ops(b.open().unwrap(), &ops)?;
        }
    }
}
