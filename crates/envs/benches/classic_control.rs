//! Steps per second of CartPole-v1 and Pendulum-v1: one env through
//! `step_into` (no allocation), and the vector env at three sizes.
//!
//! `cargo bench -p envs --bench classic_control`; results in BENCHMARKS.md.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_main};
use envs::{Action, CartPole, Env, Pendulum, VecAction, VecEnv};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

/// Steps per measured iteration of the single-env benches.
const STEPS: usize = 10_000;
/// Pre-drawn actions, cycled, so the RNG is not measured.
const RING: usize = 1024;

fn discrete_actions() -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    (0..RING).map(|_| rng.random_range(0..2)).collect()
}

fn torques() -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    (0..RING).map(|_| rng.random_range(-2.0..2.0)).collect()
}

/// Steps `env` STEPS times, resetting when an episode ends.
fn run_discrete<E: Env>(env: &mut E, actions: &[usize], obs: &mut [f32]) {
    for k in 0..STEPS {
        let t = env
            .step_into(Action::Discrete(actions[k % RING]), obs)
            .expect("valid action");
        if t.terminated || t.truncated {
            env.reset_into(None, obs).expect("reset");
        }
    }
}

fn run_continuous<E: Env>(env: &mut E, actions: &[f32], obs: &mut [f32]) {
    for k in 0..STEPS {
        let t = env
            .step_into(Action::Continuous(&actions[k % RING..k % RING + 1]), obs)
            .expect("valid action");
        if t.terminated || t.truncated {
            env.reset_into(None, obs).expect("reset");
        }
    }
}

fn single_env(c: &mut Criterion) {
    let mut group = c.benchmark_group("single_env");
    group.throughput(Throughput::Elements(STEPS as u64));
    let actions = discrete_actions();
    let torques = torques();

    let mut env = CartPole::new();
    let mut obs = [0.0_f32; 4];
    env.reset_into(Some(0), &mut obs).expect("reset");
    group.bench_function("CartPole-v1/bare", |b| {
        b.iter(|| run_discrete(&mut env, &actions, black_box(&mut obs)))
    });

    let mut env = envs::make("CartPole-v1").expect("make");
    env.reset_into(Some(0), &mut obs).expect("reset");
    group.bench_function("CartPole-v1/make", |b| {
        b.iter(|| run_discrete(&mut env, &actions, black_box(&mut obs)))
    });

    let mut env = Pendulum::new();
    let mut obs = [0.0_f32; 3];
    env.reset_into(Some(0), &mut obs).expect("reset");
    group.bench_function("Pendulum-v1/bare", |b| {
        b.iter(|| run_continuous(&mut env, &torques, black_box(&mut obs)))
    });

    let mut env = envs::make("Pendulum-v1").expect("make");
    env.reset_into(Some(0), &mut obs).expect("reset");
    group.bench_function("Pendulum-v1/make", |b| {
        b.iter(|| run_continuous(&mut env, &torques, black_box(&mut obs)))
    });
    group.finish();
}

/// Vector steps per iteration.
const VEC_STEPS: usize = 100;

fn vector_env(c: &mut Criterion) {
    let mut group = c.benchmark_group("vec_env");
    for id in ["CartPole-v1", "Pendulum-v1"] {
        for n in [8_usize, 64, 512] {
            for per_task in [1_usize, 64] {
                let mut v = VecEnv::make(id, n).expect("make");
                v.set_min_envs_per_task(per_task);
                v.reset(Some(0)).expect("reset");
                let mut rng = ChaCha8Rng::seed_from_u64(1);
                let discrete: Vec<Vec<usize>> = (0..VEC_STEPS)
                    .map(|_| (0..n).map(|_| rng.random_range(0..2)).collect())
                    .collect();
                let continuous: Vec<Vec<f32>> = (0..VEC_STEPS)
                    .map(|_| (0..n).map(|_| rng.random_range(-2.0..2.0)).collect())
                    .collect();
                group.throughput(Throughput::Elements((VEC_STEPS * n) as u64));
                let name = format!("{id}/per_task_{per_task}");
                group.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                    b.iter(|| {
                        for k in 0..VEC_STEPS {
                            let a = if id == "CartPole-v1" {
                                VecAction::Discrete(&discrete[k])
                            } else {
                                VecAction::Continuous(&continuous[k])
                            };
                            v.step(a).expect("step");
                        }
                        black_box(v.obs()[0])
                    })
                });
            }
        }
    }
    group.finish();
}

mod groups {
    //! `criterion_group!` generates an undocumented public function.
    #![allow(missing_docs)]
    use super::{single_env, vector_env};
    criterion::criterion_group!(benches, single_env, vector_env);
}
criterion_main!(groups::benches);
