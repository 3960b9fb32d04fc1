//! One module per `vp` subcommand; each holds its clap `Args` and `run`.

pub mod config;
pub mod econ;
pub mod econ_metrics;
pub mod econ_plot_convergence;
pub mod econ_report;
pub mod econ_wage;
pub mod env;
pub mod env_bench;
pub mod env_rollout;
pub mod evaluate;
pub mod train;
pub mod train_bc;
pub mod train_task;
