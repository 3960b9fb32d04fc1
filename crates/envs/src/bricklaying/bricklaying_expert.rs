//! The scripted bricklaying expert: takes the nearest loose brick (top
//! layer first), butters it at the mortar board, turns it square to the
//! wall and lays it on the next target.
//!
//! `skill` in [0, 1]: at 1.0 full speed and precision; lower skill is
//! slower, wobbles, aims less precisely (bricks laid out of tolerance),
//! sometimes drops a brick, and lingers at the mortar board.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapier3d::math::Vector;

use super::BricklayingEnv;
use super::bricklaying_env::{BRICK_HALF, BrickStatus, half_turn_error};
use crate::dishwashing::dishwashing_expert::route;

const GAIN: f32 = 5.0;
const YAW_GAIN: f32 = 4.0;
const SAFE_TIP_Y: f32 = 0.3;
const CLEAR_BOTTOM_Y: f32 = 0.25;
const AIM_TOL: f32 = 0.004;

/// A scripted bricklayer of a given skill.
#[derive(Debug, Clone)]
pub struct BricklayingExpert {
    skill: f32,
    rng: ChaCha8Rng,
    target: Option<usize>,
    aim_offset: Vector,
    drop_at: Option<f32>,
    carry_decided: bool,
    linger_steps: Option<u32>,
    pause_steps: u32,
}

impl BricklayingExpert {
    /// An expert with `skill` (clamped to [0, 1]) and its own random stream.
    pub fn new(skill: f32, seed: u64) -> Self {
        Self {
            skill: if skill.is_finite() {
                skill.clamp(0.0, 1.0)
            } else {
                1.0
            },
            rng: ChaCha8Rng::seed_from_u64(seed),
            target: None,
            aim_offset: Vector::ZERO,
            drop_at: None,
            carry_decided: false,
            linger_steps: None,
            pause_steps: 0,
        }
    }

    /// Forgets per-episode state; call after each reset.
    pub fn reset(&mut self) {
        self.target = None;
        self.aim_offset = Vector::ZERO;
        self.drop_at = None;
        self.carry_decided = false;
        self.linger_steps = None;
        self.pause_steps = 0;
    }

    fn gaussian(&mut self) -> f32 {
        let u1: f32 = self.rng.random_range(f32::EPSILON..1.0);
        let u2: f32 = self.rng.random_range(0.0..1.0);
        (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
    }

    /// The action `[vx, vy, vz, yaw_rate, grip]` for the env's current state.
    pub fn act(&mut self, env: &BricklayingEnv) -> [f32; 5] {
        let unskilled = 1.0 - self.skill;
        if self.pause_steps > 0 {
            self.pause_steps -= 1;
            let grip = if env.gripper_closed() { 1.0 } else { -1.0 };
            return [0.0, 0.0, 0.0, 0.0, grip];
        }
        if self.rng.random::<f32>() < 0.01 * unskilled {
            self.pause_steps = self.rng.random_range(10..40);
        }
        let cfg = env.config();
        let max_speed = cfg.max_speed_m_s;
        let speed_cap = max_speed * (0.45 + 0.55 * self.skill);
        let tip = env.tip_position();
        let bricks = env.bricks();
        let mut yaw_rate = 0.0;
        let (goal, grip) = match env.held_brick() {
            Some(h) => {
                let b = bricks[h];
                let offset = tip - b.position;
                let bottom = b.position.y - BRICK_HALF[1];
                let clear = CLEAR_BOTTOM_Y + BRICK_HALF[1] + offset.y;
                if !b.buttered {
                    (route(tip, env.mortar_center() + offset, clear), 1.0)
                } else if self.linger_steps.is_none() {
                    let extra = unskilled * 0.8 * cfg.mortar_time_s;
                    self.linger_steps = Some((extra / cfg.control_period_s) as u32);
                    (tip, 1.0)
                } else if self.linger_steps.is_some_and(|n| n > 0) {
                    self.linger_steps = self.linger_steps.map(|n| n - 1);
                    (tip, 1.0)
                } else if let Some(t) = env.next_target() {
                    if !self.carry_decided {
                        self.carry_decided = true;
                        let sd = 0.012 * unskilled;
                        self.aim_offset =
                            Vector::new(self.gaussian() * sd, 0.0, self.gaussian() * sd);
                        if self.rng.random::<f32>() < 0.06 * unskilled {
                            self.drop_at = Some(self.rng.random_range(0.0..1.0));
                        }
                    }
                    let yaw_err = half_turn_error(b.yaw);
                    yaw_rate = -YAW_GAIN * yaw_err;
                    let release = env.targets()[t] + Vector::new(0.0, 0.003, 0.0) + self.aim_offset;
                    let goal = release + offset;
                    let horizontal = Vector::new(goal.x - tip.x, 0.0, goal.z - tip.z).length();
                    let dropping = self
                        .drop_at
                        .is_some_and(|f| horizontal < 0.8 * f + 0.05 && bottom > 0.12);
                    let settled = horizontal < AIM_TOL
                        && (b.position.y - release.y).abs() < 0.003
                        && yaw_err.abs() < 0.3_f32.to_radians();
                    // Hold above until square to the wall, then descend.
                    let goal = if yaw_err.abs() > 1.0_f32.to_radians() && horizontal < 0.02 {
                        Vector::new(goal.x, goal.y.max(clear), goal.z)
                    } else {
                        goal
                    };
                    let grip = if settled || dropping { -1.0 } else { 1.0 };
                    (route(tip, goal, clear + (self.course_lift(env, t))), grip)
                } else {
                    (tip, 1.0)
                }
            }
            None => {
                self.drop_at = None;
                self.carry_decided = false;
                self.linger_steps = None;
                if env.gripper_closed() {
                    return [0.0, 0.0, 0.0, 0.0, -1.0];
                }
                let valid = |i: usize| {
                    bricks.get(i).is_some_and(|b| {
                        b.status == BrickStatus::Loose
                            && (b.position.z - env.targets()[0].z).abs() > 0.1
                    })
                };
                if !self.target.is_some_and(valid) {
                    // Top layer first, then the nearest.
                    self.target = bricks
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| valid(*i))
                        .min_by(|a, b| {
                            let ka = (
                                -(a.1.position.y * 100.0).round(),
                                a.1.grasp_point().distance(tip),
                            );
                            let kb = (
                                -(b.1.position.y * 100.0).round(),
                                b.1.grasp_point().distance(tip),
                            );
                            ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
                        })
                        .map(|(i, _)| i);
                }
                match self.target {
                    Some(i) => {
                        let goal = bricks[i].grasp_point();
                        if goal.distance(tip) < AIM_TOL * 1.5 {
                            (tip, 1.0)
                        } else {
                            (route(tip, goal, SAFE_TIP_Y), -1.0)
                        }
                    }
                    None => (Vector::new(0.0, 0.4, 0.2), -1.0),
                }
            }
        };
        let mut v = (goal - tip) * GAIN;
        if v.length() > speed_cap {
            v = v.normalize() * speed_cap;
        }
        let noise = 0.2 * unskilled * ((goal - tip).length() / 0.1).min(1.0);
        let mut a = [
            v.x / max_speed,
            v.y / max_speed,
            v.z / max_speed,
            yaw_rate / cfg.max_yaw_rate_rad_s,
            grip,
        ];
        if noise > 0.0 {
            a[0] += self.gaussian() * noise;
            a[2] += self.gaussian() * noise;
        }
        for x in &mut a {
            *x = x.clamp(-1.0, 1.0);
        }
        a
    }

    /// Extra clearance so a carried brick passes over the courses laid so far.
    fn course_lift(&self, env: &BricklayingEnv, target: usize) -> f32 {
        env.targets()[target].y
    }
}

impl crate::ScriptedExpert for BricklayingExpert {
    fn task_id(&self) -> &'static str {
        super::BRICKLAYING_ID
    }

    fn reset(&mut self) {
        BricklayingExpert::reset(self);
    }

    fn act(&mut self, env: &dyn crate::Env, action: &mut [f32]) -> crate::Result<()> {
        crate::task::act_on::<BricklayingEnv, 5>(env, action, "BricklayingExpert::act", |task| {
            BricklayingExpert::act(self, task)
        })
    }
}
