//! Embedding novelty at scale: a novelty query (k = 5) against an HNSW
//! index of 1,000,000 seeded uniform random 32-dimensional embeddings, and
//! recall@5 of the index against exact search over 200 queries.
//!
//! `nice -n 10 cargo bench -p economics --bench novelty`. For tuning,
//! `NOVELTY_N` sets the number of points (default 1,000,000) and
//! `NOVELTY_M`, `NOVELTY_EF_CONSTRUCTION`, `NOVELTY_EF_SEARCH` override the
//! HNSW settings (defaults: `NoveltyIndexConfig::default()`), and
//! `NOVELTY_EF_SWEEP=32,128` adds recall and median query time at other
//! `ef_search` values over the same index. `NOVELTY_LATENT=8` draws the
//! points from an 8-dimensional uniform latent mapped linearly into 32
//! dimensions (structured data, as embeddings of similar episodes are)
//! instead of uniform over the 32-dimensional cube (the hard case).

#![allow(missing_docs)] // criterion_group!/criterion_main! generate undocumented items

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use economics::{NoveltyIndex, NoveltyIndexConfig, exact_nearest};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;
use std::time::{Duration, Instant};

const D: usize = 32;
const RECALL_QUERIES: usize = 200;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// `m` points of `D` values: uniform in the unit cube for `latent == 0`,
/// else `A·z` with `z` uniform in `[0, 1]^latent` and `A` a fixed random
/// `[D, latent]` matrix.
fn points_drawer(latent: usize, rng: &mut ChaCha8Rng) -> impl FnMut(usize) -> Vec<f32> + '_ {
    let a: Vec<f32> = (0..D * latent).map(|_| rng.random::<f32>() - 0.5).collect();
    move |m| {
        if latent == 0 {
            return (0..m * D).map(|_| rng.random()).collect();
        }
        let mut out = Vec::with_capacity(m * D);
        for _ in 0..m {
            let z: Vec<f32> = (0..latent).map(|_| rng.random()).collect();
            out.extend(
                a.chunks_exact(latent)
                    .map(|row| row.iter().zip(&z).map(|(w, x)| w * x).sum::<f32>()),
            );
        }
        out
    }
}

fn build(n: usize, config: &NoveltyIndexConfig, points: &[f32]) -> NoveltyIndex {
    let mut index = config.init(D).expect("valid settings");
    let start = Instant::now();
    for (i, row) in points.chunks_exact(D).enumerate() {
        index.insert(row).expect("finite point");
        if (i + 1) % 100_000 == 0 {
            eprintln!("  inserted {} in {:.1?}", i + 1, start.elapsed());
        }
    }
    eprintln!("built {n} points in {:.1?}", start.elapsed());
    index
}

fn novelty_query(c: &mut Criterion) {
    let n = env_or("NOVELTY_N", 1_000_000);
    let defaults = NoveltyIndexConfig::default();
    let config = NoveltyIndexConfig {
        max_nb_connection: env_or("NOVELTY_M", defaults.max_nb_connection),
        ef_construction: env_or("NOVELTY_EF_CONSTRUCTION", defaults.ef_construction),
        ef_search: env_or("NOVELTY_EF_SEARCH", defaults.ef_search),
        capacity_hint: n,
        ..defaults
    };
    eprintln!(
        "HNSW {config:?}, {n} points of {D} dims ({})",
        match env_or("NOVELTY_LATENT", 0) {
            0 => "uniform in the cube".to_owned(),
            l => format!("{l}-dim latent"),
        }
    );
    let latent = env_or("NOVELTY_LATENT", 0);
    let mut rng = ChaCha8Rng::seed_from_u64(1_000_000);
    let mut draw = points_drawer(latent, &mut rng);
    let points = draw(n);
    let index = build(n, &config, &points);
    let queries = draw(RECALL_QUERIES);

    // Recall@5 against the exact linear scan, and the median of single
    // query wall times beside criterion's estimate, for the configured
    // ef_search and the others of NOVELTY_EF_SWEEP.
    let exact: Vec<Vec<(usize, f32)>> = queries
        .chunks_exact(D)
        .map(|q| exact_nearest(&points, q, 5).expect("whole rows"))
        .collect();
    let sweep = std::env::var("NOVELTY_EF_SWEEP").unwrap_or_default();
    let efs = std::iter::once(config.ef_search)
        .chain(sweep.split(',').filter_map(|v| v.trim().parse().ok()));
    for ef in efs {
        let mut found = 0;
        for (q, exact) in queries.chunks_exact(D).zip(&exact) {
            let approx = index.nearest_with_ef(q, 5, ef).expect("valid query");
            found += approx
                .iter()
                .filter(|(id, _)| exact.iter().any(|(e, _)| e == id))
                .count();
        }
        let recall = found as f64 / (RECALL_QUERIES * 5) as f64;
        let mut times: Vec<Duration> = queries
            .chunks_exact(D)
            .cycle()
            .take(2_000)
            .map(|q| {
                let start = Instant::now();
                black_box(
                    index
                        .nearest_with_ef(black_box(q), 5, ef)
                        .expect("valid query"),
                );
                start.elapsed()
            })
            .collect();
        times.sort_unstable();
        eprintln!(
            "ef_search {ef}: recall@5 {recall:.4} over {RECALL_QUERIES} queries; \
             query median {:.1?} (p90 {:.1?}) over {} timed queries",
            times[times.len() / 2],
            times[times.len() * 9 / 10],
            times.len()
        );
    }

    let mut group = c.benchmark_group("novelty");
    group.throughput(Throughput::Elements(1));
    group.sample_size(50);
    group.measurement_time(Duration::from_secs(5));
    let mut cycle = queries.chunks_exact(D).cycle();
    group.bench_function(format!("query_k5_{n}x{D}"), |b| {
        b.iter(|| {
            let q = cycle.next().expect("cycle never ends");
            black_box(index.novelty(black_box(q)).expect("valid query"))
        })
    });
    group.finish();
}

criterion_group!(benches, novelty_query);
criterion_main!(benches);
