//! The `reward:` section: weights, curriculum, wage loss and ΔMP clip.

use crate::Curriculum;
use crate::Schedule;
use crate::WageLoss;
use crate::error::Result;
use crate::{DEFAULT_DELTA_MP_CLIP, EconomicReward};
use serde::{Deserialize, Serialize};
use yaml_config::ConfigCheck;

/// Episode reward `r = α·ΔMP − β·e − γ·L` and its α/γ curriculum (SPEC §2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RewardConfig {
    /// α at episode 0, `>= 0`. Default 1.0.
    pub alpha_initial: f64,
    /// α from `anneal_episodes` on, `>= 0`. Default 0.2.
    pub alpha_final: f64,
    /// β, weight of the error rate, `>= 0`, constant. Default 0.5.
    pub beta: f64,
    /// γ at episode 0, `>= 0`. Default 0.1.
    pub gamma_initial: f64,
    /// γ from `anneal_episodes` on, `>= 0`. Default 1.0.
    pub gamma_final: f64,
    /// Episodes over which α and γ anneal. Default 2000.
    pub anneal_episodes: u64,
    /// `linear`, `cosine` or `constant`. Default `linear`.
    pub schedule: Schedule,
    /// `abs` (`|ŵ_r/w_h − 1|`) or `squared`. Default `abs`.
    pub wage_loss: WageLoss,
    /// Clip bound `c` of ΔMP, `> 0`. Default 0.5.
    pub delta_mp_clip: f64,
    /// Whether the economic wrapper pays the dense per-step wage reward
    /// `(p·Δunits − c_d·Δerrors)/(w_h·T)` as well as `r(t)` at the end of
    /// the episode. Default true.
    pub dense: bool,
}

impl Default for RewardConfig {
    fn default() -> Self {
        Self {
            alpha_initial: 1.0,
            alpha_final: 0.2,
            beta: 0.5,
            gamma_initial: 0.1,
            gamma_final: 1.0,
            anneal_episodes: 2000,
            schedule: Schedule::Linear,
            wage_loss: WageLoss::Abs,
            delta_mp_clip: DEFAULT_DELTA_MP_CLIP,
            dense: true,
        }
    }
}

impl RewardConfig {
    /// The α/γ curriculum.
    pub fn curriculum(&self) -> Result<Curriculum> {
        Curriculum::new(
            self.alpha_initial,
            self.alpha_final,
            self.beta,
            self.gamma_initial,
            self.gamma_final,
            self.anneal_episodes,
            self.schedule,
        )
    }

    /// The episode reward (clip and wage loss).
    pub fn economic_reward(&self) -> Result<EconomicReward> {
        EconomicReward::new(self.delta_mp_clip, self.wage_loss)
    }

    pub(crate) fn check(&self, c: &mut ConfigCheck<'_>) {
        c.non_negative("reward.alpha_initial", self.alpha_initial);
        c.non_negative("reward.alpha_final", self.alpha_final);
        c.non_negative("reward.beta", self.beta);
        c.non_negative("reward.gamma_initial", self.gamma_initial);
        c.non_negative("reward.gamma_final", self.gamma_final);
        c.positive("reward.delta_mp_clip", self.delta_mp_clip);
    }
}
