//! `RunLogger`: the logs of one training session in a run folder:
//! `training_metrics.csv`, `eval.csv` and a TensorBoard event file, opened
//! fresh or resumed from a checkpoint, written in the order the resume
//! protocol needs.
//!
//! Protocol for the training loop: log rows as they happen, call
//! [`RunLogger::flush`] once per iteration, and call [`RunLogger::commit`]
//! right before writing a checkpoint that records `(step, last_episode)`.
//! Resuming with that pair drops whatever a killed session logged after it.

use crate::error::{Result, ensure};
use crate::eval_summary::EvalSummary;
use crate::metrics_csv::{EVAL_COLUMNS, MetricsCsv, ResumeTrim, TRAINING_COLUMNS};
use crate::run_dir::RunDir;
use crate::tensorboard_writer::TensorBoardWriter;
use economics::EpisodeRecord;

/// What a checkpoint records about the logs it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResumePoint {
    /// Global step of the checkpoint.
    pub step: u64,
    /// Last episode logged before the checkpoint (`None`: none finished).
    pub last_episode: Option<u64>,
}

/// The open logs of a run.
#[derive(Debug)]
pub struct RunLogger {
    training: MetricsCsv,
    eval: MetricsCsv,
    tb: TensorBoardWriter,
    training_tags: Vec<String>,
    eval_tags: Vec<String>,
}

impl RunLogger {
    /// Opens the logs of a freshly committed run folder.
    pub fn create(run: &RunDir) -> Result<Self> {
        Ok(Self::open(run, None)?.0)
    }

    /// Opens the logs, resuming from `resume` when given: CSV rows after
    /// the checkpoint are dropped (episodes after `last_episode`,
    /// evaluations after `step`) and TensorBoard is told to discard what
    /// earlier sessions logged after `step`. Returns what was trimmed from
    /// `training_metrics.csv` and `eval.csv`.
    pub fn open(run: &RunDir, resume: Option<ResumePoint>) -> Result<(Self, [ResumeTrim; 2])> {
        let (training, training_trim) = MetricsCsv::open_resume(
            &run.training_metrics_path(),
            &TRAINING_COLUMNS,
            resume.and_then(|r| r.last_episode),
        )?;
        let (eval, eval_trim) =
            MetricsCsv::open_resume(&run.eval_path(), &EVAL_COLUMNS, resume.map(|r| r.step))?;
        let mut tb = TensorBoardWriter::create(&run.events_dir())?;
        if let Some(point) = resume {
            tb.mark_resume(point.step)?;
            tb.flush()?;
        }
        let tags = |prefix: &str, columns: &[&str]| -> Vec<String> {
            columns.iter().map(|c| format!("{prefix}/{c}")).collect()
        };
        Ok((
            Self {
                training,
                eval,
                tb,
                training_tags: tags("economics", &TRAINING_COLUMNS),
                eval_tags: tags("eval", &EVAL_COLUMNS),
            },
            [training_trim, eval_trim],
        ))
    }

    /// One finished episode: a `training_metrics.csv` row (SPEC §6 order)
    /// and every column as `economics/<column>` at `step`.
    pub fn log_episode(&mut self, row: &[f64; TRAINING_COLUMNS.len()], step: u64) -> Result<()> {
        self.training.append(row)?;
        let scalars: Vec<(&str, f64)> = self
            .training_tags
            .iter()
            .map(String::as_str)
            .zip(row.iter().copied())
            .collect();
        self.tb.add_scalars(&scalars, step)
    }

    /// One scored episode from the economics crate, logged as
    /// [`RunLogger::log_episode`] does.
    pub fn log_episode_record(&mut self, record: &EpisodeRecord, step: u64) -> Result<()> {
        self.log_episode(&episode_row(record), step)
    }

    /// One evaluation: an `eval.csv` row (its first value is `step`) and
    /// the other columns as `eval/<column>`.
    pub fn log_eval(&mut self, row: &[f64; EVAL_COLUMNS.len()]) -> Result<()> {
        self.eval.append(row)?;
        let step = row[0] as u64;
        let scalars: Vec<(&str, f64)> = self.eval_tags[1..]
            .iter()
            .map(String::as_str)
            .zip(row[1..].iter().copied())
            .collect();
        self.tb.add_scalars(&scalars, step)
    }

    /// One evaluation summary, logged as [`RunLogger::log_eval`] does.
    pub fn log_eval_summary(&mut self, summary: &EvalSummary) -> Result<()> {
        self.log_eval(&summary.row())
    }

    /// Learner scalars (`losses/...`, `charts/...`) at `step`.
    pub fn log_scalars(&mut self, scalars: &[(&str, f64)], step: u64) -> Result<()> {
        for (tag, _) in scalars {
            ensure!(
                !tag.starts_with("economics/") && !tag.starts_with("eval/"),
                "`{tag}`: economics/ and eval/ scalars come from the CSV rows"
            );
        }
        self.tb.add_scalars(scalars, step)
    }

    /// The event file, for images, text and hyperparameters.
    pub fn tensorboard(&mut self) -> &mut TensorBoardWriter {
        &mut self.tb
    }

    /// Key of the last logged episode.
    pub fn last_episode(&self) -> Option<u64> {
        self.training.last_key()
    }

    /// Writes queued TensorBoard records (once per iteration).
    pub fn flush(&mut self) -> Result<()> {
        self.tb.flush()
    }

    /// Flushes and syncs every log; call right before writing a
    /// checkpoint, whose [`ResumePoint`] then covers everything logged.
    pub fn commit(&mut self) -> Result<()> {
        self.tb.sync()?;
        self.training.sync()?;
        self.eval.sync()
    }
}

/// An `EpisodeRecord` as a row in [`TRAINING_COLUMNS`] order.
pub fn episode_row(r: &EpisodeRecord) -> [f64; TRAINING_COLUMNS.len()] {
    [
        r.episode as f64,
        r.mp_r,
        r.e,
        r.w_r,
        r.wage_parity,
        r.productivity_parity,
        r.reward_total,
        r.reward_mp,
        r.reward_error,
        r.reward_wage,
        r.alpha,
        r.beta,
        r.gamma,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventFile;

    fn episode(k: u64) -> [f64; 13] {
        let mut row = [0.5; 13];
        row[0] = k as f64;
        row[1] = 10.0 + k as f64;
        row
    }

    fn eval_row(step: u64) -> [f64; 14] {
        let mut row = [0.9; 14];
        row[0] = step as f64;
        row
    }

    #[test]
    fn resume_discards_everything_after_the_checkpoint() {
        let runs = tempfile::tempdir().unwrap();
        let run = RunDir::stage(&runs.path().join("r"), "seed: 1\n")
            .unwrap()
            .commit()
            .unwrap();
        let mut logger = RunLogger::create(&run).unwrap();
        for k in 0..10 {
            logger.log_episode(&episode(k), (k + 1) * 100).unwrap();
            if k == 4 {
                logger.log_eval(&eval_row(500)).unwrap();
                logger.commit().unwrap(); // checkpoint at step 500, episode 4
            }
        }
        logger.log_eval(&eval_row(1000)).unwrap();
        logger
            .log_scalars(&[("losses/v_loss", 0.25)], 1000)
            .unwrap();
        logger.flush().unwrap();
        drop(logger); // killed after step 1000

        let point = ResumePoint {
            step: 500,
            last_episode: Some(4),
        };
        let (mut logger, [train_trim, eval_trim]) = RunLogger::open(&run, Some(point)).unwrap();
        assert_eq!((train_trim.kept_rows, train_trim.dropped_rows), (5, 5));
        assert_eq!((eval_trim.kept_rows, eval_trim.dropped_rows), (1, 1));
        assert_eq!(logger.last_episode(), Some(4));
        for k in 5..8 {
            logger.log_episode(&episode(k), (k + 1) * 100).unwrap();
        }
        logger.commit().unwrap();

        let files = EventFile::read_dir(run.root()).unwrap();
        assert_eq!(files.len(), 2);
        let merged = EventFile::merged_scalars(files.iter().map(|(_, f)| f));
        let mp_r: Vec<(u64, f32)> = merged
            .iter()
            .filter(|p| p.tag == "economics/mp_r")
            .map(|p| (p.step, p.value))
            .collect();
        let expected: Vec<(u64, f32)> = (0..8).map(|k| ((k + 1) * 100, 10.0 + k as f32)).collect();
        assert_eq!(mp_r, expected);
        assert!(merged.iter().all(|p| p.tag != "losses/v_loss"));
        let evals: Vec<u64> = merged
            .iter()
            .filter(|p| p.tag == "eval/wage_parity")
            .map(|p| p.step)
            .collect();
        assert_eq!(evals, vec![500]);
    }

    #[test]
    fn episode_row_follows_the_record_field_names() {
        let record = EpisodeRecord {
            episode: 7,
            mp_r: 54.0,
            e: 0.05,
            w_r: 13.5,
            wage_parity: 0.75,
            productivity_parity: 0.9,
            reward_total: -0.3,
            reward_mp: 0.1,
            reward_error: -0.15,
            reward_wage: -0.25,
            alpha: 1.0,
            beta: 3.0,
            gamma: 0.5,
        };
        let json = serde_json::to_value(record).unwrap();
        let row = episode_row(&record);
        for (column, value) in TRAINING_COLUMNS.iter().zip(row) {
            assert_eq!(json[column].as_f64(), Some(value), "{column}");
        }
    }

    #[test]
    fn learner_scalars_may_not_impersonate_csv_columns() {
        let runs = tempfile::tempdir().unwrap();
        let run = RunDir::stage(&runs.path().join("r"), "seed: 1\n")
            .unwrap()
            .commit()
            .unwrap();
        let mut logger = RunLogger::create(&run).unwrap();
        assert!(logger.log_scalars(&[("economics/mp_r", 1.0)], 1).is_err());
        logger.log_scalars(&[("charts/sps", 1.0)], 1).unwrap();
    }
}
