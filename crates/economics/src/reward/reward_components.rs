//! The episode reward split into the terms SPEC §6 logs separately.

use serde::{Deserialize, Serialize};

/// `r(t) = α·ΔMP(t) − β·e(t) − γ·L(t)` and its three signed terms, so that
/// `reward_total = reward_mp + reward_error + reward_wage`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RewardComponents {
    /// The episode reward `r(t)`.
    pub reward_total: f64,
    /// `α·ΔMP(t)` (sign of the productivity change).
    pub reward_mp: f64,
    /// `−β·e(t)` (never positive).
    pub reward_error: f64,
    /// `−γ·L(t)` (never positive).
    pub reward_wage: f64,
    /// `ΔMP(t)`, normalised by `MP_h` and clipped to `[−c, c]`.
    pub delta_mp: f64,
    /// `L(t)`, the unweighted wage-gap loss.
    pub wage_loss: f64,
}
