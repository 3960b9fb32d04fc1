//! The economic reward (SPEC §2): r(t) = α·ΔMP − β·e − γ·L, its curriculum, the dense per-step wage payment, and the scorer that keeps the state between episodes.

mod curriculum;
mod dense_wage_reward;
mod economic_reward;
mod episode_scorer;
mod reward_components;
mod reward_weights;
mod schedule;
mod wage_loss;

pub use curriculum::Curriculum;
pub use dense_wage_reward::DenseWageReward;
pub use economic_reward::{DEFAULT_DELTA_MP_CLIP, EconomicReward};
pub use episode_scorer::{EpisodeScorer, ScoredEpisode};
pub use reward_components::RewardComponents;
pub use reward_weights::RewardWeights;
pub use schedule::Schedule;
pub use wage_loss::WageLoss;
