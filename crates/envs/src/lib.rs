//! Environments with Gymnasium semantics: the [`Env`] trait, spaces, vector
//! envs, wrappers, classic control ports and the labour tasks (SPEC §3).

mod bricklaying;
mod dishwashing;
mod env;
mod error;
mod info;
mod physics;
pub mod render;
mod rgb_frame;
mod space;

pub use dishwashing::{
    BreakForces, DISHWASHING_ACTION_DIM, DISHWASHING_ID, DISHWASHING_OBS_DIM, DishKind, DishState,
    DishStatus, DishwashingConfig, DishwashingEnv, DishwashingExpert, MAX_DISHES,
};
pub use env::{Action, Env, Step, Transition};
pub use error::{EnvError, Result};
pub use info::{EnvFault, Info};
pub use physics::{SceneShape, ShapeKind};
pub use rgb_frame::RgbFrame;
pub use space::{BoxSpace, Space};
