//! Integration tests of `vp` and of its run-output library.

mod econ_commands;
mod kill_resume;
