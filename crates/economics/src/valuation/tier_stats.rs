//! Per-tier statistics of predicted against realized ΔMPL, and whether the
//! realized gain rises with the tier (SPEC §6: thresholds are validated on
//! held-out data).

use serde::Serialize;

/// One tier's count and means.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TierSummary {
    /// The tier, 0, 1 or 2.
    pub tier: u8,
    /// Datapoints in the tier.
    pub count: usize,
    /// Mean predicted E[ΔMPL] (units/hour); `None` for an empty tier.
    pub mean_expected: Option<f64>,
    /// Mean realized ΔMPL (units/hour); `None` for an empty tier.
    pub mean_realized: Option<f64>,
}

/// Summaries of tiers 0, 1 and 2.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierStats {
    /// Tiers 0, 1, 2 in order.
    pub tiers: [TierSummary; 3],
}

impl TierStats {
    /// Gathers `(tier, expected, realized)` triples. Tiers above 2 count
    /// as 2.
    pub fn from_triples(triples: impl IntoIterator<Item = (u8, f64, f64)>) -> Self {
        let mut sums = [(0usize, 0.0f64, 0.0f64); 3];
        for (tier, expected, realized) in triples {
            let s = &mut sums[usize::from(tier.min(2))];
            s.0 += 1;
            s.1 += expected;
            s.2 += realized;
        }
        let summary = |tier: u8| {
            let (count, e, r) = sums[usize::from(tier)];
            let mean = |sum: f64| (count > 0).then(|| sum / count as f64);
            TierSummary {
                tier,
                count,
                mean_expected: mean(e),
                mean_realized: mean(r),
            }
        };
        Self {
            tiers: [summary(0), summary(1), summary(2)],
        }
    }

    /// Where mean realized ΔMPL does not rise with the tier, one sentence
    /// per pair of neighbouring non-empty tiers; empty when it rises.
    pub fn monotonicity_breaks(&self) -> Vec<String> {
        let filled: Vec<(u8, f64)> = self
            .tiers
            .iter()
            .filter_map(|t| Some((t.tier, t.mean_realized?)))
            .collect();
        filled
            .windows(2)
            .filter(|w| w[1].1 <= w[0].1)
            .map(|w| {
                format!(
                    "tier {} realizes {} units/h on average, not more than tier {} ({})",
                    w[1].0, w[1].1, w[0].0, w[0].1
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realized_gain_rising_with_tier_has_no_breaks() {
        let s =
            TierStats::from_triples([(0, 0.1, 0.2), (1, 1.0, 1.5), (2, 4.0, 3.0), (2, 5.0, 5.0)]);
        assert_eq!(s.tiers[2].count, 2);
        assert_eq!(s.tiers[2].mean_realized, Some(4.0));
        assert!(s.monotonicity_breaks().is_empty());
    }

    #[test]
    fn a_tier_realizing_less_than_the_one_below_is_reported() {
        let s = TierStats::from_triples([(0, 0.1, 2.0), (1, 1.0, 1.0)]);
        let breaks = s.monotonicity_breaks();
        assert_eq!(breaks.len(), 1);
        assert!(breaks[0].contains("tier 1"), "{breaks:?}");
        assert_eq!(s.tiers[2].mean_realized, None);
    }
}
