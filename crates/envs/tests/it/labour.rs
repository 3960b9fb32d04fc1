//! The labour envs through the public API: the env checker, long random
//! rollouts (no panic, no non-finite value), rendering.

use envs::{
    Action, BricklayingConfig, BricklayingEnv, DishwashingConfig, DishwashingEnv,
    DishwashingExpert, Env, check_env,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn labour_envs() -> Vec<Box<dyn Env>> {
    vec![
        Box::new(DishwashingEnv::new(DishwashingConfig::default()).expect("dishwashing")),
        Box::new(BricklayingEnv::new(BricklayingConfig::default()).expect("bricklaying")),
    ]
}

#[test]
fn labour_envs_pass_the_env_checker() {
    for mut env in labour_envs() {
        check_env(env.as_mut(), 7, 2_000).unwrap_or_else(|e| panic!("{}: {e}", env.id()));
    }
}

#[test]
fn labour_envs_with_short_episodes_truncate_and_reset_under_the_checker() {
    let short: Vec<Box<dyn Env>> = vec![
        Box::new(
            DishwashingEnv::new(DishwashingConfig {
                episode_seconds: 10.0,
                ..DishwashingConfig::default()
            })
            .expect("dishwashing"),
        ),
        Box::new(
            BricklayingEnv::new(BricklayingConfig {
                episode_seconds: 10.0,
                ..BricklayingConfig::default()
            })
            .expect("bricklaying"),
        ),
    ];
    for mut env in short {
        let report =
            check_env(env.as_mut(), 3, 2_000).unwrap_or_else(|e| panic!("{}: {e}", env.id()));
        // 10 s at 20 Hz: 200 steps per episode, and the checker stops at two.
        assert_eq!(report.episodes, 2, "{}", env.id());
        assert!(report.steps <= 400, "{}: {} steps", env.id(), report.steps);
    }
}

#[test]
fn labour_envs_are_registered_and_read_their_task_yaml() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs");
    for id in ["dishwashing", "bricklaying"] {
        let mut env = envs::make_with_config(id, Some(&root.join(format!("{id}.yaml")))).expect(id);
        assert_eq!(env.id(), id);
        let (obs, _) = env.reset(Some(1)).expect("reset");
        assert_eq!(obs.len(), env.observation_space().flat_size());
    }
}

/// Steps random actions, resetting on episode end; every observation and
/// reward must be finite, no fault raised. Returns the units completed.
fn random_rollout(env: &mut dyn Env, steps: usize, seed: u64) -> u32 {
    let (mut units, mut episode_units) = (0, 0);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut obs = vec![0.0; env.observation_space().flat_size()];
    env.reset_into(Some(seed), &mut obs).expect("reset");
    for i in 0..steps {
        let a: [f32; 5] = std::array::from_fn(|_| rng.random_range(-1.0..=1.0));
        let t = env
            .step_into(Action::Continuous(&a), &mut obs)
            .expect("step");
        assert!(
            obs.iter().all(|v| v.is_finite()),
            "{} step {i}: {obs:?}",
            env.id()
        );
        assert!(t.reward.is_finite(), "{} step {i}", env.id());
        assert_eq!(t.info.fault, None, "{} step {i}", env.id());
        episode_units = t.info.units_completed;
        if t.terminated || t.truncated {
            units += episode_units;
            episode_units = 0;
            env.reset_into(None, &mut obs).expect("reset");
        }
    }
    units + episode_units
}

#[test]
fn random_actions_never_panic_or_go_non_finite_and_complete_nothing() {
    for mut env in labour_envs() {
        // 1000 simulated seconds: two dishwashing episodes, one bricklaying one.
        let units = random_rollout(env.as_mut(), 20_000, 3);
        assert_eq!(
            units,
            0,
            "{}: random actions completed {units} units",
            env.id()
        );
    }
}

/// The full check: `cargo test --release -p envs --test it -- --ignored million`.
#[test]
#[ignore = "1,000,000 steps per env: run in release (see BENCHMARKS.md)"]
fn a_million_random_actions_per_env_never_panic_or_go_non_finite() {
    for mut env in labour_envs() {
        let _units = random_rollout(env.as_mut(), 1_000_000, 11);
    }
}

#[test]
fn rendered_frame_shows_the_scene_and_a_moved_dish_moves_its_pixels() {
    let mut env = DishwashingEnv::new(DishwashingConfig::default()).expect("env");
    let mut obs = vec![0.0; env.observation_space().flat_size()];
    env.reset_into(Some(2), &mut obs).expect("reset");
    let before = env.render().expect("frame");
    assert_eq!((before.width, before.height), (256, 256));
    let mut colours: Vec<[u8; 3]> = before
        .pixels
        .chunks(3)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        colours.len() > 20,
        "only {} distinct colours: blank frame",
        colours.len()
    );
    // Let the expert pick a dish up and carry it towards the wash zone.
    let mut expert = DishwashingExpert::new(1.0, 0);
    for _ in 0..120 {
        let a = expert.act(&env);
        env.step_into(Action::Continuous(&a), &mut obs)
            .expect("step");
    }
    assert!(env.held_dish().is_some(), "a dish is held");
    let after = env.render().expect("frame");
    let changed = before
        .pixels
        .chunks(3)
        .zip(after.pixels.chunks(3))
        .filter(|(a, b)| a.iter().zip(b.iter()).any(|(x, y)| x.abs_diff(*y) > 30))
        .count();
    assert!(changed > 200, "only {changed} pixels changed");
}
