//! Deterministic evaluation of a policy on fresh copies of an env.

use envs::{Env, EpisodeRecord, ObsNormConfig, RunningMeanStd, Space, VecAction, VecEnv};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::{ActOutput, PolicyError, PolicySnapshot, Result};

/// Runs `episodes` episodes of env `env_id` with the policy's mode (argmax
/// or Gaussian mean, clipped to the action bounds) and returns each
/// episode's raw return; episode `k` is seeded `seed + k`. With
/// `obs_norm`, observations are normalised with those statistics, frozen.
pub fn evaluate_policy(
    snapshot: &PolicySnapshot,
    env_id: &str,
    episodes: usize,
    seed: u64,
    obs_norm: Option<&RunningMeanStd>,
) -> Result<Vec<f64>> {
    let venv = VecEnv::make(env_id, 1)?;
    let records = evaluate_episodes(snapshot, venv, episodes, seed, obs_norm)?;
    Ok(records.iter().map(|e| e.episode_return).collect())
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
pub fn evaluate_episodes<E: Env>(
    snapshot: &PolicySnapshot,
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
    // Deterministic actions never draw from the RNG; it is only a parameter.
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut act = ActOutput::default();
    let mut discrete = vec![0usize; n];
    let mut clipped = vec![0.0f32; n * venv.d_action()];
    let mut records = Vec::with_capacity(episodes);
    while records.len() < episodes {
        let wave = n.min(episodes - records.len());
        venv.reset(Some(seed.wrapping_add(records.len() as u64)))?;
        let mut finished: Vec<Option<EpisodeRecord>> = vec![None; wave];
        while finished.iter().any(Option::is_none) {
            policy.act(venv.obs(), n, true, &mut rng, &mut act);
            match &bounds {
                None => {
                    for (d, a) in discrete.iter_mut().zip(&act.actions) {
                        *d = *a as usize;
                    }
                    venv.step(VecAction::Discrete(&discrete))?;
                }
                Some((low, high)) => {
                    let d_act = low.len();
                    for (j, (c, a)) in clipped.iter_mut().zip(&act.actions).enumerate() {
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
