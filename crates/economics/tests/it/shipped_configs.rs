//! The configs shipped in `configs/` parse, check, and hold the issue's
//! numbers.

use economics::{Algorithm, OccupationCode, Schedule, TaskConfig, WageLoss};
use std::path::PathBuf;
use yaml_config::ConfigSource;

fn config_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../configs")
        .join(name)
}

#[test]
fn bricklaying_config_has_the_issue_defaults() {
    let c = TaskConfig::from_path(config_path("bricklaying.yaml")).unwrap();
    assert_eq!(c.task.name, "bricklaying");
    assert_eq!(
        c.task.occupation_code,
        OccupationCode::parse("47-2021").unwrap()
    );
    assert_eq!(c.task.price_per_unit, 0.48);
    assert_eq!(c.task.human_mp, 60.0);
    assert_eq!(c.task.human_wage, 28.67);
    assert_eq!(c.task.damage_cost, 2.0);
    assert_eq!(c.reward.schedule, Schedule::Cosine);
    assert_eq!(c.env["position_tolerance_m"], 0.01);
    assert_eq!(c.env["yaw_tolerance_deg"], 3.0);
}

#[test]
fn dishwashing_config_uses_the_dishwasher_code_and_its_own_wage() {
    let c = TaskConfig::from_path(config_path("dishwashing.yaml")).unwrap();
    assert_eq!(c.task.occupation_code.as_str(), "35-9021");
    assert_eq!(c.task.human_wage, 18.0);
    assert_eq!(c.task.price_per_unit, 0.30);
    assert_eq!(c.task.human_mp, 60.0);
    assert_eq!(c.reward.wage_loss, WageLoss::Abs);
    assert_eq!(c.training.algorithm, Algorithm::Ppo);
    // The env section belongs to the envs crate; here it is only kept.
    assert!(c.env.is_object());
}

#[test]
fn shipped_configs_carry_every_spec_section() {
    for name in ["dishwashing.yaml", "bricklaying.yaml"] {
        let text = std::fs::read_to_string(config_path(name)).unwrap();
        for section in [
            "task:",
            "reward:",
            "convergence:",
            "data_valuation:",
            "pricing:",
            "training:",
            "env:",
        ] {
            assert!(
                text.lines().any(|l| l == section),
                "{name} lacks the {section} section"
            );
        }
    }
}

#[test]
fn another_crate_can_parse_its_own_section_from_a_shipped_config() {
    // The envs crate owns the full schema; this reads two of its keys the
    // same way, through the shared strict loader.
    #[derive(Debug, serde::Deserialize)]
    struct BrickEnv {
        courses: u32,
        bricks_per_course: u32,
    }
    let source = ConfigSource::read(config_path("bricklaying.yaml")).unwrap();
    let env: BrickEnv = source.parse_section("env").unwrap().unwrap();
    assert_eq!(env.courses * env.bricks_per_course, 18);
}

#[test]
fn summary_is_one_line_naming_the_task() {
    let c = TaskConfig::from_path(config_path("bricklaying.yaml")).unwrap();
    let s = c.summary();
    assert!(!s.contains('\n'));
    assert!(s.starts_with("task bricklaying (47-2021)"), "{s}");
}
