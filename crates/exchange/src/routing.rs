//! Routing and budgets by credits (SPEC §7): which experts a request
//! consults, how long each may think, and how much training data each gets.
//!
//! * Routing: experts with relevance < 0.1 are skipped; the rest are
//!   scored `relevance × (1 + 0.01·staked) × (1 + 0.5·max(0, ROI))`
//!   (staked in credits, ROI 0 before anything is spent) and the top
//!   `budget` (default 3) are consulted, best first (ties by expert id).
//! * Inference budget: `base_ms × (1 + 0.5·available/1000)` (available in
//!   credits).
//! * Training data: each expert's share is proportional to its available
//!   credits, `floor(N · available / Σ available)` of `N` examples, then
//!   raised to at least 10 and cut to at most `floor(N/2)` (both bounds
//!   are `floor(N/2)` when `N < 20`). Shares may overlap: they say how
//!   many examples each expert samples, not a partition.

use serde::{Deserialize, Serialize};

use crate::credits::Credits;
use crate::error::{ExchangeError, Result};

/// Relevance below which an expert is not consulted.
pub const MIN_RELEVANCE: f64 = 0.1;
/// Experts consulted per request by default.
pub const DEFAULT_ROUTING_BUDGET: usize = 3;
/// Fewest examples an expert trains on.
pub const MIN_TRAINING_EXAMPLES: u64 = 10;

/// An expert that could answer a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingCandidate {
    /// Expert id.
    pub expert: String,
    /// How relevant it is to the request, ≥ 0 (typically in [0, 1]).
    pub relevance: f64,
    /// Credits it has staked.
    pub staked: Credits,
    /// Its ROI, `None` before it spent anything (counts as 0).
    pub roi: Option<f64>,
}

/// A consulted expert and its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutedExpert {
    /// Expert id.
    pub expert: String,
    /// `relevance × (1 + 0.01·staked) × (1 + 0.5·max(0, ROI))`.
    pub score: f64,
}

/// The routing score of a candidate.
pub fn routing_score(c: &RoutingCandidate) -> f64 {
    let roi = c.roi.unwrap_or(0.0).max(0.0);
    c.relevance * (1.0 + 0.01 * c.staked.as_f64()) * (1.0 + 0.5 * roi)
}

/// The experts to consult: relevance ≥ 0.1, the `budget` best scores.
/// A non-finite or negative relevance or a non-finite ROI is refused.
pub fn route(candidates: &[RoutingCandidate], budget: usize) -> Result<Vec<RoutedExpert>> {
    for c in candidates {
        if !(c.relevance.is_finite() && c.relevance >= 0.0) {
            return Err(ExchangeError::InvalidInput {
                field: format!("routing candidate '{}' relevance", c.expert),
                expected: "finite and >= 0".into(),
                got: c.relevance.to_string(),
            });
        }
        if c.roi.is_some_and(|r| !r.is_finite()) {
            return Err(ExchangeError::InvalidInput {
                field: format!("routing candidate '{}' roi", c.expert),
                expected: "finite".into(),
                got: format!("{:?}", c.roi),
            });
        }
    }
    let mut routed: Vec<RoutedExpert> = candidates
        .iter()
        .filter(|c| c.relevance >= MIN_RELEVANCE)
        .map(|c| RoutedExpert {
            expert: c.expert.clone(),
            score: routing_score(c),
        })
        .collect();
    routed.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.expert.cmp(&b.expert))
    });
    routed.truncate(budget);
    Ok(routed)
}

/// Milliseconds an expert may spend on one inference:
/// `base_ms × (1 + 0.5·available/1000)`.
pub fn inference_budget_ms(base_ms: f64, available: Credits) -> Result<f64> {
    if !(base_ms.is_finite() && base_ms >= 0.0) {
        return Err(ExchangeError::OutOfRange {
            field: "base_ms",
            expected: "finite and >= 0",
            value: base_ms,
        });
    }
    Ok(base_ms * (1.0 + 0.5 * available.as_f64() / 1000.0))
}

/// Each expert's number of training examples out of `total_examples`, in
/// the order given, from their available credits (see the module
/// documentation).
pub fn training_data_shares(available: &[Credits], total_examples: u64) -> Vec<u64> {
    let upper = total_examples / 2;
    let lower = MIN_TRAINING_EXAMPLES.min(upper);
    let sum: i128 = available
        .iter()
        .map(|a| i128::from(a.micros().max(0)))
        .sum();
    available
        .iter()
        .map(|a| {
            let prop = if sum > 0 {
                // Exact integer floor(N·a/Σa).
                (i128::from(total_examples) * i128::from(a.micros().max(0)) / sum) as u64
            } else {
                0
            };
            prop.clamp(lower, upper)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(expert: &str, relevance: f64, staked: i64, roi: Option<f64>) -> RoutingCandidate {
        RoutingCandidate {
            expert: expert.into(),
            relevance,
            staked: Credits::from_whole(staked).unwrap(),
            roi,
        }
    }

    #[test]
    fn routing_scores_by_relevance_stake_and_roi() {
        let cands = [
            // 0.9 × (1 + 0.01·0) × (1 + 0.5·0) = 0.9
            cand("a", 0.9, 0, None),
            // 0.5 × (1 + 0.01·100) × (1 + 0.5·1.0) = 0.5 × 2 × 1.5 = 1.5
            cand("b", 0.5, 100, Some(1.0)),
            // 0.6 × (1 + 0.01·50) × (1 + 0.5·0) = 0.9 (negative ROI counts 0)
            cand("c", 0.6, 50, Some(-0.4)),
            // 0.09 < 0.1: skipped whatever its stake
            cand("d", 0.09, 1000, Some(5.0)),
            // 0.2 × 1 × (1 + 0.5·0.2) = 0.22
            cand("e", 0.2, 0, Some(0.2)),
        ];
        let r = route(&cands, DEFAULT_ROUTING_BUDGET).unwrap();
        let names: Vec<&str> = r.iter().map(|x| x.expert.as_str()).collect();
        // b 1.5, then a and c tie at 0.9 (by id), e 0.22 is the 4th: cut.
        assert_eq!(names, ["b", "a", "c"]);
        assert!((r[0].score - 1.5).abs() < 1e-12);
        assert!((r[2].score - 0.9).abs() < 1e-12);
        assert!((routing_score(&cands[4]) - 0.22).abs() < 1e-12);
        assert_eq!(route(&cands, 10).unwrap().len(), 4, "d is never routed");
        assert!(route(&[cand("x", f64::NAN, 0, None)], 3).is_err());
    }

    #[test]
    fn inference_budget_grows_with_available_credits() {
        // 200 ms × (1 + 0.5·500/1000) = 200 × 1.25 = 250 ms.
        let b = inference_budget_ms(200.0, Credits::from_whole(500).unwrap()).unwrap();
        assert!((b - 250.0).abs() < 1e-9);
        // 100 ms × (1 + 0.5·0) = 100 ms.
        assert_eq!(inference_budget_ms(100.0, Credits::ZERO).unwrap(), 100.0);
        assert!(inference_budget_ms(-1.0, Credits::ZERO).is_err());
    }

    #[test]
    fn training_data_is_proportional_with_floor_and_cap() {
        let w = |x: i64| Credits::from_whole(x).unwrap();
        // N = 1000, available 700, 250, 50, 0 (Σ 1000):
        // proportional 700, 250, 50, 0 → 700 cut to 500 (N/2); 0 raised
        // to 10.
        assert_eq!(
            training_data_shares(&[w(700), w(250), w(50), w(0)], 1000),
            [500, 250, 50, 10]
        );
        // N = 100, available 1 and 2: floor(100/3) = 33, floor(200/3) = 66
        // → cut to 50.
        assert_eq!(training_data_shares(&[w(1), w(2)], 100), [33, 50]);
        // N = 12: both bounds are 6.
        assert_eq!(training_data_shares(&[w(1), w(0)], 12), [6, 6]);
        // No credits anywhere: everyone gets the minimum.
        assert_eq!(training_data_shares(&[w(0), w(0)], 100), [10, 10]);
    }

    proptest::proptest! {
        #[test]
        fn routing_takes_at_most_budget_relevant_experts_best_first(
            rows in proptest::collection::vec((0.0f64..1.0, 0i64..500, -2.0f64..3.0), 0..12),
            budget in 0usize..6,
        ) {
            let cands: Vec<RoutingCandidate> = rows
                .iter()
                .enumerate()
                .map(|(i, &(r, s, roi))| cand(&format!("e{i}"), r, s, Some(roi)))
                .collect();
            let routed = route(&cands, budget).unwrap();
            proptest::prop_assert!(routed.len() <= budget);
            for w in routed.windows(2) {
                proptest::prop_assert!(w[0].score >= w[1].score);
            }
            let relevant = cands.iter().filter(|c| c.relevance >= MIN_RELEVANCE).count();
            proptest::prop_assert_eq!(routed.len(), budget.min(relevant));
            for r in &routed {
                let c = cands.iter().find(|c| c.expert == r.expert).unwrap();
                proptest::prop_assert!(c.relevance >= MIN_RELEVANCE);
            }
        }

        #[test]
        fn training_shares_stay_within_bounds(
            avail in proptest::collection::vec(0i64..10_000, 1..8),
            n in 0u64..5_000,
        ) {
            let credits: Vec<Credits> =
                avail.iter().map(|&a| Credits::from_whole(a).unwrap()).collect();
            for s in training_data_shares(&credits, n) {
                proptest::prop_assert!(s <= n / 2);
                proptest::prop_assert!(s >= MIN_TRAINING_EXAMPLES.min(n / 2));
            }
        }
    }
}
