//! What embedding novelty measures distance in: a pluggable map from an
//! episode to a fixed-length vector.

use crate::error::Result;
use crate::valuation::trajectory::Trajectory;

/// Maps a datapoint's episode to an embedding of
/// [`d_embedding`](Self::d_embedding) values, stored in a
/// [`NoveltyIndex`](crate::NoveltyIndex).
///
/// `embed` takes `&mut self` so an embedding may keep running statistics
/// (as [`TrajectoryStatsEmbedding`](crate::TrajectoryStatsEmbedding) does).
pub trait TrajectoryEmbedding {
    /// Values per embedding.
    fn d_embedding(&self) -> usize;

    /// The embedding of `trajectory` (`[d_embedding]`).
    ///
    /// Errors when the trajectory does not fit the embedding (e.g. another
    /// `d_obs` than the one it was built for).
    fn embed(&mut self, trajectory: &Trajectory<'_>) -> Result<Vec<f32>>;
}
