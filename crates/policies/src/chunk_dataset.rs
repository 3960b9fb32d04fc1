//! `ChunkDataset`: demonstrations kept as whole episodes, and the
//! (observation window, action chunk) training pairs cut from them.
//!
//! The layout is diffusion_policy's replay buffer: every step's observation
//! and action in two flat arrays, plus the end of each episode. The windows
//! are its `SequenceSampler`'s, indexed by the current step `t` of an
//! episode of length `L`:
//!
//! - the observation window is steps `t − To + 1 … t`, an index before the
//!   episode's start reading its first observation (`pad_before = To − 1`);
//! - the action chunk is steps `t … t + Tp − 1`, an index past the episode's
//!   end reading its last action;
//! - a chunk may run at most `pad_after` (default `Ta − 1`) steps past the
//!   end, so the last `Tp − 1 − pad_after` steps of an episode are never a
//!   window's current step (a policy that acts `Ta` steps per chunk never
//!   needs to see more padding than that).
//!
//! [`record_expert_episodes`] fills a dataset from a task's scripted expert.

use std::ops::Range;

use envs::{Action, Env, Info, ScriptedExpert, Space};

use crate::{ChunkShape, NamedTensor, PolicyError, Result};

/// Demonstration episodes, step by step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChunkDataset {
    /// Observation features per step.
    pub d_obs: usize,
    /// Action features per step.
    pub d_action: usize,
    /// `[steps, d_obs]`, row-major, episodes one after another.
    pub obs: Vec<f32>,
    /// `[steps, d_action]`, the action taken at each step.
    pub actions: Vec<f32>,
    /// Exclusive end step of each episode, increasing.
    pub episode_ends: Vec<usize>,
}

/// One training window: the current step `t` of the episode whose steps
/// are `episode` (absolute indices into the dataset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkWindow {
    /// The episode's steps.
    pub episode: Range<usize>,
    /// The current step, inside `episode`.
    pub t: usize,
}

impl ChunkDataset {
    /// An empty dataset for `d_obs` observation and `d_action` action
    /// features.
    pub fn new(d_obs: usize, d_action: usize) -> Self {
        Self {
            d_obs,
            d_action,
            ..Self::default()
        }
    }

    /// Steps over all episodes.
    pub fn len(&self) -> usize {
        self.episode_ends.last().copied().unwrap_or(0)
    }

    /// Whether there is no step.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of episodes.
    pub fn episodes(&self) -> usize {
        self.episode_ends.len()
    }

    /// The steps of episode `e`.
    pub fn episode(&self, e: usize) -> Range<usize> {
        let start = if e == 0 { 0 } else { self.episode_ends[e - 1] };
        start..self.episode_ends[e]
    }

    /// Appends one episode: `obs` `[n, d_obs]` and `actions`
    /// `[n, d_action]` with `n ≥ 1`.
    pub fn push_episode(&mut self, obs: &[f32], actions: &[f32]) -> Result<()> {
        let n = obs.len() / self.d_obs.max(1);
        if n == 0 || obs.len() != n * self.d_obs || actions.len() != n * self.d_action {
            return Err(PolicyError::Dataset(format!(
                "an episode of {} observation and {} action values is not {} rows of {} and {}",
                obs.len(),
                actions.len(),
                n.max(1),
                self.d_obs,
                self.d_action
            )));
        }
        self.obs.extend_from_slice(obs);
        self.actions.extend_from_slice(actions);
        self.episode_ends.push(self.len() + n);
        Ok(())
    }

    /// Checks sizes, episode ends and finiteness.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(PolicyError::Dataset(m));
        if self.d_obs == 0 || self.d_action == 0 {
            return bad("zero observation or action features".to_owned());
        }
        if self.episode_ends.windows(2).any(|w| w[0] >= w[1])
            || self.episode_ends.first() == Some(&0)
        {
            return bad("episode ends are not strictly increasing".to_owned());
        }
        let n = self.len();
        if self.obs.len() != n * self.d_obs || self.actions.len() != n * self.d_action {
            return bad(format!(
                "{} observation and {} action values for {n} steps of {} and {}",
                self.obs.len(),
                self.actions.len(),
                self.d_obs,
                self.d_action
            ));
        }
        if self.obs.iter().chain(&self.actions).any(|v| !v.is_finite()) {
            return Err(PolicyError::NonFinite("demonstrations".to_owned()));
        }
        Ok(())
    }

    /// Every training window for `shape` whose chunk runs at most
    /// `pad_after` steps past its episode's end, in step order.
    pub fn windows(&self, shape: &ChunkShape, pad_after: usize) -> Vec<ChunkWindow> {
        let mut out = Vec::new();
        for e in 0..self.episodes() {
            let episode = self.episode(e);
            // Chunk end t + Tp − 1 ≤ (end − 1) + pad_after.
            let last = (episode.end + pad_after).saturating_sub(shape.horizon);
            for t in episode.start..=last.min(episode.end - 1) {
                out.push(ChunkWindow {
                    episode: episode.clone(),
                    t,
                });
            }
        }
        out
    }

    /// Writes `w`'s observation window `[obs_window, d_obs]` into `obs` and
    /// its action chunk `[horizon, d_action]` into `actions`, padded at the
    /// episode's ends as the module docs say.
    pub fn fill_window(
        &self,
        w: &ChunkWindow,
        shape: &ChunkShape,
        obs: &mut [f32],
        actions: &mut [f32],
    ) {
        let (d_o, d_a) = (self.d_obs, self.d_action);
        for (k, row) in obs.chunks_exact_mut(d_o).take(shape.obs_window).enumerate() {
            let back = shape.obs_window - 1 - k;
            let s = w.t.saturating_sub(back).max(w.episode.start);
            row.copy_from_slice(&self.obs[s * d_o..(s + 1) * d_o]);
        }
        for (j, row) in actions
            .chunks_exact_mut(d_a)
            .take(shape.horizon)
            .enumerate()
        {
            let s = (w.t + j).min(w.episode.end - 1);
            row.copy_from_slice(&self.actions[s * d_a..(s + 1) * d_a]);
        }
    }

    /// The dataset as named host tensors (`obs`, `actions`,
    /// `episode_ends` as exact 16-bit pieces), for a safetensors file.
    pub fn to_tensors(&self) -> Vec<NamedTensor> {
        let n = self.len();
        vec![
            NamedTensor {
                name: "obs".to_owned(),
                shape: vec![n, self.d_obs],
                data: self.obs.clone(),
            },
            NamedTensor {
                name: "actions".to_owned(),
                shape: vec![n, self.d_action],
                data: self.actions.clone(),
            },
            NamedTensor {
                name: "episode_ends".to_owned(),
                shape: vec![self.episodes(), 4],
                data: self
                    .episode_ends
                    .iter()
                    .flat_map(|&e| u64_to_f32s(e as u64))
                    .collect(),
            },
        ]
    }

    /// Rebuilds what [`ChunkDataset::to_tensors`] wrote, checked.
    pub fn from_tensors(tensors: &[NamedTensor]) -> Result<Self> {
        let get = |name: &str| {
            tensors.iter().find(|t| t.name == name).ok_or_else(|| {
                PolicyError::Dataset(format!("demonstrations: tensor `{name}` is missing"))
            })
        };
        let (obs, actions, ends) = (get("obs")?, get("actions")?, get("episode_ends")?);
        let dim = |t: &NamedTensor| t.shape.get(1).copied().unwrap_or(0);
        let episode_ends = ends
            .data
            .chunks_exact(4)
            .map(|c| f32s_to_u64(c).and_then(|v| usize::try_from(v).ok()))
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| PolicyError::Dataset("demonstrations: bad episode ends".to_owned()))?;
        let data = Self {
            d_obs: dim(obs),
            d_action: dim(actions),
            obs: obs.data.clone(),
            actions: actions.data.clone(),
            episode_ends,
        };
        data.validate()?;
        Ok(data)
    }
}

/// `v` as four 16-bit pieces, each exact in an f32 (most significant first).
pub(crate) fn u64_to_f32s(v: u64) -> [f32; 4] {
    [48, 32, 16, 0].map(|shift| ((v >> shift) & 0xffff) as f32)
}

/// Inverts [`u64_to_f32s`]; `None` unless every piece is an integer in
/// `0..65536`.
pub(crate) fn f32s_to_u64(pieces: &[f32]) -> Option<u64> {
    if pieces.len() != 4 {
        return None;
    }
    pieces.iter().try_fold(0u64, |acc, &p| {
        (p.fract() == 0.0 && (0.0..65536.0).contains(&p)).then_some((acc << 16) | p as u64)
    })
}

/// The expert plays `episodes` episodes of `env`, seeded `seed`, `seed + 1`,
/// … (reset at each start); every raw observation and the expert's action
/// (executed as is) is recorded, episode by episode. Returns the dataset
/// and each episode's last counters.
pub fn record_expert_episodes<E: Env>(
    env: &mut E,
    expert: &mut dyn ScriptedExpert,
    episodes: u64,
    seed: u64,
) -> Result<(ChunkDataset, Vec<Info>)> {
    let d_action = match env.action_space() {
        Space::Box(b) => b.low.len(),
        Space::Discrete { .. } => {
            return Err(PolicyError::UnsupportedSpace(
                "action chunking drives continuous-action envs only".to_owned(),
            ));
        }
    };
    let d_obs = env.observation_space().flat_size();
    let mut data = ChunkDataset::new(d_obs, d_action);
    let mut infos = Vec::with_capacity(episodes as usize);
    let mut obs = vec![0.0f32; d_obs];
    let mut action = vec![0.0f32; d_action];
    let (mut ep_obs, mut ep_actions) = (Vec::new(), Vec::new());
    for episode in 0..episodes {
        env.reset_into(Some(seed.wrapping_add(episode)), &mut obs)?;
        expert.reset();
        ep_obs.clear();
        ep_actions.clear();
        loop {
            expert.act(&*env, &mut action)?;
            ep_obs.extend_from_slice(&obs);
            ep_actions.extend_from_slice(&action);
            let t = env.step_into(Action::Continuous(&action), &mut obs)?;
            if t.terminated || t.truncated {
                infos.push(t.info);
                break;
            }
        }
        data.push_episode(&ep_obs, &ep_actions)?;
    }
    data.validate()?;
    Ok((data, infos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(obs_window: usize, horizon: usize, action_steps: usize) -> ChunkShape {
        ChunkShape {
            obs_dim: 1,
            action_dim: 1,
            obs_window,
            horizon,
            action_steps,
        }
    }

    /// Two episodes of 5 and 3 steps; observation `10·e + s`, action
    /// `100·e + s` at step `s` of episode `e`.
    fn two_episodes() -> ChunkDataset {
        let mut d = ChunkDataset::new(1, 1);
        for (e, len) in [(0, 5), (1, 3)] {
            let obs: Vec<f32> = (0..len).map(|s| (10 * e + s) as f32).collect();
            let act: Vec<f32> = (0..len).map(|s| (100 * e + s) as f32).collect();
            d.push_episode(&obs, &act).expect("well formed");
        }
        d
    }

    fn window(d: &ChunkDataset, s: &ChunkShape, w: &ChunkWindow) -> (Vec<f32>, Vec<f32>) {
        let mut o = vec![0.0; s.window_len()];
        let mut a = vec![0.0; s.chunk_len()];
        d.fill_window(w, s, &mut o, &mut a);
        (o, a)
    }

    #[test]
    fn windows_repeat_the_first_observation_and_the_last_action_of_their_episode() {
        let d = two_episodes();
        let s = shape(2, 4, 2);
        let windows = d.windows(&s, 1);
        // Episode 0 (steps 0..5): chunk end t + 3 ≤ 4 + 1, so t ≤ 2.
        // Episode 1 (steps 5..8): t + 3 ≤ 7 + 1, so t = 5 only.
        let ts: Vec<usize> = windows.iter().map(|w| w.t).collect();
        assert_eq!(ts, vec![0, 1, 2, 5]);
        // Episode start: the first observation twice.
        assert_eq!(
            window(&d, &s, &windows[0]),
            (vec![0.0, 0.0], vec![0.0, 1.0, 2.0, 3.0])
        );
        // Last window of episode 0: the last action repeated once (pad_after 1).
        assert_eq!(
            window(&d, &s, &windows[2]),
            (vec![1.0, 2.0], vec![2.0, 3.0, 4.0, 4.0])
        );
        // Episode 1 never reads episode 0, at either end.
        assert_eq!(
            window(&d, &s, &windows[3]),
            (vec![10.0, 10.0], vec![100.0, 101.0, 102.0, 102.0])
        );
    }

    #[test]
    fn a_longer_pad_after_admits_every_step_and_pads_to_the_end() {
        let d = two_episodes();
        let s = shape(3, 4, 4);
        let windows = d.windows(&s, 3);
        assert_eq!(windows.len(), 8);
        let last = windows.last().expect("some");
        assert_eq!(
            window(&d, &s, last),
            (vec![10.0, 11.0, 12.0], vec![102.0; 4])
        );
    }

    #[test]
    fn the_dataset_round_trips_through_named_tensors() {
        let mut d = two_episodes();
        d.episode_ends = vec![5, 70_000 + 3];
        d.obs.resize(70_003, 0.5);
        d.actions.resize(70_003, 0.25);
        let back = ChunkDataset::from_tensors(&d.to_tensors()).expect("round trip");
        assert_eq!(back, d);
        assert_eq!(f32s_to_u64(&u64_to_f32s(u64::MAX)), Some(u64::MAX));
        assert_eq!(f32s_to_u64(&[0.0, 0.0, 0.5, 0.0]), None);
    }

    #[test]
    fn a_ragged_episode_is_refused() {
        let mut d = ChunkDataset::new(2, 1);
        assert!(d.push_episode(&[1.0, 2.0, 3.0], &[0.0]).is_err());
        assert!(d.push_episode(&[], &[]).is_err());
        assert!(d.push_episode(&[1.0, 2.0], &[0.0]).is_ok());
    }
}
