//! Replays trajectories recorded from Gymnasium 1.x (fixtures written by
//! `tests/fixtures/gen_gymnasium_fixtures.py`) and demands exact equality:
//! every f32 observation, every reward, both flags, at every step.

use envs::{Action, Env};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Fixture {
    trajectories: Vec<Trajectory>,
}

#[derive(Debug, Deserialize)]
struct Trajectory {
    env_id: String,
    seed: u64,
    policy: String,
    initial_state: Vec<f64>,
    actions: Vec<f64>,
    obs: Vec<Vec<f64>>,
    rewards: Vec<f64>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
}

fn load(name: &str) -> Vec<Trajectory> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture file is committed");
    let fixture: Fixture = serde_json::from_str(&text).expect("fixture parses");
    fixture.trajectories
}

/// Replays one trajectory through `envs::make` (time limit included) and
/// returns the number of steps compared.
fn replay(t: &Trajectory) -> usize {
    let mut env = envs::make(&t.env_id).expect("registered");
    env.reset(Some(t.seed)).expect("reset");
    env.set_state(&t.initial_state).expect("state");
    let n = t.actions.len();
    assert!(
        n > 0
            && t.obs.len() == n
            && t.rewards.len() == n
            && t.terminated.len() == n
            && t.truncated.len() == n
    );
    for k in 0..n {
        let torque = [t.actions[k] as f32];
        let action = match env.action_space() {
            envs::Space::Discrete { .. } => Action::Discrete(t.actions[k] as usize),
            envs::Space::Box(_) => Action::Continuous(&torque),
        };
        let step = env
            .step(action)
            .unwrap_or_else(|e| panic!("{} seed {} step {k}: {e}", t.env_id, t.seed));
        let expected: Vec<f32> = t.obs[k].iter().map(|v| *v as f32).collect();
        let ctx = format!("{} seed {} ({}) step {k}", t.env_id, t.seed, t.policy);
        assert_eq!(step.obs, expected, "{ctx}: observation");
        assert_eq!(step.reward, t.rewards[k], "{ctx}: reward");
        assert_eq!(step.terminated, t.terminated[k], "{ctx}: terminated");
        assert_eq!(step.truncated, t.truncated[k], "{ctx}: truncated");
    }
    n
}

#[test]
fn fixture_floats_round_trip_exactly_through_f32() {
    for t in load("cartpole_v1.json")
        .iter()
        .chain(&load("pendulum_v1.json"))
    {
        for row in &t.obs {
            for v in row {
                assert_eq!(f64::from(*v as f32), *v, "{v} is not an f32 value");
            }
        }
    }
}

#[test]
fn cart_pole_matches_gymnasium_step_for_step_on_recorded_trajectories() {
    let trajs = load("cartpole_v1.json");
    assert!(trajs.len() >= 20);
    let steps: usize = trajs.iter().map(replay).sum();
    assert!(
        trajs.iter().any(|t| t.truncated.last() == Some(&true)),
        "some reach the 500-step limit"
    );
    assert!(
        trajs.iter().any(|t| t.terminated.last() == Some(&true)),
        "some fall"
    );
    assert!(steps > 2000);
}

#[test]
fn pendulum_matches_gymnasium_step_for_step_on_recorded_trajectories() {
    let trajs = load("pendulum_v1.json");
    assert!(trajs.len() >= 20);
    trajs.iter().for_each(|t| {
        replay(t);
    });
    assert!(
        trajs.iter().any(|t| t.truncated.last() == Some(&true)),
        "some reach the 200-step limit"
    );
    assert!(
        trajs
            .iter()
            .any(|t| t.actions.iter().any(|a| a.abs() > 2.0)),
        "torque clipping is exercised"
    );
    assert!(
        trajs
            .iter()
            .any(|t| t.obs.iter().any(|o| o[2].abs() == 8.0)),
        "speed clipping is exercised"
    );
}
