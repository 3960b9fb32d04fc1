//! SPEC §2's worked example and reward maths through the public API.

use economics::{
    ConvergenceDetector, Curriculum, EconomicReward, EpisodeMetrics, EpisodeOutcome, EpisodeRecord,
    EpisodeScorer, Schedule, TaskEconomics, WageLoss,
};

#[test]
fn spec_worked_example_holds_to_1e_9() {
    let task = TaskEconomics::new(0.30, 60.0, 18.0, 1.0).unwrap();
    let m = EpisodeMetrics::from_rates(&task, 54.0, 0.05).unwrap();
    assert!((m.robot_wage - 13.5).abs() < 1e-9);
    assert!((m.wage_parity - 0.75).abs() < 1e-9);
    assert!((m.productivity_parity - 0.9).abs() < 1e-9);
}

#[test]
fn metrics_serialise_with_the_cli_json_keys() {
    let task = TaskEconomics::new(0.30, 60.0, 18.0, 1.0).unwrap();
    let m = EpisodeMetrics::from_rates(&task, 54.0, 0.05).unwrap();
    let v = serde_json::to_value(m).unwrap();
    let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "error_rate",
            "mp_r",
            "productivity_parity",
            "robot_wage",
            "wage_parity"
        ]
    );
}

#[test]
fn episode_log_row_has_the_spec_columns_in_order() {
    let task = TaskEconomics::new(0.30, 60.0, 18.0, 1.0).unwrap();
    let reward = EconomicReward::new(0.5, WageLoss::Abs).unwrap();
    let curriculum = Curriculum::new(1.0, 0.5, 0.2, 0.1, 1.0, 10, Schedule::Linear).unwrap();
    let mut scorer = EpisodeScorer::new(task, reward, curriculum);
    let row = scorer
        .score(&EpisodeOutcome {
            completed_units: 54,
            attempts: 60,
            errors: 3,
            hours: 1.0,
        })
        .unwrap()
        .record;
    let v = serde_json::to_value(row).unwrap();
    let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    let mut expected: Vec<_> = EpisodeRecord::COLUMNS
        .iter()
        .map(|s| s.to_string())
        .collect();
    expected.sort();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(sorted, expected);
    assert!((row.w_r - 13.5).abs() < 1e-9);
    assert_eq!(row.reward_mp, 0.0);
    assert!(
        (row.reward_total - (row.reward_mp + row.reward_error + row.reward_wage)).abs() < 1e-12
    );
}

#[test]
fn training_that_reaches_parity_converges_after_the_window() {
    let task = TaskEconomics::new(0.30, 60.0, 18.0, 1.0).unwrap();
    let mut detector = ConvergenceDetector::new(3, 0.05, 0.10).unwrap();
    // MP_r rises to the human rate with no errors: wage parity 0.3·MP_r/18.
    let mut converged_at = None;
    for (i, mp_r) in [30.0, 45.0, 58.0, 60.0, 61.0, 60.0, 62.0]
        .into_iter()
        .enumerate()
    {
        let m = EpisodeMetrics::from_rates(&task, mp_r, 0.0).unwrap();
        if detector.observe(&m).unwrap() && converged_at.is_none() {
            converged_at = Some(i);
        }
    }
    // Evaluations 2.. pass (58/60 ≥ 0.95, |0.967 − 1| ≤ 0.1): the third pass is index 4.
    assert_eq!(converged_at, Some(4));
}
