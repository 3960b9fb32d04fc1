//! The replay buffer of off-policy learners (SAC): a ring of transitions
//! `(s, a, r, s', terminated)` in host memory, sampled uniformly with
//! replacement, as SB3's `ReplayBuffer` with
//! `handle_timeout_termination=False` that CleanRL's SAC uses.
//!
//! Truncation: the learner stores the real final observation as `s'` of a
//! step that ended its episode (not the first observation of the next
//! episode, which the vector env already holds), and `terminated` only for
//! a terminal state of the MDP. A truncated transition therefore
//! bootstraps from `s'` in the target; a terminated one does not.
//!
//! The rows grow with the transitions until `capacity`, then the oldest is
//! overwritten, so a short run never allocates a full buffer. The buffer
//! round-trips through safetensors bytes with its write position, so a
//! resumed run samples exactly what the uninterrupted run would have.

use std::collections::HashMap;

use rand::Rng;
use safetensors::tensor::{Dtype, TensorView};

use crate::{PolicyError, Result};

/// Transitions in a ring of `capacity` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayBuffer {
    capacity: usize,
    d_obs: usize,
    d_action: usize,
    /// `[len, d_obs]`, row-major.
    obs: Vec<f32>,
    /// `[len, d_obs]`: the observation after the step (the real final one
    /// where the episode ended).
    next_obs: Vec<f32>,
    /// `[len, d_action]`, in the env's units.
    actions: Vec<f32>,
    /// `[len]`.
    rewards: Vec<f32>,
    /// `[len]`: the step reached a terminal state (no bootstrapping).
    terminated: Vec<bool>,
    /// Row the next transition goes to.
    pos: usize,
}

/// One stored transition, borrowed from the buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoredTransition<'a> {
    /// The observation the action was taken in.
    pub obs: &'a [f32],
    /// The observation after it (the real final one where the episode ended).
    pub next_obs: &'a [f32],
    /// The action, in the env's units.
    pub action: &'a [f32],
    /// The reward.
    pub reward: f32,
    /// Whether the step reached a terminal state.
    pub terminated: bool,
}

/// A sampled minibatch, row-major host vectors (CleanRL's `data`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplayBatch {
    /// Rows.
    pub batch: usize,
    /// `[batch, d_obs]`.
    pub observations: Vec<f32>,
    /// `[batch, d_action]`.
    pub actions: Vec<f32>,
    /// `[batch]`.
    pub rewards: Vec<f32>,
    /// `[batch, d_obs]`.
    pub next_observations: Vec<f32>,
    /// `[batch]`: 1 where the transition terminated, else 0.
    pub dones: Vec<f32>,
}

/// Metadata key of the write position in the safetensors form.
const POS_KEY: &str = "pos";
/// Metadata key of the capacity in the safetensors form.
const CAPACITY_KEY: &str = "capacity";

impl ReplayBuffer {
    /// An empty buffer of `capacity` transitions (at least 1).
    pub fn new(capacity: usize, d_obs: usize, d_action: usize) -> Result<Self> {
        if capacity == 0 {
            return Err(PolicyError::config("buffer_size", "must be at least 1"));
        }
        Ok(Self {
            capacity,
            d_obs,
            d_action,
            obs: Vec::new(),
            next_obs: Vec::new(),
            actions: Vec::new(),
            rewards: Vec::new(),
            terminated: Vec::new(),
            pos: 0,
        })
    }

    /// Transitions held (at most `capacity`).
    pub fn len(&self) -> usize {
        self.rewards.len()
    }

    /// Whether no transition has been added.
    pub fn is_empty(&self) -> bool {
        self.rewards.is_empty()
    }

    /// The most transitions it holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The row the next transition is written to.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Adds one transition, overwriting the oldest once full. Slices must
    /// be `d_obs`, `d_obs` and `d_action` long.
    pub fn add(
        &mut self,
        obs: &[f32],
        next_obs: &[f32],
        action: &[f32],
        reward: f32,
        terminated: bool,
    ) -> Result<()> {
        if obs.len() != self.d_obs || next_obs.len() != self.d_obs {
            return Err(PolicyError::Dataset(format!(
                "replay buffer: observations of {} and {} values, expected {}",
                obs.len(),
                next_obs.len(),
                self.d_obs
            )));
        }
        if action.len() != self.d_action {
            return Err(PolicyError::Dataset(format!(
                "replay buffer: an action of {} values, expected {}",
                action.len(),
                self.d_action
            )));
        }
        let (o, a) = (self.d_obs, self.d_action);
        if self.len() < self.capacity {
            self.obs.extend_from_slice(obs);
            self.next_obs.extend_from_slice(next_obs);
            self.actions.extend_from_slice(action);
            self.rewards.push(reward);
            self.terminated.push(terminated);
        } else {
            let k = self.pos;
            self.obs[k * o..(k + 1) * o].copy_from_slice(obs);
            self.next_obs[k * o..(k + 1) * o].copy_from_slice(next_obs);
            self.actions[k * a..(k + 1) * a].copy_from_slice(action);
            self.rewards[k] = reward;
            self.terminated[k] = terminated;
        }
        self.pos = (self.pos + 1) % self.capacity;
        Ok(())
    }

    /// Row `k` of the ring.
    pub fn get(&self, k: usize) -> Option<StoredTransition<'_>> {
        let (o, a) = (self.d_obs, self.d_action);
        (k < self.len()).then(|| StoredTransition {
            obs: &self.obs[k * o..(k + 1) * o],
            next_obs: &self.next_obs[k * o..(k + 1) * o],
            action: &self.actions[k * a..(k + 1) * a],
            reward: self.rewards[k],
            terminated: self.terminated[k],
        })
    }

    /// `batch_size` rows drawn uniformly with replacement into `out`
    /// (`np.random.randint(0, len, size=batch_size)`, as SB3).
    pub fn sample<R: Rng>(&self, batch_size: usize, rng: &mut R, out: &mut ReplayBatch) {
        let (o, a) = (self.d_obs, self.d_action);
        out.batch = batch_size;
        out.observations.clear();
        out.actions.clear();
        out.rewards.clear();
        out.next_observations.clear();
        out.dones.clear();
        if self.is_empty() {
            out.batch = 0;
            return;
        }
        for _ in 0..batch_size {
            let k = rng.random_range(0..self.len());
            out.observations
                .extend_from_slice(&self.obs[k * o..(k + 1) * o]);
            out.actions
                .extend_from_slice(&self.actions[k * a..(k + 1) * a]);
            out.rewards.push(self.rewards[k]);
            out.next_observations
                .extend_from_slice(&self.next_obs[k * o..(k + 1) * o]);
            out.dones.push(if self.terminated[k] { 1.0 } else { 0.0 });
        }
    }

    /// The buffer as safetensors bytes: `obs`, `next_obs`, `actions`,
    /// `rewards` (F32) and `terminated` (U8) in ring order, the write
    /// position and capacity in the metadata, plus `metadata` (another
    /// learner's state; its keys must not be `pos` or `capacity`).
    pub fn to_safetensors(&self, metadata: HashMap<String, String>) -> Result<Vec<u8>> {
        let n = self.len();
        let f32_bytes = |v: &[f32]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
        let columns: Vec<(&str, Dtype, Vec<usize>, Vec<u8>)> = vec![
            ("obs", Dtype::F32, vec![n, self.d_obs], f32_bytes(&self.obs)),
            (
                "next_obs",
                Dtype::F32,
                vec![n, self.d_obs],
                f32_bytes(&self.next_obs),
            ),
            (
                "actions",
                Dtype::F32,
                vec![n, self.d_action],
                f32_bytes(&self.actions),
            ),
            ("rewards", Dtype::F32, vec![n], f32_bytes(&self.rewards)),
            (
                "terminated",
                Dtype::U8,
                vec![n],
                self.terminated.iter().map(|&t| u8::from(t)).collect(),
            ),
        ];
        let views = columns
            .iter()
            .map(|(name, dtype, shape, bytes)| {
                TensorView::new(*dtype, shape.clone(), bytes)
                    .map(|v| ((*name).to_owned(), v))
                    .map_err(|e| PolicyError::ParamMismatch(format!("replay `{name}`: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut metadata = metadata;
        metadata.insert(POS_KEY.to_owned(), self.pos.to_string());
        metadata.insert(CAPACITY_KEY.to_owned(), self.capacity.to_string());
        safetensors::serialize(views, Some(metadata))
            .map_err(|e| PolicyError::ParamMismatch(format!("replay buffer: {e}")))
    }

    /// Reads bytes written by [`ReplayBuffer::to_safetensors`] for a buffer
    /// of `d_obs` and `d_action`; returns it with the rest of the
    /// metadata. `what` names the source in errors.
    pub fn from_safetensors(
        bytes: &[u8],
        d_obs: usize,
        d_action: usize,
        what: &str,
    ) -> Result<(Self, HashMap<String, String>)> {
        let bad = |reason: String| PolicyError::ParamMismatch(format!("{what}: {reason}"));
        let (_, header) =
            safetensors::SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
        let mut metadata = header.metadata().clone().unwrap_or_default();
        let mut number = |key: &str| -> Result<usize> {
            metadata
                .remove(key)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| bad(format!("metadata `{key}` missing or not a number")))
        };
        let pos = number(POS_KEY)?;
        let capacity = number(CAPACITY_KEY)?;
        let st = safetensors::SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
        let floats = |name: &str, width: usize| -> Result<(usize, Vec<f32>)> {
            let view = st.tensor(name).map_err(|e| bad(format!("`{name}`: {e}")))?;
            let shape = view.shape();
            let rows = shape.first().copied().unwrap_or(0);
            let want: &[usize] = if width == 0 { &[rows] } else { &[rows, width] };
            if view.dtype() != Dtype::F32 || shape != want {
                return Err(bad(format!(
                    "`{name}` is {:?} {shape:?}, expected F32 {want:?}",
                    view.dtype()
                )));
            }
            let data: Vec<f32> = view
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            if data.iter().any(|v| !v.is_finite()) {
                return Err(bad(format!("`{name}` holds a non-finite value")));
            }
            Ok((rows, data))
        };
        let (n, obs) = floats("obs", d_obs)?;
        let (n1, next_obs) = floats("next_obs", d_obs)?;
        let (n2, actions) = floats("actions", d_action)?;
        let (n3, rewards) = floats("rewards", 0)?;
        let view = st
            .tensor("terminated")
            .map_err(|e| bad(format!("`terminated`: {e}")))?;
        if view.dtype() != Dtype::U8 || view.shape() != [n] {
            return Err(bad(format!(
                "`terminated` is {:?} {:?}, expected U8 [{n}]",
                view.dtype(),
                view.shape()
            )));
        }
        let terminated: Vec<bool> = view.data().iter().map(|&b| b != 0).collect();
        if [n1, n2, n3] != [n, n, n] {
            return Err(bad(format!("columns of {n}, {n1}, {n2} and {n3} rows")));
        }
        if capacity == 0 || n > capacity || pos >= capacity || (n < capacity && pos != n) {
            return Err(bad(format!(
                "{n} rows, capacity {capacity} and write position {pos} do not fit together"
            )));
        }
        let buffer = Self {
            capacity,
            d_obs,
            d_action,
            obs,
            next_obs,
            actions,
            rewards,
            terminated,
            pos,
        };
        Ok((buffer, metadata))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// Transition `k` of a test stream: obs `[k]`, next obs `[k + 0.5]`,
    /// action `[−k]`, reward `k`, terminated every third.
    fn add_k(rb: &mut ReplayBuffer, k: usize) {
        let k = k as f32;
        rb.add(&[k], &[k + 0.5], &[-k], k, (k as usize).is_multiple_of(3))
            .expect("shapes fit");
    }

    #[test]
    fn buffer_wraps_around_and_overwrites_the_oldest() {
        let mut rb = ReplayBuffer::new(4, 1, 1).expect("capacity");
        for k in 0..6 {
            add_k(&mut rb, k);
        }
        assert_eq!(rb.len(), 4);
        assert_eq!(rb.position(), 2);
        // Rows 0 and 1 now hold transitions 4 and 5; rows 2 and 3 still 2 and 3.
        let rewards: Vec<f32> = (0..4).map(|k| rb.get(k).expect("row").reward).collect();
        assert_eq!(rewards, vec![4.0, 5.0, 2.0, 3.0]);
        let t = rb.get(1).expect("row");
        assert_eq!(
            (t.obs, t.next_obs, t.action),
            (&[5.0][..], &[5.5][..], &[-5.0][..])
        );
        // Transition 5 did not terminate; transition 3 (row 3) did.
        assert!(!t.terminated && rb.get(3).expect("row").terminated);
        assert!(rb.get(4).is_none());
    }

    #[test]
    fn terminal_and_truncated_transitions_keep_their_flags_and_final_observation() {
        let mut rb = ReplayBuffer::new(8, 2, 1).expect("capacity");
        // A truncated step: the real final observation, not terminated.
        rb.add(&[0.0, 1.0], &[9.0, 9.5], &[0.1], -1.0, false)
            .expect("fits");
        // A terminal step.
        rb.add(&[1.0, 2.0], &[7.0, 7.5], &[0.2], -2.0, true)
            .expect("fits");
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut batch = ReplayBatch::default();
        rb.sample(64, &mut rng, &mut batch);
        assert_eq!(batch.batch, 64);
        for i in 0..64 {
            let next = &batch.next_observations[2 * i..2 * i + 2];
            match batch.rewards[i] {
                -1.0 => {
                    assert_eq!(next, [9.0, 9.5]);
                    assert_eq!(batch.dones[i], 0.0);
                }
                -2.0 => {
                    assert_eq!(next, [7.0, 7.5]);
                    assert_eq!(batch.dones[i], 1.0);
                }
                r => panic!("unexpected reward {r}"),
            }
        }
        assert!(batch.dones.contains(&0.0) && batch.dones.contains(&1.0));
    }

    #[test]
    fn buffer_round_trips_through_safetensors_with_its_position() {
        let mut rb = ReplayBuffer::new(5, 1, 1).expect("capacity");
        for k in 0..7 {
            add_k(&mut rb, k);
        }
        let mut meta = HashMap::new();
        meta.insert("state".to_owned(), "{}".to_owned());
        let bytes = rb.to_safetensors(meta).expect("serialises");
        let (back, rest) = ReplayBuffer::from_safetensors(&bytes, 1, 1, "test").expect("reads");
        assert_eq!(back, rb);
        assert_eq!(rest.get("state").map(String::as_str), Some("{}"));
        let mut a = ChaCha8Rng::seed_from_u64(3);
        let mut b = a.clone();
        let (mut x, mut y) = (ReplayBatch::default(), ReplayBatch::default());
        rb.sample(16, &mut a, &mut x);
        back.sample(16, &mut b, &mut y);
        assert_eq!(x, y);
        let wrong = ReplayBuffer::from_safetensors(&bytes, 2, 1, "test");
        assert!(matches!(wrong, Err(PolicyError::ParamMismatch(_))));
    }

    #[test]
    fn add_refuses_slices_of_the_wrong_length() {
        let mut rb = ReplayBuffer::new(2, 3, 1).expect("capacity");
        assert!(rb.add(&[0.0; 2], &[0.0; 3], &[0.0], 0.0, false).is_err());
        assert!(rb.add(&[0.0; 3], &[0.0; 3], &[0.0; 2], 0.0, false).is_err());
        assert!(rb.is_empty());
    }
}
