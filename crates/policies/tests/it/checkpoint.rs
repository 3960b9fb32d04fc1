//! Checkpoints: resume continues the run; truncated, corrupt and
//! mismatched checkpoints are refused.

use std::fs;

use policies::{Checkpoint, PolicyError, Ppo, PpoConfig};

use crate::B;

fn small_pendulum() -> PpoConfig {
    PpoConfig {
        total_timesteps: 8 * 256,
        num_envs: 2,
        num_steps: 128,
        normalize_observation: true,
        normalize_reward: true,
        ..PpoConfig::default()
    }
}

#[test]
fn resumed_run_continues_step_normaliser_and_schedule() {
    let dir = tempfile::tempdir().expect("temp dir");
    let device = Default::default();
    let mut run = Ppo::<B>::new(small_pendulum(), "Pendulum-v1", 11, &device).expect("valid run");
    run.step_update().expect("update 1");
    run.step_update().expect("update 2");
    let path = run.save(dir.path(), "model_latest").expect("saved");
    assert!(path.ends_with("model_latest.json"));

    let mut resumed = Ppo::<B>::resume(&dir.path().join("model_latest"), &device).expect("resumes");
    assert_eq!(resumed.global_step(), run.global_step());
    assert_eq!(resumed.update_count(), 2);
    assert_eq!(
        resumed.venv().normalization_state(),
        run.venv().normalization_state()
    );
    assert_eq!(
        policies::export_params(resumed.model()),
        policies::export_params(run.model())
    );
    let next = resumed.step_update().expect("update 3");
    let expected_lr = run.config().learning_rate_at(3);
    assert_eq!(next.update, 3);
    assert_eq!(next.learning_rate, expected_lr);
    assert_eq!(next.global_step, run.global_step() + 256);
    assert!(expected_lr < run.config().learning_rate_at(2));

    // Saving again replaces the weights file and removes the old one.
    resumed
        .save(dir.path(), "model_latest")
        .expect("saved again");
    let weights: Vec<_> = fs::read_dir(dir.path())
        .expect("listing")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".safetensors"))
        .collect();
    assert_eq!(weights.len(), 1);
}

#[test]
fn truncated_checkpoint_is_rejected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let device = Default::default();
    let run = Ppo::<B>::new(small_pendulum(), "Pendulum-v1", 1, &device).expect("valid run");
    run.save(dir.path(), "model_latest").expect("saved");
    let ckpt = Checkpoint::load(&dir.path().join("model_latest")).expect("intact");
    let weights = dir.path().join(&ckpt.meta.weights_file);
    let bytes = fs::read(&weights).expect("read");
    fs::write(&weights, &bytes[..bytes.len() / 2]).expect("truncate");
    match Ppo::<B>::resume(&dir.path().join("model_latest"), &device) {
        Err(PolicyError::CorruptCheckpoint { reason, .. }) => {
            assert!(reason.contains("truncated"), "{reason}")
        }
        other => panic!("expected a corrupt-checkpoint error, got {other:?}"),
    }
}

#[test]
fn corrupt_weights_or_sidecar_are_rejected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let device = Default::default();
    let run = Ppo::<B>::new(small_pendulum(), "Pendulum-v1", 1, &device).expect("valid run");
    run.save(dir.path(), "model_latest").expect("saved");
    let ckpt = Checkpoint::load(&dir.path().join("model_latest")).expect("intact");
    let weights = dir.path().join(&ckpt.meta.weights_file);
    let mut bytes = fs::read(&weights).expect("read");
    let last = bytes.len() - 3;
    bytes[last] ^= 0x5a;
    fs::write(&weights, &bytes).expect("flip a byte");
    assert!(matches!(
        Checkpoint::load(&dir.path().join("model_latest")),
        Err(PolicyError::CorruptCheckpoint { .. })
    ));

    let sidecar = dir.path().join("model_latest.json");
    let text = fs::read_to_string(&sidecar).expect("read");
    fs::write(&sidecar, &text[..text.len() / 2]).expect("truncate");
    assert!(matches!(
        Checkpoint::load(&dir.path().join("model_latest")),
        Err(PolicyError::CorruptCheckpoint { .. })
    ));
}

#[test]
fn checkpoint_of_another_env_is_rejected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let device = Default::default();
    let run = Ppo::<B>::new(small_pendulum(), "Pendulum-v1", 1, &device).expect("valid run");
    let mut ckpt = run.checkpoint();
    ckpt.meta.env_id = "CartPole-v1".to_owned();
    ckpt.save(dir.path(), "model_best").expect("saved");
    match Ppo::<B>::resume(&dir.path().join("model_best.json"), &device) {
        Err(PolicyError::CheckpointMismatch { reason, .. }) => {
            assert!(
                reason.contains("Pendulum-v1") || reason.contains("space"),
                "{reason}"
            )
        }
        other => panic!("expected a mismatch error, got {other:?}"),
    }
    // A network of another shape is refused too.
    let mut ckpt = run.checkpoint();
    ckpt.model[0].shape = vec![1, 1];
    ckpt.model[0].data = vec![0.0];
    ckpt.save(dir.path(), "model_odd").expect("saved");
    assert!(matches!(
        Ppo::<B>::resume(&dir.path().join("model_odd"), &device),
        Err(PolicyError::CheckpointMismatch { .. })
    ));
}
