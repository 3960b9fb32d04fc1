//! Integration tests of the `policies` crate: learning, cloning,
//! checkpoints and resume, on the default CPU backend.

mod bc;
mod checkpoint;
mod chunk;
mod ppo;
mod regression;
mod sac;

/// The training backend of these tests.
pub type B = policies::CpuAutodiff;

/// A hand-written CartPole controller: push towards the side the pole is
/// falling to, with small cart-position terms to stay on the track.
pub fn cartpole_expert(obs: &[f32]) -> usize {
    let (x, x_dot, theta, theta_dot) = (obs[0], obs[1], obs[2], obs[3]);
    usize::from(0.05 * x + 0.2 * x_dot + 2.0 * theta + 0.5 * theta_dot > 0.0)
}
