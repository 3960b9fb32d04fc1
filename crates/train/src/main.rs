//! `vp`: the command-line program. Parse, dispatch, print errors.

mod cli;
mod commands;
mod out;
mod progress;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.run() {
        Ok(code) => code,
        // `vp ... | head -1`: the reader is gone, nothing is wrong.
        Err(err) if out::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // The whole chain on one line (`a: b: c`): scripts grep it, and
            // the tests hold every refusal to one line.
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
