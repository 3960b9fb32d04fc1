//! `EventFile`: decodes a TensorBoard event file written by
//! [`TensorBoardWriter`](super::TensorBoardWriter) (or by TensorFlow),
//! checking both CRCs of every record. Used by tests and by `vp econ report`.

use crate::error::{Context, Result};
use crate::event::{
    Event, EventWhat, HParamsData, HParamsPluginData, SESSION_LOG_START, SessionStartInfo,
    SummaryImage, SummaryValueKind,
};
use crate::tf_record::TfRecordReader;
use prost::Message;
use std::path::{Path, PathBuf};

/// One scalar point.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalarPoint {
    /// Series name.
    pub tag: String,
    /// Global step.
    pub step: u64,
    /// Value as stored (f32).
    pub value: f32,
}

/// Every event of one file, in order.
#[derive(Debug, Clone)]
pub struct EventFile {
    /// The decoded events.
    pub events: Vec<Event>,
    /// Whether the file ended inside a record (a writer killed mid-write).
    pub truncated_tail: bool,
}

impl EventFile {
    /// Reads and decodes the whole file; a corrupt record (bad CRC or
    /// undecodable protobuf) is an error naming the file and byte offset.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let mut reader = TfRecordReader::new(&bytes);
        let mut events = Vec::new();
        loop {
            let offset = reader.offset();
            let record = reader
                .next_record()
                .with_context(|| format!("reading {}", path.display()))?;
            let Some(payload) = record else { break };
            let event = Event::decode(payload).with_context(|| {
                format!("{}: undecodable event at byte {offset}", path.display())
            })?;
            events.push(event);
        }
        Ok(Self {
            events,
            truncated_tail: reader.truncated_tail(),
        })
    }

    /// Reads every event file (`*tfevents*`) of a folder, in name order,
    /// which is the order TensorBoard reads them in.
    pub fn read_dir(dir: &Path) -> Result<Vec<(PathBuf, Self)>> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("listing {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.file_name()
                        .is_some_and(|n| n.to_string_lossy().contains("tfevents"))
            })
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|p| Self::read(&p).map(|f| (p, f)))
            .collect()
    }

    /// The scalars of a run's files as TensorBoard shows them: files in
    /// order, and a `SessionLog START` at step `s` (a resume) drops the
    /// points earlier sessions logged at steps `>= s`.
    pub fn merged_scalars<'a>(files: impl IntoIterator<Item = &'a Self>) -> Vec<ScalarPoint> {
        let mut merged: Vec<ScalarPoint> = Vec::new();
        for file in files {
            for event in &file.events {
                match &event.what {
                    Some(EventWhat::SessionLog(log)) if log.status == SESSION_LOG_START => {
                        merged.retain(|p| (p.step as i64) < event.step);
                    }
                    Some(EventWhat::Summary(summary)) => {
                        let step = u64::try_from(event.step).unwrap_or(0);
                        merged.extend(summary.value.iter().filter_map(|v| match v.value {
                            Some(SummaryValueKind::SimpleValue(value)) => Some(ScalarPoint {
                                tag: v.tag.clone(),
                                step,
                                value,
                            }),
                            _ => None,
                        }));
                    }
                    _ => {}
                }
            }
        }
        merged
    }

    /// The `file_version` of the first event, if it has one.
    pub fn file_version(&self) -> Option<&str> {
        match self.events.first()?.what.as_ref()? {
            EventWhat::FileVersion(v) => Some(v),
            _ => None,
        }
    }

    /// Every scalar (`simple_value`), in file order.
    pub fn scalars(&self) -> Vec<ScalarPoint> {
        self.summary_values()
            .filter_map(|(step, tag, kind)| match kind {
                SummaryValueKind::SimpleValue(value) => Some(ScalarPoint {
                    tag: tag.to_owned(),
                    step,
                    value: *value,
                }),
                _ => None,
            })
            .collect()
    }

    /// Every image summary as (tag, image, step order kept).
    pub fn images(&self) -> Vec<(String, SummaryImage)> {
        self.summary_values()
            .filter_map(|(_, tag, kind)| match kind {
                SummaryValueKind::Image(image) => Some((tag.to_owned(), image.clone())),
                _ => None,
            })
            .collect()
    }

    /// Every text-plugin summary as (tag, text).
    pub fn texts(&self) -> Vec<(String, String)> {
        self.summary_values()
            .filter_map(|(_, tag, kind)| match kind {
                SummaryValueKind::Tensor(t) => {
                    let s = t.string_val.first()?;
                    Some((tag.to_owned(), String::from_utf8_lossy(s).into_owned()))
                }
                _ => None,
            })
            .collect()
    }

    /// The hparams plugin's session-start info, if the file has one.
    pub fn hparams(&self) -> Option<SessionStartInfo> {
        self.events.iter().find_map(|event| {
            let Some(EventWhat::Summary(summary)) = &event.what else {
                return None;
            };
            summary.value.iter().find_map(|value| {
                let plugin = value.metadata.as_ref()?.plugin_data.as_ref()?;
                if plugin.plugin_name != "hparams" {
                    return None;
                }
                match HParamsPluginData::decode(plugin.content.as_slice())
                    .ok()?
                    .data?
                {
                    HParamsData::SessionStartInfo(info) => Some(info),
                    HParamsData::SessionEndInfo(_) => None,
                }
            })
        })
    }

    /// Steps of the `SessionLog START` markers written on resume.
    pub fn resume_steps(&self) -> Vec<u64> {
        self.events
            .iter()
            .filter_map(|event| match &event.what {
                Some(EventWhat::SessionLog(log)) if log.status == SESSION_LOG_START => {
                    u64::try_from(event.step).ok()
                }
                _ => None,
            })
            .collect()
    }

    fn summary_values(&self) -> impl Iterator<Item = (u64, &str, &SummaryValueKind)> {
        self.events.iter().flat_map(|event| {
            let step = u64::try_from(event.step).unwrap_or(0);
            let values = match &event.what {
                Some(EventWhat::Summary(summary)) => summary.value.as_slice(),
                _ => &[],
            };
            values
                .iter()
                .filter_map(move |v| Some((step, v.tag.as_str(), v.value.as_ref()?)))
        })
    }
}
