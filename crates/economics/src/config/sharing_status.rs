//! Whether a customer shares the data a robot collects on their site.

use serde::{Deserialize, Serialize};

/// `S` of the premium formula: 1 when withheld, 0 when shared (SPEC §6).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SharingStatus {
    /// The customer keeps the datapoint: pays the premium.
    #[default]
    Withheld,
    /// The customer shares it: no premium, a per-unit discount.
    Shared,
}

impl SharingStatus {
    /// `S`: 1.0 for withheld, 0.0 for shared.
    pub fn factor(self) -> f64 {
        match self {
            SharingStatus::Withheld => 1.0,
            SharingStatus::Shared => 0.0,
        }
    }
}
