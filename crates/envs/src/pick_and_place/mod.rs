//! The pick-and-place core shared by the labour tasks (dishwashing,
//! bricklaying): one env type, [`PickPlaceEnv`], whose control step is
//! written once, driven by a [`PickPlaceTask`] that supplies only its
//! layout, rules, observation table and shaping targets; and the skill
//! model of the tasks' scripted experts.

mod expert_skill;
mod pick_place_core;
mod pick_place_env;
mod pick_place_object;
mod pick_place_params;
mod pick_place_task;
mod scene_layout;

pub(crate) use expert_skill::{ExpertSkill, ROUTE_CROSS, funnel, route, velocity_towards};
pub use pick_place_core::PickPlaceCore;
pub use pick_place_env::PickPlaceEnv;
#[cfg(test)]
pub(crate) use pick_place_env::expert_episodes;
pub use pick_place_object::{ObjectSpawn, ObjectStatus, PickPlaceObject, RemovalCause};
pub use pick_place_params::PickPlaceParams;

pub use pick_place_task::{PickPlaceTask, RestVerdict};
pub use scene_layout::SceneLayout;
