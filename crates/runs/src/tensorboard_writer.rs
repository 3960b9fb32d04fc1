//! `TensorBoardWriter`: TensorBoard event files written directly (TFRecord
//! framing of `Event` protobufs), with no TensorFlow and no unmaintained
//! wrapper crate.
//!
//! Records are buffered and written with one `write` per [`flush`]; the
//! training loop flushes once per iteration. A process killed mid-write
//! leaves at most one torn record at the end of the file, which
//! TensorBoard's reader (and [`EventFile`](super::EventFile)) skip.
//!
//! [`flush`]: TensorBoardWriter::flush

use crate::error::{Context, Result, ensure};
use crate::event::{
    Event, EventWhat, HParamsData, HParamsPluginData, PluginData, ProtoValue, ProtoValueKind,
    SESSION_LOG_START, SessionEndInfo, SessionLog, SessionStartInfo, Summary, SummaryImage,
    SummaryMetadata, SummaryValue, SummaryValueKind, TensorProto, TensorShapeDim, TensorShapeProto,
};
use crate::rgb_png::encode_rgb_png;
use crate::tf_record::write_record;
use envs::RgbFrame;
use prost::Message;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The `file_version` of the first record, as TensorFlow writes it.
pub const FILE_VERSION: &str = "brain.Event:2";
/// Tag of the hparams plugin's session-start summary.
pub const HPARAMS_SESSION_START_TAG: &str = "_hparams_/session_start_info";
/// Tag of the hparams plugin's session-end summary.
pub const HPARAMS_SESSION_END_TAG: &str = "_hparams_/session_end_info";
const DT_STRING: i32 = 7;
const COLORSPACE_RGB: i32 = 3;

/// A hyperparameter value as the hparams plugin shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum HParam {
    /// A number (learning rate, seed, α...).
    Number(f64),
    /// A string (env name, algorithm, schedule).
    Text(String),
    /// A flag.
    Bool(bool),
}

impl From<f64> for HParam {
    fn from(value: f64) -> Self {
        Self::Number(value)
    }
}

impl From<&str> for HParam {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<bool> for HParam {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

/// How a run ended, for the hparams plugin's session-end record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Finished its steps (or converged).
    Success,
    /// Stopped by an error.
    Failure,
    /// Interrupted (Ctrl-C) and resumable.
    Running,
}

/// Writes one TensorBoard event file.
#[derive(Debug)]
pub struct TensorBoardWriter {
    file: File,
    path: PathBuf,
    pending: Vec<u8>,
}

impl TensorBoardWriter {
    /// Creates a new event file `events.out.tfevents.<secs>.<host>` in `dir`
    /// and writes its version record. Never overwrites a file: `<secs>` is
    /// the current time, raised past every event file already in `dir`, so
    /// that file names sort in creation order (TensorBoard reads a folder's
    /// files in name order, which resume purging relies on).
    pub fn create(dir: &Path) -> Result<Self> {
        let host = host_name();
        let mut secs = (now_secs() as u64).max(next_free_secs(dir)?);
        loop {
            let path = dir.join(format!("events.out.tfevents.{secs}.{host}"));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    let mut writer = Self {
                        file,
                        path,
                        pending: Vec::new(),
                    };
                    writer.push(Event {
                        wall_time: now_secs(),
                        step: 0,
                        what: Some(EventWhat::FileVersion(FILE_VERSION.to_owned())),
                    });
                    writer.flush()?;
                    return Ok(writer);
                }
                Err(err) if err.kind() == ErrorKind::AlreadyExists => secs += 1,
                Err(err) => {
                    return Err(err)
                        .with_context(|| format!("creating event file {}", path.display()));
                }
            }
        }
    }

    /// The event file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues one scalar. Non-finite values are refused (SPEC §2: never
    /// silently logged).
    pub fn add_scalar(&mut self, tag: &str, value: f64, step: u64) -> Result<()> {
        self.add_scalars(&[(tag, value)], step)
    }

    /// Queues several scalars of one step as a single event.
    pub fn add_scalars(&mut self, scalars: &[(&str, f64)], step: u64) -> Result<()> {
        let mut value = Vec::with_capacity(scalars.len());
        for &(tag, v) in scalars {
            ensure!(
                v.is_finite(),
                "refusing to log non-finite value {v} for `{tag}` at step {step}"
            );
            value.push(SummaryValue {
                tag: tag.to_owned(),
                metadata: None,
                value: Some(SummaryValueKind::SimpleValue(v as f32)),
            });
        }
        self.push_summary(step, value)
    }

    /// Queues an RGB frame (an evaluation frame) as a PNG image summary.
    pub fn add_image(&mut self, tag: &str, frame: &RgbFrame, step: u64) -> Result<()> {
        let png = encode_rgb_png(frame.width, frame.height, &frame.pixels)
            .with_context(|| format!("encoding image `{tag}`"))?;
        let image = SummaryImage {
            height: i32::try_from(frame.height).context("image height")?,
            width: i32::try_from(frame.width).context("image width")?,
            colorspace: COLORSPACE_RGB,
            encoded_image_string: png,
        };
        self.push_summary(
            step,
            vec![SummaryValue {
                tag: tag.to_owned(),
                metadata: None,
                value: Some(SummaryValueKind::Image(image)),
            }],
        )
    }

    /// Queues Markdown text for the text plugin (the resolved config).
    pub fn add_text(&mut self, tag: &str, markdown: &str, step: u64) -> Result<()> {
        let tensor = TensorProto {
            dtype: DT_STRING,
            tensor_shape: Some(TensorShapeProto {
                dim: vec![TensorShapeDim { size: 1 }],
            }),
            string_val: vec![markdown.as_bytes().to_vec()],
        };
        self.push_summary(
            step,
            vec![SummaryValue {
                tag: tag.to_owned(),
                metadata: Some(plugin_metadata("text", Vec::new())),
                value: Some(SummaryValueKind::Tensor(tensor)),
            }],
        )
    }

    /// Queues the run's hyperparameters for the hparams plugin (a
    /// `session_start_info`); metrics are inferred by TensorBoard from the
    /// run's scalar tags. Non-finite numbers are refused.
    pub fn add_hparams(&mut self, hparams: &BTreeMap<String, HParam>, group: &str) -> Result<()> {
        let mut map = BTreeMap::new();
        for (name, value) in hparams {
            let kind = match value {
                HParam::Number(v) => {
                    ensure!(v.is_finite(), "hyperparameter `{name}` is {v}");
                    ProtoValueKind::NumberValue(*v)
                }
                HParam::Text(s) => ProtoValueKind::StringValue(s.clone()),
                HParam::Bool(b) => ProtoValueKind::BoolValue(*b),
            };
            map.insert(name.clone(), ProtoValue { kind: Some(kind) });
        }
        let data = HParamsData::SessionStartInfo(SessionStartInfo {
            hparams: map,
            group_name: group.to_owned(),
            start_time_secs: now_secs(),
        });
        self.push_hparams(HPARAMS_SESSION_START_TAG, data)
    }

    /// Queues the hparams plugin's session-end record.
    pub fn end_session(&mut self, status: RunStatus) -> Result<()> {
        let status = match status {
            RunStatus::Success => 1,
            RunStatus::Failure => 2,
            RunStatus::Running => 3,
        };
        let data = HParamsData::SessionEndInfo(SessionEndInfo {
            status,
            end_time_secs: now_secs(),
        });
        self.push_hparams(HPARAMS_SESSION_END_TAG, data)
    }

    /// Marks a resume from a checkpoint taken at `checkpoint_step`: a
    /// `SessionLog START` at `checkpoint_step + 1`, on which TensorBoard
    /// drops what earlier sessions logged after the checkpoint, so the
    /// resumed curves have no doubled steps.
    pub fn mark_resume(&mut self, checkpoint_step: u64) -> Result<()> {
        let step = checkpoint_step.saturating_add(1);
        self.push(Event {
            wall_time: now_secs(),
            step: to_i64(step)?,
            what: Some(EventWhat::SessionLog(SessionLog {
                status: SESSION_LOG_START,
                checkpoint_path: String::new(),
                msg: format!("resumed at step {step}"),
            })),
        });
        Ok(())
    }

    /// Writes every queued record with a single `write`.
    pub fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.file
            .write_all(&self.pending)
            .with_context(|| format!("writing {}", self.path.display()))?;
        self.pending.clear();
        Ok(())
    }

    /// Flushes and fsyncs (before a checkpoint, at the end of a run).
    pub fn sync(&mut self) -> Result<()> {
        self.flush()?;
        self.file
            .sync_data()
            .with_context(|| format!("syncing {}", self.path.display()))
    }

    fn push_hparams(&mut self, tag: &str, data: HParamsData) -> Result<()> {
        let content = HParamsPluginData {
            version: 0,
            data: Some(data),
        }
        .encode_to_vec();
        self.push_summary(
            0,
            vec![SummaryValue {
                tag: tag.to_owned(),
                metadata: Some(plugin_metadata("hparams", content)),
                value: None,
            }],
        )
    }

    fn push_summary(&mut self, step: u64, value: Vec<SummaryValue>) -> Result<()> {
        self.push(Event {
            wall_time: now_secs(),
            step: to_i64(step)?,
            what: Some(EventWhat::Summary(Summary { value })),
        });
        Ok(())
    }

    fn push(&mut self, event: Event) {
        write_record(&event.encode_to_vec(), &mut self.pending);
    }
}

impl Drop for TensorBoardWriter {
    fn drop(&mut self) {
        // Best effort: an error here has nowhere to go; `flush` reports it
        // when called explicitly.
        let _ = self.flush();
    }
}

fn plugin_metadata(plugin_name: &str, content: Vec<u8>) -> SummaryMetadata {
    SummaryMetadata {
        plugin_data: Some(PluginData {
            plugin_name: plugin_name.to_owned(),
            content,
        }),
        ..SummaryMetadata::default()
    }
}

/// One past the largest `<secs>` among the event files already in `dir`.
fn next_free_secs(dir: &Path) -> Result<u64> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))?;
    Ok(entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let rest = name.strip_prefix("events.out.tfevents.")?;
            rest.split('.').next()?.parse::<u64>().ok()
        })
        .max()
        .map_or(0, |secs| secs + 1))
}

fn to_i64(step: u64) -> Result<i64> {
    i64::try_from(step).with_context(|| format!("step {step} does not fit an int64"))
}

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The machine's host name, restricted to file-name-safe characters.
fn host_name() -> String {
    let raw = ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let clean: String = raw
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    if clean.is_empty() {
        "localhost".to_owned()
    } else {
        clean
    }
}

/// The scalar leaves of a resolved config (`ppo.learning_rate`,
/// `reward.alpha_initial`, `env_id`...) as TensorBoard hyperparameters;
/// nulls and lists are left out.
pub fn hparams_of(config: &serde_json::Value) -> BTreeMap<String, HParam> {
    fn walk(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, HParam>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, v) in map {
                    let name = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&name, v, out);
                }
            }
            serde_json::Value::Number(n) => {
                if let Some(v) = n.as_f64().filter(|v| v.is_finite()) {
                    out.insert(prefix.to_owned(), HParam::Number(v));
                }
            }
            serde_json::Value::Bool(b) => {
                out.insert(prefix.to_owned(), HParam::Bool(*b));
            }
            serde_json::Value::String(t) => {
                out.insert(prefix.to_owned(), HParam::Text(t.clone()));
            }
            serde_json::Value::Null | serde_json::Value::Array(_) => {}
        }
    }
    let mut out = BTreeMap::new();
    walk("", config, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventFile;

    #[test]
    fn scalars_round_trip_through_the_event_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = TensorBoardWriter::create(dir.path()).unwrap();
        writer
            .add_scalar("economics/wage_parity", 0.75, 10)
            .unwrap();
        writer
            .add_scalars(&[("losses/pg_loss", -0.125), ("charts/sps", 1234.0)], 20)
            .unwrap();
        writer.flush().unwrap();
        let file = EventFile::read(writer.path()).unwrap();
        assert_eq!(file.file_version(), Some(FILE_VERSION));
        assert!(!file.truncated_tail);
        let scalars = file.scalars();
        let got: Vec<(&str, u64, f32)> = scalars
            .iter()
            .map(|s| (s.tag.as_str(), s.step, s.value))
            .collect();
        assert_eq!(
            got,
            vec![
                ("economics/wage_parity", 10, 0.75),
                ("losses/pg_loss", 20, -0.125),
                ("charts/sps", 20, 1234.0),
            ]
        );
    }

    #[test]
    fn non_finite_scalar_is_refused_and_nothing_is_queued() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = TensorBoardWriter::create(dir.path()).unwrap();
        let err = writer
            .add_scalars(&[("a", 1.0), ("economics/mp_r", f64::NAN)], 3)
            .unwrap_err();
        assert!(err.to_string().contains("economics/mp_r"), "{err}");
        writer.flush().unwrap();
        assert!(EventFile::read(writer.path()).unwrap().scalars().is_empty());
    }

    #[test]
    fn images_text_hparams_and_resume_marks_are_readable() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = TensorBoardWriter::create(dir.path()).unwrap();
        writer
            .add_image("eval/frame", &RgbFrame::filled(5, 4, [10, 200, 30]), 7)
            .unwrap();
        writer
            .add_text("config", "```yaml\nseed: 1\n```", 0)
            .unwrap();
        let hparams = BTreeMap::from([
            ("learning_rate".to_owned(), HParam::from(3e-4)),
            ("env".to_owned(), HParam::from("CartPole-v1")),
            ("anneal".to_owned(), HParam::from(true)),
        ]);
        writer.add_hparams(&hparams, "g").unwrap();
        writer.mark_resume(4).unwrap();
        writer.end_session(RunStatus::Success).unwrap();
        writer.flush().unwrap();

        let file = EventFile::read(writer.path()).unwrap();
        let images = file.images();
        assert_eq!(images.len(), 1);
        assert_eq!((images[0].1.width, images[0].1.height), (5, 4));
        assert!(images[0].1.encoded_image_string.starts_with(b"\x89PNG"));
        assert_eq!(
            file.texts(),
            vec![("config".to_owned(), "```yaml\nseed: 1\n```".to_owned())]
        );
        let start = file.hparams().expect("session start info");
        assert_eq!(
            start.hparams["env"].kind,
            Some(ProtoValueKind::StringValue("CartPole-v1".into()))
        );
        assert_eq!(
            start.hparams["learning_rate"].kind,
            Some(ProtoValueKind::NumberValue(3e-4))
        );
        assert_eq!(file.resume_steps(), vec![5]);
    }

    #[test]
    fn later_event_files_sort_after_earlier_ones() {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = (0..3)
            .map(|_| {
                TensorBoardWriter::create(dir.path())
                    .unwrap()
                    .path()
                    .to_owned()
            })
            .collect();
        let mut sorted = paths.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, paths);
        let name = paths[0].file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("events.out.tfevents."), "{name}");
    }

    #[test]
    fn a_torn_final_record_keeps_every_flushed_scalar() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = TensorBoardWriter::create(dir.path()).unwrap();
        writer.add_scalar("charts/sps", 1.0, 1).unwrap();
        writer.flush().unwrap();
        let kept_len = std::fs::metadata(writer.path()).unwrap().len();
        writer.add_scalar("charts/sps", 2.0, 2).unwrap();
        writer.flush().unwrap();
        let full_len = std::fs::metadata(writer.path()).unwrap().len();
        let path = writer.path().to_owned();
        drop(writer);
        for cut in [kept_len + 1, kept_len + 11, full_len - 1] {
            let torn = dir.path().join("torn.tfevents");
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&torn, &bytes[..cut as usize]).unwrap();
            let file = EventFile::read(&torn).unwrap();
            assert!(file.truncated_tail, "cut at {cut}");
            let values: Vec<f32> = file.scalars().iter().map(|s| s.value).collect();
            assert_eq!(values, vec![1.0], "cut at {cut}");
        }
    }
}
