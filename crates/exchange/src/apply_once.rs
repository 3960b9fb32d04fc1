//! Applying a rule's transfer exactly once. A rule's transaction id is
//! derived from what triggered it, so a replay finds the id stored and
//! accepts it when the type, parties, prediction and signal agree (and the
//! amount, unless the rule decides it when first applied: a penalty capped
//! at the balance, a claim capped at the pool). Reason and metadata are not
//! compared: metadata floats need not survive a JSON round trip bit for
//! bit.

use crate::error::{ExchangeError, Result};
use crate::ledger_store::LedgerStore;
use crate::transfer::{Applied, Transfer};

/// Whether a replay must submit the stored amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountRule {
    /// The amount follows from the trigger: a replay must match it.
    Exact,
    /// The amount was fixed by the ledger's state at the first application
    /// (a cap): a replay is accepted whatever amount it computes now.
    DecidedWhenFirstApplied,
}

/// Applies `transfer` unless its id is stored already. A stored id with the
/// same type, parties, prediction id and value-signal id (and amount, for
/// [`AmountRule::Exact`]) is a duplicate, returned with `duplicate: true`
/// and nothing written; any other difference is an
/// [`ExchangeError::IdConflict`].
pub fn apply_once(
    store: &mut dyn LedgerStore,
    transfer: &Transfer,
    rule: AmountRule,
) -> Result<Applied> {
    let Some(stored) = store.transaction(&transfer.id)? else {
        return store.apply(transfer);
    };
    let mut same_shape = transfer.clone();
    if rule == AmountRule::DecidedWhenFirstApplied {
        same_shape.amount = stored.transfer.amount;
    }
    same_shape.metadata = stored.transfer.metadata.clone();
    same_shape.reason = stored.transfer.reason.clone();
    match stored.transfer.first_difference(&same_shape) {
        None => Ok(Applied {
            transaction: stored,
            duplicate: true,
        }),
        Some((field, stored, submitted)) => Err(ExchangeError::IdConflict {
            id: transfer.id.clone(),
            field,
            stored,
            submitted,
        }),
    }
}
