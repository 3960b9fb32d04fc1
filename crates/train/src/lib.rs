//! The library half of `vp`: what the commands share and what is worth
//! testing on its own. Run outputs (run folder, CSV logs, TensorBoard event
//! files, progress bar, Ctrl-C handling) and the economics plots and report
//! built from them.

mod plot;
mod run;

pub use plot::*;
pub use run::*;
