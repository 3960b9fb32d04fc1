//! `vp evaluate`: runs a saved policy deterministically for N episodes and
//! prints MP_r, error rate, robot wage, productivity and wage parity with
//! 95 % confidence intervals, and the mean return (table or `--json`).
//!
//! The network is rebuilt from the checkpoint (PPO's and BC's actor-critic,
//! or SAC's actor, whose deterministic action is `tanh` of its mean) and
//! run by `policies::evaluate_episodes` with the observation statistics it
//! was trained with, frozen. A labour-env policy runs on the env built from
//! the resolved task config of the run folder the checkpoint sits in
//! (`RUN_DIR/config.yaml`), inside the economic reward wrapper, and its
//! episodes are scored with that config's task economics; a classic-control
//! run has none, so its economic fields are 0 (said on stderr; the JSON
//! stays the same shape). A chunked policy (`vp train --algorithm chunk`)
//! is rebuilt from its checkpoint's record and run by its chunk executor.

use anyhow::{Context, Result, anyhow, bail, ensure};
use burn::tensor::backend::AutodiffBackend;
use clap::Args;
use economics::{EpisodeMetrics, TaskConfig};
use envs::{EpisodeRecord, VecEnv};
use policies::{
    Checkpoint, ChunkHead, ChunkHeadConfig, ChunkModel, ChunkPolicy, DeterministicPolicy,
    DeviceChoice, DiffusionConfig, DiffusionPolicy, PolicySnapshot, PpoConfig, WithBackend,
    evaluate_chunk_episodes, evaluate_episodes, import_params, task_venv,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::out::outln;
use envs::economic_venv as econ_venv;
use runs::MeanCi;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `vp evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Checkpoint: RUN_DIR/checkpoints/model_latest (or model_best).
    #[arg(long)]
    policy: PathBuf,
    /// Env to evaluate on (must be the one the policy was trained on).
    #[arg(long)]
    env: Option<String>,
    /// Episodes to run.
    #[arg(long, default_value_t = 10)]
    episodes: usize,
    /// Seed of the first episode's reset.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Also render one more deterministic episode (seed `--seed`) into this
    /// mp4 file, 5 frames per simulated second (needs the `ffmpeg` program;
    /// labour envs only).
    #[arg(long)]
    video: Option<PathBuf>,
    /// Also write one CSV row per episode (seed, return and the economics
    /// of SPEC §2) to this file, for paired comparisons of two policies on
    /// the same seeds.
    #[arg(long)]
    episodes_csv: Option<PathBuf>,
}

/// The result of an evaluation.
struct Report {
    episodes: usize,
    mean_return: f64,
    mp_r: MeanCi,
    error_rate: MeanCi,
    robot_wage: MeanCi,
    productivity_parity: MeanCi,
    wage_parity: MeanCi,
}

impl EvaluateArgs {
    /// Loads the checkpoint, evaluates and prints.
    pub fn run(self) -> Result<ExitCode> {
        ensure!(self.episodes > 0, "--episodes must be at least 1");
        let ckpt = Checkpoint::load(&self.policy).map_err(|e| anyhow!("--policy: {e}"))?;
        if let Some(env) = &self.env {
            ensure!(
                *env == ckpt.meta.env_id,
                "--env {env}: the policy {} was trained on `{}`",
                self.policy.display(),
                ckpt.meta.env_id
            );
        }
        let task = run_task_config(&self.policy)?;
        if self.video.is_some() && task.is_none() {
            bail!(
                "--video: {} renders no frames (only the labour envs do)",
                ckpt.meta.env_id
            );
        }
        if let Some(path) = &self.episodes_csv {
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
            ensure!(
                dir.is_none_or(Path::is_dir),
                "--episodes-csv {}: its folder does not exist",
                path.display()
            );
        }
        let job = EvalJob {
            path: self.policy.clone(),
            ckpt: ckpt.clone(),
            task: task.clone(),
            episodes: self.episodes,
            seed: self.seed,
            video: self.video.clone(),
        };
        let records = policies::run_on(DeviceChoice::Cpu, job).map_err(|e| anyhow!(e))??;
        let returns: Vec<f64> = records.iter().map(|r| r.episode_return).collect();
        let ret = MeanCi::of(&returns).context("no episodes were evaluated")?;
        let report = match &task {
            Some((config, _)) => Report::economic(config, &records, ret)?,
            None => Report::classic(ret, records.len()),
        };
        if let Some(path) = &self.episodes_csv {
            let economics = task
                .as_ref()
                .map(|(config, _)| config.task_economics())
                .transpose()
                .map_err(|e| anyhow!("{e}"))?;
            let text = episodes_csv(&records, self.seed, economics.as_ref())?;
            policies::write_atomic(path, text.as_bytes())
                .map_err(|e| anyhow!("--episodes-csv {}: {e}", path.display()))?;
        }
        if self.json {
            if task.is_none() {
                eprintln!("note: classic-control env: no task economics, economic fields are 0");
            }
            outln!("{}", report.json());
        } else {
            report.print(&ckpt.meta.env_id, ret)?;
            if task.is_none() {
                outln!("note: classic-control env: no task economics, economic fields are 0");
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// One row per episode (episode `k` seeded `seed + k`): its return,
/// counters and, on a labour env, its economics (empty otherwise).
fn episodes_csv(
    records: &[EpisodeRecord],
    seed: u64,
    economics: Option<&economics::TaskEconomics>,
) -> Result<String> {
    let mut out = String::from(
        "seed,episode_return,units,attempts,errors,hours,mp_r,error_rate,robot_wage,\
         productivity_parity,wage_parity\n",
    );
    for (k, r) in records.iter().enumerate() {
        let o = r.outcome();
        let econ = match economics {
            Some(e) => {
                let m = EpisodeMetrics::compute(e, &o).map_err(|e| anyhow!("{e}"))?;
                format!(
                    "{},{},{},{},{}",
                    m.mp_r, m.error_rate, m.robot_wage, m.productivity_parity, m.wage_parity
                )
            }
            None => ",,,,".to_owned(),
        };
        out.push_str(&format!(
            "{},{},{},{},{},{},{econ}\n",
            seed.wrapping_add(k as u64),
            r.episode_return,
            o.completed_units,
            o.attempts,
            o.errors,
            o.hours
        ));
    }
    Ok(out)
}

/// The task config (and its text) of the run folder holding `checkpoint`
/// (two levels up), when that run trained a labour env.
fn run_task_config(checkpoint: &Path) -> Result<Option<(TaskConfig, String)>> {
    let Some(run) = checkpoint.parent().and_then(Path::parent) else {
        return Ok(None);
    };
    let path = run.join(runs::CONFIG_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    if !TaskConfig::is_task_config_text(&text) {
        return Ok(None);
    }
    let config =
        TaskConfig::from_yaml_str(&text, path.display().to_string()).map_err(|e| anyhow!("{e}"))?;
    Ok(Some((config, text)))
}

impl Report {
    /// A classic-control evaluation: returns only.
    fn classic(ret: MeanCi, episodes: usize) -> Self {
        let zero = MeanCi {
            mean: 0.0,
            lo: 0.0,
            hi: 0.0,
        };
        Self {
            episodes,
            mean_return: ret.mean,
            mp_r: zero,
            error_rate: zero,
            robot_wage: zero,
            productivity_parity: zero,
            wage_parity: zero,
        }
    }

    /// A labour-env evaluation scored with the run's task economics.
    fn economic(config: &TaskConfig, records: &[EpisodeRecord], ret: MeanCi) -> Result<Self> {
        let metrics = records
            .iter()
            .map(|r| {
                Ok(EpisodeMetrics::compute(
                    &config.task_economics()?,
                    &r.outcome(),
                )?)
            })
            .collect::<Result<Vec<_>>>()?;
        let ci = |f: fn(&EpisodeMetrics) -> f64| -> Result<MeanCi> {
            let values: Vec<f64> = metrics.iter().map(f).collect();
            MeanCi::of(&values).context("no episodes were evaluated")
        };
        Ok(Self {
            episodes: records.len(),
            mean_return: ret.mean,
            mp_r: ci(|m| m.mp_r)?,
            error_rate: ci(|m| m.error_rate)?,
            robot_wage: ci(|m| m.robot_wage)?,
            productivity_parity: ci(|m| m.productivity_parity)?,
            wage_parity: ci(|m| m.wage_parity)?,
        })
    }

    fn json(&self) -> serde_json::Value {
        let pair = |c: &MeanCi| json!([c.lo, c.hi]);
        json!({
            "episodes": self.episodes,
            "mean_return": self.mean_return,
            "mp_r": self.mp_r.mean,
            "error_rate": self.error_rate.mean,
            "robot_wage": self.robot_wage.mean,
            "productivity_parity": self.productivity_parity.mean,
            "wage_parity": self.wage_parity.mean,
            "mp_r_ci95": pair(&self.mp_r),
            "error_rate_ci95": pair(&self.error_rate),
            "robot_wage_ci95": pair(&self.robot_wage),
            "productivity_parity_ci95": pair(&self.productivity_parity),
            "wage_parity_ci95": pair(&self.wage_parity),
        })
    }

    fn print(&self, env_id: &str, ret: MeanCi) -> Result<()> {
        outln!(
            "{env_id}: {} episodes (deterministic policy)",
            self.episodes
        );
        outln!("{:<22} {:>12} {:>26}", "metric", "mean", "95% CI");
        let row = |name: &str, c: &MeanCi| -> Result<()> {
            outln!(
                "{name:<22} {:>12.4} {:>26}",
                c.mean,
                format!("[{:.4}, {:.4}]", c.lo, c.hi)
            );
            Ok(())
        };
        row("MP_r (units/h)", &self.mp_r)?;
        row("error rate e", &self.error_rate)?;
        row("robot wage ŵ_r ($/h)", &self.robot_wage)?;
        row("productivity parity", &self.productivity_parity)?;
        row("wage parity", &self.wage_parity)?;
        row("return", &ret)
    }
}

/// Restores the checkpoint and runs the deterministic evaluation.
struct EvalJob {
    path: PathBuf,
    ckpt: Checkpoint,
    task: Option<(TaskConfig, String)>,
    episodes: usize,
    seed: u64,
    video: Option<PathBuf>,
}

impl WithBackend for EvalJob {
    type Output = Result<Vec<EpisodeRecord>>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let meta = &self.ckpt.meta;
        if policies::CHUNK_ALGORITHMS.contains(&meta.algorithm.as_str()) {
            return evaluate_chunked::<B>(&self, &device);
        }
        if meta.algorithm == policies::sac::SAC_ALGORITHM {
            let policy =
                policies::sac_policy_of::<B::InnerBackend>(&self.ckpt, &self.path, &device)
                    .map_err(|e| anyhow!("--policy: {e}"))?;
            return self.episodes(&policy);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let network = meta
            .network
            .as_ref()
            .ok_or_else(|| anyhow!("--policy: the checkpoint has no actor-critic network"))?;
        let model = network.init::<B, _>(&device, &mut rng)?;
        let model = import_params(model, &self.ckpt.model_map(), &device)
            .map_err(|e| anyhow!("--policy: {e}"))?;
        self.episodes(&PolicySnapshot::new(&model))
    }
}

impl EvalJob {
    /// The evaluation episodes (and the video) of `snapshot`.
    fn episodes<P: DeterministicPolicy + Clone>(&self, snapshot: &P) -> Result<Vec<EpisodeRecord>> {
        let meta = &self.ckpt.meta;
        let obs_norm = meta.normalization.obs.as_ref();
        let records = match &self.task {
            Some((config, yaml)) => {
                // Up to 8 copies: `evaluate_episodes` plays waves of seeded
                // episodes, so the result is the same for any number.
                let copies = self.episodes.min(policies::MAX_EVAL_COPIES);
                // A residual fine-tune runs on its frozen base policy.
                let ppo = PpoConfig::from_section(&config.ppo, "config.yaml")
                    .map_err(|e| anyhow!("--policy: the run's ppo: section: {e}"))?;
                let venv = task_venv(config, &meta.env_id, yaml, &ppo, copies, 0.0)
                    .map_err(|e| anyhow!("--policy: {e}"))?;
                check_spaces(&self.ckpt, venv.observation_space(), venv.action_space())?;
                if let Some(path) = &self.video {
                    let venv = task_venv(config, &meta.env_id, yaml, &ppo, 1, 0.0)
                        .map_err(|e| anyhow!("--policy: {e}"))?;
                    record_video(snapshot, venv, self.seed, obs_norm, path)?;
                }
                evaluate_episodes(snapshot, venv, self.episodes, self.seed, obs_norm)?
            }
            None => {
                let venv = VecEnv::make(&meta.env_id, 1).map_err(|e| anyhow!("--policy: {e}"))?;
                check_spaces(&self.ckpt, venv.observation_space(), venv.action_space())?;
                evaluate_episodes(snapshot, venv, self.episodes, self.seed, obs_norm)?
            }
        };
        Ok(records)
    }
}

/// A chunked policy (`chunk`, `diffusion`): the model rebuilt from the
/// checkpoint's record, run by its chunk executor (receding horizon or
/// temporal ensembling, as trained) on the run folder's task config.
fn evaluate_chunked<B: AutodiffBackend>(
    job: &EvalJob,
    device: &B::Device,
) -> Result<Vec<EpisodeRecord>> {
    let meta = &job.ckpt.meta;
    let path = Path::new(&meta.weights_file);
    match meta.algorithm.as_str() {
        "chunk" => {
            let (model, policy) = ChunkPolicy::load_model(&job.ckpt, path, |m, shape| {
                ChunkHead::<B>::new(ChunkHeadConfig::from_value(m)?, shape, device, 0)
            })
            .map_err(|e| anyhow!("--policy: {e}"))?;
            chunk_records(job, &model, &policy)
        }
        "diffusion" => {
            let (model, policy) = ChunkPolicy::load_model(&job.ckpt, path, |m, shape| {
                let config: DiffusionConfig = serde_json::from_value(m.clone()).map_err(|e| {
                    policies::PolicyError::Dataset(format!("diffusion config: {e}"))
                })?;
                DiffusionPolicy::<B>::new(config, shape, device, 0)
            })
            .map_err(|e| anyhow!("--policy: {e}"))?;
            chunk_records(job, &model, &policy)
        }
        other => bail!("--policy: `{other}` checkpoints cannot be evaluated by this build"),
    }
}

/// Evaluation episodes of a chunked `model` (see [`evaluate_chunked`]).
fn chunk_records<M: ChunkModel>(
    job: &EvalJob,
    model: &M,
    policy: &ChunkPolicy,
) -> Result<Vec<EpisodeRecord>> {
    let meta = &job.ckpt.meta;
    let (config, yaml) = job.task.as_ref().with_context(|| {
        format!(
            "--policy: a `{}` policy is evaluated on its run folder's task config \
             (RUN_DIR/config.yaml), which was not found",
            meta.algorithm
        )
    })?;
    let copies = job.episodes.min(policies::MAX_EVAL_COPIES);
    let venv = econ_venv(config, &meta.env_id, yaml, copies, 0.0)?;
    check_spaces(&job.ckpt, venv.observation_space(), venv.action_space())?;
    if let Some(path) = &job.video {
        let venv = econ_venv(config, &meta.env_id, yaml, 1, 0.0)?;
        record_chunk_video(model, policy, venv, job.seed, path)?;
    }
    let mut executor = policy.executor(copies)?;
    Ok(evaluate_chunk_episodes(
        model,
        &mut executor,
        venv,
        job.episodes,
        job.seed,
    )?)
}

/// [`record_video`] for a chunked policy, acting through its executor.
fn record_chunk_video<E: envs::Env, M: ChunkModel>(
    model: &M,
    policy: &ChunkPolicy,
    venv: VecEnv<E>,
    seed: u64,
    path: &Path,
) -> Result<()> {
    const FRAME_EVERY_S: f64 = 0.2;
    let mut venv = venv;
    venv.reset(Some(seed))?;
    let mut executor = policy.executor(1)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut action = vec![0.0f32; venv.d_action()];
    let mut frames: Vec<envs::RgbFrame> = venv.render(0).into_iter().collect();
    let mut next_frame_s = FRAME_EVERY_S;
    loop {
        executor.act(model, venv.raw_obs(), &mut rng, &mut action)?;
        action.iter_mut().for_each(|a| *a = a.clamp(-1.0, 1.0));
        venv.step(envs::VecAction::Continuous(&action))?;
        if venv.done(0) {
            break;
        }
        if venv.infos()[0].sim_seconds >= next_frame_s {
            frames.extend(venv.render(0));
            next_frame_s += FRAME_EVERY_S;
        }
    }
    envs::render::write_mp4(&frames, (1.0 / FRAME_EVERY_S).round() as u32, path)
        .with_context(|| format!("--video {}", path.display()))?;
    Ok(())
}

/// Runs one deterministic episode on `venv` (one copy), keeping a frame
/// every 0.2 simulated seconds, and writes them as an mp4.
fn record_video<E: envs::Env, P: DeterministicPolicy + Clone>(
    snapshot: &P,
    venv: VecEnv<E>,
    seed: u64,
    obs_norm: Option<&envs::RunningMeanStd>,
    path: &Path,
) -> Result<()> {
    const FRAME_EVERY_S: f64 = 0.2;
    let mut venv = venv;
    if let Some(state) = obs_norm {
        venv = venv.with_obs_normalization(envs::ObsNormConfig::default());
        venv.set_normalization_state(&envs::NormalizationState {
            obs: Some(state.clone()),
            reward: None,
        })?;
    }
    venv.set_normalization_training(false);
    venv.reset(Some(seed))?;
    let mut policy = snapshot.clone();
    let mut actions = Vec::new();
    let mut frames: Vec<envs::RgbFrame> = venv.render(0).into_iter().collect();
    let mut next_frame_s = FRAME_EVERY_S;
    loop {
        policy.act_deterministic(venv.obs(), 1, &mut actions)?;
        let clipped: Vec<f32> = actions.iter().map(|a| a.clamp(-1.0, 1.0)).collect();
        venv.step(envs::VecAction::Continuous(&clipped))?;
        if venv.done(0) {
            break;
        }
        if venv.infos()[0].sim_seconds >= next_frame_s {
            frames.extend(venv.render(0));
            next_frame_s += FRAME_EVERY_S;
        }
    }
    envs::render::write_mp4(&frames, (1.0 / FRAME_EVERY_S).round() as u32, path)
        .with_context(|| format!("--video {}", path.display()))?;
    Ok(())
}

fn check_spaces(ckpt: &Checkpoint, obs: &envs::Space, action: &envs::Space) -> Result<()> {
    ckpt.check_env(&ckpt.meta.env_id, obs, action)
        .map_err(|e| anyhow!("--policy: {e}"))
}
