//! The diffusion process: the squared-cosine β schedule of DDPM training
//! (diffusers' `squaredcos_cap_v2`, Nichol & Dhariwal 2021) and the
//! deterministic DDIM sampler (Song et al. 2021) that inverts it in a few
//! steps, as diffusers' `DDPMScheduler.add_noise` and `DDIMScheduler.step`
//! with `eta = 0`, `set_alpha_to_one = True`, `steps_offset = 0`,
//! `clip_sample = True` (range 1) and "leading" timestep spacing.
//!
//! The schedule is computed in `f64` on the host; tensors get `f32`
//! coefficients.

use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

/// Largest β (diffusers' `max_beta`), so that no step destroys all signal.
const MAX_BETA: f64 = 0.999;

/// β_t and ᾱ_t = Π_{s≤t} (1 − β_s) for `t < num_train_timesteps`.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseSchedule {
    betas: Vec<f64>,
    alphas_cumprod: Vec<f64>,
}

impl NoiseSchedule {
    /// diffusers' `betas_for_alpha_bar` with the cosine ᾱ of Nichol &
    /// Dhariwal: `ᾱ(t) = cos²((t + 0.008) / 1.008 · π/2)` and
    /// `β_i = min(1 − ᾱ((i+1)/T) / ᾱ(i/T), 0.999)`.
    pub fn squared_cosine(num_train_timesteps: usize) -> Self {
        let t_max = num_train_timesteps as f64;
        let alpha_bar = |t: f64| {
            ((t + 0.008) / 1.008 * std::f64::consts::FRAC_PI_2)
                .cos()
                .powi(2)
        };
        let betas: Vec<f64> = (0..num_train_timesteps)
            .map(|i| {
                let (t1, t2) = (i as f64 / t_max, (i + 1) as f64 / t_max);
                (1.0 - alpha_bar(t2) / alpha_bar(t1)).min(MAX_BETA)
            })
            .collect();
        let alphas_cumprod = betas
            .iter()
            .scan(1.0, |acc, b| {
                *acc *= 1.0 - b;
                Some(*acc)
            })
            .collect();
        Self {
            betas,
            alphas_cumprod,
        }
    }

    /// Number of diffusion steps of training (T).
    pub fn num_train_timesteps(&self) -> usize {
        self.betas.len()
    }

    /// β_t, `t < T`.
    pub fn betas(&self) -> &[f64] {
        &self.betas
    }

    /// ᾱ_t, `t < T`.
    pub fn alphas_cumprod(&self) -> &[f64] {
        &self.alphas_cumprod
    }

    /// `(√ᾱ_t, √(1 − ᾱ_t))`: `x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε` (DDPM
    /// `add_noise`). `t` is clamped to `T − 1`.
    pub fn noise_coefficients(&self, t: usize) -> (f64, f64) {
        let a = self.alphas_cumprod[t.min(self.alphas_cumprod.len() - 1)];
        (a.sqrt(), (1.0 - a).sqrt())
    }

    /// DDIM's timesteps for `num_inference_steps` steps, from noisiest to
    /// clean, "leading" spacing: `(0..n).rev() · (T / n)` (integer
    /// division). 100 and 10 give `[90, 80, …, 0]`; 100 and 16 give
    /// `[90, 84, …, 0]`. `num_inference_steps` is clamped to `1..=T`.
    pub fn ddim_timesteps(&self, num_inference_steps: usize) -> Vec<usize> {
        let n = num_inference_steps.clamp(1, self.num_train_timesteps());
        let ratio = self.num_train_timesteps() / n;
        (0..n).rev().map(|i| i * ratio).collect()
    }

    /// `(ᾱ_t, ᾱ_prev)` of the DDIM step from `t` to `t − T / n`, where
    /// `ᾱ_prev = 1` past the clean end (`set_alpha_to_one`).
    pub fn ddim_alphas(&self, t: usize, num_inference_steps: usize) -> (f64, f64) {
        let n = num_inference_steps.clamp(1, self.num_train_timesteps());
        let ratio = self.num_train_timesteps() / n;
        let t = t.min(self.num_train_timesteps() - 1);
        let alpha_prod_t = self.alphas_cumprod[t];
        let alpha_prod_prev = match t.checked_sub(ratio) {
            Some(prev) => self.alphas_cumprod[prev],
            None => 1.0,
        };
        (alpha_prod_t, alpha_prod_prev)
    }

    /// One deterministic DDIM step (η = 0) from `sample` = x_t, given the
    /// predicted noise ε̂:
    ///
    /// ```text
    /// x̂_0    = clip((x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t, −1, 1)
    /// x_prev = √ᾱ_prev x̂_0 + √(1 − ᾱ_prev) ε̂
    /// ```
    ///
    /// # Shapes
    /// `eps`, `sample` and the result share any shape.
    pub fn ddim_step<B: Backend, const D: usize>(
        &self,
        eps: Tensor<B, D>,
        t: usize,
        sample: Tensor<B, D>,
        num_inference_steps: usize,
    ) -> Tensor<B, D> {
        let (alpha_prod_t, alpha_prod_prev) = self.ddim_alphas(t, num_inference_steps);
        let beta_prod_t = 1.0 - alpha_prod_t;
        let pred_original = (sample - eps.clone().mul_scalar(beta_prod_t.sqrt()))
            .div_scalar(alpha_prod_t.sqrt())
            .clamp(-1.0, 1.0);
        let direction = eps.mul_scalar((1.0 - alpha_prod_prev).sqrt());
        pred_original.mul_scalar(alpha_prod_prev.sqrt()) + direction
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CpuBackend;
    use burn::tensor::TensorData;

    #[test]
    fn squared_cosine_alphas_cumprod_match_diffusers() {
        let s = NoiseSchedule::squared_cosine(100);
        // diffusers' DDPMScheduler(100, beta_schedule="squaredcos_cap_v2")
        // .alphas_cumprod: its arithmetic (β in f64, cast to f32, f32
        // cumprod) reproduced in Python; ours is f64 throughout.
        let want = [
            (0, 0.999_368_727_2),
            (1, 0.998_252_511_0),
            (10, 0.966_716_587_5),
            (50, 0.478_264_421_2),
            (90, 0.019_544_372_34),
            (98, 0.000_242_857_160_6),
        ];
        for (t, a) in want {
            let got = s.alphas_cumprod()[t];
            assert!((got - a).abs() < 1e-6, "t={t}: {got} vs {a}");
        }
        let last = s.alphas_cumprod()[99];
        assert!((last / 2.428_540_4e-7 - 1.0).abs() < 1e-4, "{last}");
        // The last β hits the 0.999 cap.
        assert!((s.betas()[99] - 0.999).abs() < 1e-12);
        assert!(s.betas().iter().all(|&b| b > 0.0 && b <= 0.999));
    }

    #[test]
    fn squared_cosine_follows_the_closed_form() {
        let s = NoiseSchedule::squared_cosine(100);
        let f = |t: f64| {
            ((t + 0.008) / 1.008 * std::f64::consts::FRAC_PI_2)
                .cos()
                .powi(2)
        };
        // Before the cap, ᾱ_t telescopes to ᾱ((t+1)/T) / ᾱ(0).
        for t in [0usize, 1, 10, 50, 98] {
            let want = f((t + 1) as f64 / 100.0) / f(0.0);
            assert!((s.alphas_cumprod()[t] - want).abs() < 1e-12, "t={t}");
        }
    }

    #[test]
    fn ddim_timesteps_use_leading_spacing() {
        let s = NoiseSchedule::squared_cosine(100);
        assert_eq!(
            s.ddim_timesteps(10),
            vec![90, 80, 70, 60, 50, 40, 30, 20, 10, 0]
        );
        let t16 = s.ddim_timesteps(16);
        assert_eq!(t16.len(), 16);
        assert_eq!((t16[0], t16[1], t16[15]), (90, 84, 0));
    }

    #[test]
    fn ddim_step_matches_a_hand_computation() {
        let s = NoiseSchedule::squared_cosine(100);
        let device = Default::default();
        let tensor =
            |v: Vec<f32>| Tensor::<CpuBackend, 1>::from_data(TensorData::new(v, [3]), &device);
        let x = vec![0.3f32, -1.2, 2.0];
        let eps = vec![0.5f32, -0.1, -2.0];
        let host = |t: Tensor<CpuBackend, 1>| t.into_data().into_vec::<f32>().expect("f32");

        // t = 50 → prev 40 with 10 inference steps.
        let (a_t, a_prev) = (s.alphas_cumprod()[50], s.alphas_cumprod()[40]);
        assert_eq!(s.ddim_alphas(50, 10), (a_t, a_prev));
        let got = host(s.ddim_step(tensor(eps.clone()), 50, tensor(x.clone()), 10));
        for i in 0..3 {
            let (xi, ei) = (f64::from(x[i]), f64::from(eps[i]));
            let x0 = ((xi - (1.0 - a_t).sqrt() * ei) / a_t.sqrt()).clamp(-1.0, 1.0);
            let want = a_prev.sqrt() * x0 + (1.0 - a_prev).sqrt() * ei;
            assert!((f64::from(got[i]) - want).abs() < 1e-5, "{i}: {got:?}");
        }
        // The last step (t = 0) lands on the clipped x̂_0 (ᾱ_prev = 1);
        // element 2's x̂_0 ≈ 2.05 is clipped to 1.
        let got = host(s.ddim_step(tensor(eps.clone()), 0, tensor(x.clone()), 10));
        let a0 = s.alphas_cumprod()[0];
        for i in 0..3 {
            let (xi, ei) = (f64::from(x[i]), f64::from(eps[i]));
            let x0 = ((xi - (1.0 - a0).sqrt() * ei) / a0.sqrt()).clamp(-1.0, 1.0);
            assert!((f64::from(got[i]) - x0).abs() < 1e-5, "{i}: {got:?}");
        }
        assert_eq!(got[2], 1.0);
    }
}
