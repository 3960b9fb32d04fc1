//! The three weights of the episode reward at one episode.

use serde::{Deserialize, Serialize};

/// `α` (productivity gain), `β` (error rate) and `γ` (wage gap) in
/// `r = α·ΔMP − β·e − γ·L`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RewardWeights {
    /// Weight of the clipped, normalised productivity change `ΔMP`.
    pub alpha: f64,
    /// Weight of the error rate `e`.
    pub beta: f64,
    /// Weight of the wage-gap loss `L`.
    pub gamma: f64,
}
