//! An expert's account and the one function that moves credits: used by
//! both stores inside their database transaction and by the integrity
//! check that replays the whole ledger, so they can never disagree.
//!
//! Lifetime figures (all derivable from the transactions):
//! * `seeded`: credits received as `seed`.
//! * `earned`: `value_reward` received + `routing_fee` received.
//! * `spent`: `prediction_cost` + `value_penalty` + `routing_fee` paid.
//! * `burned`: everything the account sent to the sink
//!   (`prediction_cost`, `value_penalty`, `deprecation`).
//! * `predictions`: number of `prediction_cost` transactions;
//!   `wins`/`losses`: number of `value_reward`/`value_penalty`;
//!   `value_net`: rewards minus penalties.
//!
//! `pending` is a balance no transaction type of SPEC §7 moves credits into;
//! it is stored, replayed and checked, and is 0 in every ledger today.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::credits::Credits;
use crate::error::{ExchangeError, Result};
use crate::transfer::{Party, Transaction, Transfer, TxType};

/// One account's balances and lifetime figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountState {
    /// Spendable credits.
    pub available: Credits,
    /// Credits locked by `stake`.
    pub staked: Credits,
    /// Credits awaiting settlement (no transaction type uses it yet).
    pub pending: Credits,
    /// Lifetime credits received as `seed`.
    pub seeded: Credits,
    /// Lifetime rewards and routing fees received.
    pub earned: Credits,
    /// Lifetime prediction costs, penalties and routing fees paid.
    pub spent: Credits,
    /// Lifetime credits this account sent to the sink.
    pub burned: Credits,
    /// Number of `prediction_cost` transactions.
    pub predictions: i64,
    /// Number of `value_reward` transactions.
    pub wins: i64,
    /// Number of `value_penalty` transactions.
    pub losses: i64,
    /// Sum of rewards minus sum of penalties.
    pub value_net: Credits,
}

impl AccountState {
    /// Credits the account holds: available + staked + pending.
    pub fn held(&self) -> Option<Credits> {
        self.available
            .checked_add(self.staked)
            .and_then(|c| c.checked_add(self.pending))
    }

    /// ROI = (earned − spent) / spent; `None` before anything is spent.
    pub fn roi(&self) -> Option<f64> {
        (self.spent.micros() > 0).then(|| {
            (self.earned.micros() as f64 - self.spent.micros() as f64) / self.spent.micros() as f64
        })
    }

    /// Rewards / (rewards + penalties); `None` before any value signal.
    pub fn win_rate(&self) -> Option<f64> {
        let n = self.wins + self.losses;
        (n > 0).then(|| self.wins as f64 / n as f64)
    }

    /// Net value (rewards − penalties) per prediction, in credits; `None`
    /// before any prediction.
    pub fn avg_value_per_prediction(&self) -> Option<f64> {
        (self.predictions > 0).then(|| self.value_net.as_f64() / self.predictions as f64)
    }

    /// Columns of the accounts table, in the order of [`Self::fields`].
    pub const COLUMNS: [&'static str; 11] = [
        "available",
        "staked",
        "pending",
        "seeded",
        "earned",
        "spent",
        "burned",
        "predictions",
        "wins",
        "losses",
        "value_net",
    ];

    /// From the stored columns, in the order of [`Self::COLUMNS`].
    pub fn from_fields(v: [i64; 11]) -> Self {
        let c = Credits::from_micros;
        AccountState {
            available: c(v[0]),
            staked: c(v[1]),
            pending: c(v[2]),
            seeded: c(v[3]),
            earned: c(v[4]),
            spent: c(v[5]),
            burned: c(v[6]),
            predictions: v[7],
            wins: v[8],
            losses: v[9],
            value_net: c(v[10]),
        }
    }

    /// Each stored field by name, for comparisons that name the field.
    pub fn fields(&self) -> [(&'static str, i64); 11] {
        let AccountState {
            available,
            staked,
            pending,
            seeded,
            earned,
            spent,
            burned,
            predictions,
            wins,
            losses,
            value_net,
        } = *self;
        [
            ("available", available.micros()),
            ("staked", staked.micros()),
            ("pending", pending.micros()),
            ("seeded", seeded.micros()),
            ("earned", earned.micros()),
            ("spent", spent.micros()),
            ("burned", burned.micros()),
            ("predictions", predictions),
            ("wins", wins),
            ("losses", losses),
            ("value_net", value_net.micros()),
        ]
    }
}

/// The ledger-wide sums: credits are conserved when
/// `minted = held + burned`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Credits created (`seed` + `value_reward`).
    pub minted: Credits,
    /// Credits destroyed (everything sent to the sink).
    pub burned: Credits,
    /// Credits in accounts (available + staked + pending, all accounts).
    pub held: Credits,
}

impl Totals {
    /// Sums over the stored accounts and the transactions.
    pub fn compute(
        transactions: &[Transaction],
        accounts: &BTreeMap<String, AccountState>,
    ) -> Result<Totals> {
        let overflow = |what: &str| ExchangeError::Overflow { what: what.into() };
        let mut t = Totals::default();
        for tx in transactions {
            let a = tx.transfer.amount;
            if tx.transfer.tx_type.mints() {
                t.minted = t.minted.checked_add(a).ok_or_else(|| overflow("minted"))?;
            }
            if tx.transfer.to == Party::Sink {
                t.burned = t.burned.checked_add(a).ok_or_else(|| overflow("burned"))?;
            }
        }
        for s in accounts.values() {
            let h = s.held().ok_or_else(|| overflow("held"))?;
            t.held = t.held.checked_add(h).ok_or_else(|| overflow("held"))?;
        }
        Ok(t)
    }
}

fn add(tx: &Transfer, what: &str, c: &mut Credits, a: Credits) -> Result<()> {
    *c = c.checked_add(a).ok_or_else(|| ExchangeError::Overflow {
        what: format!("transaction '{}': {what}", tx.id),
    })?;
    Ok(())
}

fn debit(tx: &Transfer, account: &str, balance: &'static str, c: &mut Credits) -> Result<()> {
    if *c < tx.amount {
        return Err(ExchangeError::InsufficientFunds {
            id: tx.id.clone(),
            account: account.to_string(),
            balance,
            has: c.to_string(),
            needed: tx.amount.to_string(),
        });
    }
    *c = Credits::from_micros(c.micros() - tx.amount.micros());
    Ok(())
}

/// Expert accounts a transfer touches, sorted (lock order) and distinct.
pub fn accounts_touched(tx: &Transfer) -> Vec<String> {
    let mut ids: Vec<String> = [&tx.from, &tx.to]
        .into_iter()
        .filter_map(|p| p.expert_id().map(str::to_string))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Applies a validated transfer to the accounts it touches. `accounts` must
/// hold every touched account that exists; a credited account that is
/// missing is opened. On error (overdraft, unknown account, overflow)
/// `accounts` is unchanged.
pub fn apply_transfer(tx: &Transfer, accounts: &mut BTreeMap<String, AccountState>) -> Result<()> {
    tx.validate()?;
    let from = tx.from.expert_id();
    let to = tx.to.expert_id();
    let load =
        |accounts: &BTreeMap<String, AccountState>, id: &str, must_exist: bool| match accounts
            .get(id)
        {
            Some(s) => Ok(*s),
            None if must_exist => Err(ExchangeError::UnknownAccount {
                id: tx.id.clone(),
                account: id.to_string(),
            }),
            None => Ok(AccountState::default()),
        };
    let a = tx.amount;
    match (tx.tx_type, from, to) {
        (TxType::Seed | TxType::ValueReward, _, Some(to)) => {
            let mut s = load(accounts, to, false)?;
            add(tx, "available", &mut s.available, a)?;
            if tx.tx_type == TxType::Seed {
                add(tx, "seeded", &mut s.seeded, a)?;
            } else {
                add(tx, "earned", &mut s.earned, a)?;
                add(tx, "value_net", &mut s.value_net, a)?;
                s.wins += 1;
            }
            accounts.insert(to.to_string(), s);
        }
        (TxType::PredictionCost | TxType::ValuePenalty | TxType::Deprecation, Some(from), _) => {
            let mut s = load(accounts, from, true)?;
            debit(tx, from, "available", &mut s.available)?;
            add(tx, "burned", &mut s.burned, a)?;
            match tx.tx_type {
                TxType::PredictionCost => {
                    add(tx, "spent", &mut s.spent, a)?;
                    s.predictions += 1;
                }
                TxType::ValuePenalty => {
                    add(tx, "spent", &mut s.spent, a)?;
                    s.value_net =
                        s.value_net
                            .checked_sub(a)
                            .ok_or_else(|| ExchangeError::Overflow {
                                what: format!("transaction '{}': value_net", tx.id),
                            })?;
                    s.losses += 1;
                }
                _ => {}
            }
            accounts.insert(from.to_string(), s);
        }
        (TxType::Stake, Some(id), _) => {
            let mut s = load(accounts, id, true)?;
            debit(tx, id, "available", &mut s.available)?;
            add(tx, "staked", &mut s.staked, a)?;
            accounts.insert(id.to_string(), s);
        }
        (TxType::Unstake, Some(id), _) => {
            let mut s = load(accounts, id, true)?;
            debit(tx, id, "staked", &mut s.staked)?;
            add(tx, "available", &mut s.available, a)?;
            accounts.insert(id.to_string(), s);
        }
        (TxType::RoutingFee, Some(from), Some(to)) => {
            let mut f = load(accounts, from, true)?;
            let mut t = load(accounts, to, false)?;
            debit(tx, from, "available", &mut f.available)?;
            add(tx, "spent", &mut f.spent, a)?;
            add(tx, "available", &mut t.available, a)?;
            add(tx, "earned", &mut t.earned, a)?;
            accounts.insert(from.to_string(), f);
            accounts.insert(to.to_string(), t);
        }
        _ => {
            // validate() admits only the shapes matched above.
            return Err(ExchangeError::InvalidTransfer {
                id: tx.id.clone(),
                field: "from",
                expected: tx.tx_type.rule().to_string(),
                got: format!("{} → {}", tx.from, tx.to),
            });
        }
    }
    Ok(())
}

/// Replays every transaction from empty accounts.
pub fn replay(transactions: &[Transaction]) -> Result<BTreeMap<String, AccountState>> {
    let mut accounts = BTreeMap::new();
    for t in transactions {
        apply_transfer(&t.transfer, &mut accounts)?;
    }
    Ok(accounts)
}

/// What a passing integrity check saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IntegrityReport {
    /// Transactions replayed.
    pub transactions: usize,
    /// Accounts compared.
    pub accounts: usize,
    /// The conserved sums.
    pub totals: Totals,
}

/// The integrity check: every stored account equals the replay of the
/// transactions, no balance is negative, sequence numbers increase and
/// `minted = held + burned`. `store` names the store in the error.
pub fn verify(
    store: &str,
    transactions: &[Transaction],
    stored: &BTreeMap<String, AccountState>,
) -> Result<IntegrityReport> {
    let mut differences = Vec::new();
    for w in transactions.windows(2) {
        if w[1].seq <= w[0].seq {
            differences.push(format!(
                "transaction '{}' has seq {} after seq {}",
                w[1].transfer.id, w[1].seq, w[0].seq
            ));
        }
    }
    let replayed = match replay(transactions) {
        Ok(r) => r,
        Err(e) => {
            differences.push(format!("replaying the transactions fails: {e}"));
            BTreeMap::new()
        }
    };
    for (id, s) in stored {
        for (field, v) in s.fields() {
            if matches!(field, "available" | "staked" | "pending") && v < 0 {
                differences.push(format!(
                    "account '{id}' has negative {field} {v} micro-credits"
                ));
            }
        }
    }
    if differences.is_empty() {
        for (id, r) in &replayed {
            match stored.get(id) {
                None => differences.push(format!(
                    "account '{id}' is missing from the accounts table (its transactions give available {})",
                    r.available
                )),
                Some(s) => {
                    for ((field, want), (_, got)) in r.fields().into_iter().zip(s.fields()) {
                        if want != got {
                            differences.push(format!(
                                "account '{id}' {field}: replay of its transactions gives {want}, stored {got} (micro-credits or count)"
                            ));
                        }
                    }
                }
            }
        }
        for id in stored.keys().filter(|id| !replayed.contains_key(*id)) {
            differences.push(format!(
                "account '{id}' is stored but no transaction touches it"
            ));
        }
    }
    let totals = Totals::compute(transactions, stored)?;
    if totals.held.checked_add(totals.burned) != Some(totals.minted) {
        differences.push(format!(
            "credits not conserved: minted {} but held {} + burned {}",
            totals.minted, totals.held, totals.burned
        ));
    }
    if differences.is_empty() {
        Ok(IntegrityReport {
            transactions: transactions.len(),
            accounts: stored.len(),
            totals,
        })
    } else {
        Err(ExchangeError::Integrity {
            store: store.to_string(),
            differences,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(id: &str, ty: TxType, from: &str, to: &str, whole: i64) -> Transfer {
        Transfer::new(
            id,
            ty,
            from.parse().unwrap(),
            to.parse().unwrap(),
            Credits::from_whole(whole).unwrap(),
        )
    }

    #[test]
    fn ledger_rejects_overdraft() {
        let mut acc = BTreeMap::new();
        apply_transfer(&tx("1", TxType::Seed, "mint", "a", 10), &mut acc).unwrap();
        let before = acc.clone();
        let e = apply_transfer(&tx("2", TxType::PredictionCost, "a", "sink", 11), &mut acc);
        assert!(
            matches!(e, Err(ExchangeError::InsufficientFunds { .. })),
            "{e:?}"
        );
        assert_eq!(acc, before);
        let e = apply_transfer(&tx("3", TxType::Unstake, "a", "a", 1), &mut acc);
        assert!(matches!(
            e,
            Err(ExchangeError::InsufficientFunds {
                balance: "staked",
                ..
            })
        ));
        let e = apply_transfer(&tx("4", TxType::RoutingFee, "b", "a", 1), &mut acc);
        assert!(matches!(e, Err(ExchangeError::UnknownAccount { .. })));
    }

    #[test]
    fn lifetime_figures_follow_the_transactions() {
        let mut acc = BTreeMap::new();
        for t in [
            tx("1", TxType::Seed, "mint", "a", 100),
            tx("2", TxType::PredictionCost, "a", "sink", 10),
            tx("3", TxType::ValueReward, "mint", "a", 30),
            tx("4", TxType::ValuePenalty, "a", "sink", 5),
            tx("5", TxType::Stake, "a", "a", 20),
            tx("6", TxType::RoutingFee, "a", "b", 5),
            tx("7", TxType::Unstake, "a", "a", 15),
            tx("8", TxType::Deprecation, "b", "sink", 5),
        ] {
            apply_transfer(&t, &mut acc).unwrap();
        }
        let a = acc["a"];
        let c = |w: i64| Credits::from_whole(w).unwrap();
        assert_eq!(a.available, c(100 - 10 + 30 - 5 - 20 - 5 + 15));
        assert_eq!(a.staked, c(5));
        assert_eq!(a.earned, c(30));
        assert_eq!(a.spent, c(20));
        assert_eq!(a.burned, c(15));
        assert_eq!(a.roi(), Some(0.5));
        assert_eq!(a.win_rate(), Some(0.5));
        assert_eq!(a.avg_value_per_prediction(), Some(25.0));
        assert_eq!(acc["b"].available, Credits::ZERO);
        assert_eq!(acc["b"].earned, c(5));
    }
}
