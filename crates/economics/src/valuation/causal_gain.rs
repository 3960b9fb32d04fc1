//! Causal gain of a datapoint (SPEC §6), under the Bayesian ridge of this
//! module: what its rows would teach a model of the task.
//!
//! * [`information_gain`]: the mean reduction of predictive variance over
//!   validation inputs when the datapoint's rows join the posterior. The
//!   fitted model's α (noise precision), λ and centring are held; the rows
//!   enter as the exact rank-m update `Σ_new = (Σ⁻¹ + α·RᵀR)⁻¹` (`R` the
//!   rows centred by the fitted means), so the gain does not depend on the
//!   rows' targets, only on where they are. Clipped at 0 (it is `>= 0` up
//!   to rounding).
//! * [`error_reduction`]: validation mean squared error of the model fitted
//!   without the rows minus that of the model refitted with them (an exact
//!   refit: the ridge is cheap), clipped at 0.
//!
//! * [`knn_shapley_gain`]: the exact KNN-Shapley values
//!   ([`knn_shapley_regression`]) of the datapoint's rows among the training
//!   rows, summed. Not clipped: a negative value says the rows hurt the
//!   K-NN regressor on the validation set.

use crate::error::{EconomicsError, Result};
use crate::valuation::bayesian_ridge::{BayesianRidge, BayesianRidgeConfig};
use crate::valuation::knn_shapley::knn_shapley_regression;
use nalgebra::{DMatrix, DVector};

/// Mean reduction of the predictive variance `xᵀΣx + 1/α` over
/// `validation_x` when `rows` join `model`'s posterior (α, λ and the
/// centring held), clipped at 0.
///
/// Errors when a row has another length than the model's `d_input`, holds
/// a non-finite value, or when `validation_x` is empty.
pub fn information_gain<R: AsRef<[f64]>>(
    model: &BayesianRidge,
    rows: &[R],
    validation_x: &[R],
) -> Result<f64> {
    let d = model.d_input();
    let centred = |field, xs: &[R]| -> Result<Vec<DVector<f64>>> {
        xs.iter()
            .enumerate()
            .map(|(i, x)| {
                let x = x.as_ref();
                check_row(field, i, x, d)?;
                Ok(DVector::from_iterator(
                    d,
                    x.iter().zip(&model.x_offset).map(|(a, o)| a - o),
                ))
            })
            .collect()
    };
    let rows = centred("datapoint rows", rows)?;
    let validation = centred("validation_x", validation_x)?;
    if validation.is_empty() {
        return Err(EconomicsError::Shape {
            field: "validation_x",
            expected: "at least one validation input".to_owned(),
            got: "none".to_owned(),
        });
    }
    if rows.is_empty() {
        return Ok(0.0);
    }
    let sigma = DMatrix::from_fn(d, d, |i, j| model.sigma[i][j]);
    let not_pd = || EconomicsError::Fit {
        message: "the posterior covariance is not positive definite: expected a fitted model"
            .to_owned(),
    };
    let mut precision = sigma.clone().cholesky().ok_or_else(not_pd)?.inverse();
    for r in &rows {
        precision += model.alpha * r * r.transpose();
    }
    let sigma_new = precision.cholesky().ok_or_else(not_pd)?.inverse();
    let drop = sigma - sigma_new;
    let mean =
        validation.iter().map(|v| v.dot(&(&drop * v))).sum::<f64>() / validation.len() as f64;
    Ok(mean.max(0.0))
}

/// Validation MSE of the model fitted on `(train_x, train_y)` minus that of
/// the model fitted on the training rows plus `(rows_x, rows_y)`, clipped
/// at 0. Both fits use `config`.
///
/// Errors as [`BayesianRidgeConfig::fit`] does on either set, and when the
/// validation set is empty or its rows or targets do not fit.
pub fn error_reduction<R: AsRef<[f64]>>(
    config: &BayesianRidgeConfig,
    train_x: &[R],
    train_y: &[f64],
    rows_x: &[R],
    rows_y: &[f64],
    validation_x: &[R],
    validation_y: &[f64],
) -> Result<f64> {
    if validation_x.is_empty() || validation_x.len() != validation_y.len() {
        return Err(EconomicsError::Shape {
            field: "validation_y",
            expected: "one target per validation row, at least one row".to_owned(),
            got: format!(
                "{} targets for {} rows",
                validation_y.len(),
                validation_x.len()
            ),
        });
    }
    let before = config.fit(train_x, train_y)?;
    let x: Vec<&[f64]> = train_x.iter().chain(rows_x).map(|r| r.as_ref()).collect();
    let y: Vec<f64> = train_y.iter().chain(rows_y).copied().collect();
    if rows_x.len() != rows_y.len() {
        return Err(EconomicsError::Shape {
            field: "datapoint targets",
            expected: "one target per datapoint row".to_owned(),
            got: format!("{} targets for {} rows", rows_y.len(), rows_x.len()),
        });
    }
    let after = config.fit(&x, &y)?;
    let mse = |model: &BayesianRidge| -> Result<f64> {
        let mut sum = 0.0;
        for (x, y) in validation_x.iter().zip(validation_y) {
            let (mean, _) = model.predict(x.as_ref())?;
            sum += (mean - crate::error::finite("validation target", *y)?).powi(2);
        }
        Ok(sum / validation_y.len() as f64)
    };
    Ok((mse(&before)? - mse(&after)?).max(0.0))
}

/// Sum of the KNN-Shapley values of `(rows_x, rows_y)` when they join
/// `(train_x, train_y)`, for a `k`-NN regressor scored by negative squared
/// error on the validation set.
///
/// Errors as [`knn_shapley_regression`] does on the joined set.
pub fn knn_shapley_gain<R: AsRef<[f64]>>(
    train_x: &[R],
    train_y: &[f64],
    rows_x: &[R],
    rows_y: &[f64],
    validation_x: &[R],
    validation_y: &[f64],
    k: usize,
) -> Result<f64> {
    if rows_x.len() != rows_y.len() {
        return Err(EconomicsError::Shape {
            field: "datapoint targets",
            expected: "one target per datapoint row".to_owned(),
            got: format!("{} targets for {} rows", rows_y.len(), rows_x.len()),
        });
    }
    let x: Vec<&[f64]> = train_x.iter().chain(rows_x).map(|r| r.as_ref()).collect();
    let y: Vec<f64> = train_y.iter().chain(rows_y).copied().collect();
    let validation: Vec<&[f64]> = validation_x.iter().map(|r| r.as_ref()).collect();
    let values = knn_shapley_regression(&x, &y, &validation, validation_y, k)?;
    Ok(values[train_x.len()..].iter().sum())
}

fn check_row(field: &'static str, i: usize, x: &[f64], d: usize) -> Result<()> {
    if x.len() != d {
        return Err(EconomicsError::Shape {
            field,
            expected: format!("rows of {d} features (the model's d_input)"),
            got: format!("row {i} with {}", x.len()),
        });
    }
    if let Some(v) = x.iter().find(|v| !v.is_finite()) {
        return Err(EconomicsError::NonFinite { field, value: *v });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn data(seed: u64, n: usize, noise: f64) -> (Vec<[f64; 2]>, Vec<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x: Vec<[f64; 2]> = (0..n).map(|_| [rng.random(), rng.random()]).collect();
        let y = x
            .iter()
            .map(|r| 2.0 * r[0] - r[1] + noise * (rng.random::<f64>() - 0.5))
            .collect();
        (x, y)
    }

    #[test]
    fn information_gain_is_the_variance_drop_of_the_refitted_precision() {
        let (x, y) = data(1, 12, 0.3);
        let model = BayesianRidgeConfig::default().fit(&x, &y).unwrap();
        let rows = [[0.9, 0.1], [0.2, 0.8]];
        let validation = [[0.5, 0.5], [1.0, 0.0], [0.0, 1.0]];
        // First principles: Σ⁻¹ = λI + α·XcᵀXc, and the rows add α·RcᵀRc.
        let centre = |r: &[f64; 2]| {
            DVector::from_iterator(2, r.iter().zip(&model.x_offset).map(|(a, o)| a - o))
        };
        let mut precision = DMatrix::identity(2, 2) * model.lambda;
        for r in &x {
            precision += model.alpha * centre(r) * centre(r).transpose();
        }
        let sigma = precision.clone().try_inverse().unwrap();
        for r in &rows {
            precision += model.alpha * centre(r) * centre(r).transpose();
        }
        let sigma_new = precision.try_inverse().unwrap();
        let want = validation
            .iter()
            .map(|v| {
                let v = centre(v);
                v.dot(&(&sigma * &v)) - v.dot(&(&sigma_new * &v))
            })
            .sum::<f64>()
            / 3.0;
        let got = information_gain(&model, &rows, &validation).unwrap();
        assert!(got > 0.0);
        assert!(
            (got - want).abs() < 1e-9 * want.abs().max(1e-12),
            "{got} vs {want}"
        );
    }

    #[test]
    fn a_second_copy_of_a_row_teaches_less_than_the_first() {
        let (x, y) = data(2, 10, 0.3);
        let model = BayesianRidgeConfig::default().fit(&x, &y).unwrap();
        let validation = [[0.5, 0.5]];
        let once = information_gain(&model, &[[3.0, -1.0]], &validation).unwrap();
        let twice = information_gain(&model, &[[3.0, -1.0], [3.0, -1.0]], &validation).unwrap();
        assert!(
            once > 0.0 && twice > once && twice < 2.0 * once,
            "{once} {twice}"
        );
        assert_eq!(
            information_gain::<[f64; 2]>(&model, &[], &validation).unwrap(),
            0.0
        );
    }

    #[test]
    fn accurate_rows_reduce_error_and_wrong_labels_clip_to_zero() {
        let (x, y) = data(3, 6, 2.0);
        let (vx, vy) = data(4, 50, 0.0);
        let (rx, ry) = data(5, 40, 0.05);
        let cfg = BayesianRidgeConfig::default();
        let gain = error_reduction(&cfg, &x, &y, &rx, &ry, &vx, &vy).unwrap();
        assert!(gain > 0.0, "{gain}");
        let wrong: Vec<f64> = ry.iter().map(|v| -10.0 * v).collect();
        assert_eq!(
            error_reduction(&cfg, &x, &y, &rx, &wrong, &vx, &vy).unwrap(),
            0.0
        );
    }

    #[test]
    fn knn_shapley_gain_rewards_accurate_rows_and_punishes_wrong_ones() {
        let (x, y) = data(7, 30, 0.5);
        let (vx, vy) = data(8, 30, 0.0);
        let (rx, ry) = data(9, 10, 0.0);
        let good = knn_shapley_gain(&x, &y, &rx, &ry, &vx, &vy, 5).unwrap();
        let wrong: Vec<f64> = ry.iter().map(|v| v + 20.0).collect();
        let bad = knn_shapley_gain(&x, &y, &rx, &wrong, &vx, &vy, 5).unwrap();
        assert!(good > 0.0 && bad < 0.0, "{good} {bad}");
    }

    #[test]
    fn rows_of_another_length_or_nan_are_typed_errors() {
        let (x, y) = data(6, 8, 0.3);
        let model = BayesianRidgeConfig::default().fit(&x, &y).unwrap();
        let err = information_gain(&model, &[vec![1.0]], &[vec![0.0, 0.0]]).unwrap_err();
        assert!(matches!(err, EconomicsError::Shape { .. }), "{err}");
        let err = information_gain(&model, &[vec![f64::NAN, 0.0]], &[vec![0.0, 0.0]]).unwrap_err();
        assert!(matches!(err, EconomicsError::NonFinite { .. }), "{err}");
        let cfg = BayesianRidgeConfig::default();
        assert!(error_reduction(&cfg, &x, &y, &x[..1], &y[..1], &x[..0], &y[..0]).is_err());
    }
}
