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

/// The PostgreSQL server of `VP_TEST_POSTGRES_URL` (CI starts one); `None`,
/// with the reason printed, when it is unset or empty.
pub fn test_postgres_url() -> Option<String> {
    match std::env::var("VP_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        Ok(_) => {
            println!("skipped: VP_TEST_POSTGRES_URL empty");
            None
        }
        Err(_) => {
            println!("skipped: VP_TEST_POSTGRES_URL unset");
            None
        }
    }
}
