//! `vp env list` and `vp env replay`, run as the real binary.

use crate::cli::vp;
use std::process::Output;

fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn env_list_names_the_classic_control_envs() {
    let out = vp(&["env", "list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout_of(&out);
    assert!(
        text.contains("CartPole-v1") && text.contains("Pendulum-v1"),
        "{text}"
    );
    let json = vp(&["env", "list", "--json"]);
    let ids: Vec<String> = stdout_of(&json)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("json line")["id"]
                .as_str()
                .expect("id")
                .to_string()
        })
        .collect();
    assert!(ids.iter().any(|i| i == "CartPole-v1"));
}

#[test]
fn env_replay_prints_one_json_line_per_step_matching_the_library() {
    let out = vp(&[
        "env",
        "replay",
        "--env",
        "CartPole-v1",
        "--state",
        "[0.01,0.0,0.02,-0.03]",
        "--actions",
        "[1,0,1,1]",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = stdout_of(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 4);

    let mut env = envs::make("CartPole-v1").expect("make");
    env.reset(Some(0)).expect("reset");
    env.set_state(&[0.01, 0.0, 0.02, -0.03]).expect("state");
    for (line, a) in lines.iter().zip([1, 0, 1, 1]) {
        let step = env.step(envs::Action::Discrete(a)).expect("step");
        let obs: Vec<f32> = line["obs"]
            .as_array()
            .expect("obs")
            .iter()
            .map(|v| v.as_f64().expect("number") as f32)
            .collect();
        assert_eq!(obs, step.obs);
        assert_eq!(line["reward"].as_f64(), Some(step.reward));
        assert_eq!(line["terminated"].as_bool(), Some(false));
    }
}

#[test]
fn env_replay_of_pendulum_accepts_scalar_and_array_actions() {
    let out = vp(&[
        "env",
        "replay",
        "--env",
        "Pendulum-v1",
        "--state",
        "[3.0, 0.5]",
        "--actions",
        "[0.5, [-1.0], 3]",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout_of(&out).lines().count(), 3);
}

#[test]
fn env_replay_reports_bad_input_as_errors() {
    let unknown = vp(&[
        "env",
        "replay",
        "--env",
        "CartPole-v9",
        "--state",
        "[0,0,0,0]",
        "--actions",
        "[1]",
    ]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown environment"));
    let short = vp(&[
        "env",
        "replay",
        "--env",
        "CartPole-v1",
        "--state",
        "[0,0,0]",
        "--actions",
        "[1]",
    ]);
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("expected 4 values"));
    let bad_action = vp(&[
        "env",
        "replay",
        "--env",
        "CartPole-v1",
        "--state",
        "[0,0,0,0]",
        "--actions",
        "[2]",
    ]);
    assert!(!bad_action.status.success());
    assert!(String::from_utf8_lossy(&bad_action.stderr).contains("invalid action"));
    let nan = vp(&[
        "env",
        "replay",
        "--env",
        "Pendulum-v1",
        "--state",
        "[0,0]",
        "--actions",
        "[\"x\"]",
    ]);
    assert!(!nan.status.success());
}

#[test]
fn env_replay_stops_at_the_end_of_the_episode_and_says_how_many_actions_were_left() {
    // A pole already past 12° with a fast fall: the episode ends on step 1.
    let out = vp(&[
        "env",
        "replay",
        "--env",
        "CartPole-v1",
        "--state",
        "[0,0,0.2,2]",
        "--actions",
        "[1,1,1,1,1]",
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<serde_json::Value> = stdout_of(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let last = lines.last().expect("at least one step");
    assert_eq!(last["terminated"], true);
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|l| l["terminated"] == false)
    );
    let left = 5 - lines.len();
    assert!(left > 0);
    assert!(
        stderr.contains(&format!("{left} action(s) left unreplayed")),
        "{stderr}"
    );
}
