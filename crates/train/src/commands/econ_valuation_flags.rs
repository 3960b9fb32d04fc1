//! What the `vp econ` valuation and pricing commands share: the task
//! config's `data_valuation:` and `pricing:` sections as defaults, and
//! library errors told in terms of the command's flags.

use anyhow::{Context, Result};
use economics::{EconomicsError, TaskConfig};
use std::path::Path;

/// The task config at `path`, if one is given, checked strictly.
pub fn load_task_config(path: Option<&Path>) -> Result<Option<TaskConfig>> {
    path.map(|p| {
        TaskConfig::from_path(p).with_context(|| format!("reading task config {}", p.display()))
    })
    .transpose()
}

/// Names the flag behind a library error (`price_per_unit` is
/// `--price-per-unit`), so the message says what to change.
pub fn flag_error(err: EconomicsError) -> anyhow::Error {
    let field = match &err {
        EconomicsError::NonFinite { field, .. } | EconomicsError::OutOfRange { field, .. } => {
            Some(field.replace('_', "-"))
        }
        EconomicsError::TierThresholdsOutOfOrder { .. } => {
            Some("tier0-threshold / --tier1-threshold".to_owned())
        }
        _ => None,
    };
    match field {
        Some(flag) => anyhow::Error::new(err).context(format!("invalid --{flag}")),
        None => anyhow::Error::new(err),
    }
}
