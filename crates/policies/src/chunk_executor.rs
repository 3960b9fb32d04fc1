//! `ChunkExecutor`: a [`ChunkModel`] acting in env copies, and the
//! deterministic evaluation of one on a vector env.
//!
//! Each copy keeps its last `To` (normalised) observations; at an
//! episode's first step the window is its first observation repeated, as
//! in training. Two ways to turn chunks into actions:
//!
//! - receding horizon (diffusion policy): predict a chunk, execute its
//!   first `Ta` actions, then predict again from the window of that step;
//! - temporal ensembling (ACT): predict a chunk every step and execute the
//!   weighted mean of every stored prediction for the current step, the
//!   oldest weighted `exp(−m·0)`, the next `exp(−m·1)`, … (ACT's `m` 0.01).
//!
//! All copies that need a chunk at a step are predicted in one batch.

use std::collections::VecDeque;

use envs::{Env, EpisodeRecord, VecAction, VecEnv};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{ChunkModel, ChunkShape, MinMaxNormalizer, PolicyError, Result, action_bounds};

/// How predicted chunks become executed actions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ChunkExecution {
    /// Execute the first `action_steps` actions of each chunk, then replan.
    RecedingHorizon,
    /// Predict every step; execute the mean of all predictions for the
    /// step, the `i`-th oldest weighted `exp(−decay·i)`.
    TemporalEnsemble {
        /// ACT's `m`; larger trusts the newer predictions more.
        decay: f64,
    },
}

/// One env copy's recent observations and pending predictions.
#[derive(Debug, Clone, Default)]
struct CopyState {
    /// The last `obs_window` normalised observations, oldest first.
    history: VecDeque<Vec<f32>>,
    /// Receding horizon: the normalised actions still to execute.
    queue: VecDeque<Vec<f32>>,
    /// Temporal ensembling: normalised chunks, oldest first, each with
    /// the index of its row for the current step.
    ensemble: VecDeque<(Vec<f32>, usize)>,
}

/// Turns a chunk model's predictions into per-step actions for `n` env
/// copies (see the module docs).
#[derive(Debug, Clone)]
pub struct ChunkExecutor {
    shape: ChunkShape,
    obs_norm: MinMaxNormalizer,
    act_norm: MinMaxNormalizer,
    execution: ChunkExecution,
    copies: Vec<CopyState>,
    predict_calls: u64,
    predicted_chunks: u64,
}

impl ChunkExecutor {
    /// An executor for `copies` env copies of a model of `shape`, with the
    /// normalisers it was trained with.
    pub fn new(
        shape: ChunkShape,
        obs_norm: MinMaxNormalizer,
        act_norm: MinMaxNormalizer,
        execution: ChunkExecution,
        copies: usize,
    ) -> Result<Self> {
        obs_norm.check(shape.obs_dim, "observation")?;
        act_norm.check(shape.action_dim, "action")?;
        if shape.action_steps == 0 || shape.action_steps > shape.horizon {
            return Err(PolicyError::config(
                "chunk.action_steps",
                format!(
                    "in 1..={} (the horizon), got {}",
                    shape.horizon, shape.action_steps
                ),
            ));
        }
        if let ChunkExecution::TemporalEnsemble { decay } = execution
            && !(decay.is_finite() && decay >= 0.0)
        {
            return Err(PolicyError::config(
                "chunk.ensemble_decay",
                format!("a finite value ≥ 0, got {decay}"),
            ));
        }
        Ok(Self {
            shape,
            obs_norm,
            act_norm,
            execution,
            copies: vec![CopyState::default(); copies],
            predict_calls: 0,
            predicted_chunks: 0,
        })
    }

    /// Forgets copy `i`'s episode (call when it ends).
    pub fn reset(&mut self, i: usize) {
        if let Some(c) = self.copies.get_mut(i) {
            *c = CopyState::default();
        }
    }

    /// Forgets every copy's episode.
    pub fn reset_all(&mut self) {
        self.copies
            .iter_mut()
            .for_each(|c| *c = CopyState::default());
    }

    /// Calls of the model's `predict` so far.
    pub fn predict_calls(&self) -> u64 {
        self.predict_calls
    }

    /// Chunks predicted so far (over all calls).
    pub fn predicted_chunks(&self) -> u64 {
        self.predicted_chunks
    }

    /// The actions `[n, action_dim]` (env units, unclipped) for the raw
    /// observations `obs` `[n, obs_dim]` of all `n` copies at this step.
    pub fn act<M: ChunkModel + ?Sized>(
        &mut self,
        model: &M,
        obs: &[f32],
        rng: &mut ChaCha8Rng,
        actions: &mut [f32],
    ) -> Result<()> {
        let s = self.shape;
        let n = self.copies.len();
        if obs.len() != n * s.obs_dim || actions.len() != n * s.action_dim {
            return Err(PolicyError::Dataset(format!(
                "{n} copies need {} observation and {} action values, got {} and {}",
                n * s.obs_dim,
                n * s.action_dim,
                obs.len(),
                actions.len()
            )));
        }
        if model.shape() != s {
            return Err(PolicyError::ParamMismatch(format!(
                "the model is built for {:?}, the executor for {s:?}",
                model.shape()
            )));
        }
        let mut need = Vec::new();
        for (i, (copy, row)) in self
            .copies
            .iter_mut()
            .zip(obs.chunks_exact(s.obs_dim))
            .enumerate()
        {
            let mut o = row.to_vec();
            self.obs_norm.normalize(&mut o);
            if copy.history.is_empty() {
                copy.history.extend(std::iter::repeat_n(o, s.obs_window));
            } else {
                copy.history.push_back(o);
                copy.history.pop_front();
            }
            let replan = match self.execution {
                ChunkExecution::RecedingHorizon => copy.queue.is_empty(),
                ChunkExecution::TemporalEnsemble { .. } => true,
            };
            if replan {
                need.push(i);
            }
        }
        if !need.is_empty() {
            let windows: Vec<f32> = need
                .iter()
                .flat_map(|&i| self.copies[i].history.iter().flatten().copied())
                .collect();
            let chunks = model.predict(&windows, need.len(), rng)?;
            if chunks.len() != need.len() * s.chunk_len() {
                return Err(PolicyError::ParamMismatch(format!(
                    "the model predicted {} values for {} chunks of {}",
                    chunks.len(),
                    need.len(),
                    s.chunk_len()
                )));
            }
            self.predict_calls += 1;
            self.predicted_chunks += need.len() as u64;
            for (&i, chunk) in need.iter().zip(chunks.chunks_exact(s.chunk_len())) {
                let copy = &mut self.copies[i];
                match self.execution {
                    ChunkExecution::RecedingHorizon => copy.queue.extend(
                        chunk
                            .chunks_exact(s.action_dim)
                            .take(s.action_steps)
                            .map(<[f32]>::to_vec),
                    ),
                    ChunkExecution::TemporalEnsemble { .. } => {
                        copy.ensemble.push_back((chunk.to_vec(), 0));
                    }
                }
            }
        }
        for (copy, out) in self
            .copies
            .iter_mut()
            .zip(actions.chunks_exact_mut(s.action_dim))
        {
            match self.execution {
                ChunkExecution::RecedingHorizon => {
                    let a = copy
                        .queue
                        .pop_front()
                        .expect("a copy with an empty queue was just given a chunk");
                    out.copy_from_slice(&a);
                }
                ChunkExecution::TemporalEnsemble { decay } => {
                    ensemble_mean(&copy.ensemble, s.action_dim, decay, out);
                    for entry in &mut copy.ensemble {
                        entry.1 += 1;
                    }
                    while copy.ensemble.front().is_some_and(|e| e.1 >= s.horizon) {
                        copy.ensemble.pop_front();
                    }
                }
            }
            self.act_norm.unnormalize(out);
        }
        Ok(())
    }
}

/// The weights of `k` predictions of the same step, oldest first:
/// `exp(−decay·i)`, normalised to sum to 1 (ACT's temporal ensembling).
pub fn ensemble_weights(k: usize, decay: f64) -> Vec<f64> {
    let w: Vec<f64> = (0..k).map(|i| (-decay * i as f64).exp()).collect();
    let total: f64 = w.iter().sum();
    w.into_iter().map(|v| v / total).collect()
}

/// The weighted mean of every stored chunk's row for the current step.
fn ensemble_mean(
    ensemble: &VecDeque<(Vec<f32>, usize)>,
    action_dim: usize,
    decay: f64,
    out: &mut [f32],
) {
    let weights = ensemble_weights(ensemble.len(), decay);
    let mut acc = vec![0.0f64; action_dim];
    for ((chunk, row), w) in ensemble.iter().zip(&weights) {
        for (a, v) in acc
            .iter_mut()
            .zip(&chunk[row * action_dim..(row + 1) * action_dim])
        {
            *a += w * f64::from(*v);
        }
    }
    for (o, a) in out.iter_mut().zip(acc) {
        *o = a as f32;
    }
}

/// Runs `episodes` episodes of `model` through `executor` on `venv`
/// (copies count and order as in [`crate::evaluate_episodes`]: episode
/// `k` seeded `seed + k`, waves of fresh episodes, each copy's first
/// episode counted) and returns them in seed order. Actions are clipped
/// to the action bounds; sampling noise, if the model draws any, comes
/// from a generator seeded `seed`, so an evaluation never touches a
/// training run's random stream.
pub fn evaluate_chunk_episodes<E: Env, M: ChunkModel + ?Sized>(
    model: &M,
    executor: &mut ChunkExecutor,
    venv: VecEnv<E>,
    episodes: usize,
    seed: u64,
) -> Result<Vec<EpisodeRecord>> {
    let mut venv = venv;
    let n = venv.num_envs();
    if executor.copies.len() != n {
        return Err(PolicyError::Dataset(format!(
            "the executor drives {} copies, the vector env has {n}",
            executor.copies.len()
        )));
    }
    if venv.d_obs() != executor.shape.obs_dim || venv.d_action() != executor.shape.action_dim {
        return Err(PolicyError::UnsupportedSpace(format!(
            "{} has {} observation and {} action features, the chunk policy {} and {}",
            venv.envs()[0].id(),
            venv.d_obs(),
            venv.d_action(),
            executor.shape.obs_dim,
            executor.shape.action_dim
        )));
    }
    let (low, high) = action_bounds(venv.action_space()).ok_or_else(|| {
        PolicyError::UnsupportedSpace("action chunking needs continuous actions".to_owned())
    })?;
    let d_act = low.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut actions = vec![0.0f32; n * d_act];
    let mut records = Vec::with_capacity(episodes);
    while records.len() < episodes {
        let wave = n.min(episodes - records.len());
        venv.reset(Some(seed.wrapping_add(records.len() as u64)))?;
        executor.reset_all();
        let mut finished: Vec<Option<EpisodeRecord>> = vec![None; wave];
        while finished.iter().any(Option::is_none) {
            executor.act(model, venv.raw_obs(), &mut rng, &mut actions)?;
            for (j, a) in actions.iter_mut().enumerate() {
                *a = a.clamp(low[j % d_act], high[j % d_act]);
            }
            venv.step(VecAction::Continuous(&actions))?;
            for i in 0..n {
                if venv.done(i) {
                    executor.reset(i);
                }
            }
            for (i, e) in venv.episodes() {
                if let Some(slot @ None) = finished.get_mut(i) {
                    *slot = Some(*e);
                }
            }
        }
        records.extend(finished.into_iter().flatten());
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NamedTensor;

    /// A model whose chunk for a window is `[c, c + 0.01, …]` per action
    /// feature, with `c` the window's newest (normalised) observation's
    /// first feature, and which counts its calls.
    struct Ramp {
        shape: ChunkShape,
    }

    impl ChunkModel for Ramp {
        fn shape(&self) -> ChunkShape {
            self.shape
        }
        fn train_step(
            &mut self,
            _: &[f32],
            _: &[f32],
            _: usize,
            _: &mut ChaCha8Rng,
        ) -> Result<f32> {
            Ok(0.0)
        }
        fn predict(&self, obs: &[f32], batch: usize, _: &mut ChaCha8Rng) -> Result<Vec<f32>> {
            let s = self.shape;
            let mut out = Vec::new();
            for w in obs.chunks_exact(s.window_len()).take(batch) {
                let c = w[(s.obs_window - 1) * s.obs_dim];
                for j in 0..s.horizon {
                    for _ in 0..s.action_dim {
                        out.push(c + 0.01 * j as f32);
                    }
                }
            }
            Ok(out)
        }
        fn gradient_steps(&self) -> u64 {
            0
        }
        fn export_state(&self) -> Vec<NamedTensor> {
            Vec::new()
        }
        fn import_state(&mut self, _: &[NamedTensor]) -> Result<()> {
            Ok(())
        }
    }

    fn shape() -> ChunkShape {
        ChunkShape {
            obs_dim: 1,
            action_dim: 1,
            obs_window: 2,
            horizon: 4,
            action_steps: 3,
        }
    }

    /// Normalisers that leave [-1, 1] as it is.
    fn identity() -> MinMaxNormalizer {
        MinMaxNormalizer {
            min: vec![-1.0],
            max: vec![1.0],
            ignored: Vec::new(),
        }
    }

    #[test]
    fn receding_horizon_executes_action_steps_then_replans_per_copy() {
        let model = Ramp { shape: shape() };
        let mut ex = ChunkExecutor::new(
            shape(),
            identity(),
            identity(),
            ChunkExecution::RecedingHorizon,
            2,
        )
        .expect("valid");
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut out = [0.0f32; 2];
        let mut seen = Vec::new();
        for t in 0..7 {
            let obs = [0.1 * t as f32, 0.5];
            if t == 4 {
                ex.reset(1); // copy 1's episode ended: it replans now
            }
            ex.act(&model, &obs, &mut rng, &mut out).expect("acts");
            seen.push(out);
        }
        let copy0: Vec<f32> = seen.iter().map(|a| a[0]).collect();
        // Chunks from t = 0 and t = 3 and t = 6, three actions each.
        let want = [0.0, 0.01, 0.02, 0.3, 0.31, 0.32, 0.6];
        for (a, b) in copy0.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{copy0:?}");
        }
        let copy1: Vec<f32> = seen.iter().map(|a| a[1]).collect();
        let want = [0.5, 0.51, 0.52, 0.5, 0.5, 0.51, 0.52];
        for (a, b) in copy1.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{copy1:?}");
        }
        // Both copies in one call at t = 0, 3 and 6; copy 1 alone at t = 4.
        assert_eq!(ex.predict_calls(), 4);
        assert_eq!(ex.predicted_chunks(), 6);
    }

    #[test]
    fn temporal_ensemble_weights_favour_the_oldest_prediction_by_exp_minus_m_i() {
        let w = ensemble_weights(3, 0.01);
        let z = 1.0 + (-0.01f64).exp() + (-0.02f64).exp();
        assert!((w[0] - 1.0 / z).abs() < 1e-12);
        assert!((w[1] - (-0.01f64).exp() / z).abs() < 1e-12);
        assert!((w[2] - (-0.02f64).exp() / z).abs() < 1e-12);
        assert_eq!(ensemble_weights(1, 0.5), vec![1.0]);
    }

    #[test]
    fn temporal_ensemble_predicts_every_step_and_averages_overlapping_chunks() {
        let model = Ramp { shape: shape() };
        let decay = 0.5;
        let mut ex = ChunkExecutor::new(
            shape(),
            identity(),
            identity(),
            ChunkExecution::TemporalEnsemble { decay },
            1,
        )
        .expect("valid");
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut out = [0.0f32];
        let obs = [0.0f32, 0.2, 0.4, 0.6, 0.8];
        let mut got = Vec::new();
        for o in obs {
            ex.act(&model, &[o], &mut rng, &mut out).expect("acts");
            got.push(out[0]);
        }
        assert_eq!(ex.predict_calls(), 5);
        // Step t sees the chunks of steps max(0, t − 3) … t; the chunk of
        // step s proposes obs[s] + 0.01·(t − s) for step t.
        for (t, g) in got.iter().enumerate() {
            let from = t.saturating_sub(3);
            let w = ensemble_weights(t - from + 1, decay);
            let want: f64 = (from..=t)
                .zip(&w)
                .map(|(s, w)| w * (f64::from(obs[s]) + 0.01 * (t - s) as f64))
                .sum();
            assert!(
                (f64::from(*g) - want).abs() < 1e-6,
                "step {t}: {g} vs {want}"
            );
        }
    }

    #[test]
    fn actions_come_back_in_env_units() {
        let model = Ramp { shape: shape() };
        let act_norm = MinMaxNormalizer {
            min: vec![0.0],
            max: vec![10.0],
            ignored: Vec::new(),
        };
        let mut ex = ChunkExecutor::new(
            shape(),
            identity(),
            act_norm,
            ChunkExecution::RecedingHorizon,
            1,
        )
        .expect("valid");
        let mut out = [0.0f32];
        ex.act(&model, &[0.5], &mut ChaCha8Rng::seed_from_u64(0), &mut out)
            .expect("acts");
        assert!((out[0] - 7.5).abs() < 1e-5, "{out:?}");
    }
}
