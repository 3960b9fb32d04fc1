//! A seeded generative model of datapoints, for the pricing simulator and
//! the tier-strategy comparison: a stand-in for real (novelty, causal gain,
//! realized ΔMPL) rows when none are logged yet.
//!
//! Datapoint `i`, drawn when the shared pool holds `S` datapoints:
//!
//! * novelty `ν = u / (1 + S / S_half)`, `u ~ U(0, 1)`: a datapoint is less
//!   new the more shared data the learner already has;
//! * causal gain `g ~ U(0, 1)`;
//! * true gain `μ = gain_scale · ν · (0.5 + g)` units/hour (0 to
//!   1.5·gain_scale);
//! * realized ΔMPL `r = max(0, μ + σ·ξ)`, `ξ ~ N(0, 1)` (Box–Muller), the
//!   measurement a true-up would get.
//!
//! The true gain is a product of the two scores, so the estimator's linear
//! Bayesian ridge is deliberately a little wrong, as a real one would be.

use crate::error::{Result, non_negative, positive};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Parameters of the generative model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DatapointModelConfig {
    /// `gain_scale`: true ΔMPL (units/hour) of a datapoint with novelty 1
    /// and causal gain 0.5, `> 0`. Default 4.0, so fresh datapoints span
    /// the SPEC's three tiers (0.5 and 3.0 units/hour).
    pub gain_scale: f64,
    /// `σ`: standard deviation of the measurement noise of realized ΔMPL,
    /// units/hour, `>= 0`. Default 0.5.
    pub noise_std: f64,
    /// `S_half`: shared datapoints at which novelty has halved, `> 0`.
    /// Default 200.
    pub novelty_half_pool: f64,
}

impl Default for DatapointModelConfig {
    fn default() -> Self {
        Self {
            gain_scale: 4.0,
            noise_std: 0.5,
            novelty_half_pool: 200.0,
        }
    }
}

/// One drawn datapoint.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SyntheticDatapoint {
    /// `ν`, in [0, 1).
    pub novelty: f64,
    /// `g`, in [0, 1).
    pub causal_gain: f64,
    /// `μ`, units/hour.
    pub true_mpl: f64,
    /// `r = max(0, μ + σ·ξ)`, units/hour.
    pub realized_mpl: f64,
}

impl DatapointModelConfig {
    /// Checks the ranges.
    pub fn validate(&self) -> Result<()> {
        positive("gain_scale", self.gain_scale)?;
        non_negative("noise_std", self.noise_std)?;
        positive("novelty_half_pool", self.novelty_half_pool)?;
        Ok(())
    }

    /// Draws one datapoint when the shared pool holds `pool` datapoints.
    /// Always consumes four uniforms, so runs that differ only in who
    /// shares see the same random numbers (common random numbers).
    pub fn draw<R: Rng>(&self, rng: &mut R, pool: u64) -> SyntheticDatapoint {
        let u: f64 = rng.random();
        let causal_gain: f64 = rng.random();
        // Box–Muller; 1 − U lies in (0, 1], so the log is finite.
        let u1 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random();
        let xi = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        let novelty = u / (1.0 + pool as f64 / self.novelty_half_pool);
        let true_mpl = self.gain_scale * novelty * (0.5 + causal_gain);
        SyntheticDatapoint {
            novelty,
            causal_gain,
            true_mpl,
            realized_mpl: (true_mpl + self.noise_std * xi).max(0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn novelty_halves_at_the_half_pool_and_gain_follows_the_formula() {
        let model = DatapointModelConfig {
            noise_std: 0.0,
            ..DatapointModelConfig::default()
        };
        let a = model.draw(&mut ChaCha8Rng::seed_from_u64(7), 0);
        let b = model.draw(&mut ChaCha8Rng::seed_from_u64(7), 200);
        assert!((b.novelty - a.novelty / 2.0).abs() < 1e-15);
        assert_eq!(a.causal_gain, b.causal_gain);
        let mu = 4.0 * a.novelty * (0.5 + a.causal_gain);
        assert!((a.true_mpl - mu).abs() < 1e-15);
        assert_eq!(a.realized_mpl, a.true_mpl);
    }

    #[test]
    fn realized_gain_is_never_negative_and_noise_averages_out() {
        let model = DatapointModelConfig::default();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let n = 20_000;
        let mut sum_noise = 0.0;
        for _ in 0..n {
            let d = model.draw(&mut rng, 0);
            assert!(d.realized_mpl >= 0.0);
            assert!((0.0..1.0).contains(&d.novelty));
            if d.true_mpl > 3.0 {
                sum_noise += d.realized_mpl - d.true_mpl;
            }
        }
        // Far from the clip at 0 the noise has mean 0 (σ 0.5, a few
        // thousand draws: the mean is within ±0.05).
        assert!((sum_noise / n as f64).abs() < 0.05, "{sum_noise}");
    }

    #[test]
    fn model_refuses_non_positive_scales() {
        let bad = DatapointModelConfig {
            novelty_half_pool: 0.0,
            ..DatapointModelConfig::default()
        };
        assert!(bad.validate().is_err());
        let bad = DatapointModelConfig {
            noise_std: f64::NAN,
            ..DatapointModelConfig::default()
        };
        assert!(bad.validate().is_err());
    }
}
