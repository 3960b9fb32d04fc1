//! Economics plots and reports built from a run's logs.

mod convergence_plot;
mod metrics_table;
mod run_report;

pub use convergence_plot::{ConvergencePlot, DEFAULT_DELTA, DEFAULT_EPSILON, PLOT_COLUMNS};
pub use metrics_table::MetricsTable;
pub use run_report::{PLOT_FILE, REPORT_FILE, RunReport};
