//! A job's ATP cost: its priced device time, from its kind, its size and
//! the speed measured on the device it would run on (SPEC §7). One ATP is
//! one device-second: a GPU-second on a GPU, a CPU-second on a CPU.

use serde::{Deserialize, Serialize};

use crate::error::{ExchangeError, Result};
use crate::horizon_profile::HorizonProfile;
use crate::job_kind::JobKind;

/// What a device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// A CPU: costs are CPU-seconds.
    Cpu,
    /// A GPU: costs are GPU-seconds.
    Gpu,
}

/// Measured throughput of one device, per job kind: the total units
/// processed over the total seconds of every recorded run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceSpeed {
    /// CPU or GPU.
    pub device: DeviceKind,
    /// Device name (e.g. `NVIDIA H200`, `cpu`).
    pub name: String,
    /// Per kind in [`JobKind::ALL`] order: `(units, seconds)` measured.
    measured: [(f64, f64); 4],
}

impl DeviceSpeed {
    /// A device with nothing measured yet.
    pub fn new(device: DeviceKind, name: impl Into<String>) -> Self {
        DeviceSpeed {
            device,
            name: name.into(),
            measured: [(0.0, 0.0); 4],
        }
    }

    fn index(kind: JobKind) -> usize {
        match kind {
            JobKind::Rollout => 0,
            JobKind::PolicyUpdate => 1,
            JobKind::Evaluation => 2,
            JobKind::Valuation => 3,
        }
    }

    /// Records a real run: `units` of `kind` (in [`JobKind::size_unit`])
    /// took `seconds` of device time.
    pub fn record(&mut self, kind: JobKind, units: f64, seconds: f64) -> Result<()> {
        positive("units", units)?;
        positive("seconds", seconds)?;
        let m = &mut self.measured[Self::index(kind)];
        m.0 += units;
        m.1 += seconds;
        Ok(())
    }

    /// Units per second for `kind`, if measured.
    pub fn rate(&self, kind: JobKind) -> Option<f64> {
        let (u, s) = self.measured[Self::index(kind)];
        (s > 0.0).then(|| u / s)
    }
}

fn positive(field: &'static str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(ExchangeError::OutOfRange {
            field,
            expected: "a finite number > 0",
            value: v,
        })
    }
}

/// A unit of work waiting for ATP.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// What it does.
    pub kind: JobKind,
    /// How much, in [`JobKind::size_unit`].
    pub size: f64,
    /// A declared profile; `None` infers it from the kind.
    pub profile: Option<HorizonProfile>,
}

impl Job {
    /// A job with the profile inferred from its kind.
    pub fn new(kind: JobKind, size: f64) -> Self {
        Job {
            kind,
            size,
            profile: None,
        }
    }

    /// The same job with a declared profile.
    pub fn with_profile(self, profile: HorizonProfile) -> Self {
        Job {
            profile: Some(profile),
            ..self
        }
    }

    /// The declared profile, else the kind's.
    pub fn horizon(&self) -> HorizonProfile {
        self.profile.unwrap_or(self.kind.default_profile())
    }

    /// ATP cost: `size / measured rate`, in device-seconds.
    pub fn cost_seconds(&self, speed: &DeviceSpeed) -> Result<f64> {
        let size = positive("job size", self.size)?;
        let rate = speed
            .rate(self.kind)
            .ok_or_else(|| ExchangeError::UnmeasuredSpeed {
                kind: self.kind.to_string(),
                device: speed.name.clone(),
            })?;
        Ok(size / rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_cost_is_size_over_measured_speed() {
        let mut gpu = DeviceSpeed::new(DeviceKind::Gpu, "test-gpu");
        gpu.record(JobKind::Rollout, 10_000.0, 2.0).unwrap();
        gpu.record(JobKind::Rollout, 20_000.0, 4.0).unwrap();
        assert_eq!(gpu.rate(JobKind::Rollout), Some(5_000.0));
        let job = Job::new(JobKind::Rollout, 2_048.0);
        assert!((job.cost_seconds(&gpu).unwrap() - 0.4096).abs() < 1e-12);
        let e = Job::new(JobKind::Valuation, 10.0)
            .cost_seconds(&gpu)
            .unwrap_err();
        assert!(matches!(e, ExchangeError::UnmeasuredSpeed { .. }), "{e}");
        assert!(
            Job::new(JobKind::Rollout, f64::NAN)
                .cost_seconds(&gpu)
                .is_err()
        );
        assert!(Job::new(JobKind::Rollout, 0.0).cost_seconds(&gpu).is_err());
        assert!(gpu.record(JobKind::Rollout, 1.0, 0.0).is_err());
    }
}
