//! `vp train --algorithm bc` on a task config: behaviour cloning of the
//! task's scripted expert, saved as a PPO-shaped checkpoint.
//!
//! Top to bottom: the expert (`envs::DishwashingExpert` or
//! `BricklayingExpert` at `--demo-skill`) plays `--demo-episodes` episodes
//! of the env built from the resolved config; their (observation, action)
//! pairs train the actor PPO builds for this env, followed by the
//! `bc.dagger` rounds (`policies::dagger`, the `bc:` section, Gaussian NLL
//! by default so the action noise is fitted too; observations normalised
//! with the statistics of all data gathered, as PPO's observation
//! normaliser would, clip ±10). The cloned policy is
//! evaluated like a PPO run (economics with 95 % CIs into `eval.csv`) and
//! saved as `model_latest` and `model_best` with its observation
//! statistics, so `vp evaluate` reads it and `vp train --init-from` starts
//! PPO from it, normaliser included. Per-epoch losses go to TensorBoard
//! under `bc/`; the demonstrations' economics are logged as text.

use anyhow::{Result, anyhow, bail};
use burn::tensor::backend::AutodiffBackend;
use economics::TaskConfig;
use envs::{
    BricklayingConfig, BricklayingEnv, BricklayingExpert, DishwashingConfig, DishwashingEnv,
    DishwashingExpert, Env, NormalizationState, RunningMeanStd,
};
use policies::{
    ActorCriticConfig, BcConfig, BcLoss, Checkpoint, CheckpointMeta, Dagger, DaggerReport, Expert,
    PolicySnapshot, PpoConfig, RngState, dagger, evaluate_episodes, export_params,
    record_demonstrations,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::process::ExitCode;
use train::{RunLogger, RunStatus, StagedRunDir};

use super::train_task::{TaskRunOptions, econ_venv, economic_summary};

/// Trains, evaluates and saves a BC run into the staged folder.
pub(crate) fn run_bc<B: AutodiffBackend>(
    config: &TaskConfig,
    options: &TaskRunOptions,
    ppo: &PpoConfig,
    yaml: &str,
    staged: StagedRunDir,
    device: &B::Device,
) -> Result<ExitCode> {
    let seed = config.training.seed;
    let bc = bc_config(config)?;
    let probe = econ_venv(config, &options.env_id, yaml, 1, 0.0)?;
    let net = policies::ppo::network_config(ppo, probe.observation_space(), probe.action_space())?;
    let Cloned {
        model,
        report: dagger_report,
        demo_pairs,
        demo_units,
        obs_stats,
        rng,
    } = clone_expert::<B>(&bc, &net, options, yaml, seed, device)?;
    let report = dagger_report
        .rounds
        .last()
        .map_or(&dagger_report.initial, |r| &r.bc)
        .clone();

    let run = staged.commit()?;
    let mut logger = RunLogger::create(&run)?;
    logger
        .tensorboard()
        .add_text("config", &format!("```yaml\n{yaml}```"), 0)?;
    logger.tensorboard().add_text(
        "bc/demonstrations",
        &format!(
            "{} expert episodes at skill {}: {} (observation, action) pairs, units per episode {demo_units:?}",
            options.demo_episodes,
            options.demo_skill,
            demo_pairs
        ),
        0,
    )?;
    for (round, r) in dagger_report.rounds.iter().enumerate() {
        let units =
            r.units.iter().map(|u| f64::from(*u)).sum::<f64>() / r.units.len().max(1) as f64;
        logger.log_scalars(
            &[
                ("bc/dagger_clone_units_per_episode", units),
                ("bc/dagger_expert_share", r.expert_share),
                ("bc/dagger_pairs", r.pairs as f64),
                ("bc/dagger_val_loss", r.bc.best_val_loss),
            ],
            round as u64 + 1,
        )?;
        println!(
            "DAgger round {}: the clone drove with expert share {:.3} and racked {units:.2} units per \
             episode; refit on {} pairs (validation loss {:.4})",
            round + 1,
            r.expert_share,
            r.pairs,
            r.bc.best_val_loss
        );
    }
    for (epoch, (train_loss, val_loss)) in report
        .train_losses
        .iter()
        .zip(&report.val_losses)
        .enumerate()
    {
        let step = epoch as u64 + 1;
        logger.log_scalars(
            &[("bc/train_loss", *train_loss), ("bc/val_loss", *val_loss)],
            step,
        )?;
    }

    let snapshot = PolicySnapshot::new(&model);
    let episodes = usize::try_from(config.training.eval_episodes)?;
    let venv = econ_venv(config, &options.env_id, yaml, episodes.min(8), 0.0)?;
    let records = evaluate_episodes(
        &snapshot,
        venv,
        episodes,
        seed + 1_000_000,
        Some(&obs_stats),
    )?;
    let step = dagger_report.rounds.last().map_or(demo_pairs, |r| r.pairs) as u64;
    let summary = economic_summary(config, step, &records)?;
    logger.log_eval_summary(&summary)?;
    logger.commit()?;

    let mut metrics = std::collections::BTreeMap::new();
    metrics.insert("bc/best_val_loss".to_owned(), report.best_val_loss);
    metrics.insert("eval/wage_parity".to_owned(), summary.wage_parity.mean);
    metrics.insert("eval/mp_r".to_owned(), summary.mp_r.mean);
    let mut ckpt = Checkpoint {
        meta: CheckpointMeta {
            format_version: policies::CHECKPOINT_FORMAT_VERSION,
            algorithm: "bc".to_owned(),
            config: serde_json::to_value(&bc)?,
            env_id: options.env_id.clone(),
            observation_space: probe.observation_space().clone(),
            action_space: probe.action_space().clone(),
            network: net,
            global_step: step,
            update: report.train_losses.len() as u64,
            normalization: NormalizationState {
                obs: Some(obs_stats),
                reward: None,
            },
            optimizer_step: 0,
            rng: Some(RngState::capture(&rng)),
            metrics,
            git_commit: std::env::current_dir()
                .ok()
                .and_then(|d| policies::git_commit(&d)),
            weights_file: String::new(),
            weights_len: 0,
            weights_fnv1a64: String::new(),
        },
        model: export_params(&model),
        optimizer: Vec::new(),
    };
    ckpt.save(&run.checkpoints_dir(), "model_best")?;
    ckpt.save(&run.checkpoints_dir(), "model_latest")?;
    logger.tensorboard().end_session(RunStatus::Success)?;
    logger.commit()?;
    println!(
        "{}: behaviour cloning on {} pairs ({} DAgger rounds), best validation loss {:.4} (epoch {}); \
         eval MP_r {:.2}/h, wage parity {:.3} [{:.3}, {:.3}] over {} episodes",
        run.root().display(),
        step,
        dagger_report.rounds.len(),
        report.best_val_loss,
        report.best_epoch + 1,
        summary.mp_r.mean,
        summary.wage_parity.mean,
        summary.wage_parity.lo,
        summary.wage_parity.hi,
        summary.episodes
    );
    Ok(ExitCode::SUCCESS)
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

/// What cloning the expert produced.
struct Cloned<B: AutodiffBackend> {
    model: policies::ActorCritic<B>,
    report: DaggerReport,
    /// Pairs in the expert's own demonstrations.
    demo_pairs: usize,
    /// Units of each demonstration episode.
    demo_units: Vec<u32>,
    /// The observation statistics the clone was fitted with (its normaliser).
    obs_stats: RunningMeanStd,
    /// The run's random stream after collection and training.
    rng: ChaCha8Rng,
}

/// Clones the task's scripted expert at `--demo-skill`: its
/// `--demo-episodes` demonstrations (episode `i` seeded `seed + i`), BC,
/// then the `bc.dagger` rounds with the same expert relabelling.
fn clone_expert<B: AutodiffBackend>(
    bc: &BcConfig,
    net: &ActorCriticConfig,
    options: &TaskRunOptions,
    yaml: &str,
    seed: u64,
    device: &B::Device,
) -> Result<Cloned<B>> {
    let skill = options.demo_skill as f32;
    let episodes = options.demo_episodes;
    match options.env_id.as_str() {
        envs::DISHWASHING_ID => {
            let mut env =
                DishwashingEnv::new(DishwashingConfig::from_yaml_str(yaml, "config.yaml")?)?;
            let mut expert = DishwashingExpert::new(skill, seed);
            let mut act = labelled(
                &mut expert,
                DishwashingExpert::reset,
                DishwashingExpert::act,
                DishwashingEnv::gripper_closed,
            );
            clone_on(bc, net, &mut env, &mut act, episodes, seed, device)
        }
        envs::BRICKLAYING_ID => {
            let mut env =
                BricklayingEnv::new(BricklayingConfig::from_yaml_str(yaml, "config.yaml")?)?;
            let mut expert = BricklayingExpert::new(skill, seed);
            let mut act = labelled(
                &mut expert,
                BricklayingExpert::reset,
                BricklayingExpert::act,
                BricklayingEnv::gripper_closed,
            );
            clone_on(bc, net, &mut env, &mut act, episodes, seed, device)
        }
        other => bail!("--algorithm bc: env `{other}` has no scripted expert"),
    }
}

/// A scripted labour expert as a DAgger [`Expert`]: reset at every episode
/// start, and its action marked as a decision when its grip (the last
/// element, `> 0` closes) would open or close the gripper.
fn labelled<'a, X, E: 'a>(
    expert: &'a mut X,
    reset: fn(&mut X),
    act: fn(&mut X, &E) -> [f32; 5],
    gripper_closed: fn(&E) -> bool,
) -> impl FnMut(&E, bool) -> (Vec<f32>, bool) + 'a {
    move |env, first| {
        if first {
            reset(expert);
        }
        let action = act(expert, env);
        (action.to_vec(), (action[4] > 0.0) != gripper_closed(env))
    }
}

/// [`clone_expert`] on a concrete env.
fn clone_on<B: AutodiffBackend, E: Env>(
    bc: &BcConfig,
    net: &ActorCriticConfig,
    env: &mut E,
    expert: &mut Expert<'_, E>,
    episodes: u64,
    seed: u64,
    device: &B::Device,
) -> Result<Cloned<B>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (demos, demo_units) =
        record_demonstrations(env, expert, episodes, seed, bc.dagger.demo_noise, &mut rng)?;
    if demos.is_empty() {
        bail!("--demo-episodes must be at least 1");
    }
    let demo_pairs = demos.len();
    let Dagger {
        model,
        obs_stats,
        report,
    } = dagger::<B, E, _>(
        bc,
        net,
        demos,
        env,
        expert,
        seed + 1_000_000,
        device,
        &mut rng,
    )?;
    Ok(Cloned {
        model,
        report,
        demo_pairs,
        demo_units,
        obs_stats,
        rng,
    })
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
