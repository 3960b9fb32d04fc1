//! `vp exchange dashboard`: the exchange at a glance (SPEC §7):
//! circulation, minted and burned, 24 h volume and inflation, market state,
//! the top experts by ROI and the latest value signals.
//!
//! Without `--watch` one frame is printed to standard output as plain text
//! (120 columns, as many lines as the content needs), so it works without a
//! terminal: in scripts, CI and tests. With `--watch` the view takes the
//! terminal (alternate screen, raw mode), takes a fresh snapshot of the
//! ledger every `--interval-ms` (a SQLite reader in WAL mode never blocks
//! the `vp exchange run` writing it, nor is blocked by it), and quits on
//! `q`, Esc or Ctrl-C. The terminal is restored on every way out: quit,
//! error (a guard's `Drop`) and panic (ratatui's panic hook).
//!
//! The figures are [`exchange::DashboardStats`]; their definitions (window,
//! volume, inflation) are documented there.

use super::exchange_ledger_args::LedgerArgs;
use crate::out::outln;
use anyhow::{Context, Result, bail};
use clap::Args;
use exchange::{Credits, DashboardStats, LedgerStore, MarketState, utc_date_time};
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, Widget};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Width of the frame printed without `--watch`, in columns.
const TEXT_WIDTH: u16 = 120;
/// Lines of the header block, borders included.
const HEADER_HEIGHT: u16 = 4;
/// Lines of the supply block, borders included.
const SUPPLY_HEIGHT: u16 = 5;

/// Live view of the exchange: circulation, volume, inflation, top experts,
/// recent signals.
#[derive(Debug, Args)]
pub struct DashboardArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    /// Keep the view open in the terminal, re-reading the ledger every
    /// --interval-ms; q, Esc or Ctrl-C quits. Without it one frame is
    /// printed as plain text.
    #[arg(long)]
    watch: bool,
    /// Milliseconds between re-reads of the ledger with --watch (> 0).
    #[arg(long, value_name = "MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..))]
    interval_ms: u64,
    /// Number of experts in the ROI table.
    #[arg(long, value_name = "N", default_value_t = 10)]
    top: usize,
    /// Number of recent value signals listed.
    #[arg(long, value_name = "M", default_value_t = 10)]
    signals: usize,
}

/// Microseconds since the Unix epoch now (0 if the clock is before 1970).
fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl DashboardArgs {
    /// Opens the existing ledger (never creates one) and prints one frame
    /// or, with `--watch`, runs the live view.
    pub fn run(self) -> Result<ExitCode> {
        if self.watch && !std::io::stdout().is_terminal() {
            bail!(
                "--watch needs a terminal on standard output (without --watch one frame is printed as text)"
            );
        }
        let mut store = self.ledger.open()?;
        let stats = self.read(store.as_mut())?;
        let view = View {
            store: store.describe(),
            stats,
            status: String::new(),
        };
        if self.watch {
            self.watch(store.as_mut(), view)?;
        } else {
            for line in render_text(&view) {
                outln!("{line}");
            }
        }
        Ok(ExitCode::SUCCESS)
    }

    /// A fresh snapshot of the ledger, and its figures now.
    fn read(&self, store: &mut (dyn LedgerStore + Send)) -> Result<DashboardStats> {
        let snap = store
            .snapshot()
            .with_context(|| format!("reading the ledger {}", store.describe()))?;
        Ok(DashboardStats::compute(
            &snap,
            now_us(),
            self.top,
            self.signals,
        )?)
    }

    /// The live view: redraw on every re-read and resize until a quit key.
    fn watch(&self, store: &mut (dyn LedgerStore + Send), mut view: View) -> Result<()> {
        let interval = Duration::from_millis(self.interval_ms);
        let help = format!(
            "q, Esc or Ctrl-C quits; re-read every {} ms",
            self.interval_ms
        );
        view.status.clone_from(&help);
        // Declared before the terminal is set up, so a failure half-way
        // (raw mode on, alternate screen refused) is undone too.
        let _restore = RestoreTerminal;
        let mut terminal = ratatui::try_init().context("setting up the terminal for --watch")?;
        let mut next = Instant::now() + interval;
        loop {
            terminal
                .draw(|frame| render(&view, frame.area(), frame.buffer_mut()))
                .context("drawing the dashboard")?;
            let wait = next.saturating_duration_since(Instant::now());
            // Any event but a quit key (a resize, another key) just redraws.
            if event::poll(wait).context("reading the keyboard")?
                && let Event::Key(key) = event::read().context("reading the keyboard")?
                && quits(key)
            {
                return Ok(());
            }
            if Instant::now() >= next {
                // A failed re-read (a busy or unreachable server) is shown,
                // and the last good figures stay until the next one works.
                match self.read(store) {
                    Ok(stats) => {
                        view.stats = stats;
                        view.status.clone_from(&help);
                    }
                    Err(e) => view.status = format!("error: {e:#} (retrying)"),
                }
                next = Instant::now() + interval;
            }
        }
    }
}

/// Leaves raw mode and the alternate screen when dropped.
struct RestoreTerminal;

impl Drop for RestoreTerminal {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// `q`, Esc or Ctrl-C, pressed.
fn quits(key: KeyEvent) -> bool {
    key.kind == KeyEventKind::Press
        && match key.code {
            KeyCode::Char('q') | KeyCode::Esc => true,
            KeyCode::Char('c') => key.modifiers.contains(KeyModifiers::CONTROL),
            _ => false,
        }
}

/// What one frame shows.
struct View {
    /// The store, as [`LedgerStore::describe`] names it.
    store: String,
    stats: DashboardStats,
    /// Keys with --watch, or the last re-read's error.
    status: String,
}

/// The frame as lines of text, trailing spaces trimmed.
fn render_text(view: &View) -> Vec<String> {
    let area = Rect::new(0, 0, TEXT_WIDTH, frame_height(&view.stats));
    let mut buf = Buffer::empty(area);
    render(view, area, &mut buf);
    (area.top()..area.bottom())
        .map(|y| {
            let mut line = String::new();
            // A wide symbol (CJK in a reason) covers the cells after it,
            // which hold blanks: skip them, as ratatui's own Debug does.
            let mut covered = 0usize;
            for x in area.left()..area.right() {
                let symbol = buf[(x, y)].symbol();
                if covered == 0 {
                    line.push_str(symbol);
                }
                covered = covered.max(Span::raw(symbol).width()).saturating_sub(1);
            }
            line.truncate(line.trim_end().len());
            line
        })
        .collect()
}

/// Lines a frame needs to show everything.
fn frame_height(stats: &DashboardStats) -> u16 {
    let rows = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
    HEADER_HEIGHT
        .saturating_add(SUPPLY_HEIGHT)
        .saturating_add(rows(stats.top_experts.len()).saturating_add(3))
        .saturating_add(rows(stats.recent_signals.len()).saturating_add(3))
}

fn signed(c: Credits) -> String {
    if c.micros() > 0 {
        format!("+{c}")
    } else {
        c.to_string()
    }
}

fn ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.3}"))
}

/// `YYYY-MM-DD HH:MM:SS` (UTC).
fn utc_seconds(time_us: i64) -> String {
    let (_, t) = utc_date_time(time_us);
    t.get(..19).unwrap_or(&t).replacen('T', " ", 1)
}

fn titled(title: &str) -> Block<'_> {
    Block::bordered().title(Span::styled(
        format!(" {title} "),
        Style::new().add_modifier(Modifier::BOLD),
    ))
}

/// Draws the four blocks (header, supply, top experts, recent signals)
/// into `buf`.
fn render(view: &View, area: Rect, buf: &mut Buffer) {
    let s = &view.stats;
    let rows = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
    let [header, supply, experts, signals] = Layout::vertical([
        Constraint::Length(HEADER_HEIGHT),
        Constraint::Length(SUPPLY_HEIGHT),
        Constraint::Length(rows(s.top_experts.len()).saturating_add(3)),
        Constraint::Fill(1),
    ])
    .areas(area);

    let market_style = match s.market.state {
        MarketState::Bull => Style::new().fg(Color::Green),
        MarketState::Bear => Style::new().fg(Color::Red),
    };
    Paragraph::new(vec![
        Line::from(vec![
            Span::styled("ledger ", Style::new().add_modifier(Modifier::BOLD)),
            Span::raw(view.store.as_str()),
        ]),
        Line::from(vec![
            Span::raw(format!("{} UTC   market ", utc_seconds(s.now_us))),
            Span::styled(s.market.state.as_str(), market_style),
            Span::raw(format!(
                " (24 h: minted {}, burned {})   {}",
                s.market.minted, s.market.burned, view.status
            )),
        ]),
    ])
    .block(titled("vp exchange dashboard"))
    .render(header, buf);

    let inflation = match s.inflation {
        Some(x) => format!("{:+.3} %", x * 100.0),
        None => "n/a (nothing in circulation 24 h ago)".to_string(),
    };
    Paragraph::new(vec![
        Line::raw(format!(
            "circulation {}   minted {}   burned {}",
            s.circulation, s.minted, s.burned
        )),
        Line::raw(format!(
            "24 h volume {} ({} transactions)   24 h inflation {inflation}",
            s.volume, s.volume_count
        )),
        Line::raw(format!(
            "{} transactions, {} accounts in the ledger",
            s.transactions, s.accounts
        )),
    ])
    .block(titled("supply"))
    .render(supply, buf);

    let money = Constraint::Length(14);
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let right = |x: String| format!("{x:>14}");
    Table::new(
        s.top_experts.iter().map(|e| {
            Row::new([
                e.id.clone(),
                right(e.available.to_string()),
                right(e.staked.to_string()),
                right(e.earned.to_string()),
                right(e.spent.to_string()),
                format!("{:>8}", ratio(e.roi)),
                format!("{:>8}", ratio(e.win_rate)),
                if e.deprecated { "deprecated" } else { "" }.to_string(),
            ])
        }),
        [
            Constraint::Fill(1),
            money,
            money,
            money,
            money,
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(10),
        ],
    )
    .header(
        Row::new([
            "expert".to_string(),
            right("available".into()),
            right("staked".into()),
            right("earned".into()),
            right("spent".into()),
            format!("{:>8}", "ROI"),
            format!("{:>8}", "win rate"),
            "status".to_string(),
        ])
        .style(bold),
    )
    .block(titled("top experts by ROI"))
    .render(experts, buf);

    Table::new(
        s.recent_signals.iter().map(|r| {
            let amount_style = if r.amount.micros() > 0 {
                Style::new().fg(Color::Green)
            } else {
                Style::new().fg(Color::Red)
            };
            Row::new([
                Line::raw(utc_seconds(r.time_us)),
                Line::raw(r.expert.clone()),
                Line::styled(right(signed(r.amount)), amount_style),
                Line::raw(r.tx_type.as_str()),
                Line::raw(r.value_signal_id.clone().unwrap_or_else(|| "-".into())),
                Line::raw(r.reason.clone()),
            ])
        }),
        [
            Constraint::Length(19),
            Constraint::Length(20),
            money,
            Constraint::Length(13),
            Constraint::Length(16),
            Constraint::Fill(1),
        ],
    )
    .header(
        Row::new([
            "time (UTC)".to_string(),
            "expert".to_string(),
            right("amount".into()),
            "type".to_string(),
            "signal".to_string(),
            "reason".to_string(),
        ])
        .style(bold),
    )
    .block(titled("recent value signals"))
    .render(signals, buf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use exchange::{LedgerSnapshot, Party, SqliteLedger, Transfer, TxType};

    #[test]
    fn text_frame_shows_every_block_within_120_columns() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut l = SqliteLedger::init(dir.path()).expect("ledger");
        let a = Party::expert("a").expect("id");
        let w = |x: i64| Credits::from_whole(x).expect("small");
        l.apply(&Transfer::new(
            "s",
            TxType::Seed,
            Party::Mint,
            a.clone(),
            w(9),
        ))
        .expect("seed");
        let mut p = Transfer::new("p", TxType::ValuePenalty, a, Party::Sink, w(2));
        p.reason = "ci fail 失败".into();
        l.apply(&p).expect("penalty");
        let snap = l.snapshot().expect("snapshot");
        let view = View {
            store: l.describe(),
            stats: DashboardStats::compute(&snap, now_us(), 10, 10).expect("stats"),
            status: String::new(),
        };
        let lines = render_text(&view);
        assert_eq!(lines.len(), usize::from(frame_height(&view.stats)));
        // Every line fits 120 columns; the two-column 失败 is printed once
        // (not followed by the blank of the cell it covers), so its line
        // still ends in the border at column 120.
        let columns = |l: &str| Span::raw(l).width();
        assert!(lines.iter().all(|l| columns(l) <= 120), "{lines:#?}");
        let wide = lines
            .iter()
            .find(|l| l.contains("ci fail"))
            .expect("signal");
        assert!(wide.ends_with('│') && columns(wide) == 120, "{wide:?}");
        let text = lines.join("\n");
        for needle in [
            "circulation 7.000000",
            "market bull",
            "top experts by ROI",
            "-2.000000",
            "value_penalty",
            "ci fail 失败",
            "-1.000",
        ] {
            assert!(text.contains(needle), "{needle:?} in\n{text}");
        }
        let empty = View {
            store: "x".into(),
            stats: DashboardStats::compute(&LedgerSnapshot::default(), 0, 10, 10).expect("stats"),
            status: String::new(),
        };
        assert!(
            render_text(&empty)
                .join("\n")
                .contains("circulation 0.000000")
        );
    }

    #[test]
    fn q_esc_and_ctrl_c_quit() {
        let key = |code, modifiers| KeyEvent::new(code, modifiers);
        assert!(quits(key(KeyCode::Char('q'), KeyModifiers::NONE)));
        assert!(quits(key(KeyCode::Esc, KeyModifiers::NONE)));
        assert!(quits(key(KeyCode::Char('c'), KeyModifiers::CONTROL)));
        assert!(!quits(key(KeyCode::Char('c'), KeyModifiers::NONE)));
        assert!(!quits(key(KeyCode::Char('x'), KeyModifiers::NONE)));
    }
}
