//! Bayesian ridge regression that reproduces scikit-learn's
//! `BayesianRidge` (1.9.x): the same defaults, centring, SVD-based
//! evidence-maximisation updates (MacKay 1992, Tipping 2001 appendix A),
//! stopping rule, final re-solve and predictive standard deviation.
//!
//! Checked against fixtures written by scikit-learn
//! (`scripts/fixtures/bayesian_ridge_fixtures.py`) to 1e-8 relative.

use crate::error::{EconomicsError, Result};
use nalgebra::{DMatrix, DVector};

/// Hyperparameters of [`BayesianRidge`], with scikit-learn's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct BayesianRidgeConfig {
    /// Most evidence-maximisation iterations, `>= 1`. Default 300.
    pub max_iter: usize,
    /// Stop once the summed absolute change of the coefficients between two
    /// iterations is below this, `> 0`. Default 1e-3.
    pub tol: f64,
    /// Shape of the Gamma prior over α (noise precision), `>= 0`. Default 1e-6.
    pub alpha_1: f64,
    /// Rate of the Gamma prior over α, `>= 0`. Default 1e-6.
    pub alpha_2: f64,
    /// Shape of the Gamma prior over λ (weight precision), `>= 0`. Default 1e-6.
    pub lambda_1: f64,
    /// Rate of the Gamma prior over λ, `>= 0`. Default 1e-6.
    pub lambda_2: f64,
    /// Initial α; `None` is 1 / (Var(y) + machine ε). Default `None`.
    pub alpha_init: Option<f64>,
    /// Initial λ; `None` is 1. Default `None`.
    pub lambda_init: Option<f64>,
    /// Fit an intercept by centring X and y first. Default true.
    pub fit_intercept: bool,
}

impl Default for BayesianRidgeConfig {
    fn default() -> Self {
        Self {
            max_iter: 300,
            tol: 1e-3,
            alpha_1: 1e-6,
            alpha_2: 1e-6,
            lambda_1: 1e-6,
            lambda_2: 1e-6,
            alpha_init: None,
            lambda_init: None,
            fit_intercept: true,
        }
    }
}

/// A fitted Bayesian ridge model: posterior mean `coef`, `intercept`, the
/// noise precision `alpha`, the weight precision `lambda` and the posterior
/// covariance `sigma` of the weights.
#[derive(Debug, Clone, PartialEq)]
pub struct BayesianRidge {
    /// Posterior mean of the weights, one per feature (`coef_`).
    pub coef: Vec<f64>,
    /// Intercept: mean(y) − mean(X)·coef, or 0 without an intercept.
    pub intercept: f64,
    /// Estimated precision of the noise (`alpha_`).
    pub alpha: f64,
    /// Estimated precision of the weights (`lambda_`).
    pub lambda: f64,
    /// Posterior covariance of the weights, row-major `[d_input][d_input]`
    /// (`sigma_`).
    pub sigma: Vec<Vec<f64>>,
    /// Iterations run, the converging one included (`n_iter_`).
    pub n_iter: usize,
    /// Column means subtracted before the fit (`X_offset_`); zeros without
    /// an intercept.
    pub x_offset: Vec<f64>,
}

impl BayesianRidgeConfig {
    /// Fits the model to `x` (`[n_samples][d_input]`, rows of equal length)
    /// and `y` (`[n_samples]`).
    ///
    /// Errors when the data are empty, ragged, of different lengths or not
    /// finite, or when a hyperparameter is out of range.
    pub fn fit<R: AsRef<[f64]>>(&self, x: &[R], y: &[f64]) -> Result<BayesianRidge> {
        self.validate()?;
        let n_samples = x.len();
        if n_samples == 0 {
            return Err(fit_error("no samples: expected at least one row"));
        }
        if y.len() != n_samples {
            return Err(fit_error(format!(
                "{} targets for {n_samples} rows: expected one target per row",
                y.len()
            )));
        }
        let d_input = x[0].as_ref().len();
        if d_input == 0 {
            return Err(fit_error("rows have no features: expected at least one"));
        }
        for (i, row) in x.iter().enumerate() {
            let row = row.as_ref();
            if row.len() != d_input {
                return Err(fit_error(format!(
                    "row {i} has {} features: expected {d_input} like row 0",
                    row.len()
                )));
            }
            if let Some(v) = row.iter().find(|v| !v.is_finite()) {
                return Err(fit_error(format!(
                    "row {i} holds {v}: expected finite numbers"
                )));
            }
        }
        if let Some((i, v)) = y.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(fit_error(format!(
                "target {i} is {v}: expected finite numbers"
            )));
        }

        let n = n_samples as f64;
        let mut xm = DMatrix::from_fn(n_samples, d_input, |i, j| x[i].as_ref()[j]);
        let mut yv = DVector::from_column_slice(y);
        // numpy's y.var(): the population variance about the mean.
        let y_mean = yv.sum() / n;
        let y_var = yv.iter().map(|v| (v - y_mean).powi(2)).sum::<f64>() / n;

        let (x_offset, y_offset) = if self.fit_intercept {
            let offset: Vec<f64> = (0..d_input).map(|j| xm.column(j).sum() / n).collect();
            for (mut column, o) in xm.column_iter_mut().zip(&offset) {
                column.add_scalar_mut(-o);
            }
            yv.add_scalar_mut(-y_mean);
            (offset, y_mean)
        } else {
            (vec![0.0; d_input], 0.0)
        };

        let mut alpha = self.alpha_init.unwrap_or(1.0 / (y_var + f64::EPSILON));
        let mut lambda = self.lambda_init.unwrap_or(1.0);

        let xt_y = xm.tr_mul(&yv);
        // sklearn: thin SVD; U (n, K), S (K), Vh (K, p) with K = min(n, p).
        let svd = xm.clone().svd(true, true);
        let (Some(u), Some(vh)) = (svd.u, svd.v_t) else {
            return Err(fit_error("the SVD of X did not converge"));
        };
        let eigen_vals = svd.singular_values.map(|s| s * s);
        let solver = CoefSolver {
            x: &xm,
            y: &yv,
            xt_y: &xt_y,
            u: &u,
            vh: &vh,
            eigen_vals: &eigen_vals,
            wide: n_samples <= d_input,
        };

        let mut coef_old: Option<DVector<f64>> = None;
        let mut n_iter = 0;
        for iter in 0..self.max_iter {
            let (coef, sse) = solver.solve(alpha, lambda);
            let gamma: f64 = eigen_vals
                .iter()
                .map(|e| alpha * e / (lambda + alpha * e))
                .sum();
            lambda = (gamma + 2.0 * self.lambda_1) / (coef.norm_squared() + 2.0 * self.lambda_2);
            alpha = (n - gamma + 2.0 * self.alpha_1) / (sse + 2.0 * self.alpha_2);
            n_iter = iter + 1;
            if let Some(old) = &coef_old
                && (old - &coef).abs().sum() < self.tol
            {
                break;
            }
            coef_old = Some(coef);
        }
        if !(alpha.is_finite() && lambda.is_finite() && alpha > 0.0 && lambda > 0.0) {
            return Err(fit_error(format!(
                "evidence maximisation diverged (alpha {alpha}, lambda {lambda}): \
                 expected finite positive precisions; the targets may be constant"
            )));
        }
        let (coef, _) = solver.solve(alpha, lambda);

        // Posterior covariance Vh_fullᵀ diag(1 / (α·eig + λ)) Vh_full. With
        // n <= p sklearn takes the full SVD; the SVD of X padded with zero rows
        // to p × p has the same right singular vectors, the null space included.
        let (vh_full, eigen_full) = if n_samples < d_input {
            let mut padded = DMatrix::zeros(d_input, d_input);
            padded.rows_mut(0, n_samples).copy_from(&xm);
            let full = padded.svd(false, true);
            let Some(vh_full) = full.v_t else {
                return Err(fit_error("the SVD of X did not converge"));
            };
            (vh_full, full.singular_values.map(|s| s * s))
        } else {
            (vh.clone(), eigen_vals.clone())
        };
        let scale = eigen_full.map(|e| 1.0 / (alpha * e + lambda));
        let mut scaled = vh_full.clone();
        for (k, mut row) in scaled.row_iter_mut().enumerate() {
            row *= scale[k];
        }
        let sigma_m = vh_full.tr_mul(&scaled);
        let sigma = (0..d_input)
            .map(|i| sigma_m.row(i).iter().copied().collect())
            .collect();

        let coef: Vec<f64> = coef.iter().copied().collect();
        let intercept = if self.fit_intercept {
            y_offset - x_offset.iter().zip(&coef).map(|(o, c)| o * c).sum::<f64>()
        } else {
            0.0
        };
        Ok(BayesianRidge {
            coef,
            intercept,
            alpha,
            lambda,
            sigma,
            n_iter,
            x_offset,
        })
    }

    fn validate(&self) -> Result<()> {
        if self.max_iter == 0 {
            return Err(fit_error("max_iter is 0: expected >= 1"));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(fit_error(format!("tol is {}: expected > 0", self.tol)));
        }
        for (name, v) in [
            ("alpha_1", self.alpha_1),
            ("alpha_2", self.alpha_2),
            ("lambda_1", self.lambda_1),
            ("lambda_2", self.lambda_2),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(fit_error(format!("{name} is {v}: expected >= 0")));
            }
        }
        for (name, v) in [
            ("alpha_init", self.alpha_init),
            ("lambda_init", self.lambda_init),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && v >= 0.0)
            {
                return Err(fit_error(format!("{name} is {v}: expected >= 0")));
            }
        }
        Ok(())
    }
}

/// The posterior-mean solve of sklearn's `_update_coef_`, in its two forms.
struct CoefSolver<'a> {
    x: &'a DMatrix<f64>,
    y: &'a DVector<f64>,
    xt_y: &'a DVector<f64>,
    u: &'a DMatrix<f64>,
    vh: &'a DMatrix<f64>,
    eigen_vals: &'a DVector<f64>,
    /// n_samples <= n_features: solve through U instead of Vh.
    wide: bool,
}

impl CoefSolver<'_> {
    /// Posterior mean `(λ/α·I + XᵀX)⁻¹ Xᵀy` and its sum of squared errors.
    fn solve(&self, alpha: f64, lambda: f64) -> (DVector<f64>, f64) {
        let ratio = lambda / alpha;
        let inv = self.eigen_vals.map(|e| 1.0 / (e + ratio));
        let coef = if self.wide {
            // Xᵀ · (U / (eig + λ/α)) · Uᵀ · y
            let mut proj = self.u.tr_mul(self.y);
            proj.component_mul_assign(&inv);
            self.x.tr_mul(&(self.u * proj))
        } else {
            // Vhᵀ · (Vh / (eig + λ/α)) · Xᵀy
            let mut proj = self.vh * self.xt_y;
            proj.component_mul_assign(&inv);
            self.vh.tr_mul(&proj)
        };
        let sse = (self.y - self.x * &coef).norm_squared();
        (coef, sse)
    }
}

impl BayesianRidge {
    /// Number of features the model was fitted on (`d_input`).
    pub fn d_input(&self) -> usize {
        self.coef.len()
    }

    /// Predictive mean and standard deviation at `x` (`[d_input]`). The
    /// standard deviation includes the noise: `sqrt(xᵀΣx + 1/α)` with `x`
    /// centred by the training means, as sklearn's `return_std=True`.
    pub fn predict(&self, x: &[f64]) -> Result<(f64, f64)> {
        if x.len() != self.d_input() {
            return Err(fit_error(format!(
                "query has {} features: expected {}",
                x.len(),
                self.d_input()
            )));
        }
        if let Some(v) = x.iter().find(|v| !v.is_finite()) {
            return Err(fit_error(format!(
                "query holds {v}: expected finite numbers"
            )));
        }
        let mean = x.iter().zip(&self.coef).map(|(a, c)| a * c).sum::<f64>() + self.intercept;
        let xc: Vec<f64> = x.iter().zip(&self.x_offset).map(|(a, o)| a - o).collect();
        let quad: f64 = self
            .sigma
            .iter()
            .zip(&xc)
            .map(|(row, xi)| row.iter().zip(&xc).map(|(s, xj)| s * xj).sum::<f64>() * xi)
            .sum();
        Ok((mean, (quad + 1.0 / self.alpha).sqrt()))
    }
}

fn fit_error(message: impl Into<String>) -> EconomicsError {
    EconomicsError::Fit {
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sklearn_docstring_example_predicts_one() {
        // sklearn's docstring: fit [[0,0],[1,1],[2,2]] -> [0,1,2], predict [1,1] = 1.
        let model = BayesianRidgeConfig::default()
            .fit(&[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], &[0.0, 1.0, 2.0])
            .unwrap();
        let (mean, std) = model.predict(&[1.0, 1.0]).unwrap();
        assert!((mean - 1.0).abs() < 1e-6, "{mean}");
        assert!(std > 0.0);
    }

    #[test]
    fn fit_refuses_ragged_rows_and_non_finite_targets() {
        let cfg = BayesianRidgeConfig::default();
        let ragged: Vec<Vec<f64>> = vec![vec![0.0, 1.0], vec![1.0]];
        assert!(cfg.fit(&ragged, &[0.0, 1.0]).is_err());
        assert!(cfg.fit(&[[0.0], [1.0]], &[0.0, f64::NAN]).is_err());
        assert!(cfg.fit::<[f64; 1]>(&[], &[]).is_err());
    }
}
