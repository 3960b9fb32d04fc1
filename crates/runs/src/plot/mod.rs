//! Economics plots and reports built from a run's logs, and the stacked
//! panel charts of the data-economics commands.

mod convergence_plot;
mod metrics_table;
mod panel_chart;
mod run_report;

pub use convergence_plot::{
    ConvergencePlot, DEFAULT_DELTA, DEFAULT_EPSILON, PLOT_COLUMNS, write_atomically,
};
pub use metrics_table::MetricsTable;
pub use panel_chart::{ChartPanel, ChartSeries, PALETTE, PanelChart, SeriesStyle};
pub use run_report::{PLOT_FILE, REPORT_FILE, RunReport};
