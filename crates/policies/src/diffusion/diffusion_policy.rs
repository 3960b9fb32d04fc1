//! Diffusion policy (Chi et al., "Diffusion Policy: Visuomotor Policy
//! Learning via Action Diffusion", RSS 2023), CNN variant with the
//! observation window as global conditioning, in one module that reads top
//! to bottom:
//!
//! 1. the config ([`DiffusionConfig`]) and the network
//!    ([`ConditionalUnet1d`], an ε-predicting 1-D U-Net with FiLM);
//! 2. DDPM training: noise a clean chunk at a random step `t` of a
//!    squared-cosine schedule (T = 100), regress the noise (MSE), step AdamW
//!    under a warm-up + cosine learning rate, update the EMA weights;
//! 3. DDIM sampling from the EMA weights: Gaussian noise, then
//!    `num_inference_steps` deterministic denoising steps with x̂₀ clipped
//!    to [−1, 1];
//! 4. the exact-resume state: weights, EMA weights, AdamW moments, step.
//!
//! Chunks and windows cross the API as host `f32` slices normalised to
//! [−1, 1] ([`ChunkModel`]); inside, a chunk is a `[batch, horizon,
//! d_action]` tensor.

use std::collections::HashMap;

use burn::module::AutodiffModule;
use burn::optim::GradientsParams;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use super::conditional_unet1d::ConditionalUnet1d;
use super::diffusion_config::DiffusionConfig;
use super::noise_schedule::NoiseSchedule;
use crate::{
    Adam, ChunkModel, ChunkShape, NamedTensor, PolicyError, Result, export_params, import_params,
};

/// A diffusion policy over action chunks: the trained U-Net, its EMA (used
/// to act), AdamW and the diffusion schedule.
#[derive(Debug, Clone)]
pub struct DiffusionPolicy<B: AutodiffBackend> {
    config: DiffusionConfig,
    shape: ChunkShape,
    device: B::Device,
    /// The network gradient steps train.
    model: ConditionalUnet1d<B>,
    /// Exponential moving average of `model`'s weights; `predict` uses it.
    ema_model: ConditionalUnet1d<B::InnerBackend>,
    optimizer: Adam<B::InnerBackend>,
    noise_schedule: NoiseSchedule,
    /// Gradient steps taken.
    step: u64,
}

impl<B: AutodiffBackend> DiffusionPolicy<B> {
    /// A fresh policy for `shape`; `seed` draws the initial weights (the
    /// EMA starts as a copy).
    pub fn new(
        config: DiffusionConfig,
        shape: ChunkShape,
        device: &B::Device,
        seed: u64,
    ) -> Result<Self> {
        config.validate()?;
        check_shape(&shape)?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let model = config.unet(&shape).init::<B, _>(device, &mut rng)?;
        let ema_model = model.valid();
        Ok(Self {
            optimizer: Adam::new(config.adam()),
            noise_schedule: NoiseSchedule::squared_cosine(config.num_train_timesteps),
            config,
            shape,
            device: device.clone(),
            model,
            ema_model,
            step: 0,
        })
    }

    /// The settings the policy was built with.
    pub fn config(&self) -> &DiffusionConfig {
        &self.config
    }

    /// The learning rate the next gradient step will use.
    pub fn learning_rate(&self) -> f64 {
        self.config.lr_schedule().lr(self.step)
    }

    /// Trainable scalars in the U-Net.
    pub fn num_params(&self) -> usize {
        export_params(&self.ema_model)
            .iter()
            .map(|t| t.data.len())
            .sum()
    }

    // ---- DDPM training ---------------------------------------------------

    /// The ε-prediction loss on one batch: `x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε`
    /// with one `t ~ U{0, T−1}` per sample, `mean((ε̂(x_t, t, obs) − ε)²)`.
    fn loss(
        &self,
        obs: &[f32],
        actions: &[f32],
        batch: usize,
        rng: &mut ChaCha8Rng,
    ) -> Tensor<B, 1> {
        let device = &self.device;
        let cond = window_tensor::<B>(obs, batch, &self.shape, device); // [batch, d_cond]
        let x0 = chunk_tensor::<B>(actions.to_vec(), batch, &self.shape, device); // [batch, horizon, d_action]
        let noise = gaussian(rng, actions.len());
        let noise = chunk_tensor::<B>(noise, batch, &self.shape, device); // [batch, horizon, d_action]
        let t_max = self.noise_schedule.num_train_timesteps();
        let timesteps: Vec<usize> = (0..batch).map(|_| rng.random_range(0..t_max)).collect();
        let (signal, noise_scale): (Vec<f32>, Vec<f32>) = timesteps
            .iter()
            .map(|&t| {
                let (a, s) = self.noise_schedule.noise_coefficients(t);
                (a as f32, s as f32)
            })
            .unzip();
        let per_sample =
            |v: Vec<f32>| Tensor::<B, 3>::from_data(TensorData::new(v, [batch, 1, 1]), device);
        let noisy = x0 * per_sample(signal) + noise.clone() * per_sample(noise_scale);
        let t = Tensor::<B, 1>::from_data(
            TensorData::new(timesteps.iter().map(|&t| t as f32).collect(), [batch]),
            device,
        );
        let pred = self.model.forward(noisy, t, cond); // [batch, horizon, d_action]
        (pred - noise).square().mean()
    }

    // ---- DDIM sampling ---------------------------------------------------

    /// Denoises Gaussian noise into chunks with the EMA weights:
    /// `[batch, horizon, d_action]`.
    fn sample(
        &self,
        obs: &[f32],
        batch: usize,
        rng: &mut ChaCha8Rng,
    ) -> Tensor<B::InnerBackend, 3> {
        let device = &self.device;
        let cond = window_tensor::<B::InnerBackend>(obs, batch, &self.shape, device);
        let noise = gaussian(rng, batch * self.shape.chunk_len());
        let mut x = chunk_tensor::<B::InnerBackend>(noise, batch, &self.shape, device);
        let n = self.config.num_inference_steps;
        for t in self.noise_schedule.ddim_timesteps(n) {
            let ts = Tensor::<B::InnerBackend, 1>::full([batch], t as f32, device);
            let eps = self.ema_model.forward(x.clone(), ts, cond.clone());
            x = self.noise_schedule.ddim_step(eps, t, x, n);
        }
        x
    }

    fn check_batch(&self, what: &str, len: usize, per_item: usize, batch: usize) -> Result<()> {
        if len == batch * per_item {
            return Ok(());
        }
        Err(PolicyError::Dataset(format!(
            "{what} has {len} floats; a batch of {batch} needs {batch} × {per_item}"
        )))
    }
}

impl<B: AutodiffBackend> ChunkModel for DiffusionPolicy<B> {
    fn shape(&self) -> ChunkShape {
        self.shape
    }

    fn train_step(
        &mut self,
        obs: &[f32],
        actions: &[f32],
        batch: usize,
        rng: &mut ChaCha8Rng,
    ) -> Result<f32> {
        if batch == 0 {
            return Err(PolicyError::Dataset(
                "a training batch needs at least one window".into(),
            ));
        }
        self.check_batch(
            "the observation batch",
            obs.len(),
            self.shape.window_len(),
            batch,
        )?;
        self.check_batch(
            "the action batch",
            actions.len(),
            self.shape.chunk_len(),
            batch,
        )?;
        let loss = self.loss(obs, actions, batch, rng);
        let loss_value: f32 = loss.clone().into_scalar().elem();
        if !loss_value.is_finite() {
            return Err(PolicyError::NonFinite("the diffusion loss".into()));
        }
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        // diffusion_policy's order: optimizer step, scheduler step, EMA step.
        let lr = self.config.lr_schedule().lr(self.step);
        let (model, _grad_norm) = self.optimizer.step(lr, self.model.clone(), grads, None);
        self.model = model;
        let ema = self.config.ema();
        let decay = ema.decay(self.step);
        self.ema_model = ema.update(self.ema_model.clone(), &self.model.valid(), decay);
        self.step += 1;
        Ok(loss_value)
    }

    fn predict(&self, obs: &[f32], batch: usize, rng: &mut ChaCha8Rng) -> Result<Vec<f32>> {
        self.check_batch(
            "the observation batch",
            obs.len(),
            self.shape.window_len(),
            batch,
        )?;
        if batch == 0 {
            return Ok(Vec::new());
        }
        let x = self.sample(obs, batch, rng); // [batch, horizon, d_action]
        let out = x
            .into_data()
            .convert::<f32>()
            .into_vec::<f32>()
            .expect("converted to f32 just above");
        if out.iter().any(|v| !v.is_finite()) {
            return Err(PolicyError::NonFinite("the sampled chunk".into()));
        }
        Ok(out)
    }

    fn gradient_steps(&self) -> u64 {
        self.step
    }

    fn learning_rate(&self) -> Option<f64> {
        Some(DiffusionPolicy::learning_rate(self))
    }

    // ---- Exact-resume state ----------------------------------------------

    /// `model.<path>`, `ema.<path>`, `optimizer.m.<path>`,
    /// `optimizer.v.<path>` and `step` (`[⌊step / 2²⁴⌋, step mod 2²⁴]`, both
    /// exact in `f32`).
    fn export_state(&self) -> Vec<NamedTensor> {
        let prefixed = |prefix: &'static str, tensors: Vec<NamedTensor>| {
            tensors.into_iter().map(move |mut t| {
                t.name = format!("{prefix}.{}", t.name);
                t
            })
        };
        let mut out: Vec<NamedTensor> = prefixed("model", export_params(&self.model))
            .chain(prefixed("ema", export_params(&self.ema_model)))
            .chain(prefixed("optimizer", self.optimizer.export_state()))
            .collect();
        out.push(NamedTensor {
            name: STEP.to_owned(),
            shape: vec![2],
            data: vec![(self.step >> 24) as f32, (self.step & STEP_LOW) as f32],
        });
        out
    }

    fn weight_prefixes(&self) -> &'static [&'static str] {
        &["model.", "ema."]
    }

    fn import_state(&mut self, tensors: &[NamedTensor]) -> Result<()> {
        let mut model = HashMap::new();
        let mut ema = HashMap::new();
        let mut optimizer = Vec::new();
        let mut step = None;
        for t in tensors {
            if t.name == STEP {
                step = Some(decode_step(t)?);
            } else if let Some(path) = t.name.strip_prefix("model.") {
                model.insert(path.to_owned(), renamed(t, path));
            } else if let Some(path) = t.name.strip_prefix("ema.") {
                ema.insert(path.to_owned(), renamed(t, path));
            } else if let Some(path) = t.name.strip_prefix("optimizer.") {
                optimizer.push(renamed(t, path));
            } else {
                return Err(PolicyError::ParamMismatch(format!(
                    "unexpected tensor `{}` in a diffusion policy state",
                    t.name
                )));
            }
        }
        let step =
            step.ok_or_else(|| PolicyError::ParamMismatch(format!("`{STEP}` is missing")))?;
        let within = |part: &'static str| {
            move |e: PolicyError| PolicyError::ParamMismatch(format!("{part}: {e}"))
        };
        let new_model =
            import_params(self.model.clone(), &model, &self.device).map_err(within("model"))?;
        let new_ema =
            import_params(self.ema_model.clone(), &ema, &self.device).map_err(within("ema"))?;
        let mut new_optimizer = Adam::new(self.config.adam());
        new_optimizer
            .import_state(step, &optimizer, &self.device)
            .map_err(within("optimizer"))?;
        self.model = new_model;
        self.ema_model = new_ema;
        self.optimizer = new_optimizer;
        self.step = step;
        Ok(())
    }
}

/// Name of the step counter in the exported state.
const STEP: &str = "step";
/// Low 24 bits of the step (an `f32` holds integers below 2²⁴ exactly).
const STEP_LOW: u64 = (1 << 24) - 1;

fn decode_step(t: &NamedTensor) -> Result<u64> {
    let bad = || PolicyError::ParamMismatch(format!("`{STEP}` must hold two integers below 2^24"));
    let [hi, lo] = t.data[..] else {
        return Err(bad());
    };
    let whole = |v: f32| v >= 0.0 && v.fract() == 0.0 && v < (1u64 << 24) as f32;
    if !(whole(hi) && whole(lo)) {
        return Err(bad());
    }
    Ok(((hi as u64) << 24) | lo as u64)
}

fn renamed(t: &NamedTensor, name: &str) -> NamedTensor {
    NamedTensor {
        name: name.to_owned(),
        shape: t.shape.clone(),
        data: t.data.clone(),
    }
}

fn check_shape(shape: &ChunkShape) -> Result<()> {
    for (field, value) in [
        ("obs_dim", shape.obs_dim),
        ("action_dim", shape.action_dim),
        ("obs_window", shape.obs_window),
        ("horizon", shape.horizon),
    ] {
        if value == 0 {
            return Err(PolicyError::config(
                format!("chunk shape {field}"),
                "must be at least 1",
            ));
        }
    }
    Ok(())
}

/// `n` standard normal draws.
fn gaussian(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| rng.sample::<f32, _>(StandardNormal))
        .collect()
}

/// Flattened observation windows: `[batch, obs_window · obs_dim]`.
fn window_tensor<B: Backend>(
    obs: &[f32],
    batch: usize,
    shape: &ChunkShape,
    device: &B::Device,
) -> Tensor<B, 2> {
    Tensor::from_data(
        TensorData::new(obs.to_vec(), [batch, shape.window_len()]),
        device,
    )
}

/// Row-major chunks as a `[batch, horizon, d_action]` tensor.
fn chunk_tensor<B: Backend>(
    data: Vec<f32>,
    batch: usize,
    shape: &ChunkShape,
    device: &B::Device,
) -> Tensor<B, 3> {
    Tensor::from_data(
        TensorData::new(data, [batch, shape.horizon, shape.action_dim]),
        device,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CpuAutodiff;

    type Policy = DiffusionPolicy<CpuAutodiff>;

    const SHAPE: ChunkShape = ChunkShape {
        obs_dim: 3,
        action_dim: 2,
        obs_window: 2,
        horizon: 8,
        action_steps: 4,
    };

    /// A tiny U-Net with a learning rate that fits in a unit test.
    fn tiny(total_steps: u64) -> DiffusionConfig {
        DiffusionConfig {
            down_dims: vec![16, 32],
            step_embed_dim: 16,
            learning_rate: 2e-3,
            lr_warmup_steps: 20,
            total_gradient_steps: total_steps,
            ..DiffusionConfig::default()
        }
    }

    fn policy(config: DiffusionConfig, seed: u64) -> Policy {
        Policy::new(config, SHAPE, &Default::default(), seed).expect("valid config")
    }

    /// A batch of `batch` (window, chunk) pairs from `make(i, rng)`.
    fn batch_of(
        batch: usize,
        rng: &mut ChaCha8Rng,
        make: impl Fn(usize, &mut ChaCha8Rng) -> (Vec<f32>, Vec<f32>),
    ) -> (Vec<f32>, Vec<f32>) {
        let (mut obs, mut act) = (Vec::new(), Vec::new());
        for i in 0..batch {
            let (o, a) = make(i, rng);
            obs.extend(o);
            act.extend(a);
        }
        (obs, act)
    }

    /// A ramp over the horizon, the same for each action feature, times `sign`.
    fn ramp(sign: f32) -> Vec<f32> {
        (0..SHAPE.horizon)
            .flat_map(|h| {
                let v = sign * (0.3 + 0.4 * h as f32 / (SHAPE.horizon - 1) as f32);
                [v; 2]
            })
            .collect()
    }

    fn state_data(p: &Policy) -> Vec<(String, Vec<f32>)> {
        p.export_state()
            .into_iter()
            .map(|t| (t.name, t.data))
            .collect()
    }

    #[test]
    fn same_seed_builds_the_same_policy_and_samples() {
        let (a, b, c) = (
            policy(tiny(100), 7),
            policy(tiny(100), 7),
            policy(tiny(100), 8),
        );
        assert_eq!(state_data(&a), state_data(&b));
        assert_ne!(state_data(&a), state_data(&c));
        let obs = vec![0.1; 2 * SHAPE.window_len()];
        let sample = |p: &Policy| {
            p.predict(&obs, 2, &mut ChaCha8Rng::seed_from_u64(3))
                .expect("finite")
        };
        let chunk = sample(&a);
        assert_eq!(chunk.len(), 2 * SHAPE.chunk_len());
        assert_eq!(chunk, sample(&b));
        assert!(chunk.iter().all(|v| (-1.0..=1.0).contains(v)), "{chunk:?}");
    }

    #[test]
    fn resume_from_exported_state_matches_training_straight_through() {
        let mut rng_data = ChaCha8Rng::seed_from_u64(11);
        let batches: Vec<(Vec<f32>, Vec<f32>)> = (0..6)
            .map(|_| {
                batch_of(4, &mut rng_data, |_, r| {
                    let o = (0..SHAPE.window_len())
                        .map(|_| r.random_range(-1.0..1.0))
                        .collect();
                    let a = (0..SHAPE.chunk_len())
                        .map(|_| r.random_range(-1.0..1.0))
                        .collect();
                    (o, a)
                })
            })
            .collect();

        let mut straight = policy(tiny(100), 1);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for (o, a) in &batches {
            straight.train_step(o, a, 4, &mut rng).expect("finite");
        }

        let mut first = policy(tiny(100), 1);
        let mut rng_resumed = ChaCha8Rng::seed_from_u64(5);
        for (o, a) in &batches[..3] {
            first.train_step(o, a, 4, &mut rng_resumed).expect("finite");
        }
        let saved = first.export_state();
        drop(first);
        let mut resumed = policy(tiny(100), 99);
        resumed.import_state(&saved).expect("own state");
        assert_eq!(resumed.gradient_steps(), 3);
        for (o, a) in &batches[3..] {
            resumed
                .train_step(o, a, 4, &mut rng_resumed)
                .expect("finite");
        }
        assert_eq!(resumed.gradient_steps(), 6);
        let (want, got) = (state_data(&straight), state_data(&resumed));
        assert_eq!(want.len(), got.len());
        for ((wn, wd), (gn, gd)) in want.iter().zip(&got) {
            assert_eq!(wn, gn);
            let worst = wd
                .iter()
                .zip(gd)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max);
            assert!(worst <= 1e-6, "{wn}: differs by {worst}");
        }
    }

    #[test]
    fn import_refuses_a_state_missing_a_tensor() {
        let mut p = policy(tiny(100), 1);
        let mut state = p.export_state();
        let removed = state.remove(3).name;
        let msg = p
            .import_state(&state)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let path = removed
            .split_once('.')
            .map(|(_, rest)| rest)
            .unwrap_or_default();
        assert!(msg.contains(path), "{msg} does not name {removed}");
        let no_step: Vec<NamedTensor> = p
            .export_state()
            .into_iter()
            .filter(|t| t.name != STEP)
            .collect();
        assert!(p.import_state(&no_step).is_err());
    }

    #[test]
    fn step_counter_round_trips_past_f32_precision() {
        let step = (1u64 << 40) + 12_345;
        let t = NamedTensor {
            name: STEP.into(),
            shape: vec![2],
            data: vec![(step >> 24) as f32, (step & STEP_LOW) as f32],
        };
        assert_eq!(decode_step(&t).ok(), Some(step));
        let bad = NamedTensor {
            data: vec![0.5, 1.0],
            ..t
        };
        assert!(decode_step(&bad).is_err());
    }

    #[test]
    fn wrong_batch_sizes_are_errors_not_panics() {
        let mut p = policy(tiny(100), 1);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let obs = vec![0.0; 2 * SHAPE.window_len()];
        let act = vec![0.0; 2 * SHAPE.chunk_len()];
        assert!(matches!(
            p.train_step(&obs, &act[1..], 2, &mut rng),
            Err(PolicyError::Dataset(_))
        ));
        assert!(matches!(
            p.train_step(&obs, &act, 3, &mut rng),
            Err(PolicyError::Dataset(_))
        ));
        assert!(p.train_step(&[], &[], 0, &mut rng).is_err());
        assert!(p.predict(&obs, 3, &mut rng).is_err());
        assert_eq!(p.predict(&[], 0, &mut rng).ok(), Some(Vec::new()));
        let bad_shape = ChunkShape {
            horizon: 0,
            ..SHAPE
        };
        assert!(Policy::new(tiny(100), bad_shape, &Default::default(), 0).is_err());
        let bad_config = DiffusionConfig {
            n_groups: 5,
            ..tiny(100)
        };
        let msg = Policy::new(bad_config, SHAPE, &Default::default(), 0)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("diffusion.down_dims"), "{msg}");
    }

    /// For one observation, half the demonstrations ramp up from +0.3 and
    /// half down from −0.3: a regressor would answer their mean (≈ 0); the
    /// diffusion policy must sample near one ramp or the other.
    #[test]
    fn samples_land_on_the_modes_of_a_bimodal_chunk_distribution() {
        let steps = 1200;
        let mut p = policy(tiny(steps), 3);
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let window = vec![0.25; SHAPE.window_len()];
        for _ in 0..steps {
            let (obs, act) = batch_of(64, &mut rng, |_, r| {
                let sign = if r.random_bool(0.5) { 1.0 } else { -1.0 };
                (window.clone(), ramp(sign))
            });
            p.train_step(&obs, &act, 64, &mut rng).expect("finite");
        }
        let n = 64;
        let obs: Vec<f32> = window
            .iter()
            .copied()
            .cycle()
            .take(n * window.len())
            .collect();
        let chunks = p.predict(&obs, n, &mut rng).expect("finite");
        let (up, down) = (ramp(1.0), ramp(-1.0));
        let rms = |c: &[f32], m: &[f32]| {
            (c.iter().zip(m).map(|(x, y)| (x - y).powi(2)).sum::<f32>() / c.len() as f32).sqrt()
        };
        let (mut near_up, mut near_down) = (0, 0);
        for c in chunks.chunks(SHAPE.chunk_len()) {
            if rms(c, &up) < 0.15 {
                near_up += 1;
            } else if rms(c, &down) < 0.15 {
                near_down += 1;
            }
        }
        assert!(
            near_up + near_down >= n * 8 / 10,
            "{near_up} up, {near_down} down of {n}"
        );
        assert!(
            near_up >= n / 5 && near_down >= n / 5,
            "{near_up} up, {near_down} down"
        );
    }

    /// The observation's sign picks the ramp: the loss falls and samples
    /// follow the observation.
    #[test]
    fn conditional_fit_lowers_the_loss_and_follows_the_observation() {
        let steps = 600;
        let mut p = policy(tiny(steps), 5);
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        let example = |sign: f32| (vec![sign * 0.5; SHAPE.window_len()], ramp(sign));
        let mut losses = Vec::new();
        for _ in 0..steps {
            let (obs, act) = batch_of(64, &mut rng, |i, _| {
                example(if i % 2 == 0 { 1.0 } else { -1.0 })
            });
            losses.push(p.train_step(&obs, &act, 64, &mut rng).expect("finite"));
        }
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
        let (early, late) = (mean(&losses[..50]), mean(&losses[steps as usize - 50..]));
        assert!(late < 0.5 * early, "loss {early} → {late}");
        let rms = |c: &[f32], m: &[f32]| {
            (c.iter().zip(m).map(|(x, y)| (x - y).powi(2)).sum::<f32>() / c.len() as f32).sqrt()
        };
        for sign in [1.0f32, -1.0] {
            let (o, want) = example(sign);
            let other = ramp(-sign);
            let obs: Vec<f32> = o.iter().copied().cycle().take(8 * o.len()).collect();
            let chunks = p.predict(&obs, 8, &mut rng).expect("finite");
            let (mut right, mut wrong) = (0.0, 0.0);
            for c in chunks.chunks(SHAPE.chunk_len()) {
                right += rms(c, &want) / 8.0;
                wrong += rms(c, &other) / 8.0;
            }
            assert!(
                right < 0.3 && right < wrong / 3.0,
                "sign {sign}: rms {right} to its ramp, {wrong} to the other"
            );
        }
    }
}
