//! Wrappers in Gymnasium's style: each holds an env and is an env, by
//! implementing [`Wrapper`], whose blanket impl forwards [`Env`](crate::Env).

mod box_action_wrapper;
mod clip_action;
mod economic_reward_wrapper;
mod episode_record;
mod episode_statistics;
mod normalize_observation;
mod normalize_reward;
mod obs_normalizer;
mod rescale_action;
mod residual_action;
mod reward_normalizer;
mod running_mean_std;
mod time_limit;
mod wrapper;

pub(crate) use episode_record::EpisodeAccumulator;

pub use box_action_wrapper::{BoxActionMap, BoxActionWrapper};
pub use clip_action::{ClipAction, ClipMap};
pub use economic_reward_wrapper::{EconomicRewardWrapper, StepRewardComponents};
pub use episode_record::EpisodeRecord;
pub use episode_statistics::EpisodeStatistics;
pub use normalize_observation::NormalizeObservation;
pub use normalize_reward::NormalizeReward;
pub use obs_normalizer::{ObsNormConfig, ObsNormalizer};
pub use rescale_action::{RescaleAction, RescaleMap};
pub use residual_action::{BasePolicy, ResidualAction};
pub use reward_normalizer::{RewardNormConfig, RewardNormalizer};
pub use running_mean_std::RunningMeanStd;
pub use time_limit::TimeLimit;
pub use wrapper::Wrapper;
