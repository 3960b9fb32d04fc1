//! Single-env observation normalisation (Gymnasium's `NormalizeObservation`
//! plus a clip). For many copies sharing one statistic use
//! [`VecEnv::with_obs_normalization`](crate::VecEnv::with_obs_normalization).

use super::Wrapper;
use super::obs_normalizer::{ObsNormConfig, ObsNormalizer};
use super::wrapper::wraps;
use crate::{Action, BoxSpace, Env, Info, Result, RunningMeanStd, Space, Transition};

/// Normalises every observation (reset and step) with running statistics
/// that each observation first updates (while training). The observation
/// space becomes `Box(-clip, clip)` of the same shape.
#[derive(Debug, Clone)]
pub struct NormalizeObservation<E> {
    env: E,
    normalizer: ObsNormalizer,
    observation_space: Space,
}

impl<E: Env> NormalizeObservation<E> {
    /// Wraps `env` with fresh statistics.
    pub fn new(env: E, config: ObsNormConfig) -> Self {
        let d = env.observation_space().flat_size();
        let clip = config.clip as f32;
        let shape = match env.observation_space() {
            Space::Box(b) => b.shape.clone(),
            Space::Discrete { .. } => vec![1],
        };
        let observation_space = Space::Box(BoxSpace {
            low: vec![-clip; d],
            high: vec![clip; d],
            shape,
        });
        Self {
            env,
            normalizer: ObsNormalizer::new(d, config),
            observation_space,
        }
    }

    /// The normaliser (statistics, training flag).
    pub fn normalizer(&self) -> &ObsNormalizer {
        &self.normalizer
    }

    /// The normaliser, mutably: freeze it, restore a checkpoint.
    pub fn normalizer_mut(&mut self) -> &mut ObsNormalizer {
        &mut self.normalizer
    }

    /// The statistics, for checkpoints.
    pub fn state(&self) -> &RunningMeanStd {
        self.normalizer.state()
    }

    fn apply(&mut self, obs: &mut [f32]) -> Result<()> {
        self.normalizer.update(obs)?;
        self.normalizer.normalize(obs);
        Ok(())
    }
}

impl<E: Env> Wrapper for NormalizeObservation<E> {
    wraps!(env);
    fn wrapped_observation_space(&self) -> &Space {
        &self.observation_space
    }
    fn wrapped_reset(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
        let info = self.env.reset_into(seed, obs)?;
        self.apply(obs)?;
        Ok(info)
    }
    fn wrapped_step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
        let t = self.env.step_into(action, obs)?;
        self.apply(obs)?;
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Pendulum, TimeLimit};

    #[test]
    fn normalized_pendulum_observations_have_near_zero_mean_and_unit_scale() {
        let env = TimeLimit::new(Pendulum::new(), 200).expect("limit");
        let mut env = NormalizeObservation::new(env, ObsNormConfig::default());
        env.reset(Some(0)).expect("reset");
        let mut sum = [0.0_f64; 3];
        let mut sq = [0.0_f64; 3];
        let mut n = 0.0;
        for ep in 0..20 {
            for _ in 0..200 {
                let s = env.step(Action::Continuous(&[1.0])).expect("step");
                for i in 0..3 {
                    sum[i] += f64::from(s.obs[i]);
                    sq[i] += f64::from(s.obs[i]).powi(2);
                }
                n += 1.0;
                assert!(s.obs.iter().all(|v| v.abs() <= 10.0));
            }
            env.reset(Some(ep + 1)).expect("reset");
        }
        for i in 0..3 {
            let mean = sum[i] / n;
            let var = sq[i] / n - mean * mean;
            assert!(mean.abs() < 0.5, "mean {mean}");
            assert!(var > 0.3 && var < 2.0, "var {var}");
        }
    }
}
