//! Attribution of a value signal among the experts who contributed to the
//! outcome (SPEC §7).
//!
//! A signal's total is `raw value × confidence`. Each contributor ranked
//! items (files, actions, answers); the winning items are the outcome's
//! top 3. Expert `e`'s raw share is
//!
//! * overlap: `|top5(e) ∩ winners| / |winners|`, plus
//! * `0.1 ×` its confidence on each winning item in its top 5, plus
//! * a contrarian bonus `0.2 × disagreement(e)` when `disagreement(e) > 0.5`
//!   and its overlap is > 0,
//!
//! where `disagreement(e) = 1 − mean over the other contributors o of
//! |top5(e) ∩ top5(o)| / |top5(e)|` (0 with no other contributor or an
//! empty list). Raw shares are divided by their sum when that sum exceeds 1,
//! so the experts never receive more than the total between them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::{ExchangeError, Result};
use crate::transfer::validate_account_id;

/// Items of each contributor's ranking that count.
pub const TOP_CONTRIBUTED: usize = 5;
/// Winning items that count.
pub const TOP_WINNERS: usize = 3;
/// Weight of the confidence on each winning item.
pub const CONFIDENCE_WEIGHT: f64 = 0.1;
/// Weight of the disagreement in the contrarian bonus.
pub const CONTRARIAN_WEIGHT: f64 = 0.2;
/// Disagreement above which the contrarian bonus applies.
pub const CONTRARIAN_THRESHOLD: f64 = 0.5;

/// One expert's ranked items and its confidence in each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// Expert id.
    pub expert: String,
    /// `(item, confidence in [0, 1])`, best first; the first
    /// [`TOP_CONTRIBUTED`] distinct items count.
    pub items: Vec<(String, f64)>,
}

impl Contribution {
    /// A contribution from `(item, confidence)` pairs.
    pub fn new(expert: &str, items: &[(&str, f64)]) -> Self {
        Contribution {
            expert: expert.to_string(),
            items: items.iter().map(|&(i, c)| (i.to_string(), c)).collect(),
        }
    }

    /// The first five distinct items with their confidences.
    fn top(&self) -> Vec<(&str, f64)> {
        let mut seen = BTreeSet::new();
        self.items
            .iter()
            .filter(|(i, _)| seen.insert(i.as_str()))
            .take(TOP_CONTRIBUTED)
            .map(|(i, c)| (i.as_str(), *c))
            .collect()
    }
}

/// One expert's part of a signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    /// Expert id.
    pub expert: String,
    /// `|top5 ∩ winners| / |winners|`.
    pub overlap: f64,
    /// `0.1 × Σ confidence` over its winning items.
    pub confidence_bonus: f64,
    /// `1 − mean overlap with the other contributors' top 5`.
    pub disagreement: f64,
    /// `0.2 × disagreement` when it applies, else 0.
    pub contrarian_bonus: f64,
    /// overlap + confidence bonus + contrarian bonus.
    pub raw_share: f64,
    /// Fraction of the total it receives (raw share, scaled down when the
    /// raw shares sum to more than 1).
    pub share: f64,
}

/// Attributes a signal among `contributions` given the winning items
/// (the first [`TOP_WINNERS`] distinct ones count). Experts must be
/// distinct valid ids and confidences in [0, 1]; the result is in the
/// order of `contributions` and its shares sum to at most 1.
pub fn attribute(winners: &[String], contributions: &[Contribution]) -> Result<Vec<Attribution>> {
    let mut seen = BTreeSet::new();
    for c in contributions {
        validate_account_id(&c.expert)?;
        if !seen.insert(c.expert.as_str()) {
            return Err(ExchangeError::InvalidInput {
                field: "attribution contributors".into(),
                expected: "each expert once".into(),
                got: format!("'{}' twice", c.expert),
            });
        }
        for (item, conf) in &c.items {
            if !(0.0..=1.0).contains(conf) {
                return Err(ExchangeError::InvalidInput {
                    field: format!("contributor '{}' confidence on '{item}'", c.expert),
                    expected: "in [0, 1]".into(),
                    got: conf.to_string(),
                });
            }
        }
    }
    let mut wseen = BTreeSet::new();
    let winners: Vec<&str> = winners
        .iter()
        .map(String::as_str)
        .filter(|w| wseen.insert(*w))
        .take(TOP_WINNERS)
        .collect();
    let tops: Vec<Vec<(&str, f64)>> = contributions.iter().map(Contribution::top).collect();
    let sets: Vec<BTreeSet<&str>> = tops
        .iter()
        .map(|t| t.iter().map(|(i, _)| *i).collect())
        .collect();

    let mut out = Vec::with_capacity(contributions.len());
    for (e, c) in contributions.iter().enumerate() {
        let winning: Vec<f64> = tops[e]
            .iter()
            .filter(|(i, _)| winners.contains(i))
            .map(|(_, conf)| *conf)
            .collect();
        let overlap = if winners.is_empty() {
            0.0
        } else {
            winning.len() as f64 / winners.len() as f64
        };
        let confidence_bonus = CONFIDENCE_WEIGHT * winning.iter().sum::<f64>();
        let others = contributions.len() - 1;
        let disagreement = if others == 0 || sets[e].is_empty() {
            0.0
        } else {
            let mean = (0..contributions.len())
                .filter(|&o| o != e)
                .map(|o| sets[e].intersection(&sets[o]).count() as f64 / sets[e].len() as f64)
                .sum::<f64>()
                / others as f64;
            1.0 - mean
        };
        let contrarian_bonus = if disagreement > CONTRARIAN_THRESHOLD && overlap > 0.0 {
            CONTRARIAN_WEIGHT * disagreement
        } else {
            0.0
        };
        let raw_share = overlap + confidence_bonus + contrarian_bonus;
        out.push(Attribution {
            expert: c.expert.clone(),
            overlap,
            confidence_bonus,
            disagreement,
            contrarian_bonus,
            raw_share,
            share: raw_share,
        });
    }
    let sum: f64 = out.iter().map(|a| a.raw_share).sum();
    if sum > 1.0 {
        for a in &mut out {
            a.share = a.raw_share / sum;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn winners() -> Vec<String> {
        ["a", "b", "c"].map(String::from).to_vec()
    }

    #[test]
    fn attribution_matches_hand_computed_shares() {
        let contributions = [
            Contribution::new(
                "x",
                &[("a", 0.9), ("b", 0.8), ("d", 0.5), ("e", 0.4), ("f", 0.3)],
            ),
            Contribution::new(
                "y",
                &[("a", 0.6), ("g", 0.7), ("h", 0.5), ("i", 0.4), ("j", 0.2)],
            ),
            Contribution::new("z", &[("k", 0.9), ("l", 0.9), ("m", 0.1)]),
        ];
        let a = attribute(&winners(), &contributions).unwrap();
        // overlap: x has a, b of {a, b, c} → 2/3; y has a → 1/3; z none → 0.
        // confidence bonus: x 0.1·(0.9 + 0.8) = 0.17; y 0.1·0.6 = 0.06.
        // disagreement: x∩y = {a}: 1/5 = 0.2, x∩z = ∅: 0 → 1 − 0.1 = 0.9;
        // y the same, 0.9; z shares nothing → 1.0.
        // contrarian: x, y 0.2·0.9 = 0.18 (overlap > 0); z 0 (no overlap).
        // raw: x 2/3 + 0.17 + 0.18 = 1.016667; y 1/3 + 0.06 + 0.18 =
        // 0.573333; z 0. Sum 1.59 > 1 → divide by 1.59:
        // x 0.639413, y 0.360587, z 0.
        let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
        assert!(close(a[0].overlap, 2.0 / 3.0));
        assert!(close(a[0].confidence_bonus, 0.17));
        assert!(close(a[0].disagreement, 0.9));
        assert!(close(a[0].contrarian_bonus, 0.18));
        assert!(close(a[0].raw_share, 1.016667), "{}", a[0].raw_share);
        assert!(close(a[1].raw_share, 0.573333), "{}", a[1].raw_share);
        assert!(close(a[2].disagreement, 1.0));
        assert_eq!(a[2].contrarian_bonus, 0.0);
        assert!(close(a[0].share, 0.639413), "{}", a[0].share);
        assert!(close(a[1].share, 0.360587), "{}", a[1].share);
        assert_eq!(a[2].share, 0.0);
        assert!(close(a.iter().map(|x| x.share).sum(), 1.0));
    }

    #[test]
    fn attribution_leaves_shares_below_one_unscaled() {
        // One expert with a (0.5) of {a, b, c}: overlap 1/3, bonus 0.05, no
        // one to disagree with → 0.383333, kept as is (< 1).
        let a = attribute(&winners(), &[Contribution::new("x", &[("a", 0.5)])]).unwrap();
        assert!((a[0].share - 0.383_333).abs() < 1e-6, "{}", a[0].share);
        // All three winners at confidence 1: 1 + 0.3 = 1.3 → scaled to 1.
        let a = attribute(
            &winners(),
            &[Contribution::new(
                "x",
                &[("a", 1.0), ("b", 1.0), ("c", 1.0)],
            )],
        )
        .unwrap();
        assert!((a[0].raw_share - 1.3).abs() < 1e-12);
        assert!((a[0].share - 1.0).abs() < 1e-12);
    }

    #[test]
    fn attribution_counts_only_top_five_and_top_three() {
        // c is x's 6th item: does not count. d is the 4th winner: does not
        // count. Overlap {a} of {a, b, c} = 1/3, bonus 0.1·0.5 = 0.05.
        let w: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let x = Contribution::new(
            "x",
            &[
                ("a", 0.5),
                ("a", 0.9), // a repeat is not a new item
                ("p", 0.1),
                ("q", 0.1),
                ("r", 0.1),
                ("s", 0.1),
                ("c", 1.0),
            ],
        );
        let a = attribute(&w, &[x]).unwrap();
        assert!((a[0].raw_share - (1.0 / 3.0 + 0.05)).abs() < 1e-12);
    }

    #[test]
    fn attribution_refuses_bad_input() {
        let x = Contribution::new("x", &[("a", 0.5)]);
        let e = attribute(&winners(), &[x.clone(), x]).unwrap_err();
        assert!(e.to_string().contains("'x' twice"), "{e}");
        let e = attribute(&winners(), &[Contribution::new("x", &[("a", 1.5)])]).unwrap_err();
        assert!(e.to_string().contains("confidence on 'a'"), "{e}");
        assert!(attribute(&winners(), &[Contribution::new("mint", &[])]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn attribution_shares_never_exceed_the_total(
            lists in proptest::collection::vec(
                proptest::collection::vec((0u8..8, 0.0f64..=1.0), 0..8),
                1..6,
            ),
            winners in proptest::collection::vec(0u8..8, 0..5),
        ) {
            let winners: Vec<String> = winners.iter().map(|w| format!("i{w}")).collect();
            let contributions: Vec<Contribution> = lists
                .iter()
                .enumerate()
                .map(|(e, items)| Contribution {
                    expert: format!("e{e}"),
                    items: items.iter().map(|(i, c)| (format!("i{i}"), *c)).collect(),
                })
                .collect();
            let a = attribute(&winners, &contributions).unwrap();
            let sum: f64 = a.iter().map(|x| x.share).sum();
            proptest::prop_assert!(sum <= 1.0 + 1e-12, "sum {}", sum);
            for x in &a {
                proptest::prop_assert!(x.share >= 0.0 && x.share <= x.raw_share + 1e-12);
                proptest::prop_assert!((0.0..=1.0).contains(&x.overlap));
                proptest::prop_assert!((0.0..=1.0).contains(&x.disagreement));
            }
        }
    }
}
