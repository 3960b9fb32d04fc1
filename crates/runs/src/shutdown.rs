//! `Shutdown`: turns Ctrl-C (SIGINT) and SIGTERM into a flag the training
//! loop polls between iterations, so it can save a checkpoint, flush its
//! logs and exit cleanly. Each signal is also handed to a callback: the
//! binary prints there and, on a second signal, aborts at once (exit code
//! [`ABORT_EXIT_CODE`]); the library itself never prints or exits.

use crate::error::{Context, Result};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit code of a run aborted by a second Ctrl-C (128 + SIGINT).
pub const ABORT_EXIT_CODE: i32 = 130;

/// Which signal the handler saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    /// The first Ctrl-C/SIGTERM: the flag is now set; the loop will
    /// checkpoint and stop after the iteration in progress.
    First,
    /// A later one, while the loop is still finishing: the program should
    /// abort at once (exit code [`ABORT_EXIT_CODE`]).
    Again,
}

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
    /// `notify` runs on the handler's thread at each signal: the binary
    /// prints there, and exits on [`Interrupt::Again`].
    pub fn install(notify: impl Fn(Interrupt) + Send + 'static) -> Result<Self> {
        let shutdown = Self::new();
        let flag = Arc::clone(&shutdown.requested);
        ctrlc::set_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                notify(Interrupt::Again);
            } else {
                notify(Interrupt::First);
            }
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
        let shutdown = Shutdown::install(|_| {}).unwrap();
        assert!(Shutdown::install(|_| {}).is_err());
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
