//! Integration tests of `vp` and of its run-output library.

mod cli;
mod config_check;
mod econ_commands;
mod econ_data_economics;
mod econ_metrics_wage;
mod econ_pricing;
mod econ_quote_log_kill;
mod env_commands;
mod env_rollout;
mod exchange_commands;
mod exchange_dashboard;
mod exchange_run;
mod kill_resume;
mod train_chunk;
mod train_commands;
mod train_residual;
mod train_sac;
mod train_task;
