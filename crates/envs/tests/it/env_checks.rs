//! Runs the env checker over every registered env and over wrapper stacks.

use envs::Env;
use envs::{
    ClipAction, EpisodeStatistics, NormalizeObservation, NormalizeReward, ObsNormConfig,
    RescaleAction, RewardNormConfig, TimeLimit, Wrapper, check_env,
};

#[test]
fn every_registered_env_passes_the_checker() {
    for id in envs::registered_ids() {
        let mut env = envs::make(id).unwrap_or_else(|e| panic!("make {id}: {e}"));
        let report = check_env(&mut env, 7, 2_000).unwrap_or_else(|e| panic!("{e}"));
        assert!(report.steps > 0, "{id}");
        // Labour envs truncate on simulated time (8 400 steps and more by
        // default); labour.rs checks their episode ends with short episodes.
        let step_limit = envs::spec(id).expect("registered").max_episode_steps;
        if step_limit.is_some_and(|limit| limit <= 1_000) {
            assert!(
                report.episodes >= 1,
                "{id} ended no episode in 2000 random steps"
            );
        }
    }
}

#[test]
fn wrapper_stacks_pass_the_checker() {
    let pendulum = || TimeLimit::new(envs::Pendulum::new(), 200).expect("limit");
    let mut stats = EpisodeStatistics::new(
        NormalizeReward::new(pendulum(), RewardNormConfig::default()).expect("norm"),
    );
    // Learning wrappers change their output as statistics move: warm them
    // up, then freeze them so the determinism check is meaningful.
    warm_up(&mut stats);
    stats.inner_mut().normalizer_mut().set_training(false);
    let report = check_env(&mut stats, 1, 1_000).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.truncated, 2);
    assert!(stats.last_episode().is_some_and(|e| e.length == 200));

    let mut clipped =
        ClipAction::new(RescaleAction::new(pendulum(), -1.0, 1.0).expect("rescale")).expect("clip");
    check_env(&mut clipped, 2, 1_000).unwrap_or_else(|e| panic!("{e}"));

    let mut normalized = NormalizeObservation::new(
        TimeLimit::new(envs::CartPole::new(), 500).expect("limit"),
        ObsNormConfig::default(),
    );
    warm_up(&mut normalized);
    normalized.normalizer_mut().set_training(false);
    let report = check_env(&mut normalized, 3, 2_000).unwrap_or_else(|e| panic!("{e}"));
    assert!(report.terminated >= 1);
}

#[test]
fn rescaling_an_unbounded_action_space_is_refused() {
    let unbounded = ClipAction::new(envs::Pendulum::new()).expect("clip");
    assert!(matches!(
        RescaleAction::new(unbounded, -1.0, 1.0),
        Err(envs::EnvError::InvalidParameter { .. })
    ));
}

/// Three episodes of random play.
fn warm_up<E: Env>(env: &mut E) {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let space = env.action_space().clone();
    for ep in 0..3 {
        env.reset(Some(ep)).expect("reset");
        loop {
            let s = env.step(space.sample(&mut rng).as_action()).expect("step");
            if s.terminated || s.truncated {
                break;
            }
        }
    }
}
