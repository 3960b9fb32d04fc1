//! One row of the per-episode log of SPEC §6.

use serde::{Deserialize, Serialize};

/// The per-episode log row: `episode, mp_r, e, w_r, wage_parity,
/// productivity_parity, reward_total, reward_mp, reward_error, reward_wage,
/// alpha, beta, gamma` (serialised under exactly these names, in this order).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpisodeRecord {
    /// Episode index, from 0.
    pub episode: u64,
    /// `MP_r`, units per simulated hour.
    pub mp_r: f64,
    /// Error rate `e`.
    pub e: f64,
    /// Robot implied wage `ŵ_r`, dollars per hour.
    pub w_r: f64,
    /// `ŵ_r / w_h`.
    pub wage_parity: f64,
    /// `MP_r / MP_h`.
    pub productivity_parity: f64,
    /// `r(t)`.
    pub reward_total: f64,
    /// `α·ΔMP`.
    pub reward_mp: f64,
    /// `−β·e`.
    pub reward_error: f64,
    /// `−γ·L`.
    pub reward_wage: f64,
    /// α used this episode.
    pub alpha: f64,
    /// β used this episode.
    pub beta: f64,
    /// γ used this episode.
    pub gamma: f64,
}

impl EpisodeRecord {
    /// Column names in log order (a CSV header).
    pub const COLUMNS: [&'static str; 13] = [
        "episode",
        "mp_r",
        "e",
        "w_r",
        "wage_parity",
        "productivity_parity",
        "reward_total",
        "reward_mp",
        "reward_error",
        "reward_wage",
        "alpha",
        "beta",
        "gamma",
    ];
}
