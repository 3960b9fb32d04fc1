//! An env copy whose episode in progress can be saved and restored, so a
//! resumed off-policy run continues exactly where it stopped.
//!
//! A vector env's auto-reset continues each copy's own random stream,
//! which no checkpoint can capture. [`ResumableEnv`] replaces that stream
//! with its own: every reset without a seed draws one from a `ChaCha8Rng`
//! whose state is exported, and the actions of the episode in progress
//! are recorded. Restoring ([`ResumableEnv::restore`]) makes the next
//! reset replay that episode, with the same seed and actions, to the step
//! it had reached: a deterministic env is then in the very state it was
//! in, its wrappers (time limit, economic reward) included.
//!
//! Replaying costs at most one episode of env steps on resume.

use envs::{Action, Env, EnvError, Info, Transition, Wrapper};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{Result, RngState};

/// An episode in progress: how it was reset and what was done since.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeInProgress {
    /// The seed it was reset with.
    pub seed: u64,
    /// Its actions so far, row-major (a discrete index is stored as a
    /// float).
    pub actions: Vec<f32>,
}

/// What [`ResumableEnv::restore`] needs: the seed stream and the episode
/// in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResumableEnvState {
    /// The stream the seeds of later episodes are drawn from.
    pub seeds: RngState,
    /// The episode in progress (none before the first reset).
    pub episode: Option<EpisodeInProgress>,
}

/// An env whose episode seeds come from a saved stream and whose episode
/// in progress is recorded (see the module docs).
#[derive(Debug, Clone)]
pub struct ResumableEnv<E> {
    env: E,
    seeds: ChaCha8Rng,
    episode: Option<EpisodeInProgress>,
    /// Set by `restore`: the next reset replays this episode.
    pending: Option<EpisodeInProgress>,
    /// Width of one recorded action.
    d_action: usize,
}

impl<E: Env> ResumableEnv<E> {
    /// Wraps `env`; resets without a seed draw theirs from `seeds`.
    pub fn new(env: E, seeds: ChaCha8Rng) -> Self {
        let d_action = match env.action_space() {
            envs::Space::Box(b) => b.size(),
            envs::Space::Discrete { .. } => 1,
        };
        Self {
            env,
            seeds,
            episode: None,
            pending: None,
            d_action,
        }
    }

    /// The seed stream and the episode in progress.
    pub fn state(&self) -> ResumableEnvState {
        ResumableEnvState {
            seeds: RngState::capture(&self.seeds),
            episode: self.episode.clone(),
        }
    }

    /// Sets the seed stream; the next reset replays `state.episode` (or
    /// draws a fresh seed when there is none). Refuses an episode whose
    /// actions are not whole rows.
    pub fn restore(&mut self, state: &ResumableEnvState) -> Result<()> {
        if let Some(e) = &state.episode
            && !e.actions.len().is_multiple_of(self.d_action.max(1))
        {
            return Err(crate::PolicyError::ParamMismatch(format!(
                "{}: an episode in progress of {} action values, not whole actions of {}",
                self.env.id(),
                e.actions.len(),
                self.d_action
            )));
        }
        self.seeds = state.seeds.restore()?;
        self.pending = state.episode.clone();
        Ok(())
    }

    /// Steps taken in the episode in progress.
    pub fn episode_steps(&self) -> usize {
        self.episode
            .as_ref()
            .map_or(0, |e| e.actions.len() / self.d_action.max(1))
    }

    /// Resets `env` with `seed` and replays `actions`, returning the last
    /// counters. The replayed steps must not end the episode: it was in
    /// progress when it was saved.
    fn replay(&mut self, seed: u64, actions: &[f32], obs: &mut [f32]) -> envs::Result<Info> {
        let mut info = self.env.reset_into(Some(seed), obs)?;
        let discrete = matches!(self.env.action_space(), envs::Space::Discrete { .. });
        let steps = actions.chunks_exact(self.d_action.max(1));
        let n = steps.len();
        for (k, a) in steps.enumerate() {
            let action = if discrete {
                Action::Discrete(a[0] as usize)
            } else {
                Action::Continuous(a)
            };
            let t = self.env.step_into(action, obs)?;
            if t.terminated || t.truncated {
                return Err(EnvError::InvalidState {
                    env: self.env.id().to_owned(),
                    message: format!(
                        "replaying the saved episode (seed {seed}) ended it at step {} of {n}: \
                         the env is not deterministic",
                        k + 1
                    ),
                });
            }
            info = t.info;
        }
        Ok(info)
    }
}

impl<E: Env> Wrapper for ResumableEnv<E> {
    type Inner = E;

    fn inner(&self) -> &E {
        &self.env
    }

    fn inner_mut(&mut self) -> &mut E {
        &mut self.env
    }

    fn wrapped_reset(&mut self, seed: Option<u64>, obs: &mut [f32]) -> envs::Result<Info> {
        if let Some(episode) = self.pending.take() {
            let info = self.replay(episode.seed, &episode.actions, obs)?;
            self.episode = Some(episode);
            return Ok(info);
        }
        let seed = seed.unwrap_or_else(|| self.seeds.random());
        let info = self.env.reset_into(Some(seed), obs)?;
        self.episode = Some(EpisodeInProgress {
            seed,
            actions: Vec::new(),
        });
        Ok(info)
    }

    fn wrapped_step(&mut self, action: Action<'_>, obs: &mut [f32]) -> envs::Result<Transition> {
        let t = self.env.step_into(action, obs)?;
        if let Some(e) = &mut self.episode {
            match action {
                Action::Continuous(a) => e.actions.extend_from_slice(a),
                Action::Discrete(i) => e.actions.push(i as f32),
            }
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use envs::{VecAction, VecEnv};
    use rand::SeedableRng;

    fn pendulum_copies(n: usize) -> VecEnv<ResumableEnv<Box<dyn Env>>> {
        let envs = (0..n)
            .map(|i| {
                ResumableEnv::new(
                    envs::make("Pendulum-v1").expect("registered"),
                    ChaCha8Rng::seed_from_u64(40 + i as u64),
                )
            })
            .collect();
        VecEnv::new(envs).expect("copies")
    }

    /// A torque that varies with the step and the copy.
    fn torques(step: usize, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((step * 7 + i * 3) % 9) as f32 / 2.0 - 2.0)
            .collect()
    }

    #[test]
    fn a_restored_copy_continues_the_same_episodes_as_the_original() {
        let n = 2;
        let mut a = pendulum_copies(n);
        a.reset(Some(5)).expect("reset");
        // 333 steps: past one auto-reset (200 steps), mid-episode.
        for step in 0..333 {
            a.step(VecAction::Continuous(&torques(step, n)))
                .expect("step");
        }
        let saved: Vec<ResumableEnvState> = a.envs().iter().map(ResumableEnv::state).collect();
        assert_eq!(a.envs()[0].episode_steps(), 133);

        let mut b = pendulum_copies(n);
        for (env, state) in b.envs_mut().iter_mut().zip(&saved) {
            env.restore(state).expect("restores");
        }
        b.reset(None).expect("replays");
        assert_eq!(a.obs(), b.obs());
        // Through the next auto-reset (seeded from the restored stream).
        for step in 333..700 {
            let act = torques(step, n);
            a.step(VecAction::Continuous(&act)).expect("step");
            b.step(VecAction::Continuous(&act)).expect("step");
            assert_eq!(a.obs(), b.obs(), "step {step}");
            assert_eq!(a.rewards(), b.rewards());
            assert_eq!(a.truncated(), b.truncated());
        }
    }

    #[test]
    fn a_saved_episode_that_the_replay_ends_is_refused() {
        let mut env = ResumableEnv::new(
            envs::make("Pendulum-v1").expect("registered"),
            ChaCha8Rng::seed_from_u64(1),
        );
        let mut state = env.state();
        // Pendulum-v1 truncates at 200 steps: 250 cannot have been in progress.
        state.episode = Some(EpisodeInProgress {
            seed: 3,
            actions: vec![0.5; 250],
        });
        env.restore(&state).expect("whole actions");
        let mut obs = vec![0.0; 3];
        let err = env
            .reset_into(None, &mut obs)
            .expect_err("ends at step 200");
        assert!(err.to_string().contains("step 200 of 250"), "{err}");
    }
}
