//! Tiers of a datapoint by its expected productivity gain (SPEC §6).

use crate::error::{EconomicsError, Result};
use serde::{Deserialize, Serialize};

/// Tier 0 below `tier0`, tier 1 below `tier1`, tier 2 from `tier1` on
/// (E[ΔMPL] in units per hour). Built only through [`TierThresholds::new`],
/// which keeps `0 <= tier0 < tier1`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TierThresholds {
    tier0: f64,
    tier1: f64,
}

impl Default for TierThresholds {
    /// SPEC §6's defaults: 0.5 and 3.0.
    fn default() -> Self {
        Self {
            tier0: 0.5,
            tier1: 3.0,
        }
    }
}

impl TierThresholds {
    /// Checks both thresholds are finite, `>= 0` and in order.
    pub fn new(tier0: f64, tier1: f64) -> Result<Self> {
        crate::error::non_negative("tier0_threshold", tier0)?;
        crate::error::non_negative("tier1_threshold", tier1)?;
        if tier0 >= tier1 {
            return Err(EconomicsError::TierThresholdsOutOfOrder { tier0, tier1 });
        }
        Ok(Self { tier0, tier1 })
    }

    /// The tier-0 threshold.
    pub fn tier0(&self) -> f64 {
        self.tier0
    }

    /// The tier-1 threshold.
    pub fn tier1(&self) -> f64 {
        self.tier1
    }

    /// 0 if `expected_mpl < tier0`, 1 if `< tier1`, else 2.
    pub fn tier_of(&self, expected_mpl: f64) -> u8 {
        if expected_mpl < self.tier0 {
            0
        } else if expected_mpl < self.tier1 {
            1
        } else {
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_split_at_the_default_thresholds() {
        let t = TierThresholds::default();
        assert_eq!(t.tier_of(0.0), 0);
        assert_eq!(t.tier_of(0.49), 0);
        assert_eq!(t.tier_of(0.5), 1);
        assert_eq!(t.tier_of(2.99), 1);
        assert_eq!(t.tier_of(3.0), 2);
        assert_eq!(t.tier_of(6.0), 2);
    }

    #[test]
    fn thresholds_out_of_order_are_refused() {
        assert!(matches!(
            TierThresholds::new(3.0, 0.5),
            Err(EconomicsError::TierThresholdsOutOfOrder { .. })
        ));
        assert!(TierThresholds::new(1.0, 1.0).is_err());
        assert!(TierThresholds::new(-1.0, 1.0).is_err());
        assert!(TierThresholds::new(0.0, f64::NAN).is_err());
    }
}
