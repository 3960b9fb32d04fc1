//! The wage-gap loss `L(t)` of the episode reward (SPEC §2).

use serde::{Deserialize, Serialize};

/// How the distance of wage parity from 1 is penalised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WageLoss {
    /// `L = |ŵ_r/w_h − 1|` (the default).
    #[default]
    Abs,
    /// `L = (ŵ_r/w_h − 1)²`.
    Squared,
}

impl WageLoss {
    /// The loss for a given wage parity `ŵ_r / w_h`.
    pub fn loss(self, wage_parity: f64) -> f64 {
        let gap = wage_parity - 1.0;
        match self {
            WageLoss::Abs => gap.abs(),
            WageLoss::Squared => gap * gap,
        }
    }

    /// The config spelling: `abs` or `squared`.
    pub fn as_str(self) -> &'static str {
        match self {
            WageLoss::Abs => "abs",
            WageLoss::Squared => "squared",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wage_loss_is_zero_at_parity_and_symmetric() {
        for loss in [WageLoss::Abs, WageLoss::Squared] {
            assert_eq!(loss.loss(1.0), 0.0);
            assert!((loss.loss(0.75) - loss.loss(1.25)).abs() < 1e-12);
        }
        assert!((WageLoss::Abs.loss(0.75) - 0.25).abs() < 1e-12);
        assert!((WageLoss::Squared.loss(0.75) - 0.0625).abs() < 1e-12);
    }
}
