//! One module per `vp` subcommand; each holds its clap `Args` and `run`.

pub mod config;
pub mod econ;
pub mod econ_estimate;
pub mod econ_metrics;
pub mod econ_plot_convergence;
pub mod econ_quote;
pub mod econ_quotes;
pub mod econ_reconcile_premiums;
pub mod econ_report;
pub mod econ_true_up;
pub mod econ_valuation_flags;
pub mod econ_wage;
pub mod env;
pub mod env_bench;
pub mod env_rollout;
pub mod evaluate;
pub mod exchange;
pub mod exchange_allocate;
pub mod exchange_balances;
pub mod exchange_check;
pub mod exchange_export;
pub mod exchange_init;
pub mod exchange_ledger_args;
pub mod exchange_transfer;
pub mod train;
pub mod train_args;
mod train_plan;
