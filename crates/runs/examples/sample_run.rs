//! Writes a synthetic run folder (config, CSV logs, TensorBoard events with
//! scalars, an image, text and hyperparameters) to show the run layout and
//! to check the event files with TensorBoard itself:
//!
//! ```text
//! cargo run -p runs --example sample_run -- /tmp/runs
//! python3 scripts/check_tensorboard_events.py /tmp/runs/<printed folder>
//! ```

use anyhow::{Context, Result};
use envs::RgbFrame;
use runs::{HParam, RunDir, RunLogger, RunStatus};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn main() -> Result<()> {
    let runs_root = PathBuf::from(
        std::env::args()
            .nth(1)
            .context("usage: sample_run RUNS_ROOT")?,
    );
    let config = "env: CartPole-v1\nalgorithm: ppo\nseed: 1\nlearning_rate: 0.00025\n\
                  economics:\n  price_per_unit: 0.3\n  human_mp: 60.0\n  human_wage: 18.0\n  \
                  damage_cost: 1.0\n";
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let path = RunDir::default_path(&runs_root, "CartPole-v1", "ppo", 1, secs);
    let run = RunDir::stage(&path, config)?.commit()?;
    let mut logger = RunLogger::create(&run)?;
    let tb = logger.tensorboard();
    tb.add_text("config", &format!("```yaml\n{config}```"), 0)?;
    let hparams = BTreeMap::from([
        ("env".to_owned(), HParam::from("CartPole-v1")),
        ("algorithm".to_owned(), HParam::from("ppo")),
        ("learning_rate".to_owned(), HParam::from(2.5e-4)),
        ("seed".to_owned(), HParam::from(1.0)),
        ("anneal_lr".to_owned(), HParam::from(true)),
    ]);
    tb.add_hparams(&hparams, "")?;
    let mut previous_mp = 0.0;
    for episode in 0..200u64 {
        let step = (episode + 1) * 500;
        let t = episode as f64 / 200.0;
        let mp_r = 60.0 * (0.3 + 0.7 * t);
        let e = 0.1 * (1.0 - t);
        let w_r = 0.3 * mp_r - 1.0 * e * mp_r;
        let wage_parity = w_r / 18.0;
        let reward_mp = ((mp_r - previous_mp) / 60.0).clamp(-0.5, 0.5);
        previous_mp = mp_r;
        let reward_error = -e;
        let reward_wage = -0.5 * (wage_parity - 1.0).abs();
        let row = [
            episode as f64,
            mp_r,
            e,
            w_r,
            wage_parity,
            mp_r / 60.0,
            reward_mp + reward_error + reward_wage,
            reward_mp,
            reward_error,
            reward_wage,
            1.0,
            1.0,
            0.5,
        ];
        logger.log_episode(&row, step)?;
        logger.log_scalars(
            &[
                ("losses/pg_loss", -0.01 * (1.0 - t)),
                ("charts/sps", 2000.0),
            ],
            step,
        )?;
        if episode % 50 == 49 {
            let lo = wage_parity - 0.03;
            logger.log_eval(&[
                step as f64,
                10.0,
                1.0,
                mp_r,
                mp_r - 2.0,
                mp_r + 2.0,
                e,
                w_r,
                wage_parity,
                lo,
                wage_parity + 0.03,
                mp_r / 60.0,
                mp_r / 60.0 - 0.03,
                mp_r / 60.0 + 0.03,
            ])?;
            let shade = (255.0 * t) as u8;
            logger.tensorboard().add_image(
                "eval/frame",
                &RgbFrame::filled(64, 48, [shade, 80, 200]),
                step,
            )?;
        }
        logger.flush()?;
    }
    logger.tensorboard().end_session(RunStatus::Success)?;
    logger.commit()?;
    println!("{}", run.root().display());
    Ok(())
}
