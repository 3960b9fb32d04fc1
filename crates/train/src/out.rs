//! Standard output that a closed pipe cannot turn into a panic.
//!
//! `println!` panics when stdout is gone (`vp ... | head -1`). Every line
//! the commands print goes through [`outln!`] instead, which returns the
//! write error; `main` ends the program quietly with exit 0 when the cause
//! is a broken pipe, as ripgrep does.

/// `println!` that returns a write error (as `anyhow::Error`) with `?`.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

pub(crate) use outln;

/// Whether `err` was caused by writing to a closed pipe.
pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
