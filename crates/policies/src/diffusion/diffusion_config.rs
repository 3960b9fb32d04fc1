//! `DiffusionConfig`: the diffusion policy's settings, the `diffusion:`
//! section of a run config. Defaults follow Chi et al. (RSS 2023) except the
//! network size, which is sized for CPU training (see `down_dims`).

use serde::{Deserialize, Serialize};
use yaml_config::ConfigCheck;

use super::conditional_unet1d::ConditionalUnet1dConfig;
use super::ema::Ema;
use super::lr_schedule::LrSchedule;
use crate::{AdamConfig, ChunkShape, Result};

/// The paper's U-Net channels, for GPU runs.
pub const PAPER_DOWN_DIMS: [usize; 3] = [256, 512, 1024];

/// The diffusion policy's settings (the `diffusion:` section).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiffusionConfig {
    /// Channels of each U-Net level, outermost first; each a multiple of
    /// `n_groups`. The paper uses `[256, 512, 1024]` ([`PAPER_DOWN_DIMS`]).
    /// Default `[32, 64, 128]`, sized for CPU training: about 70 ms a
    /// step at batch 64 on two cores, so the default 25 000 steps take about
    /// half an hour (BENCHMARKS.md, "Diffusion policy").
    pub down_dims: Vec<usize>,
    /// Temporal kernel of the U-Net's convolutions (odd). Default 5.
    pub kernel_size: usize,
    /// Groups of every GroupNorm. Default 8.
    pub n_groups: usize,
    /// Size of the sinusoidal diffusion-step embedding (even, ≥ 4); its MLP
    /// is `d → 4d → d`. The paper uses 256 (128 for images). Default 64.
    pub step_embed_dim: usize,
    /// Diffusion steps of DDPM training (T). Default 100.
    pub num_train_timesteps: usize,
    /// DDIM steps when sampling a chunk, in `1..=num_train_timesteps`
    /// (10–16 in the paper's real-world runs). Default 10.
    pub num_inference_steps: usize,
    /// Peak learning rate of AdamW. Default 1e-4.
    pub learning_rate: f64,
    /// AdamW's first-moment decay. Default 0.95.
    pub beta1: f64,
    /// AdamW's second-moment decay. Default 0.999.
    pub beta2: f64,
    /// AdamW's denominator epsilon. Default 1e-8.
    pub adam_eps: f64,
    /// Decoupled weight decay of AdamW (per unit learning rate). Default 1e-6.
    pub weight_decay: f64,
    /// Steps of linear learning-rate warm-up. Default 500.
    pub lr_warmup_steps: u64,
    /// Gradient steps the cosine schedule spans (warm-up included); the rate
    /// reaches 0 there and stays 0. Default 25 000.
    pub total_gradient_steps: u64,
    /// Exponent of the EMA's warm-up, `1 − (1 + step)^−power`. Default 0.75.
    pub ema_power: f64,
    /// Largest EMA decay. Default 0.9999.
    pub ema_max_decay: f64,
    /// Windows per gradient step. The paper uses 256. Default 64.
    pub batch_size: usize,
}

impl Default for DiffusionConfig {
    fn default() -> Self {
        Self {
            down_dims: vec![32, 64, 128],
            kernel_size: 5,
            n_groups: 8,
            step_embed_dim: 64,
            num_train_timesteps: 100,
            num_inference_steps: 10,
            learning_rate: 1e-4,
            beta1: 0.95,
            beta2: 0.999,
            adam_eps: 1e-8,
            weight_decay: 1e-6,
            lr_warmup_steps: 500,
            total_gradient_steps: 25_000,
            ema_power: 0.75,
            ema_max_decay: 0.9999,
            batch_size: 64,
        }
    }
}

impl DiffusionConfig {
    /// The paper's sizes: channels `[256, 512, 1024]`, step embedding 256,
    /// batch 256; everything else as [`DiffusionConfig::default`].
    pub fn paper() -> Self {
        Self {
            down_dims: PAPER_DOWN_DIMS.to_vec(),
            step_embed_dim: 256,
            batch_size: 256,
            ..Self::default()
        }
    }

    /// Checks ranges, naming the offending field (`diffusion.<field>`).
    pub fn validate(&self) -> Result<()> {
        let mut c = ConfigCheck::detached("diffusion config");
        self.check(&mut c);
        Ok(c.finish()?)
    }

    /// Adds this section's range checks to `c` (for a check located in a
    /// file by its owner).
    pub fn check(&self, c: &mut ConfigCheck<'_>) {
        let groups = self.n_groups;
        c.require(!self.down_dims.is_empty(), "diffusion.down_dims", || {
            "at least one level".to_owned()
        });
        if let Some(d) = self
            .down_dims
            .iter()
            .find(|&&d| d == 0 || groups == 0 || d % groups != 0)
        {
            c.require(false, "diffusion.down_dims", || {
                format!("positive multiples of n_groups ({groups}), got {d}")
            });
        }
        let k = self.kernel_size;
        c.require(!k.is_multiple_of(2), "diffusion.kernel_size", || {
            format!("an odd kernel size, got {k}")
        });
        c.at_least("diffusion.n_groups", groups as u64, 1);
        let e = self.step_embed_dim;
        c.require(
            e >= 4 && e.is_multiple_of(2),
            "diffusion.step_embed_dim",
            || format!("an even size of at least 4, got {e}"),
        );
        c.int_within(
            "diffusion.num_train_timesteps",
            self.num_train_timesteps as u64,
            1,
            10_000,
        );
        c.int_within(
            "diffusion.num_inference_steps",
            self.num_inference_steps as u64,
            1,
            self.num_train_timesteps.max(1) as u64,
        );
        c.positive("diffusion.learning_rate", self.learning_rate);
        for (path, beta) in [
            ("diffusion.beta1", self.beta1),
            ("diffusion.beta2", self.beta2),
        ] {
            c.require((0.0..1.0).contains(&beta), path, || {
                format!("a number in [0, 1), got {beta}")
            });
        }
        c.positive("diffusion.adam_eps", self.adam_eps);
        c.non_negative("diffusion.weight_decay", self.weight_decay);
        let warmup = self.lr_warmup_steps;
        c.require(
            self.total_gradient_steps > warmup,
            "diffusion.total_gradient_steps",
            || format!("more steps than lr_warmup_steps ({warmup})"),
        );
        c.positive("diffusion.ema_power", self.ema_power);
        let max_decay = self.ema_max_decay;
        c.require(
            (0.0..1.0).contains(&max_decay),
            "diffusion.ema_max_decay",
            || format!("a number in [0, 1), got {max_decay}"),
        );
        c.at_least("diffusion.batch_size", self.batch_size as u64, 1);
    }

    /// The U-Net for `shape` (global conditioning on the flattened window).
    pub fn unet(&self, shape: &ChunkShape) -> ConditionalUnet1dConfig {
        ConditionalUnet1dConfig {
            d_action: shape.action_dim,
            d_global_cond: shape.window_len(),
            d_step_embed: self.step_embed_dim,
            down_dims: self.down_dims.clone(),
            kernel_size: self.kernel_size,
            n_groups: self.n_groups,
        }
    }

    /// AdamW's hyperparameters.
    pub fn adam(&self) -> AdamConfig {
        AdamConfig {
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.adam_eps,
            weight_decay: self.weight_decay,
        }
    }

    /// The learning-rate schedule.
    pub fn lr_schedule(&self) -> LrSchedule {
        LrSchedule {
            base_lr: self.learning_rate,
            warmup_steps: self.lr_warmup_steps,
            total_steps: self.total_gradient_steps,
        }
    }

    /// The EMA's decay rule.
    pub fn ema(&self) -> Ema {
        Ema {
            power: self.ema_power,
            max_decay: self.ema_max_decay,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yaml_config::ConfigSource;

    #[test]
    fn default_and_paper_configs_are_valid() {
        assert!(DiffusionConfig::default().validate().is_ok());
        assert!(DiffusionConfig::paper().validate().is_ok());
    }

    #[test]
    fn diffusion_section_loads_from_yaml_and_refuses_unknown_keys() {
        let text = "seed: 1\ndiffusion:\n  down_dims: [32, 64]\n  num_inference_steps: 16\n";
        let cfg: Option<DiffusionConfig> = ConfigSource::from_text("run.yaml", text)
            .parse_section("diffusion")
            .ok()
            .flatten();
        let cfg = cfg.unwrap_or_default();
        assert_eq!(cfg.down_dims, vec![32, 64]);
        assert_eq!(cfg.num_inference_steps, 16);
        assert_eq!(cfg.kernel_size, 5);

        let bad = "diffusion:\n  down_dim: [32]\n";
        let err = ConfigSource::from_text("run.yaml", bad)
            .parse_section::<DiffusionConfig>("diffusion")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("down_dim"), "{err}");
    }

    #[test]
    fn validation_names_the_field() {
        let cases: Vec<(DiffusionConfig, &str)> = vec![
            (
                DiffusionConfig {
                    down_dims: vec![64, 100],
                    ..DiffusionConfig::default()
                },
                "diffusion.down_dims",
            ),
            (
                DiffusionConfig {
                    down_dims: vec![],
                    ..DiffusionConfig::default()
                },
                "diffusion.down_dims",
            ),
            (
                DiffusionConfig {
                    kernel_size: 4,
                    ..DiffusionConfig::default()
                },
                "diffusion.kernel_size",
            ),
            (
                DiffusionConfig {
                    num_inference_steps: 101,
                    ..DiffusionConfig::default()
                },
                "diffusion.num_inference_steps",
            ),
            (
                DiffusionConfig {
                    step_embed_dim: 30 + 1,
                    ..DiffusionConfig::default()
                },
                "diffusion.step_embed_dim",
            ),
            (
                DiffusionConfig {
                    total_gradient_steps: 400,
                    ..DiffusionConfig::default()
                },
                "diffusion.total_gradient_steps",
            ),
            (
                DiffusionConfig {
                    ema_max_decay: 1.0,
                    ..DiffusionConfig::default()
                },
                "diffusion.ema_max_decay",
            ),
        ];
        for (cfg, field) in cases {
            let err = cfg.validate().err().map(|e| e.to_string());
            let msg = err.unwrap_or_default();
            assert!(msg.contains(field), "{field}: {msg}");
        }
    }
}
