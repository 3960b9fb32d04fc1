//! The default embedding: an episode's normalised trajectory statistics.
//!
//! For an episode of `T` steps the raw statistics are, in this order,
//! the per-feature mean of the observations (`d_obs`), their population
//! standard deviation over the steps (`d_obs`), then the same for the
//! actions (`d_action`, `d_action`): `2·(d_obs + d_action)` values.
//!
//! Each raw value `r_j` is normalised by running statistics over the
//! episodes embedded so far, this one included (it is added first, with
//! Welford's update): `z_j = (r_j − μ_j) / sqrt(σ²_j + 1e-8)`, `μ_j` and
//! `σ²_j` the running mean and population variance of `r_j`. So features
//! of any unit weigh alike, the way observation normalisation works in
//! RL. The first episode embeds to zeros. The statistics move as episodes
//! arrive, so embeddings stored early were normalised with earlier ones;
//! [`TrajectoryStatsEmbedding::freeze`] stops the updates once the
//! statistics have settled.

use crate::error::{EconomicsError, Result};
use crate::valuation::embedding::TrajectoryEmbedding;
use crate::valuation::trajectory::Trajectory;

/// Added to the running variance before the square root, so a feature that
/// never varied does not divide by zero.
const VAR_EPSILON: f64 = 1e-8;

/// Normalised per-feature mean and standard deviation of an episode's
/// observations and actions (see the module header for the exact maths).
#[derive(Debug, Clone, PartialEq)]
pub struct TrajectoryStatsEmbedding {
    d_obs: usize,
    d_action: usize,
    /// Episodes in the running statistics.
    count: u64,
    /// Running mean of each raw statistic (`[d_embedding]`).
    mean: Vec<f64>,
    /// Running sum of squared deviations (Welford's M2, `[d_embedding]`).
    m2: Vec<f64>,
    frozen: bool,
}

impl TrajectoryStatsEmbedding {
    /// An embedding for episodes with `d_obs` (`>= 1`) observation and
    /// `d_action` action values per step, with empty running statistics.
    pub fn new(d_obs: usize, d_action: usize) -> Result<Self> {
        if d_obs == 0 {
            return Err(EconomicsError::Shape {
                field: "d_obs",
                expected: ">= 1 observation values per step".to_owned(),
                got: "0".to_owned(),
            });
        }
        let d = 2 * (d_obs + d_action);
        Ok(Self {
            d_obs,
            d_action,
            count: 0,
            mean: vec![0.0; d],
            m2: vec![0.0; d],
            frozen: false,
        })
    }

    /// Stops updating the running statistics: later episodes are normalised
    /// with the statistics as they are now.
    pub fn freeze(&mut self) {
        self.frozen = true;
    }

    /// Episodes in the running statistics.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The raw statistics of an episode: observation means, observation
    /// stds, action means, action stds.
    pub fn raw_stats(&self, trajectory: &Trajectory<'_>) -> Result<Vec<f64>> {
        if trajectory.d_obs() != self.d_obs || trajectory.d_action() != self.d_action {
            return Err(EconomicsError::Shape {
                field: "trajectory",
                expected: format!("d_obs {}, d_action {}", self.d_obs, self.d_action),
                got: format!(
                    "d_obs {}, d_action {}",
                    trajectory.d_obs(),
                    trajectory.d_action()
                ),
            });
        }
        let n = trajectory.n_steps() as f64;
        let mut out = Vec::with_capacity(self.d_embedding());
        for part in [0, 1] {
            let d = if part == 0 { self.d_obs } else { self.d_action };
            let row = |t| {
                if part == 0 {
                    trajectory.observation(t)
                } else {
                    trajectory.action(t)
                }
            };
            let mut mean = vec![0.0; d];
            for t in 0..trajectory.n_steps() {
                for (m, x) in mean.iter_mut().zip(row(t)) {
                    *m += f64::from(*x);
                }
            }
            mean.iter_mut().for_each(|m| *m /= n);
            let mut var = vec![0.0; d];
            for t in 0..trajectory.n_steps() {
                for ((v, m), x) in var.iter_mut().zip(&mean).zip(row(t)) {
                    *v += (f64::from(*x) - m).powi(2);
                }
            }
            out.extend_from_slice(&mean);
            out.extend(var.iter().map(|v| (v / n).sqrt()));
        }
        Ok(out)
    }
}

impl TrajectoryEmbedding for TrajectoryStatsEmbedding {
    fn d_embedding(&self) -> usize {
        2 * (self.d_obs + self.d_action)
    }

    fn embed(&mut self, trajectory: &Trajectory<'_>) -> Result<Vec<f32>> {
        let raw = self.raw_stats(trajectory)?;
        if !self.frozen {
            self.count += 1;
            let n = self.count as f64;
            for ((mean, m2), r) in self.mean.iter_mut().zip(&mut self.m2).zip(&raw) {
                let delta = r - *mean;
                *mean += delta / n;
                *m2 += delta * (r - *mean);
            }
        }
        let n = self.count.max(1) as f64;
        Ok(raw
            .iter()
            .zip(self.mean.iter().zip(&self.m2))
            .map(|(r, (mean, m2))| ((r - mean) / (m2 / n + VAR_EPSILON).sqrt()) as f32)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_stats_are_means_then_population_stds() {
        let e = TrajectoryStatsEmbedding::new(2, 1).unwrap();
        let obs = [1.0, 10.0, 3.0, 10.0];
        let act = [0.0, 4.0];
        let t = Trajectory::new(&obs, 2, &act, 1).unwrap();
        assert_eq!(
            e.raw_stats(&t).unwrap(),
            vec![2.0, 10.0, 1.0, 0.0, 2.0, 2.0]
        );
    }

    #[test]
    fn first_episode_embeds_to_zeros_and_later_ones_are_standardised() {
        let mut e = TrajectoryStatsEmbedding::new(1, 0).unwrap();
        let t = |x: &'static [f32]| Trajectory::new(x, 1, &[], 0).unwrap();
        assert_eq!(e.embed(&t(&[1.0, 1.0])).unwrap(), vec![0.0, 0.0]);
        // Raw means 1 and 3: running mean 2, population std 1, so z = +1.
        let z = e.embed(&t(&[3.0, 3.0])).unwrap();
        assert!((z[0] - 1.0).abs() < 1e-6, "{z:?}");
        e.freeze();
        let before = e.clone();
        e.embed(&t(&[5.0, 5.0])).unwrap();
        assert_eq!(e, before);
    }

    #[test]
    fn a_trajectory_of_another_shape_is_refused() {
        let mut e = TrajectoryStatsEmbedding::new(2, 1).unwrap();
        let t = Trajectory::new(&[1.0], 1, &[0.0], 1).unwrap();
        assert!(matches!(e.embed(&t), Err(EconomicsError::Shape { .. })));
        assert_eq!(e.count(), 0);
    }
}
