//! Every malformed fixture under `tests/fixtures/bad_*.yaml` gives the right
//! error kind, key path and line, names the file, and never panics.

use economics::TaskConfig;
use std::path::PathBuf;
use yaml_config::ConfigErrorKind;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Loads `file` and checks the error against what is expected.
fn assert_rejected(
    file: &str,
    kind: ConfigErrorKind,
    key_path: &str,
    line: Option<u64>,
    says: &str,
) {
    let path = fixture(file);
    let err = TaskConfig::from_path(&path).expect_err("a malformed config must be rejected");
    let shown = err.to_string();
    assert_eq!(err.kind, kind, "{shown}");
    assert_eq!(err.key_path, key_path, "{shown}");
    assert_eq!(err.line, line, "{shown}");
    assert!(
        shown.starts_with(&path.display().to_string()),
        "error does not name the file: {shown}"
    );
    assert!(
        shown.contains(says),
        "error {shown:?} does not say {says:?}"
    );
    if line.is_some() {
        assert!(err.column.is_some(), "line without column: {shown}");
    }
}

macro_rules! rejected {
    ($($name:ident: $file:literal => $kind:ident at $path:literal, line $line:expr, says $says:literal;)*) => {$(
        #[test]
        fn $name() {
            assert_rejected($file, ConfigErrorKind::$kind, $path, $line, $says);
        }
    )*};
}

rejected! {
    misspelt_section_is_an_unknown_key:
        "bad_unknown_section.yaml" => UnknownKey at "rewards", line Some(10), says "unknown field `rewards`";
    misspelt_reward_key_names_its_full_path:
        "bad_misspelt_reward_key.yaml" => UnknownKey at "reward.alpha_inital", line Some(11), says "expected one of";
    word_where_a_price_is_expected_is_a_type_error:
        "bad_price_not_a_number.yaml" => WrongType at "task.price_per_unit", line Some(6), says "floating point";
    negative_price_is_out_of_range:
        "bad_negative_price.yaml" => OutOfRange at "task.price_per_unit", line Some(6), says "expected a finite number > 0, got -0.3";
    zero_human_productivity_is_out_of_range:
        "bad_zero_human_mp.yaml" => OutOfRange at "task.human_mp", line Some(7), says "> 0, got 0";
    zero_human_wage_is_out_of_range:
        "bad_zero_human_wage.yaml" => OutOfRange at "task.human_wage", line Some(8), says "> 0, got 0";
    negative_damage_cost_is_out_of_range:
        "bad_negative_damage_cost.yaml" => OutOfRange at "task.damage_cost", line Some(9), says ">= 0, got -1";
    epsilon_above_one_is_out_of_range:
        "bad_epsilon_above_one.yaml" => OutOfRange at "convergence.epsilon", line Some(22), says "open interval (0, 1), got 1.5";
    delta_of_zero_is_out_of_range:
        "bad_delta_zero.yaml" => OutOfRange at "convergence.delta", line Some(23), says "open interval (0, 1), got 0";
    window_of_zero_is_out_of_range:
        "bad_window_zero.yaml" => OutOfRange at "convergence.eval_window", line Some(21), says "integer >= 1, got 0";
    negative_window_is_a_type_error:
        "bad_window_negative.yaml" => WrongType at "convergence.eval_window", line Some(21), says "u64";
    tier_thresholds_out_of_order_are_rejected:
        "bad_tiers_out_of_order.yaml" => OutOfRange at "data_valuation.tier1_threshold", line Some(31), says "tier0_threshold < tier1_threshold";
    kappa_floor_of_zero_is_out_of_range:
        "bad_kappa_floor_zero.yaml" => OutOfRange at "data_valuation.kappa_floor", line Some(29), says "(0, 1], got 0";
    confidence_of_one_is_out_of_range:
        "bad_confidence_one.yaml" => OutOfRange at "data_valuation.confidence_level", line Some(28), says "(0, 1), got 1";
    min_samples_above_lookback_window_is_rejected:
        "bad_min_samples_above_lookback.yaml" => OutOfRange at "data_valuation.min_samples", line Some(26), says "min_samples <= lookback_window";
    zero_horizon_is_out_of_range:
        "bad_horizon_zero.yaml" => OutOfRange at "pricing.horizon_hours", line Some(33), says "> 0, got 0";
    discount_above_one_is_out_of_range:
        "bad_discount_above_one.yaml" => OutOfRange at "training.discount", line Some(44), says "[0, 1], got 1.5";
    nan_weight_is_a_non_finite_error:
        "bad_nan_alpha.yaml" => NonFinite at "reward.alpha_initial", line Some(11), says "finite";
    infinity_in_another_crates_section_is_still_rejected:
        "bad_infinite_env_value.yaml" => NonFinite at "env.episode_seconds", line Some(47), says "finite";
    missing_required_key_names_the_section:
        "bad_missing_human_wage.yaml" => MissingKey at "task", line Some(8), says "missing field `human_wage`";
    unknown_schedule_lists_the_allowed_ones:
        "bad_unknown_schedule.yaml" => WrongType at "reward.schedule", line Some(17), says "linear, cosine, constant";
    unknown_algorithm_lists_the_allowed_ones:
        "bad_unknown_algorithm.yaml" => WrongType at "training.algorithm", line Some(38), says "ppo, sac, bc, chunk, diffusion";
    unknown_causal_gain_lists_the_allowed_ones:
        "bad_unknown_causal_gain.yaml" => WrongType at "data_valuation.causal_gain", line Some(32), says "information_gain, error_reduction, knn_shapley";
    malformed_occupation_code_is_rejected:
        "bad_malformed_occupation_code.yaml" => WrongType at "task.occupation_code", line Some(4), says "NN-NNNN";
    duplicate_key_is_a_syntax_error:
        "bad_duplicate_key.yaml" => Syntax at "reward", line Some(14), says "duplicate";
    unclosed_bracket_is_a_syntax_error:
        "bad_unclosed_bracket.yaml" => Syntax at "env.num_dishes", line Some(47), says "";
    yaml_1_1_boolean_is_a_type_error:
        "bad_yes_as_boolean.yaml" => WrongType at "convergence.stop_on_convergence", line Some(11), says "";
    sequence_at_top_level_is_rejected:
        "bad_not_a_mapping.yaml" => WrongType at "", line Some(1), says "mapping of sections";
}

#[test]
fn every_bad_fixture_is_rejected_without_panicking() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures folder") {
        let path = entry.expect("fixture entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("bad_") {
            let outcome = std::panic::catch_unwind(|| TaskConfig::from_path(&path));
            let result = outcome.unwrap_or_else(|_| panic!("{name} panicked"));
            assert!(result.is_err(), "{name} was accepted");
            count += 1;
        }
    }
    assert!(count >= 10, "only {count} bad fixtures");
}

#[test]
fn missing_file_is_an_io_error() {
    let err = TaskConfig::from_path(fixture("does_not_exist.yaml")).unwrap_err();
    assert_eq!(err.kind, ConfigErrorKind::Io);
}

#[test]
fn fixture_with_only_the_task_section_is_valid() {
    let config = TaskConfig::from_path(fixture("good_minimal.yaml")).expect("valid");
    assert_eq!(config.task.name, "dishwashing");
    assert_eq!(config.convergence.eval_window, 50);
    // Configs written before `causal_gain` existed keep parsing.
    assert_eq!(
        config.data_valuation.causal_gain,
        economics::CausalGainMethod::InformationGain
    );
}

#[test]
fn causal_gain_is_read_from_the_data_valuation_section() {
    let text = std::fs::read_to_string(fixture("bad_unknown_causal_gain.yaml"))
        .expect("fixture")
        .replace("causal_gain: shapley", "causal_gain: knn_shapley");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("knn_shapley.yaml");
    std::fs::write(&path, text).expect("write config");
    let config = TaskConfig::from_path(&path).expect("valid");
    assert_eq!(
        config.data_valuation.causal_gain,
        economics::CausalGainMethod::KnnShapley
    );
}
