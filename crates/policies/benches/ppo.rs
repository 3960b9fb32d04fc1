#![allow(missing_docs)] // criterion_group! generates an undocumented function.
//! PPO benchmarks: the update (CleanRL CartPole settings: 512 transitions,
//! 4 epochs × 4 minibatches) on each enabled CPU backend, rollout
//! inference on the host snapshot against a burn forward pass, and a whole
//! update (rollout + learning) end to end.

use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use policies::{ActOutput, ActionKind, ActorCriticConfig, PolicySnapshot, Ppo, PpoConfig};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn config(env: &str) -> PpoConfig {
    let base = PpoConfig {
        total_timesteps: u64::MAX / 2,
        ..PpoConfig::default()
    };
    if env == "Pendulum-v1" {
        PpoConfig {
            num_steps: 1024,
            num_minibatches: 32,
            update_epochs: 10,
            gamma: 0.9,
            learning_rate: 1e-3,
            normalize_observation: true,
            normalize_reward: true,
            ..base
        }
    } else {
        base
    }
}

fn bench_update<B: AutodiffBackend>(c: &mut Criterion, backend: &str) {
    let device = B::Device::default();
    for env in ["CartPole-v1", "Pendulum-v1"] {
        let cfg = config(env);
        let mut group = c.benchmark_group(format!("ppo_update/{env}"));
        group.sample_size(10);
        group.throughput(criterion::Throughput::Elements(cfg.batch_size() as u64));
        let mut ppo = Ppo::<B>::new(cfg, env, 1, &device).expect("valid run");
        ppo.collect_rollout().expect("rollout");
        group.bench_function(BenchmarkId::from_parameter(backend), |b| {
            b.iter(|| ppo.update_policy().expect("update"))
        });
        group.finish();
    }
}

fn bench_end_to_end<B: AutodiffBackend>(c: &mut Criterion, backend: &str) {
    let device = B::Device::default();
    for env in ["CartPole-v1", "Pendulum-v1"] {
        let cfg = config(env);
        let mut group = c.benchmark_group(format!("ppo_end_to_end/{env}"));
        group.sample_size(10);
        group.throughput(Throughput::Elements(cfg.batch_size() as u64));
        let mut ppo = Ppo::<B>::new(cfg, env, 1, &device).expect("valid run");
        group.bench_function(BenchmarkId::from_parameter(backend), |b| {
            b.iter(|| ppo.step_update().expect("update"))
        });
        group.finish();
    }
}

fn bench_inference<B: Backend>(c: &mut Criterion, backend: &str) {
    let device = B::Device::default();
    let mut group = c.benchmark_group("rollout_inference");
    for n_envs in [1usize, 4, 64] {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let net = ActorCriticConfig::new(4, 2, ActionKind::Discrete);
        let model = net.init::<B, _>(&device, &mut rng).expect("valid network");
        let obs: Vec<f32> = (0..n_envs * 4)
            .map(|i| (i as f32 * 0.37).sin() * 0.1)
            .collect();
        group.throughput(Throughput::Elements(n_envs as u64));
        let mut snapshot = PolicySnapshot::new(&model);
        let mut out = ActOutput::default();
        group.bench_function(BenchmarkId::new("host_snapshot", n_envs), |b| {
            b.iter(|| snapshot.act(&obs, n_envs, false, &mut rng, &mut out))
        });
        group.bench_function(BenchmarkId::new(format!("burn_{backend}"), n_envs), |b| {
            b.iter(|| {
                let t =
                    Tensor::<B, 2>::from_data(TensorData::new(obs.clone(), [n_envs, 4]), &device);
                let logits = model.actor_out(t.clone()).into_data();
                let values = model.value(t).into_data();
                (logits, values)
            })
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    #[cfg(feature = "ndarray")]
    {
        type Nd = burn::backend::NdArray<f32>;
        bench_update::<burn::backend::Autodiff<Nd>>(c, "ndarray");
        bench_inference::<Nd>(c, "ndarray");
        bench_end_to_end::<burn::backend::Autodiff<Nd>>(c, "ndarray");
    }
    #[cfg(feature = "flex")]
    {
        type Fx = burn::backend::Flex<f32>;
        bench_update::<burn::backend::Autodiff<Fx>>(c, "flex");
        bench_inference::<Fx>(c, "flex");
        bench_end_to_end::<burn::backend::Autodiff<Fx>>(c, "flex");
    }
}

criterion_group!(ppo, benches);
criterion_main!(ppo);
