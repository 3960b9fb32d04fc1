//! `vp train --algorithm bc` on a task config: behaviour cloning of the
//! task's scripted expert with DAgger, saved as a PPO-shaped checkpoint.
//!
//! Top to bottom: the task's expert (`envs::make_expert` at
//! `--demo-skill`) plays `--demo-episodes` episodes
//! of the env built from the resolved config; their (observation, action)
//! pairs train the actor PPO builds for this env (`policies::DaggerLearner`,
//! the `bc:` section, Gaussian NLL by default so the action noise is
//! fitted too; observations normalised with the statistics of all data
//! gathered, as PPO's observation normaliser would, clip ±10). Then the
//! run folder opens and the clone is evaluated like a PPO run (economics
//! with 95 % CIs into `eval.csv`, `model_latest`, `model_best` by wage
//! parity, observation statistics included so `vp evaluate` reads it and
//! `vp train --init-from` starts PPO from it). Each `bc.dagger` round
//! follows: the clone plays its episodes, which are scored like PPO's
//! training episodes into `training_metrics.csv` and `economics/*` (the
//! learner's own economics, round by round), the expert relabels them, the
//! clone is refitted and evaluated and checkpointed again. Every fit's
//! per-epoch losses go to TensorBoard under `bc/`. A killed run keeps the
//! logs and checkpoints of its last finished round; it has no `--resume`.

use anyhow::{Result, anyhow, bail};
use burn::tensor::backend::AutodiffBackend;
use economics::{EpisodeOutcome, TaskConfig};
use envs::{Env, Info, NormalizationState, ScriptedExpert, Space};
use policies::{
    ActorCriticConfig, BcConfig, BcLoss, BcReport, Checkpoint, CheckpointMeta, CheckpointState,
    DaggerLearner, PolicySnapshot, PpoConfig, RngState, evaluate_episodes, export_params,
    record_demonstrations,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::process::ExitCode;
use train::{EvalSummary, RunDir, RunLogger, RunStatus, StagedRunDir};

use super::train::hparams_of;
use super::train_task::{TaskRunOptions, econ_venv, economic_summary};

/// Seed offset of the DAgger rounds' episodes (round `k` adds `1000·k`);
/// evaluations use `seed + DAGGER_SEED_OFFSET` itself, so neither replays
/// a demonstration (seeds `seed..seed + demo_episodes`).
const DAGGER_SEED_OFFSET: u64 = 1_000_000;

/// Clones the task's scripted expert at `--demo-skill` into the staged
/// run folder (see the module doc).
pub(crate) fn run_bc<B: AutodiffBackend>(
    config: &TaskConfig,
    options: &TaskRunOptions,
    ppo: &PpoConfig,
    yaml: &str,
    staged: StagedRunDir,
    device: &B::Device,
) -> Result<ExitCode> {
    let bc = bc_config(config)?;
    let probe = econ_venv(config, &options.env_id, yaml, 1, 0.0)?;
    let net = policies::ppo::network_config(ppo, probe.observation_space(), probe.action_space())?;
    let run = BcRun {
        config,
        options,
        yaml,
        bc,
        net,
        observation_space: probe.observation_space().clone(),
        action_space: probe.action_space().clone(),
    };
    let skill = options.demo_skill as f32;
    let seed = config.training.seed;
    let mut env = envs::task_env_from_yaml(&options.env_id, yaml, "config.yaml")?;
    let mut expert = envs::make_expert(&options.env_id, skill, seed)?;
    run.clone_on::<B, _>(&mut env, expert.as_mut(), staged, device)
}

/// The `bc:` section (defaults where absent), Gaussian NLL unless it says
/// otherwise: the fitted log-std keeps PPO's exploration noise near the
/// expert's own spread after a warm start.
fn bc_config(config: &TaskConfig) -> Result<BcConfig> {
    let mut section = config.bc.clone();
    if section.is_null() {
        section = serde_json::json!({});
    }
    if section.get("loss").is_none()
        && let Some(map) = section.as_object_mut()
    {
        map.insert(
            "loss".to_owned(),
            serde_json::to_value(BcLoss::GaussianNll)?,
        );
    }
    let bc: BcConfig = serde_json::from_value(section).map_err(|e| anyhow!("bc: {e}"))?;
    bc.validate().map_err(|e| anyhow!("{e}"))?;
    Ok(bc)
}

/// A BC run's settings, resolved.
struct BcRun<'a> {
    config: &'a TaskConfig,
    options: &'a TaskRunOptions,
    yaml: &'a str,
    bc: BcConfig,
    net: ActorCriticConfig,
    observation_space: Space,
    action_space: Space,
}

impl BcRun<'_> {
    /// Demonstrations, the first fit, then every DAgger round, logging and
    /// checkpointing after each fit.
    fn clone_on<B: AutodiffBackend, E: Env>(
        &self,
        env: &mut E,
        expert: &mut dyn ScriptedExpert,
        staged: StagedRunDir,
        device: &B::Device,
    ) -> Result<ExitCode> {
        let seed = self.config.training.seed;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let episodes = self.options.demo_episodes;
        let (demos, demo_units) = record_demonstrations(
            env,
            expert,
            episodes,
            seed,
            self.bc.dagger.demo_noise,
            &mut rng,
        )?;
        if demos.is_empty() {
            bail!("--demo-episodes must be at least 1");
        }
        let demo_pairs = demos.len();
        let (mut learner, initial) = DaggerLearner::<B>::start(
            &self.bc,
            &self.net,
            demos,
            seed + DAGGER_SEED_OFFSET,
            device,
            &mut rng,
        )?;

        let run = staged.commit()?;
        let mut logger = RunLogger::create(&run)?;
        let tb = logger.tensorboard();
        tb.add_text("config", &format!("```yaml\n{}```", self.yaml), 0)?;
        let mut resolved = serde_json::to_value(self.config)?;
        if let Some(map) = resolved.as_object_mut() {
            // The env's physics parameters are not hyperparameters.
            map.remove("env");
        }
        tb.add_hparams(&hparams_of(&resolved), &run.name())?;
        tb.add_text(
            "bc/demonstrations",
            &format!(
                "{episodes} expert episodes at skill {}: {demo_pairs} (observation, action) \
                 pairs, units per episode {demo_units:?}",
                self.options.demo_skill
            ),
            0,
        )?;
        println!(
            "{episodes} expert demonstrations: {demo_pairs} pairs, {:.2} units per episode",
            mean_units(demo_units.iter().copied())
        );

        let mut scorer = self.config.episode_scorer()?;
        let mut detector = self.config.convergence.detector()?;
        let mut epochs_logged = 0u64;
        let mut best = f64::NEG_INFINITY;
        log_fit(&mut logger, &initial, &mut epochs_logged)?;
        let mut last =
            self.evaluate_and_save(&learner, &initial, &run, &mut logger, &mut best, &rng)?;
        let mut converged =
            detector.observe_parities(last.productivity_parity.mean, last.wage_parity.mean)?;
        print_eval("the first fit", &learner, &last);
        for _ in 0..self.bc.dagger.rounds {
            if converged && self.options.stop_on_convergence {
                break;
            }
            let round = learner.round(env, expert, device, &mut rng)?;
            let step = learner.pairs() as u64;
            for info in &round.episodes {
                let scored = scorer.score(&outcome_of(info))?;
                logger.log_episode_record(&scored.record, step)?;
            }
            let units = mean_units(round.episodes.iter().map(|i| i.units_completed));
            let k = learner.rounds_done() as u64;
            logger.log_scalars(
                &[
                    ("bc/dagger_clone_units_per_episode", units),
                    ("bc/dagger_expert_share", round.expert_share),
                    ("bc/dagger_pairs", round.pairs as f64),
                    ("bc/dagger_val_loss", round.bc.best_val_loss),
                ],
                k,
            )?;
            log_fit(&mut logger, &round.bc, &mut epochs_logged)?;
            println!(
                "DAgger round {k}: the clone drove with expert share {:.3} and racked {units:.2} \
                 units per episode; refit on {} pairs (validation loss {:.4})",
                round.expert_share, round.pairs, round.bc.best_val_loss
            );
            last =
                self.evaluate_and_save(&learner, &round.bc, &run, &mut logger, &mut best, &rng)?;
            converged =
                detector.observe_parities(last.productivity_parity.mean, last.wage_parity.mean)?;
            print_eval(&format!("round {k}"), &learner, &last);
        }
        logger.tensorboard().end_session(RunStatus::Success)?;
        logger.commit()?;
        let why = if converged && self.options.stop_on_convergence {
            " (converged: parity reached)"
        } else {
            ""
        };
        println!(
            "{}: behaviour cloning on {} pairs ({} DAgger rounds){why}; eval MP_r {:.2}/h, wage \
             parity {:.3} [{:.3}, {:.3}] over {} episodes",
            run.root().display(),
            learner.pairs(),
            learner.rounds_done(),
            last.mp_r.mean,
            last.wage_parity.mean,
            last.wage_parity.lo,
            last.wage_parity.hi,
            last.episodes
        );
        Ok(ExitCode::SUCCESS)
    }

    /// Evaluates the current clone into `eval.csv` (the same seeds every
    /// time, so rounds compare on the same dishes), commits the logs and
    /// saves `model_latest`, and `model_best` when its mean wage parity is
    /// the best so far.
    fn evaluate_and_save<B: AutodiffBackend>(
        &self,
        learner: &DaggerLearner<B>,
        fit: &BcReport,
        run: &RunDir,
        logger: &mut RunLogger,
        best: &mut f64,
        rng: &ChaCha8Rng,
    ) -> Result<EvalSummary> {
        let seed = self.config.training.seed;
        let episodes = usize::try_from(self.config.training.eval_episodes)?;
        let venv = econ_venv(
            self.config,
            &self.options.env_id,
            self.yaml,
            episodes.min(8),
            0.0,
        )?;
        let records = evaluate_episodes(
            &PolicySnapshot::new(learner.model()),
            venv,
            episodes,
            seed + DAGGER_SEED_OFFSET,
            Some(learner.obs_stats()),
        )?;
        let step = learner.pairs() as u64;
        let summary = economic_summary(self.config, step, &records)?;
        logger.log_eval_summary(&summary)?;
        logger.commit()?;
        let mut ckpt = self.checkpoint(learner, fit, &summary, rng)?;
        // The first evaluation always makes a `model_best`, even a NaN one.
        if best.is_infinite() || summary.wage_parity.mean > *best {
            *best = summary.wage_parity.mean;
            ckpt.save(&run.checkpoints_dir(), "model_best")?;
        }
        ckpt.save(&run.checkpoints_dir(), "model_latest")?;
        Ok(summary)
    }

    /// The current clone as a PPO-shaped checkpoint.
    fn checkpoint<B: AutodiffBackend>(
        &self,
        learner: &DaggerLearner<B>,
        fit: &BcReport,
        summary: &EvalSummary,
        rng: &ChaCha8Rng,
    ) -> Result<Checkpoint> {
        let mut metrics = std::collections::BTreeMap::new();
        metrics.insert("bc/best_val_loss".to_owned(), fit.best_val_loss);
        metrics.insert("eval/wage_parity".to_owned(), summary.wage_parity.mean);
        metrics.insert("eval/mp_r".to_owned(), summary.mp_r.mean);
        Ok(Checkpoint {
            meta: CheckpointMeta::new(CheckpointState {
                algorithm: "bc".to_owned(),
                config: serde_json::to_value(&self.bc)?,
                env_id: self.options.env_id.clone(),
                observation_space: self.observation_space.clone(),
                action_space: self.action_space.clone(),
                network: self.net.clone(),
                global_step: learner.pairs() as u64,
                // For a BC run: the DAgger rounds done.
                update: learner.rounds_done() as u64,
                normalization: NormalizationState {
                    obs: Some(learner.obs_stats().clone()),
                    reward: None,
                },
                optimizer_step: 0,
                rng: Some(RngState::capture(rng)),
                metrics,
            }),
            model: export_params(learner.model()),
            optimizer: Vec::new(),
        })
    }
}

/// One fit's per-epoch losses as `bc/train_loss` and `bc/val_loss`, the
/// epochs of successive fits numbered on from `epochs_logged`.
fn log_fit(logger: &mut RunLogger, fit: &BcReport, epochs_logged: &mut u64) -> Result<()> {
    for (train_loss, val_loss) in fit.train_losses.iter().zip(&fit.val_losses) {
        *epochs_logged += 1;
        logger.log_scalars(
            &[("bc/train_loss", *train_loss), ("bc/val_loss", *val_loss)],
            *epochs_logged,
        )?;
    }
    logger.flush()
}

fn print_eval<B: AutodiffBackend>(label: &str, learner: &DaggerLearner<B>, s: &EvalSummary) {
    println!(
        "  eval after {label} ({} pairs): MP_r {:.2}/h, error rate {:.3}, wage parity {:.3} \
         [{:.3}, {:.3}] over {} episodes",
        learner.pairs(),
        s.mp_r.mean,
        s.error_rate,
        s.wage_parity.mean,
        s.wage_parity.lo,
        s.wage_parity.hi,
        s.episodes
    );
}

fn mean_units(units: impl Iterator<Item = u32>) -> f64 {
    let (sum, n) = units.fold((0.0, 0usize), |(s, n), u| (s + f64::from(u), n + 1));
    sum / n.max(1) as f64
}

/// The counters of an episode's last step as SPEC §2's outcome.
fn outcome_of(info: &Info) -> EpisodeOutcome {
    EpisodeOutcome::from_sim_seconds(
        u64::from(info.units_completed),
        u64::from(info.attempts),
        u64::from(info.errors),
        info.sim_seconds,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_short_dishwashing_config_clones_with_dagger_and_ignores_the_velocity_echo() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../configs/dishwashing_short.yaml"
        );
        let config = TaskConfig::from_path(path).expect("the shipped config parses");
        let bc = bc_config(&config).expect("its bc: section parses");
        assert_eq!(bc.loss, BcLoss::Mse);
        assert_eq!(bc.ignore_observations, vec![5, 6, 7, 8]);
        assert_eq!(bc.dagger.rounds, 4);
        assert_eq!(bc.dagger.episodes_per_round, 8);
    }
}
