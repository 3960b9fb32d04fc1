//! ATP pools: the budget of device-seconds jobs draw from. One global pool
//! by default; as an option three horizon-stratified pools (EPHEMERAL 20 %,
//! SESSION 50 %, EPOCH 30 % of the capacity), each with its own refill
//! rate, so long-horizon work cannot starve short jobs or the reverse.
//! DAY-horizon jobs draw from the EPOCH pool (the long stratum).

use serde::{Deserialize, Serialize};

use crate::error::{ExchangeError, Result};
use crate::horizon_profile::TemporalExtent;

/// Share of the capacity of the EPHEMERAL, SESSION and EPOCH pools.
pub const STRATUM_SHARES: [f64; 3] = [0.20, 0.50, 0.30];

/// One pool of ATP, in device-seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AtpPool {
    /// Most the pool holds, device-seconds.
    pub capacity: f64,
    /// What it holds now, device-seconds (0 ≤ level ≤ capacity).
    pub level: f64,
    /// Device-seconds added per second of wall time.
    pub refill_per_second: f64,
}

impl AtpPool {
    /// A full pool.
    pub fn full(capacity: f64, refill_per_second: f64) -> Result<Self> {
        check_non_negative("capacity_seconds", capacity)?;
        check_non_negative("refill_per_second", refill_per_second)?;
        Ok(AtpPool {
            capacity,
            level: capacity,
            refill_per_second,
        })
    }

    /// Adds `refill_per_second · elapsed_s`, up to the capacity.
    pub fn refill(&mut self, elapsed_s: f64) -> Result<()> {
        check_non_negative("elapsed_s", elapsed_s)?;
        self.level = (self.level + self.refill_per_second * elapsed_s).min(self.capacity);
        Ok(())
    }

    /// Seconds of refill until the pool holds `level`; `None` when it
    /// never will (above capacity, or no refill).
    pub fn seconds_until(&self, level: f64) -> Option<f64> {
        if level <= self.level {
            Some(0.0)
        } else if level > self.capacity || self.refill_per_second <= 0.0 {
            None
        } else {
            Some((level - self.level) / self.refill_per_second)
        }
    }

    /// Takes `amount` out; callers check it fits first.
    pub(crate) fn draw(&mut self, amount: f64) {
        self.level = (self.level - amount).max(0.0);
    }
}

fn check_non_negative(field: &'static str, v: f64) -> Result<()> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(ExchangeError::OutOfRange {
            field,
            expected: "a finite number ≥ 0",
            value: v,
        })
    }
}

/// Which pool a job draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stratum {
    /// The single pool of the global mode.
    Global,
    /// EPHEMERAL jobs (stratified mode).
    Ephemeral,
    /// SESSION jobs (stratified mode).
    Session,
    /// DAY and EPOCH jobs (stratified mode).
    Epoch,
}

/// How the budget is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolMode {
    /// One pool for every job (the default).
    #[default]
    Global,
    /// EPHEMERAL 20 %, SESSION 50 %, EPOCH 30 %.
    Stratified,
}

/// Configuration of the ATP pools.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolConfig {
    /// `global` (default) or `stratified`.
    pub mode: PoolMode,
    /// Total capacity in device-seconds (GPU-seconds on a GPU, CPU-seconds
    /// on a CPU). Default 3600.
    pub capacity_seconds: f64,
    /// Total refill, device-seconds per wall second. Default 1.0 (one
    /// device kept busy).
    pub refill_per_second: f64,
    /// Stratified mode: refill of the EPHEMERAL, SESSION and EPOCH pools;
    /// default the total refill split 20/50/30.
    pub stratum_refill_per_second: Option<[f64; 3]>,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            mode: PoolMode::Global,
            capacity_seconds: 3600.0,
            refill_per_second: 1.0,
            stratum_refill_per_second: None,
        }
    }
}

/// The pools of one machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtpPools {
    /// `(stratum, pool)` pairs: one in global mode, three in stratified.
    pub pools: Vec<(Stratum, AtpPool)>,
}

impl AtpPools {
    /// Full pools as configured.
    pub fn new(config: &PoolConfig) -> Result<Self> {
        let PoolConfig {
            mode,
            capacity_seconds,
            refill_per_second,
            stratum_refill_per_second,
        } = *config;
        let pools = match mode {
            PoolMode::Global => vec![(
                Stratum::Global,
                AtpPool::full(capacity_seconds, refill_per_second)?,
            )],
            PoolMode::Stratified => {
                check_non_negative("refill_per_second", refill_per_second)?;
                let refill = stratum_refill_per_second
                    .unwrap_or(STRATUM_SHARES.map(|s| s * refill_per_second));
                let strata = [Stratum::Ephemeral, Stratum::Session, Stratum::Epoch];
                let mut pools = Vec::new();
                for ((stratum, share), r) in strata.into_iter().zip(STRATUM_SHARES).zip(refill) {
                    pools.push((stratum, AtpPool::full(share * capacity_seconds, r)?));
                }
                pools
            }
        };
        Ok(AtpPools { pools })
    }

    /// The stratum a job of this temporal extent draws from.
    pub fn stratum_for(&self, temporal: TemporalExtent) -> Stratum {
        if self.pools.len() == 1 {
            return Stratum::Global;
        }
        match temporal {
            TemporalExtent::Ephemeral => Stratum::Ephemeral,
            TemporalExtent::Session => Stratum::Session,
            TemporalExtent::Day | TemporalExtent::Epoch => Stratum::Epoch,
        }
    }

    /// The pool of a stratum.
    pub fn pool(&self, stratum: Stratum) -> Option<&AtpPool> {
        self.pools
            .iter()
            .find(|(s, _)| *s == stratum)
            .map(|(_, p)| p)
    }

    pub(crate) fn pool_mut(&mut self, stratum: Stratum) -> Option<&mut AtpPool> {
        self.pools
            .iter_mut()
            .find(|(s, _)| *s == stratum)
            .map(|(_, p)| p)
    }

    /// Refills every pool for `elapsed_s` seconds of wall time.
    pub fn refill(&mut self, elapsed_s: f64) -> Result<()> {
        for (_, p) in &mut self.pools {
            p.refill(elapsed_s)?;
        }
        Ok(())
    }

    /// Device-seconds left in all pools together.
    pub fn total_level(&self) -> f64 {
        self.pools.iter().map(|(_, p)| p.level).sum()
    }
}
