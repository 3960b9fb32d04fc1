//! Environments with Gymnasium semantics: the [`Env`] trait, spaces, vector
//! envs, wrappers, classic control ports and the labour tasks (SPEC §3).
//!
//! ```
//! use envs::{Action, Env};
//! let mut env = envs::make("CartPole-v1")?;
//! let (obs, _info) = env.reset(Some(42))?;
//! assert_eq!(obs.len(), 4);
//! let step = env.step(Action::Discrete(1))?;
//! assert_eq!(step.reward, 1.0);
//! # Ok::<(), envs::EnvError>(())
//! ```

mod action;
mod bricklaying;
mod classic_control;
mod dishwashing;
mod economic_venv;
mod env;
mod env_checker;
mod error;
mod info;
mod physics;
mod pick_and_place;
mod registry;
pub mod render;
mod rgb_frame;
mod space;
mod task;
mod vec_env;
mod wrappers;

pub use action::{Action, OwnedAction};
pub use bricklaying::{
    BRICK_HALF, BRICKLAYING_ACTION_DIM, BRICKLAYING_ID, BRICKLAYING_OBS_DIM, BrickState,
    BrickStatus, BricklayingConfig, BricklayingEnv, BricklayingExpert, BricklayingTask, MAX_BRICKS,
};
pub use classic_control::{CartPole, Pendulum};
pub use dishwashing::{
    BreakForces, DISHWASHING_ACTION_DIM, DISHWASHING_ID, DISHWASHING_OBS_DIM, DishKind, DishState,
    DishStatus, DishwashingConfig, DishwashingEnv, DishwashingExpert, DishwashingTask, MAX_DISHES,
};
pub use economic_venv::{
    EconEnv, economic_env, economic_env_over, economic_venv, task_env_from_yaml,
};
pub use env::{Env, GRIP_ACTION, LABOUR_ACTION_DIM, LabourTask, Step, Transition};
pub use env_checker::{CheckReport, check_env};
pub use error::{EnvError, Result};
pub use info::{EnvFault, Info};
pub use physics::{SceneShape, ShapeKind};
pub use pick_and_place::{
    ObjectSpawn, ObjectStatus, PickPlaceCore, PickPlaceEnv, PickPlaceObject, PickPlaceParams,
    PickPlaceTask, RemovalCause, RestVerdict, SceneLayout,
};
pub use registry::{
    EnvSpec, ExpertFactory, TaskFromYaml, labour_task_ids, make, make_expert, make_task,
    make_with_config, registered_ids, registry, spec,
};
pub use rgb_frame::RgbFrame;
pub use space::{BoxSpace, Space};
pub use task::ScriptedExpert;
pub use vec_env::{NormalizationState, VecAction, VecEnv};
pub use wrappers::{
    BasePolicy, BoxActionMap, BoxActionWrapper, ClipAction, ClipMap, EconomicRewardWrapper,
    EpisodeRecord, EpisodeStatistics, NormalizeObservation, NormalizeReward, ObsNormConfig,
    ObsNormalizer, RescaleAction, RescaleMap, ResidualAction, RewardNormConfig, RewardNormalizer,
    RunningMeanStd, StepRewardComponents, TimeLimit, Wrapper,
};
