//! Diffusion policy (Chi et al., RSS 2023): a DDPM over action chunks with a
//! conditional 1-D U-Net, sampled with DDIM, trained with AdamW under a
//! warm-up + cosine schedule, acting from EMA weights (SPEC §4).
//!
//! - [`DiffusionPolicy`]: the policy, a [`ChunkModel`](crate::ChunkModel);
//!   read `diffusion_policy.rs` top to bottom;
//! - [`DiffusionConfig`]: the `diffusion:` section;
//! - [`ConditionalUnet1d`]: the noise-prediction network;
//! - [`NoiseSchedule`], [`Ema`], [`LrSchedule`]: the schedule, weight
//!   averaging and learning rate, each a small pure piece.

mod conditional_unet1d;
mod diffusion_config;
mod diffusion_policy;
mod ema;
mod lr_schedule;
mod noise_schedule;

pub use conditional_unet1d::{ConditionalUnet1d, ConditionalUnet1dConfig};
pub use diffusion_config::{DiffusionConfig, PAPER_DOWN_DIMS};
pub use diffusion_policy::DiffusionPolicy;
pub use ema::Ema;
pub use lr_schedule::LrSchedule;
pub use noise_schedule::NoiseSchedule;
