//! `Progress`: the training progress bar (steps, SPS, latest `MP_r` and
//! wage parity). Drawn on stderr only when stderr is a terminal, so logs
//! and CI output stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Instant;

/// A progress bar over environment steps.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    start_step: u64,
}

impl Progress {
    /// A bar for `total_steps`, starting at `start_step` (non-zero on
    /// resume), shown only if stderr is a terminal.
    pub fn for_stderr(total_steps: u64, start_step: u64) -> Self {
        Self::new(total_steps, start_step, std::io::stderr().is_terminal())
    }

    /// A bar that is drawn on stderr if `visible`, hidden otherwise.
    pub fn new(total_steps: u64, start_step: u64, visible: bool) -> Self {
        let target = if visible {
            ProgressDrawTarget::stderr_with_hz(4)
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total_steps), target);
        bar.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {human_pos}/{human_len} steps  {msg}",
            )
            .expect("static template is valid")
            .progress_chars("=> "),
        );
        bar.set_position(start_step);
        Self {
            bar,
            started: Instant::now(),
            start_step,
        }
    }

    /// Whether anything is drawn.
    #[cfg(test)]
    pub fn is_hidden(&self) -> bool {
        self.bar.is_hidden()
    }

    /// Moves to `step` and shows the latest economics; returns the steps
    /// per second since this bar started (for `charts/sps`).
    pub fn update(&self, step: u64, mp_r: Option<f64>, wage_parity: Option<f64>) -> f64 {
        let sps = steps_per_second(
            step.saturating_sub(self.start_step),
            self.started.elapsed().as_secs_f64(),
        );
        self.bar.set_position(step);
        self.bar.set_message(status_message(sps, mp_r, wage_parity));
        sps
    }

    /// Prints a line above the bar (or plainly to stderr when hidden).
    pub fn println(&self, line: &str) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    /// Leaves the final state on screen.
    pub fn finish(&self) {
        self.bar.abandon();
    }
}

/// Steps per second; 0 before any time has passed.
pub fn steps_per_second(steps: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        steps as f64 / seconds
    } else {
        0.0
    }
}

/// The bar's message: `SPS 1234 | MP_r 54.00 | wage parity 0.750`.
pub fn status_message(sps: f64, mp_r: Option<f64>, wage_parity: Option<f64>) -> String {
    let show = |v: Option<f64>, digits: usize| {
        v.map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
    };
    format!(
        "SPS {sps:.0} | MP_r {} | wage parity {}",
        show(mp_r, 2),
        show(wage_parity, 3)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_shows_sps_mp_r_and_wage_parity() {
        assert_eq!(
            status_message(1234.4, Some(54.0), Some(0.75)),
            "SPS 1234 | MP_r 54.00 | wage parity 0.750"
        );
        assert_eq!(
            status_message(0.0, None, None),
            "SPS 0 | MP_r - | wage parity -"
        );
    }

    #[test]
    fn a_bar_that_is_not_visible_draws_nothing() {
        let progress = Progress::new(1000, 200, false);
        assert!(progress.is_hidden());
        let sps = progress.update(400, Some(1.0), Some(0.5));
        assert!(sps >= 0.0);
        progress.finish();
    }

    #[test]
    fn steps_per_second_is_zero_before_time_passes() {
        assert_eq!(steps_per_second(10, 0.0), 0.0);
        assert_eq!(steps_per_second(10, 2.0), 5.0);
    }
}
