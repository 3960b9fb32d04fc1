//! Behaviour cloning of scripted experts (CartPole, dishwashing), and the
//! clone as a PPO warm start.

use envs::{
    Action, DISHWASHING_ACTION_DIM, DISHWASHING_OBS_DIM, DishwashingConfig, DishwashingEnv,
    DishwashingExpert, Env, Info,
};
use policies::ppo::network_config;
use policies::{
    ActOutput, ActorCriticConfig, BcConfig, Demonstrations, PolicySnapshot, Ppo, PpoConfig,
    evaluate_policy, train_bc,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::{B, cartpole_expert};

fn expert_demonstrations(episodes: u64) -> Demonstrations {
    let mut env = envs::make("CartPole-v1").expect("CartPole is registered");
    let mut data = Demonstrations {
        d_obs: 4,
        d_act: 1,
        ..Demonstrations::default()
    };
    for ep in 0..episodes {
        let (mut obs, _) = env.reset(Some(ep)).expect("reset");
        loop {
            let a = cartpole_expert(&obs);
            data.push(&obs, &[a as f32]);
            let step = env.step(Action::Discrete(a)).expect("step");
            obs = step.obs;
            if step.terminated || step.truncated {
                break;
            }
        }
    }
    data
}

#[test]
fn scripted_cartpole_expert_balances_the_pole() {
    let mut env = envs::make("CartPole-v1").expect("CartPole is registered");
    for seed in 0..5 {
        let (mut obs, _) = env.reset(Some(100 + seed)).expect("reset");
        let mut ret = 0.0;
        loop {
            let step = env
                .step(Action::Discrete(cartpole_expert(&obs)))
                .expect("step");
            ret += step.reward;
            obs = step.obs;
            if step.terminated || step.truncated {
                break;
            }
        }
        assert_eq!(ret, 500.0, "seed {seed}");
    }
}

#[test]
fn bc_on_scripted_cartpole_expert_reaches_475() {
    let device = Default::default();
    let data = expert_demonstrations(10);
    let env = envs::make("CartPole-v1").expect("CartPole is registered");
    let net = network_config(
        &PpoConfig::default(),
        env.observation_space(),
        env.action_space(),
    )
    .expect("spaces");
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (model, report) =
        train_bc::<B, _>(&BcConfig::default(), &net, &data, &device, &mut rng).expect("BC trains");
    assert!(
        report.best_val_loss < report.val_losses[0],
        "validation loss improved"
    );
    let returns = evaluate_policy(&PolicySnapshot::new(&model), "CartPole-v1", 20, 77, None)
        .expect("evaluation runs");
    let mean = returns.iter().sum::<f64>() / returns.len() as f64;
    assert!(mean >= 475.0, "BC mean return {mean}");

    // Same shapes as PPO's network: the clone warm-starts a PPO run.
    let ppo = Ppo::<B>::new(PpoConfig::default(), "CartPole-v1", 1, &device)
        .expect("valid run")
        .with_model(model)
        .expect("same shapes");
    let warm = ppo.evaluate(5, 77).expect("evaluation runs");
    assert!(warm.iter().sum::<f64>() / 5.0 >= 475.0);
}

#[test]
fn bc_rejects_demonstrations_of_another_shape() {
    let device = Default::default();
    let mut data = expert_demonstrations(1);
    data.d_obs = 3;
    let env = envs::make("CartPole-v1").expect("CartPole is registered");
    let net = network_config(
        &PpoConfig::default(),
        env.observation_space(),
        env.action_space(),
    )
    .expect("spaces");
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let err = train_bc::<B, _>(&BcConfig::default(), &net, &data, &device, &mut rng)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("observations have 3 elements"), "{err}");
}

/// A dishwashing scene small enough for CI: two dishes, a short wash and a
/// one-minute episode (the physics and the expert are the real ones).
fn small_dishwashing() -> DishwashingConfig {
    DishwashingConfig {
        num_dishes: 2,
        wash_time_s: 2.0,
        episode_seconds: 60.0,
        ..DishwashingConfig::default()
    }
}

/// Runs `act` on `seeds` and returns each episode's final counters. `act`
/// sees the env (privileged experts need it), the observation and whether
/// the step is an episode's first; `record` sees every (state, observation,
/// executed action) before the step.
fn dishwashing_episodes(
    cfg: &DishwashingConfig,
    seeds: std::ops::Range<u64>,
    mut act: impl FnMut(&DishwashingEnv, &[f32], bool) -> [f32; DISHWASHING_ACTION_DIM],
    mut record: impl FnMut(&DishwashingEnv, &[f32], bool, &[f32]),
) -> Vec<Info> {
    let mut env = DishwashingEnv::new(cfg.clone()).expect("valid config");
    let mut obs = vec![0.0; DISHWASHING_OBS_DIM];
    seeds
        .map(|seed| {
            env.reset_into(Some(seed), &mut obs).expect("reset");
            let mut first = true;
            loop {
                let a = act(&env, &obs, first);
                record(&env, &obs, first, &a);
                first = false;
                let t = env
                    .step_into(Action::Continuous(&a), &mut obs)
                    .expect("step");
                if t.terminated || t.truncated {
                    return t.info;
                }
            }
        })
        .collect()
}

/// Demonstrations of the full-skill scripted expert on `seeds`, and its
/// episodes' counters.
fn dishwashing_demonstrations(
    cfg: &DishwashingConfig,
    seeds: std::ops::Range<u64>,
) -> (Demonstrations, Vec<Info>) {
    let mut expert = DishwashingExpert::new(1.0, 0);
    let mut data = Demonstrations {
        d_obs: DISHWASHING_OBS_DIM,
        d_act: DISHWASHING_ACTION_DIM,
        ..Demonstrations::default()
    };
    let infos = dishwashing_episodes(
        cfg,
        seeds,
        |env, _, first| {
            if first {
                expert.reset();
            }
            expert.act(env)
        },
        |_, obs, _, a| data.push(obs, a),
    );
    (data, infos)
}

/// The network PPO would build for the dishwashing env.
fn dishwashing_network(cfg: &DishwashingConfig) -> ActorCriticConfig {
    let env = DishwashingEnv::new(cfg.clone()).expect("valid config");
    network_config(
        &PpoConfig::default(),
        env.observation_space(),
        env.action_space(),
    )
    .expect("spaces")
}

/// The clone acting deterministically (Gaussian mean, clipped to the box).
fn clone_policy(
    model: &policies::ActorCritic<B>,
) -> impl FnMut(&DishwashingEnv, &[f32], bool) -> [f32; DISHWASHING_ACTION_DIM] {
    let mut snapshot = PolicySnapshot::new(model);
    let mut act = ActOutput::default();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    move |_, obs, _| {
        snapshot.act(obs, 1, true, &mut rng, &mut act);
        std::array::from_fn(|k| act.actions[k].clamp(-1.0, 1.0))
    }
}

#[test]
fn bc_on_dishwashing_expert_demonstrations_fits_and_runs_in_the_env() {
    let cfg = small_dishwashing();
    let (data, expert) = dishwashing_demonstrations(&cfg, 0..12);
    assert!(
        expert
            .iter()
            .all(|i| i.units_completed == 2 && i.errors == 0),
        "the expert racks both dishes: {expert:?}"
    );
    let device = Default::default();
    let net = dishwashing_network(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let bc = BcConfig {
        max_epochs: 60,
        ..BcConfig::default()
    };
    let (model, report) = train_bc::<B, _>(&bc, &net, &data, &device, &mut rng).expect("BC trains");
    assert!(
        report.best_val_loss < 0.2 * report.val_losses[0],
        "validation loss fell fivefold: {:?}",
        report.val_losses
    );
    // The clone drives the real env to the time limit without faults, and
    // warm-starts PPO on the registered dishwashing env (same shapes).
    let infos = dishwashing_episodes(&cfg, 100..101, clone_policy(&model), |_, _, _, _| {});
    assert!(infos.iter().all(|i| i.fault.is_none()), "{infos:?}");
    let ppo = Ppo::<B>::new(PpoConfig::default(), "dishwashing", 1, &device)
        .expect("valid run")
        .with_model(model);
    assert!(ppo.is_ok(), "the clone loads as a PPO warm start");
}
