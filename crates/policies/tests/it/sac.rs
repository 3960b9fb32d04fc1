//! SAC: learning Pendulum, the same run from the same seed, a resumed run
//! equal to the uninterrupted one, refusals.

use std::collections::BTreeMap;

use policies::{PolicyError, Sac, SacConfig, SacIteration};

use crate::B;

/// A short Pendulum run: 600 steps, learning from step 100 on batches of
/// 32, small networks, iterations of 150 steps (so checkpoints fall
/// mid-episode: Pendulum-v1 episodes are 200 steps).
fn short(num_envs: usize) -> SacConfig {
    SacConfig {
        total_timesteps: 600,
        num_envs,
        learning_starts: 100,
        batch_size: 32,
        d_hidden: 32,
        steps_per_iteration: 150,
        ..SacConfig::default()
    }
}

fn run_all(sac: &mut Sac<B>) -> Vec<SacIteration> {
    let mut out = Vec::new();
    while !sac.is_done() {
        out.push(sac.train_iteration().expect("iteration"));
    }
    out
}

/// Reports without their wall-clock speed.
fn timeless(mut reports: Vec<SacIteration>) -> Vec<SacIteration> {
    for r in &mut reports {
        r.sps = 0.0;
    }
    reports
}

#[test]
fn sac_with_the_same_seed_gives_the_same_run() {
    let device = Default::default();
    let mut a = Sac::<B>::new(short(1), "Pendulum-v1", 7, &device).expect("run");
    let mut b = Sac::<B>::new(short(1), "Pendulum-v1", 7, &device).expect("run");
    let (ra, rb) = (timeless(run_all(&mut a)), timeless(run_all(&mut b)));
    assert_eq!(ra, rb);
    assert!(
        ra.last()
            .is_some_and(|r| r.gradient_steps > 0 && r.actor_loss.is_some())
    );
    assert_eq!(a.parameters(), b.parameters());
    assert_eq!(a.replay_buffer(), b.replay_buffer());

    let mut c = Sac::<B>::new(short(1), "Pendulum-v1", 8, &device).expect("run");
    run_all(&mut c);
    assert_ne!(a.parameters(), c.parameters());
}

#[test]
fn resumed_sac_run_equals_the_uninterrupted_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let device = Default::default();
    for num_envs in [1, 2] {
        let mut whole = Sac::<B>::new(short(num_envs), "Pendulum-v1", 3, &device).expect("run");
        let whole_reports = timeless(run_all(&mut whole));

        let mut first = Sac::<B>::new(short(num_envs), "Pendulum-v1", 3, &device).expect("run");
        first.train_iteration().expect("iteration 1");
        first.train_iteration().expect("iteration 2");
        let name = format!("model_latest_{num_envs}");
        first
            .save(dir.path(), &name, &BTreeMap::new())
            .expect("saved");
        drop(first);

        let mut resumed = Sac::<B>::resume(&dir.path().join(&name), &device).expect("resumes");
        assert_eq!(resumed.global_step(), 300);
        assert_eq!(resumed.iteration(), 2);
        let rest = timeless(run_all(&mut resumed));
        assert_eq!(rest, whole_reports[2..], "{num_envs} copies");
        assert_eq!(resumed.parameters(), whole.parameters());
        assert_eq!(resumed.replay_buffer(), whole.replay_buffer());
        assert_eq!(resumed.alpha(), whole.alpha());
    }
}

#[test]
fn a_truncated_replay_file_or_another_algorithms_checkpoint_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let device = Default::default();
    let mut sac = Sac::<B>::new(
        SacConfig {
            total_timesteps: 150,
            ..short(1)
        },
        "Pendulum-v1",
        1,
        &device,
    )
    .expect("run");
    sac.train_iteration().expect("iteration");
    sac.save(dir.path(), "model_latest", &BTreeMap::new())
        .expect("saved");
    let replay = std::fs::read_dir(dir.path())
        .expect("listing")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("-replay.safetensors"))
        .expect("a replay file");
    let bytes = std::fs::read(&replay).expect("readable");
    std::fs::write(&replay, &bytes[..bytes.len() / 2]).expect("truncated");
    let err = Sac::<B>::resume(&dir.path().join("model_latest"), &device).expect_err("truncated");
    assert!(
        matches!(err, PolicyError::CorruptCheckpoint { .. }),
        "{err}"
    );

    let ppo = policies::Ppo::<B>::new(
        policies::PpoConfig {
            total_timesteps: 512,
            num_envs: 1,
            num_steps: 256,
            ..policies::PpoConfig::default()
        },
        "Pendulum-v1",
        1,
        &device,
    )
    .expect("ppo");
    ppo.save(dir.path(), "ppo").expect("saved");
    let err = Sac::<B>::resume(&dir.path().join("ppo"), &device).expect_err("a PPO checkpoint");
    assert!(err.to_string().contains("not `sac`"), "{err}");
}

#[test]
fn sac_refuses_a_discrete_action_space() {
    let err = Sac::<B>::new(short(1), "CartPole-v1", 1, &Default::default()).expect_err("discrete");
    assert!(matches!(err, PolicyError::UnsupportedSpace(_)), "{err}");
    assert!(err.to_string().contains("Discrete(2)"), "{err}");
}
