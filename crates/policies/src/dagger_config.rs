//! `DaggerConfig`: DAgger's settings, the `dagger:` part of a `bc:`
//! section (its own file so that `bc`, which holds it, and `dagger`, which
//! runs it, do not import each other).

use serde::{Deserialize, Serialize};
use yaml_config::ConfigCheck;

use crate::Result;

/// DAgger's settings (the `dagger:` part of a `bc:` section).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaggerConfig {
    /// Rounds of clone rollouts after the first BC fit; 0 is plain BC.
    /// Default 0.
    pub rounds: usize,
    /// Episodes the clone plays per round. Default 4.
    pub episodes_per_round: usize,
    /// In round `k` (from 1) each step executes the expert's action with
    /// probability `expert_mix^k`, the clone's otherwise. In [0, 1].
    /// Default 0.5.
    pub expert_mix: f64,
    /// Standard deviation of Gaussian noise added to the executed action
    /// (all but the last element, the grip) while the expert demonstrates;
    /// the recorded label stays the expert's own action (DART, Laskey et
    /// al., 2017). Without it the tip's velocity in the observation equals
    /// the previous action, so a clone learns "keep going" and ignores
    /// where the target is. In action units. Default 0: on the CI-sized
    /// dishwashing scene 0.1 already costs the expert 7 of 16 dishes (it
    /// breaks or misplaces them), so noise is for experiments, not a default.
    pub demo_noise: f64,
}

impl Default for DaggerConfig {
    fn default() -> Self {
        Self {
            rounds: 0,
            episodes_per_round: 4,
            expert_mix: 0.5,
            demo_noise: 0.0,
        }
    }
}

impl DaggerConfig {
    /// Checks ranges, naming the offending field (`bc.dagger.<field>`).
    pub fn validate(&self) -> Result<()> {
        let mut c = ConfigCheck::detached("bc config");
        if self.rounds > 0 {
            c.at_least(
                "bc.dagger.episodes_per_round",
                self.episodes_per_round as u64,
                1,
            );
        }
        c.closed_unit("bc.dagger.expert_mix", self.expert_mix);
        c.non_negative("bc.dagger.demo_noise", self.demo_noise);
        Ok(c.finish()?)
    }
}
