//! The Bayesian ridge against scikit-learn 1.9's `BayesianRidge`, from the
//! fixtures `scripts/fixtures/bayesian_ridge_fixtures.py` wrote.

use economics::BayesianRidgeConfig;
use serde_json::Value;

const FIXTURES: &str = include_str!("../fixtures/bayesian_ridge.json");
const RTOL: f64 = 1e-8;

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(floats).collect()
}

/// Relative closeness, with an absolute floor scaled by the case's largest
/// magnitude (for entries that are zero up to rounding).
fn close(got: f64, want: f64, scale: f64) -> bool {
    (got - want).abs() <= RTOL * want.abs().max(1e-6 * scale)
}

fn assert_all_close(case: &str, what: &str, got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len(), "{case}: {what} length");
    let mut worst = 0.0f64;
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            close(*g, *w, scale),
            "{case}: {what}[{i}] = {g:e}, sklearn {w:e} (rel {:e})",
            ((g - w) / w).abs()
        );
        if *w != 0.0 {
            worst = worst.max(((g - w) / w).abs());
        }
    }
    worst
}

#[test]
fn bayesian_ridge_matches_sklearn_fixtures_to_1e_8() {
    let doc: Value = serde_json::from_str(FIXTURES).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 8);
    let mut worst = 0.0f64;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let params = &case["params"];
        let mut config = BayesianRidgeConfig::default();
        if let Some(v) = params.get("fit_intercept") {
            config.fit_intercept = v.as_bool().unwrap();
        }
        if let Some(v) = params.get("tol") {
            config.tol = v.as_f64().unwrap();
        }
        if let Some(v) = params.get("max_iter") {
            config.max_iter = v.as_u64().unwrap() as usize;
        }
        if let Some(v) = params.get("alpha_init") {
            config.alpha_init = v.as_f64();
        }
        if let Some(v) = params.get("lambda_init") {
            config.lambda_init = v.as_f64();
        }
        let x = matrix(&case["x"]);
        let y = floats(&case["y"]);
        let model = config.fit(&x, &y).unwrap();
        assert_eq!(
            model.n_iter,
            case["n_iter"].as_u64().unwrap() as usize,
            "{name}: n_iter"
        );
        worst = worst.max(assert_all_close(
            name,
            "coef",
            &model.coef,
            &floats(&case["coef"]),
        ));
        worst = worst.max(assert_all_close(
            name,
            "intercept",
            &[model.intercept],
            &[case["intercept"].as_f64().unwrap()],
        ));
        worst = worst.max(assert_all_close(
            name,
            "alpha",
            &[model.alpha],
            &[case["alpha"].as_f64().unwrap()],
        ));
        worst = worst.max(assert_all_close(
            name,
            "lambda",
            &[model.lambda],
            &[case["lambda"].as_f64().unwrap()],
        ));
        let (mut mean, mut std) = (Vec::new(), Vec::new());
        for q in matrix(&case["x_query"]) {
            let (m, s) = model.predict(&q).unwrap();
            mean.push(m);
            std.push(s);
        }
        worst = worst.max(assert_all_close(
            name,
            "mean",
            &mean,
            &floats(&case["mean"]),
        ));
        worst = worst.max(assert_all_close(name, "std", &std, &floats(&case["std"])));
    }
    eprintln!("largest relative difference from scikit-learn: {worst:e}");
}
