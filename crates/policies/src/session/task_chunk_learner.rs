//! `TaskChunkLearner`: a chunked policy ([`ChunkModel`]: the chunk head or
//! the diffusion policy) learnt offline from a labour task's scripted
//! expert, as a session learner.
//!
//! [`TaskChunkLearner::start`] records the expert's episodes (seeded
//! `seed`, `seed + 1`, …) before any run folder exists, fits the
//! normalisers and builds the model. Each session iteration is a block of
//! `chunk.steps_per_iteration` gradient steps on windows drawn uniformly
//! with the run's RNG; the global step is the gradient step. Evaluations
//! run the receding-horizon (or temporally ensembled) executor on the
//! task's economics, on the same seeds every time. A checkpoint holds the
//! model's whole state, the normalisers and the RNG; the demonstrations go
//! beside it once ([`crate::chunk_policy`]), so
//! [`TaskChunkLearner::resume`] continues exactly where the run stopped.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use economics::TaskConfig;
use envs::{NormalizationState, Space, economic_venv};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use runs::{EpisodeSeries, EvalSummary, Evaluation, Iteration, Learner, Scalar};

use crate::chunk_policy::{blob_id, demonstrations_blob, save_dataset_file, save_demonstrations};
use crate::{
    Checkpoint, CheckpointMeta, CheckpointState, ChunkConfig, ChunkDataset, ChunkModel,
    ChunkPolicy, ChunkShape, ChunkWindow, DemoRecord, InitRecord, MinMaxNormalizer, PolicyError,
    Result, RngState, RoundRecord, SegmentPrices, SelfImitationConfig, collect_round,
    evaluate_chunk_episodes, load_demonstrations, load_rounds, record_expert_episodes,
    rollout_seed, round_file,
};

/// What a chunk run is, whichever model it trains.
#[derive(Debug, Clone)]
pub struct ChunkRun {
    /// The resolved task config.
    pub task: TaskConfig,
    /// Its text (the envs crate reads its `env:` section).
    pub yaml: String,
    /// Registered env id of the task.
    pub env_id: String,
    /// Windows, batches and execution (`chunk:`).
    pub chunk: ChunkConfig,
    /// `chunk` or `diffusion` (the checkpoint's algorithm).
    pub algorithm: String,
    /// The model's own config, recorded in checkpoints.
    pub model_config: serde_json::Value,
    /// Gradient steps to train for.
    pub total_steps: u64,
}

/// A chunked policy learnt offline from expert episodes, driven by a
/// session (see the module docs).
pub struct TaskChunkLearner<M: ChunkModel> {
    model: M,
    run: ChunkRun,
    /// Raw demonstrations, as saved beside the checkpoints.
    raw: ChunkDataset,
    /// The same, normalised: what windows are cut from.
    data: ChunkDataset,
    windows: Vec<ChunkWindow>,
    shape: ChunkShape,
    obs_norm: MinMaxNormalizer,
    act_norm: MinMaxNormalizer,
    demos: DemoRecord,
    demos_saved: Cell<bool>,
    /// Self-imitation rounds' kept segments, raw, in round order.
    rounds: Vec<ChunkDataset>,
    /// Rounds whose files are written.
    rounds_saved: Cell<usize>,
    init_from: Option<InitRecord>,
    observation_space: Space,
    action_space: Space,
    rng: ChaCha8Rng,
    iteration: u64,
    last_loss: f64,
}

impl<M: ChunkModel> TaskChunkLearner<M> {
    /// Records `demo_episodes` episodes of the task's scripted expert at
    /// `demo_skill`, fits the normalisers and builds the model with
    /// `build(shape)`.
    pub fn start(
        run: ChunkRun,
        demo_episodes: u64,
        demo_skill: f64,
        build: impl FnOnce(ChunkShape) -> Result<M>,
    ) -> Result<Self> {
        if demo_episodes == 0 {
            return Err(PolicyError::config(
                "demo_episodes",
                "must be at least 1 (a chunked policy learns from demonstrations)",
            ));
        }
        run.chunk.validate()?;
        let seed = run.task.training.seed;
        let mut env = envs::task_env_from_yaml(&run.env_id, &run.yaml, "config.yaml")?;
        let mut expert = envs::make_expert(&run.env_id, demo_skill as f32, seed)?;
        let (raw, infos) = record_expert_episodes(&mut env, expert.as_mut(), demo_episodes, seed)?;
        let obs_norm = MinMaxNormalizer::fit(&raw.obs, raw.d_obs)?
            .ignoring(&run.chunk.ignore_observations, "chunk.ignore_observations")?;
        let act_norm = MinMaxNormalizer::fit(&raw.actions, raw.d_action)?;
        let (file_len, file_fnv1a64) = blob_id(&demonstrations_blob(&raw)?);
        let demos = DemoRecord {
            episodes: demo_episodes,
            skill: demo_skill,
            steps: raw.len(),
            units: infos.iter().map(|i| i.units_completed).collect(),
            file_len,
            file_fnv1a64,
            self_imitation: Vec::new(),
        };
        let shape = run.chunk.shape(raw.d_obs, raw.d_action);
        let model = build(shape)?;
        Self::assemble(
            run,
            model,
            (raw, Vec::new()),
            (obs_norm, act_norm),
            demos,
            (env.observation_space().clone(), env.action_space().clone()),
            ChaCha8Rng::seed_from_u64(seed),
            0,
        )
    }

    /// Continues the run whose `model_latest` is at `latest`: the model
    /// built by `build(model_config, shape)` takes the checkpoint's state,
    /// and the normalisers, RNG, iteration count and demonstrations (read
    /// beside it and checked) are the checkpoint's. `run.total_steps`
    /// may raise the budget; the chunk settings are the checkpoint's.
    pub fn resume(
        mut run: ChunkRun,
        latest: &Path,
        build: impl FnOnce(&serde_json::Value, ChunkShape) -> Result<M>,
    ) -> Result<Self> {
        let (ckpt, env) = open_checkpoint(&run, latest, "trains")?;
        let mismatch = |reason: String| PolicyError::CheckpointMismatch {
            path: latest.to_path_buf(),
            reason,
        };
        let (model, policy) = ChunkPolicy::load_model(&ckpt, latest, build)?;
        let rng = ckpt
            .meta
            .rng
            .as_ref()
            .ok_or_else(|| mismatch("no RNG state".to_owned()))?
            .restore()?;
        let dir = latest.parent().unwrap_or(Path::new("."));
        let raw = load_demonstrations(dir, &policy.demonstrations)?;
        let rounds = load_rounds(
            dir,
            &policy.demonstrations,
            (policy.shape.obs_dim, policy.shape.action_dim),
        )?;
        if (raw.d_obs, raw.d_action) != (policy.shape.obs_dim, policy.shape.action_dim) {
            return Err(mismatch(
                "the demonstrations do not fit the model's sizes".to_owned(),
            ));
        }
        run.chunk = policy.chunk.clone();
        run.model_config = policy.model.clone();
        run.total_steps = run.total_steps.max(policy.total_steps);
        let n_rounds = rounds.len();
        let mut learner = Self::assemble(
            run,
            model,
            (raw, rounds),
            (policy.obs_norm, policy.act_norm),
            policy.demonstrations,
            (env.observation_space().clone(), env.action_space().clone()),
            rng,
            ckpt.meta.update,
        )?;
        learner.init_from = policy.init_from;
        learner.demos_saved.set(true);
        learner.rounds_saved.set(n_rounds);
        Ok(learner)
    }

    /// Fine-tunes the chunked clone at `init_from` (`vp train --init-from`):
    /// a model built by `build(run.model_config, shape)` (a fresh optimizer
    /// and schedule from this run's config) takes the clone's weights; the
    /// normalisers and demonstrations are the clone's, and this run's
    /// `chunk.self_imitation` adds rounds of the policy's own best
    /// segments. The clone's windows, horizon and ignored observations
    /// must be this run's.
    pub fn fine_tune(
        run: ChunkRun,
        init_from: &Path,
        build: impl FnOnce(&serde_json::Value, ChunkShape) -> Result<M>,
    ) -> Result<Self> {
        run.chunk.validate()?;
        let (ckpt, env) = open_checkpoint(&run, init_from, "fine-tunes")?;
        let mismatch = |reason: String| PolicyError::CheckpointMismatch {
            path: init_from.to_path_buf(),
            reason,
        };
        let clone = ChunkPolicy::from_checkpoint(&ckpt, init_from)?;
        if !clone.chunk.same_model_inputs(&run.chunk) {
            return Err(mismatch(format!(
                "the clone reads windows of {} observations (ignoring {:?}) and predicts {} \
                 actions executing {}; this run's chunk: section says {}, {:?}, {}, {}",
                clone.chunk.obs_window,
                clone.chunk.ignore_observations,
                clone.chunk.horizon,
                clone.chunk.action_steps,
                run.chunk.obs_window,
                run.chunk.ignore_observations,
                run.chunk.horizon,
                run.chunk.action_steps
            )));
        }
        if !clone.demonstrations.self_imitation.is_empty() {
            return Err(mismatch(
                "it is itself a fine-tune; start from the clone learnt from the demonstrations \
                 (or --resume this run)"
                    .to_owned(),
            ));
        }
        let dir = init_from.parent().unwrap_or(Path::new("."));
        let raw = load_demonstrations(dir, &clone.demonstrations)?;
        let mut model = build(&run.model_config, clone.shape)?;
        model
            .import_weights(&ckpt.model)
            .map_err(|e| mismatch(e.to_string()))?;
        let seed = run.task.training.seed;
        let mut learner = Self::assemble(
            run,
            model,
            (raw, Vec::new()),
            (clone.obs_norm, clone.act_norm),
            clone.demonstrations,
            (env.observation_space().clone(), env.action_space().clone()),
            ChaCha8Rng::seed_from_u64(seed),
            0,
        )?;
        learner.init_from = Some(InitRecord {
            path: init_from.display().to_string(),
            weights_fnv1a64: ckpt.meta.weights_fnv1a64.clone(),
        });
        Ok(learner)
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        run: ChunkRun,
        model: M,
        (raw, rounds): (ChunkDataset, Vec<ChunkDataset>),
        (obs_norm, act_norm): (MinMaxNormalizer, MinMaxNormalizer),
        demos: DemoRecord,
        (observation_space, action_space): (Space, Space),
        rng: ChaCha8Rng,
        iteration: u64,
    ) -> Result<Self> {
        let shape = model.shape();
        if shape != run.chunk.shape(raw.d_obs, raw.d_action) {
            return Err(PolicyError::ParamMismatch(format!(
                "the model is built for {shape:?}, the chunk config and data give {:?}",
                run.chunk.shape(raw.d_obs, raw.d_action)
            )));
        }
        let mut data = raw.clone();
        obs_norm.normalize(&mut data.obs);
        act_norm.normalize(&mut data.actions);
        for round in &rounds {
            append_normalized(&mut data, round, (&obs_norm, &act_norm))?;
        }
        let windows = data.windows(&shape, run.chunk.pad_after());
        if windows.is_empty() {
            return Err(PolicyError::Dataset(format!(
                "no episode is long enough for a chunk of {} steps",
                shape.horizon
            )));
        }
        Ok(Self {
            model,
            run,
            raw,
            data,
            windows,
            shape,
            obs_norm,
            act_norm,
            demos,
            demos_saved: Cell::new(false),
            rounds,
            rounds_saved: Cell::new(0),
            init_from: None,
            observation_space,
            action_space,
            rng,
            iteration,
            last_loss: f64::NAN,
        })
    }

    /// The model.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The demonstrations learnt from.
    pub fn demos(&self) -> &DemoRecord {
        &self.demos
    }

    /// Training windows (one per usable demonstration step).
    pub fn windows(&self) -> usize {
        self.windows.len()
    }

    /// The run's budget of gradient steps.
    pub fn total_steps(&self) -> u64 {
        self.run.total_steps
    }

    /// What the checkpoint's sidecar records beside the tensors.
    pub fn policy(&self) -> ChunkPolicy {
        ChunkPolicy {
            chunk: self.run.chunk.clone(),
            model: self.run.model_config.clone(),
            shape: self.shape,
            obs_norm: self.obs_norm.clone(),
            act_norm: self.act_norm.clone(),
            total_steps: self.run.total_steps,
            demonstrations: self.demos.clone(),
            init_from: self.init_from.clone(),
        }
    }

    /// The current state as a checkpoint (the session adds its metrics).
    pub fn checkpoint(&self) -> Result<Checkpoint> {
        let mut metrics = BTreeMap::new();
        if self.last_loss.is_finite() {
            metrics.insert("losses/chunk_loss".to_owned(), self.last_loss);
        }
        let steps = self.model.gradient_steps();
        Ok(Checkpoint {
            meta: CheckpointMeta::new(CheckpointState {
                algorithm: self.run.algorithm.clone(),
                config: serde_json::to_value(self.policy())
                    .map_err(|e| PolicyError::config("chunk", e.to_string()))?,
                env_id: self.run.env_id.clone(),
                observation_space: self.observation_space.clone(),
                action_space: self.action_space.clone(),
                network: None,
                global_step: steps,
                update: self.iteration,
                normalization: NormalizationState::default(),
                optimizer_step: steps,
                rng: Some(RngState::capture(&self.rng)),
                metrics,
            }),
            model: self.model.export_state(),
            optimizer: Vec::new(),
        })
    }

    /// Plays self-imitation round `round` with the current model and adds
    /// its kept segments to the data; returns its scalars and the
    /// episodes' counters.
    fn self_imitation_round(
        &mut self,
        si: &SelfImitationConfig,
        round: u64,
    ) -> Result<(Vec<Scalar>, Vec<economics::EpisodeOutcome>)> {
        let episodes = si.episodes_per_round;
        let copies = episodes.min(crate::MAX_EVAL_COPIES);
        let mut venv = economic_venv(
            &self.run.task,
            &self.run.env_id,
            &self.run.yaml,
            copies,
            0.0,
        )?;
        let mut executor = self.policy().executor(copies)?;
        let task = &self.run.task.task;
        let prices = SegmentPrices {
            price_per_unit: task.price_per_unit,
            damage_cost: task.damage_cost,
            human_wage: task.human_wage,
        };
        let seed = rollout_seed(self.run.task.training.seed, round, episodes);
        let outcome = collect_round(
            &self.model,
            &mut executor,
            &mut venv,
            episodes,
            seed,
            si.noise_std,
            &self.act_norm,
            &mut self.rng,
            &prices,
            si.keep_fraction,
        )?;
        let kept = outcome.kept;
        let (file_len, file_fnv1a64) = if kept.is_empty() {
            (0, String::new())
        } else {
            blob_id(&demonstrations_blob(&kept)?)
        };
        if !kept.is_empty() {
            append_normalized(&mut self.data, &kept, (&self.obs_norm, &self.act_norm))?;
            self.windows = self.data.windows(&self.shape, self.run.chunk.pad_after());
        }
        self.demos.self_imitation.push(RoundRecord {
            round,
            seed,
            episodes,
            successful: outcome.successful,
            failed: outcome.failed,
            kept: kept.episodes(),
            steps: kept.len(),
            file_len,
            file_fnv1a64,
        });
        self.rounds.push(kept);
        let step = self.model.gradient_steps();
        let steps = self
            .demos
            .self_imitation
            .iter()
            .map(|r| r.steps)
            .sum::<usize>();
        let scalars = vec![
            Scalar::new(
                "self_imitation/successful_segments",
                step,
                outcome.successful as f64,
            ),
            Scalar::new(
                "self_imitation/failed_segments",
                step,
                outcome.failed as f64,
            ),
            Scalar::new(
                "self_imitation/kept_segments",
                step,
                self.demos.self_imitation.last().map_or(0, |r| r.kept) as f64,
            ),
            Scalar::new("self_imitation/steps_in_data", step, steps as f64),
        ];
        Ok((scalars, outcome.episodes))
    }

    /// One gradient step on `batch` windows drawn uniformly.
    fn gradient_step(&mut self, obs: &mut [f32], actions: &mut [f32]) -> Result<f32> {
        let s = self.shape;
        let batch = self.run.chunk.batch_size;
        for (o, a) in obs
            .chunks_exact_mut(s.window_len())
            .zip(actions.chunks_exact_mut(s.chunk_len()))
        {
            let w = &self.windows[self.rng.random_range(0..self.windows.len())];
            self.data.fill_window(w, &s, o, a);
        }
        self.model.train_step(obs, actions, batch, &mut self.rng)
    }
}

impl<M: ChunkModel> Learner for TaskChunkLearner<M> {
    type Error = PolicyError;

    fn iterate(&mut self, _series: EpisodeSeries) -> Result<Iteration> {
        let mut round_scalars = Vec::new();
        let mut outcomes = Vec::new();
        if let Some(si) = self.run.chunk.self_imitation.clone() {
            let round = self.iteration / si.iterations_per_round;
            if self.iteration.is_multiple_of(si.iterations_per_round)
                && self.demos.self_imitation.len() as u64 == round
            {
                (round_scalars, outcomes) = self.self_imitation_round(&si, round)?;
            }
        }
        let started = Instant::now();
        let s = self.shape;
        let batch = self.run.chunk.batch_size;
        let mut obs = vec![0.0f32; batch * s.window_len()];
        let mut actions = vec![0.0f32; batch * s.chunk_len()];
        let remaining = self
            .run
            .total_steps
            .saturating_sub(self.model.gradient_steps());
        let steps = remaining.min(self.run.chunk.steps_per_iteration);
        let lr = self.model.learning_rate();
        let mut sum = 0.0f64;
        for _ in 0..steps {
            sum += f64::from(self.gradient_step(&mut obs, &mut actions)?);
        }
        self.iteration += 1;
        self.last_loss = sum / steps.max(1) as f64;
        let step = self.model.gradient_steps();
        let mut scalars = vec![
            Scalar::new("losses/chunk_loss", step, self.last_loss),
            Scalar::new(
                "charts/gradient_steps_per_s",
                step,
                steps as f64 / started.elapsed().as_secs_f64().max(1e-9),
            ),
        ];
        if let Some(lr) = lr {
            scalars.push(Scalar::new("charts/learning_rate", step, lr));
        }
        scalars.extend(round_scalars);
        Ok(Iteration {
            index: self.iteration,
            global_step: step,
            scalars,
            episodes_ended: outcomes.len() as u64,
            outcomes,
            ..Iteration::default()
        })
    }

    fn is_done(&self) -> bool {
        self.model.gradient_steps() >= self.run.total_steps
    }

    fn global_step(&self) -> u64 {
        self.model.gradient_steps()
    }

    /// The same seeds every time, so evaluations compare on the same dishes.
    fn evaluate(&mut self, at: &Iteration) -> Result<Evaluation> {
        let episodes = super::eval_episodes(&self.run.task)?;
        let copies = episodes.min(crate::MAX_EVAL_COPIES);
        let venv = economic_venv(
            &self.run.task,
            &self.run.env_id,
            &self.run.yaml,
            copies,
            0.0,
        )?;
        let mut executor = self.policy().executor(copies)?;
        let records = evaluate_chunk_episodes(
            &self.model,
            &mut executor,
            venv,
            episodes,
            self.run.task.training.seed + super::EVAL_SEED_OFFSET,
        )?;
        Ok(Evaluation {
            summary: EvalSummary::of_task_episodes(&self.run.task, at.global_step, &records)?,
            frame: None,
        })
    }

    fn save(&self, dir: &Path, name: &str, metrics: &BTreeMap<String, f64>) -> Result<()> {
        if !self.demos_saved.get() {
            save_demonstrations(dir, &demonstrations_blob(&self.raw)?)?;
            self.demos_saved.set(true);
        }
        for (record, round) in self
            .demos
            .self_imitation
            .iter()
            .zip(&self.rounds)
            .skip(self.rounds_saved.get())
        {
            if !round.is_empty() {
                save_dataset_file(dir, &round_file(record.round), &demonstrations_blob(round)?)?;
            }
        }
        self.rounds_saved.set(self.rounds.len());
        super::save_with(self.checkpoint()?, dir, name, metrics)
    }
}

/// The checkpoint at `path`, refused unless written by `run`'s algorithm
/// for `run`'s env (`verb`: what the run does with it, for the message),
/// and one env of the run's task.
fn open_checkpoint(
    run: &ChunkRun,
    path: &Path,
    verb: &str,
) -> Result<(Checkpoint, Box<dyn envs::Env>)> {
    let ckpt = Checkpoint::load(path)?;
    if ckpt.meta.algorithm != run.algorithm {
        return Err(PolicyError::CheckpointMismatch {
            path: path.to_path_buf(),
            reason: format!(
                "written by `{}`, this run {verb} `{}`",
                ckpt.meta.algorithm, run.algorithm
            ),
        });
    }
    let env = envs::task_env_from_yaml(&run.env_id, &run.yaml, "config.yaml")?;
    ckpt.check_env(&run.env_id, env.observation_space(), env.action_space())?;
    Ok((ckpt, env))
}

/// Appends `raw`'s episodes to `data`, normalised.
fn append_normalized(
    data: &mut ChunkDataset,
    raw: &ChunkDataset,
    (obs_norm, act_norm): (&MinMaxNormalizer, &MinMaxNormalizer),
) -> Result<()> {
    for e in 0..raw.episodes() {
        let r = raw.episode(e);
        let mut obs = raw.obs[r.start * raw.d_obs..r.end * raw.d_obs].to_vec();
        let mut actions = raw.actions[r.start * raw.d_action..r.end * raw.d_action].to_vec();
        obs_norm.normalize(&mut obs);
        act_norm.normalize(&mut actions);
        data.push_episode(&obs, &actions)?;
    }
    Ok(())
}
