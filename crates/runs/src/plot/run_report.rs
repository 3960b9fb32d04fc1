//! `RunReport`: the Markdown report of `vp econ report`: the task
//! economics from the resolved config, the final evaluation from `eval.csv`,
//! the end of the training log and the convergence plot.

use super::convergence_plot::{ConvergencePlot, write_atomically};
use super::metrics_table::MetricsTable;
use crate::error::{Context, Result};
use crate::{RunDir, TRAINING_COLUMNS};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Name of the plot written beside the report.
pub const PLOT_FILE: &str = "convergence.png";
/// Name of the report.
pub const REPORT_FILE: &str = "report.md";
/// Episodes averaged for the "recent training" summary.
const RECENT_EPISODES: usize = 100;
/// Last episodes listed row by row.
const LAST_ROWS: usize = 5;

/// What a report was built from.
#[derive(Debug)]
pub struct RunReport {
    run: RunDir,
    config: Value,
    training: MetricsTable,
    eval: MetricsTable,
    plot: ConvergencePlot,
}

impl RunReport {
    /// Reads the run's config and logs.
    pub fn load(run: RunDir, plot: ConvergencePlot) -> Result<Self> {
        plot.validate()?;
        let config: Value = run.load_config()?;
        let training = MetricsTable::read(&run.training_metrics_path())?;
        training.require(&TRAINING_COLUMNS)?;
        let eval = MetricsTable::read(&run.eval_path())?;
        Ok(Self {
            run,
            config,
            training,
            eval,
            plot,
        })
    }

    /// Writes `report.md` (and `convergence.png` when there are episodes)
    /// into `out`; returns the report's path.
    pub fn write(&self, out: &Path) -> Result<PathBuf> {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let has_plot = !self.training.is_empty();
        if has_plot {
            self.plot.write_png(&self.training, &out.join(PLOT_FILE))?;
        }
        let report = out.join(REPORT_FILE);
        write_atomically(&report, self.markdown(has_plot).as_bytes())?;
        Ok(report)
    }

    /// The report text.
    pub fn markdown(&self, with_plot: bool) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Run report: {}\n", self.run.name());
        let _ = writeln!(md, "Run folder: `{}`\n", self.run.root().display());
        self.task_economics(&mut md);
        self.final_evaluation(&mut md);
        self.training_summary(&mut md);
        md.push_str("## Convergence\n\n");
        if with_plot {
            let _ = writeln!(
                md,
                "![wage and productivity parity, reward terms]({PLOT_FILE})\n\n\
                 Band: wage parity within 1 ± {delta}, productivity parity at least \
                 1 − {epsilon} (SPEC §2 ε = {epsilon}, δ = {delta}).\n",
                delta = self.plot.delta,
                epsilon = self.plot.epsilon
            );
        } else {
            md.push_str("No episodes logged yet, so no plot.\n\n");
        }
        md
    }

    fn task_economics(&self, md: &mut String) {
        md.push_str("## Task economics\n\n");
        match find_economics(&self.config) {
            Some((path, section)) => {
                let mut rows = Vec::new();
                flatten("", section, &mut rows);
                let _ = writeln!(md, "From `config.yaml` (`{path}`):\n");
                md.push_str("| setting | value |\n|---|---|\n");
                for (key, value) in rows {
                    let _ = writeln!(md, "| `{key}` | {value} |");
                }
                md.push('\n');
            }
            None => md.push_str(
                "The resolved config has no economics section (`economics`, `task` or \
                 settings with `price_per_unit`/`human_wage`); see `config.yaml`.\n\n",
            ),
        }
    }

    fn final_evaluation(&self, md: &mut String) {
        md.push_str("## Final evaluation\n\n");
        let eval = &self.eval;
        if eval.is_empty() {
            md.push_str("No evaluation recorded yet (`eval.csv` has no rows).\n\n");
            return;
        }
        let last = eval.len() - 1;
        let get = |name: &str| eval.get(last, name);
        let _ = writeln!(
            md,
            "Evaluation {} of {} at step {}, over {} episodes:\n",
            eval.len(),
            eval.len(),
            fmt_opt(get("step"), 0),
            fmt_opt(get("episodes"), 0)
        );
        md.push_str("| metric | value | 95 % CI |\n|---|---|---|\n");
        let ci = |lo: &str, hi: &str| match (get(lo), get(hi)) {
            (Some(lo), Some(hi)) => format!("{lo:.4} – {hi:.4}"),
            _ => String::new(),
        };
        let rows = [
            ("mean return", "mean_return", String::new()),
            ("MP_r (units/h)", "mp_r", ci("mp_r_ci95_lo", "mp_r_ci95_hi")),
            ("error rate e", "error_rate", String::new()),
            ("robot wage ŵ_r ($/h)", "w_r", String::new()),
            (
                "wage parity ŵ_r/w_h",
                "wage_parity",
                ci("wage_parity_ci95_lo", "wage_parity_ci95_hi"),
            ),
            (
                "productivity parity MP_r/MP_h",
                "productivity_parity",
                ci("productivity_parity_ci95_lo", "productivity_parity_ci95_hi"),
            ),
        ];
        for (label, column, interval) in rows {
            if let Some(v) = get(column) {
                let _ = writeln!(md, "| {label} | {v:.4} | {interval} |");
            }
        }
        md.push('\n');
        if let (Some(wage), Some(prod)) = (get("wage_parity"), get("productivity_parity")) {
            let wage_ok = (wage - 1.0).abs() <= self.plot.delta;
            let prod_ok = prod >= 1.0 - self.plot.epsilon;
            let _ = writeln!(
                md,
                "Parity band at this evaluation: wage parity within 1 ± {}: **{}**; \
                 productivity parity ≥ {}: **{}**.\n",
                self.plot.delta,
                yes_no(wage_ok),
                1.0 - self.plot.epsilon,
                yes_no(prod_ok)
            );
        }
    }

    fn training_summary(&self, md: &mut String) {
        md.push_str("## Training\n\n");
        let log = &self.training;
        if log.is_empty() {
            md.push_str("No episodes logged yet.\n\n");
            return;
        }
        let n = log.len();
        let recent = n.min(RECENT_EPISODES);
        let _ = writeln!(
            md,
            "{n} episodes logged (last episode {}). Mean over the last {recent}:\n",
            fmt_opt(log.get(n - 1, "episode"), 0)
        );
        md.push_str("| MP_r | e | ŵ_r | wage parity | productivity parity | reward |\n");
        md.push_str("|---|---|---|---|---|---|\n");
        let mean = |name: &str| {
            log.column(name)
                .map(|c| c[n - recent..].iter().sum::<f64>() / recent as f64)
                .ok()
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |\n",
            fmt_opt(mean("mp_r"), 3),
            fmt_opt(mean("e"), 4),
            fmt_opt(mean("w_r"), 3),
            fmt_opt(mean("wage_parity"), 4),
            fmt_opt(mean("productivity_parity"), 4),
            fmt_opt(mean("reward_total"), 4)
        );
        let _ = writeln!(md, "Last {} episodes:\n", n.min(LAST_ROWS));
        let _ = writeln!(md, "| {} |", TRAINING_COLUMNS.join(" | "));
        let _ = writeln!(md, "|{}", "---|".repeat(TRAINING_COLUMNS.len()));
        for row in n.saturating_sub(LAST_ROWS)..n {
            let cells: Vec<String> = TRAINING_COLUMNS
                .iter()
                .map(|c| {
                    let digits = if *c == "episode" { 0 } else { 4 };
                    fmt_opt(log.get(row, c), digits)
                })
                .collect();
            let _ = writeln!(md, "| {} |", cells.join(" | "));
        }
        md.push('\n');
    }
}

/// The config section holding the task economics: a top-level `economics`,
/// `task_economics` or `task` mapping, else the first mapping anywhere that
/// has `price_per_unit` or `human_wage`.
fn find_economics(config: &Value) -> Option<(String, &Value)> {
    for key in ["economics", "task_economics", "task"] {
        if let Some(section) = config.get(key).filter(|v| v.is_object()) {
            return Some((key.to_owned(), section));
        }
    }
    fn search<'a>(value: &'a Value, path: &str) -> Option<(String, &'a Value)> {
        let map = value.as_object()?;
        if map.contains_key("price_per_unit") || map.contains_key("human_wage") {
            return Some((if path.is_empty() { "." } else { path }.to_owned(), value));
        }
        map.iter().find_map(|(k, v)| {
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            search(v, &child)
        })
    }
    search(config, "")
}

/// Flattens scalars of a mapping into `(dotted.key, value)` rows.
fn flatten(prefix: &str, value: &Value, rows: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, rows);
            }
        }
        Value::String(s) => rows.push((prefix.to_owned(), s.clone())),
        other => rows.push((prefix.to_owned(), other.to_string())),
    }
}

fn fmt_opt(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.digits$}"))
}

fn yes_no(ok: bool) -> &'static str {
    if ok { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EVAL_COLUMNS, MetricsCsv};

    fn run_with_logs(episodes: u64, evals: u64) -> (tempfile::TempDir, RunDir) {
        let dir = tempfile::tempdir().unwrap();
        let config = "env: dishwashing\nseed: 1\neconomics:\n  price_per_unit: 0.3\n  \
                      human_mp: 60.0\n  human_wage: 18.0\n  damage_cost: 1.0\n  \
                      occupation_code: 35-9021\n";
        let run = RunDir::stage(&dir.path().join("dish__ppo__1__5"), config)
            .unwrap()
            .commit()
            .unwrap();
        let (mut log, _) =
            MetricsCsv::open_resume(&run.training_metrics_path(), &TRAINING_COLUMNS, None).unwrap();
        for ep in 0..episodes {
            let p = 0.5 + 0.5 * ep as f64 / episodes as f64;
            log.append(&[
                ep as f64,
                60.0 * p,
                0.05,
                18.0 * p,
                p,
                p,
                -0.1,
                0.05,
                -0.05,
                -0.1,
                1.0,
                1.0,
                0.5,
            ])
            .unwrap();
        }
        let (mut eval, _) = MetricsCsv::open_resume(&run.eval_path(), &EVAL_COLUMNS, None).unwrap();
        for k in 0..evals {
            eval.append(&[
                (k + 1) as f64 * 1000.0,
                10.0,
                3.5,
                57.0,
                55.0,
                59.0,
                0.02,
                16.8,
                0.93,
                0.9,
                0.96,
                0.95,
                0.92,
                0.98,
            ])
            .unwrap();
        }
        (dir, run)
    }

    #[test]
    fn report_has_economics_final_evaluation_training_and_plot() {
        let (dir, run) = run_with_logs(50, 2);
        let out = dir.path().join("report");
        let report = RunReport::load(run, ConvergencePlot::default())
            .unwrap()
            .write(&out)
            .unwrap();
        let md = std::fs::read_to_string(report).unwrap();
        assert!(md.contains("| `human_wage` | 18.0 |"), "{md}");
        assert!(md.contains("| `occupation_code` | 35-9021 |"), "{md}");
        assert!(
            md.contains("Evaluation 2 of 2 at step 2000, over 10 episodes"),
            "{md}"
        );
        assert!(
            md.contains("| wage parity ŵ_r/w_h | 0.9300 | 0.9000 – 0.9600 |"),
            "{md}"
        );
        assert!(md.contains("within 1 ± 0.1: **yes**"), "{md}");
        assert!(md.contains("50 episodes logged (last episode 49)"), "{md}");
        assert!(md.contains("![wage and productivity parity, reward terms](convergence.png)"));
        assert!(std::fs::metadata(out.join(PLOT_FILE)).unwrap().len() > 1000);
    }

    #[test]
    fn a_run_without_episodes_or_evaluations_still_reports() {
        let (dir, run) = run_with_logs(0, 0);
        let out = dir.path().join("r");
        let md = std::fs::read_to_string(
            RunReport::load(run, ConvergencePlot::default())
                .unwrap()
                .write(&out)
                .unwrap(),
        )
        .unwrap();
        assert!(md.contains("No evaluation recorded yet"), "{md}");
        assert!(md.contains("No episodes logged yet"), "{md}");
        assert!(!out.join(PLOT_FILE).exists());
    }

    #[test]
    fn economics_are_found_nested_by_their_field_names() {
        let config: Value = serde_json::json!({
            "env": {"name": "bricklaying", "pricing": {"price_per_unit": 0.5, "human_mp": 40}}
        });
        let (path, section) = find_economics(&config).unwrap();
        assert_eq!(path, "env.pricing");
        assert_eq!(section["human_mp"], 40);
        assert!(find_economics(&serde_json::json!({"seed": 1})).is_none());
    }
}
