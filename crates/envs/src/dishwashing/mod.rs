//! The dishwashing task (SPEC §3): environment, parameters and scripted expert.

mod dish_kind;
mod dishwashing_config;
mod dishwashing_env;
mod dishwashing_expert;

pub use dish_kind::DishKind;
pub use dishwashing_config::{BreakForces, DISHWASHING_ID, DishwashingConfig, MAX_DISHES};
pub use dishwashing_env::{
    DISHWASHING_ACTION_DIM, DISHWASHING_OBS_DIM, DishState, DishStatus, DishwashingEnv,
    DishwashingTask,
};
pub use dishwashing_expert::DishwashingExpert;

// The config's loaders and its env builder, here so that the config and
// the env modules do not import each other.
crate::task::labour_config_methods!(DishwashingConfig, env: DishwashingEnv, process_time: wash_time_s);
