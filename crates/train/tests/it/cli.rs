//! Running the `vp` binary under test, shared by every command test.

use std::process::{Command, Output};

/// Runs `vp` with `args` and waits for it.
pub fn vp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vp"))
        .args(args)
        .output()
        .expect("vp runs")
}

/// What `vp` wrote to standard error, as text.
pub fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
