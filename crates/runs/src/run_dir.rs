//! `RunDir`: the folder of one training run and its layout.
//!
//! ```text
//! runs/<env>__<algo>__<seed>__<unix-secs>/
//!   config.yaml                 resolved config, written before step 0
//!   events.out.tfevents.*       TensorBoard (the run root is the log dir)
//!   training_metrics.csv        SPEC §6 per-episode log
//!   eval.csv                    one row per evaluation
//!   checkpoints/model_latest*   checkpoints/model_best*
//! ```
//!
//! A new run folder appears only complete: [`RunDir::stage`] builds it under
//! a hidden sibling name, and [`StagedRunDir::commit`] renames it into
//! place once setup has succeeded. Dropping a staged folder removes it.

use crate::error::{Context, Result, bail, ensure};
use crate::metrics_csv::{EVAL_COLUMNS, MetricsCsv, TRAINING_COLUMNS};
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// Name of the resolved config file.
pub const CONFIG_FILE: &str = "config.yaml";
/// Name of the per-episode log.
pub const TRAINING_METRICS_FILE: &str = "training_metrics.csv";
/// Name of the evaluation log.
pub const EVAL_FILE: &str = "eval.csv";
/// Name of the checkpoint folder.
pub const CHECKPOINTS_DIR: &str = "checkpoints";

/// An existing, complete run folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDir {
    root: PathBuf,
}

/// A run folder being built under a hidden temporary name.
#[derive(Debug)]
pub struct StagedRunDir {
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl RunDir {
    /// The default folder name `<env>__<algo>__<seed>__<unix_secs>` under
    /// `runs_root`. Characters other than ASCII letters, digits, `-`, `_`
    /// and `.` in the env or algorithm name become `-`.
    pub fn default_path(
        runs_root: &Path,
        env: &str,
        algo: &str,
        seed: u64,
        unix_secs: u64,
    ) -> PathBuf {
        runs_root.join(format!(
            "{}__{}__{seed}__{unix_secs}",
            sanitize(env),
            sanitize(algo)
        ))
    }

    /// Starts a new run folder at `path` with `config_yaml` as its resolved
    /// config: creates `.<name>.tmp-<pid>` beside it with the config, empty
    /// CSV logs (headers only) and `checkpoints/`. Fails, creating nothing,
    /// if `path` already exists or the config is not valid YAML.
    pub fn stage(path: &Path, config_yaml: &str) -> Result<StagedRunDir> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| !n.starts_with('.'))
            .with_context(|| format!("run folder {}: not a usable folder name", path.display()))?
            .to_owned();
        if path.exists() {
            bail!(
                "run folder {} already exists (use --resume to continue it, or another --run-dir)",
                path.display()
            );
        }
        parse_yaml_mapping(config_yaml)
            .with_context(|| format!("resolved config for {}", path.display()))?;
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("creating {}", parent.display()))?;
        remove_stale_temps(&parent, &name);
        let temp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        std::fs::create_dir(&temp).with_context(|| format!("creating {}", temp.display()))?;
        // From here on the guard removes the temp folder on any error.
        let staged = StagedRunDir {
            temp,
            target: path.to_owned(),
            committed: false,
        };
        let layout = RunDir {
            root: staged.temp.clone(),
        };
        write_synced(&layout.config_path(), config_yaml.as_bytes())?;
        MetricsCsv::create(&layout.training_metrics_path(), &TRAINING_COLUMNS)?.sync()?;
        MetricsCsv::create(&layout.eval_path(), &EVAL_COLUMNS)?.sync()?;
        std::fs::create_dir(layout.checkpoints_dir())
            .with_context(|| format!("creating {}", layout.checkpoints_dir().display()))?;
        Ok(staged)
    }

    /// Opens an existing run folder (for `--resume`, reports) and checks it:
    /// a folder with a parseable `config.yaml` and a `checkpoints/` folder.
    pub fn open(path: &Path) -> Result<Self> {
        ensure!(
            path.is_dir(),
            "run folder {}: no such folder",
            path.display()
        );
        let run = Self {
            root: path.to_owned(),
        };
        let config = run.config_path();
        ensure!(
            config.is_file(),
            "{}: not a run folder (no {CONFIG_FILE})",
            path.display()
        );
        let text = std::fs::read_to_string(&config)
            .with_context(|| format!("reading {}", config.display()))?;
        parse_yaml_mapping(&text).with_context(|| format!("{}", config.display()))?;
        ensure!(
            run.checkpoints_dir().is_dir(),
            "{}: not a run folder (no {CHECKPOINTS_DIR}/)",
            path.display()
        );
        Ok(run)
    }

    /// Parses `config.yaml` into the caller's (strict) config type.
    pub fn load_config<T: DeserializeOwned>(&self) -> Result<T> {
        let path = self.config_path();
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        serde_saphyr::from_str(&text).map_err(|err| {
            crate::RunsError::Invalid(format!("{}: {}", path.display(), one_line(&err)))
        })
    }

    /// The run folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder name, `<env>__<algo>__<seed>__<secs>` by default.
    pub fn name(&self) -> String {
        self.root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.root.display().to_string())
    }

    /// `config.yaml`.
    pub fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    /// `training_metrics.csv`.
    pub fn training_metrics_path(&self) -> PathBuf {
        self.root.join(TRAINING_METRICS_FILE)
    }

    /// `eval.csv`.
    pub fn eval_path(&self) -> PathBuf {
        self.root.join(EVAL_FILE)
    }

    /// Where TensorBoard event files go: the run root, so that
    /// `tensorboard --logdir runs` names each run after its folder.
    pub fn events_dir(&self) -> PathBuf {
        self.root.clone()
    }

    /// `checkpoints/`.
    pub fn checkpoints_dir(&self) -> PathBuf {
        self.root.join(CHECKPOINTS_DIR)
    }

    /// `checkpoints/model_latest` (the checkpoint code adds extensions).
    pub fn model_latest_path(&self) -> PathBuf {
        self.checkpoints_dir().join("model_latest")
    }

    /// `checkpoints/model_best`, best by evaluation wage parity.
    pub fn model_best_path(&self) -> PathBuf {
        self.checkpoints_dir().join("model_best")
    }
}

impl StagedRunDir {
    /// The temporary folder (for anything setup wants to write in it).
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Where the folder will appear.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the folder into place; it now exists complete.
    pub fn commit(mut self) -> Result<RunDir> {
        ensure!(
            !self.target.exists(),
            "run folder {} appeared while the run was being set up",
            self.target.display()
        );
        std::fs::rename(&self.temp, &self.target).with_context(|| {
            format!(
                "renaming {} to {}",
                self.temp.display(),
                self.target.display()
            )
        })?;
        self.committed = true;
        if let Some(parent) = self.target.parent() {
            // Make the rename durable; failure only weakens crash safety.
            let _ = std::fs::File::open(parent).and_then(|d| d.sync_all());
        }
        Ok(RunDir {
            root: self.target.clone(),
        })
    }
}

impl Drop for StagedRunDir {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort; the folder is hidden and reclaimed by the next
            // `stage` of the same name if this fails.
            let _ = std::fs::remove_dir_all(&self.temp);
        }
    }
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn parse_yaml_mapping(text: &str) -> Result<()> {
    let value: serde_json::Value = serde_saphyr::from_str(text).map_err(|err| {
        crate::RunsError::Invalid(format!("config is not valid YAML: {}", one_line(&err)))
    })?;
    ensure!(
        value.is_object(),
        "config is not a YAML mapping of settings"
    );
    Ok(())
}

/// The first line of a YAML error, without its source snippet, so that
/// `vp` prints one-line errors.
fn one_line(err: &impl std::fmt::Display) -> String {
    let text = err.to_string();
    let first = text.lines().next().unwrap_or_default();
    first.strip_prefix("error: ").unwrap_or(first).to_owned()
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// Removes `.<name>.tmp-*` folders left by a process killed while staging.
fn remove_stale_temps(parent: &Path, name: &str) {
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "env: CartPole-v1\nseed: 3\neconomics:\n  price_per_unit: 0.3\n";

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn default_path_names_env_algo_seed_and_time() {
        let path = RunDir::default_path(Path::new("runs"), "CartPole-v1", "ppo", 7, 1_700_000_000);
        assert_eq!(path, Path::new("runs/CartPole-v1__ppo__7__1700000000"));
        let odd = RunDir::default_path(Path::new("r"), "a/b c", "p", 1, 2);
        assert_eq!(odd, Path::new("r/a-b-c__p__1__2"));
    }

    #[test]
    fn committed_run_has_the_full_layout_and_nothing_else_beside_it() {
        let runs = tempfile::tempdir().unwrap();
        let path = runs.path().join("cp__ppo__1__2");
        let staged = RunDir::stage(&path, CONFIG).unwrap();
        assert!(!path.exists(), "folder must not appear before commit");
        let run = staged.commit().unwrap();
        assert_eq!(entries(runs.path()), vec!["cp__ppo__1__2"]);
        assert_eq!(
            entries(run.root()),
            vec![
                "checkpoints",
                "config.yaml",
                "eval.csv",
                "training_metrics.csv"
            ]
        );
        assert_eq!(std::fs::read_to_string(run.config_path()).unwrap(), CONFIG);
        assert!(
            std::fs::read_to_string(run.training_metrics_path())
                .unwrap()
                .starts_with("episode,mp_r,")
        );
        assert_eq!(run.name(), "cp__ppo__1__2");
        assert_eq!(run.model_best_path(), path.join("checkpoints/model_best"));
        assert_eq!(RunDir::open(&path).unwrap(), run);
    }

    #[test]
    fn dropping_a_staged_run_leaves_nothing_behind() {
        let runs = tempfile::tempdir().unwrap();
        let path = runs.path().join("run");
        let staged = RunDir::stage(&path, CONFIG).unwrap();
        assert!(staged.temp_path().join("config.yaml").is_file());
        drop(staged); // e.g. the env failed to build before step 0
        assert!(entries(runs.path()).is_empty());
    }

    #[test]
    fn bad_config_or_existing_folder_fails_and_creates_nothing() {
        let runs = tempfile::tempdir().unwrap();
        let path = runs.path().join("run");
        let err = RunDir::stage(&path, "env: [unclosed\nseed: 1\n").unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("not valid YAML: line 2 column 5"), "{msg}");
        assert_eq!(msg.lines().count(), 1, "{msg}");
        let err = RunDir::stage(&path, "- just\n- a list\n").unwrap_err();
        assert!(format!("{err:#}").contains("mapping"), "{err:#}");
        assert!(entries(runs.path()).is_empty());

        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("keep"), "x").unwrap();
        let err = RunDir::stage(&path, CONFIG).unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        assert_eq!(entries(runs.path()), vec!["run"]);
        assert_eq!(entries(&path), vec!["keep"]);
    }

    #[test]
    fn stale_temp_folders_of_a_killed_setup_are_reclaimed() {
        let runs = tempfile::tempdir().unwrap();
        let stale = runs.path().join(".run.tmp-999999");
        std::fs::create_dir(&stale).unwrap();
        RunDir::stage(&runs.path().join("run"), CONFIG)
            .unwrap()
            .commit()
            .unwrap();
        assert_eq!(entries(runs.path()), vec!["run"]);
    }

    #[test]
    fn opening_for_resume_names_what_is_missing() {
        let runs = tempfile::tempdir().unwrap();
        let err = RunDir::open(&runs.path().join("nope")).unwrap_err();
        assert!(err.to_string().contains("no such folder"), "{err}");
        let err = RunDir::open(runs.path()).unwrap_err();
        assert!(err.to_string().contains("no config.yaml"), "{err}");
        std::fs::write(runs.path().join("config.yaml"), "a: [").unwrap();
        let err = RunDir::open(runs.path()).unwrap_err();
        assert!(format!("{err:#}").contains("config.yaml"), "{err:#}");
        std::fs::write(runs.path().join("config.yaml"), CONFIG).unwrap();
        let err = RunDir::open(runs.path()).unwrap_err();
        assert!(err.to_string().contains("no checkpoints/"), "{err}");
    }

    #[test]
    fn load_config_parses_into_the_callers_type() {
        #[derive(serde::Deserialize)]
        struct Partial {
            seed: u64,
        }
        let runs = tempfile::tempdir().unwrap();
        let run = RunDir::stage(&runs.path().join("r"), CONFIG)
            .unwrap()
            .commit()
            .unwrap();
        assert_eq!(run.load_config::<Partial>().unwrap().seed, 3);
    }
}
