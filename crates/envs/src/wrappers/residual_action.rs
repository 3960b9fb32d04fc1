//! A residual policy's env (Silver et al. 2018, Johannink et al. 2019): a
//! frozen base policy acts, and the learner only adds a bounded correction
//! to its action. Reinforcement learning on this env starts from the base
//! policy's behaviour (a zero correction is the base policy) and can only
//! move a bounded distance from it, which is what fine-tuning a behaviour
//! clone on a long-horizon task needs: exploration around a policy that
//! already works instead of from scratch.
//!
//! The observation is the inner observation followed by the base action,
//! so the correction can depend on what the base is about to do. The
//! action is the correction in `[-1, 1]^A`; the env executes
//! `clip(base + scale · correction)` inside the inner action box.

use super::Wrapper;
use super::wrapper::wraps;
use crate::{Action, BoxSpace, Env, EnvError, Info, Result, Space, Transition};

/// A policy that acts from the raw observations of one env copy and keeps
/// whatever per-episode state it needs (an observation window, the rest of
/// an action chunk).
pub trait BasePolicy: Send {
    /// Forgets the episode (called on every reset of the env).
    fn reset(&mut self);

    /// Writes the action for `obs`, the current raw observation, into
    /// `action`.
    fn act(&mut self, obs: &[f32], action: &mut [f32]) -> Result<()>;
}

/// See the module documentation.
pub struct ResidualAction<E> {
    env: E,
    base: Box<dyn BasePolicy>,
    scale: f32,
    observation_space: Space,
    action_space: Space,
    low: Vec<f32>,
    high: Vec<f32>,
    /// Per action feature: whether the correction applies (else the base
    /// action is executed as it is).
    corrected: Vec<bool>,
    inner_obs: Vec<f32>,
    base_action: Vec<f32>,
    executed: Vec<f32>,
}

impl<E: Env> ResidualAction<E> {
    /// Wraps `env` (a `Box` observation and action space) so that `base`
    /// acts and the learner's action, times `scale` (> 0), is added to it.
    pub fn new(env: E, base: Box<dyn BasePolicy>, scale: f32) -> Result<Self> {
        let id = env.id().to_string();
        let unsupported = |operation| EnvError::Unsupported {
            env: id.clone(),
            operation,
        };
        let Space::Box(obs_box) = env.observation_space() else {
            return Err(unsupported(
                "residual action on a non-Box observation space",
            ));
        };
        let Space::Box(act_box) = env.action_space() else {
            return Err(unsupported("residual action on a non-Box action space"));
        };
        if !(scale.is_finite() && scale > 0.0) {
            return Err(EnvError::InvalidAction {
                env: id,
                expected: "a residual scale > 0".to_string(),
                got: scale.to_string(),
            });
        }
        let d_obs = obs_box.size();
        let d_act = act_box.size();
        let low: Vec<f32> = obs_box.low.iter().chain(&act_box.low).copied().collect();
        let high: Vec<f32> = obs_box.high.iter().chain(&act_box.high).copied().collect();
        let observation_space = Space::Box(BoxSpace::new(low, high));
        let action_space = Space::Box(BoxSpace::new(vec![-1.0; d_act], vec![1.0; d_act]));
        Ok(Self {
            corrected: vec![true; d_act],
            low: act_box.low.clone(),
            high: act_box.high.clone(),
            env,
            base,
            scale,
            observation_space,
            action_space,
            inner_obs: vec![0.0; d_obs],
            base_action: vec![0.0; d_act],
            executed: vec![0.0; d_act],
        })
    }

    /// Leaves action feature `i` to the base alone (e.g. a labour task's
    /// grip, whose sign is a grasp or a release decision); an index outside
    /// the action is ignored.
    pub fn without_correction_of(mut self, i: usize) -> Self {
        if let Some(c) = self.corrected.get_mut(i) {
            *c = false;
        }
        self
    }

    /// The base policy's action for the current observation.
    pub fn base_action(&self) -> &[f32] {
        &self.base_action
    }

    /// The action executed at the last step: base plus scaled correction,
    /// clipped into the inner box.
    pub fn executed_action(&self) -> &[f32] {
        &self.executed
    }

    fn check_obs_len(&self, obs: &[f32]) -> Result<()> {
        let want = self.inner_obs.len() + self.base_action.len();
        if obs.len() != want {
            return Err(EnvError::ObservationBuffer {
                env: self.env.id().to_string(),
                expected: want,
                got: obs.len(),
            });
        }
        Ok(())
    }

    /// Asks the base for its next action and writes `[inner obs, base]`.
    fn observe(&mut self, obs: &mut [f32]) -> Result<()> {
        self.base.act(&self.inner_obs, &mut self.base_action)?;
        let (o, a) = obs.split_at_mut(self.inner_obs.len());
        o.copy_from_slice(&self.inner_obs);
        a.copy_from_slice(&self.base_action);
        Ok(())
    }
}

impl<E: Env> Wrapper for ResidualAction<E> {
    wraps!(env);

    fn wrapped_observation_space(&self) -> &Space {
        &self.observation_space
    }

    fn wrapped_action_space(&self) -> &Space {
        &self.action_space
    }

    fn wrapped_reset(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
        self.check_obs_len(obs)?;
        let info = self.env.reset_into(seed, &mut self.inner_obs)?;
        self.base.reset();
        self.observe(obs)?;
        Ok(info)
    }

    fn wrapped_step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
        self.check_obs_len(obs)?;
        let correction = match action {
            Action::Continuous(a)
                if a.len() == self.executed.len() && a.iter().all(|v| v.is_finite()) =>
            {
                a
            }
            other => {
                return Err(EnvError::InvalidAction {
                    env: self.env.id().to_string(),
                    expected: format!(
                        "Box([-1, 1]^{}) of finite residual corrections",
                        self.executed.len()
                    ),
                    got: format!("{other:?}"),
                });
            }
        };
        for (i, x) in self.executed.iter_mut().enumerate() {
            let c = if self.corrected[i] {
                correction[i].clamp(-1.0, 1.0)
            } else {
                0.0
            };
            *x = (self.base_action[i] + self.scale * c).clamp(self.low[i], self.high[i]);
        }
        let t = self
            .env
            .step_into(Action::Continuous(&self.executed), &mut self.inner_obs)?;
        // Also after the last step: a truncated episode bootstraps from the
        // final observation, base action included.
        self.observe(obs)?;
        Ok(t)
    }

    fn wrapped_set_state(&mut self, _state: &[f64]) -> Result<()> {
        Err(EnvError::Unsupported {
            env: self.env.id().to_string(),
            operation: "set_state under a residual policy (its base keeps episode state)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DISHWASHING_OBS_DIM, DishwashingConfig, DishwashingEnv};

    /// A base policy that always asks for the same action.
    struct Constant(Vec<f32>, usize);

    impl BasePolicy for Constant {
        fn reset(&mut self) {
            self.1 = 0;
        }
        fn act(&mut self, _obs: &[f32], action: &mut [f32]) -> Result<()> {
            self.1 += 1;
            action.copy_from_slice(&self.0);
            Ok(())
        }
    }

    fn env(scale: f32) -> ResidualAction<DishwashingEnv> {
        let inner = DishwashingEnv::new(DishwashingConfig {
            num_dishes: 1,
            ..DishwashingConfig::default()
        })
        .expect("env");
        let base = Constant(vec![0.5, -0.2, 0.0, 0.0, -1.0], 0);
        ResidualAction::new(inner, Box::new(base), scale).expect("wrap")
    }

    #[test]
    fn observation_is_the_inner_observation_then_the_base_action() {
        let mut e = env(0.1);
        assert_eq!(e.observation_space().flat_size(), DISHWASHING_OBS_DIM + 5);
        let mut obs = vec![0.0; DISHWASHING_OBS_DIM + 5];
        e.reset_into(Some(3), &mut obs).expect("reset");
        let mut plain = DishwashingEnv::new(DishwashingConfig {
            num_dishes: 1,
            ..DishwashingConfig::default()
        })
        .expect("env");
        let mut inner = vec![0.0; DISHWASHING_OBS_DIM];
        plain.reset_into(Some(3), &mut inner).expect("reset");
        assert_eq!(&obs[..DISHWASHING_OBS_DIM], &inner[..]);
        assert_eq!(&obs[DISHWASHING_OBS_DIM..], &[0.5, -0.2, 0.0, 0.0, -1.0]);
    }

    #[test]
    fn executes_base_plus_scaled_correction_clipped_to_the_box() {
        let mut e = env(0.25);
        let mut obs = vec![0.0; DISHWASHING_OBS_DIM + 5];
        e.reset_into(Some(0), &mut obs).expect("reset");
        e.step_into(Action::Continuous(&[1.0, 1.0, -1.0, 0.0, 3.0]), &mut obs)
            .expect("step");
        // 0.5 + 0.25 = 0.75; -0.2 + 0.25; 0 - 0.25; 0; a correction above 1
        // counts as 1: -1 + 0.25.
        let want = [0.75, -0.2 + 0.25, -0.25, 0.0, -0.75];
        assert_eq!(e.executed_action(), &want);
        // A zero correction replays the base policy exactly.
        let mut a = env(0.25);
        let mut b = DishwashingEnv::new(DishwashingConfig {
            num_dishes: 1,
            ..DishwashingConfig::default()
        })
        .expect("env");
        let (mut oa, mut ob) = (
            vec![0.0; DISHWASHING_OBS_DIM + 5],
            vec![0.0; DISHWASHING_OBS_DIM],
        );
        a.reset_into(Some(1), &mut oa).expect("reset");
        b.reset_into(Some(1), &mut ob).expect("reset");
        for _ in 0..50 {
            let ta = a
                .step_into(Action::Continuous(&[0.0; 5]), &mut oa)
                .expect("step");
            let tb = b
                .step_into(Action::Continuous(&[0.5, -0.2, 0.0, 0.0, -1.0]), &mut ob)
                .expect("step");
            assert_eq!(&oa[..DISHWASHING_OBS_DIM], &ob[..]);
            assert_eq!(ta.reward, tb.reward);
        }
    }

    #[test]
    fn a_feature_left_to_the_base_ignores_its_correction() {
        let mut e = env(0.25).without_correction_of(crate::GRIP_ACTION);
        let mut obs = vec![0.0; DISHWASHING_OBS_DIM + 5];
        e.reset_into(Some(0), &mut obs).expect("reset");
        e.step_into(Action::Continuous(&[1.0, 0.0, 0.0, 0.0, 1.0]), &mut obs)
            .expect("step");
        assert_eq!(e.executed_action(), &[0.75, -0.2, 0.0, 0.0, -1.0]);
    }

    #[test]
    fn bad_corrections_and_scales_are_typed_errors() {
        let mut e = env(0.1);
        let mut obs = vec![0.0; DISHWASHING_OBS_DIM + 5];
        e.reset_into(Some(0), &mut obs).expect("reset");
        assert!(matches!(
            e.step_into(
                Action::Continuous(&[f32::NAN, 0.0, 0.0, 0.0, 0.0]),
                &mut obs
            ),
            Err(EnvError::InvalidAction { .. })
        ));
        assert!(matches!(
            e.step_into(Action::Continuous(&[0.0; 3]), &mut obs),
            Err(EnvError::InvalidAction { .. })
        ));
        let mut short = vec![0.0; DISHWASHING_OBS_DIM];
        assert!(matches!(
            e.reset_into(Some(0), &mut short),
            Err(EnvError::ObservationBuffer { .. })
        ));
        let inner = DishwashingEnv::new(DishwashingConfig::default()).expect("env");
        let base = Constant(vec![0.0; 5], 0);
        assert!(ResidualAction::new(inner, Box::new(base), 0.0).is_err());
        // A scripted expert under the wrapper still finds its task.
        assert!(e.as_labour_task().is_some());
    }
}
