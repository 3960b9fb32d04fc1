//! Device selection: the CPU backend by default, CUDA behind the `cuda`
//! feature and a run-time choice.
//!
//! Library code is generic over the burn backend. This module is the one
//! place that names concrete backends: [`DeviceChoice`] parses `cpu`,
//! `cuda` or `cuda:N`, and [`run_on`] calls a [`WithBackend`] job on the
//! autodiff backend for that device. Asking for CUDA in a build without the
//! `cuda` feature, or on a machine without a CUDA driver, is an error that
//! says so; it never panics.

use std::fmt;
use std::str::FromStr;

use burn::tensor::backend::AutodiffBackend;

use crate::{PolicyError, Result};

/// The default CPU backend (pure Rust, nothing to install). `flex` was
/// measured 20–25 % faster than `ndarray` on the PPO update (BENCHMARKS.md,
/// "Backends: ndarray against flex"), so it wins when both are enabled.
#[cfg(feature = "flex")]
pub type CpuBackend = burn::backend::Flex<f32>;
/// The CPU backend of a build without `flex` (pure Rust, nothing to install).
#[cfg(all(feature = "ndarray", not(feature = "flex")))]
pub type CpuBackend = burn::backend::NdArray<f32>;

/// The CPU backend with automatic differentiation, for training.
#[cfg(any(feature = "ndarray", feature = "flex"))]
pub type CpuAutodiff = burn::backend::Autodiff<CpuBackend>;

/// The CUDA backend (the driver is loaded at run time).
#[cfg(feature = "cuda")]
pub type CudaBackend = burn::backend::Cuda<f32, i32>;

/// The CUDA backend with automatic differentiation, for training.
#[cfg(feature = "cuda")]
pub type CudaAutodiff = burn::backend::Autodiff<CudaBackend>;

/// Where to train: parsed from `cpu`, `cuda` (device 0) or `cuda:N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// The default CPU backend.
    #[default]
    Cpu,
    /// A CUDA GPU by index.
    Cuda(usize),
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceChoice::Cpu => write!(f, "cpu"),
            DeviceChoice::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

impl FromStr for DeviceChoice {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || PolicyError::Device {
            device: s.to_owned(),
            reason: "expected `cpu`, `cuda` or `cuda:N`".to_owned(),
        };
        match s.trim() {
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" | "gpu" => Ok(DeviceChoice::Cuda(0)),
            other => other
                .strip_prefix("cuda:")
                .and_then(|i| i.parse().ok())
                .map(DeviceChoice::Cuda)
                .ok_or_else(bad),
        }
    }
}

/// A job generic over the training backend, run by [`run_on`].
pub trait WithBackend {
    /// What the job returns.
    type Output;
    /// Runs the job on backend `B` and `device`.
    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output;
}

/// Runs `job` on the backend and device named by `choice`.
pub fn run_on<J: WithBackend>(choice: DeviceChoice, job: J) -> Result<J::Output> {
    match choice {
        DeviceChoice::Cpu => run_cpu(job),
        DeviceChoice::Cuda(index) => run_cuda(index, job),
    }
}

#[cfg(any(feature = "ndarray", feature = "flex"))]
fn run_cpu<J: WithBackend>(job: J) -> Result<J::Output> {
    Ok(job.run::<CpuAutodiff>(Default::default()))
}

#[cfg(not(any(feature = "ndarray", feature = "flex")))]
fn run_cpu<J: WithBackend>(_job: J) -> Result<J::Output> {
    Err(PolicyError::Device {
        device: "cpu".to_owned(),
        reason: "this build has no CPU backend; enable the `ndarray` or `flex` feature".to_owned(),
    })
}

#[cfg(feature = "cuda")]
fn run_cuda<J: WithBackend>(index: usize, job: J) -> Result<J::Output> {
    use burn::backend::cuda::CudaDevice;
    use burn::tensor::Tensor;

    let name = format!("cuda:{index}");
    cuda_driver_present().map_err(|reason| PolicyError::Device {
        device: name.clone(),
        reason,
    })?;
    let device = CudaDevice::new(index);
    // cudarc panics when the driver cannot be loaded or the device does not
    // exist; turn a failed first allocation into an error.
    let probe_device = device.clone();
    let probe = std::panic::catch_unwind(move || {
        Tensor::<CudaBackend, 1>::zeros([1], &probe_device).into_data()
    });
    if probe.is_err() {
        return Err(PolicyError::Device {
            device: name,
            reason: "the CUDA driver was found but the device could not be initialised \
                     (no such GPU, or driver/runtime mismatch)"
                .to_owned(),
        });
    }
    Ok(job.run::<CudaAutodiff>(device))
}

#[cfg(not(feature = "cuda"))]
fn run_cuda<J: WithBackend>(index: usize, _job: J) -> Result<J::Output> {
    Err(PolicyError::Device {
        device: format!("cuda:{index}"),
        reason: "this build has no CUDA support; rebuild with `--features cuda`".to_owned(),
    })
}

/// Checks that the CUDA driver library (`libcuda.so`) is installed where
/// the dynamic loader looks, so that asking for CUDA on a machine without a
/// driver is a clear error rather than a panic inside the backend.
pub fn cuda_driver_present() -> std::result::Result<(), String> {
    let mut dirs: Vec<std::path::PathBuf> = std::env::var_os("LD_LIBRARY_PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for d in [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib64",
        "/usr/lib",
        "/lib/x86_64-linux-gnu",
        "/lib64",
        "/usr/local/cuda/lib64",
        "/usr/local/cuda/compat",
        "/usr/local/nvidia/lib64",
        "/usr/lib/wsl/lib",
    ] {
        dirs.push(d.into());
    }
    let names = ["libcuda.so", "libcuda.so.1", "nvcuda.dll"];
    let found = dirs
        .iter()
        .any(|d| names.iter().any(|n| d.join(n).exists()));
    if found {
        Ok(())
    } else {
        Err(format!(
            "no CUDA driver found: none of {names:?} is in LD_LIBRARY_PATH or the system library \
             folders; install the NVIDIA driver or use `--device cpu`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_choice_parses_cpu_cuda_and_index() {
        assert_eq!("cpu".parse::<DeviceChoice>().ok(), Some(DeviceChoice::Cpu));
        assert_eq!(
            "cuda".parse::<DeviceChoice>().ok(),
            Some(DeviceChoice::Cuda(0))
        );
        assert_eq!(
            "cuda:2".parse::<DeviceChoice>().ok(),
            Some(DeviceChoice::Cuda(2))
        );
        assert!("tpu".parse::<DeviceChoice>().is_err());
        assert!("cuda:x".parse::<DeviceChoice>().is_err());
    }

    struct Probe;
    impl WithBackend for Probe {
        type Output = usize;
        fn run<B: AutodiffBackend>(self, device: B::Device) -> usize {
            burn::tensor::Tensor::<B, 1>::ones([3], &device).dims()[0]
        }
    }

    #[test]
    fn cpu_jobs_run_and_cuda_without_driver_is_a_clear_error() {
        assert_eq!(run_on(DeviceChoice::Cpu, Probe).ok(), Some(3));
        if cuda_driver_present().is_err() {
            let err = run_on(DeviceChoice::Cuda(0), Probe)
                .err()
                .map(|e| e.to_string());
            let msg = err.unwrap_or_default();
            assert!(msg.contains("cuda:0"), "{msg}");
            assert!(msg.contains("CUDA"), "{msg}");
        }
    }
}
