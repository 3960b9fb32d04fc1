//! `Shutdown`: turns Ctrl-C (SIGINT) and SIGTERM into a flag the training
//! loop polls between iterations, so it can save a checkpoint, flush its
//! logs and exit cleanly. A second signal aborts at once (exit code 130).

use anyhow::{Context, Result};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit code of a run aborted by a second Ctrl-C (128 + SIGINT).
pub const ABORT_EXIT_CODE: i32 = 130;

/// A shared stop request.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    requested: Arc<AtomicBool>,
}

impl Shutdown {
    /// A flag no signal sets (tests, evaluation without handlers).
    pub fn new() -> Self {
        Self::default()
    }

    /// A flag set by SIGINT/SIGTERM. Can be installed once per process.
    pub fn install() -> Result<Self> {
        let shutdown = Self::new();
        let flag = Arc::clone(&shutdown.requested);
        ctrlc::set_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                eprintln!("\nsecond interrupt: aborting without a checkpoint");
                std::process::exit(ABORT_EXIT_CODE);
            }
            eprintln!("\ninterrupt: saving a checkpoint, then stopping (Ctrl-C again to abort)");
        })
        .context("installing the Ctrl-C handler")?;
        Ok(shutdown)
    }

    /// Asks the loop to stop.
    pub fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_seen_by_every_clone() {
        let shutdown = Shutdown::new();
        let seen_by_loop = shutdown.clone();
        assert!(!seen_by_loop.requested());
        shutdown.request();
        assert!(seen_by_loop.requested());
    }

    #[test]
    fn sigint_sets_the_flag_and_a_second_install_is_refused() {
        let shutdown = Shutdown::install().unwrap();
        assert!(Shutdown::install().is_err());
        // The shell's builtin `kill`: no procps needed.
        let status = std::process::Command::new("sh")
            .args([
                "-c",
                "kill -INT \"$1\"",
                "sh",
                &std::process::id().to_string(),
            ])
            .status()
            .unwrap();
        assert!(status.success());
        // The handler runs on ctrlc's own thread; wait for it (bounded).
        for _ in 0..500 {
            if shutdown.requested() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("SIGINT did not set the shutdown flag within 5 s");
    }
}
