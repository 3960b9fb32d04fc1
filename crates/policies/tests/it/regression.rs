//! Seeded training is bit-identical to the numbers recorded before PPO's
//! module was split into config, fine-tune, masking and resume pieces
//! (issue 13): the same seed must give the same losses, returns and
//! weights, so the RNG draw order and every floating-point operation stay
//! as they were. The constants were printed by this file run on the code
//! before the split (commit 50ef732).

use envs::{DishwashingConfig, DishwashingEnv, DishwashingExpert, Env, ScriptedExpert};
use policies::{
    BcConfig, BcLoss, Dagger, DaggerConfig, FineTuneConfig, NamedTensor, Ppo, PpoConfig,
    PpoRunConfig, PpoUpdate, dagger, record_demonstrations,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::B;

/// FNV-1a-64 over every parameter's name and the bits of its values.
fn checksum(params: &[NamedTensor]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for t in params {
        eat(t.name.as_bytes());
        for v in &t.data {
            eat(&v.to_bits().to_le_bytes());
        }
    }
    h
}

/// An update's numbers: losses, KL, clip share, explained variance,
/// gradient norm, learning rate, step, the optional anchor and expert
/// losses, and the count and summed return of the episodes that ended.
fn trace(u: &PpoUpdate, out: &mut Vec<f64>) {
    out.extend([
        u.policy_loss,
        u.value_loss,
        u.entropy,
        u.approx_kl,
        u.clip_frac,
        u.explained_variance,
        u.grad_norm,
        u.learning_rate,
        u.global_step as f64,
        u.epochs as f64,
        u.anchor_loss.unwrap_or(-1.0),
        u.expert_loss.unwrap_or(-1.0),
        u.episodes.len() as f64,
        u.episodes.iter().map(|e| e.episode_return).sum::<f64>(),
    ]);
}

/// Fails with the numbers it got, printed so they can be pasted back.
fn assert_same(name: &str, got: &[f64], got_sum: u64, want: &[f64], want_sum: u64) {
    let same = got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
    assert!(
        same && got_sum == want_sum,
        "{name}: got\n{got:?}\nweights {got_sum:#018x}\nwant\n{want:?}\nweights {want_sum:#018x}"
    );
}

fn run_config(file: &str) -> PpoRunConfig {
    let path = format!("{}/../../configs/{file}", env!("CARGO_MANIFEST_DIR"));
    let yaml = std::fs::read_to_string(&path).expect("the config is in the repository");
    PpoRunConfig::from_yaml_str(&yaml, &path).expect("the shipped config parses")
}

#[test]
fn cartpole_seed_1_trains_as_before_the_split() {
    let run = run_config("cartpole.yaml");
    let cfg = PpoConfig {
        total_timesteps: 3 * run.ppo.batch_size() as u64,
        ..run.ppo
    };
    let mut ppo = Ppo::<B>::new(cfg, "CartPole-v1", 1, &Default::default()).expect("valid run");
    let mut got = Vec::new();
    for _ in 0..3 {
        trace(&ppo.step_update().expect("update"), &mut got);
    }
    got.extend(ppo.evaluate(3, 1000).expect("evaluation runs"));
    let sum = checksum(&policies::export_params(ppo.model()));
    assert_same("cartpole", &got, sum, CARTPOLE, CARTPOLE_WEIGHTS);
}

#[test]
fn pendulum_with_normalisers_trains_as_before_the_split() {
    let run = run_config("pendulum.yaml");
    let cfg = PpoConfig {
        total_timesteps: 2 * run.ppo.batch_size() as u64,
        ..run.ppo
    };
    let mut ppo = Ppo::<B>::new(cfg, "Pendulum-v1", 3, &Default::default()).expect("valid run");
    let mut got = Vec::new();
    for _ in 0..2 {
        trace(&ppo.step_update().expect("update"), &mut got);
    }
    got.extend(ppo.evaluate(2, 5).expect("evaluation runs"));
    let sum = checksum(&policies::export_params(ppo.model()));
    assert_same("pendulum", &got, sum, PENDULUM, PENDULUM_WEIGHTS);
}

/// A Pendulum "expert" for one env copy: its torque grows with the steps
/// since its last reset, so a reset at the wrong step shows in the labels.
#[derive(Default)]
struct Ramp {
    steps: u32,
}

impl ScriptedExpert for Ramp {
    fn task_id(&self) -> &'static str {
        "Pendulum-v1"
    }
    fn reset(&mut self) {
        self.steps = 0;
    }
    fn act(&mut self, _env: &dyn Env, action: &mut [f32]) -> envs::Result<()> {
        action[0] = (0.01 * self.steps as f32).min(2.0);
        self.steps += 1;
        Ok(())
    }
}

/// One [`Ramp`] per copy.
fn ramps(copies: usize) -> Vec<Box<dyn ScriptedExpert>> {
    (0..copies).map(|_| Box::<Ramp>::default() as _).collect()
}

fn fine_tune_config() -> PpoConfig {
    PpoConfig {
        total_timesteps: 6 * 200,
        num_envs: 2,
        num_steps: 100,
        num_minibatches: 4,
        update_epochs: 3,
        learning_rate: 3e-3,
        target_kl: Some(0.05),
        normalize_observation: true,
        normalize_reward: true,
        init_log_std: -0.5,
        ignore_observations: vec![2],
        fine_tune: FineTuneConfig {
            freeze_observation_normalizer: true,
            critic_warmup_updates: 1,
            anchor_coef: 2.0,
            expert_coef: 1.0,
            residual: None,
        },
        ..PpoConfig::default()
    }
}

#[test]
fn a_pendulum_fine_tune_with_every_extra_trains_and_resumes_as_before_the_split() {
    let device = Default::default();
    let cfg = fine_tune_config();
    let start = Ppo::<B>::new(cfg.clone(), "Pendulum-v1", 21, &device)
        .expect("valid run")
        .model()
        .clone();
    let mut ppo = Ppo::<B>::new(cfg.clone(), "Pendulum-v1", 4, &device)
        .expect("valid run")
        .with_model(start.clone())
        .expect("same shape")
        .with_anchor(&start)
        .expect("same shape")
        .with_experts(ramps(2))
        .expect("continuous actions");
    let mut got = Vec::new();
    for _ in 0..3 {
        trace(&ppo.step_update().expect("update"), &mut got);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    ppo.save(dir.path(), "model_latest").expect("saved");
    let mut resumed = Ppo::<B>::resume(&dir.path().join("model_latest"), &device)
        .expect("resumes")
        .with_anchor(&start)
        .expect("same shape")
        .with_experts(ramps(2))
        .expect("continuous actions");
    trace(&resumed.step_update().expect("update"), &mut got);
    trace(&ppo.step_update().expect("update"), &mut got);
    let sum = checksum(&policies::export_params(resumed.model()))
        ^ checksum(&policies::export_params(ppo.model())).rotate_left(1);
    assert_same("fine-tune", &got, sum, FINE_TUNE, FINE_TUNE_WEIGHTS);
}

#[test]
fn a_short_dagger_fit_on_dishwashing_trains_as_before_the_split() {
    let cfg = DishwashingConfig {
        num_dishes: 2,
        wash_time_s: 2.0,
        episode_seconds: 20.0,
        ..DishwashingConfig::default()
    };
    let mut env = DishwashingEnv::new(cfg).expect("valid config");
    let mut expert = DishwashingExpert::new(1.0, 0);
    let bc = BcConfig {
        loss: BcLoss::GaussianNll,
        decision_weight: 5.0,
        max_epochs: 3,
        ignore_observations: vec![5, 6],
        dagger: DaggerConfig {
            rounds: 1,
            episodes_per_round: 1,
            demo_noise: 0.05,
            ..DaggerConfig::default()
        },
        ..BcConfig::default()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (data, units) =
        record_demonstrations(&mut env, &mut expert, 2, 0, bc.dagger.demo_noise, &mut rng)
            .expect("the expert demonstrates");
    let net = policies::ppo::network_config(
        &PpoConfig::default(),
        env.observation_space(),
        env.action_space(),
    )
    .expect("spaces");
    let mut got: Vec<f64> = units.iter().map(|&u| f64::from(u)).collect();
    got.push(data.len() as f64);
    got.push(data.decision_count() as f64);
    let Dagger {
        model,
        obs_stats,
        report,
    } = dagger::<B, _, _>(
        &bc,
        &net,
        data,
        &mut env,
        &mut expert,
        1_000,
        &Default::default(),
        &mut rng,
    )
    .expect("DAgger trains");
    got.extend(&report.initial.train_losses);
    got.extend(&report.initial.val_losses);
    for round in &report.rounds {
        got.push(round.pairs as f64);
        got.extend(&round.bc.train_losses);
        got.extend(&round.bc.val_losses);
    }
    got.extend(&obs_stats.mean);
    let sum = checksum(&policies::export_params(&model));
    assert_same("dagger", &got, sum, DAGGER, DAGGER_WEIGHTS);
}

/// A checkpoint written before the split (`tests/fixtures/ppo_flat_config`,
/// a Pendulum run of one update with the fine-tune keys flat under the
/// config: `critic_warmup_updates: 1`, `freeze_observation_normalizer:
/// true`) resumes with those settings and continues as it did then.
#[test]
fn a_checkpoint_with_the_flat_fine_tune_keys_resumes_as_before_the_split() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/ppo_flat_config/model_latest"
    );
    let mut resumed =
        Ppo::<B>::resume(std::path::Path::new(path), &Default::default()).expect("resumes");
    let cfg = resumed.config();
    assert_eq!(cfg.fine_tune.critic_warmup_updates, 1);
    assert!(cfg.fine_tune.freeze_observation_normalizer);
    assert_eq!(cfg.ignore_observations, vec![2]);
    let mut got = Vec::new();
    trace(&resumed.step_update().expect("update"), &mut got);
    let sum = checksum(&policies::export_params(resumed.model()));
    let want = [
        -2.804200630635023e-5,
        1790.9920043945313,
        1.4189584851264954,
        2.0954757928848267e-7,
        0.0,
        0.01281434114052138,
        37.03982005174371,
        0.0001875,
        128.0,
        2.0,
        -1.0,
        -1.0,
        0.0,
        -0.0,
    ];
    assert_same("flat checkpoint", &got, sum, &want, 0x8e71_6f20_cc77_ad59);
}
const CARTPOLE: &[f64] = &[
    -0.0035487251152517274,
    54.15833783149719,
    0.6928679756820202,
    0.0005846444983035326,
    0.0,
    0.007015858674589981,
    9.086768023798973,
    0.00025,
    512.0,
    4.0,
    -1.0,
    -1.0,
    18.0,
    408.0,
    -0.002312233016709797,
    37.824084758758545,
    0.6913443692028522,
    0.00037098932079970837,
    0.0,
    -0.011885090853469116,
    7.8195178910436995,
    0.0001666666666666667,
    1024.0,
    4.0,
    -1.0,
    -1.0,
    24.0,
    583.0,
    -0.0009424325185136695,
    41.99079346656799,
    0.6901938207447529,
    8.152192458510399e-5,
    0.0,
    -0.005858002165407772,
    8.438406052394534,
    8.333333333333334e-5,
    1536.0,
    4.0,
    -1.0,
    -1.0,
    21.0,
    501.0,
    107.0,
    89.0,
    100.0,
];
const CARTPOLE_WEIGHTS: u64 = 0xdb68_882d_1a3b_5737;
const PENDULUM: &[f64] = &[
    -0.0001907707975078665,
    2.3959934536367653,
    1.424740082025528,
    0.0019157822825945914,
    0.0068115234375,
    -0.1617456748121877,
    0.28945243280640864,
    0.001,
    4096.0,
    10.0,
    -1.0,
    -1.0,
    20.0,
    -25129.433474055808,
    -0.0018058092398860026,
    1.4415340423583984,
    1.4156055431813002,
    0.0031788299966137856,
    0.0185546875,
    0.007442426058307583,
    0.26240402947019054,
    0.0005,
    8192.0,
    10.0,
    -1.0,
    -1.0,
    20.0,
    -25087.880576605676,
    -1344.2556767564786,
    -986.3054604453802,
];
const PENDULUM_WEIGHTS: u64 = 0xfc17_f033_dfd6_dcfe;
const FINE_TUNE: &[f64] = &[
    -7.649262704726803e-9,
    2.6829210221767426,
    0.9189380407333374,
    4.76837147544984e-9,
    0.0,
    -0.0019242177531964,
    0.41164580952318847,
    0.003,
    200.0,
    3.0,
    -1.0,
    -1.0,
    0.0,
    -0.0,
    0.03686054314331463,
    0.15398827691872916,
    0.9218772401412328,
    0.11403651721775532,
    0.2633333361397187,
    0.1784907819287498,
    3.057770397351708,
    0.0025,
    400.0,
    3.0,
    0.03366389374665838,
    1.9991144736607869,
    2.0,
    -2533.6024148104634,
    0.001753284500834192,
    0.06710041935245196,
    0.9347549726565679,
    0.06092394050210714,
    0.20833333053936562,
    -0.665371922752261,
    4.325890360899741,
    0.0020000000000000005,
    600.0,
    3.0,
    0.17828706776102385,
    0.1368143024543921,
    0.0,
    -0.0,
    0.007157684759780143,
    0.13033571653068066,
    0.9396023601293564,
    0.01462080585770309,
    0.14833333250135183,
    0.4134401751718959,
    0.8250490058192979,
    0.0015,
    800.0,
    3.0,
    0.02350380496742825,
    0.21478316560387611,
    0.0,
    -0.0,
    0.0012234216298869043,
    0.11753425498803456,
    0.938681349158287,
    0.0035597383393906057,
    0.009999999776482582,
    0.12834695896130277,
    2.8923405658141554,
    0.0015,
    800.0,
    3.0,
    0.042478592755893864,
    1.8060464759667714,
    2.0,
    -2663.6853197458067,
];
const FINE_TUNE_WEIGHTS: u64 = 0x414e_c2f5_2aab_c1e4;
// Re-pinned with the dishwashing expert's set-down fix (1 cm contact
// prediction distance): its second demonstration now racks both dishes.
const DAGGER: &[f64] = &[
    2.0,
    2.0,
    682.0,
    8.0,
    5.364054044087728,
    5.274722576141357,
    5.1935685475667315,
    5.286494731903076,
    5.215147495269775,
    5.137577533721924,
    1082.0,
    5.106874704360962,
    5.004263758659363,
    4.90142035484314,
    5.029957294464111,
    4.929171562194824,
    4.846896171569824,
    -0.30317125433535774,
    0.2397394441706612,
    -0.027268898644992195,
    0.00044851166867023243,
    0.9999905002918316,
    0.02047414293166282,
    -0.006201994978792737,
    -0.01664290550776468,
    -0.00015717871341347286,
    0.5184842404358373,
    0.5184842404358373,
    0.2522180797827348,
    0.1756007231422622,
    0.10998150554699579,
    0.11460257720863426,
    0.2939001576802072,
    -0.24689811659683894,
    -0.09389658658217032,
    -0.04682577525356811,
    0.792025196736942,
    -0.09973945646541393,
    -0.11273108618970178,
    0.30317125433535774,
    0.06026053991366174,
    0.027268898644992195,
    0.4815156671427295,
    0.34288351729357514,
    0.1756007231422622,
    0.7125692502246534,
    0.45234746938101394,
];
const DAGGER_WEIGHTS: u64 = 0xdf33_28df_998f_1149;
