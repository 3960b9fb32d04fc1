//! `Pendulum-v1`: swing a frictionless pendulum up and hold it, as
//! Gymnasium 1.x implements it (`g = 10`, `dt = 0.05`, torque clipped to
//! ±2, angular speed clipped to ±8, reward `-(θ̂² + 0.1·θ̇² + 0.001·u²)` with
//! θ̂ the angle normalised to `[-π, π)`).
//!
//! The f32/f64 mix follows numpy exactly: the torque `u` is an f32, so
//! `0.001·u²` and `3·u` are evaluated in f32 (numpy's weak Python-float
//! promotion) before joining the f64 state arithmetic. The 200-step limit is
//! the [`TimeLimit`](crate::TimeLimit) wrapper that [`make`](crate::make)
//! applies. Reset draws `θ ~ U(-π, π)`, `θ̇ ~ U(-1, 1)` from `ChaCha8Rng`.

use super::Phase;
use crate::{Action, BoxSpace, Env, EnvError, Info, Result, RgbFrame, Space, Transition};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::f64::consts::PI;

const ID: &str = "Pendulum-v1";
const MAX_SPEED: f64 = 8.0;
const MAX_TORQUE: f32 = 2.0;
const DT: f64 = 0.05;
const G: f64 = 10.0;
const M: f64 = 1.0;
const L: f64 = 1.0;

/// The inverted pendulum swing-up. Observation `[cos θ, sin θ, θ̇]` (f32),
/// action `Box([-2], [2])`: the torque (out-of-range values are clipped, as
/// in Gymnasium; NaN or infinite values are errors).
#[derive(Debug, Clone)]
pub struct Pendulum {
    /// `[theta, theta_dot]` in f64.
    state: [f64; 2],
    rng: ChaCha8Rng,
    phase: Phase,
    steps: u32,
    last_u: Option<f32>,
    observation_space: Space,
    action_space: Space,
}

impl Default for Pendulum {
    fn default() -> Self {
        Self::new()
    }
}

impl Pendulum {
    /// A pendulum whose random generator starts from seed 0 until
    /// `reset(Some(seed))` reseeds it.
    pub fn new() -> Self {
        let high = vec![1.0, 1.0, MAX_SPEED as f32];
        Self {
            state: [0.0; 2],
            rng: ChaCha8Rng::seed_from_u64(0),
            phase: Phase::NotStarted,
            steps: 0,
            last_u: None,
            observation_space: Space::Box(BoxSpace::new(high.iter().map(|h| -h).collect(), high)),
            action_space: Space::Box(BoxSpace::new(vec![-MAX_TORQUE], vec![MAX_TORQUE])),
        }
    }

    /// The f64 state `[theta, theta_dot]`.
    pub fn state(&self) -> [f64; 2] {
        self.state
    }

    fn write_obs(&self, obs: &mut [f32]) {
        let [th, thdot] = self.state;
        obs[0] = th.cos() as f32;
        obs[1] = th.sin() as f32;
        obs[2] = thdot as f32;
    }

    fn check_obs_len(&self, obs: &[f32]) -> Result<()> {
        if obs.len() == 3 {
            Ok(())
        } else {
            Err(EnvError::ObservationBuffer {
                env: ID.to_string(),
                expected: 3,
                got: obs.len(),
            })
        }
    }

    fn info(&self) -> Info {
        Info {
            sim_seconds: f64::from(self.steps) * DT,
            ..Info::default()
        }
    }
}

/// numpy's scalar `x**2`: libm's `pow(x, 2.0)`. glibc's `pow` differs from
/// the correctly rounded `x * x` by one ulp for about 1 input in 1000, and
/// Gymnasium's Pendulum cost uses `**2`, so parity needs the real `pow`
/// call. LLVM rewrites `powf(x, 2.0)` into `x * x`; hiding the exponent
/// behind `black_box` keeps the libm call.
#[inline]
fn square_like_numpy(x: f64) -> f64 {
    x.powf(std::hint::black_box(2.0))
}

/// numpy's float32 scalar `u**2`: libm's `powf(u, 2.0f)`.
#[inline]
fn square_like_numpy_f32(u: f32) -> f32 {
    u.powf(std::hint::black_box(2.0))
}

/// `((x + π) mod 2π) − π` with numpy's floored `%` (result takes the
/// divisor's sign), built on `fmod` as numpy's `npy_divmod` is.
fn angle_normalize(x: f64) -> f64 {
    let b = 2.0 * PI;
    let mut m = (x + PI) % b;
    if m != 0.0 {
        if m < 0.0 {
            m += b;
        }
    } else {
        m = 0.0_f64.copysign(b);
    }
    m - PI
}

impl Env for Pendulum {
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
        self.state = [
            self.rng.random_range(-PI..PI),
            self.rng.random_range(-1.0..1.0),
        ];
        self.phase = Phase::Running;
        self.steps = 0;
        self.last_u = None;
        self.write_obs(obs);
        Ok(self.info())
    }

    #[inline]
    fn step_into(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition> {
        let u = match action {
            Action::Continuous(&[u]) if u.is_finite() => u,
            other => {
                return Err(EnvError::InvalidAction {
                    env: ID.to_string(),
                    expected: self.action_space.describe(),
                    got: format!("{other:?}"),
                });
            }
        };
        if self.phase != Phase::Running {
            let when = if self.phase == Phase::NotStarted {
                "before reset"
            } else {
                "after the episode ended"
            };
            return Err(EnvError::NeedsReset {
                env: ID.to_string(),
                when,
            });
        }
        self.check_obs_len(obs)?;
        let [th, thdot] = self.state;
        let u = u.clamp(-MAX_TORQUE, MAX_TORQUE);
        self.last_u = Some(u);
        // numpy: `0.001 * (u**2)` and `3.0 / (m * l**2) * u` stay float32,
        // and a scalar `x**2` is libm's `pow(x, 2.0)`, which is not always
        // the correctly rounded `x * x`: see `square_like_numpy`.
        let u_cost = (0.001_f32 * square_like_numpy_f32(u)) as f64;
        let u_acc = ((3.0 / (M * L * L)) as f32 * u) as f64;
        let costs =
            square_like_numpy(angle_normalize(th)) + 0.1 * square_like_numpy(thdot) + u_cost;
        let newthdot = thdot + (3.0 * G / (2.0 * L) * th.sin() + u_acc) * DT;
        let newthdot = newthdot.clamp(-MAX_SPEED, MAX_SPEED);
        let newth = th + newthdot * DT;
        self.state = [newth, newthdot];
        self.steps += 1;
        let mut info = self.info();
        self.write_obs(obs);
        if !newth.is_finite() {
            // Only reachable from an extreme set state; end, never panic.
            self.phase = Phase::Ended;
            info.fault = Some(crate::EnvFault::NonFiniteState);
            return Ok(Transition {
                reward: 0.0,
                terminated: false,
                truncated: true,
                info,
            });
        }
        Ok(Transition {
            reward: -costs,
            terminated: false,
            truncated: false,
            info,
        })
    }

    fn set_state(&mut self, state: &[f64]) -> Result<()> {
        let state: [f64; 2] = state.try_into().map_err(|_| EnvError::InvalidState {
            env: ID.to_string(),
            message: format!("expected 2 values [theta, theta_dot], got {}", state.len()),
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
        const DIM: u32 = 500;
        let mut frame = RgbFrame::filled(DIM, DIM, [255, 255, 255]);
        let centre = f64::from(DIM) / 2.0;
        let scale = f64::from(DIM) / 4.4;
        // Gymnasium draws the rod at angle θ + π/2 with θ = 0 pointing up.
        let (s, c) = self.state[0].sin_cos();
        let mut put = |x: f64, y: f64, rgb: [u8; 3]| {
            let (px, py) = (x.round(), y.round());
            if px >= 0.0 && py >= 0.0 && px < f64::from(DIM) && py < f64::from(DIM) {
                let i = (py as usize * DIM as usize + px as usize) * 3;
                frame.pixels[i..i + 3].copy_from_slice(&rgb);
            }
        };
        let rod_len = scale * L;
        let half_width = scale * 0.1;
        for along in 0..rod_len as i32 {
            for across in -(half_width as i32)..=half_width as i32 {
                let (a, b) = (f64::from(along), f64::from(across));
                // Screen y grows downwards; up is -y.
                put(
                    centre + a * s + b * c,
                    centre - a * c + b * s,
                    [204, 77, 77],
                );
            }
        }
        for dx in -5..=5 {
            for dy in -5..=5 {
                if dx * dx + dy * dy <= 25 {
                    put(centre + f64::from(dx), centre + f64::from(dy), [0, 0, 0]);
                }
            }
        }
        Some(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angle_normalize_matches_numpy_floored_modulo() {
        // Values computed with numpy: ((x + pi) % (2 pi)) - pi.
        assert_eq!(angle_normalize(0.0), 0.0);
        assert!((angle_normalize(3.0 * PI / 2.0) + PI / 2.0).abs() < 1e-12);
        assert!((angle_normalize(-3.0 * PI / 2.0) - PI / 2.0).abs() < 1e-12);
        assert_eq!(angle_normalize(-PI), -PI);
        assert!(angle_normalize(PI) < -PI + 1e-12);
    }

    #[test]
    fn pendulum_clips_torque_and_rejects_non_finite_actions() {
        let mut a = Pendulum::new();
        let mut b = Pendulum::new();
        a.reset(Some(3)).expect("reset");
        b.reset(Some(3)).expect("reset");
        let sa = a.step(Action::Continuous(&[5.0])).expect("step");
        let sb = b.step(Action::Continuous(&[2.0])).expect("step");
        assert_eq!(sa, sb, "a torque of 5 is clipped to 2");
        assert!(matches!(
            a.step(Action::Continuous(&[f32::NAN])),
            Err(EnvError::InvalidAction { .. })
        ));
        assert!(matches!(
            a.step(Action::Continuous(&[0.0, 0.0])),
            Err(EnvError::InvalidAction { .. })
        ));
        assert!(matches!(
            a.step(Action::Discrete(0)),
            Err(EnvError::InvalidAction { .. })
        ));
    }

    #[test]
    fn pendulum_hanging_still_costs_pi_squared() {
        let mut env = Pendulum::new();
        env.reset(Some(0)).expect("reset");
        env.set_state(&[PI, 0.0]).expect("state");
        let s = env.step(Action::Continuous(&[0.0])).expect("step");
        assert!((s.reward + PI * PI).abs() < 1e-9);
        assert!(s.obs[0] < -0.99);
        assert!(!s.terminated && !s.truncated);
    }
}
