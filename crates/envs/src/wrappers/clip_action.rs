//! Gymnasium's `ClipAction`: accept any finite continuous action and clip it
//! into the wrapped env's box.

use super::{BoxActionMap, BoxActionWrapper};
use crate::{BoxSpace, Env, Result};

/// Clips each action element to the inner box bounds. The outer action
/// space is the same shape, unbounded.
pub type ClipAction<E> = BoxActionWrapper<E, ClipMap>;

/// [`ClipAction`]'s map: clamp into the inner bounds.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClipMap;

impl BoxActionMap for ClipMap {
    const NAME: &'static str = "ClipAction";
    fn outer_bounds(&self) -> (f32, f32) {
        (f32::NEG_INFINITY, f32::INFINITY)
    }
    fn check(&self, _inner: &BoxSpace) -> std::result::Result<(), &'static str> {
        Ok(())
    }
    fn map(&self, x: f32, low: f32, high: f32) -> f32 {
        x.clamp(low, high)
    }
}

impl<E: Env> ClipAction<E> {
    /// Wraps an env with a `Box` action space (a `Discrete` one is a typed
    /// error).
    pub fn new(env: E) -> Result<Self> {
        Self::with_map(env, ClipMap)
    }
}
