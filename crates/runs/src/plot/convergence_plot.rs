//! `ConvergencePlot`: the PNG of `vp econ plot-convergence`. Top panel:
//! wage parity and productivity parity per episode with the parity band of
//! SPEC §2 (`|wage parity − 1| ≤ δ`, `productivity parity ≥ 1 − ε`).
//! Bottom panel: the three signed reward terms stacked (gains above zero,
//! penalties below) with the episode reward as a line.
//!
//! Text uses DejaVu Sans shipped in `assets/fonts`, so plots render the same
//! on machines without system fonts.

use super::metrics_table::MetricsTable;
use crate::encode_rgb_png;
use crate::error::{Context, Result, ensure};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// SPEC §2 default ε (0.05): productivity parity must reach `1 − ε`.
pub const DEFAULT_EPSILON: f64 = 0.05;
/// SPEC §2 default δ (0.10): wage parity must be within `1 ± δ`.
pub const DEFAULT_DELTA: f64 = 0.10;

const WAGE: RGBColor = RGBColor(31, 119, 180);
const PRODUCTIVITY: RGBColor = RGBColor(44, 160, 44);
const THRESHOLD: RGBColor = RGBColor(214, 39, 40);
const REWARD_COLORS: [RGBColor; 3] = [
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
];
/// The columns the plot reads.
pub const PLOT_COLUMNS: [&str; 7] = [
    "episode",
    "wage_parity",
    "productivity_parity",
    "reward_total",
    "reward_mp",
    "reward_error",
    "reward_wage",
];

/// Size and thresholds of the convergence plot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConvergencePlot {
    /// Width in pixels (default 1200).
    pub width: u32,
    /// Height in pixels (default 900).
    pub height: u32,
    /// ε of the productivity threshold `1 − ε` (default 0.05).
    pub epsilon: f64,
    /// δ of the wage band `1 ± δ` (default 0.10).
    pub delta: f64,
}

impl Default for ConvergencePlot {
    fn default() -> Self {
        Self {
            width: 1200,
            height: 900,
            epsilon: DEFAULT_EPSILON,
            delta: DEFAULT_DELTA,
        }
    }
}

impl ConvergencePlot {
    /// Checks sizes and thresholds.
    pub fn validate(&self) -> Result<()> {
        ensure!(
            (200..=8000).contains(&self.width) && (200..=8000).contains(&self.height),
            "plot size {}x{} out of range (200..=8000 pixels each side)",
            self.width,
            self.height
        );
        ensure!(
            self.epsilon > 0.0 && self.epsilon < 1.0,
            "epsilon {} must be in (0, 1)",
            self.epsilon
        );
        ensure!(
            self.delta > 0.0 && self.delta.is_finite(),
            "delta {} must be positive",
            self.delta
        );
        Ok(())
    }

    /// Renders a per-episode log as PNG bytes.
    pub fn render_png(&self, log: &MetricsTable) -> Result<Vec<u8>> {
        self.validate()?;
        log.require(&PLOT_COLUMNS)?;
        ensure!(
            !log.is_empty(),
            "{}: no episodes to plot yet",
            log.path().display()
        );
        register_font()?;
        let (w, h) = (self.width, self.height);
        let mut pixels = vec![255u8; w as usize * h as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
            root.fill(&WHITE).map_err(draw_err)?;
            let (top, bottom) = root.split_vertically(h / 2);
            let max_points = (w as usize / 2).max(2);
            self.draw_parity(&top, log, max_points)?;
            draw_rewards(&bottom, log, max_points)?;
            root.present().map_err(draw_err)?;
        }
        encode_rgb_png(w, h, &pixels)
    }

    /// Renders and writes the PNG to `out` (temp file, then rename).
    pub fn write_png(&self, log: &MetricsTable, out: &Path) -> Result<()> {
        let png = self.render_png(log)?;
        write_atomically(out, &png)
    }

    fn draw_parity(
        &self,
        area: &DrawingArea<BitMapBackend<'_>, Shift>,
        log: &MetricsTable,
        max_points: usize,
    ) -> Result<()> {
        let (x, series) = bucket_means(
            log.column("episode")?,
            &[
                log.column("wage_parity")?,
                log.column("productivity_parity")?,
            ],
            max_points,
        );
        let (x0, x1) = padded_range(x.iter().copied(), 0.0);
        let band = [1.0 - self.delta, 1.0 + self.delta, 1.0 - self.epsilon];
        let (y0, y1) = padded_range(series.iter().flatten().copied().chain(band), 0.05);
        let mut chart = ChartBuilder::on(area)
            .caption("Parity per episode", (FAMILY, 22))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc("episode")
            .y_desc("parity")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| axis_label(*y))
            .label_style((FAMILY, 14))
            .draw()
            .map_err(draw_err)?;
        let delta = self.delta;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x0, 1.0 - delta), (x1, 1.0 + delta)],
                WAGE.mix(0.12).filled(),
            )))
            .map_err(draw_err)?
            .label(format!("wage parity band 1 ± {delta}"))
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 18, y + 5)], WAGE.mix(0.25).filled())
            });
        let floor = 1.0 - self.epsilon;
        chart
            .draw_series(LineSeries::new(
                [(x0, floor), (x1, floor)],
                THRESHOLD.stroke_width(1),
            ))
            .map_err(draw_err)?
            .label(format!("productivity threshold 1 − ε = {floor}"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], THRESHOLD));
        for (values, color, name) in [
            (&series[0], WAGE, "wage parity"),
            (&series[1], PRODUCTIVITY, "productivity parity"),
        ] {
            chart
                .draw_series(LineSeries::new(
                    x.iter().copied().zip(values.iter().copied()),
                    color.stroke_width(2),
                ))
                .map_err(draw_err)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .label_font((FAMILY, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(draw_err)
    }
}

fn draw_rewards(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    log: &MetricsTable,
    max_points: usize,
) -> Result<()> {
    let names = ["reward_mp", "reward_error", "reward_wage"];
    let (x, series) = bucket_means(
        log.column("episode")?,
        &[
            log.column(names[0])?,
            log.column(names[1])?,
            log.column(names[2])?,
            log.column("reward_total")?,
        ],
        max_points,
    );
    // Stack gains upward from 0 and penalties downward from 0.
    let n = x.len();
    let mut pos_base = vec![0.0; n];
    let mut neg_base = vec![0.0; n];
    let mut bands = Vec::new(); // (component, lower, upper) for + and − parts
    for (c, values) in series[..3].iter().enumerate() {
        let mut pos = (Vec::with_capacity(n), Vec::with_capacity(n));
        let mut neg = (Vec::with_capacity(n), Vec::with_capacity(n));
        for i in 0..n {
            let v = values[i];
            pos.0.push(pos_base[i]);
            pos_base[i] += v.max(0.0);
            pos.1.push(pos_base[i]);
            neg.1.push(neg_base[i]);
            neg_base[i] += v.min(0.0);
            neg.0.push(neg_base[i]);
        }
        bands.push((c, pos));
        bands.push((c, neg));
    }
    let total = &series[3];
    let (x0, x1) = padded_range(x.iter().copied(), 0.0);
    let (y0, y1) = padded_range(
        pos_base
            .iter()
            .chain(&neg_base)
            .chain(total.iter())
            .copied()
            .chain([0.0]),
        0.05,
    );
    let mut chart = ChartBuilder::on(area)
        .caption("Reward terms per episode (stacked)", (FAMILY, 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc("episode")
        .y_desc("reward")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| axis_label(*y))
        .label_style((FAMILY, 14))
        .draw()
        .map_err(draw_err)?;
    let labels = [
        "α·ΔMP (reward_mp)",
        "−β·e (reward_error)",
        "−γ·L (reward_wage)",
    ];
    for (c, (lower, upper)) in &bands {
        let color = REWARD_COLORS[*c];
        let outline: Vec<(f64, f64)> = x
            .iter()
            .copied()
            .zip(upper.iter().copied())
            .chain(x.iter().copied().zip(lower.iter().copied()).rev())
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(
                outline,
                color.mix(0.55).filled(),
            )))
            .map_err(draw_err)?;
    }
    // Legend entries, drawn as empty series so each term is listed once.
    for (c, label) in labels.iter().enumerate() {
        let color = REWARD_COLORS[c];
        chart
            .draw_series(std::iter::empty::<Polygon<(f64, f64)>>())
            .map_err(draw_err)?
            .label(*label)
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 18, y + 5)], color.mix(0.55).filled())
            });
    }
    chart
        .draw_series(LineSeries::new(
            x.iter().copied().zip(total.iter().copied()),
            BLACK.stroke_width(2),
        ))
        .map_err(draw_err)?
        .label("r(t) (reward_total)")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLACK.stroke_width(2)));
    chart
        .draw_series(LineSeries::new([(x0, 0.0), (x1, 0.0)], BLACK.mix(0.4)))
        .map_err(draw_err)?;
    chart
        .configure_series_labels()
        .label_font((FAMILY, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(draw_err)
}

/// Averages runs of consecutive points so at most `max_points` remain
/// (a long run's curve is drawn at the plot's resolution, smoothed).
pub fn bucket_means(x: &[f64], ys: &[&[f64]], max_points: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = x.len();
    let size = n.div_ceil(max_points.max(1)).max(1);
    let mean = |v: &[f64]| -> Vec<f64> {
        v.chunks(size)
            .map(|c| c.iter().sum::<f64>() / c.len() as f64)
            .collect()
    };
    (mean(x), ys.iter().map(|y| mean(y)).collect())
}

/// `[min, max]` of the values widened by `pad` of the span (or by 1 when
/// the span is zero).
pub(super) fn padded_range(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    if span <= f64::EPSILON * hi.abs().max(1.0) {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo - pad * span, hi + pad * span)
    }
}

/// A y-axis tick label with two decimals, never `-0.00`.
pub(super) fn axis_label(y: f64) -> String {
    let text = format!("{y:.2}");
    if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        text.trim_start_matches('-').to_owned()
    } else {
        text
    }
}

pub(super) fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    ensure!(ok, "the bundled DejaVu Sans font could not be loaded");
    Ok(())
}

pub(super) fn draw_err<E: std::fmt::Display>(err: E) -> crate::RunsError {
    crate::RunsError::Invalid(format!("drawing the plot: {err}"))
}

/// Writes `bytes` to `path` via a temporary sibling and a rename, so a
/// reader never sees a half-written file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file path", path.display()))?;
    let temp = path.with_file_name(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&temp, bytes).with_context(|| format!("writing {}", temp.display()))?;
    std::fs::rename(&temp, path).map_err(|err| {
        let _ = std::fs::remove_file(&temp);
        crate::RunsError::Context {
            context: format!("writing {}", path.display()),
            source: Box::new(err),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    fn synthetic_log(episodes: u64) -> (tempfile::TempDir, MetricsTable) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("training_metrics.csv");
        let mut text = String::from(
            "episode,mp_r,e,w_r,wage_parity,productivity_parity,reward_total,\
             reward_mp,reward_error,reward_wage,alpha,beta,gamma\n",
        );
        for ep in 0..episodes {
            let t = ep as f64 / episodes as f64;
            let wage = 0.3 + 0.7 * t;
            let prod = 0.4 + 0.62 * t;
            let (r_mp, r_err, r_wage) = (0.05 * (1.0 - t), -0.02 * (1.0 - t), -(1.0 - wage));
            writeln!(
                text,
                "{ep},{},{},{},{wage},{prod},{},{r_mp},{r_err},{r_wage},1,1,0.5",
                60.0 * prod,
                0.1 * (1.0 - t),
                18.0 * wage,
                r_mp + r_err + r_wage
            )
            .unwrap();
        }
        std::fs::write(&path, text).unwrap();
        let table = MetricsTable::read(&path).unwrap();
        (dir, table)
    }

    fn png_size(bytes: &[u8]) -> (u32, u32) {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().unwrap();
        (reader.info().width, reader.info().height)
    }

    #[test]
    fn plot_is_a_png_of_the_requested_size_with_drawn_pixels() {
        let (_dir, log) = synthetic_log(300);
        let plot = ConvergencePlot {
            width: 640,
            height: 480,
            ..ConvergencePlot::default()
        };
        let png = plot.render_png(&log).unwrap();
        assert_eq!(png_size(&png), (640, 480));
        let mut reader = png::Decoder::new(std::io::Cursor::new(&png))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut buf).unwrap();
        let wage_blue = buf.chunks(3).filter(|p| p == &[31, 119, 180]).count();
        assert!(wage_blue > 100, "wage parity line drawn ({wage_blue} px)");
        let non_white = buf.chunks(3).filter(|p| p != &[255, 255, 255]).count();
        assert!(non_white > 640 * 480 / 20, "{non_white} px drawn");
    }

    #[test]
    fn a_single_episode_still_plots() {
        let (_dir, log) = synthetic_log(1);
        assert!(
            !ConvergencePlot::default()
                .render_png(&log)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn missing_columns_and_bad_thresholds_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        std::fs::write(&path, "episode,mp_r\n0,1\n").unwrap();
        let table = MetricsTable::read(&path).unwrap();
        let err = ConvergencePlot::default().render_png(&table).unwrap_err();
        assert!(err.to_string().contains("no column `wage_parity`"), "{err}");
        let (_dir, log) = synthetic_log(5);
        let bad = ConvergencePlot {
            epsilon: 1.5,
            ..ConvergencePlot::default()
        };
        assert!(
            bad.render_png(&log)
                .unwrap_err()
                .to_string()
                .contains("epsilon")
        );
    }

    #[test]
    fn defaults_are_the_economics_crate_convergence_defaults() {
        let spec = economics::ConvergenceConfig::default();
        assert_eq!((DEFAULT_EPSILON, DEFAULT_DELTA), (spec.epsilon, spec.delta));
    }

    #[test]
    fn axis_labels_never_show_negative_zero() {
        assert_eq!(axis_label(-0.0001), "0.00");
        assert_eq!(axis_label(-0.25), "-0.25");
        assert_eq!(axis_label(1.0), "1.00");
    }

    #[test]
    fn bucketing_averages_down_to_the_point_budget() {
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let (bx, by) = bucket_means(&x, &[&x], 5);
        assert_eq!(bx, vec![0.5, 2.5, 4.5, 6.5, 8.5]);
        assert_eq!(by[0], bx);
        let (same, _) = bucket_means(&x, &[&x], 100);
        assert_eq!(same, x);
    }
}
