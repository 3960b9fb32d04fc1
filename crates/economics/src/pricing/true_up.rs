//! The ex-post true-up of a quote once ΔMPL is measured (SPEC §6):
//! `P_realized = p·κ·realized·H·S`, `trueup = P − P_realized`, positive is
//! a refund.

use super::quote::Quote;
use super::quote_request::premium;
use crate::error::{Result, finite};
use serde::Serialize;

/// A recorded true-up. Rows are appended, never edited; one per quote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrueUp {
    /// The quote it settles.
    pub quote_id: String,
    /// When it was recorded, Unix seconds (UTC).
    pub recorded_at: i64,
    /// The measured ΔMPL, units per hour (may be negative).
    pub realized_mpl: f64,
    /// `P_realized = p·κ·max(realized, 0)·H·S`, dollars.
    pub premium_realized: f64,
    /// `P − P_realized`, dollars; positive is a refund, negative a bill.
    pub trueup_amount: f64,
}

/// Settles `quote` against a measured `realized_mpl`. A negative measured
/// gain prices as 0 (the premium is refunded in full, never more).
pub fn true_up(quote: &Quote, realized_mpl: f64, recorded_at: i64) -> Result<TrueUp> {
    finite("realized_mpl", realized_mpl)?;
    let r = &quote.request;
    let premium_realized = premium(
        r.price_per_unit,
        quote.terms.kappa,
        realized_mpl.max(0.0),
        r.horizon_hours,
        r.sharing.factor(),
    );
    Ok(TrueUp {
        quote_id: quote.quote_id.clone(),
        recorded_at,
        realized_mpl,
        premium_realized,
        trueup_amount: quote.terms.premium - premium_realized,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::quote_request::tests::spec_request;

    fn spec_quote() -> Quote {
        let request = spec_request();
        Quote {
            quote_id: "Q-000001".into(),
            issued_at: 0,
            due_at: 90 * 86_400,
            terms: request.terms().unwrap(),
            request,
        }
    }

    #[test]
    fn realizing_less_than_expected_is_a_refund() {
        let t = true_up(&spec_quote(), 4.5, 1).unwrap();
        // 0.30 · 0.8 · 4.5 · 1000 = 1080; 1440 − 1080 = 360 back.
        assert!((t.premium_realized - 1080.0).abs() < 1e-9);
        assert!((t.trueup_amount - 360.0).abs() < 1e-9);
    }

    #[test]
    fn realizing_more_than_expected_is_a_bill() {
        let t = true_up(&spec_quote(), 7.0, 1).unwrap();
        assert!(
            (t.trueup_amount + 240.0).abs() < 1e-9,
            "{}",
            t.trueup_amount
        );
    }

    #[test]
    fn a_negative_realized_gain_refunds_the_whole_premium() {
        let t = true_up(&spec_quote(), -1.0, 1).unwrap();
        assert_eq!(t.premium_realized, 0.0);
        assert!((t.trueup_amount - 1440.0).abs() < 1e-9);
        assert!(true_up(&spec_quote(), f64::NAN, 1).is_err());
    }
}
