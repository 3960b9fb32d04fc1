//! An environment checker in the spirit of Gymnasium's `check_env`: runs an
//! env through its API contract and reports the first violation as a typed
//! error. Every env in the crate is checked in the tests.

use crate::{Action, Env, EnvError, Result, Space};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What the checker exercised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Valid steps taken.
    pub steps: usize,
    /// Episodes run to their end.
    pub episodes: usize,
    /// Of those, how many terminated.
    pub terminated: usize,
    /// Of those, how many were truncated.
    pub truncated: usize,
}

/// Checks `env`: spaces well-formed; observations of reset and step inside
/// the observation space and finite; rewards and simulated time finite;
/// the same seed and actions giving the same trajectory; invalid actions
/// (wrong kind, wrong length, out-of-range index, NaN) and wrong buffer
/// lengths refused with typed errors and no harm done; stepping a finished
/// episode refused; reset after an episode end working. Runs at most
/// `max_steps` random steps (actions sampled with `ChaCha8Rng(seed)`) and
/// stops early once two episodes have ended.
pub fn check_env<E: Env + ?Sized>(env: &mut E, seed: u64, max_steps: usize) -> Result<CheckReport> {
    let id = env.id().to_string();
    let fail = |check: &'static str, message: String| EnvError::CheckFailed {
        env: id.clone(),
        check,
        message,
    };
    check_spaces(env.observation_space(), env.action_space()).map_err(|m| fail("spaces", m))?;
    let obs_space = env.observation_space().clone();
    let action_space = env.action_space().clone();
    let d_obs = obs_space.flat_size();

    // Determinism: two runs from the same seed with the same actions.
    let run = |env: &mut E, steps: usize| -> Result<Vec<StepRecord>> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
        let (obs, _) = env.reset(Some(seed))?;
        let mut out = vec![(obs, 0.0, false, false)];
        for _ in 0..steps {
            let a = action_space.sample(&mut rng);
            let s = env.step(a.as_action())?;
            let done = s.terminated || s.truncated;
            out.push((s.obs, s.reward, s.terminated, s.truncated));
            if done {
                break;
            }
        }
        Ok(out)
    };
    let probe = max_steps.min(64);
    let first = run(env, probe)?;
    let second = run(env, probe)?;
    if first != second {
        return Err(fail(
            "determinism",
            format!("two runs from seed {seed} with the same actions differ"),
        ));
    }

    // Invalid actions on a live episode: refused, and the episode goes on.
    let mut obs = vec![0.0_f32; d_obs];
    env.reset_into(Some(seed), &mut obs)?;
    check_obs(&obs_space, &obs).map_err(|m| fail("reset observation", m))?;
    let invalid: Vec<(&str, Action<'_>)> = match &action_space {
        Space::Discrete { n } => vec![
            ("out-of-range index", Action::Discrete(*n)),
            (
                "continuous action for a discrete space",
                Action::Continuous(&[0.0]),
            ),
        ],
        Space::Box(_) => vec![
            (
                "NaN action",
                Action::Continuous(
                    NAN_ACTION
                        .get(..action_space.flat_size())
                        .unwrap_or(&NAN_ACTION),
                ),
            ),
            ("wrong length", Action::Continuous(&[])),
            ("discrete action for a box space", Action::Discrete(0)),
        ],
    };
    for (what, a) in invalid {
        match env.step_into(a, &mut obs) {
            Err(EnvError::InvalidAction { .. }) => {}
            Err(e) => {
                return Err(fail(
                    "invalid action",
                    format!("{what}: expected InvalidAction, got {e}"),
                ));
            }
            Ok(_) => return Err(fail("invalid action", format!("{what} was accepted"))),
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut short = vec![0.0_f32; d_obs + 1];
    let a = action_space.sample(&mut rng);
    if env.step_into(a.as_action(), &mut short).is_ok() {
        return Err(fail(
            "observation buffer",
            format!("a buffer of length {} was accepted", d_obs + 1),
        ));
    }

    // Random play: every observation and reward well-formed; episodes end
    // and reset cleanly; a finished episode refuses further steps.
    let mut report = CheckReport::default();
    let mut last_seconds = 0.0;
    let mut last_counters = (0, 0, 0);
    while report.steps < max_steps && report.episodes < 2 {
        let a = action_space.sample(&mut rng);
        let t = env.step_into(a.as_action(), &mut obs)?;
        report.steps += 1;
        check_obs(&obs_space, &obs).map_err(|m| fail("step observation", m))?;
        if !t.reward.is_finite() {
            return Err(fail("reward", format!("non-finite reward {}", t.reward)));
        }
        if !t.info.sim_seconds.is_finite() || t.info.sim_seconds < last_seconds {
            return Err(fail(
                "info",
                format!(
                    "sim_seconds went from {last_seconds} to {}",
                    t.info.sim_seconds
                ),
            ));
        }
        last_seconds = t.info.sim_seconds;
        let counters = (t.info.units_completed, t.info.attempts, t.info.errors);
        if counters.0 < last_counters.0
            || counters.1 < last_counters.1
            || counters.2 < last_counters.2
        {
            return Err(fail(
                "info",
                format!("episode counters went down: {last_counters:?} -> {counters:?}"),
            ));
        }
        last_counters = counters;
        if t.terminated || t.truncated {
            report.episodes += 1;
            report.terminated += usize::from(t.terminated);
            report.truncated += usize::from(t.truncated);
            let again = action_space.sample(&mut rng);
            match env.step_into(again.as_action(), &mut obs) {
                Err(EnvError::NeedsReset { .. }) => {}
                Err(e) => {
                    return Err(fail(
                        "step after end",
                        format!("expected NeedsReset, got {e}"),
                    ));
                }
                Ok(_) => {
                    return Err(fail(
                        "step after end",
                        "stepping a finished episode was accepted".to_string(),
                    ));
                }
            }
            let info = env.reset_into(None, &mut obs)?;
            check_obs(&obs_space, &obs).map_err(|m| fail("reset observation", m))?;
            if info.sim_seconds != 0.0
                || info.units_completed != 0
                || info.errors != 0
                || info.attempts != 0
            {
                return Err(fail(
                    "reset info",
                    format!("counters not cleared by reset: {info:?}"),
                ));
            }
            last_seconds = 0.0;
            last_counters = (0, 0, 0);
        }
    }
    Ok(report)
}

/// Observation, reward, terminated, truncated of one step.
type StepRecord = (Vec<f32>, f64, bool, bool);

const NAN_ACTION: [f32; 16] = [f32::NAN; 16];

fn check_spaces(obs: &Space, action: &Space) -> std::result::Result<(), String> {
    for (name, space) in [("observation", obs), ("action", action)] {
        match space {
            Space::Discrete { n } if *n == 0 => return Err(format!("{name} space is Discrete(0)")),
            Space::Box(b) => {
                if b.low.len() != b.size() || b.high.len() != b.size() {
                    return Err(format!(
                        "{name} box bounds do not match shape {:?}",
                        b.shape
                    ));
                }
                if b.low
                    .iter()
                    .zip(&b.high)
                    .any(|(l, h)| l.is_nan() || h.is_nan() || l > h)
                {
                    return Err(format!("{name} box has low > high or NaN bounds"));
                }
            }
            Space::Discrete { .. } => {}
        }
    }
    Ok(())
}

fn check_obs(space: &Space, obs: &[f32]) -> std::result::Result<(), String> {
    if let Some(v) = obs.iter().find(|v| !v.is_finite()) {
        return Err(format!("non-finite observation value {v} in {obs:?}"));
    }
    if !space.contains_obs(obs) {
        return Err(format!(
            "observation {obs:?} is outside {}",
            space.describe()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Info, Transition};

    /// An env that forgets to validate its actions.
    struct Sloppy {
        space: Space,
    }

    impl Env for Sloppy {
        fn id(&self) -> &str {
            "Sloppy"
        }
        fn observation_space(&self) -> &Space {
            &self.space
        }
        fn action_space(&self) -> &Space {
            &self.space
        }
        fn reset_into(&mut self, _seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
            obs.fill(0.0);
            Ok(Info::default())
        }
        fn step_into(&mut self, _action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
            obs.fill(0.0);
            Ok(Transition {
                reward: 0.0,
                terminated: false,
                truncated: false,
                info: Info::default(),
            })
        }
    }

    #[test]
    fn checker_catches_an_env_that_accepts_invalid_actions() {
        let mut env = Sloppy {
            space: Space::Discrete { n: 2 },
        };
        match check_env(&mut env, 0, 100) {
            Err(EnvError::CheckFailed { check, .. }) => assert_eq!(check, "invalid action"),
            other => panic!("expected a failed check, got {other:?}"),
        }
    }
}
