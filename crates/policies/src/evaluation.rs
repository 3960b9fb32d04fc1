//! Deterministic evaluation of a policy on fresh copies of an env.
//!
//! Any policy with a deterministic action ([`DeterministicPolicy`]: PPO's
//! [`PolicySnapshot`] takes the mode, SAC's [`SacPolicy`](crate::SacPolicy)
//! `tanh` of the mean) is evaluated by the same loop.

use envs::{Env, EpisodeRecord, ObsNormConfig, RunningMeanStd, Space, VecAction, VecEnv};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::{ActOutput, PolicyError, PolicySnapshot, Result};

/// Runs `episodes` episodes of env `env_id` with the policy's mode (argmax
/// or Gaussian mean, clipped to the action bounds) and returns each
/// episode's raw return; episode `k` is seeded `seed + k`. With
/// `obs_norm`, observations are normalised with those statistics, frozen.
pub fn evaluate_policy<P: DeterministicPolicy + Clone>(
    snapshot: &P,
    env_id: &str,
    episodes: usize,
    seed: u64,
    obs_norm: Option<&RunningMeanStd>,
) -> Result<Vec<f64>> {
    let venv = VecEnv::make(env_id, 1)?;
    let records = evaluate_episodes(snapshot, venv, episodes, seed, obs_norm)?;
    Ok(records.iter().map(|e| e.episode_return).collect())
}

/// A policy evaluation can run: the deterministic action for each of a
/// batch of observations.
pub trait DeterministicPolicy {
    /// Observation size the policy expects.
    fn d_obs(&self) -> usize;

    /// The deterministic actions for `obs: [n, d_obs]` into `actions`:
    /// `[n]` indices as floats for a discrete space, `[n, d_action]` in
    /// the env's units otherwise (clipped to the bounds by the caller).
    fn act_deterministic(&mut self, obs: &[f32], n: usize, actions: &mut Vec<f32>) -> Result<()>;
}

impl DeterministicPolicy for PolicySnapshot {
    fn d_obs(&self) -> usize {
        PolicySnapshot::d_obs(self)
    }

    fn act_deterministic(&mut self, obs: &[f32], n: usize, actions: &mut Vec<f32>) -> Result<()> {
        // The mode never draws from the RNG; it is only a parameter.
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut act = ActOutput {
            actions: std::mem::take(actions),
            ..ActOutput::default()
        };
        self.act(obs, n, true, &mut rng, &mut act);
        *actions = act.actions;
        Ok(())
    }
}

/// Evaluation episodes are played in waves over at most this many env
/// copies: enough to use the cores, few enough that a short evaluation does
/// not build envs it never steps.
pub const MAX_EVAL_COPIES: usize = 8;

/// Runs `episodes` deterministic episodes (as [`evaluate_policy`]) on the
/// caller's vector env `venv` (e.g. labour envs built from a task config,
/// or wrapped) and returns them in seed order with their raw return,
/// length and economic counters. Episode `k` is seeded `seed + k` whatever
/// the number of copies: the copies play waves of fresh episodes, and a
/// wave counts each copy's first episode only, once all of them have
/// ended. Taking the first `episodes` to finish instead would favour short
/// episodes (in a labour env, the successful ones, which terminate early)
/// and let the policy choose which seeds are scored.
pub fn evaluate_episodes<E: Env, P: DeterministicPolicy + Clone>(
    snapshot: &P,
    venv: VecEnv<E>,
    episodes: usize,
    seed: u64,
    obs_norm: Option<&RunningMeanStd>,
) -> Result<Vec<EpisodeRecord>> {
    let mut venv = venv;
    if let Some(state) = obs_norm {
        venv = venv.with_obs_normalization(ObsNormConfig::default());
        venv.set_normalization_state(&envs::NormalizationState {
            obs: Some(state.clone()),
            reward: None,
        })?;
    }
    venv.set_normalization_training(false);
    let env_id = venv.envs()[0].id().to_owned();
    if venv.d_obs() != snapshot.d_obs() {
        return Err(PolicyError::UnsupportedSpace(format!(
            "{env_id} observations have {} elements, the policy expects {}",
            venv.d_obs(),
            snapshot.d_obs()
        )));
    }
    let n = venv.num_envs();
    let mut policy = snapshot.clone();
    let bounds = action_bounds(venv.action_space());
    let mut actions = Vec::new();
    let mut discrete = vec![0usize; n];
    let mut clipped = vec![0.0f32; n * venv.d_action()];
    let mut records = Vec::with_capacity(episodes);
    while records.len() < episodes {
        let wave = n.min(episodes - records.len());
        venv.reset(Some(seed.wrapping_add(records.len() as u64)))?;
        let mut finished: Vec<Option<EpisodeRecord>> = vec![None; wave];
        while finished.iter().any(Option::is_none) {
            policy.act_deterministic(venv.obs(), n, &mut actions)?;
            match &bounds {
                None => {
                    for (d, a) in discrete.iter_mut().zip(&actions) {
                        *d = *a as usize;
                    }
                    venv.step(VecAction::Discrete(&discrete))?;
                }
                Some((low, high)) => {
                    let d_act = low.len();
                    for (j, (c, a)) in clipped.iter_mut().zip(&actions).enumerate() {
                        *c = a.clamp(low[j % d_act], high[j % d_act]);
                    }
                    venv.step(VecAction::Continuous(&clipped))?;
                }
            }
            for (i, e) in venv.episodes() {
                if let Some(slot @ None) = finished.get_mut(i) {
                    *slot = Some(*e);
                }
            }
        }
        records.extend(finished.into_iter().flatten());
    }
    Ok(records)
}

/// Finite bounds of a `Box` action space (infinite ones become ±f32::MAX);
/// `None` for a discrete space.
pub(crate) fn action_bounds(space: &Space) -> Option<(Vec<f32>, Vec<f32>)> {
    match space {
        Space::Discrete { .. } => None,
        Space::Box(b) => Some((b.low.clone(), b.high.clone())),
    }
}
