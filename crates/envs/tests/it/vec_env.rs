//! The vector env: seeding, auto-reset, final observations, determinism
//! across thread counts, normalisation state, typed errors.

use envs::{
    Action, Env, EnvError, NormalizationState, ObsNormConfig, RewardNormConfig, VecAction, VecEnv,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Everything a learner reads from one step, flattened for comparison.
#[derive(Debug, PartialEq)]
struct Snapshot {
    obs: Vec<f32>,
    rewards: Vec<f64>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
    final_obs: Vec<Option<Vec<f32>>>,
    episodes: Vec<(usize, f64, u32)>,
}

fn snapshot<E: Env>(v: &VecEnv<E>) -> Snapshot {
    Snapshot {
        obs: v.obs().to_vec(),
        rewards: v.rewards().to_vec(),
        terminated: v.terminated().to_vec(),
        truncated: v.truncated().to_vec(),
        final_obs: (0..v.num_envs())
            .map(|i| v.final_obs(i).map(<[f32]>::to_vec))
            .collect(),
        episodes: v
            .episodes()
            .map(|(i, e)| (i, e.episode_return, e.length))
            .collect(),
    }
}

fn run(id: &str, n: usize, steps: usize, threads: usize, normalize: bool) -> Vec<Snapshot> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool");
    pool.install(|| {
        let mut v = VecEnv::make(id, n).expect("make");
        v.set_min_envs_per_task(1);
        if normalize {
            v = v
                .with_obs_normalization(ObsNormConfig::default())
                .with_reward_normalization(RewardNormConfig::default())
                .expect("norm");
        }
        v.reset(Some(123)).expect("reset");
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut out = vec![snapshot(&v)];
        for _ in 0..steps {
            match v.action_space() {
                envs::Space::Discrete { .. } => {
                    let a: Vec<usize> = (0..n).map(|_| rng.random_range(0..2)).collect();
                    v.step(VecAction::Discrete(&a)).expect("step");
                }
                envs::Space::Box(_) => {
                    let a: Vec<f32> = (0..n).map(|_| rng.random_range(-2.0..2.0)).collect();
                    v.step(VecAction::Continuous(&a)).expect("step");
                }
            }
            out.push(snapshot(&v));
        }
        out
    })
}

#[test]
fn vec_env_results_are_identical_with_one_and_two_threads() {
    for (id, normalize) in [
        ("CartPole-v1", false),
        ("Pendulum-v1", false),
        ("CartPole-v1", true),
        ("Pendulum-v1", true),
    ] {
        let one = run(id, 7, 450, 1, normalize);
        let two = run(id, 7, 450, 2, normalize);
        assert!(
            one == two,
            "{id} (normalize {normalize}) differs between 1 and 2 threads"
        );
        assert!(
            one.iter().any(|s| !s.episodes.is_empty()),
            "{id}: episodes end within the run"
        );
    }
}

#[test]
fn copy_i_is_seeded_with_seed_plus_i() {
    let mut v = VecEnv::make("CartPole-v1", 4).expect("make");
    let obs = v.reset(Some(50)).expect("reset").to_vec();
    for i in 0..4 {
        let (single, _) = envs::make("CartPole-v1")
            .expect("make")
            .reset(Some(50 + i as u64))
            .expect("reset");
        assert_eq!(&obs[i * 4..(i + 1) * 4], single.as_slice());
    }
}

#[test]
fn vec_env_exposes_the_final_observation_of_a_truncated_episode_and_auto_resets() {
    let mut v = VecEnv::make("Pendulum-v1", 2).expect("make");
    let mut single = envs::make("Pendulum-v1").expect("make");
    v.reset(Some(5)).expect("reset");
    single.reset(Some(5)).expect("reset");
    let mut last = Vec::new();
    for k in 1..=200 {
        v.step(VecAction::Continuous(&[0.5, -0.5])).expect("step");
        let s = single.step(Action::Continuous(&[0.5])).expect("step");
        assert_eq!(v.truncated()[0], k == 200);
        assert!(!v.terminated()[0]);
        if k < 200 {
            assert_eq!(&v.obs()[..3], s.obs.as_slice());
            assert!(v.final_obs(0).is_none());
        }
        last = s.obs;
    }
    assert_eq!(v.final_obs(0).expect("final obs"), last.as_slice());
    assert_eq!(
        v.final_info(0).expect("final info").sim_seconds,
        200.0 * 0.05
    );
    // The row now holds the first observation of the next episode, drawn
    // from the copy's continuing random stream.
    let (next, info) = single.reset(None).expect("reset");
    assert_eq!(&v.obs()[..3], next.as_slice());
    assert_eq!(v.infos()[0], info);
    let episodes: Vec<_> = v.episodes().collect();
    assert_eq!(episodes.len(), 2);
    assert_eq!(episodes[0].1.length, 200);
    assert!(!episodes[0].1.terminated);
}

#[test]
fn vec_env_keeps_termination_apart_from_truncation() {
    let mut v = VecEnv::make("CartPole-v1", 3).expect("make");
    v.reset(Some(0)).expect("reset");
    let mut ended = [false; 3];
    for _ in 0..100 {
        v.step(VecAction::Discrete(&[0, 0, 0])).expect("step");
        for (i, e) in ended.iter_mut().enumerate() {
            if v.terminated()[i] {
                assert!(!v.truncated()[i]);
                assert!(v.final_obs(i).is_some());
                *e = true;
            }
        }
    }
    assert_eq!(ended, [true; 3]);
}

#[test]
fn vec_env_refuses_bad_actions_with_typed_errors() {
    let mut v = VecEnv::make("CartPole-v1", 2).expect("make");
    assert!(matches!(
        v.step(VecAction::Discrete(&[0, 1])),
        Err(EnvError::NeedsReset { .. })
    ));
    v.reset(Some(0)).expect("reset");
    assert!(matches!(
        v.step(VecAction::Discrete(&[0])),
        Err(EnvError::InvalidAction { .. })
    ));
    assert!(matches!(
        v.step(VecAction::Continuous(&[0.0, 0.0])),
        Err(EnvError::InvalidAction { .. })
    ));
    assert!(matches!(
        v.step(VecAction::Discrete(&[0, 2])),
        Err(EnvError::InvalidAction { .. })
    ));
    // After a failed step the vector env must be reset.
    assert!(matches!(
        v.step(VecAction::Discrete(&[0, 1])),
        Err(EnvError::NeedsReset { .. })
    ));
    let mut p = VecEnv::make("Pendulum-v1", 2).expect("make");
    p.reset(Some(0)).expect("reset");
    assert!(matches!(
        p.step(VecAction::Continuous(&[0.0, f32::NAN])),
        Err(EnvError::InvalidAction { .. })
    ));
    assert!(matches!(
        VecEnv::make("CartPole-v1", 0),
        Err(EnvError::VecEnv { .. })
    ));
}

#[test]
fn normalization_state_round_trips_through_json_and_freezes() {
    let mut v = VecEnv::make("Pendulum-v1", 4)
        .expect("make")
        .with_obs_normalization(ObsNormConfig::default())
        .with_reward_normalization(RewardNormConfig::default())
        .expect("norm");
    v.reset(Some(1)).expect("reset");
    for _ in 0..50 {
        v.step(VecAction::Continuous(&[1.0, -1.0, 0.5, 0.0]))
            .expect("step");
    }
    let state = v.normalization_state();
    let json = serde_json::to_string(&state).expect("serialise");
    let back: NormalizationState = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, state);
    assert!(state.obs.as_ref().is_some_and(|s| s.count > 200.0));

    let mut fresh = VecEnv::make("Pendulum-v1", 4)
        .expect("make")
        .with_obs_normalization(ObsNormConfig::default())
        .with_reward_normalization(RewardNormConfig::default())
        .expect("norm");
    fresh.set_normalization_state(&back).expect("restore");
    fresh.set_normalization_training(false);
    fresh.reset(Some(2)).expect("reset");
    fresh.step(VecAction::Continuous(&[0.0; 4])).expect("step");
    assert_eq!(
        fresh.normalization_state(),
        state,
        "frozen statistics do not move"
    );
    // Normalised rows are the raw rows under the saved statistics.
    let mut expected = fresh.raw_obs().to_vec();
    fresh.obs_normalizer().expect("on").normalize(&mut expected);
    assert_eq!(fresh.obs(), expected.as_slice());

    let mut plain = VecEnv::make("Pendulum-v1", 4).expect("make");
    assert!(matches!(
        plain.set_normalization_state(&state),
        Err(EnvError::NormalizerState { .. })
    ));
}
