//! Embedding novelty (SPEC §6): the mean Euclidean distance from a
//! datapoint's embedding to the k nearest embeddings stored so far, over an
//! approximate nearest-neighbour index (HNSW, from `hnsw_rs`).
//!
//! * The first datapoint has novelty 1.0; with fewer than k stored, the mean
//!   runs over those stored.
//! * Insertion is serial, one point at a time. `hnsw_rs` draws each point's
//!   layer from a generator it seeds itself (a fixed seed, 397) and only its
//!   `parallel_insert` races threads, so the same embeddings inserted in the
//!   same order build the same graph and give the same answers. (Points at
//!   exactly equal distance may be visited in a hash-map order; answers on
//!   such ties can differ between processes, never their distances.)
//! * [`exact_nearest`] is the linear scan the index is checked against in
//!   tests and benchmarks; valuation never uses it.

use crate::config::DataValuationConfig;
use crate::error::{EconomicsError, Result};
use hnsw_rs::prelude::{DistL2, Hnsw};

/// Settings of a [`NoveltyIndex`]: the k of the novelty and the HNSW graph.
///
/// Measured with the defaults (`benches/novelty.rs`, 2 loaded cores): on
/// 1,000,000 32-dimensional points drawn from an 8-dimensional latent,
/// recall@5 1.000 against exact search and a median query of 0.82 ms; on
/// uniform random points, the hard case with no structure for the graph to
/// exploit, recall@5 0.96 at 20,000 points but 0.88 (median 2.0 ms) at
/// 100,000, where `ef_search` 128 gives 0.97.
#[derive(Debug, Clone, PartialEq)]
pub struct NoveltyIndexConfig {
    /// Neighbours averaged by the novelty, `>= 1`. Default 5 (the config's
    /// `data_valuation.k_neighbors`).
    pub k_neighbors: usize,
    /// HNSW `M`: links kept per point and layer (twice this on layer 0),
    /// in 2..=256. More links, better recall, slower insertion. Default 16.
    pub max_nb_connection: usize,
    /// Candidates explored while inserting a point, `>= 1`. Default 64.
    pub ef_construction: usize,
    /// Candidates explored by a query, `>= 1` (raised to `k_neighbors` when
    /// below it). Default 64.
    pub ef_search: usize,
    /// Points the index expects to hold: an allocation hint, not a limit.
    /// Default 10,000.
    pub capacity_hint: usize,
}

impl Default for NoveltyIndexConfig {
    fn default() -> Self {
        Self {
            k_neighbors: 5,
            max_nb_connection: 16,
            ef_construction: 64,
            ef_search: 64,
            capacity_hint: 10_000,
        }
    }
}

/// Most layers of the HNSW graph (`hnsw_rs`'s own maximum).
const MAX_LAYER: usize = 16;

impl NoveltyIndexConfig {
    /// The defaults with `k_neighbors` from the config's `data_valuation:`
    /// section.
    pub fn from_data_valuation(config: &DataValuationConfig) -> Self {
        Self {
            k_neighbors: usize::try_from(config.k_neighbors).unwrap_or(usize::MAX),
            ..Self::default()
        }
    }

    /// An empty index for embeddings of `d_embedding` values.
    ///
    /// Errors when `d_embedding` is 0 or a setting is out of range.
    pub fn init(&self, d_embedding: usize) -> Result<NoveltyIndex> {
        self.validate()?;
        if d_embedding == 0 {
            return Err(EconomicsError::Shape {
                field: "d_embedding",
                expected: "at least one value per embedding".to_owned(),
                got: "0".to_owned(),
            });
        }
        let hnsw = Hnsw::new(
            self.max_nb_connection,
            self.capacity_hint.max(1),
            MAX_LAYER,
            self.ef_construction,
            DistL2,
        );
        Ok(NoveltyIndex {
            config: self.clone(),
            d_embedding,
            len: 0,
            hnsw,
        })
    }

    fn validate(&self) -> Result<()> {
        let out_of_range = |field, expected, value: usize| EconomicsError::OutOfRange {
            field,
            expected,
            value: value as f64,
        };
        if self.k_neighbors == 0 {
            return Err(out_of_range("k_neighbors", ">= 1", self.k_neighbors));
        }
        // hnsw_rs exits the process above 256; refuse it here instead.
        if !(2..=256).contains(&self.max_nb_connection) {
            return Err(out_of_range(
                "max_nb_connection",
                "in 2..=256",
                self.max_nb_connection,
            ));
        }
        if self.ef_construction == 0 {
            return Err(out_of_range(
                "ef_construction",
                ">= 1",
                self.ef_construction,
            ));
        }
        if self.ef_search == 0 {
            return Err(out_of_range("ef_search", ">= 1", self.ef_search));
        }
        Ok(())
    }
}

/// The embeddings of the datapoints valued so far, searchable by nearest
/// neighbour. Built by [`NoveltyIndexConfig::init`].
pub struct NoveltyIndex {
    config: NoveltyIndexConfig,
    d_embedding: usize,
    len: usize,
    hnsw: Hnsw<'static, f32, DistL2>,
}

impl std::fmt::Debug for NoveltyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoveltyIndex")
            .field("config", &self.config)
            .field("d_embedding", &self.d_embedding)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl NoveltyIndex {
    /// Values per embedding.
    pub fn d_embedding(&self) -> usize {
        self.d_embedding
    }

    /// Embeddings stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True before the first insertion.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The settings the index was built with.
    pub fn config(&self) -> &NoveltyIndexConfig {
        &self.config
    }

    /// Novelty of `embedding` (`[d_embedding]`) against the stored ones,
    /// without storing it: the mean distance to its `k_neighbors` nearest
    /// (over all stored when fewer), 1.0 when none is stored.
    ///
    /// Errors on a wrong length or a non-finite value.
    pub fn novelty(&self, embedding: &[f32]) -> Result<f64> {
        self.check(embedding)?;
        if self.is_empty() {
            return Ok(1.0);
        }
        let neighbours = self.search(embedding, self.config.k_neighbors, self.config.ef_search);
        let sum: f64 = neighbours.iter().map(|(_, d)| f64::from(*d)).sum();
        Ok(sum / neighbours.len().max(1) as f64)
    }

    /// Stores `embedding`; its id is the number stored before it.
    ///
    /// Errors on a wrong length or a non-finite value, storing nothing.
    pub fn insert(&mut self, embedding: &[f32]) -> Result<usize> {
        self.check(embedding)?;
        let id = self.len;
        self.hnsw.insert_slice((embedding, id));
        self.len += 1;
        Ok(id)
    }

    /// Values a datapoint: its [`novelty`](Self::novelty), then stores it.
    pub fn value(&mut self, embedding: &[f32]) -> Result<f64> {
        let novelty = self.novelty(embedding)?;
        self.insert(embedding)?;
        Ok(novelty)
    }

    /// The (approximately) `k` nearest stored embeddings as `(id, distance)`,
    /// nearest first; fewer when fewer are stored.
    pub fn nearest(&self, query: &[f32], k: usize) -> Result<Vec<(usize, f32)>> {
        self.check(query)?;
        self.nearest_with_ef(query, k, self.config.ef_search)
    }

    /// As [`nearest`](Self::nearest) with another `ef_search` (raised to
    /// `k` when below it): more candidates, better recall, slower query.
    pub fn nearest_with_ef(&self, query: &[f32], k: usize, ef: usize) -> Result<Vec<(usize, f32)>> {
        self.check(query)?;
        if self.is_empty() || k == 0 {
            return Ok(Vec::new());
        }
        Ok(self.search(query, k, ef))
    }

    fn search(&self, query: &[f32], k: usize, ef: usize) -> Vec<(usize, f32)> {
        let ef = ef.max(k);
        self.hnsw
            .search(query, k, ef)
            .into_iter()
            .map(|n| (n.d_id, n.distance))
            .collect()
    }

    fn check(&self, embedding: &[f32]) -> Result<()> {
        if embedding.len() != self.d_embedding {
            return Err(EconomicsError::Shape {
                field: "embedding",
                expected: format!("{} values (d_embedding)", self.d_embedding),
                got: format!("{} values", embedding.len()),
            });
        }
        if let Some(v) = embedding.iter().find(|v| !v.is_finite()) {
            return Err(EconomicsError::NonFinite {
                field: "embedding",
                value: f64::from(*v),
            });
        }
        Ok(())
    }
}

/// The exact `k` nearest rows of `stored` (row-major `[n, d_embedding]`) to
/// `query` (`[d_embedding]`) as `(row, distance)`, nearest first, ties by
/// row. A linear scan: the oracle that tests and benchmarks check the index
/// against, O(n·d) per query.
///
/// Errors when `query` is empty or `stored` is not whole rows of its length.
pub fn exact_nearest(stored: &[f32], query: &[f32], k: usize) -> Result<Vec<(usize, f32)>> {
    let d = query.len();
    if d == 0 || !stored.len().is_multiple_of(d) {
        return Err(EconomicsError::Shape {
            field: "stored",
            expected: format!("whole rows of {d} values (the query's length, >= 1)"),
            got: format!("{} values", stored.len()),
        });
    }
    let mut all: Vec<(usize, f32)> = stored
        .chunks_exact(d)
        .enumerate()
        .map(|(i, row)| {
            let sq: f32 = row.iter().zip(query).map(|(a, b)| (a - b) * (a - b)).sum();
            (i, sq.sqrt())
        })
        .collect();
    let k = k.min(all.len());
    if k == 0 {
        return Ok(Vec::new());
    }
    let by_distance = |a: &(usize, f32), b: &(usize, f32)| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0));
    all.select_nth_unstable_by(k - 1, by_distance);
    all.truncate(k);
    all.sort_unstable_by(by_distance);
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random_points(n: usize, d: usize, seed: u64) -> Vec<f32> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n * d).map(|_| rng.random::<f32>()).collect()
    }

    fn index_of(points: &[f32], d: usize) -> NoveltyIndex {
        let mut index = NoveltyIndexConfig::default().init(d).unwrap();
        for row in points.chunks_exact(d) {
            index.insert(row).unwrap();
        }
        index
    }

    #[test]
    fn first_datapoint_has_novelty_one() {
        let mut index = NoveltyIndexConfig::default().init(3).unwrap();
        assert_eq!(index.value(&[0.5, -2.0, 7.0]).unwrap(), 1.0);
        assert_eq!(index.len(), 1);
        // The second is measured against the first: distance 3 (a 3-4-5 step).
        assert!((index.value(&[0.5, 1.0, 11.0]).unwrap() - 5.0).abs() < 1e-6);
    }

    #[test]
    fn novelty_equals_exact_mean_distance_on_small_sets() {
        let d = 4;
        for n in [1, 2, 4, 5, 6, 30, 200] {
            let points = random_points(n, d, n as u64);
            let index = index_of(&points, d);
            for query in random_points(20, d, 1000 + n as u64).chunks_exact(d) {
                let exact = exact_nearest(&points, query, 5).unwrap();
                let want =
                    exact.iter().map(|(_, d)| f64::from(*d)).sum::<f64>() / exact.len() as f64;
                let got = index.novelty(query).unwrap();
                assert!((got - want).abs() < 1e-6, "n {n}: {got} vs exact {want}");
            }
        }
    }

    #[test]
    fn same_embeddings_in_the_same_order_give_the_same_answers() {
        let d = 8;
        let points = random_points(3000, d, 7);
        let (a, b) = (index_of(&points, d), index_of(&points, d));
        for query in random_points(50, d, 8).chunks_exact(d) {
            assert_eq!(a.nearest(query, 5).unwrap(), b.nearest(query, 5).unwrap());
        }
    }

    #[test]
    fn wrong_length_and_nan_are_typed_errors_that_store_nothing() {
        let mut index = NoveltyIndexConfig::default().init(2).unwrap();
        let err = index.insert(&[1.0, 2.0, 3.0]).unwrap_err();
        assert!(
            matches!(
                err,
                EconomicsError::Shape {
                    field: "embedding",
                    ..
                }
            ),
            "{err}"
        );
        let err = index.value(&[1.0, f32::NAN]).unwrap_err();
        assert!(
            matches!(
                err,
                EconomicsError::NonFinite {
                    field: "embedding",
                    ..
                }
            ),
            "{err}"
        );
        assert!(index.is_empty());
        assert!(NoveltyIndexConfig::default().init(0).is_err());
    }

    #[test]
    fn k_comes_from_the_data_valuation_section() {
        let section = DataValuationConfig {
            k_neighbors: 3,
            ..DataValuationConfig::default()
        };
        assert_eq!(
            NoveltyIndexConfig::from_data_valuation(&section).k_neighbors,
            3
        );
    }

    #[test]
    fn the_index_can_move_to_another_thread() {
        fn send_and_sync<T: Send + Sync>() {}
        send_and_sync::<NoveltyIndex>();
    }

    #[test]
    fn out_of_range_settings_are_refused_not_exited_on() {
        for config in [
            NoveltyIndexConfig {
                k_neighbors: 0,
                ..Default::default()
            },
            NoveltyIndexConfig {
                max_nb_connection: 257,
                ..Default::default()
            },
            NoveltyIndexConfig {
                ef_search: 0,
                ..Default::default()
            },
        ] {
            assert!(matches!(
                config.init(4).unwrap_err(),
                EconomicsError::OutOfRange { .. }
            ));
        }
    }
}
