//! Control steps per second of the labour envs (random actions, seeded),
//! single env and raw physics of the same scene.
//!
//! `cargo bench -p envs --bench labour`

#![allow(missing_docs)] // criterion_main! generates an undocumented `main`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use envs::{Action, BricklayingConfig, BricklayingEnv, DishwashingConfig, DishwashingEnv, Env};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const STEPS: u64 = 1_000;

fn actions() -> Vec<[f32; 5]> {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    (0..STEPS)
        .map(|_| std::array::from_fn(|_| rng.random_range(-1.0..=1.0)))
        .collect()
}

fn run(env: &mut dyn Env, actions: &[[f32; 5]], obs: &mut [f32]) {
    for a in actions {
        let t = env.step_into(Action::Continuous(a), obs).expect("step");
        if t.terminated || t.truncated {
            env.reset_into(None, obs).expect("reset");
        }
    }
}

fn labour(c: &mut Criterion) {
    let actions = actions();
    let mut group = c.benchmark_group("labour");
    group.throughput(Throughput::Elements(STEPS));
    group.sample_size(20);

    let mut dish = DishwashingEnv::new(DishwashingConfig::default()).expect("env");
    let mut obs = vec![0.0; dish.observation_space().flat_size()];
    dish.reset_into(Some(0), &mut obs).expect("reset");
    group.bench_function("dishwashing_env_step", |b| {
        b.iter(|| run(&mut dish, &actions, &mut obs))
    });
    dish.reset_into(Some(0), &mut obs).expect("reset");
    group.bench_function("dishwashing_raw_physics", |b| {
        b.iter(|| dish.step_physics_only(STEPS as usize).expect("physics"))
    });

    let mut brick = BricklayingEnv::new(BricklayingConfig::default()).expect("env");
    let mut obs = vec![0.0; brick.observation_space().flat_size()];
    brick.reset_into(Some(0), &mut obs).expect("reset");
    group.bench_function("bricklaying_env_step", |b| {
        b.iter(|| run(&mut brick, &actions, &mut obs))
    });
    brick.reset_into(Some(0), &mut obs).expect("reset");
    group.bench_function("bricklaying_raw_physics", |b| {
        b.iter(|| brick.step_physics_only(STEPS as usize).expect("physics"))
    });
    group.finish();
}

criterion_group!(benches, labour);
criterion_main!(benches);
