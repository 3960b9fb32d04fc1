//! The economic reward of SPEC §2 as an env wrapper: the dense per-step
//! wage payment, the episode-level reward `r(t) = α·ΔMP − β·e − γ·L` added
//! at the episode's last step, and the inner env's shaping reward with its
//! own (annealable) weight. All economics maths is the `economics` crate's
//! ([`DenseWageReward`], [`EpisodeScorer`]); this wrapper only feeds it the
//! env's counters.
//!
//! Per step: `reward = w_shaping·r_env + (p·Δunits − c_d·Δerrors)/(w_h·T)
//! [+ r(t) on the last step]`. `T` is the episode's configured simulated
//! length (time limit × control period), fixed up front so a full
//! episode's dense payments sum to its wage parity. The curriculum (α, γ)
//! advances once per finished episode of this wrapper; in a vector env
//! each copy has its own wrapper, so each copy counts its own episodes.

use super::Wrapper;
use super::wrapper::wraps;
use crate::{Action, Env, EnvError, Info, Result, Transition};
use economics::{DenseWageReward, EpisodeOutcome, EpisodeScorer, ScoredEpisode};
use serde::{Deserialize, Serialize};

/// The parts of the last step's reward, for logging.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct StepRewardComponents {
    /// `w_shaping · r_env`: the inner env's reward, weighted.
    pub shaping: f64,
    /// The dense wage payment of this step.
    pub dense_wage: f64,
    /// The episode reward `r(t)`, non-zero only on an episode's last step.
    pub episode: f64,
}

impl StepRewardComponents {
    /// The reward the wrapper returned: the sum of the parts.
    pub fn total(&self) -> f64 {
        self.shaping + self.dense_wage + self.episode
    }
}

/// Replaces the inner env's reward with the economic reward of SPEC §2.
#[derive(Debug, Clone)]
pub struct EconomicRewardWrapper<E> {
    env: E,
    dense: DenseWageReward,
    scorer: EpisodeScorer,
    shaping_weight: f64,
    previous: Info,
    last_step: StepRewardComponents,
    last_episode: Option<ScoredEpisode>,
}

impl<E: Env> EconomicRewardWrapper<E> {
    /// Wraps `env`. `scorer` carries the task economics, the reward settings
    /// and the α/γ curriculum; `episode_seconds` is the episode's configured
    /// simulated length (`T` of the dense form, `> 0`); `shaping_weight`
    /// (finite) multiplies the inner env's own reward.
    pub fn new(
        env: E,
        scorer: EpisodeScorer,
        episode_seconds: f64,
        shaping_weight: f64,
    ) -> Result<Self> {
        let dense =
            DenseWageReward::from_episode_seconds(scorer.task(), episode_seconds).map_err(|e| {
                EnvError::Economics {
                    env: env.id().to_string(),
                    message: e.to_string(),
                }
            })?;
        let mut wrapper = Self {
            env,
            dense,
            scorer,
            shaping_weight: 0.0,
            previous: Info::default(),
            last_step: StepRewardComponents::default(),
            last_episode: None,
        };
        wrapper.set_shaping_weight(shaping_weight)?;
        Ok(wrapper)
    }

    /// The weight of the inner env's shaping reward.
    pub fn shaping_weight(&self) -> f64 {
        self.shaping_weight
    }

    /// Sets the shaping weight (a trainer anneals it); must be finite.
    pub fn set_shaping_weight(&mut self, weight: f64) -> Result<()> {
        if !weight.is_finite() {
            return Err(EnvError::InvalidParameter {
                env: self.env.id().to_string(),
                field: "shaping_weight".to_string(),
                message: format!("must be finite, got {weight}"),
            });
        }
        self.shaping_weight = weight;
        Ok(())
    }

    /// The parts of the last step's reward.
    pub fn last_step_components(&self) -> StepRewardComponents {
        self.last_step
    }

    /// Metrics, reward terms and the SPEC §6 log row of the last finished
    /// episode.
    pub fn last_episode_reward_components(&self) -> Option<&ScoredEpisode> {
        self.last_episode.as_ref()
    }

    /// The scorer (episode index, previous `MP_r`, task economics).
    pub fn scorer(&self) -> &EpisodeScorer {
        &self.scorer
    }

    /// The scorer, mutably: a trainer moves its curriculum to the run's
    /// global episode count ([`EpisodeScorer::resume_at`]).
    pub fn scorer_mut(&mut self) -> &mut EpisodeScorer {
        &mut self.scorer
    }

    /// The dense-reward settings (`T` in hours).
    pub fn dense(&self) -> &DenseWageReward {
        &self.dense
    }
}

impl<E: Env> Wrapper for EconomicRewardWrapper<E> {
    wraps!(env);
    fn wrapped_reset(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
        let info = self.env.reset_into(seed, obs)?;
        self.previous = info;
        self.last_step = StepRewardComponents::default();
        Ok(info)
    }
    fn wrapped_step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
        let mut t = self.env.step_into(action, obs)?;
        let delta_units = t
            .info
            .units_completed
            .saturating_sub(self.previous.units_completed);
        let delta_errors = t.info.errors.saturating_sub(self.previous.errors);
        self.previous = t.info;
        let mut parts = StepRewardComponents {
            shaping: self.shaping_weight * t.reward,
            dense_wage: self
                .dense
                .step_reward(u64::from(delta_units), u64::from(delta_errors)),
            episode: 0.0,
        };
        if t.terminated || t.truncated {
            let outcome = EpisodeOutcome::from_sim_seconds(
                u64::from(t.info.units_completed),
                u64::from(t.info.attempts),
                u64::from(t.info.errors),
                t.info.sim_seconds,
            );
            let scored = self
                .scorer
                .score(&outcome)
                .map_err(|e| EnvError::Economics {
                    env: self.env.id().to_string(),
                    message: e.to_string(),
                })?;
            parts.episode = scored.reward.reward_total;
            self.last_episode = Some(scored);
        }
        self.last_step = parts;
        t.reward = parts.total();
        if !t.reward.is_finite() {
            return Err(EnvError::NonFinite {
                env: self.env.id().to_string(),
                what: format!("economic reward {parts:?}"),
            });
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Space, Transition};
    use economics::{Curriculum, EconomicReward, Schedule, TaskEconomics, WageLoss};

    /// Completes a unit every 2nd step and breaks one every 5th, one
    /// simulated minute per step, for `len` steps.
    struct Counter {
        space: Space,
        info: Info,
        len: u32,
        step: u32,
    }

    impl Counter {
        fn new(len: u32) -> Self {
            Self {
                space: Space::Discrete { n: 1 },
                info: Info::default(),
                len,
                step: 0,
            }
        }
    }

    impl Env for Counter {
        fn id(&self) -> &str {
            "Counter"
        }
        fn observation_space(&self) -> &Space {
            &self.space
        }
        fn action_space(&self) -> &Space {
            &self.space
        }
        fn reset_into(&mut self, _seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
            self.info = Info::default();
            self.step = 0;
            obs.fill(0.0);
            Ok(self.info)
        }
        fn step_into(&mut self, _action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
            self.step += 1;
            self.info.attempts += u32::from(self.step % 2 == 1);
            self.info.units_completed += u32::from(self.step.is_multiple_of(2));
            self.info.errors += u32::from(self.step.is_multiple_of(5));
            self.info.sim_seconds = 60.0 * f64::from(self.step);
            obs.fill(0.0);
            Ok(Transition {
                reward: 0.5,
                terminated: false,
                truncated: self.step == self.len,
                info: self.info,
            })
        }
    }

    fn scorer() -> EpisodeScorer {
        let task = TaskEconomics::new(0.30, 60.0, 18.0, 1.0).expect("task");
        let reward = EconomicReward::new(0.5, WageLoss::Abs).expect("reward");
        let curriculum =
            Curriculum::new(1.0, 0.0, 1.0, 0.0, 1.0, 10, Schedule::Linear).expect("curriculum");
        EpisodeScorer::new(task, reward, curriculum)
    }

    #[test]
    fn dense_wage_rewards_plus_episode_reward_add_up_and_components_are_exposed() {
        let mut env =
            EconomicRewardWrapper::new(Counter::new(60), scorer(), 3600.0, 0.0).expect("wrap");
        env.reset(Some(0)).expect("reset");
        let (mut dense_sum, mut total) = (0.0, 0.0);
        for _ in 0..60 {
            let s = env.step(Action::Discrete(0)).expect("step");
            let parts = env.last_step_components();
            assert_eq!(parts.total(), s.reward);
            dense_sum += parts.dense_wage;
            total += s.reward;
        }
        // 30 units, 12 errors in one simulated hour: (0.30·30 − 1·12) / 18.
        assert!((dense_sum - (0.30 * 30.0 - 12.0) / 18.0).abs() < 1e-12);
        let scored = env.last_episode_reward_components().expect("scored");
        assert_eq!(scored.metrics.mp_r, 30.0);
        assert!((total - dense_sum - scored.reward.reward_total).abs() < 1e-12);
        assert_eq!(scored.record.episode, 0);
        assert_eq!(
            env.scorer().episode(),
            1,
            "the curriculum advanced one episode"
        );
    }

    #[test]
    fn shaping_reward_carries_its_own_weight() {
        let mut env =
            EconomicRewardWrapper::new(Counter::new(10), scorer(), 600.0, 2.0).expect("wrap");
        env.reset(Some(0)).expect("reset");
        env.step(Action::Discrete(0)).expect("step");
        assert_eq!(env.last_step_components().shaping, 1.0);
        env.set_shaping_weight(0.0).expect("weight");
        env.step(Action::Discrete(0)).expect("step");
        assert_eq!(env.last_step_components().shaping, 0.0);
        assert!(env.set_shaping_weight(f64::NAN).is_err());
        assert!(EconomicRewardWrapper::new(Counter::new(10), scorer(), 0.0, 1.0).is_err());
    }
}
