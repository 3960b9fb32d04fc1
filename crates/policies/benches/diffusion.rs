#![allow(missing_docs)] // criterion_group! generates an undocumented function.
//! Diffusion policy benchmarks at the dishwashing sizes (30 observation
//! features, 5 action features, window 2, horizon 16): one training step
//! (batch 64 and 256) and one DDIM chunk inference (batch 1 and 8), for the
//! CPU default U-Net and the paper's (256, 512, 1024).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use envs::{DISHWASHING_ACTION_DIM, DISHWASHING_OBS_DIM};
use policies::{ChunkModel, ChunkShape, CpuAutodiff, DiffusionConfig, DiffusionPolicy};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SHAPE: ChunkShape = ChunkShape {
    obs_dim: DISHWASHING_OBS_DIM,
    action_dim: DISHWASHING_ACTION_DIM,
    obs_window: 2,
    horizon: 16,
    action_steps: 8,
};

fn sizes() -> [(&'static str, DiffusionConfig); 2] {
    [
        ("cpu_default", DiffusionConfig::default()),
        ("paper", DiffusionConfig::paper()),
    ]
}

fn uniform(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

fn bench_train_step(c: &mut Criterion) {
    let device = Default::default();
    for (name, config) in sizes() {
        let mut group = c.benchmark_group(format!("diffusion_train_step/{name}"));
        group.sample_size(10);
        for batch in [64usize, 256] {
            group.throughput(Throughput::Elements(batch as u64));
            let mut rng = ChaCha8Rng::seed_from_u64(1);
            let obs = uniform(&mut rng, batch * SHAPE.window_len());
            let actions = uniform(&mut rng, batch * SHAPE.chunk_len());
            let mut policy = DiffusionPolicy::<CpuAutodiff>::new(config.clone(), SHAPE, &device, 1)
                .expect("valid config");
            group.bench_function(BenchmarkId::new("batch", batch), |b| {
                b.iter(|| {
                    policy
                        .train_step(&obs, &actions, batch, &mut rng)
                        .expect("finite loss")
                })
            });
        }
        group.finish();
    }
}

fn bench_predict(c: &mut Criterion) {
    let device = Default::default();
    for (name, config) in sizes() {
        let steps = config.num_inference_steps;
        let mut group = c.benchmark_group(format!("diffusion_predict_ddim{steps}/{name}"));
        group.sample_size(10);
        let policy =
            DiffusionPolicy::<CpuAutodiff>::new(config, SHAPE, &device, 1).expect("valid config");
        for batch in [1usize, 8] {
            group.throughput(Throughput::Elements(batch as u64));
            let mut rng = ChaCha8Rng::seed_from_u64(2);
            let obs = uniform(&mut rng, batch * SHAPE.window_len());
            group.bench_function(BenchmarkId::new("batch", batch), |b| {
                b.iter(|| policy.predict(&obs, batch, &mut rng).expect("finite chunk"))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench_train_step, bench_predict);
criterion_main!(benches);
