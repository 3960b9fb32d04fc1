//! The noise-prediction network of the diffusion policy: a 1-D temporal
//! convolutional U-Net conditioned by FiLM, as diffusion_policy's
//! `ConditionalUnet1D` (Chi et al., RSS 2023, `cond_predict_scale=True`,
//! global conditioning on the flattened observation window).
//!
//! ```text
//! sample [batch, d_action, horizon]      step t [batch]      obs window [batch, d_cond]
//!    |                                     |                        |
//!    |                  sinusoidal(t) → Linear(4×) → Mish → Linear   |
//!    |                                     +-------- concat --------+
//!    |                                            cond [batch, d_step + d_cond]
//!  down level i (dims d_i):  ResBlock(d_{i-1}→d_i), ResBlock(d_i→d_i), Downsample (not the last)
//!  mid:                      ResBlock(d_n→d_n) × 2
//!  up level (reversed, skipping the first): cat(skip) → ResBlock(2 d_i→d_{i-1}), ResBlock, Upsample
//!  final:                    Conv1dBlock(d_0→d_0), Conv1d(d_0→d_action, 1)
//! ```
//!
//! A residual block is `Conv1dBlock → FiLM(scale, bias from Linear(Mish(cond)))
//! → Conv1dBlock`, plus the input (through a 1×1 conv where the channel count
//! changes); a `Conv1dBlock` is Conv1d(kernel k, same padding) → GroupNorm →
//! Mish. With horizon 16 and three levels the temporal length runs
//! 16 → 8 → 4 and back. Odd lengths work too: after each upsampling the
//! sequence is cropped to the skip connection's length (the reference
//! requires a horizon divisible by 2^(levels−1); for those lengths nothing is
//! cropped and the network is the reference's).
//!
//! Weights are drawn from the caller's RNG with PyTorch's default
//! initialisation (uniform in ±1/√fan_in for weights and biases of linear
//! and convolutional layers; GroupNorm starts at scale 1, shift 0), so a
//! seed gives the same network on every backend.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv1d, ConvTranspose1d};
use burn::nn::{GroupNorm, GroupNormConfig, Linear, PaddingConfig1d};
use burn::tensor::activation::mish;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use rand::Rng;

use crate::{PolicyError, Result};

/// Sizes of a [`ConditionalUnet1d`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionalUnet1dConfig {
    /// Channels of the denoised sequence (action features per step).
    pub d_action: usize,
    /// Size of the global conditioning vector (the flattened observation
    /// window).
    pub d_global_cond: usize,
    /// Size of the diffusion-step embedding (even, at least 4).
    pub d_step_embed: usize,
    /// Channels of each U-Net level, outermost first (non-empty, each a
    /// multiple of `n_groups`).
    pub down_dims: Vec<usize>,
    /// Temporal kernel of the convolutions (odd).
    pub kernel_size: usize,
    /// Groups of every GroupNorm.
    pub n_groups: usize,
}

impl ConditionalUnet1dConfig {
    /// Checks the sizes (the reasons name the U-Net's own fields).
    pub fn check(&self) -> Result<()> {
        let bad = |field: &str, reason: String| Err(PolicyError::config(field, reason));
        if self.d_action == 0 {
            return bad("d_action", "must be at least 1".into());
        }
        if self.d_step_embed < 4 || !self.d_step_embed.is_multiple_of(2) {
            let reason = format!("must be even and at least 4, got {}", self.d_step_embed);
            return bad("step_embed_dim", reason);
        }
        if self.kernel_size == 0 || self.kernel_size.is_multiple_of(2) {
            let reason = format!("must be odd, got {}", self.kernel_size);
            return bad("kernel_size", reason);
        }
        if self.n_groups == 0 {
            return bad("n_groups", "must be at least 1".into());
        }
        if self.down_dims.is_empty() {
            return bad("down_dims", "must name at least one level".into());
        }
        if let Some(d) = self
            .down_dims
            .iter()
            .find(|&&d| d == 0 || d % self.n_groups != 0)
        {
            let reason = format!(
                "every entry must be a positive multiple of n_groups ({}), got {d}",
                self.n_groups
            );
            return bad("down_dims", reason);
        }
        Ok(())
    }

    /// Builds the network with weights drawn from `rng`.
    pub fn init<B: Backend, R: Rng>(
        &self,
        device: &B::Device,
        rng: &mut R,
    ) -> Result<ConditionalUnet1d<B>> {
        self.check()?;
        let mut init = Init { device, rng };
        let dsed = self.d_step_embed;
        let d_cond = dsed + self.d_global_cond;
        let step_encoder_0 = init.linear(dsed, dsed * 4);
        let step_encoder_1 = init.linear(dsed * 4, dsed);

        let mut all_dims = vec![self.d_action];
        all_dims.extend(&self.down_dims);
        let in_out: Vec<(usize, usize)> = all_dims.windows(2).map(|w| (w[0], w[1])).collect();
        let (k, g) = (self.kernel_size, self.n_groups);

        let mut down = Vec::new();
        for (i, &(dim_in, dim_out)) in in_out.iter().enumerate() {
            let is_last = i + 1 == in_out.len();
            down.push(DownLevel {
                res_0: init.res_block(dim_in, dim_out, d_cond, k, g),
                res_1: init.res_block(dim_out, dim_out, d_cond, k, g),
                // Downsample1d: Conv1d(dim, dim, 3, stride 2, padding 1).
                downsample: (!is_last).then(|| init.conv1d(dim_out, dim_out, 3, 2, 1)),
            });
        }
        let mid_dim = *all_dims.last().expect("down_dims is non-empty");
        let mid = vec![
            init.res_block(mid_dim, mid_dim, d_cond, k, g),
            init.res_block(mid_dim, mid_dim, d_cond, k, g),
        ];
        let mut up = Vec::new();
        for &(dim_in, dim_out) in in_out.iter().skip(1).rev() {
            up.push(UpLevel {
                res_0: init.res_block(dim_out * 2, dim_in, d_cond, k, g),
                res_1: init.res_block(dim_in, dim_in, d_cond, k, g),
                // Upsample1d: ConvTranspose1d(dim, dim, 4, stride 2, padding 1).
                upsample: init.conv_transpose1d(dim_in, dim_in, 4, 2, 1),
            });
        }
        let start_dim = self.down_dims[0];
        let final_block = init.conv_block(start_dim, start_dim, k, g);
        let final_conv = init.conv1d(start_dim, self.d_action, 1, 1, 0);
        Ok(ConditionalUnet1d {
            step_encoder_0,
            step_encoder_1,
            down,
            mid,
            up,
            final_block,
            final_conv,
            d_step_embed: dsed,
        })
    }
}

/// The noise-prediction U-Net (see the module documentation).
#[derive(Module, Debug)]
pub struct ConditionalUnet1d<B: Backend> {
    step_encoder_0: Linear<B>,
    step_encoder_1: Linear<B>,
    down: Vec<DownLevel<B>>,
    mid: Vec<ResBlock<B>>,
    up: Vec<UpLevel<B>>,
    final_block: Conv1dBlock<B>,
    final_conv: Conv1d<B>,
    d_step_embed: usize,
}

/// One level of the down path.
#[derive(Module, Debug)]
struct DownLevel<B: Backend> {
    res_0: ResBlock<B>,
    res_1: ResBlock<B>,
    downsample: Option<Conv1d<B>>,
}

/// One level of the up path.
#[derive(Module, Debug)]
struct UpLevel<B: Backend> {
    res_0: ResBlock<B>,
    res_1: ResBlock<B>,
    upsample: ConvTranspose1d<B>,
}

/// Conv1d → GroupNorm → Mish.
#[derive(Module, Debug)]
struct Conv1dBlock<B: Backend> {
    conv: Conv1d<B>,
    norm: GroupNorm<B>,
}

impl<B: Backend> Conv1dBlock<B> {
    /// `[batch, c_in, len]` → `[batch, c_out, len]`.
    fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        mish(self.norm.forward(self.conv.forward(x)))
    }
}

/// diffusion_policy's `ConditionalResidualBlock1D` with FiLM
/// (`cond_predict_scale=True`).
#[derive(Module, Debug)]
struct ResBlock<B: Backend> {
    block_0: Conv1dBlock<B>,
    block_1: Conv1dBlock<B>,
    /// `Linear(d_cond, 2 c_out)`: per-channel scale, then bias.
    cond_encoder: Linear<B>,
    /// 1×1 conv where `c_in != c_out`, identity otherwise.
    residual_conv: Option<Conv1d<B>>,
    c_out: usize,
}

impl<B: Backend> ResBlock<B> {
    /// `x` `[batch, c_in, len]`, `cond_mish` = Mish(cond) `[batch, d_cond]`
    /// → `[batch, c_out, len]`. The reference applies Mish inside each
    /// block's condition encoder; applying it once to the shared condition
    /// is the same function.
    fn forward(&self, x: Tensor<B, 3>, cond_mish: Tensor<B, 2>) -> Tensor<B, 3> {
        let out = self.block_0.forward(x.clone()); // [batch, c_out, len]
        let embed = self.cond_encoder.forward(cond_mish); // [batch, 2 c_out]
        let scale = embed.clone().narrow(1, 0, self.c_out).unsqueeze_dim::<3>(2); // [batch, c_out, 1]
        let bias = embed
            .narrow(1, self.c_out, self.c_out)
            .unsqueeze_dim::<3>(2); // [batch, c_out, 1]
        let out = self.block_1.forward(out * scale + bias);
        let residual = match &self.residual_conv {
            Some(conv) => conv.forward(x),
            None => x,
        };
        out + residual
    }
}

impl<B: Backend> ConditionalUnet1d<B> {
    /// Predicts the noise in `sample` at diffusion steps `timesteps`.
    ///
    /// # Shapes
    /// - `sample`: `[batch, d_action, horizon]` (channels first)
    /// - `timesteps`: `[batch]` (diffusion step of each sample, as floats)
    /// - `global_cond`: `[batch, d_global_cond]`
    /// - output: `[batch, d_action, horizon]`
    pub fn forward(
        &self,
        sample: Tensor<B, 3>,
        timesteps: Tensor<B, 1>,
        global_cond: Tensor<B, 2>,
    ) -> Tensor<B, 3> {
        let step = sinusoidal_embedding(timesteps, self.d_step_embed); // [batch, d_step]
        let step = self
            .step_encoder_1
            .forward(mish(self.step_encoder_0.forward(step))); // [batch, d_step]
        let cond = mish(Tensor::cat(vec![step, global_cond], 1)); // [batch, d_cond]

        let horizon = sample.dims()[2];
        let mut x = sample;
        let mut skips = Vec::with_capacity(self.down.len());
        for level in &self.down {
            x = level.res_0.forward(x, cond.clone());
            x = level.res_1.forward(x, cond.clone());
            skips.push(x.clone());
            if let Some(down) = &level.downsample {
                x = down.forward(x); // [batch, c, ceil(len / 2)]
            }
        }
        for block in &self.mid {
            x = block.forward(x, cond.clone());
        }
        // The deepest skip has x's own length; each later one is the length
        // the upsampling before it must be cropped to.
        for level in &self.up {
            let skip = skips.pop().expect("one skip per down level");
            let x_in = crop(x, skip.dims()[2]);
            x = Tensor::cat(vec![x_in, skip], 1); // [batch, 2 c, len]
            x = level.res_0.forward(x, cond.clone());
            x = level.res_1.forward(x, cond.clone());
            x = level.upsample.forward(x); // [batch, c, 2 len]
        }
        let x = crop(x, horizon);
        self.final_conv.forward(self.final_block.forward(x)) // [batch, d_action, horizon]
    }
}

/// The first `len` steps of `x` `[batch, c, ≥ len]`.
fn crop<B: Backend>(x: Tensor<B, 3>, len: usize) -> Tensor<B, 3> {
    if x.dims()[2] == len {
        x
    } else {
        x.narrow(2, 0, len)
    }
}

/// diffusion_policy's `SinusoidalPosEmb`: `[sin(t f_j), cos(t f_j)]` with
/// `f_j = exp(−j ln(10000) / (half − 1))`, `j < half = dim / 2`.
/// `[batch]` → `[batch, dim]`.
fn sinusoidal_embedding<B: Backend>(timesteps: Tensor<B, 1>, dim: usize) -> Tensor<B, 2> {
    let half = dim / 2;
    let scale = 10000f64.ln() / (half as f64 - 1.0);
    let freqs: Vec<f32> = (0..half)
        .map(|j| (-(j as f64) * scale).exp() as f32)
        .collect();
    let freqs = Tensor::<B, 1>::from_data(TensorData::new(freqs, [half]), &timesteps.device());
    let args = timesteps.unsqueeze_dim::<2>(1) * freqs.unsqueeze_dim::<2>(0); // [batch, half]
    Tensor::cat(vec![args.clone().sin(), args.cos()], 1)
}

/// Draws layers with PyTorch's default initialisation from one RNG, in
/// construction order.
struct Init<'a, B: Backend, R: Rng> {
    device: &'a B::Device,
    rng: &'a mut R,
}

impl<B: Backend, R: Rng> Init<'_, B, R> {
    /// A tensor of `shape` uniform in ±`bound`.
    fn uniform<const D: usize>(&mut self, shape: [usize; D], bound: f64) -> Param<Tensor<B, D>> {
        let n = shape.iter().product();
        let bound = bound as f32;
        let data: Vec<f32> = (0..n)
            .map(|_| self.rng.random_range(-bound..=bound))
            .collect();
        Param::from_tensor(Tensor::from_data(TensorData::new(data, shape), self.device))
    }

    /// `nn.Linear(d_input, d_output)`; burn stores the weight as `[d_input, d_output]`.
    fn linear(&mut self, d_input: usize, d_output: usize) -> Linear<B> {
        let bound = 1.0 / (d_input as f64).sqrt();
        Linear {
            weight: self.uniform([d_input, d_output], bound),
            bias: Some(self.uniform([d_output], bound)),
        }
    }

    /// `nn.Conv1d(c_in, c_out, k, stride, padding)`.
    fn conv1d(
        &mut self,
        c_in: usize,
        c_out: usize,
        k: usize,
        stride: usize,
        pad: usize,
    ) -> Conv1d<B> {
        let bound = 1.0 / ((c_in * k) as f64).sqrt();
        Conv1d {
            weight: self.uniform([c_out, c_in, k], bound),
            bias: Some(self.uniform([c_out], bound)),
            stride,
            kernel_size: k,
            dilation: 1,
            groups: 1,
            padding: PaddingConfig1d::Explicit(pad, pad),
        }
    }

    /// `nn.ConvTranspose1d(c_in, c_out, k, stride, padding)` (PyTorch's fan-in
    /// of a transposed conv is `c_out · k`).
    fn conv_transpose1d(
        &mut self,
        c_in: usize,
        c_out: usize,
        k: usize,
        stride: usize,
        pad: usize,
    ) -> ConvTranspose1d<B> {
        let bound = 1.0 / ((c_out * k) as f64).sqrt();
        ConvTranspose1d {
            weight: self.uniform([c_in, c_out, k], bound),
            bias: Some(self.uniform([c_out], bound)),
            stride,
            kernel_size: k,
            dilation: 1,
            groups: 1,
            padding: pad,
            padding_out: 0,
            channels: [c_in, c_out],
        }
    }

    fn conv_block(&mut self, c_in: usize, c_out: usize, k: usize, groups: usize) -> Conv1dBlock<B> {
        Conv1dBlock {
            conv: self.conv1d(c_in, c_out, k, 1, k / 2),
            norm: GroupNormConfig::new(groups, c_out).init(self.device),
        }
    }

    fn res_block(
        &mut self,
        c_in: usize,
        c_out: usize,
        d_cond: usize,
        k: usize,
        groups: usize,
    ) -> ResBlock<B> {
        ResBlock {
            block_0: self.conv_block(c_in, c_out, k, groups),
            block_1: self.conv_block(c_out, c_out, k, groups),
            cond_encoder: self.linear(d_cond, 2 * c_out),
            residual_conv: (c_in != c_out).then(|| self.conv1d(c_in, c_out, 1, 1, 0)),
            c_out,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CpuBackend;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn config(d_action: usize, down_dims: Vec<usize>) -> ConditionalUnet1dConfig {
        ConditionalUnet1dConfig {
            d_action,
            d_global_cond: 6,
            d_step_embed: 8,
            down_dims,
            kernel_size: 5,
            n_groups: 8,
        }
    }

    fn output_dims(cfg: &ConditionalUnet1dConfig, batch: usize, horizon: usize) -> [usize; 3] {
        let device = Default::default();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let net = cfg
            .init::<CpuBackend, _>(&device, &mut rng)
            .expect("valid config");
        let sample = Tensor::<CpuBackend, 3>::ones([batch, cfg.d_action, horizon], &device);
        let t = Tensor::<CpuBackend, 1>::from_data(
            TensorData::new((0..batch).map(|i| i as f32).collect(), [batch]),
            &device,
        );
        let cond = Tensor::<CpuBackend, 2>::zeros([batch, cfg.d_global_cond], &device);
        net.forward(sample, t, cond).dims()
    }

    #[test]
    fn unet_keeps_the_shape_of_a_horizon_16_chunk() {
        let cfg = config(5, vec![16, 32, 64]);
        assert_eq!(output_dims(&cfg, 3, 16), [3, 5, 16]);
    }

    #[test]
    fn unet_handles_odd_horizons_and_one_level() {
        let cfg = config(3, vec![8, 16, 24]);
        for horizon in [1, 5, 7, 10, 15] {
            assert_eq!(output_dims(&cfg, 2, horizon), [2, 3, horizon], "{horizon}");
        }
        let cfg = config(2, vec![8]);
        assert_eq!(output_dims(&cfg, 1, 9), [1, 2, 9]);
    }

    #[test]
    fn unet_config_refuses_channels_that_groups_do_not_divide() {
        let err = config(5, vec![16, 20]).check().err().map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("down_dims"));
        let mut odd = config(5, vec![16]);
        odd.kernel_size = 4;
        assert!(odd.check().is_err());
        let mut odd = config(5, vec![16]);
        odd.d_step_embed = 7;
        assert!(odd.check().is_err());
    }

    #[test]
    fn sinusoidal_embedding_matches_the_formula() {
        let device = Default::default();
        let t =
            Tensor::<CpuBackend, 1>::from_data(TensorData::new(vec![0.0f32, 3.0], [2]), &device);
        let e = sinusoidal_embedding(t, 6)
            .into_data()
            .into_vec::<f32>()
            .expect("f32");
        // half = 3, freqs = [1, 0.01, 0.0001].
        let want = [
            0.0,
            0.0,
            0.0,
            1.0,
            1.0,
            1.0,
            3f32.sin(),
            0.03f32.sin(),
            0.0003f32.sin(),
            3f32.cos(),
            0.03f32.cos(),
            0.0003f32.cos(),
        ];
        for (a, b) in e.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{e:?}");
        }
    }
}
