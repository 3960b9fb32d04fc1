//! `CartPole-v1`: Barto, Sutton and Anderson's cart-pole, as Gymnasium 1.x
//! implements it (Euler integrator, ±12° / ±2.4 m thresholds, reward 1 on
//! every step including the terminating one).
//!
//! Differences from Gymnasium, on purpose:
//! - stepping a terminated episode returns [`EnvError::NeedsReset`] (Gymnasium
//!   warns and returns reward 0);
//! - the reset state is drawn from `ChaCha8Rng` (Gymnasium uses numpy's
//!   PCG64, which we do not reproduce), so parity is defined from a set
//!   state: see [`Env::set_state`];
//! - the 500-step limit is the [`TimeLimit`](crate::TimeLimit) wrapper that
//!   [`make`](crate::make) applies, as `gymnasium.make` does.

use super::Phase;
use crate::{Action, BoxSpace, Env, EnvError, Info, Result, RgbFrame, Space, Transition};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ID: &str = "CartPole-v1";
const GRAVITY: f64 = 9.8;
const MASSCART: f64 = 1.0;
const MASSPOLE: f64 = 0.1;
const TOTAL_MASS: f64 = MASSPOLE + MASSCART;
/// Half the pole's length, as in Gymnasium.
const LENGTH: f64 = 0.5;
const POLEMASS_LENGTH: f64 = MASSPOLE * LENGTH;
const FORCE_MAG: f64 = 10.0;
/// Seconds between state updates.
const TAU: f64 = 0.02;
/// `12 * 2 * pi / 360`, evaluated in Gymnasium's order.
const THETA_THRESHOLD_RADIANS: f64 = 24.0 * std::f64::consts::PI / 360.0;
const X_THRESHOLD: f64 = 2.4;
/// Reset draws each state element from `uniform(-0.05, 0.05)`.
const RESET_BOUND: f64 = 0.05;

/// The cart-pole balancing task. Observation `[x, x_dot, theta, theta_dot]`
/// (f32), action `Discrete(2)`: 0 pushes left, 1 pushes right.
#[derive(Debug, Clone)]
pub struct CartPole {
    /// `[x, x_dot, theta, theta_dot]` in f64, as Gymnasium keeps it.
    state: [f64; 4],
    rng: ChaCha8Rng,
    phase: Phase,
    steps: u32,
    observation_space: Space,
    action_space: Space,
}

impl Default for CartPole {
    fn default() -> Self {
        Self::new()
    }
}

impl CartPole {
    /// A cart-pole whose random generator starts from seed 0 until
    /// `reset(Some(seed))` reseeds it.
    pub fn new() -> Self {
        let high = [
            (X_THRESHOLD * 2.0) as f32,
            f32::INFINITY,
            (THETA_THRESHOLD_RADIANS * 2.0) as f32,
            f32::INFINITY,
        ];
        Self {
            state: [0.0; 4],
            rng: ChaCha8Rng::seed_from_u64(0),
            phase: Phase::NotStarted,
            steps: 0,
            observation_space: Space::Box(BoxSpace::new(
                high.iter().map(|h| -h).collect(),
                high.to_vec(),
            )),
            action_space: Space::Discrete { n: 2 },
        }
    }

    /// The f64 state `[x, x_dot, theta, theta_dot]`.
    pub fn state(&self) -> [f64; 4] {
        self.state
    }

    fn write_obs(&self, obs: &mut [f32]) {
        for (o, s) in obs.iter_mut().zip(&self.state) {
            *o = *s as f32;
        }
    }

    fn check_obs_len(&self, obs: &[f32]) -> Result<()> {
        if obs.len() == 4 {
            Ok(())
        } else {
            Err(EnvError::ObservationBuffer {
                env: ID.to_string(),
                expected: 4,
                got: obs.len(),
            })
        }
    }

    fn info(&self) -> Info {
        Info {
            sim_seconds: f64::from(self.steps) * TAU,
            ..Info::default()
        }
    }

    /// One Euler step of the dynamics (Gymnasium's expression order, so the
    /// f64 roundings are the same).
    fn integrate(&mut self, push_right: bool) {
        let [x, x_dot, theta, theta_dot] = self.state;
        let force = if push_right { FORCE_MAG } else { -FORCE_MAG };
        let costheta = theta.cos();
        let sintheta = theta.sin();
        let temp = (force + POLEMASS_LENGTH * (theta_dot * theta_dot) * sintheta) / TOTAL_MASS;
        let thetaacc = (GRAVITY * sintheta - costheta * temp)
            / (LENGTH * (4.0 / 3.0 - MASSPOLE * (costheta * costheta) / TOTAL_MASS));
        let xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS;
        self.state = [
            x + TAU * x_dot,
            x_dot + TAU * xacc,
            theta + TAU * theta_dot,
            theta_dot + TAU * thetaacc,
        ];
    }
}

impl Env for CartPole {
    fn id(&self) -> &str {
        ID
    }

    fn observation_space(&self) -> &Space {
        &self.observation_space
    }

    fn action_space(&self) -> &Space {
        &self.action_space
    }

    fn reset_into(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
        self.check_obs_len(obs)?;
        if let Some(seed) = seed {
            self.rng = ChaCha8Rng::seed_from_u64(seed);
        }
        for s in &mut self.state {
            *s = self.rng.random_range(-RESET_BOUND..RESET_BOUND);
        }
        self.phase = Phase::Running;
        self.steps = 0;
        self.write_obs(obs);
        Ok(self.info())
    }

    #[inline]
    fn step_into(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
        let push_right = match action {
            Action::Discrete(0) => false,
            Action::Discrete(1) => true,
            other => {
                return Err(self
                    .action_space
                    .check_action(ID, other)
                    .err()
                    .unwrap_or_else(|| unreachable_action(other)));
            }
        };
        if self.phase != Phase::Running {
            return Err(EnvError::NeedsReset {
                env: ID.to_string(),
                when: needs_reset_when(self.phase),
            });
        }
        self.check_obs_len(obs)?;
        self.integrate(push_right);
        self.steps += 1;
        let mut info = self.info();
        if !self.state.iter().all(|s| s.is_finite()) {
            // Unreachable from a finite state in 500 steps, but a state set
            // from outside may be extreme: end the episode, never panic.
            self.phase = Phase::Ended;
            info.fault = Some(crate::EnvFault::NonFiniteState);
            self.write_obs(obs);
            return Ok(Transition {
                reward: 0.0,
                terminated: false,
                truncated: true,
                info,
            });
        }
        let [x, _, theta, _] = self.state;
        let terminated = !(-X_THRESHOLD..=X_THRESHOLD).contains(&x)
            || !(-THETA_THRESHOLD_RADIANS..=THETA_THRESHOLD_RADIANS).contains(&theta);
        if terminated {
            self.phase = Phase::Ended;
        }
        self.write_obs(obs);
        Ok(Transition {
            reward: 1.0,
            terminated,
            truncated: false,
            info,
        })
    }

    fn set_state(&mut self, state: &[f64]) -> Result<()> {
        let state: [f64; 4] = state.try_into().map_err(|_| EnvError::InvalidState {
            env: ID.to_string(),
            message: format!(
                "expected 4 values [x, x_dot, theta, theta_dot], got {}",
                state.len()
            ),
        })?;
        if !state.iter().all(|s| s.is_finite()) {
            return Err(EnvError::InvalidState {
                env: ID.to_string(),
                message: format!("non-finite value in {state:?}"),
            });
        }
        self.state = state;
        self.phase = Phase::Running;
        Ok(())
    }

    fn render(&mut self) -> Option<RgbFrame> {
        if self.phase == Phase::NotStarted {
            return None;
        }
        Some(draw(&self.state))
    }
}

/// Gymnasium's picture, simplified: 600×400, white background, track line,
/// black cart, brown pole from the axle.
fn draw(state: &[f64; 4]) -> RgbFrame {
    const W: u32 = 600;
    const H: u32 = 400;
    let mut frame = RgbFrame::filled(W, H, [255, 255, 255]);
    let scale = f64::from(W) / (X_THRESHOLD * 2.0);
    let cart_x = state[0] * scale + f64::from(W) / 2.0;
    let cart_y = 100.0; // top of the track, measured from the bottom
    let mut put = |px: f64, py_from_bottom: f64, rgb: [u8; 3]| {
        let (px, py) = (px.round(), (f64::from(H) - 1.0 - py_from_bottom).round());
        if px >= 0.0 && py >= 0.0 && px < f64::from(W) && py < f64::from(H) {
            let i = (py as usize * W as usize + px as usize) * 3;
            frame.pixels[i..i + 3].copy_from_slice(&rgb);
        }
    };
    for px in 0..W {
        put(f64::from(px), cart_y, [0, 0, 0]);
    }
    for dx in -25..=25 {
        for dy in -15..=15 {
            put(cart_x + f64::from(dx), cart_y + f64::from(dy), [0, 0, 0]);
        }
    }
    let pole_len = scale * (2.0 * LENGTH);
    let (s, c) = state[2].sin_cos();
    let axle_y = cart_y + 7.5;
    for along in 0..pole_len as i32 {
        for across in -5..=5 {
            let (a, b) = (f64::from(along), f64::from(across));
            put(
                cart_x + a * s + b * c,
                axle_y + a * c - b * s,
                [202, 152, 101],
            );
        }
    }
    frame
}

fn needs_reset_when(phase: Phase) -> &'static str {
    match phase {
        Phase::NotStarted => "before reset",
        _ => "after the episode ended",
    }
}

#[cold]
fn unreachable_action(action: Action<'_>) -> EnvError {
    EnvError::InvalidAction {
        env: ID.to_string(),
        expected: "Discrete(2)".to_string(),
        got: format!("{action:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cart_pole_pays_one_per_step_and_terminates_when_the_pole_falls() {
        let mut env = CartPole::new();
        env.reset(Some(1)).expect("reset");
        let mut steps = 0;
        loop {
            let s = env.step(Action::Discrete(1)).expect("step");
            steps += 1;
            assert_eq!(s.reward, 1.0);
            if s.terminated {
                break;
            }
            assert!(steps < 100, "always pushing right must topple the pole");
        }
        assert!(matches!(
            env.step(Action::Discrete(0)),
            Err(EnvError::NeedsReset { .. })
        ));
    }

    #[test]
    fn cart_pole_rejects_invalid_actions_and_buffers_with_typed_errors() {
        let mut env = CartPole::new();
        assert!(matches!(
            env.step(Action::Discrete(0)),
            Err(EnvError::NeedsReset { .. })
        ));
        env.reset(Some(0)).expect("reset");
        assert!(matches!(
            env.step(Action::Discrete(2)),
            Err(EnvError::InvalidAction { .. })
        ));
        assert!(matches!(
            env.step(Action::Continuous(&[1.0])),
            Err(EnvError::InvalidAction { .. })
        ));
        let mut short = [0.0; 3];
        assert!(matches!(
            env.step_into(Action::Discrete(0), &mut short),
            Err(EnvError::ObservationBuffer { .. })
        ));
        assert!(matches!(
            env.set_state(&[0.0; 3]),
            Err(EnvError::InvalidState { .. })
        ));
        assert!(matches!(
            env.set_state(&[0.0, f64::NAN, 0.0, 0.0]),
            Err(EnvError::InvalidState { .. })
        ));
    }

    #[test]
    fn cart_pole_reset_is_deterministic_per_seed_and_within_bounds() {
        let mut a = CartPole::new();
        let mut b = CartPole::new();
        let (oa, _) = a.reset(Some(7)).expect("reset");
        let (ob, _) = b.reset(Some(7)).expect("reset");
        assert_eq!(oa, ob);
        assert!(oa.iter().all(|v| v.abs() < 0.05));
        let (oc, _) = b.reset(Some(8)).expect("reset");
        assert_ne!(oa, oc);
    }

    #[test]
    fn cart_pole_render_draws_a_frame_of_the_right_size() {
        let mut env = CartPole::new();
        assert!(env.render().is_none());
        env.reset(Some(0)).expect("reset");
        let f = env.render().expect("frame");
        assert_eq!(f.pixels.len(), 600 * 400 * 3);
        assert!(f.pixels.contains(&0), "cart is drawn");
    }
}
