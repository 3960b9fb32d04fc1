//! `PanelChart`: a PNG of panels stacked top to bottom, each a small
//! chart of line, point or bar series. The economics commands that are not
//! about one run (`vp econ pricing-simulator`, `compare-tiers`,
//! `analyze-data-value`) draw with it; the fonts, colours and atomic write
//! are the convergence plot's.

use super::convergence_plot::{axis_label, draw_err, padded_range, register_font};
use crate::encode_rgb_png;
use crate::error::{Result, ensure};
use plotters::prelude::*;

/// The colours series take in order (matplotlib's tab10).
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];
const FAMILY: &str = "sans-serif";

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SeriesStyle {
    /// A line through the points in order.
    Line,
    /// A dot per point.
    Points,
    /// A bar from 0 to `y` per point, `width` wide (x units), centred at
    /// `x + offset` (grouped bars side by side).
    Bars {
        /// Bar width in x units.
        width: f64,
        /// Shift of the bar's centre from `x`, x units.
        offset: f64,
    },
}

/// One named series of `(x, y)` points.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSeries {
    /// Legend text.
    pub name: String,
    /// How it is drawn.
    pub style: SeriesStyle,
    /// The points; non-finite ones are skipped.
    pub points: Vec<(f64, f64)>,
}

/// One chart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChartPanel {
    /// Caption above the chart.
    pub title: String,
    /// x-axis label.
    pub x_desc: String,
    /// y-axis label.
    pub y_desc: String,
    /// Names of x = 0, 1, 2, …: when set, x ticks are these names (bar
    /// charts by tier or by strategy).
    pub categories: Vec<String>,
    /// Whether x ticks are whole numbers (episodes): no decimals.
    pub integer_x: bool,
    /// The series, drawn in order.
    pub series: Vec<ChartSeries>,
}

/// Panels stacked vertically in one PNG.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelChart {
    /// Width in pixels, 200 to 8000.
    pub width: u32,
    /// Height in pixels of each panel, 100 to 8000.
    pub panel_height: u32,
    /// The panels, top to bottom.
    pub panels: Vec<ChartPanel>,
}

impl PanelChart {
    /// A chart of `panels`, 1000 pixels wide and 420 per panel.
    pub fn new(panels: Vec<ChartPanel>) -> Self {
        Self {
            width: 1000,
            panel_height: 420,
            panels,
        }
    }

    /// Renders the PNG bytes.
    pub fn render_png(&self) -> Result<Vec<u8>> {
        ensure!(!self.panels.is_empty(), "a chart needs at least one panel");
        ensure!(
            (200..=8000).contains(&self.width) && (100..=8000).contains(&self.panel_height),
            "chart size {}x{} per panel out of range",
            self.width,
            self.panel_height
        );
        let n = u32::try_from(self.panels.len()).unwrap_or(u32::MAX);
        let (w, h) = (self.width, self.panel_height.saturating_mul(n));
        ensure!(h <= 16_000, "{n} panels make a chart {h} pixels high");
        register_font()?;
        let mut pixels = vec![255u8; w as usize * h as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
            root.fill(&WHITE).map_err(draw_err)?;
            let areas = root.split_evenly((self.panels.len(), 1));
            for (area, panel) in areas.iter().zip(&self.panels) {
                draw_panel(area, panel)?;
            }
            root.present().map_err(draw_err)?;
        }
        encode_rgb_png(w, h, &pixels)
    }
}

fn draw_panel(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    panel: &ChartPanel,
) -> Result<()> {
    let finite = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite();
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    let mut has_bars = false;
    for s in &panel.series {
        for &(x, y) in s.points.iter().filter(|p| finite(p)) {
            match s.style {
                SeriesStyle::Bars { width, offset } => {
                    has_bars = true;
                    xs.extend([x + offset - width / 2.0, x + offset + width / 2.0]);
                    ys.extend([0.0, y]);
                }
                _ => {
                    xs.push(x);
                    ys.push(y);
                }
            }
        }
    }
    if !panel.categories.is_empty() {
        xs.extend([-0.5, panel.categories.len() as f64 - 0.5]);
    }
    let (x0, x1) = padded_range(xs.into_iter(), if has_bars { 0.0 } else { 0.02 });
    let (y0, y1) = padded_range(ys.into_iter(), 0.08);
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FAMILY, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(72)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(draw_err)?;
    let categories = &panel.categories;
    let x_label = |x: &f64| {
        if categories.is_empty() {
            if panel.integer_x {
                format!("{x:.0}")
            } else {
                axis_label(*x)
            }
        } else {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < categories.len() {
                categories[i as usize].clone()
            } else {
                String::new()
            }
        }
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(&panel.x_desc)
        .y_desc(&panel.y_desc)
        .x_label_formatter(&x_label)
        .y_label_formatter(&|y| axis_label(*y))
        .label_style((FAMILY, 14));
    if !categories.is_empty() {
        mesh.x_labels(categories.len() * 2 + 1).disable_x_mesh();
    }
    mesh.draw().map_err(draw_err)?;
    for (i, s) in panel.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let points: Vec<(f64, f64)> = s.points.iter().copied().filter(finite).collect();
        let drawn = match s.style {
            SeriesStyle::Line => chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(draw_err)?,
            SeriesStyle::Points => chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 3, color.mix(0.7).filled())),
                )
                .map_err(draw_err)?,
            SeriesStyle::Bars { width, offset } => chart
                .draw_series(points.into_iter().map(|(x, y)| {
                    let c = x + offset;
                    Rectangle::new(
                        [(c - width / 2.0, 0.0), (c + width / 2.0, y)],
                        color.mix(0.8).filled(),
                    )
                }))
                .map_err(draw_err)?,
        };
        drawn.label(s.name.as_str()).legend(move |(x, y)| {
            Rectangle::new([(x, y - 5), (x + 18, y + 5)], color.mix(0.8).filled())
        });
    }
    chart
        .configure_series_labels()
        .label_font((FAMILY, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(draw_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_of_lines_points_and_bars_is_a_png_of_the_stacked_size() {
        let chart = PanelChart {
            width: 400,
            panel_height: 200,
            panels: vec![
                ChartPanel {
                    title: "lines".into(),
                    series: vec![
                        ChartSeries {
                            name: "a".into(),
                            style: SeriesStyle::Line,
                            points: vec![(0.0, 1.0), (1.0, 2.0), (2.0, f64::NAN)],
                        },
                        ChartSeries {
                            name: "b".into(),
                            style: SeriesStyle::Points,
                            points: vec![(0.5, 1.5)],
                        },
                    ],
                    ..ChartPanel::default()
                },
                ChartPanel {
                    title: "bars".into(),
                    categories: vec!["0".into(), "1".into(), "2".into()],
                    series: vec![ChartSeries {
                        name: "share".into(),
                        style: SeriesStyle::Bars {
                            width: 0.6,
                            offset: 0.0,
                        },
                        points: vec![(0.0, 0.2), (1.0, 0.5), (2.0, 0.3)],
                    }],
                    ..ChartPanel::default()
                },
            ],
        };
        let png = chart.render_png().unwrap();
        let reader = png::Decoder::new(std::io::Cursor::new(&png))
            .read_info()
            .unwrap();
        assert_eq!((reader.info().width, reader.info().height), (400, 400));
        assert!(PanelChart::new(vec![]).render_png().is_err());
    }
}
