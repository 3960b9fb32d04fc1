//! Integration tests of `vp` and of its run-output library.

mod config_check;
mod econ_commands;
mod econ_metrics_wage;
mod kill_resume;
