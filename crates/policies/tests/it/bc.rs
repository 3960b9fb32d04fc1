//! Behaviour cloning of scripted experts (CartPole, dishwashing), and the
//! clone as a PPO warm start.

use envs::{
    Action, DISHWASHING_ACTION_DIM, DISHWASHING_OBS_DIM, DishwashingConfig, DishwashingEnv,
    DishwashingExpert, Env, Info,
};
use policies::ppo::network_config;
use policies::{
    ActOutput, ActorCriticConfig, BcConfig, BcLoss, Dagger, DaggerConfig, Demonstrations,
    PolicySnapshot, Ppo, PpoConfig, dagger, evaluate_policy, observation_statistics,
    record_demonstrations, train_bc,
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

/// Mean units per episode of the clone (deterministic, observations
/// normalised as in training) on `seeds`, and its episodes' counters.
fn clone_units(
    cfg: &DishwashingConfig,
    model: &policies::ActorCritic<B>,
    normalizer: &envs::ObsNormalizer,
    seeds: std::ops::Range<u64>,
) -> (f64, Vec<Info>) {
    let mut snapshot = PolicySnapshot::new(model);
    let mut out = ActOutput::default();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut norm = vec![0.0; DISHWASHING_OBS_DIM];
    let infos = dishwashing_episodes(
        cfg,
        seeds,
        |_, obs, _| {
            norm.copy_from_slice(obs);
            normalizer.normalize(&mut norm);
            snapshot.act(&norm, 1, true, &mut rng, &mut out);
            std::array::from_fn(|k| out.actions[k].clamp(-1.0, 1.0))
        },
        |_, _, _, _| {},
    );
    let mean = infos
        .iter()
        .map(|i| f64::from(i.units_completed))
        .sum::<f64>()
        / infos.len() as f64;
    (mean, infos)
}

#[test]
fn dagger_on_the_dishwashing_expert_aggregates_the_clones_states() {
    let cfg = small_dishwashing();
    let mut env = DishwashingEnv::new(cfg.clone()).expect("valid config");
    let mut expert = DishwashingExpert::new(1.0, 0);
    let bc = BcConfig {
        loss: BcLoss::Mse,
        decision_weight: 10.0,
        max_epochs: 30,
        dagger: DaggerConfig {
            rounds: 2,
            episodes_per_round: 3,
            ..DaggerConfig::default()
        },
        ..BcConfig::default()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (data, units) =
        record_demonstrations(&mut env, &mut expert, 8, 0, bc.dagger.demo_noise, &mut rng)
            .expect("the expert demonstrates");
    assert!(
        units.iter().all(|u| *u == 2),
        "the expert racks both dishes: {units:?}"
    );
    assert!(
        data.decision_count() >= 2 * units.iter().sum::<u32>() as usize,
        "a grasp and a release per racked dish are marked"
    );
    let demo_pairs = data.len();
    let demo_stats = observation_statistics(&data).expect("finite observations");
    let net = dishwashing_network(&cfg);
    let device = Default::default();
    let Dagger {
        model,
        obs_stats,
        report,
    } = dagger::<B, _, _>(
        &bc,
        &net,
        data,
        &mut env,
        &mut expert,
        1_000,
        &device,
        &mut rng,
    )
    .expect("DAgger trains");
    // Every round adds its episodes' states (at most a minute each, 20 Hz)
    // relabelled by the expert, and refits.
    assert_eq!(report.rounds.len(), 2);
    assert_eq!(report.rounds[0].expert_share, 0.5);
    assert_eq!(report.rounds[1].expert_share, 0.25);
    let mut before = demo_pairs;
    for round in &report.rounds {
        assert_eq!(round.episodes.len(), 3);
        assert!(round.pairs > before && round.pairs <= before + 3 * 1200);
        before = round.pairs;
    }
    assert!(report.initial.best_val_loss < 0.2 * report.initial.val_losses[0]);
    assert!(report.rounds.iter().all(|r| r.bc.best_val_loss.is_finite()));
    // The expert never yaws: its yaw features keep unit scale. The clone's
    // normaliser is refitted on the aggregate, which its own drift widens.
    assert_eq!(
        demo_stats.var[3], 1.0,
        "sin yaw is constant in the demonstrations"
    );
    assert_eq!(demo_stats.var[8], 1.0, "so is the yaw rate");
    assert!(
        obs_stats.var[29] > demo_stats.var[29],
        "the clone's episodes run later"
    );
    let mut normalizer =
        envs::ObsNormalizer::new(DISHWASHING_OBS_DIM, envs::ObsNormConfig::default());
    normalizer.set_state(obs_stats).expect("same size");
    normalizer.set_training(false);
    let (_, infos) = clone_units(&cfg, &model, &normalizer, 100..102);
    assert!(infos.iter().all(|i| i.fault.is_none()), "{infos:?}");
}
