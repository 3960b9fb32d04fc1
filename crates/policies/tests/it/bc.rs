//! Behaviour cloning of scripted experts (CartPole, dishwashing), and the
//! clone as a PPO warm start.

use envs::{
    Action, DISHWASHING_ACTION_DIM, DISHWASHING_OBS_DIM, DishwashingConfig, DishwashingEnv,
    DishwashingExpert, Env,
};
use policies::ppo::network_config;
use policies::{
    ActOutput, BcConfig, Demonstrations, PolicySnapshot, Ppo, PpoConfig, evaluate_policy, train_bc,
};
use rand::{Rng, SeedableRng};
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

/// Units completed per episode by `policy` on seeds `seeds`; `policy` sees
/// the env (for privileged experts) and the observation.
fn dishwashing_units(
    cfg: &DishwashingConfig,
    seeds: std::ops::Range<u64>,
    mut policy: impl FnMut(&DishwashingEnv, &[f32], bool) -> [f32; DISHWASHING_ACTION_DIM],
    mut record: impl FnMut(&[f32], &[f32]),
) -> Vec<u32> {
    let mut env = DishwashingEnv::new(cfg.clone()).expect("valid config");
    let mut obs = vec![0.0; DISHWASHING_OBS_DIM];
    seeds
        .map(|seed| {
            env.reset_into(Some(seed), &mut obs).expect("reset");
            let mut first = true;
            loop {
                let a = policy(&env, &obs, first);
                first = false;
                record(&obs, &a);
                let t = env
                    .step_into(Action::Continuous(&a), &mut obs)
                    .expect("step");
                if t.terminated || t.truncated {
                    if std::env::var("BC_DEBUG").is_ok() {
                        eprintln!("{:?}", t.info);
                    }
                    return t.info.units_completed;
                }
            }
        })
        .collect()
}

/// The mean of a list of counts.
fn mean_units(units: &[u32]) -> f64 {
    units.iter().map(|&u| f64::from(u)).sum::<f64>() / units.len().max(1) as f64
}

#[test]
fn bc_on_dishwashing_expert_demonstrations_beats_a_random_policy() {
    let cfg = small_dishwashing();
    // Demonstrations: the full-skill scripted expert on 12 episodes.
    let mut expert = DishwashingExpert::new(1.0, 0);
    let mut data = Demonstrations {
        d_obs: DISHWASHING_OBS_DIM,
        d_act: DISHWASHING_ACTION_DIM,
        ..Demonstrations::default()
    };
    let expert_units = dishwashing_units(
        &cfg,
        0..std::env::var("BC_EPS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(12),
        |env, _, first| {
            if first {
                expert.reset();
            }
            expert.act(env)
        },
        |obs, a| data.push(obs, a),
    );
    assert!(
        mean_units(&expert_units) > 1.5,
        "the expert racks the dishes: {expert_units:?}"
    );

    let device = Default::default();
    let env = DishwashingEnv::new(cfg.clone()).expect("valid config");
    let net = network_config(
        &PpoConfig::default(),
        env.observation_space(),
        env.action_space(),
    )
    .expect("spaces");
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let bc = BcConfig {
        max_epochs: std::env::var("BC_EPOCHS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(60),
        ..BcConfig::default()
    };
    let (model, report) = train_bc::<B, _>(&bc, &net, &data, &device, &mut rng).expect("BC trains");
    if std::env::var("BC_DEBUG").is_ok() {
        eprintln!(
            "n={} {:?} {:?} best {}",
            data.len(),
            report.val_losses.first(),
            report.val_losses.last(),
            report.best_epoch
        );
    }
    assert!(
        report.best_val_loss < 0.5 * report.val_losses[0],
        "{report:?}"
    );

    // Held-out seeds: the clone acting deterministically against uniform
    // random actions.
    let mut snapshot = PolicySnapshot::new(&model);
    let mut act = ActOutput::default();
    let clone_units = dishwashing_units(
        &cfg,
        100..106,
        |_, obs, _| {
            snapshot.act(obs, 1, true, &mut rng, &mut act);
            std::array::from_fn(|k| act.actions[k].clamp(-1.0, 1.0))
        },
        |_, _| {},
    );
    let mut random_rng = ChaCha8Rng::seed_from_u64(4);
    let random_units = dishwashing_units(
        &cfg,
        100..106,
        |_, _, _| std::array::from_fn(|_| random_rng.random_range(-1.0..=1.0)),
        |_, _| {},
    );
    let (clone, random) = (mean_units(&clone_units), mean_units(&random_units));
    assert!(
        clone >= 1.0 && clone >= random + 1.0,
        "BC {clone_units:?} vs random {random_units:?} (expert {expert_units:?})"
    );
}
