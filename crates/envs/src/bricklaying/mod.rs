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

// The config's loaders and its env builder, here so that the config and
// the env modules do not import each other.
crate::task::labour_config_methods!(BricklayingConfig, env: BricklayingEnv, process_time: mortar_time_s);
