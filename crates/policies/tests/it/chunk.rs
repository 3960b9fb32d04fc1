//! The chunked-policy learner on a CI-sized dishwashing scene: seeded
//! determinism and an exact resume from its checkpoint.

use std::collections::BTreeMap;

use economics::TaskConfig;
use policies::{
    ChunkConfig, ChunkHead, ChunkHeadConfig, ChunkModel, ChunkRun, ChunkShape, TaskChunkLearner,
};
use runs::{EpisodeSeries, Learner};

use crate::B;

/// The short dishwashing config with 5 s episodes (100 control steps) and
/// 2 evaluation episodes, and a small chunk head.
fn tiny_run() -> ChunkRun {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../configs/dishwashing_short.yaml"
    );
    let yaml = std::fs::read_to_string(path)
        .expect("the shipped config")
        .replace("  episode_seconds: 60.0", "  episode_seconds: 5.0")
        .replace("  eval_episodes: 10", "  eval_episodes: 2");
    let task = TaskConfig::from_yaml_str(&yaml, "tiny").expect("parses");
    let chunk = ChunkConfig {
        batch_size: 16,
        steps_per_iteration: 5,
        gradient_steps: 20,
        head: ChunkHeadConfig {
            hidden: vec![32, 32],
            ..ChunkHeadConfig::default()
        },
        ..ChunkConfig::default()
    };
    ChunkRun {
        task,
        yaml,
        env_id: "dishwashing".to_owned(),
        model_config: serde_json::to_value(&chunk.head).expect("serialises"),
        total_steps: chunk.gradient_steps,
        chunk,
        algorithm: "chunk".to_owned(),
    }
}

fn head(model: &serde_json::Value, shape: ChunkShape) -> policies::Result<ChunkHead<B>> {
    ChunkHead::new(
        ChunkHeadConfig::from_value(model)?,
        shape,
        &Default::default(),
        7,
    )
}

fn start() -> TaskChunkLearner<ChunkHead<B>> {
    let run = tiny_run();
    let model = run.model_config.clone();
    TaskChunkLearner::start(run, 2, 1.0, |shape| head(&model, shape)).expect("starts")
}

#[test]
fn a_chunk_run_is_deterministic_and_resumes_bit_for_bit() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut straight = start();
    assert_eq!(straight.demos().episodes, 2);
    assert_eq!(straight.demos().steps, 200, "two 100-step episodes");
    // Chunk end t + 15 ≤ 99 + 7 per episode: 92 windows each.
    assert_eq!(straight.windows(), 184);
    let mut losses = Vec::new();
    for _ in 0..2 {
        let it = straight.iterate(EpisodeSeries::default()).expect("trains");
        losses.push(it.scalars[0].value);
        assert_eq!(it.scalars[0].tag, "losses/chunk_loss");
    }
    let halfway = straight.checkpoint().expect("checkpoint");

    // The same seed, stopped after two iterations and resumed.
    let mut first = start();
    for _ in 0..2 {
        first.iterate(EpisodeSeries::default()).expect("trains");
    }
    let saved = first.checkpoint().expect("checkpoint");
    assert_eq!(saved.model, halfway.model, "same seed, same weights");
    assert_eq!(saved.meta.rng, halfway.meta.rng);
    first
        .save(dir.path(), "model_latest", &BTreeMap::new())
        .expect("saves");
    drop(first);
    assert!(dir.path().join(policies::DEMONSTRATIONS_FILE).exists());
    let mut resumed = TaskChunkLearner::resume(tiny_run(), &dir.path().join("model_latest"), head)
        .expect("resumes");
    assert_eq!(resumed.model().gradient_steps(), 10);

    for _ in 0..2 {
        let a = straight.iterate(EpisodeSeries::default()).expect("trains");
        let b = resumed.iterate(EpisodeSeries::default()).expect("trains");
        assert_eq!(a.index, b.index);
        assert_eq!(a.global_step, b.global_step);
        assert_eq!(a.scalars[0], b.scalars[0], "the same loss, bit for bit");
    }
    assert!(straight.is_done() && resumed.is_done());
    let (a, b) = (
        straight.checkpoint().expect("checkpoint"),
        resumed.checkpoint().expect("checkpoint"),
    );
    assert_eq!(a.model, b.model);
    assert_eq!(a.meta.rng, b.meta.rng);
    assert_eq!(a.meta.update, 4);
    assert_eq!(a.meta.global_step, 20);

    // Evaluations are on fixed seeds: the same policy scores the same.
    let at = runs::Iteration {
        global_step: 20,
        ..runs::Iteration::default()
    };
    let ea = straight.evaluate(&at).expect("evaluates");
    let eb = resumed.evaluate(&at).expect("evaluates");
    assert_eq!(ea, eb);
    assert_eq!(ea.summary.episodes, 2);
}

#[test]
fn a_resume_refuses_demonstrations_that_changed() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut learner = start();
    learner.iterate(EpisodeSeries::default()).expect("trains");
    learner
        .save(dir.path(), "model_latest", &BTreeMap::new())
        .expect("saves");
    let file = dir.path().join(policies::DEMONSTRATIONS_FILE);
    let mut bytes = std::fs::read(&file).expect("written");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&file, bytes).expect("rewritten");
    let err = TaskChunkLearner::resume(tiny_run(), &dir.path().join("model_latest"), head)
        .err()
        .expect("a changed file is refused");
    assert!(err.to_string().contains("checksum"), "{err}");
}
