//! The learning-rate schedule of the diffusion policy: linear warm-up, then
//! a half cosine to zero (diffusers' `get_cosine_schedule_with_warmup`,
//! `num_cycles = 0.5`).

/// `lr(k)` for the `k`-th optimizer step (from 0):
///
/// ```text
/// k < warmup:  base · k / warmup
/// otherwise:   base · ½ (1 + cos(π · min(1, (k − warmup) / (total − warmup))))
/// ```
///
/// As in PyTorch's `LambdaLR`, the first step runs at `lr(0) = 0`. Past
/// `total_steps` the rate stays 0 (diffusers' formula would rise again).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrSchedule {
    /// Peak learning rate.
    pub base_lr: f64,
    /// Steps of linear warm-up.
    pub warmup_steps: u64,
    /// Steps over which the schedule runs (warm-up included).
    pub total_steps: u64,
}

impl LrSchedule {
    /// The learning rate of optimizer step `step` (from 0).
    pub fn lr(&self, step: u64) -> f64 {
        if step < self.warmup_steps {
            return self.base_lr * step as f64 / self.warmup_steps.max(1) as f64;
        }
        let span = self.total_steps.saturating_sub(self.warmup_steps).max(1);
        let progress = ((step - self.warmup_steps) as f64 / span as f64).min(1.0);
        self.base_lr * (0.5 * (1.0 + (std::f64::consts::PI * progress).cos())).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lr_warms_up_linearly_then_follows_a_half_cosine() {
        let s = LrSchedule {
            base_lr: 1e-4,
            warmup_steps: 500,
            total_steps: 10_500,
        };
        assert_eq!(s.lr(0), 0.0);
        assert!((s.lr(250) - 5e-5).abs() < 1e-18);
        assert!((s.lr(500) - 1e-4).abs() < 1e-18);
        // Half way through the cosine: base / 2.
        assert!((s.lr(5_500) - 5e-5).abs() < 1e-15);
        // A quarter: base · ½ (1 + cos(π/4)).
        let quarter = 1e-4 * 0.5 * (1.0 + std::f64::consts::FRAC_PI_4.cos());
        assert!((s.lr(3_000) - quarter).abs() < 1e-15);
        assert!(s.lr(10_500).abs() < 1e-20);
        assert!(s.lr(20_000).abs() < 1e-20);
    }

    #[test]
    fn lr_without_warmup_starts_at_the_peak() {
        let s = LrSchedule {
            base_lr: 1e-3,
            warmup_steps: 0,
            total_steps: 100,
        };
        assert_eq!(s.lr(0), 1e-3);
    }
}
