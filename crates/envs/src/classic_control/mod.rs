//! Classic control ports from Gymnasium (`CartPole-v1`, `Pendulum-v1`):
//! same constants, integrator, thresholds, bounds and rewards, computed in
//! f64 and observed as f32, so a trajectory from a set state matches
//! Gymnasium's step for step (checked against recorded fixtures).

mod cart_pole;
mod pendulum;

pub use cart_pole::CartPole;
pub use pendulum::Pendulum;

/// Where an episode stands; `step` is only legal while `Running`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No reset yet.
    NotStarted,
    /// Between reset and termination.
    Running,
    /// Terminated: Gymnasium would warn and pay 0; we refuse.
    Ended,
}
