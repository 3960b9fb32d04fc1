//! The `convergence:` section.

use crate::error::Result;
use crate::{ConvergenceDetector, DEFAULT_DELTA, DEFAULT_EPSILON, DEFAULT_EVAL_WINDOW};
use serde::{Deserialize, Serialize};
use yaml_config::ConfigCheck;

/// When a run counts as having reached wage parity (SPEC §2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConvergenceConfig {
    /// Consecutive passing evaluations required, `>= 1`. Default 50.
    pub eval_window: u64,
    /// ε: pass needs `MP_r/MP_h >= 1 − ε`; in (0, 1). Default 0.05.
    pub epsilon: f64,
    /// δ: pass needs `|ŵ_r/w_h − 1| <= δ`; in (0, 1). Default 0.10.
    pub delta: f64,
    /// Stop training once converged. Default false (flag only).
    pub stop_on_convergence: bool,
}

impl Default for ConvergenceConfig {
    fn default() -> Self {
        Self {
            eval_window: DEFAULT_EVAL_WINDOW,
            epsilon: DEFAULT_EPSILON,
            delta: DEFAULT_DELTA,
            stop_on_convergence: false,
        }
    }
}

impl ConvergenceConfig {
    /// A fresh detector with these settings.
    pub fn detector(&self) -> Result<ConvergenceDetector> {
        ConvergenceDetector::new(self.eval_window, self.epsilon, self.delta)
    }

    pub(crate) fn check(&self, c: &mut ConfigCheck<'_>) {
        c.at_least("convergence.eval_window", self.eval_window, 1);
        c.open_unit("convergence.epsilon", self.epsilon);
        c.open_unit("convergence.delta", self.delta);
    }
}
