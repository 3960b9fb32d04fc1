//! The MRH attention manager: SPEC §7's four scenarios, profiles from job
//! kinds, pools, machine horizon limits, and run/defer/route decisions.

use exchange::{
    Admission, AttentionConfig, AttentionManager, ComplexityExtent as C, DeviceKind, DeviceSpeed,
    HorizonProfile, Job, JobKind, MetabolicState as M, PoolConfig, PoolMode, RouteReason,
    SpatialExtent as S, Stratum, TemporalExtent as T, allocate,
};

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}

#[test]
fn spec_scenario_wake_local_ephemeral_simple_is_0_068() {
    let a = allocate(
        M::Wake,
        HorizonProfile::new(S::Local, T::Ephemeral, C::Simple),
    );
    close(a.horizon_factor, 0.85);
    close(a.allocation, 0.068);
    assert!(!a.capped);
}

#[test]
fn spec_scenario_focus_local_session_agent_scale_is_0_80() {
    let a = allocate(
        M::Focus,
        HorizonProfile::new(S::Local, T::Session, C::AgentScale),
    );
    close(a.horizon_factor, 1.0);
    close(a.allocation, 0.80);
    assert!(!a.capped);
}

#[test]
fn spec_scenario_dream_regional_day_society_scale_is_0_556() {
    let a = allocate(
        M::Dream,
        HorizonProfile::new(S::Regional, T::Day, C::SocietyScale),
    );
    close(a.horizon_factor, 1.39);
    close(a.allocation, 0.556);
    assert!(!a.capped);
}

#[test]
fn spec_scenario_crisis_global_ephemeral_society_scale_caps_at_1() {
    let a = allocate(
        M::Crisis,
        HorizonProfile::new(S::Global, T::Ephemeral, C::SocietyScale),
    );
    close(a.uncapped, 0.95 * 1.41);
    assert_eq!(format!("{:.2}", a.uncapped), "1.34");
    assert_eq!(a.allocation, 1.0);
    assert!(a.capped);
}

#[test]
fn base_shares_and_extent_values_are_spec_s() {
    let shares: Vec<f64> = M::ALL.iter().map(|m| m.base_share()).collect();
    assert_eq!(shares, [0.08, 0.80, 0.05, 0.40, 0.95]);
    assert_eq!(
        S::ALL.iter().map(|e| e.value()).collect::<Vec<_>>(),
        [1.0, 1.3, 1.8]
    );
    assert_eq!(
        T::ALL.iter().map(|e| e.value()).collect::<Vec<_>>(),
        [0.8, 1.0, 1.4, 2.0]
    );
    assert_eq!(
        C::ALL.iter().map(|e| e.value()).collect::<Vec<_>>(),
        [0.7, 1.0, 1.5]
    );
}

#[test]
fn profiles_are_inferred_from_the_job_kind_unless_declared() {
    let p = |k: JobKind| Job::new(k, 1.0).horizon();
    assert_eq!(
        p(JobKind::Rollout),
        HorizonProfile::new(S::Local, T::Ephemeral, C::Simple)
    );
    assert_eq!(
        p(JobKind::PolicyUpdate),
        HorizonProfile::new(S::Local, T::Session, C::AgentScale)
    );
    assert_eq!(
        p(JobKind::Evaluation),
        HorizonProfile::new(S::Local, T::Session, C::Simple)
    );
    assert_eq!(
        p(JobKind::Valuation),
        HorizonProfile::new(S::Regional, T::Day, C::SocietyScale)
    );
    let declared = HorizonProfile::new(S::Global, T::Epoch, C::SocietyScale);
    assert_eq!(
        Job::new(JobKind::Rollout, 1.0)
            .with_profile(declared)
            .horizon(),
        declared
    );
}

#[test]
fn names_parse_case_insensitively_and_unknown_names_are_refused() {
    assert_eq!("dream".parse::<M>().unwrap(), M::Dream);
    assert_eq!("agent-scale".parse::<C>().unwrap(), C::AgentScale);
    assert_eq!("SOCIETY_SCALE".parse::<C>().unwrap(), C::SocietyScale);
    assert_eq!("update".parse::<JobKind>().unwrap(), JobKind::PolicyUpdate);
    let e = "weekly".parse::<T>().unwrap_err().to_string();
    assert_eq!(
        e,
        "unknown temporal extent 'weekly': expected one of EPHEMERAL, SESSION, DAY, EPOCH"
    );
    assert!("SLEEP".parse::<M>().is_err());
}

fn gpu() -> DeviceSpeed {
    let mut d = DeviceSpeed::new(DeviceKind::Gpu, "test-gpu");
    d.record(JobKind::Rollout, 1000.0, 1.0).unwrap();
    d.record(JobKind::Valuation, 10.0, 1.0).unwrap();
    d
}

fn manager(mode: PoolMode, capacity: f64) -> AttentionManager {
    AttentionManager::new(AttentionConfig {
        pools: PoolConfig {
            mode,
            capacity_seconds: capacity,
            refill_per_second: 1.0,
            stratum_refill_per_second: None,
        },
        ..AttentionConfig::default()
    })
    .unwrap()
}

#[test]
fn a_job_runs_when_its_cost_fits_else_waits_for_refill() {
    let mut m = manager(PoolMode::Global, 100.0);
    let job = Job::new(JobKind::Rollout, 50_000.0); // 50 GPU-seconds
    // FOCUS × LOCAL/EPHEMERAL/SIMPLE = 0.8 × 0.85 = 0.68 of 100 s = 68 s.
    match m.admit(M::Focus, &job, &gpu()).unwrap() {
        Admission::Run {
            cost_seconds,
            allocation,
            stratum,
        } => {
            close(cost_seconds, 50.0);
            close(allocation.allocation, 0.68);
            assert_eq!(stratum, Stratum::Global);
        }
        other => panic!("{other:?}"),
    }
    close(m.pools().total_level(), 50.0);
    // Now 0.68 × 50 = 34 s < 50 s: wait until the pool holds 50 / 0.68.
    match m.admit(M::Focus, &job, &gpu()).unwrap() {
        Admission::Defer {
            available_seconds,
            wait_seconds,
            ..
        } => {
            close(available_seconds, 34.0);
            close(wait_seconds, 50.0 / 0.68 - 50.0);
        }
        other => panic!("{other:?}"),
    }
    m.refill(30.0).unwrap();
    assert!(matches!(
        m.admit(M::Focus, &job, &gpu()).unwrap(),
        Admission::Run { .. }
    ));
}

#[test]
fn a_job_that_can_never_fit_is_routed() {
    let mut m = manager(PoolMode::Global, 100.0);
    let job = Job::new(JobKind::Rollout, 100_000.0); // 100 s > 0.68 × 100
    match m.admit(M::Focus, &job, &gpu()).unwrap() {
        Admission::Route {
            cost_seconds,
            why: RouteReason::NeverFits {
                max_available_seconds,
            },
        } => {
            close(cost_seconds.unwrap(), 100.0);
            close(max_available_seconds, 68.0);
        }
        other => panic!("{other:?}"),
    }
    close(m.pools().total_level(), 100.0);
}

#[test]
fn machines_route_jobs_beyond_their_horizon() {
    let mut m = AttentionManager::new(AttentionConfig {
        max_horizon: HorizonProfile::new(S::Local, T::Session, C::AgentScale),
        ..AttentionConfig::default()
    })
    .unwrap();
    let valuation = Job::new(JobKind::Valuation, 10.0);
    let d = m.admit(M::Dream, &valuation, &gpu()).unwrap();
    assert!(
        matches!(
            d,
            Admission::Route {
                why: RouteReason::HorizonBeyondMachine { .. },
                ..
            }
        ),
        "{d:?}"
    );
    assert!(matches!(
        m.admit(M::Focus, &Job::new(JobKind::Rollout, 10.0), &gpu())
            .unwrap(),
        Admission::Run { .. }
    ));
}

#[test]
fn stratified_pools_split_20_50_30_and_keep_strata_apart() {
    let mut m = manager(PoolMode::Stratified, 1000.0);
    let levels = |m: &AttentionManager| {
        [Stratum::Ephemeral, Stratum::Session, Stratum::Epoch]
            .map(|s| m.pools().pool(s).unwrap().level)
    };
    assert_eq!(levels(&m), [200.0, 500.0, 300.0]);
    let refill: Vec<f64> = m
        .pools()
        .pools
        .iter()
        .map(|(_, p)| p.refill_per_second)
        .collect();
    assert_eq!(refill, [0.2, 0.5, 0.3]);
    // A rollout (EPHEMERAL) draws from the ephemeral pool only.
    let d = m
        .admit(M::Crisis, &Job::new(JobKind::Rollout, 100_000.0), &gpu())
        .unwrap();
    assert!(
        matches!(
            d,
            Admission::Run {
                stratum: Stratum::Ephemeral,
                ..
            }
        ),
        "{d:?}"
    );
    assert_eq!(levels(&m), [100.0, 500.0, 300.0]);
    // A valuation (DAY) draws from the EPOCH stratum.
    let d = m
        .admit(M::Dream, &Job::new(JobKind::Valuation, 1000.0), &gpu())
        .unwrap();
    assert!(
        matches!(
            d,
            Admission::Run {
                stratum: Stratum::Epoch,
                ..
            }
        ),
        "{d:?}"
    );
    assert_eq!(levels(&m), [100.0, 500.0, 200.0]);
    m.refill(100.0).unwrap();
    assert_eq!(levels(&m), [120.0, 500.0, 230.0]);
}

#[test]
fn bad_pool_settings_are_refused_with_the_field() {
    let e = AttentionManager::new(AttentionConfig {
        pools: PoolConfig {
            capacity_seconds: -1.0,
            ..PoolConfig::default()
        },
        ..AttentionConfig::default()
    })
    .unwrap_err();
    assert!(e.to_string().starts_with("capacity_seconds must be"), "{e}");
    let bad: Result<AttentionConfig, _> =
        serde_json::from_str(r#"{"pools": {"mode": "stratified", "capacity": 10}}"#);
    assert!(
        bad.unwrap_err()
            .to_string()
            .contains("unknown field `capacity`")
    );
    let ok: AttentionConfig = serde_json::from_str(
        r#"{"pools": {"mode": "stratified"}, "max_horizon": {"spatial": "LOCAL", "temporal": "DAY", "complexity": "AGENT_SCALE"}}"#,
    )
    .unwrap();
    assert_eq!(ok.pools.mode, PoolMode::Stratified);
    assert_eq!(ok.max_horizon.temporal, T::Day);
}

mod properties {
    use exchange::{
        ComplexityExtent as C, HorizonProfile, MetabolicState as M, SpatialExtent as S,
        TemporalExtent as T, allocate,
    };
    use proptest::prelude::*;

    fn profile() -> impl Strategy<Value = HorizonProfile> {
        (0..S::ALL.len(), 0..T::ALL.len(), 0..C::ALL.len())
            .prop_map(|(s, t, c)| HorizonProfile::new(S::ALL[s], T::ALL[t], C::ALL[c]))
    }

    proptest! {
        #[test]
        fn allocation_is_capped_and_grows_with_every_extent(
            state in 0..5usize,
            p in profile(),
            q in profile(),
        ) {
            let m = M::ALL[state];
            let a = allocate(m, p);
            prop_assert!(a.allocation > 0.0 && a.allocation <= 1.0);
            prop_assert_eq!(a.capped, a.uncapped > 1.0);
            // A profile at least as large in every extent gets at least as much.
            if p.within(&q) {
                prop_assert!(allocate(m, q).allocation >= a.allocation);
            }
        }
    }

    proptest! {
        /// Whatever the order of jobs, states and refills, the ATP drawn
        /// never exceeds what the pools held plus what they were refilled,
        /// and every job that runs fits its allocation of its pool's level.
        #[test]
        fn pools_never_hand_out_more_than_they_hold(
            stratified in any::<bool>(),
            steps in prop::collection::vec((0..5usize, 0..4usize, 1.0..5_000.0f64, 0.0..20.0f64), 1..60),
        ) {
            use exchange::{
                Admission, AttentionConfig, AttentionManager, DeviceKind, DeviceSpeed, Job,
                JobKind, PoolConfig, PoolMode,
            };
            let mut m = AttentionManager::new(AttentionConfig {
                pools: PoolConfig {
                    mode: if stratified { PoolMode::Stratified } else { PoolMode::Global },
                    capacity_seconds: 100.0,
                    refill_per_second: 2.0,
                    stratum_refill_per_second: None,
                },
                ..AttentionConfig::default()
            }).unwrap();
            let mut gpu = DeviceSpeed::new(DeviceKind::Gpu, "g");
            for k in JobKind::ALL {
                gpu.record(k, 100.0, 1.0).unwrap();
            }
            let (mut drawn, mut supplied) = (0.0, 100.0);
            for (state, kind, size, refill) in steps {
                let before = m.pools().total_level();
                m.refill(refill).unwrap();
                supplied += m.pools().total_level() - before;
                let job = Job::new(JobKind::ALL[kind], size);
                let level_before = m.pools().total_level();
                if let Admission::Run { cost_seconds, allocation, stratum } =
                    m.admit(M::ALL[state], &job, &gpu).unwrap()
                {
                    let pool_level = m.pools().pool(stratum).unwrap().level + cost_seconds;
                    prop_assert!(cost_seconds <= allocation.allocation * pool_level + 1e-9);
                    drawn += cost_seconds;
                    prop_assert!((level_before - m.pools().total_level() - cost_seconds).abs() < 1e-9);
                }
                prop_assert!(drawn <= supplied + 1e-9);
                prop_assert!(m.pools().pools.iter().all(|(_, p)| p.level >= 0.0 && p.level <= p.capacity + 1e-9));
            }
        }
    }
}
