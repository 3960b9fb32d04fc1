//! The task config (one YAML file per task) and its sections owned by this crate, loaded strictly through `yaml_config`.

mod convergence_config;
mod data_valuation_config;
mod pricing_config;
mod reward_config;
mod sharing_status;
mod task_config;
mod task_section;
mod training_config;

pub use convergence_config::ConvergenceConfig;
pub use data_valuation_config::{CausalGainMethod, DataValuationConfig};
pub use pricing_config::PricingConfig;
pub use reward_config::RewardConfig;
pub use sharing_status::SharingStatus;
pub use task_config::TaskConfig;
pub use task_section::TaskSection;
pub use training_config::{Algorithm, TrainingConfig};
