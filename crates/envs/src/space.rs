//! Observation and action spaces, as in Gymnasium.

use serde::{Deserialize, Serialize};

/// A Gymnasium space: a bounded box of reals or a finite set of integers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Space {
    /// `Box(low, high, shape)` of f32 values.
    Box(BoxSpace),
    /// `Discrete(n)`: integers `0..n`.
    Discrete {
        /// Number of choices.
        n: usize,
    },
}

/// A box of f32 values with per-element bounds (bounds may be infinite).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoxSpace {
    /// Lower bound per element, row-major, `shape.iter().product()` long.
    pub low: Vec<f32>,
    /// Upper bound per element.
    pub high: Vec<f32>,
    /// Shape of one sample.
    pub shape: Vec<usize>,
}

impl BoxSpace {
    /// A one-dimensional box with the given bounds.
    pub fn new(low: Vec<f32>, high: Vec<f32>) -> Self {
        let shape = vec![low.len()];
        Self { low, high, shape }
    }

    /// Number of elements in one sample.
    pub fn size(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether `x` has the right length and every element is within bounds.
    pub fn contains(&self, x: &[f32]) -> bool {
        x.len() == self.size()
            && x
                .iter()
                .zip(self.low.iter().zip(&self.high))
                .all(|(v, (lo, hi))| *v >= *lo && *v <= *hi)
    }
}

impl Space {
    /// Flat size of a sample as the networks see it: the box size, or 1 for
    /// a discrete action (an index).
    pub fn flat_size(&self) -> usize {
        match self {
            Space::Box(b) => b.size(),
            Space::Discrete { .. } => 1,
        }
    }
}
