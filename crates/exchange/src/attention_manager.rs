//! The MRH attention manager (SPEC §7): how much of the ATP budget a job
//! may use, from the system's metabolic state and the job's horizon
//! profile, and whether it runs now, waits for the pool to refill, or is
//! routed to another worker.
//!
//! `allocation = base_share(state) × horizon_factor(profile)`, capped at
//! 1.0. A job runs when its ATP cost (device-seconds, see [`Job`]) fits
//! `allocation × level` of its pool; it is deferred when it would fit once
//! the pool refills; it is routed when the machine does not accept its
//! horizon or it could never fit here.

use serde::{Deserialize, Serialize};

use crate::atp_pool::{AtpPools, PoolConfig, Stratum};
use crate::error::{ExchangeError, Result};
use crate::horizon_profile::{ComplexityExtent, HorizonProfile, SpatialExtent, TemporalExtent};
use crate::job_pricing::{DeviceSpeed, Job};
use crate::metabolic_state::MetabolicState;

/// Largest allocation: the whole budget.
pub const ALLOCATION_CAP: f64 = 1.0;

/// A state's and a profile's share of the ATP budget.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Allocation {
    /// Share of the budget, `min(uncapped, 1.0)`.
    pub allocation: f64,
    /// `0.4·spatial + 0.3·temporal + 0.3·complexity`.
    pub horizon_factor: f64,
    /// Whether the cap cut the allocation.
    pub capped: bool,
    /// `base_share × horizon_factor` before the cap.
    pub uncapped: f64,
    /// The state's base share.
    pub base_share: f64,
    /// The state.
    pub state: MetabolicState,
    /// The profile.
    pub profile: HorizonProfile,
}

/// The allocation of a state and profile (SPEC §7).
pub fn allocate(state: MetabolicState, profile: HorizonProfile) -> Allocation {
    let base_share = state.base_share();
    let horizon_factor = profile.horizon_factor();
    let uncapped = base_share * horizon_factor;
    Allocation {
        allocation: uncapped.min(ALLOCATION_CAP),
        horizon_factor,
        capped: uncapped > ALLOCATION_CAP,
        uncapped,
        base_share,
        state,
        profile,
    }
}

/// The largest profile there is: GLOBAL/EPOCH/SOCIETY_SCALE.
pub const MAX_HORIZON: HorizonProfile = HorizonProfile::new(
    SpatialExtent::Global,
    TemporalExtent::Epoch,
    ComplexityExtent::SocietyScale,
);

/// Configuration of a machine's attention manager.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttentionConfig {
    /// The ATP pools (default: one global pool of 3600 device-seconds
    /// refilled at 1 per second).
    pub pools: PoolConfig,
    /// The largest horizon this machine accepts, per extent; jobs beyond it
    /// are routed elsewhere. Default GLOBAL/EPOCH/SOCIETY_SCALE (all).
    pub max_horizon: HorizonProfile,
}

impl Default for AttentionConfig {
    fn default() -> Self {
        AttentionConfig {
            pools: PoolConfig::default(),
            max_horizon: MAX_HORIZON,
        }
    }
}

/// Why a job goes to another worker.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum RouteReason {
    /// The job's horizon exceeds what this machine accepts.
    HorizonBeyondMachine {
        /// The job's profile.
        job: HorizonProfile,
        /// The machine's limit.
        limit: HorizonProfile,
    },
    /// Even a full pool would not give the job enough ATP here.
    NeverFits {
        /// Most the job could get: allocation × pool capacity.
        max_available_seconds: f64,
    },
}

/// The manager's decision for one job.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum Admission {
    /// Runs now; its cost was drawn from the pool.
    Run {
        /// ATP cost, device-seconds.
        cost_seconds: f64,
        /// The allocation it ran under.
        allocation: Allocation,
        /// The pool it drew from.
        stratum: Stratum,
    },
    /// Waits: it fits once the pool refills.
    Defer {
        /// ATP cost, device-seconds.
        cost_seconds: f64,
        /// The allocation.
        allocation: Allocation,
        /// The pool it waits on.
        stratum: Stratum,
        /// What the allocation gives now: allocation × level.
        available_seconds: f64,
        /// Wall seconds of refill until it fits.
        wait_seconds: f64,
    },
    /// Goes to another worker.
    Route {
        /// ATP cost here, device-seconds, when it was priced.
        cost_seconds: Option<f64>,
        /// Why.
        why: RouteReason,
    },
}

/// A machine's attention manager: its pools and horizon limit.
#[derive(Debug, Clone, PartialEq)]
pub struct AttentionManager {
    config: AttentionConfig,
    pools: AtpPools,
}

impl AttentionManager {
    /// A manager with full pools.
    pub fn new(config: AttentionConfig) -> Result<Self> {
        Ok(AttentionManager {
            pools: AtpPools::new(&config.pools)?,
            config,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &AttentionConfig {
        &self.config
    }

    /// The pools.
    pub fn pools(&self) -> &AtpPools {
        &self.pools
    }

    /// Refills the pools for `elapsed_s` wall seconds.
    pub fn refill(&mut self, elapsed_s: f64) -> Result<()> {
        self.pools.refill(elapsed_s)
    }

    /// Decides whether `job` runs now under `state` on a device of `speed`;
    /// a job that runs has its cost drawn from its pool.
    pub fn admit(
        &mut self,
        state: MetabolicState,
        job: &Job,
        speed: &DeviceSpeed,
    ) -> Result<Admission> {
        let profile = job.horizon();
        let limit = self.config.max_horizon;
        if !profile.within(&limit) {
            return Ok(Admission::Route {
                cost_seconds: None,
                why: RouteReason::HorizonBeyondMachine {
                    job: profile,
                    limit,
                },
            });
        }
        let cost_seconds = job.cost_seconds(speed)?;
        let allocation = allocate(state, profile);
        let stratum = self.pools.stratum_for(profile.temporal);
        let pool = self
            .pools
            .pool_mut(stratum)
            .ok_or(ExchangeError::OutOfRange {
                field: "pools",
                expected: "a pool for every stratum of the mode",
                value: 0.0,
            })?;
        let a = allocation.allocation;
        let available_seconds = a * pool.level;
        if cost_seconds <= available_seconds {
            pool.draw(cost_seconds);
            return Ok(Admission::Run {
                cost_seconds,
                allocation,
                stratum,
            });
        }
        let needed_level = if a > 0.0 {
            cost_seconds / a
        } else {
            f64::INFINITY
        };
        match pool.seconds_until(needed_level) {
            Some(wait_seconds) => Ok(Admission::Defer {
                cost_seconds,
                allocation,
                stratum,
                available_seconds,
                wait_seconds,
            }),
            None => Ok(Admission::Route {
                cost_seconds: Some(cost_seconds),
                why: RouteReason::NeverFits {
                    max_available_seconds: a * pool.capacity,
                },
            }),
        }
    }
}
