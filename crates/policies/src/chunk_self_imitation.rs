//! Economic self-imitation: fine-tuning a chunked clone on the task's
//! economic reward by reward-filtered regression on its own rollouts.
//!
//! Every round, the current policy plays `episodes_per_round` episodes
//! (optionally with Gaussian exploration noise on its actions). Each
//! episode is cut into *segments* at its economic events: a segment runs
//! from the previous event (the episode's start, a unit completed, an
//! error) to the next one. A segment's economic return is what it earned
//! over the human's wage for its time, the dense reward of SPEC §2 in
//! dollars:
//!
//! ```text
//! R = p·units − c_d·errors − w_h·seconds/3600
//! ```
//!
//! Segments that end in an error (or never end) are dropped; of the rest,
//! the best `keep_fraction` by `R` (the fastest completions) join the
//! training data beside the expert's demonstrations, and the model keeps
//! regressing on the union. This is reward-weighted regression (Peters &
//! Schaal, ICML 2007) with a 0/1 weight at a per-round quantile, at the
//! granularity of one unit of work instead of a whole episode, so an
//! episode that broke one dish still teaches its five clean racks.
//!
//! Unlike PPO on a correction, nothing here moves the clone's actions by
//! a gradient of a noisy advantage: the clone only ever regresses on
//! actions that were executed and paid off, so its millimetre precision is
//! not traded for exploration.

use envs::{Env, VecAction, VecEnv};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use yaml_config::ConfigCheck;

use crate::{ChunkDataset, ChunkExecutor, ChunkModel, MinMaxNormalizer, PolicyError, Result};

/// First seed of the rollouts' episodes: in a run seeded `s`, round `r`'s
/// episode `k` is seeded `ROLLOUT_SEED_BASE + s·2²⁰ + r·episodes + k`
/// ([`rollout_seed`]), apart from the evaluations (1 000 000 + s) and the
/// held-out seeds of BENCHMARKS.md (5 000–7 999).
pub const ROLLOUT_SEED_BASE: u64 = 2_000_000;

/// Seed of the first episode of round `round` in a run seeded `run_seed`
/// (see [`ROLLOUT_SEED_BASE`]).
pub fn rollout_seed(run_seed: u64, round: u64, episodes_per_round: usize) -> u64 {
    ROLLOUT_SEED_BASE
        .wrapping_add(run_seed.wrapping_mul(1 << 20))
        .wrapping_add(round.wrapping_mul(episodes_per_round as u64))
}

/// `chunk.self_imitation:` (every key optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SelfImitationConfig {
    /// Episodes the policy plays per round. Default 16.
    pub episodes_per_round: usize,
    /// Session iterations (blocks of `chunk.steps_per_iteration` gradient
    /// steps) between rounds; the first round runs before the first
    /// gradient step. Default 4.
    pub iterations_per_round: u64,
    /// Fraction of the successful segments kept, best economic return
    /// first, in (0, 1]. Default 0.5.
    pub keep_fraction: f64,
    /// Standard deviation of the Gaussian noise added to every executed
    /// action, in normalised units ([-1, 1] spans the demonstrations'
    /// range of that feature). Default 0 (the policy as deployed).
    pub noise_std: f64,
}

impl Default for SelfImitationConfig {
    fn default() -> Self {
        Self {
            episodes_per_round: 16,
            iterations_per_round: 4,
            keep_fraction: 0.5,
            noise_std: 0.0,
        }
    }
}

impl SelfImitationConfig {
    /// Checks ranges, naming the field (`chunk.self_imitation.<field>`).
    pub fn validate(&self) -> Result<()> {
        let mut c = ConfigCheck::detached("chunk config");
        c.at_least(
            "chunk.self_imitation.episodes_per_round",
            self.episodes_per_round as u64,
            1,
        );
        c.at_least(
            "chunk.self_imitation.iterations_per_round",
            self.iterations_per_round,
            1,
        );
        c.require(
            self.keep_fraction > 0.0 && self.keep_fraction <= 1.0,
            "chunk.self_imitation.keep_fraction",
            || format!("in (0, 1], got {}", self.keep_fraction),
        );
        c.non_negative("chunk.self_imitation.noise_std", self.noise_std);
        Ok(c.finish()?)
    }
}

/// The task's prices that value a segment (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentPrices {
    /// `p`, dollars per unit.
    pub price_per_unit: f64,
    /// `c_d`, dollars per error.
    pub damage_cost: f64,
    /// `w_h`, the human's dollars per hour.
    pub human_wage: f64,
}

impl SegmentPrices {
    /// `p·units − c_d·errors − w_h·seconds/3600`.
    pub fn value(&self, units: u32, errors: u32, seconds: f64) -> f64 {
        self.price_per_unit * f64::from(units)
            - self.damage_cost * f64::from(errors)
            - self.human_wage * seconds / 3600.0
    }
}

/// One stretch of an episode between economic events.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Raw observations `[n, d_obs]`.
    pub obs: Vec<f32>,
    /// The actions executed `[n, d_action]` (env units, clipped).
    pub actions: Vec<f32>,
    /// Units completed at its last step.
    pub units: u32,
    /// Errors at its last step.
    pub errors: u32,
    /// Simulated seconds it took.
    pub seconds: f64,
}

/// Cuts one env copy's steps into [`Segment`]s as they come.
#[derive(Debug, Clone, Default)]
pub struct SegmentCutter {
    obs: Vec<f32>,
    actions: Vec<f32>,
    units: u32,
    errors: u32,
    seconds: f64,
}

impl SegmentCutter {
    /// Records one step: the observation it acted on, the action, and the
    /// episode's counters after it (units, errors, simulated seconds).
    /// Returns the segment this step closed, if its counters moved.
    pub fn step(
        &mut self,
        obs: &[f32],
        action: &[f32],
        units: u32,
        errors: u32,
        seconds: f64,
    ) -> Option<Segment> {
        self.obs.extend_from_slice(obs);
        self.actions.extend_from_slice(action);
        if units == self.units && errors == self.errors {
            return None;
        }
        let segment = Segment {
            obs: std::mem::take(&mut self.obs),
            actions: std::mem::take(&mut self.actions),
            units: units.saturating_sub(self.units),
            errors: errors.saturating_sub(self.errors),
            seconds: seconds - self.seconds,
        };
        (self.units, self.errors, self.seconds) = (units, errors, seconds);
        Some(segment)
    }

    /// Forgets everything (a new episode): an unfinished segment is lost.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// What one round of rollouts gave.
#[derive(Debug, Clone)]
pub struct RoundOutcome {
    /// The kept segments, one dataset episode each, raw units.
    pub kept: ChunkDataset,
    /// Segments that completed units without an error.
    pub successful: usize,
    /// Segments that ended in an error.
    pub failed: usize,
    /// The episodes' counters, in seed order.
    pub episodes: Vec<economics::EpisodeOutcome>,
}

/// The best `keep_fraction` of the error-free segments that completed a
/// unit, by economic return (ties keep the earlier segment), in their
/// original order. Returns them and the number of successful and failed
/// segments.
pub fn select_segments(
    segments: Vec<Segment>,
    prices: &SegmentPrices,
    keep_fraction: f64,
) -> (Vec<Segment>, usize, usize) {
    let failed = segments.iter().filter(|s| s.errors > 0).count();
    let ok: Vec<Segment> = segments
        .into_iter()
        .filter(|s| s.errors == 0 && s.units > 0)
        .collect();
    let successful = ok.len();
    let keep = ((successful as f64 * keep_fraction).ceil() as usize).min(successful);
    let mut order: Vec<usize> = (0..successful).collect();
    let value = |i: usize| prices.value(ok[i].units, ok[i].errors, ok[i].seconds);
    order.sort_by(|&a, &b| value(b).total_cmp(&value(a)).then(a.cmp(&b)));
    let mut chosen = vec![false; successful];
    for &i in order.iter().take(keep) {
        chosen[i] = true;
    }
    let kept = ok
        .into_iter()
        .zip(chosen)
        .filter_map(|(s, c)| c.then_some(s))
        .collect();
    (kept, successful, failed)
}

/// Plays `episodes` episodes of `model` through `executor` on `venv`
/// (episode `k` seeded `seed + k`, in waves of the venv's copies as
/// [`crate::evaluate_chunk_episodes`] does), adding `noise_std` Gaussian
/// noise (normalised units of `act_norm`, drawn from `rng`) to every
/// action before clipping, cuts every episode into segments and keeps
/// the best as [`select_segments`] says.
#[allow(clippy::too_many_arguments)]
pub fn collect_round<E: Env, M: ChunkModel + ?Sized>(
    model: &M,
    executor: &mut ChunkExecutor,
    venv: &mut VecEnv<E>,
    episodes: usize,
    seed: u64,
    noise_std: f64,
    act_norm: &MinMaxNormalizer,
    rng: &mut ChaCha8Rng,
    prices: &SegmentPrices,
    keep_fraction: f64,
) -> Result<RoundOutcome> {
    let n = venv.num_envs();
    let (d_obs, d_act) = (venv.d_obs(), venv.d_action());
    let (low, high) = match venv.action_space() {
        envs::Space::Box(b) => (b.low.clone(), b.high.clone()),
        envs::Space::Discrete { .. } => {
            return Err(PolicyError::UnsupportedSpace(
                "self-imitation drives continuous-action envs only".to_owned(),
            ));
        }
    };
    act_norm.check(d_act, "action")?;
    let half_range: Vec<f32> = (0..d_act)
        .map(|k| (act_norm.max[k] - act_norm.min[k]).max(0.0) / 2.0)
        .collect();
    let mut actions = vec![0.0f32; n * d_act];
    let mut obs = vec![0.0f32; n * d_obs];
    let mut segments = Vec::new();
    let mut records = Vec::with_capacity(episodes);
    let mut eval_rng = ChaCha8Rng::seed_from_u64(seed);
    while records.len() < episodes {
        let wave = n.min(episodes - records.len());
        venv.reset(Some(seed.wrapping_add(records.len() as u64)))?;
        executor.reset_all();
        let mut cutters = vec![SegmentCutter::default(); wave];
        let mut finished: Vec<Option<economics::EpisodeOutcome>> = vec![None; wave];
        while finished.iter().any(Option::is_none) {
            obs.copy_from_slice(venv.raw_obs());
            executor.act(model, &obs, &mut eval_rng, &mut actions)?;
            for (j, a) in actions.iter_mut().enumerate() {
                let k = j % d_act;
                if noise_std > 0.0 {
                    let z: f64 = rng.sample(StandardNormal);
                    *a += (noise_std * z) as f32 * half_range[k];
                }
                *a = a.clamp(low[k], high[k]);
            }
            venv.step(VecAction::Continuous(&actions))?;
            for (i, slot) in finished.iter_mut().enumerate() {
                if slot.is_some() {
                    continue;
                }
                let done = venv.done(i);
                let info = match venv.final_info(i) {
                    Some(last) if done => last,
                    _ => &venv.infos()[i],
                };
                if let Some(s) = cutters[i].step(
                    &obs[i * d_obs..(i + 1) * d_obs],
                    &actions[i * d_act..(i + 1) * d_act],
                    info.units_completed,
                    info.errors,
                    info.sim_seconds,
                ) {
                    segments.push(s);
                }
                if done {
                    *slot = Some(info.outcome());
                }
            }
            for i in 0..n {
                if venv.done(i) {
                    executor.reset(i);
                }
            }
        }
        records.extend(finished.into_iter().flatten());
    }
    let (kept, successful, failed) = select_segments(segments, prices, keep_fraction);
    let mut data = ChunkDataset::new(d_obs, d_act);
    for s in &kept {
        data.push_episode(&s.obs, &s.actions)?;
    }
    Ok(RoundOutcome {
        kept: data,
        successful,
        failed,
        episodes: records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRICES: SegmentPrices = SegmentPrices {
        price_per_unit: 0.3,
        damage_cost: 2.0,
        human_wage: 18.0,
    };

    fn seg(units: u32, errors: u32, seconds: f64, tag: f32) -> Segment {
        Segment {
            obs: vec![tag],
            actions: vec![tag],
            units,
            errors,
            seconds,
        }
    }

    #[test]
    fn a_segment_is_worth_what_it_earned_over_the_human_wage() {
        // 0.30 for the dish, 60 s of an $18/h human: 0.30 − 0.30 = 0.
        assert!(PRICES.value(1, 0, 60.0).abs() < 1e-12);
        assert!((PRICES.value(1, 0, 30.0) - 0.15).abs() < 1e-12);
        assert!((PRICES.value(0, 1, 0.0) + 2.0).abs() < 1e-12);
    }

    #[test]
    fn the_cutter_closes_a_segment_at_each_event_and_drops_the_tail() {
        let mut c = SegmentCutter::default();
        assert_eq!(c.step(&[0.0], &[1.0], 0, 0, 0.05), None);
        let s = c
            .step(&[1.0], &[2.0], 1, 0, 0.10)
            .expect("a unit closes it");
        assert_eq!(
            (s.obs, s.actions, s.units, s.errors),
            (vec![0.0, 1.0], vec![1.0, 2.0], 1, 0)
        );
        assert!((s.seconds - 0.10).abs() < 1e-12);
        assert_eq!(c.step(&[2.0], &[3.0], 1, 0, 0.15), None);
        let e = c
            .step(&[3.0], &[4.0], 1, 1, 0.20)
            .expect("an error closes it");
        assert_eq!((e.obs.len(), e.units, e.errors), (2, 0, 1));
        assert!((e.seconds - 0.10).abs() < 1e-12);
        assert_eq!(c.step(&[4.0], &[5.0], 1, 1, 0.25), None);
        c.reset();
        let fresh = c
            .step(&[9.0], &[9.0], 1, 0, 0.05)
            .expect("counters restart");
        assert_eq!((fresh.obs, fresh.units), (vec![9.0], 1));
    }

    #[test]
    fn selection_keeps_the_fastest_clean_completions_in_order() {
        let segments = vec![
            seg(1, 0, 50.0, 0.0),
            seg(0, 1, 10.0, 1.0), // broke a dish
            seg(1, 0, 20.0, 2.0),
            seg(1, 0, 90.0, 3.0),
            seg(1, 0, 30.0, 4.0),
        ];
        let (kept, ok, failed) = select_segments(segments.clone(), &PRICES, 0.5);
        assert_eq!((ok, failed), (4, 1));
        let tags: Vec<f32> = kept.iter().map(|s| s.obs[0]).collect();
        assert_eq!(tags, vec![2.0, 4.0]);
        let (all, _, _) = select_segments(segments, &PRICES, 1.0);
        let tags: Vec<f32> = all.iter().map(|s| s.obs[0]).collect();
        assert_eq!(tags, vec![0.0, 2.0, 3.0, 4.0]);
        let (none, ok, failed) = select_segments(vec![seg(0, 1, 1.0, 0.0)], &PRICES, 0.5);
        assert_eq!((none.len(), ok, failed), (0, 0, 1));
    }

    #[test]
    fn every_run_seed_plays_its_own_rollout_seeds() {
        assert_eq!(rollout_seed(0, 0, 32), 2_000_000);
        assert_eq!(rollout_seed(0, 3, 32), 2_000_096);
        assert_eq!(rollout_seed(1, 0, 32), 2_000_000 + 1_048_576);
    }

    #[test]
    fn settings_out_of_range_name_their_field() {
        for (c, field) in [
            (
                SelfImitationConfig {
                    keep_fraction: 0.0,
                    ..Default::default()
                },
                "keep_fraction",
            ),
            (
                SelfImitationConfig {
                    episodes_per_round: 0,
                    ..Default::default()
                },
                "episodes_per_round",
            ),
            (
                SelfImitationConfig {
                    noise_std: -0.1,
                    ..Default::default()
                },
                "noise_std",
            ),
        ] {
            let err = c.validate().expect_err("out of range");
            assert!(err.to_string().contains(field), "{field}: {err}");
        }
        SelfImitationConfig::default()
            .validate()
            .expect("defaults are valid");
    }
}
