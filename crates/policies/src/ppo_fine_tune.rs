//! Warm-start extras of PPO (the `ppo.fine_tune:` section): what a PPO run
//! that starts from a behaviour clone (`vp train --init-from`) adds to the
//! algorithm so that it does not undo the clone in its first updates.
//!
//! - `freeze_observation_normalizer`: the clone's input scaling stays;
//! - `critic_warmup_updates`: the first updates train the critic alone;
//! - `anchor_coef`: a trust region around the clone's actor outputs
//!   (after DAPG, Rajeswaran et al., 2018);
//! - `expert_coef`: DAgger's relabelling (Ross et al., 2011) inside every
//!   rollout, the scripted expert labelling the states the learner visits.
//!
//! A fine-tune starts from a network ([`Ppo::with_model`]), anchors to it
//! ([`Ppo::with_anchor`]) and gives every env copy an expert
//! ([`Ppo::with_experts`]). The PPO loop calls in at four named points:
//! `FineTune::label` before each rollout step acts, `FineTune::episode_ends`
//! after it, `FineTune::targets` once per update and, per minibatch,
//! `FineTuneTargets::minibatch` and `FineTuneLoss`. With the default config
//! none of them changes a number. A warm start's `init_log_std` is applied by the
//! caller (`ActorCritic::with_log_std`); the field stays in `PpoConfig`
//! because it also shapes fresh networks.

use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Tensor, TensorData};
use envs::{Env, ScriptedExpert, Space};
use serde::{Deserialize, Serialize};
use yaml_config::ConfigCheck;

use super::Ppo;
use crate::{ActorCritic, PolicyError, PolicySnapshot, Result, export_params, import_params};

/// The `ppo.fine_tune:` section. Every default leaves PPO as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FineTuneConfig {
    /// Keep the observation statistics fixed at those the run starts with
    /// (a warm start's): a behaviour-cloned policy is precise to
    /// centimetres on inputs scaled by its demonstrations' statistics, and
    /// PPO's own states (half a million within minutes) would rescale every
    /// input under it. Default false.
    pub freeze_observation_normalizer: bool,
    /// Updates, from the start of the run, that train the critic alone
    /// (the policy loss, the entropy bonus and the terms below are left
    /// out). A warm-started actor meets a critic still at its init, whose
    /// advantages are noise: without this, the first updates undo the
    /// clone. Default 0.
    pub critic_warmup_updates: u64,
    /// Weight λ of a behaviour-cloning trust region: the loss adds
    /// `λ · mean ‖μ(s) − μ₀(s)‖²` over each minibatch, `μ₀` the actor
    /// output of the frozen network set by [`Ppo::with_anchor`].
    /// PPO's ratio clip bounds each update's step but not the drift over
    /// many. Needs `freeze_observation_normalizer` when observations are
    /// normalised. Default 0 (off).
    pub anchor_coef: f64,
    /// Weight of the expert term: the loss adds
    /// `expert_coef · mean ‖μ(s) − a*(s)‖²`, `a*(s)` the action of the
    /// scripted experts set by [`Ppo::with_experts`]
    /// in each state the rollout visited (the experts label, they never
    /// drive). Continuous actions only. Default 0 (off).
    pub expert_coef: f64,
    /// Residual fine-tuning of a frozen chunked policy (`vp train
    /// --init-from` a chunk or diffusion checkpoint): PPO learns a
    /// correction added to its actions ([`crate::ResidualSpec`]). Default
    /// none (and then not written, so configs and checkpoints of runs
    /// without one read as before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residual: Option<crate::ResidualSpec>,
}

impl Default for FineTuneConfig {
    fn default() -> Self {
        Self {
            freeze_observation_normalizer: false,
            critic_warmup_updates: 0,
            anchor_coef: 0.0,
            expert_coef: 0.0,
            residual: None,
        }
    }
}

impl FineTuneConfig {
    /// The keys of this section, which older configs and checkpoints held
    /// directly under `ppo:`.
    pub const KEYS: [&'static str; 4] = [
        "freeze_observation_normalizer",
        "critic_warmup_updates",
        "anchor_coef",
        "expert_coef",
    ];

    /// Checks ranges, naming the offending field (`ppo.fine_tune.<field>`);
    /// `normalize_observation` is the run's `ppo.normalize_observation`.
    pub fn validate(&self, normalize_observation: bool) -> Result<()> {
        let mut c = ConfigCheck::detached("ppo config");
        c.non_negative("ppo.fine_tune.anchor_coef", self.anchor_coef);
        c.non_negative("ppo.fine_tune.expert_coef", self.expert_coef);
        if let Some(r) = &self.residual {
            c.require(
                r.scale.is_finite() && r.scale > 0.0 && r.scale <= 2.0,
                "ppo.fine_tune.residual.scale",
                || format!("in (0, 2], got {}", r.scale),
            );
            // The anchor holds a warm-started network near its start; a
            // residual's network starts fresh (zero correction) and the
            // scale already bounds how far it moves from the base.
            c.require(
                self.anchor_coef == 0.0 && self.expert_coef == 0.0,
                "ppo.fine_tune.residual",
                || "anchor_coef and expert_coef at 0 beside it".to_owned(),
            );
        }
        // The anchor's outputs are those of the clone only on inputs
        // scaled as the clone was trained.
        c.require(
            !(self.anchor_coef > 0.0
                && normalize_observation
                && !self.freeze_observation_normalizer),
            "ppo.fine_tune.anchor_coef",
            || {
                "fine_tune.freeze_observation_normalizer: true beside it when \
                 normalize_observation is on"
                    .to_owned()
            },
        );
        Ok(c.finish()?)
    }

    /// Whether update `update` (1-based) trains the critic alone.
    pub fn critic_only(&self, update: u64) -> bool {
        update <= self.critic_warmup_updates
    }
}

impl<B: AutodiffBackend, E: Env> Ppo<B, E> {
    /// A fresh run whose network starts from `model` (e.g. trained by
    /// behaviour cloning); its shape must match the env.
    pub fn with_model(mut self, model: ActorCritic<B>) -> Result<Self> {
        let params = export_params(&model);
        let map = params.iter().map(|t| (t.name.clone(), t.clone())).collect();
        let model = import_params(self.model, &map, &self.device)?;
        self.model = self.mask.mask_inputs(model, &self.device);
        Ok(self)
    }

    /// Anchors the actor to a frozen copy of `model` (its shape must match
    /// the run's) for [`FineTuneConfig::anchor_coef`].
    pub fn with_anchor(mut self, model: &ActorCritic<B>) -> Result<Self> {
        let anchor = PolicySnapshot::new(model);
        self.fine_tune
            .set_anchor(anchor, self.network.d_obs, self.network.d_action)?;
        Ok(self)
    }

    /// Gives every env copy a scripted expert (`experts[i]` labels copy
    /// `i`'s states) for [`FineTuneConfig::expert_coef`]. Continuous
    /// actions only. Call it before the first rollout: every expert is
    /// reset before its first label.
    pub fn with_experts(mut self, experts: Vec<Box<dyn ScriptedExpert>>) -> Result<Self> {
        if !matches!(self.venv.action_space(), Space::Box(_)) {
            return Err(PolicyError::config(
                "ppo.fine_tune.expert_coef",
                "expert labels need a continuous (Box) action space",
            ));
        }
        self.fine_tune.set_experts(experts)?;
        Ok(self)
    }
}

/// Moves the flat fine-tune keys of an older `ppo` config (a checkpoint's
/// sidecar, a run folder's `config.yaml` written before `ppo.fine_tune:`)
/// into its `fine_tune` section; returns whether anything moved.
pub fn nest_flat_keys(config: &mut serde_json::Value) -> bool {
    let Some(map) = config.as_object_mut() else {
        return false;
    };
    let moved: Vec<(String, serde_json::Value)> = FineTuneConfig::KEYS
        .iter()
        .filter_map(|k| map.remove(*k).map(|v| ((*k).to_owned(), v)))
        .collect();
    if moved.is_empty() {
        return false;
    }
    let section = map
        .entry("fine_tune")
        .or_insert_with(|| serde_json::Value::Object(Default::default()));
    if let Some(section) = section.as_object_mut() {
        section.extend(moved);
    }
    true
}

/// A run's fine-tune state: the config, the frozen anchor and one expert
/// per env copy.
pub(super) struct FineTune {
    pub(super) config: FineTuneConfig,
    /// Host copy of the frozen anchor network.
    anchor: Option<PolicySnapshot>,
    /// One scripted expert per env copy (an expert keeps per-episode state).
    experts: Vec<Box<dyn ScriptedExpert>>,
    /// Per copy: its current episode began on the last step (or the run did).
    episode_start: Vec<bool>,
}

impl FineTune {
    pub(super) fn new(config: FineTuneConfig, num_envs: usize) -> Self {
        Self {
            config,
            anchor: None,
            experts: Vec::new(),
            episode_start: vec![true; num_envs],
        }
    }

    /// Sets the anchor; its network must map `d_obs` observations to
    /// `d_action` outputs.
    pub(super) fn set_anchor(
        &mut self,
        anchor: PolicySnapshot,
        d_obs: usize,
        d_action: usize,
    ) -> Result<()> {
        if anchor.d_obs() != d_obs || anchor.d_action() != d_action {
            return Err(PolicyError::config(
                "anchor",
                format!(
                    "network maps {} observations to {} actions; this run's maps {d_obs} to \
                     {d_action}",
                    anchor.d_obs(),
                    anchor.d_action(),
                ),
            ));
        }
        self.anchor = Some(anchor);
        Ok(())
    }

    /// Sets one expert per env copy; every copy's next label is flagged as
    /// an episode start.
    pub(super) fn set_experts(&mut self, experts: Vec<Box<dyn ScriptedExpert>>) -> Result<()> {
        if experts.len() != self.episode_start.len() {
            return Err(PolicyError::config(
                "ppo.fine_tune.expert_coef",
                format!(
                    "{} experts for {} env copies (one each)",
                    experts.len(),
                    self.episode_start.len()
                ),
            ));
        }
        self.experts = experts;
        self.episode_start.fill(true);
        Ok(())
    }

    /// The anchor network and the experts that the configured terms need,
    /// checked before a rollout is spent on them.
    pub(super) fn require(&self) -> Result<()> {
        if self.config.anchor_coef > 0.0 && self.anchor.is_none() {
            return Err(PolicyError::config(
                "ppo.fine_tune.anchor_coef",
                "is above 0 but the run has no network to anchor to (start it from one: \
                 `vp train --init-from`, or Ppo::with_anchor)",
            ));
        }
        if self.config.expert_coef > 0.0 && self.experts.is_empty() {
            return Err(PolicyError::config(
                "ppo.fine_tune.expert_coef",
                "is above 0 but the run has no experts to label its states (Ppo::with_experts)",
            ));
        }
        Ok(())
    }

    /// Rollout step, before the learner acts: every copy's expert writes
    /// its action for the copy's current state into `out`
    /// (`envs.len() · d_action`), forgetting its episode first where one
    /// began. Without experts, nothing.
    pub(super) fn label<E: Env>(&mut self, envs: &[E], out: &mut [f32]) -> Result<()> {
        if self.experts.is_empty() {
            return Ok(());
        }
        let d_action = out.len() / envs.len().max(1);
        for (((env, expert), start), label) in envs
            .iter()
            .zip(&mut self.experts)
            .zip(&self.episode_start)
            .zip(out.chunks_exact_mut(d_action))
        {
            if *start {
                expert.reset();
            }
            expert.act(env, label)?;
        }
        Ok(())
    }

    /// Rollout step, after the envs stepped: which copies begin a new
    /// episode (`done(i)`: copy `i`'s episode ended and it auto-reset).
    pub(super) fn episode_ends(&mut self, done: impl Fn(usize) -> bool) {
        for (i, start) in self.episode_start.iter_mut().enumerate() {
            *start = done(i);
        }
    }

    /// Once per update: the targets of the terms in this update's loss.
    /// The anchor's actor outputs (logits or means, `d_out` per state) are
    /// computed on the whole rollout `b_obs` of `batch` states at once.
    pub(super) fn targets(
        &mut self,
        b_obs: &[f32],
        batch: usize,
        d_out: usize,
        critic_only: bool,
    ) -> FineTuneTargets {
        let anchored = self.config.anchor_coef > 0.0 && !critic_only;
        let mut anchor_out = Vec::new();
        if anchored && let Some(anchor) = self.anchor.as_mut() {
            anchor.actor_out(b_obs, batch, &mut anchor_out);
        }
        FineTuneTargets {
            anchor_out: anchored.then_some(anchor_out),
            d_out,
            expert_labelled: self.config.expert_coef > 0.0 && !critic_only,
        }
    }
}

/// The targets of one update's fine-tune terms.
pub(super) struct FineTuneTargets {
    /// The anchor's actor outputs on the rollout, `[batch, d_out]`, when
    /// the anchor term is in this update's loss.
    anchor_out: Option<Vec<f32>>,
    d_out: usize,
    /// Whether the expert term is in this update's loss.
    pub(super) expert_labelled: bool,
}

impl FineTuneTargets {
    /// Whether the anchor term is in this update's loss.
    pub(super) fn anchored(&self) -> bool {
        self.anchor_out.is_some()
    }

    /// The minibatch `mb_inds` of the targets: the anchor's outputs and
    /// the experts' labels `b_expert_actions` (`d_act` per state).
    pub(super) fn minibatch<B: AutodiffBackend>(
        &self,
        mb_inds: &[usize],
        b_expert_actions: &[f32],
        d_act: usize,
        device: &B::Device,
    ) -> FineTuneMinibatch<B> {
        let rows = |b: &[f32], width: usize| {
            let data = super::gather(b, width, mb_inds);
            Tensor::from_data(TensorData::new(data, [mb_inds.len(), width]), device)
        };
        FineTuneMinibatch {
            anchor: self.anchor_out.as_deref().map(|b| rows(b, self.d_out)),
            expert: self.expert_labelled.then(|| rows(b_expert_actions, d_act)),
        }
    }
}

/// One minibatch's fine-tune targets.
pub(super) struct FineTuneMinibatch<B: AutodiffBackend> {
    /// The anchor's actor outputs `μ₀(s)`, `[mb, d_action]`.
    anchor: Option<Tensor<B, 2>>,
    /// The experts' labels `a*(s)`, `[mb, d_action]`.
    expert: Option<Tensor<B, 2>>,
}

/// The anchor term `‖μ(s) − μ₀(s)‖²` and the expert term `‖μ(s) − a*(s)‖²`
/// of one minibatch (0 where off), each `[1]`.
pub(super) struct FineTuneLoss<B: AutodiffBackend> {
    pub(super) anchor_loss: Tensor<B, 1>,
    pub(super) expert_loss: Tensor<B, 1>,
}

impl<B: AutodiffBackend> FineTuneLoss<B> {
    /// The terms on `b_obs` (`[mb, d_obs]`); both 0 when `critic_only`.
    pub(super) fn new(
        model: &ActorCritic<B>,
        mb_obs: &Tensor<B, 2>,
        targets: FineTuneMinibatch<B>,
        critic_only: bool,
    ) -> Self {
        let zero = || Tensor::<B, 1>::zeros([1], &mb_obs.device());
        let mean = (!critic_only && (targets.anchor.is_some() || targets.expert.is_some()))
            .then(|| model.actor_out(mb_obs.clone())); // [mb, d_action]
        let squared_distance = |target: Option<Tensor<B, 2>>| match (&mean, target) {
            (Some(mean), Some(target)) => (mean.clone() - target).square().sum_dim(1).mean(), // [1]
            _ => zero(),
        };
        Self {
            anchor_loss: squared_distance(targets.anchor),
            expert_loss: squared_distance(targets.expert),
        }
    }

    /// `loss` plus the weighted terms.
    pub(super) fn add_to(&self, loss: Tensor<B, 1>, config: &FineTuneConfig) -> Tensor<B, 1> {
        loss + self.anchor_loss.clone() * config.anchor_coef
            + self.expert_loss.clone() * config.expert_coef
    }
}
