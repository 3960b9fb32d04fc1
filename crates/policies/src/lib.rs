//! Policies on burn: networks, PPO, behaviour cloning, checkpoints and
//! device selection (SPEC §4).
//!
//! - [`ActorCritic`]: the actor-critic MLPs PPO trains and BC warm-starts;
//! - [`ppo`]: Proximal Policy Optimization in one module, top to bottom;
//! - [`bc`]: behaviour cloning from (observation, action) demonstrations;
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
mod dagger;
mod device;
mod error;
mod evaluation;
mod expert_labeller;
mod named_tensor;
mod policy_snapshot;
pub mod ppo;
mod session;

pub use actor_critic::{ActionKind, ActorCritic, ActorCriticConfig, Evaluation, orthogonal};
pub use adam::{Adam, AdamConfig};
pub use bc::{BcConfig, BcLoss, BcReport, Demonstrations, train_bc};
pub use checkpoint::{
    CHECKPOINT_FORMAT_VERSION, Checkpoint, CheckpointMeta, RngState, git_commit, write_atomic,
};
pub use dagger::{
    Dagger, DaggerConfig, DaggerLearner, DaggerReport, DaggerRound, Expert, dagger,
    observation_statistics, record_demonstrations,
};
#[cfg(any(feature = "ndarray", feature = "flex"))]
pub use device::{CpuAutodiff, CpuBackend};
#[cfg(feature = "cuda")]
pub use device::{CudaAutodiff, CudaBackend};
pub use device::{DeviceChoice, WithBackend, cuda_driver_present, run_on};
pub use error::{PolicyError, Result};
pub use evaluation::{evaluate_episodes, evaluate_policy};
pub use expert_labeller::ExpertLabeller;
pub use named_tensor::{NamedTensor, export_params, import_params};
pub use policy_snapshot::{ActOutput, PolicySnapshot};
pub use ppo::{Control, Ppo, PpoConfig, PpoRunConfig, PpoUpdate, compute_gae};
pub use session::{
    ClassicPpoLearner, DemoSummary, EVAL_SEED_OFFSET, TaskBcLearner, TaskPpoLearner,
};
