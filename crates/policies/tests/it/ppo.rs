//! PPO learns CartPole at reduced size, and is deterministic per seed.

use policies::ppo::{RolloutBuffer, explained_variance};
use policies::{Control, FineTuneConfig, Ppo, PpoConfig, PpoRunConfig, compute_gae};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use envs::ScriptedExpert;

use crate::B;

fn cartpole_config(total_timesteps: u64) -> PpoConfig {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../configs/cartpole.yaml"
    ))
    .expect("configs/cartpole.yaml is in the repository");
    let run = PpoRunConfig::from_yaml_str(&yaml, "configs/cartpole.yaml")
        .expect("the shipped config parses");
    PpoConfig {
        total_timesteps,
        ..run.ppo
    }
}

#[test]
fn ppo_learns_cartpole_at_reduced_size() {
    let device = Default::default();
    let cfg = cartpole_config(50_000);
    let mut ppo = Ppo::<B>::new(cfg, "CartPole-v1", 1, &device).expect("valid run");
    let mut updates = Vec::new();
    ppo.train(|_, u| {
        updates.push(u.clone());
        Control::Continue
    })
    .expect("training runs");
    assert_eq!(ppo.global_step(), 50_000 / 512 * 512);
    let last = updates.last().expect("at least one update");
    for key in [
        "losses/policy_loss",
        "losses/value_loss",
        "losses/entropy",
        "losses/approx_kl",
        "losses/clip_frac",
        "losses/explained_variance",
        "charts/learning_rate",
        "charts/sps",
    ] {
        assert!(
            last.scalars()
                .iter()
                .any(|(k, v)| *k == key && v.is_finite()),
            "{key} missing or not finite"
        );
    }
    let returns = ppo.evaluate(20, 1000).expect("evaluation runs");
    let mean = returns.iter().sum::<f64>() / returns.len() as f64;
    // A random policy scores about 22.
    assert!(
        mean > 200.0,
        "mean evaluation return {mean} after 50k steps"
    );
}

#[test]
fn ppo_with_the_same_seed_gives_the_same_first_update() {
    let device = Default::default();
    let run = || {
        let mut ppo =
            Ppo::<B>::new(cartpole_config(4096), "CartPole-v1", 7, &device).expect("valid run");
        ppo.step_update().expect("one update")
    };
    let (a, b) = (run(), run());
    assert_eq!(a.policy_loss, b.policy_loss);
    assert_eq!(a.value_loss, b.value_loss);
    assert_eq!(a.approx_kl, b.approx_kl);
    assert_eq!(a.episodes, b.episodes);
    let mut other =
        Ppo::<B>::new(cartpole_config(4096), "CartPole-v1", 8, &device).expect("valid run");
    let c = other.step_update().expect("one update");
    assert_ne!(a.policy_loss, c.policy_loss);
}

/// The shipped `configs/pendulum.yaml`.
fn pendulum_run_config() -> PpoRunConfig {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../configs/pendulum.yaml"
    ))
    .expect("configs/pendulum.yaml is in the repository");
    PpoRunConfig::from_yaml_str(&yaml, "configs/pendulum.yaml").expect("the shipped config parses")
}

#[test]
fn ppo_trains_pendulum_with_normalisers_without_faults() {
    let device = Default::default();
    let run = pendulum_run_config();
    let cfg = PpoConfig {
        total_timesteps: 2 * run.ppo.batch_size() as u64,
        ..run.ppo
    };
    let mut ppo = Ppo::<B>::new(cfg, "Pendulum-v1", 3, &device).expect("valid run");
    let first = ppo.step_update().expect("update 1");
    let second = ppo.step_update().expect("update 2");
    assert!(
        first.learning_rate > second.learning_rate,
        "learning rate anneals"
    );
    assert!(
        second.episodes.iter().all(|e| e.length == 200),
        "Pendulum episodes are truncated at 200 steps"
    );
    let stats = ppo.venv().normalization_state();
    assert!(
        stats.obs.is_some() && stats.reward.is_some(),
        "both normalisers are on"
    );
    assert!(
        ppo.evaluate(2, 5)
            .expect("evaluation runs")
            .iter()
            .all(|r| r.is_finite())
    );
}

/// The parameters whose names start with `prefix`, concatenated.
fn params(ppo: &Ppo<B>, prefix: &str) -> Vec<f32> {
    policies::export_params(ppo.model())
        .into_iter()
        .filter(|t| t.name.starts_with(prefix))
        .flat_map(|t| t.data)
        .collect()
}

#[test]
fn critic_warmup_updates_train_the_critic_alone_then_both() {
    let device = Default::default();
    let cfg = PpoConfig {
        fine_tune: FineTuneConfig {
            critic_warmup_updates: 2,
            ..FineTuneConfig::default()
        },
        ..cartpole_config(4 * 512)
    };
    let mut ppo = Ppo::<B>::new(cfg, "CartPole-v1", 4, &device).expect("valid run");
    let (actor0, critic0) = (params(&ppo, "actor"), params(&ppo, "critic"));
    ppo.step_update().expect("update 1");
    ppo.step_update().expect("update 2");
    let (actor2, critic2) = (params(&ppo, "actor"), params(&ppo, "critic"));
    assert_eq!(actor0, actor2, "the actor is untouched in the warm-up");
    assert_ne!(critic0, critic2, "the critic trains");
    ppo.step_update().expect("update 3");
    assert_ne!(actor2, params(&ppo, "actor"), "then the actor trains too");
}

#[test]
fn a_frozen_observation_normaliser_keeps_the_statistics_it_started_with() {
    let device = Default::default();
    let cfg = PpoConfig {
        normalize_observation: true,
        fine_tune: FineTuneConfig {
            freeze_observation_normalizer: true,
            ..FineTuneConfig::default()
        },
        ..cartpole_config(2 * 512)
    };
    let mut ppo = Ppo::<B>::new(cfg.clone(), "CartPole-v1", 5, &device).expect("valid run");
    let before = ppo.venv().normalization_state().obs.expect("normaliser on");
    ppo.step_update().expect("update 1");
    assert_eq!(ppo.venv().normalization_state().obs, Some(before.clone()));

    let updating = PpoConfig {
        fine_tune: FineTuneConfig::default(),
        ..cfg
    };
    let mut ppo = Ppo::<B>::new(updating, "CartPole-v1", 5, &device).expect("valid run");
    ppo.step_update().expect("update 1");
    let after = ppo.venv().normalization_state().obs.expect("normaliser on");
    assert!(
        after.count > before.count + 500.0,
        "unfrozen, it counts the rollout"
    );
}

/// 64 Pendulum observations spread over angles and velocities.
fn probe_states() -> Vec<f32> {
    (0..64)
        .flat_map(|i| {
            let t = i as f32 * 0.1;
            [t.cos(), t.sin(), (t * 3.0).sin() * 4.0]
        })
        .collect()
}

/// Mean squared distance between the actor outputs of `ppo` and of
/// `reference` on a fixed spread of Pendulum observations.
fn actor_drift(ppo: &Ppo<B>, reference: &mut policies::PolicySnapshot) -> f64 {
    let obs = probe_states();
    let (mut now, mut then) = (Vec::new(), Vec::new());
    policies::PolicySnapshot::new(ppo.model()).actor_out(&obs, 64, &mut now);
    reference.actor_out(&obs, 64, &mut then);
    now.iter()
        .zip(&then)
        .map(|(a, b)| f64::from(a - b).powi(2))
        .sum::<f64>()
        / now.len() as f64
}

#[test]
fn an_anchored_fine_tune_stays_closer_to_its_anchor_and_reports_the_anchor_loss() {
    let device = Default::default();
    let run = pendulum_run_config();
    let free = PpoConfig {
        total_timesteps: 4 * run.ppo.batch_size() as u64,
        learning_rate: 3e-3,
        anneal_lr: false,
        // An anchor is the clone only on the inputs it was trained on.
        fine_tune: FineTuneConfig {
            freeze_observation_normalizer: true,
            ..FineTuneConfig::default()
        },
        ..run.ppo
    };
    let drift_after_updates = |cfg: PpoConfig| {
        let mut ppo = Ppo::<B>::new(cfg.clone(), "Pendulum-v1", 7, &device).expect("valid run");
        let start = ppo.model().clone();
        let mut reference = policies::PolicySnapshot::new(&start);
        if cfg.fine_tune.anchor_coef > 0.0 {
            ppo = ppo.with_anchor(&start).expect("same network");
        }
        let mut anchor_losses = Vec::new();
        for _ in 0..4 {
            let upd = ppo.step_update().expect("update");
            anchor_losses.push(upd.anchor_loss);
        }
        (actor_drift(&ppo, &mut reference), anchor_losses)
    };
    let (free_drift, free_losses) = drift_after_updates(free.clone());
    let anchored = PpoConfig {
        fine_tune: FineTuneConfig {
            anchor_coef: 10.0,
            ..free.fine_tune.clone()
        },
        ..free.clone()
    };
    let (anchored_drift, anchored_losses) = drift_after_updates(anchored.clone());
    assert!(free_losses.iter().all(Option::is_none));
    assert!(
        anchored_losses
            .iter()
            .all(|l| l.is_some_and(|l| l.is_finite() && l >= 0.0)),
        "{anchored_losses:?}"
    );
    assert!(free_drift > 0.0);
    assert!(
        anchored_drift < 0.5 * free_drift,
        "anchored drift {anchored_drift} against free {free_drift}"
    );

    // An anchor weight without an anchor network is an error, not a no-op.
    let mut orphan = Ppo::<B>::new(anchored, "Pendulum-v1", 7, &device).expect("valid run");
    let err = orphan.step_update().expect_err("no anchor set").to_string();
    assert!(err.contains("anchor_coef"), "{err}");
}

#[test]
fn evaluation_scores_the_same_seeded_episodes_whatever_the_number_of_copies() {
    let device = Default::default();
    // An untrained CartPole policy: episodes of very different lengths, so
    // "the first to finish" would pick short ones with several copies.
    let ppo = Ppo::<B>::new(cartpole_config(512), "CartPole-v1", 11, &device).expect("valid run");
    let policy = policies::PolicySnapshot::new(ppo.model());
    let run = |copies: usize| {
        let venv = envs::VecEnv::make("CartPole-v1", copies).expect("registered env");
        policies::evaluate_episodes(&policy, venv, 7, 40, None).expect("evaluation runs")
    };
    let one = run(1);
    assert_eq!(one.len(), 7);
    assert!(
        one.iter().any(|e| e.length != one[0].length),
        "lengths vary: {one:?}"
    );
    assert_eq!(run(3), one, "three copies, waves of fresh seeds");
    assert_eq!(run(7), one, "one copy per episode");
}

#[test]
fn an_anchored_categorical_policy_compares_logits_per_state() {
    let device = Default::default();
    let cfg = PpoConfig {
        fine_tune: FineTuneConfig {
            anchor_coef: 1.0,
            ..FineTuneConfig::default()
        },
        ..cartpole_config(2 * 512)
    };
    let ppo = Ppo::<B>::new(cfg, "CartPole-v1", 12, &device).expect("valid run");
    let start = ppo.model().clone();
    let mut ppo = ppo.with_anchor(&start).expect("same network");
    let first = ppo.step_update().expect("update 1");
    // Before the first step the actor is its anchor: the first minibatch's
    // term is 0, and it stays small after one update.
    let loss = first.anchor_loss.expect("anchored");
    assert!(loss.is_finite() && (0.0..0.1).contains(&loss), "{loss}");
    assert!(ppo.step_update().expect("update 2").anchor_loss.is_some());
}

/// A Pendulum "expert" that always asks for the same torque, counting
/// its resets (episode starts) in a counter its copies share.
struct ConstantTorque {
    torque: f32,
    starts: Arc<AtomicUsize>,
}

impl ConstantTorque {
    /// One expert per env copy, sharing one reset counter.
    fn per_copy(torque: f32, copies: usize) -> (Vec<Box<dyn ScriptedExpert>>, Arc<AtomicUsize>) {
        let starts = Arc::new(AtomicUsize::new(0));
        let experts = (0..copies)
            .map(|_| {
                Box::new(Self {
                    torque,
                    starts: starts.clone(),
                }) as Box<dyn ScriptedExpert>
            })
            .collect();
        (experts, starts)
    }
}

impl ScriptedExpert for ConstantTorque {
    fn task_id(&self) -> &'static str {
        "Pendulum-v1"
    }
    fn reset(&mut self) {
        self.starts.fetch_add(1, Ordering::Relaxed);
    }
    fn act(&mut self, _env: &dyn envs::Env, action: &mut [f32]) -> envs::Result<()> {
        assert_eq!(action.len(), 1, "one torque");
        action.fill(self.torque);
        Ok(())
    }
}

/// Mean actor output (the torque's mean) on [`probe_states`].
fn mean_torque(ppo: &Ppo<B>) -> f64 {
    let obs = probe_states();
    let mut out = Vec::new();
    policies::PolicySnapshot::new(ppo.model()).actor_out(&obs, 64, &mut out);
    out.iter().map(|&a| f64::from(a)).sum::<f64>() / out.len() as f64
}

#[test]
fn an_expert_term_pulls_the_actor_towards_the_expert_labels_of_its_own_states() {
    let device = Default::default();
    let run = pendulum_run_config();
    let cfg = PpoConfig {
        total_timesteps: 6 * run.ppo.batch_size() as u64,
        learning_rate: 3e-3,
        anneal_lr: false,
        fine_tune: FineTuneConfig {
            expert_coef: 10.0,
            ..FineTuneConfig::default()
        },
        ..run.ppo
    };
    let mut ppo = Ppo::<B>::new(cfg.clone(), "Pendulum-v1", 8, &device).expect("valid run");
    let before = mean_torque(&ppo);
    ppo = ppo
        .with_experts(ConstantTorque::per_copy(1.5, cfg.num_envs).0)
        .expect("a continuous action space");
    let mut losses = Vec::new();
    for _ in 0..6 {
        let upd = ppo.step_update().expect("update");
        assert!(upd.anchor_loss.is_none());
        assert!(
            upd.scalars()
                .iter()
                .any(|(k, _)| *k == "losses/expert_loss"),
            "logged"
        );
        losses.push(upd.expert_loss.expect("expert term on"));
    }
    let after = mean_torque(&ppo);
    assert!(
        (after - 1.5).abs() < 0.5 * (before - 1.5).abs(),
        "mean torque {before} -> {after}, the expert says 1.5"
    );
    assert!(losses[5] < 0.5 * losses[0], "{losses:?}");

    // Pendulum's episodes are 200 steps: the expert hears of every copy's
    // first episode and of each one after (none ends on the last step).
    let (experts, starts) = ConstantTorque::per_copy(0.0, cfg.num_envs);
    let mut counting = Ppo::<B>::new(cfg.clone(), "Pendulum-v1", 8, &device)
        .expect("valid run")
        .with_experts(experts)
        .expect("a continuous action space");
    let mut episodes = 0;
    for _ in 0..6 {
        episodes += counting.step_update().expect("update").episodes.len();
    }
    assert_eq!(episodes, cfg.num_envs * (cfg.num_steps * 6 / 200));
    assert_eq!(starts.load(Ordering::Relaxed), cfg.num_envs + episodes);

    // A weight without an expert is an error, and a discrete env has no
    // labels to fit.
    let mut orphan = Ppo::<B>::new(cfg.clone(), "CartPole-v1", 8, &device).expect("valid run");
    let err = orphan.step_update().expect_err("no expert set").to_string();
    assert!(err.contains("expert_coef"), "{err}");
    let err = orphan
        .with_experts(ConstantTorque::per_copy(0.0, cfg.num_envs).0)
        .expect_err("discrete actions")
        .to_string();
    assert!(err.contains("continuous"), "{err}");
}

#[test]
fn ignored_observation_features_never_reach_the_actor() {
    let device = Default::default();
    let run = pendulum_run_config();
    let cfg = PpoConfig {
        total_timesteps: 3 * run.ppo.batch_size() as u64,
        learning_rate: 3e-3,
        // Pendulum's angular velocity.
        ignore_observations: vec![2],
        ..run.ppo
    };
    let mut ppo = Ppo::<B>::new(cfg.clone(), "Pendulum-v1", 9, &device).expect("valid run");
    for _ in 0..3 {
        ppo.step_update().expect("update");
    }
    // A network that did see the feature loses it on the way in.
    let seeing = Ppo::<B>::new(
        PpoConfig {
            ignore_observations: Vec::new(),
            ..cfg.clone()
        },
        "Pendulum-v1",
        10,
        &device,
    )
    .expect("valid run");
    let given = Ppo::<B>::new(cfg.clone(), "Pendulum-v1", 11, &device)
        .expect("valid run")
        .with_model(seeing.model().clone())
        .expect("same shape");
    for ppo in [&ppo, &given] {
        let mut policy = policies::PolicySnapshot::new(ppo.model());
        let (mut slow, mut fast) = (Vec::new(), Vec::new());
        policy.actor_out(&[0.3, 0.9, -4.0], 1, &mut slow);
        policy.actor_out(&[0.3, 0.9, 6.0], 1, &mut fast);
        assert_eq!(slow, fast, "the velocity does not move the actor");
    }
    // Nor does PPO learn from it.
    assert!(
        ppo.buffer().obs.chunks_exact(3).all(|row| row[2] == 0.0),
        "zeroed in the rollout"
    );
    let mut policy = policies::PolicySnapshot::new(ppo.model());
    let (mut slow, mut fast) = (Vec::new(), Vec::new());
    policy.actor_out(&[0.3, 0.9, -4.0], 1, &mut slow);
    policy.actor_out(&[0.3, 0.9, 6.0], 1, &mut fast);
    assert_eq!(slow, fast, "the velocity does not move the actor");
    let mut other = Vec::new();
    policy.actor_out(&[0.9, 0.3, 6.0], 1, &mut other);
    assert_ne!(other, fast, "the other features still do");

    let bad = PpoConfig {
        ignore_observations: vec![3],
        ..cfg
    };
    let err = Ppo::<B>::new(bad, "Pendulum-v1", 9, &device)
        .expect_err("Pendulum has 3 features")
        .to_string();
    assert!(err.contains("ppo.ignore_observations"), "{err}");
}

/// An env whose observation is its own step count; episodes of `len` steps.
struct StepCounter {
    space: envs::Space,
    len: u32,
    step: u32,
}

impl envs::Env for StepCounter {
    fn id(&self) -> &str {
        "StepCounter"
    }
    fn observation_space(&self) -> &envs::Space {
        &self.space
    }
    fn action_space(&self) -> &envs::Space {
        &self.space
    }
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
    fn reset_into(&mut self, _seed: Option<u64>, obs: &mut [f32]) -> envs::Result<envs::Info> {
        self.step = 0;
        obs[0] = 0.0;
        Ok(envs::Info::default())
    }
    fn step_into(
        &mut self,
        _action: envs::Action<'_>,
        obs: &mut [f32],
    ) -> envs::Result<envs::Transition> {
        self.step += 1;
        obs[0] = self.step as f32;
        Ok(envs::Transition {
            reward: 0.0,
            terminated: self.step == self.len,
            truncated: false,
            info: envs::Info::default(),
        })
    }
}

/// Labels each state with the step count it reads from the env itself,
/// and checks that its resets fall on step 0.
#[derive(Default)]
struct StepReader {
    just_reset: bool,
}

impl ScriptedExpert for StepReader {
    fn task_id(&self) -> &'static str {
        "StepCounter"
    }
    fn reset(&mut self) {
        self.just_reset = true;
    }
    fn act(&mut self, env: &dyn envs::Env, action: &mut [f32]) -> envs::Result<()> {
        let env = env
            .as_any()
            .and_then(|a| a.downcast_ref::<StepCounter>())
            .expect("a StepCounter");
        assert_eq!(self.just_reset, env.step == 0, "the reset marks step 0");
        self.just_reset = false;
        action[0] = env.step as f32;
        Ok(())
    }
}

#[test]
fn expert_labels_describe_the_state_each_observation_was_taken_in() {
    let device = Default::default();
    let space = envs::Space::Box(envs::BoxSpace::new(vec![-100.0], vec![100.0]));
    // Episodes of different lengths per copy, so same-step auto-resets
    // fall at different rows.
    let copies = (0..3)
        .map(|i| StepCounter {
            space: space.clone(),
            len: 5 + 2 * i,
            step: 0,
        })
        .collect();
    let venv = envs::VecEnv::new(copies).expect("same spaces");
    let cfg = PpoConfig {
        num_envs: 3,
        num_steps: 32,
        num_minibatches: 4,
        total_timesteps: 3 * 32,
        fine_tune: FineTuneConfig {
            expert_coef: 1.0,
            ..FineTuneConfig::default()
        },
        ..PpoConfig::default()
    };
    let mut ppo = Ppo::<B, StepCounter>::from_venv(cfg, "StepCounter", venv, 3, &device)
        .expect("valid run")
        .with_experts((0..3).map(|_| Box::<StepReader>::default() as _).collect())
        .expect("continuous actions");
    let episodes = ppo.collect_rollout().expect("rollout");
    assert!(!episodes.is_empty(), "every copy ended episodes");
    let buffer = ppo.buffer();
    assert_eq!(buffer.obs.len(), 3 * 32);
    assert_eq!(
        buffer.expert_actions, buffer.obs,
        "label row t is obs row t's state"
    );
    assert!(buffer.obs.contains(&0.0) && buffer.obs.contains(&8.0));
}

/// A one-copy rollout with the given columns.
fn buffer(
    rewards: &[f32],
    values: &[f32],
    term: &[bool],
    trunc: &[bool],
    last: f32,
) -> RolloutBuffer {
    let t = rewards.len();
    let mut b = RolloutBuffer::new(t, 1, 1, 1);
    b.rewards = rewards.to_vec();
    b.values = values.to_vec();
    b.terminated = term.to_vec();
    b.truncated = trunc.to_vec();
    b.last_values = vec![last];
    b
}

#[test]
fn gae_matches_a_hand_computed_recursion() {
    let (g, l) = (0.9f64, 0.8f64);
    let b = buffer(
        &[1.0, 2.0, 3.0],
        &[0.5, 0.25, 1.0],
        &[false; 3],
        &[false; 3],
        2.0,
    );
    let (adv, ret) = compute_gae(&b, g, l);
    let (g, l) = (g as f32, l as f32);
    let d2 = 3.0 + g * 2.0 - 1.0;
    let d1 = 2.0 + g * 1.0 - 0.25;
    let d0 = 1.0 + g * 0.25 - 0.5;
    let a2 = d2;
    let a1 = d1 + g * l * a2;
    let a0 = d0 + g * l * a1;
    for (got, want) in adv.iter().zip([a0, a1, a2]) {
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }
    assert!((ret[0] - (a0 + 0.5)).abs() < 1e-6);
}

#[test]
fn gae_does_not_bootstrap_past_termination() {
    let b = buffer(
        &[1.0, 1.0],
        &[0.0, 5.0],
        &[true, false],
        &[false, false],
        7.0,
    );
    let (adv, _) = compute_gae(&b, 0.99, 0.95);
    // Step 0 terminated: no next value, no chaining into step 1.
    assert!((adv[0] - 1.0).abs() < 1e-6);
    assert!((adv[1] - (1.0 + 0.99 * 7.0 - 5.0)).abs() < 1e-5);
}

#[test]
fn gae_bootstraps_value_on_truncation() {
    let mut b = buffer(
        &[1.0, 1.0],
        &[0.0, 5.0],
        &[false, false],
        &[true, false],
        7.0,
    );
    b.final_values = vec![10.0, 0.0];
    let (adv, _) = compute_gae(&b, 0.5, 0.95);
    // Truncated: bootstrap from V(final obs) = 10, but do not chain into
    // the next episode's advantage.
    assert!((adv[0] - (1.0 + 0.5 * 10.0)).abs() < 1e-6, "{}", adv[0]);
}

#[test]
fn gae_chains_per_env_in_a_vector_rollout() {
    // Two copies interleaved [t, i]; copy 1 terminates at t = 0.
    let mut b = RolloutBuffer::new(2, 2, 1, 1);
    b.rewards = vec![1.0, 2.0, 3.0, 4.0];
    b.values = vec![0.0; 4];
    b.terminated = vec![false, true, false, false];
    b.last_values = vec![0.0, 0.0];
    let (adv, _) = compute_gae(&b, 1.0, 1.0);
    assert_eq!(adv, vec![4.0, 2.0, 3.0, 4.0]);
}

#[test]
fn explained_variance_is_one_for_perfect_values_and_zero_for_the_mean() {
    let y = [1.0, 2.0, 3.0, 4.0];
    assert!((explained_variance(&y, &y) - 1.0).abs() < 1e-12);
    assert!(explained_variance(&[2.5; 4], &y).abs() < 1e-12);
}

#[test]
fn learning_rate_anneals_linearly_to_zero() {
    let cfg = PpoConfig {
        total_timesteps: 512 * 10,
        ..PpoConfig::default()
    };
    assert_eq!(cfg.num_updates(), 10);
    assert!((cfg.learning_rate_at(1) - 2.5e-4).abs() < 1e-15);
    assert!((cfg.learning_rate_at(6) - 2.5e-4 * 0.5).abs() < 1e-15);
    assert!((cfg.learning_rate_at(10) - 2.5e-5).abs() < 1e-15);
}

#[test]
fn config_rejects_minibatches_that_do_not_divide_the_batch() {
    let cfg = PpoConfig {
        num_minibatches: 3,
        ..PpoConfig::default()
    };
    let err = cfg
        .validate()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("ppo.num_minibatches"), "{err}");
}

#[test]
fn task_config_ppo_section_is_parsed_strictly() {
    let ok = serde_json::json!({"clip_coef": 0.1, "num_envs": 8});
    let cfg = PpoConfig::from_section(&ok, "configs/dishwashing.yaml").expect("valid section");
    assert_eq!((cfg.clip_coef, cfg.num_envs, cfg.num_steps), (0.1, 8, 128));
    let bad = serde_json::json!({"clip_coeff": 0.1});
    let err = PpoConfig::from_section(&bad, "configs/dishwashing.yaml")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("clip_coeff") && err.contains("dishwashing.yaml"),
        "{err}"
    );
}

#[test]
fn run_config_rejects_unknown_keys() {
    let yaml = "env_id: CartPole-v1\nppo:\n  learning_rat: 0.1\n";
    let err = PpoRunConfig::from_yaml_str(yaml, "configs/x.yaml")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("learning_rat"), "{err}");
    assert!(err.contains("configs/x.yaml"), "{err}");
}

#[test]
fn a_flat_fine_tune_key_names_its_new_place_with_file_and_line() {
    let yaml = "env_id: Pendulum-v1\nppo:\n  num_envs: 4\n  anchor_coef: 1.0\n";
    let err = PpoRunConfig::from_yaml_str(yaml, "configs/x.yaml")
        .expect_err("a flat fine-tune key")
        .to_string();
    assert!(
        err.starts_with("configs/x.yaml:4:")
            && err.contains("ppo.anchor_coef moved to ppo.fine_tune.anchor_coef"),
        "{err}"
    );
    // A task config's section, whose file cannot be read back here.
    let section = serde_json::json!({"critic_warmup_updates": 3});
    let err = PpoConfig::from_section(&section, "no/such/task.yaml")
        .expect_err("a flat fine-tune key")
        .to_string();
    assert!(
        err.contains("no/such/task.yaml")
            && err.contains("ppo.critic_warmup_updates")
            && err.contains("moved to ppo.fine_tune.critic_warmup_updates"),
        "{err}"
    );
    // A task config on disk: the error points at the key's line.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("task.yaml");
    std::fs::write(
        &path,
        "training: {}\nppo:\n  num_steps: 64\n  expert_coef: 1.0\n",
    )
    .expect("written");
    let file = path.display().to_string();
    let section = serde_json::json!({"num_steps": 64, "expert_coef": 1.0});
    let err = PpoConfig::from_section(&section, &file)
        .expect_err("a flat fine-tune key")
        .to_string();
    assert!(
        err.starts_with(&format!("{file}:4:"))
            && err.contains("ppo.expert_coef moved to ppo.fine_tune.expert_coef"),
        "{err}"
    );
    // The nested form parses, and its checks name the nested key.
    let yaml = "env_id: Pendulum-v1\nppo:\n  fine_tune:\n    critic_warmup_updates: 3\n";
    let run = PpoRunConfig::from_yaml_str(yaml, "configs/x.yaml").expect("nested keys");
    assert_eq!(run.ppo.fine_tune.critic_warmup_updates, 3);
    let yaml = "env_id: Pendulum-v1\nppo:\n  normalize_observation: true\n  fine_tune:\n    \
                anchor_coef: 1.0\n";
    let err = PpoRunConfig::from_yaml_str(yaml, "configs/x.yaml")
        .expect_err("an anchor on a moving normaliser")
        .to_string();
    assert!(err.contains("ppo.fine_tune.anchor_coef"), "{err}");
}
