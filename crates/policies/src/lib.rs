//! Policies on burn: networks, PPO, SAC, behaviour cloning, checkpoints and
//! device selection (SPEC §4).
//!
//! - [`ActorCritic`]: the actor-critic MLPs PPO trains and BC warm-starts;
//! - [`ppo`]: Proximal Policy Optimization in one module, top to bottom,
//!   with its warm-start extras ([`FineTuneConfig`]) beside it;
//! - [`sac`]: Soft Actor-Critic (continuous actions) in one module, top to
//!   bottom, with its [`ReplayBuffer`] and [`ResumableEnv`] copies beside it;
//! - [`ObservationMask`]: observation features a learner never uses (PPO
//!   and BC);
//! - [`bc`]: behaviour cloning from (observation, action) demonstrations;
//! - action chunking: [`ChunkModel`] (window in, chunk out), the
//!   ACT-style [`ChunkHead`], the episode dataset and its windows
//!   ([`ChunkDataset`]), the [`ChunkExecutor`] (receding horizon or
//!   temporal ensembling) and the session learner [`TaskChunkLearner`];
//! - [`diffusion`]: the diffusion policy over action chunks
//!   ([`DiffusionPolicy`], a [`ChunkModel`]);
//! - [`Checkpoint`]: safetensors weights plus a JSON sidecar, written atomically;
//! - [`DeviceChoice`] / [`run_on`]: the CPU backend by default, CUDA behind
//!   the `cuda` feature.
//!
//! Library code is generic over the burn backend and never prints; training
//! reports each update to a callback.

mod actor_critic;
mod adam;
pub mod bc;
mod checkpoint;
mod chunk_config;
mod chunk_dataset;
mod chunk_executor;
mod chunk_head;
mod chunk_model;
mod chunk_normalizer;
mod chunk_policy;
mod chunk_self_imitation;
mod dagger;
mod dagger_config;
mod device;
pub mod diffusion;
mod error;
mod evaluation;
mod named_tensor;
mod observation_mask;
mod policy_snapshot;
pub mod ppo;
mod ppo_run_config;
mod ppo_update;
mod replay_buffer;
mod residual;
mod resumable_env;
pub mod sac;
mod sac_iteration;
mod sac_policy;
mod sac_run_config;
mod session;

pub use actor_critic::{ActionKind, ActorCritic, ActorCriticConfig, Evaluation, orthogonal};
pub use adam::{Adam, AdamConfig};
pub use bc::{BcConfig, BcLoss, BcReport, Demonstrations, train_bc};
pub use checkpoint::{
    CHECKPOINT_FORMAT_VERSION, Checkpoint, CheckpointFile, CheckpointMeta, CheckpointState,
    RngState, git_commit, write_atomic,
};
pub use chunk_config::ChunkConfig;
pub use chunk_dataset::{ChunkDataset, ChunkWindow, record_expert_episodes};
pub use chunk_executor::{
    ChunkExecution, ChunkExecutor, ensemble_weights, evaluate_chunk_episodes,
};
pub use chunk_head::{ChunkActivation, ChunkHead, ChunkHeadConfig, ChunkLoss, ChunkMlp};
pub use chunk_model::{ChunkModel, ChunkShape};
pub use chunk_normalizer::{CONSTANT_FEATURE_RANGE, MinMaxNormalizer};
pub use chunk_policy::{
    CHUNK_ALGORITHMS, ChunkPolicy, DEMONSTRATIONS_FILE, DemoRecord, InitRecord, RoundRecord,
    load_demonstrations, load_rounds, round_file,
};
pub use chunk_self_imitation::{
    ROLLOUT_SEED_BASE, RoundOutcome, Segment, SegmentCutter, SegmentPrices, SelfImitationConfig,
    collect_round, rollout_seed, select_segments,
};
pub use dagger::{
    Dagger, DaggerLearner, DaggerReport, DaggerRound, dagger, observation_statistics,
    record_demonstrations,
};
pub use dagger_config::DaggerConfig;
#[cfg(any(feature = "ndarray", feature = "flex"))]
pub use device::{CpuAutodiff, CpuBackend};
#[cfg(feature = "cuda")]
pub use device::{CudaAutodiff, CudaBackend};
pub use device::{DeviceChoice, WithBackend, cuda_driver_present, run_on};
pub use diffusion::{
    ConditionalUnet1d, ConditionalUnet1dConfig, DiffusionConfig, DiffusionPolicy, Ema, LrSchedule,
    NoiseSchedule, PAPER_DOWN_DIMS,
};
pub use error::{PolicyError, Result};
pub(crate) use evaluation::action_bounds;
pub use evaluation::{DeterministicPolicy, MAX_EVAL_COPIES, evaluate_episodes, evaluate_policy};
pub use named_tensor::{NamedTensor, export_params, import_params};
pub use observation_mask::ObservationMask;
pub use policy_snapshot::{ActOutput, PolicySnapshot};
pub use ppo::{FineTuneConfig, Ppo, PpoConfig, compute_gae, nest_flat_keys};
pub use ppo_run_config::PpoRunConfig;
pub use ppo_update::{Control, PpoUpdate};
pub use replay_buffer::{ReplayBatch, ReplayBuffer, StoredTransition};
pub use residual::{ChunkBase, ResidualSpec, is_chunk_checkpoint, load_chunk_model, residual_venv};
pub use resumable_env::{EpisodeInProgress, ResumableEnv, ResumableEnvState};
pub use sac::{Sac, SacConfig, SacNetworkConfig, sac_policy_of};
pub use sac_iteration::SacIteration;
pub use sac_policy::SacPolicy;
pub use sac_run_config::SacRunConfig;
pub use session::{
    ChunkRun, ClassicPpoLearner, DemoSummary, EVAL_SEED_OFFSET, SacLearner, TaskBcLearner,
    TaskChunkLearner, TaskPpoLearner, task_venv,
};
