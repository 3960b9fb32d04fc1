//! Applying a rule's transfer exactly once when the amount is decided at
//! the time of the first application (a penalty capped at the balance, a
//! claim capped at the pool): a replay finds the id already stored and
//! accepts it when the type, parties, prediction and signal agree, whatever
//! amount and metadata were stored.

use crate::error::{ExchangeError, Result};
use crate::ledger_store::LedgerStore;
use crate::transfer::{Applied, Transfer};

/// Applies `transfer` unless its id is stored already. A stored id with the
/// same type, parties, prediction id and value-signal id is a duplicate
/// (returned with `duplicate: true`, nothing written); with any of those
/// different it is an [`ExchangeError::IdConflict`].
pub fn apply_once(store: &mut dyn LedgerStore, transfer: &Transfer) -> Result<Applied> {
    let Some(stored) = store.transaction(&transfer.id)? else {
        return store.apply(transfer);
    };
    let mut same_shape = transfer.clone();
    same_shape.amount = stored.transfer.amount;
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
