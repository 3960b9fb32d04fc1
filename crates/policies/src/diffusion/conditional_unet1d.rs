//! The noise-prediction network of the diffusion policy: a 1-D temporal
//! convolutional U-Net conditioned by FiLM, as diffusion_policy's
//! `ConditionalUnet1D` (Chi et al., RSS 2023, `cond_predict_scale=True`,
//! global conditioning on the flattened observation window).
//!
//! ```text
//! sample [batch, horizon, d_action]      step t [batch]      obs window [batch, d_cond]
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
//! Mish. Downsampling is Conv1d(3, stride 2, padding 1), upsampling
//! ConvTranspose1d(4, stride 2, padding 1). With horizon 16 and three levels
//! the temporal length runs 16 → 8 → 4 and back. Odd lengths work too: after
//! each upsampling the sequence is cropped to the skip connection's length
//! (the reference requires a horizon divisible by 2^(levels−1); for those
//! lengths nothing is cropped and the network is the reference's).
//!
//! # Layout
//! Inside, activations are time-major, `[len, batch, channels]`, and every
//! convolution is one matrix product of the stacked kernel taps
//! (`[len · batch, k · c_in] × [k · c_in, c_out]`). burn's `Conv1d`,
//! `ConvTranspose1d` and `GroupNorm` compute the same functions (the tests
//! below check it), but on the Flex CPU backend their backward passes and
//! channel broadcasts walk strided tensors element by element; in this
//! layout every broadcast (GroupNorm statistics and affine, FiLM) is a
//! contiguous shared row, and a training step of the default size costs
//! about 1.5× less CPU time (BENCHMARKS.md, "Diffusion policy").
//!
//! Weights are drawn from the caller's RNG with PyTorch's default
//! initialisation (uniform in ±1/√fan_in for weights and biases of linear
//! and convolutional layers; GroupNorm starts at scale 1, shift 0), so a
//! seed gives the same network on every backend.

use burn::module::{Module, Param};
use burn::nn::Linear;
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
                downsample: (!is_last).then(|| init.conv(dim_out, dim_out, 3)),
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
                upsample: init.conv_transpose(dim_in, dim_in, 4),
            });
        }
        let start_dim = self.down_dims[0];
        let final_block = init.conv_block(start_dim, start_dim, k, g);
        let final_conv = init.conv(start_dim, self.d_action, 1);
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
    final_conv: TemporalConv<B>,
    d_step_embed: usize,
}

/// One level of the down path.
#[derive(Module, Debug)]
struct DownLevel<B: Backend> {
    res_0: ResBlock<B>,
    res_1: ResBlock<B>,
    /// Downsample1d: Conv1d(c, c, 3, stride 2, padding 1).
    downsample: Option<TemporalConv<B>>,
}

/// One level of the up path.
#[derive(Module, Debug)]
struct UpLevel<B: Backend> {
    res_0: ResBlock<B>,
    res_1: ResBlock<B>,
    /// Upsample1d: ConvTranspose1d(c, c, 4, stride 2, padding 1).
    upsample: TemporalConv<B>,
}

impl<B: Backend> ConditionalUnet1d<B> {
    /// Predicts the noise in `sample` at diffusion steps `timesteps`.
    ///
    /// # Shapes
    /// - `sample`: `[batch, horizon, d_action]` (the chunk layout)
    /// - `timesteps`: `[batch]` (diffusion step of each sample, as floats)
    /// - `global_cond`: `[batch, d_global_cond]`
    /// - output: `[batch, horizon, d_action]`
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

        let horizon = sample.dims()[1];
        let mut x = sample.swap_dims(0, 1); // [horizon, batch, d_action]
        let mut skips = Vec::with_capacity(self.down.len());
        for level in &self.down {
            x = level.res_0.forward(x, cond.clone());
            x = level.res_1.forward(x, cond.clone());
            skips.push(x.clone());
            if let Some(down) = &level.downsample {
                x = down.downsample(x); // [ceil(len / 2), batch, c]
            }
        }
        for block in &self.mid {
            x = block.forward(x, cond.clone());
        }
        // The deepest skip has x's own length; each later one is the length
        // the upsampling before it must be cropped to.
        for level in &self.up {
            let skip = skips.pop().expect("one skip per down level");
            let x_in = crop(x, skip.dims()[0]);
            x = Tensor::cat(vec![x_in, skip], 2); // [len, batch, 2 c]
            x = level.res_0.forward(x, cond.clone());
            x = level.res_1.forward(x, cond.clone());
            x = level.upsample.upsample(x); // [2 len, batch, c]
        }
        let x = crop(x, horizon);
        let x = self.final_conv.conv(self.final_block.forward(x)); // [horizon, batch, d_action]
        x.swap_dims(0, 1)
    }
}

/// diffusion_policy's `ConditionalResidualBlock1D` with FiLM
/// (`cond_predict_scale=True`).
#[derive(Module, Debug)]
struct ResBlock<B: Backend> {
    block_0: Conv1dBlock<B>,
    block_1: Conv1dBlock<B>,
    /// The FiLM scale, `Linear(d_cond, c_out)`: the first half of the
    /// reference's `Linear(d_cond, 2 c_out)`, kept as its own layer so that
    /// its output is contiguous.
    cond_scale: Linear<B>,
    /// The FiLM bias, the second half.
    cond_bias: Linear<B>,
    /// 1×1 conv where `c_in != c_out`, identity otherwise.
    residual_conv: Option<TemporalConv<B>>,
}

impl<B: Backend> ResBlock<B> {
    /// `x` `[len, batch, c_in]`, `cond_mish` = Mish(cond) `[batch, d_cond]`
    /// → `[len, batch, c_out]`. The reference applies Mish inside each
    /// block's condition encoder; applying it once to the shared condition
    /// is the same function.
    fn forward(&self, x: Tensor<B, 3>, cond_mish: Tensor<B, 2>) -> Tensor<B, 3> {
        let out = self.block_0.forward(x.clone()); // [len, batch, c_out]
        let [len, batch, c_out] = out.dims();
        let scale = self.cond_scale.forward(cond_mish.clone()); // [batch, c_out]
        let bias = self.cond_bias.forward(cond_mish); // [batch, c_out]
        let out = out.reshape([len, batch * c_out]) * scale.reshape([1, batch * c_out])
            + bias.reshape([1, batch * c_out]);
        let out = self.block_1.forward(out.reshape([len, batch, c_out]));
        let residual = match &self.residual_conv {
            Some(conv) => conv.conv(x),
            None => x,
        };
        out + residual
    }
}

/// Conv1d → GroupNorm → Mish.
#[derive(Module, Debug)]
struct Conv1dBlock<B: Backend> {
    conv: TemporalConv<B>,
    norm: GroupNorm1d<B>,
}

impl<B: Backend> Conv1dBlock<B> {
    /// `[len, batch, c_in]` → `[len, batch, c_out]`.
    fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        mish(self.norm.forward(self.conv.conv(x)))
    }
}

/// A 1-D convolution's weights, taps stacked: `weight[j · c_in + c][o]` is
/// PyTorch's `weight[o][c][j]` (`Conv1d`) or `weight[c][o][j]`
/// (`ConvTranspose1d`).
#[derive(Module, Debug)]
struct TemporalConv<B: Backend> {
    /// `[k · c_in, c_out]`.
    weight: Param<Tensor<B, 2>>,
    /// `[c_out]`.
    bias: Param<Tensor<B, 1>>,
}

impl<B: Backend> TemporalConv<B> {
    /// Stacks `taps` (windows of `[len, batch, c_in]`) along channels and
    /// multiplies by `weight`: `[len, batch, taps · c_in]` → `[len, batch, c_out]`.
    fn apply(&self, taps: Vec<Tensor<B, 3>>, weight: Tensor<B, 2>) -> Tensor<B, 3> {
        let cols = if taps.len() == 1 {
            taps.into_iter().next().expect("one tap")
        } else {
            Tensor::cat(taps, 2)
        };
        let [len, batch, kc] = cols.dims();
        let c_out = weight.dims()[1];
        let y = cols.reshape([len * batch, kc]).matmul(weight) + self.bias.val().unsqueeze_dim(0);
        y.reshape([len, batch, c_out])
    }

    /// `nn.Conv1d(c_in, c_out, k, padding=k/2)` (odd `k`):
    /// `[len, batch, c_in]` → `[len, batch, c_out]`.
    fn conv(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let [len, _, c_in] = x.dims();
        let k = self.weight.dims()[0] / c_in;
        if k == 1 {
            return self.apply(vec![x], self.weight.val());
        }
        let x = pad_time(x, k / 2, k / 2); // [len + k − 1, batch, c_in]
        let taps = (0..k).map(|j| x.clone().narrow(0, j, len)).collect();
        self.apply(taps, self.weight.val())
    }

    /// `nn.Conv1d(c, c, 3, stride=2, padding=1)`:
    /// `[len, batch, c]` → `[ceil(len / 2), batch, c]`. Output `i` reads
    /// padded steps `2i, 2i + 1, 2i + 2`.
    fn downsample(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let [len, batch, c] = x.dims();
        let n = len.div_ceil(2);
        let x = pad_time(x, 1, 2 * n + 1 - len); // [2n + 2, batch, c]
        let pairs = x.reshape([n + 1, 2, batch, c]);
        let even = pairs.clone().narrow(1, 0, 1).reshape([n + 1, batch, c]);
        let odd = pairs.narrow(1, 1, 1).reshape([n + 1, batch, c]);
        let taps = vec![
            even.clone().narrow(0, 0, n),
            odd.narrow(0, 0, n),
            even.narrow(0, 1, n),
        ];
        self.apply(taps, self.weight.val())
    }

    /// `nn.ConvTranspose1d(c, c, 4, stride=2, padding=1)`:
    /// `[len, batch, c]` → `[2 len, batch, c]`. Output `2m` takes
    /// `x[m] W₁ + x[m−1] W₃`, output `2m + 1` takes `x[m+1] W₀ + x[m] W₂`.
    fn upsample(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let [len, batch, c] = x.dims();
        let x = pad_time(x, 1, 1); // x[m] is step m + 1
        let tap = |j: usize| self.weight.val().narrow(0, j * c, c); // [c, c_out]
        let at = |shift: usize| x.clone().narrow(0, shift, len);
        let even = self.apply(vec![at(1), at(0)], Tensor::cat(vec![tap(1), tap(3)], 0));
        let odd = self.apply(vec![at(2), at(1)], Tensor::cat(vec![tap(0), tap(2)], 0));
        let c_out = even.dims()[2];
        Tensor::stack::<4>(vec![even, odd], 1).reshape([2 * len, batch, c_out])
    }
}

/// Zero steps before and after: `[len, batch, c]` → `[before + len + after, batch, c]`.
fn pad_time<B: Backend>(x: Tensor<B, 3>, before: usize, after: usize) -> Tensor<B, 3> {
    let [_, batch, c] = x.dims();
    let device = x.device();
    let mut parts = Vec::with_capacity(3);
    if before > 0 {
        parts.push(Tensor::zeros([before, batch, c], &device));
    }
    parts.push(x);
    if after > 0 {
        parts.push(Tensor::zeros([after, batch, c], &device));
    }
    Tensor::cat(parts, 0)
}

/// `nn.GroupNorm(n_groups, c)` (eps 1e-5, affine) over `[len, batch, c]`:
/// each sample's channels are split in `n_groups` groups, each normalised
/// over its channels and all steps.
#[derive(Module, Debug)]
struct GroupNorm1d<B: Backend> {
    /// `[c]`.
    gamma: Param<Tensor<B, 1>>,
    /// `[c]`.
    beta: Param<Tensor<B, 1>>,
    n_groups: usize,
}

impl<B: Backend> GroupNorm1d<B> {
    const EPS: f64 = 1e-5;

    fn new(n_groups: usize, c: usize, device: &B::Device) -> Self {
        Self {
            gamma: Param::from_tensor(Tensor::ones([c], device)),
            beta: Param::from_tensor(Tensor::zeros([c], device)),
            n_groups,
        }
    }

    /// `[len, batch, c]` → `[len, batch, c]`.
    fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let [len, batch, c] = x.dims();
        let device = x.device();
        let g = self.n_groups;
        let per_group = (c / g * len) as f32;
        // member[c][g] = 1 where channel c is in group g.
        let member: Vec<f32> = (0..c)
            .flat_map(|ch| (0..g).map(move |gr| f32::from(u8::from(ch / (c / g) == gr))))
            .collect();
        let member = Tensor::<B, 2>::from_data(TensorData::new(member, [c, g]), &device);
        let spread = member.clone().transpose(); // [g, c]
        let mean_over = member.div_scalar(per_group); // [c, g]
        // Per-sample, per-group statistics, spread back to [1, batch · c].
        let stat = |t: Tensor<B, 2>| {
            let per_channel = t.sum_dim(0).reshape([batch, c]); // Σ over steps
            per_channel
                .matmul(mean_over.clone())
                .matmul(spread.clone())
                .reshape([1, batch * c])
        };
        let x = x.reshape([len, batch * c]);
        let xc = x.clone() - stat(x);
        let var = stat(xc.clone().square()); // biased, as PyTorch
        let xn = xc * var.add_scalar(Self::EPS).sqrt().recip(); // [len, batch · c]
        let ones = Tensor::<B, 2>::ones([batch, 1], &device);
        let per_sample = |p: Tensor<B, 1>| {
            ones.clone()
                .matmul(p.reshape([1, c]))
                .reshape([1, batch * c])
        };
        (xn * per_sample(self.gamma.val()) + per_sample(self.beta.val())).reshape([len, batch, c])
    }
}

/// The first `len` steps of `x` `[≥ len, batch, c]`.
fn crop<B: Backend>(x: Tensor<B, 3>, len: usize) -> Tensor<B, 3> {
    if x.dims()[0] == len {
        x
    } else {
        x.narrow(0, 0, len)
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

    /// `nn.Conv1d(c_in, c_out, k)`: fan-in `c_in · k`.
    fn conv(&mut self, c_in: usize, c_out: usize, k: usize) -> TemporalConv<B> {
        let bound = 1.0 / ((c_in * k) as f64).sqrt();
        TemporalConv {
            weight: self.uniform([k * c_in, c_out], bound),
            bias: self.uniform([c_out], bound),
        }
    }

    /// `nn.ConvTranspose1d(c_in, c_out, k)`: PyTorch's fan-in of a
    /// transposed conv is `c_out · k`.
    fn conv_transpose(&mut self, c_in: usize, c_out: usize, k: usize) -> TemporalConv<B> {
        let bound = 1.0 / ((c_out * k) as f64).sqrt();
        TemporalConv {
            weight: self.uniform([k * c_in, c_out], bound),
            bias: self.uniform([c_out], bound),
        }
    }

    fn conv_block(&mut self, c_in: usize, c_out: usize, k: usize, groups: usize) -> Conv1dBlock<B> {
        Conv1dBlock {
            conv: self.conv(c_in, c_out, k),
            norm: GroupNorm1d::new(groups, c_out, self.device),
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
            cond_scale: self.linear(d_cond, c_out),
            cond_bias: self.linear(d_cond, c_out),
            residual_conv: (c_in != c_out).then(|| self.conv(c_in, c_out, 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CpuBackend;
    use burn::nn::GroupNormConfig;
    use burn::nn::PaddingConfig1d;
    use burn::nn::conv::{Conv1d, ConvTranspose1d};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    type T3 = Tensor<CpuBackend, 3>;

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
        let sample = T3::ones([batch, horizon, cfg.d_action], &device);
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
        assert_eq!(output_dims(&cfg, 3, 16), [3, 16, 5]);
    }

    #[test]
    fn unet_handles_odd_horizons_and_one_level() {
        let cfg = config(3, vec![8, 16, 24]);
        for horizon in [1, 5, 7, 10, 15] {
            assert_eq!(output_dims(&cfg, 2, horizon), [2, horizon, 3], "{horizon}");
        }
        let cfg = config(2, vec![8]);
        assert_eq!(output_dims(&cfg, 1, 9), [1, 9, 2]);
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

    // The time-major layers against burn's channels-first modules with the
    // same weights: `[batch, c, len]` ↔ `[len, batch, c]`.

    fn random(shape: [usize; 3], seed: u64) -> T3 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = shape.iter().product();
        let data: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
        T3::from_data(TensorData::new(data, shape), &Default::default())
    }

    fn time_major(x: T3) -> T3 {
        x.permute([2, 0, 1])
    }

    fn assert_close(ours: T3, theirs: T3) {
        assert_eq!(ours.dims(), theirs.dims());
        let a = ours.into_data().into_vec::<f32>().expect("f32");
        let b = theirs.into_data().into_vec::<f32>().expect("f32");
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-5, "{x} vs {y}");
        }
    }

    /// Our layer and burn's weight `[a, b, k]` (PyTorch layout) holding the
    /// same numbers: ours[j · a + i][o] = theirs[o or i ...][j].
    fn layer(
        c_in: usize,
        c_out: usize,
        k: usize,
        transposed: bool,
    ) -> (
        TemporalConv<CpuBackend>,
        Tensor<CpuBackend, 3>,
        Tensor<CpuBackend, 1>,
    ) {
        let device = Default::default();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut init = Init::<CpuBackend, _> {
            device: &device,
            rng: &mut rng,
        };
        let ours = if transposed {
            init.conv_transpose(c_in, c_out, k)
        } else {
            init.conv(c_in, c_out, k)
        };
        let w = ours.weight.val().reshape([k, c_in, c_out]); // [j, i, o]
        let w = if transposed {
            w.permute([1, 2, 0])
        } else {
            w.permute([2, 1, 0])
        };
        (ours.clone(), w, ours.bias.val())
    }

    #[test]
    fn temporal_conv_matches_burns_conv1d() {
        for (k, len) in [(5, 16), (5, 3), (1, 7), (3, 4)] {
            let (ours, w, b) = layer(4, 6, k, false);
            let theirs = Conv1d {
                weight: Param::from_tensor(w),
                bias: Some(Param::from_tensor(b)),
                stride: 1,
                kernel_size: k,
                dilation: 1,
                groups: 1,
                padding: PaddingConfig1d::Explicit(k / 2, k / 2),
            };
            let x = random([2, 4, len], 1);
            assert_close(
                ours.conv(time_major(x.clone())),
                time_major(theirs.forward(x)),
            );
        }
    }

    #[test]
    fn downsample_matches_a_strided_conv1d() {
        let (ours, w, b) = layer(4, 4, 3, false);
        let theirs = Conv1d {
            weight: Param::from_tensor(w),
            bias: Some(Param::from_tensor(b)),
            stride: 2,
            kernel_size: 3,
            dilation: 1,
            groups: 1,
            padding: PaddingConfig1d::Explicit(1, 1),
        };
        for len in [16, 8, 7, 1, 2] {
            let x = random([3, 4, len], 2);
            assert_close(
                ours.downsample(time_major(x.clone())),
                time_major(theirs.forward(x)),
            );
        }
    }

    #[test]
    fn upsample_matches_burns_conv_transpose1d() {
        let (ours, w, b) = layer(4, 4, 4, true);
        let theirs = ConvTranspose1d {
            weight: Param::from_tensor(w),
            bias: Some(Param::from_tensor(b)),
            stride: 2,
            kernel_size: 4,
            dilation: 1,
            groups: 1,
            padding: 1,
            padding_out: 0,
            channels: [4, 4],
        };
        for len in [4, 1, 5] {
            let x = random([2, 4, len], 3);
            assert_close(
                ours.upsample(time_major(x.clone())),
                time_major(theirs.forward(x)),
            );
        }
    }

    #[test]
    fn group_norm_matches_burns() {
        let device = Default::default();
        let x = random([2, 16, 5], 4).mul_scalar(3.0).add_scalar(0.5);
        let gamma: Vec<f32> = (0..16).map(|i| 0.5 + i as f32 / 10.0).collect();
        let beta: Vec<f32> = (0..16).map(|i| i as f32 / 20.0 - 0.3).collect();
        let param = |v: &[f32]| {
            Param::from_tensor(Tensor::from_data(
                TensorData::new(v.to_vec(), [16]),
                &device,
            ))
        };
        let mut ours = GroupNorm1d::<CpuBackend>::new(8, 16, &device);
        ours.gamma = param(&gamma);
        ours.beta = param(&beta);
        let mut theirs = GroupNormConfig::new(8, 16).init::<CpuBackend>(&device);
        theirs.gamma = Some(param(&gamma));
        theirs.beta = Some(param(&beta));
        assert_close(
            ours.forward(time_major(x.clone())),
            time_major(theirs.forward(x)),
        );
    }
}
