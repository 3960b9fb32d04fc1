//! An ex-ante premium quote's inputs and its terms (SPEC §6):
//! `P = p·κ·E[ΔMPL]·H·S`, and for shared data a per-unit discount
//! `p·data_sharing_discount`.

use crate::error::{EconomicsError, Result, non_negative, positive};
use crate::{SharingStatus, TierThresholds, kappa};
use serde::Serialize;

/// Everything a quote is priced from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuoteRequest {
    /// The datapoint quoted, where the caller names one.
    pub datapoint_id: Option<String>,
    /// Its novelty score, where known (logged, not priced).
    pub novelty: Option<f64>,
    /// Its causal gain, where known (logged, not priced).
    pub causal_gain: Option<f64>,
    /// `p`: dollars per unit, `> 0`.
    pub price_per_unit: f64,
    /// E[ΔMPL]: expected productivity gain, units per hour, `>= 0`.
    pub expected_mpl: f64,
    /// Lower confidence bound of ΔMPL, `>= 0`.
    pub lower: f64,
    /// Upper confidence bound of ΔMPL, where known, `>= 0`.
    pub upper: Option<f64>,
    /// `H`: robot-hours the premium covers, `> 0`.
    pub horizon_hours: f64,
    /// Whether the customer withholds (`S = 1`) or shares (`S = 0`).
    pub sharing: SharingStatus,
    /// Floor of κ, in (0, 1]. Default 0.25.
    pub kappa_floor: f64,
    /// Per-unit discount for shared data as a fraction of `p`, in [0, 1].
    /// Default 0.15.
    pub data_sharing_discount: f64,
    /// Tier thresholds of E[ΔMPL].
    pub thresholds: TierThresholds,
    /// Days from the quote to its true-up, `>= 1`. Default 90.
    pub reconciliation_period_days: u64,
}

/// What a [`QuoteRequest`] costs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QuoteTerms {
    /// κ = lower / E, clipped to [kappa_floor, 1].
    pub kappa: f64,
    /// Tier of E[ΔMPL].
    pub tier: u8,
    /// `P = p·κ·E·H·S`, dollars (0 for shared data).
    pub premium: f64,
    /// Dollars off each unit: `p·data_sharing_discount` for shared data,
    /// else 0.
    pub discount_per_unit: f64,
}

/// `P = p·κ·E[ΔMPL]·H·S` (S = 1 withheld, 0 shared).
///
/// ```
/// // SPEC §6: p 0.30, κ 0.8, E[ΔMPL] 6, H 1000, withheld.
/// let p = economics::premium(0.30, 0.8, 6.0, 1000.0, 1.0);
/// assert!((p - 1440.0).abs() < 1e-9);
/// ```
pub fn premium(
    price_per_unit: f64,
    kappa: f64,
    expected_mpl: f64,
    horizon_hours: f64,
    s: f64,
) -> f64 {
    price_per_unit * kappa * expected_mpl * horizon_hours * s
}

impl QuoteRequest {
    /// Checks the inputs' ranges.
    pub fn validate(&self) -> Result<()> {
        positive("price_per_unit", self.price_per_unit)?;
        non_negative("expected_mpl", self.expected_mpl)?;
        non_negative("lower", self.lower)?;
        if let Some(upper) = self.upper {
            non_negative("upper", upper)?;
        }
        for (field, v) in [("novelty", self.novelty), ("causal_gain", self.causal_gain)] {
            if let Some(v) = v {
                crate::error::finite(field, v)?;
            }
        }
        positive("horizon_hours", self.horizon_hours)?;
        non_negative("data_sharing_discount", self.data_sharing_discount)?;
        if self.data_sharing_discount > 1.0 {
            return Err(EconomicsError::OutOfRange {
                field: "data_sharing_discount",
                expected: "in [0, 1]",
                value: self.data_sharing_discount,
            });
        }
        if self.reconciliation_period_days == 0 {
            return Err(EconomicsError::OutOfRange {
                field: "reconciliation_period_days",
                expected: ">= 1",
                value: 0.0,
            });
        }
        TierThresholds::new(self.thresholds.tier0(), self.thresholds.tier1())?;
        kappa(0.0, 0.0, self.kappa_floor)?;
        Ok(())
    }

    /// Prices the request.
    pub fn terms(&self) -> Result<QuoteTerms> {
        self.validate()?;
        let kappa = kappa(self.expected_mpl, self.lower, self.kappa_floor)?;
        let discount_per_unit = match self.sharing {
            SharingStatus::Shared => self.price_per_unit * self.data_sharing_discount,
            SharingStatus::Withheld => 0.0,
        };
        Ok(QuoteTerms {
            kappa,
            tier: self.thresholds.tier_of(self.expected_mpl),
            premium: premium(
                self.price_per_unit,
                kappa,
                self.expected_mpl,
                self.horizon_hours,
                self.sharing.factor(),
            ),
            discount_per_unit,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// SPEC §6's worked example: p 0.30, E 6, lower 4.8 (κ 0.8), H 1000,
    /// withheld.
    pub(crate) fn spec_request() -> QuoteRequest {
        QuoteRequest {
            datapoint_id: None,
            novelty: None,
            causal_gain: None,
            price_per_unit: 0.30,
            expected_mpl: 6.0,
            lower: 4.8,
            upper: None,
            horizon_hours: 1000.0,
            sharing: SharingStatus::Withheld,
            kappa_floor: 0.25,
            data_sharing_discount: 0.15,
            thresholds: TierThresholds::default(),
            reconciliation_period_days: 90,
        }
    }

    #[test]
    fn spec_premium_example_is_1440_dollars() {
        assert!((premium(0.30, 0.8, 6.0, 1000.0, 1.0) - 1440.0).abs() < 1e-9);
        let t = spec_request().terms().unwrap();
        assert!((t.kappa - 0.8).abs() < 1e-12);
        assert!((t.premium - 1440.0).abs() < 1e-9, "{}", t.premium);
        assert_eq!(t.tier, 2);
        assert_eq!(t.discount_per_unit, 0.0);
    }

    #[test]
    fn shared_data_pays_no_premium_and_gets_4_5_cents_off_a_unit() {
        let t = QuoteRequest {
            sharing: SharingStatus::Shared,
            ..spec_request()
        }
        .terms()
        .unwrap();
        assert_eq!(t.premium, 0.0);
        assert!((t.discount_per_unit - 0.045).abs() < 1e-12);
    }

    #[test]
    fn quote_refuses_negative_prices_and_horizons() {
        for bad in [
            QuoteRequest {
                price_per_unit: -0.3,
                ..spec_request()
            },
            QuoteRequest {
                horizon_hours: 0.0,
                ..spec_request()
            },
            QuoteRequest {
                expected_mpl: f64::NAN,
                ..spec_request()
            },
            QuoteRequest {
                data_sharing_discount: 1.5,
                ..spec_request()
            },
            QuoteRequest {
                kappa_floor: 0.0,
                ..spec_request()
            },
        ] {
            assert!(bad.terms().is_err(), "{bad:?}");
        }
    }
}
