//! The HNSW novelty index against exact search: recall@5 on random
//! 32-dimensional embeddings, and the novelty of a trajectory embedding
//! end to end. (Query speed at 1,000,000 points is `benches/novelty.rs`.)

use economics::{
    NoveltyIndexConfig, Trajectory, TrajectoryEmbedding, TrajectoryStatsEmbedding, exact_nearest,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const D: usize = 32;

// 5,000 points, not more: the test profile builds the index's generic code
// at opt-level 1, where 20,000 points take over a minute on 2 cores.
#[test]
fn recall_at_5_against_exact_search_is_at_least_095_on_5k_points() {
    let mut rng = ChaCha8Rng::seed_from_u64(5_000);
    let points: Vec<f32> = (0..5_000 * D).map(|_| rng.random()).collect();
    let mut index = NoveltyIndexConfig::default().init(D).unwrap();
    for row in points.chunks_exact(D) {
        index.insert(row).unwrap();
    }
    let queries: Vec<f32> = (0..200 * D).map(|_| rng.random()).collect();
    let mut found = 0;
    for q in queries.chunks_exact(D) {
        let exact = exact_nearest(&points, q, 5).unwrap();
        let approx = index.nearest(q, 5).unwrap();
        found += approx
            .iter()
            .filter(|(id, _)| exact.iter().any(|(e, _)| e == id))
            .count();
    }
    let recall = found as f64 / (200 * 5) as f64;
    assert!(recall >= 0.95, "recall@5 {recall}");
}

#[test]
fn a_repeated_episode_is_less_novel_than_a_new_kind_of_episode() {
    let mut embedding = TrajectoryStatsEmbedding::new(2, 1).unwrap();
    let mut index = NoveltyIndexConfig::default()
        .init(embedding.d_embedding())
        .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut episode = |offset: f32| {
        let obs: Vec<f32> = (0..20).map(|_| offset + rng.random::<f32>()).collect();
        let act: Vec<f32> = (0..10).map(|_| rng.random::<f32>()).collect();
        (obs, act)
    };
    let mut novelty = |(obs, act): (Vec<f32>, Vec<f32>)| {
        let t = Trajectory::new(&obs, 2, &act, 1).unwrap();
        let e = embedding.embed(&t).unwrap();
        index.value(&e).unwrap()
    };
    assert_eq!(novelty(episode(0.0)), 1.0);
    for _ in 0..20 {
        novelty(episode(0.0));
    }
    let familiar = novelty(episode(0.0));
    let new_kind = novelty(episode(5.0));
    assert!(new_kind > 2.0 * familiar, "{new_kind} vs {familiar}");
}
