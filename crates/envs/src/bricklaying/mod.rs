//! The bricklaying task (SPEC §3): environment, parameters and scripted expert.

mod bricklaying_config;
mod bricklaying_env;
mod bricklaying_expert;

pub use bricklaying_config::{BRICKLAYING_ID, BricklayingConfig, MAX_BRICKS};
pub use bricklaying_env::{
    BRICK_HALF, BRICKLAYING_ACTION_DIM, BRICKLAYING_OBS_DIM, BrickState, BrickStatus,
    BricklayingEnv, BricklayingTask,
};
pub use bricklaying_expert::BricklayingExpert;
