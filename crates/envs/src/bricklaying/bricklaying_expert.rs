//! The scripted bricklaying expert: takes the nearest loose brick (top
//! layer first), butters it at the mortar board, turns it square to the
//! wall and lays it on the next target.
//!
//! `skill` in [0, 1]: at 1.0 full speed and precision; lower skill is
//! slower, wobbles, aims less precisely (bricks laid out of tolerance),
//! sometimes drops a brick, and lingers at the mortar board.

use rapier3d::math::Vector;

use super::BricklayingEnv;
use super::bricklaying_env::{BRICK_HALF, BrickStatus, half_turn_error};
use crate::pick_and_place::{ExpertSkill, ROUTE_CROSS, route, velocity_towards};

const GAIN: f32 = 5.0;
const YAW_GAIN: f32 = 4.0;
const SAFE_TIP_Y: f32 = 0.3;
const CLEAR_BOTTOM_Y: f32 = 0.25;
const AIM_TOL: f32 = 0.004;

/// A scripted bricklayer of a given skill.
#[derive(Debug, Clone)]
pub struct BricklayingExpert {
    worker: ExpertSkill,
}

impl BricklayingExpert {
    /// The action `[vx, vy, vz, yaw_rate, grip]` for the env's current state.
    pub fn act(&mut self, env: &BricklayingEnv) -> [f32; 5] {
        if let Some(pause) = self.worker.pause(env.gripper_closed()) {
            return pause;
        }
        let cfg = env.config();
        let max_speed = cfg.max_speed_m_s;
        let speed_cap = self.worker.speed_cap(max_speed);
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
                    (
                        route(tip, env.mortar_center() + offset, clear, ROUTE_CROSS),
                        1.0,
                    )
                } else if self
                    .worker
                    .lingering(cfg.mortar_time_s, cfg.control_period_s)
                {
                    (tip, 1.0)
                } else if let Some(t) = env.next_target() {
                    if !self.worker.plan.carry_decided {
                        self.worker.plan.carry_decided = true;
                        self.worker.plan.aim_offset = self.worker.aim_offset();
                        self.worker.decide_drop(0.06);
                    }
                    let yaw_err = half_turn_error(b.yaw);
                    yaw_rate = -YAW_GAIN * yaw_err;
                    let release = env.targets()[t]
                        + Vector::new(0.0, 0.003, 0.0)
                        + self.worker.plan.aim_offset;
                    let goal = release + offset;
                    let horizontal = Vector::new(goal.x - tip.x, 0.0, goal.z - tip.z).length();
                    let dropping = self
                        .worker
                        .plan
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
                    (
                        route(tip, goal, clear + (self.course_lift(env, t)), ROUTE_CROSS),
                        grip,
                    )
                } else {
                    (tip, 1.0)
                }
            }
            None => {
                self.worker.plan.end_carry();
                if env.gripper_closed() {
                    return [0.0, 0.0, 0.0, 0.0, -1.0];
                }
                let valid = |i: usize| {
                    bricks.get(i).is_some_and(|b| {
                        b.status == BrickStatus::Loose
                            && (b.position.z - env.targets()[0].z).abs() > 0.1
                    })
                };
                if !self.worker.plan.target.is_some_and(valid) {
                    // Top layer first, then the nearest.
                    self.worker.plan.target = bricks
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
                match self.worker.plan.target {
                    Some(i) => {
                        let goal = bricks[i].grasp_point();
                        if goal.distance(tip) < AIM_TOL * 1.5 {
                            (tip, 1.0)
                        } else {
                            (route(tip, goal, SAFE_TIP_Y, ROUTE_CROSS), -1.0)
                        }
                    }
                    None => (Vector::new(0.0, 0.4, 0.2), -1.0),
                }
            }
        };
        let v = velocity_towards(tip, goal, GAIN, speed_cap);
        let yaw_rate = yaw_rate / cfg.max_yaw_rate_rad_s;
        self.worker
            .action(v, max_speed, yaw_rate, grip, (goal - tip).length())
    }

    /// Extra clearance so a carried brick passes over the courses laid so far.
    fn course_lift(&self, env: &BricklayingEnv, target: usize) -> f32 {
        env.targets()[target].y
    }
}

crate::task::scripted_expert!(BricklayingExpert on BricklayingEnv);
