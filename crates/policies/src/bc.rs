//! Behaviour cloning: supervised training of the actor on
//! (observation, action) demonstrations.
//!
//! Discrete actions use cross-entropy; continuous actions use the squared
//! error of the Gaussian mean, or the Gaussian negative log-likelihood
//! (which also fits the log-std). The data are split once into a training
//! and a validation set with the caller's seeded RNG; training stops when
//! the validation loss has not improved for `patience` epochs, and the
//! network with the best validation loss is returned. The network is an
//! [`ActorCritic`] of the same shape PPO builds for the env, so it
//! warm-starts PPO (`Ppo::with_model`); its critic is left at its init.

use burn::optim::GradientsParams;
use burn::tensor::activation::log_softmax;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Int, Tensor, TensorData};
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use yaml_config::ConfigCheck;

use crate::{
    ActionKind, ActorCritic, ActorCriticConfig, Adam, AdamConfig, DaggerConfig, ObservationMask,
    PolicyError, Result,
};

/// Loss for continuous actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BcLoss {
    /// Squared error between the Gaussian mean and the expert action.
    #[default]
    Mse,
    /// Negative log-likelihood of the expert action under the Gaussian.
    GaussianNll,
}

/// Behaviour-cloning hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BcConfig {
    /// Loss for continuous actions (discrete always uses cross-entropy). Default `mse`.
    pub loss: BcLoss,
    /// Adam learning rate. Default 1e-3.
    pub learning_rate: f64,
    /// Samples per minibatch. Default 256.
    pub batch_size: usize,
    /// Upper bound on epochs. Default 200.
    pub max_epochs: usize,
    /// Share of the data held out for validation, in (0, 1). Default 0.2.
    pub validation_fraction: f64,
    /// Epochs without validation improvement before stopping. Default 10.
    pub patience: usize,
    /// Global gradient-norm clip. Default none.
    pub max_grad_norm: Option<f64>,
    /// Loss weight of the pairs the demonstrations mark as decisions
    /// ([`Demonstrations::push_decision`]), relative to 1 for the others.
    /// A decision such as the step a gripper closes on a dish happens once
    /// per dish in a minute of demonstration; an unweighted regression
    /// averages it away and the clone never grasps. Default 1 (no
    /// reweighting).
    pub decision_weight: f64,
    /// Observation features the clone must not use ([`ObservationMask`]):
    /// zeroed in the data, their input weights in the actor's first layer
    /// held at 0. A PPO fine-tune of the clone masks its own
    /// `ppo.ignore_observations`. Default none.
    pub ignore_observations: Vec<usize>,
    /// DAgger rounds after the first fit, run by [`crate::dagger()`] where
    /// an expert can relabel the clone's states. Default none.
    pub dagger: DaggerConfig,
}

impl Default for BcConfig {
    fn default() -> Self {
        Self {
            loss: BcLoss::Mse,
            learning_rate: 1e-3,
            batch_size: 256,
            max_epochs: 200,
            validation_fraction: 0.2,
            patience: 10,
            max_grad_norm: None,
            decision_weight: 1.0,
            ignore_observations: Vec::new(),
            dagger: DaggerConfig::default(),
        }
    }
}

impl BcConfig {
    /// Checks ranges, naming the offending field (`bc.<field>`).
    pub fn validate(&self) -> Result<()> {
        let mut c = ConfigCheck::detached("bc config");
        c.positive("bc.learning_rate", self.learning_rate);
        c.at_least("bc.batch_size", self.batch_size as u64, 1);
        c.at_least("bc.max_epochs", self.max_epochs as u64, 1);
        c.at_least("bc.patience", self.patience as u64, 1);
        c.open_unit("bc.validation_fraction", self.validation_fraction);
        c.positive("bc.decision_weight", self.decision_weight);
        c.finish()?;
        self.dagger.validate()
    }
}

/// (observation, action) pairs, row-major.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Demonstrations {
    /// Observation size.
    pub d_obs: usize,
    /// Action columns: 1 (an index) for discrete, `d_action` for continuous.
    pub d_act: usize,
    /// `[n, d_obs]`.
    pub obs: Vec<f32>,
    /// `[n, d_act]`.
    pub actions: Vec<f32>,
    /// `[n]`: whether each pair is a decision (weighted by
    /// [`BcConfig::decision_weight`]); empty when none is marked.
    pub decisions: Vec<bool>,
}

impl Demonstrations {
    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.obs.len() / self.d_obs.max(1)
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends one pair.
    pub fn push(&mut self, obs: &[f32], action: &[f32]) {
        self.push_decision(obs, action, false);
    }

    /// Appends one pair, marked as a decision or not.
    pub fn push_decision(&mut self, obs: &[f32], action: &[f32], decision: bool) {
        if decision && self.decisions.is_empty() {
            self.decisions.resize(self.len(), false);
        }
        self.obs.extend_from_slice(obs);
        self.actions.extend_from_slice(action);
        if !self.decisions.is_empty() {
            self.decisions.push(decision);
        }
    }

    /// Number of pairs marked as decisions.
    pub fn decision_count(&self) -> usize {
        self.decisions.iter().filter(|d| **d).count()
    }

    /// A copy with the observations masked by `mask`.
    fn masked(&self, mask: &ObservationMask) -> Self {
        let mut out = self.clone();
        mask.apply(&mut out.obs);
        out
    }

    /// The loss weight of pair `k`.
    fn weight(&self, k: usize, decision_weight: f64) -> f32 {
        if self.decisions.get(k).copied().unwrap_or(false) {
            decision_weight as f32
        } else {
            1.0
        }
    }

    /// Checks the data against a network: sizes, finiteness, and discrete
    /// indices within `0..d_action`.
    pub fn validate(&self, net: &ActorCriticConfig) -> Result<()> {
        let bad = |m: String| Err(PolicyError::Dataset(m));
        if self.d_obs != net.d_obs {
            return bad(format!(
                "observations have {} elements, the network takes {}",
                self.d_obs, net.d_obs
            ));
        }
        let want_act = match net.action_kind {
            ActionKind::Discrete => 1,
            ActionKind::Continuous => net.d_action,
        };
        if self.d_act != want_act {
            return bad(format!(
                "actions have {} columns, expected {want_act}",
                self.d_act
            ));
        }
        if !self.obs.len().is_multiple_of(self.d_obs.max(1))
            || self.actions.len() != self.len() * self.d_act
        {
            return bad("observation and action arrays have inconsistent lengths".to_owned());
        }
        if !self.decisions.is_empty() && self.decisions.len() != self.len() {
            return bad(format!(
                "{} decision marks for {} pairs",
                self.decisions.len(),
                self.len()
            ));
        }
        if self.len() < 2 {
            return bad(format!("need at least 2 pairs, got {}", self.len()));
        }
        if self.obs.iter().chain(&self.actions).any(|v| !v.is_finite()) {
            return bad("non-finite value".to_owned());
        }
        if net.action_kind == ActionKind::Discrete
            && let Some(a) = self
                .actions
                .iter()
                .find(|a| a.fract() != 0.0 || **a < 0.0 || **a >= net.d_action as f32)
        {
            return bad(format!("discrete action {a} outside 0..{}", net.d_action));
        }
        Ok(())
    }
}

/// How a BC run went.
#[derive(Debug, Clone, PartialEq)]
pub struct BcReport {
    /// Mean training loss per epoch.
    pub train_losses: Vec<f64>,
    /// Validation loss per epoch.
    pub val_losses: Vec<f64>,
    /// Epoch (0-based) whose network was kept.
    pub best_epoch: usize,
    /// Its validation loss.
    pub best_val_loss: f64,
    /// Whether patience ran out before `max_epochs`.
    pub stopped_early: bool,
}

/// Trains a fresh `net` on `data` and returns the network with the best
/// validation loss. `rng` draws the init, the split and the shuffles.
pub fn train_bc<B: AutodiffBackend, R: Rng>(
    cfg: &BcConfig,
    net: &ActorCriticConfig,
    data: &Demonstrations,
    device: &B::Device,
    rng: &mut R,
) -> Result<(ActorCritic<B>, BcReport)> {
    let model = net.init::<B, R>(device, rng)?;
    fine_tune_bc(cfg, model, net, data, device, rng)
}

/// Like [`train_bc`], starting from an existing network.
pub fn fine_tune_bc<B: AutodiffBackend, R: Rng>(
    cfg: &BcConfig,
    mut model: ActorCritic<B>,
    net: &ActorCriticConfig,
    data: &Demonstrations,
    device: &B::Device,
    rng: &mut R,
) -> Result<(ActorCritic<B>, BcReport)> {
    cfg.validate()?;
    data.validate(net)?;
    let mask = ObservationMask::new(
        &cfg.ignore_observations,
        net.d_obs,
        "bc.ignore_observations",
    )?;
    let masked;
    let data = if mask.is_empty() {
        data
    } else {
        model = mask.mask_inputs(model, device);
        masked = data.masked(&mask);
        &masked
    };
    let n = data.len();
    let mut inds: Vec<usize> = (0..n).collect();
    inds.shuffle(rng);
    let n_val = ((n as f64 * cfg.validation_fraction).round() as usize).clamp(1, n - 1);
    let (val_inds, train_inds) = inds.split_at(n_val);
    let mut train_inds = train_inds.to_vec();
    let val = gather::<B>(data, val_inds, cfg.decision_weight, device);

    let mut adam = Adam::<B::InnerBackend>::new(AdamConfig {
        eps: 1e-8,
        ..AdamConfig::default()
    });
    let mut best = (f64::INFINITY, 0usize, model.clone());
    let mut report = BcReport {
        train_losses: Vec::new(),
        val_losses: Vec::new(),
        best_epoch: 0,
        best_val_loss: f64::INFINITY,
        stopped_early: false,
    };
    for epoch in 0..cfg.max_epochs {
        train_inds.shuffle(rng);
        let mut sum = 0.0;
        let mut batches = 0usize;
        for mb_inds in train_inds.chunks(cfg.batch_size) {
            let batch = gather::<B>(data, mb_inds, cfg.decision_weight, device);
            let loss = bc_loss(&model, batch, cfg.loss);
            let value = f64::from(loss.clone().into_scalar().elem::<f32>());
            if !value.is_finite() {
                return Err(PolicyError::NonFinite(format!("BC loss at epoch {epoch}")));
            }
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = adam
                .step(cfg.learning_rate, model, grads, cfg.max_grad_norm)
                .0;
            sum += value;
            batches += 1;
        }
        let val_loss = f64::from(
            bc_loss(&model, val.clone(), cfg.loss)
                .into_scalar()
                .elem::<f32>(),
        );
        report.train_losses.push(sum / batches.max(1) as f64);
        report.val_losses.push(val_loss);
        if val_loss < best.0 {
            best = (val_loss, epoch, model.clone());
        } else if epoch - best.1 >= cfg.patience {
            report.stopped_early = true;
            break;
        }
    }
    report.best_epoch = best.1;
    report.best_val_loss = best.0;
    Ok((best.2, report))
}

/// A batch of pairs as tensors.
#[derive(Debug, Clone)]
struct Batch<B: AutodiffBackend> {
    obs: Tensor<B, 2>,     // [m, d_obs]
    actions: Tensor<B, 2>, // [m, d_act]
    /// Loss weights, normalised to sum to 1.
    weights: Tensor<B, 1>, // [m]
}

/// Rows `inds` as a [`Batch`].
fn gather<B: AutodiffBackend>(
    data: &Demonstrations,
    inds: &[usize],
    decision_weight: f64,
    device: &B::Device,
) -> Batch<B> {
    let (d_obs, d_act) = (data.d_obs, data.d_act);
    let mut obs = Vec::with_capacity(inds.len() * d_obs);
    let mut act = Vec::with_capacity(inds.len() * d_act);
    let mut weights = Vec::with_capacity(inds.len());
    for &k in inds {
        obs.extend_from_slice(&data.obs[k * d_obs..(k + 1) * d_obs]);
        act.extend_from_slice(&data.actions[k * d_act..(k + 1) * d_act]);
        weights.push(data.weight(k, decision_weight));
    }
    let total: f32 = weights.iter().sum();
    weights.iter_mut().for_each(|w| *w /= total);
    Batch {
        obs: Tensor::from_data(TensorData::new(obs, [inds.len(), d_obs]), device),
        actions: Tensor::from_data(TensorData::new(act, [inds.len(), d_act]), device),
        weights: Tensor::from_data(TensorData::new(weights, [inds.len()]), device),
    }
}

/// Weighted mean loss of a batch: cross-entropy, squared error or
/// Gaussian NLL.
fn bc_loss<B: AutodiffBackend>(
    model: &ActorCritic<B>,
    batch: Batch<B>,
    loss: BcLoss,
) -> Tensor<B, 1> {
    let Batch {
        obs,
        actions,
        weights,
    } = batch;
    let per_pair: Tensor<B, 1> = if model.is_discrete() {
        let logits = model.actor_out(obs); // [m, n]
        let idx: Tensor<B, 2, Int> = actions.int(); // [m, 1]
        log_softmax(logits, 1)
            .gather(1, idx)
            .flatten::<1>(0, 1)
            .neg() // [m]
    } else {
        match loss {
            BcLoss::Mse => (model.actor_out(obs) - actions)
                .square()
                .mean_dim(1)
                .flatten::<1>(0, 1), // [m]
            BcLoss::GaussianNll => model.log_prob_entropy(obs, actions).0.neg(), // [m]
        }
    };
    (per_pair * weights).sum() // [1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    type B = crate::CpuAutodiff;

    /// A continuous actor with one hidden layer of 8 units on `d_obs` inputs.
    fn tiny_net(d_obs: usize) -> ActorCriticConfig {
        ActorCriticConfig {
            d_obs,
            d_action: 1,
            d_hidden: 8,
            n_hidden: 1,
            action_kind: ActionKind::Continuous,
            init_log_std: 0.0,
        }
    }

    /// One observation labelled 0 as an ordinary pair and 1 as a decision:
    /// the weighted squared error is least at `w / (1 + w)`.
    fn contradicting_pairs(copies: usize) -> Demonstrations {
        let mut data = Demonstrations {
            d_obs: 1,
            d_act: 1,
            ..Demonstrations::default()
        };
        for _ in 0..copies {
            data.push(&[0.5], &[0.0]);
            data.push_decision(&[0.5], &[1.0], true);
        }
        data
    }

    fn fitted_action(decision_weight: f64) -> f32 {
        let net = tiny_net(1);
        let cfg = BcConfig {
            decision_weight,
            learning_rate: 1e-2,
            max_epochs: 300,
            patience: 300,
            batch_size: 64,
            ..BcConfig::default()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (model, _) = train_bc::<B, _>(
            &cfg,
            &net,
            &contradicting_pairs(20),
            &Default::default(),
            &mut rng,
        )
        .expect("BC trains");
        let mut out = Vec::new();
        crate::PolicySnapshot::new(&model).actor_out(&[0.5], 1, &mut out);
        out[0]
    }

    #[test]
    fn decision_weight_pulls_the_fit_towards_marked_pairs() {
        let even = fitted_action(1.0);
        let weighted = fitted_action(9.0);
        assert!((even - 0.5).abs() < 0.05, "unweighted fit {even}");
        assert!((weighted - 0.9).abs() < 0.05, "weighted fit {weighted}");
    }

    #[test]
    fn decision_marks_are_backfilled_for_earlier_pairs() {
        let mut data = Demonstrations {
            d_obs: 1,
            d_act: 1,
            ..Demonstrations::default()
        };
        data.push(&[0.0], &[0.0]);
        data.push(&[1.0], &[0.0]);
        data.push_decision(&[2.0], &[1.0], true);
        assert_eq!(data.decisions, vec![false, false, true]);
        assert_eq!(data.decision_count(), 1);
    }

    #[test]
    fn config_rejects_a_non_positive_decision_weight() {
        let cfg = BcConfig {
            decision_weight: 0.0,
            ..BcConfig::default()
        };
        let err = cfg.validate().expect_err("zero weight").to_string();
        assert!(err.contains("bc.decision_weight"), "{err}");
    }

    /// Two features: the label copies feature 0 (an echo of the previous
    /// action) and is also `0.5 · feature 1` plus a small term only
    /// feature 0 explains.
    fn echo_pairs() -> Demonstrations {
        let mut data = Demonstrations {
            d_obs: 2,
            d_act: 1,
            ..Demonstrations::default()
        };
        for k in 0..200 {
            let x = (k as f32 / 100.0) - 1.0;
            data.push(&[0.5 * x + 0.01 * (k % 3) as f32, x], &[0.5 * x]);
        }
        data
    }

    #[test]
    fn ignored_observations_keep_zero_input_weights_and_do_not_move_the_output() {
        let net = tiny_net(2);
        let cfg = BcConfig {
            learning_rate: 1e-2,
            max_epochs: 50,
            ignore_observations: vec![0],
            ..BcConfig::default()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let (model, report) =
            train_bc::<B, _>(&cfg, &net, &echo_pairs(), &Default::default(), &mut rng)
                .expect("BC trains");
        assert!(
            report.best_val_loss < 0.2 * report.val_losses[0],
            "{report:?}"
        );
        let weights = model.actor[0]
            .weight
            .val()
            .into_data()
            .into_vec::<f32>()
            .expect("f32 weights");
        assert!(
            weights[..8].iter().all(|w| *w == 0.0),
            "row 0: {:?}",
            &weights[..8]
        );
        assert!(weights[8..].iter().any(|w| *w != 0.0));
        let mut snapshot = crate::PolicySnapshot::new(&model);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        snapshot.actor_out(&[-5.0, 0.4], 1, &mut a);
        snapshot.actor_out(&[5.0, 0.4], 1, &mut b);
        assert_eq!(a, b, "feature 0 does not reach the output");
        assert!((a[0] - 0.2).abs() < 0.05, "fit from feature 1: {}", a[0]);
    }

    #[test]
    fn an_ignored_observation_outside_the_network_is_refused() {
        let net = tiny_net(2);
        let cfg = BcConfig {
            ignore_observations: vec![2],
            ..BcConfig::default()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let err = train_bc::<B, _>(&cfg, &net, &echo_pairs(), &Default::default(), &mut rng)
            .expect_err("feature 2 of 2")
            .to_string();
        assert!(err.contains("bc.ignore_observations"), "{err}");
    }
}
