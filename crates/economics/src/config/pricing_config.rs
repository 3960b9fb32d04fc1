//! The `pricing:` section (SPEC §6).

use crate::SharingStatus;
use serde::{Deserialize, Serialize};
use yaml_config::ConfigCheck;

/// Premiums, sharing discount and true-up period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PricingConfig {
    /// `H`: robot-hours a premium covers, `> 0`. Default 1000.
    pub horizon_hours: f64,
    /// Default sharing status of a customer. Default `withheld`.
    pub sharing_status: SharingStatus,
    /// Per-unit discount for sharing, as a fraction of `p`, in [0, 1].
    /// Default 0.15.
    pub data_sharing_discount: f64,
    /// Days per reconciliation report, `>= 1`. Default 90.
    pub reconciliation_period_days: u64,
}

impl Default for PricingConfig {
    fn default() -> Self {
        Self {
            horizon_hours: 1000.0,
            sharing_status: SharingStatus::Withheld,
            data_sharing_discount: 0.15,
            reconciliation_period_days: 90,
        }
    }
}

impl PricingConfig {
    pub(crate) fn check(&self, c: &mut ConfigCheck<'_>) {
        c.positive("pricing.horizon_hours", self.horizon_hours);
        c.closed_unit("pricing.data_sharing_discount", self.data_sharing_discount);
        c.at_least(
            "pricing.reconciliation_period_days",
            self.reconciliation_period_days,
            1,
        );
    }
}
