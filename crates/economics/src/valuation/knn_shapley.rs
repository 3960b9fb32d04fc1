//! KNN-Shapley (Jia et al., "Efficient task-specific data valuation for
//! nearest neighbor algorithms", VLDB 2019): exact Shapley values of the
//! training points for the utility of an unweighted K-nearest-neighbour
//! model, in O(N log N) per test point (one sort, one sweep), averaged over
//! the test points.
//!
//! For one test point `(x_test, y_test)` the training points are sorted by
//! Euclidean distance to `x_test` (ties by index), `α_1` the nearest. With
//! `top(S)` the `min(K, |S|)` nearest members of a subset `S`:
//!
//! * classification: `U(S) = (1/K)·Σ_{j ∈ top(S)} 1[y_j = y_test]`, and the
//!   paper's recursion (its Theorem 1)
//!   `s_{α_N} = 1[y_{α_N} = y_test]·min(K, N)/(N·K)`,
//!   `s_{α_i} = s_{α_{i+1}} + (1[y_{α_i} = y_test] − 1[y_{α_{i+1}} = y_test])/K · min(K, i)/i`.
//!   The base case is the paper's `1[·]/N` when `N >= K`; the `min(K, N)`
//!   makes it exact for `N < K` too.
//! * regression: `U(S) = −((1/K)·Σ_{j ∈ top(S)} y_j − y_test)²` (so
//!   `U(∅) = −y_test²`). Expanding the square writes `U` as a constant plus
//!   games `1[j ∈ top(S)]` (weight `2·y_test·y_j/K − y_j²/K²`) and
//!   `1[i, j ∈ top(S)]` (weight `−2·y_i·y_j/K²`), whose Shapley values have
//!   closed forms in the ranks; [`knn_shapley_regression`] sums them with
//!   suffix sums in one sweep. Both are checked against brute-force Shapley
//!   values on every subset of small sets.

use crate::error::{EconomicsError, Result};

/// Exact KNN-Shapley values of the training points for the K-NN
/// classifier's accuracy, averaged over the test points (`[n_train]`).
///
/// `train_x` and `test_x` are rows of equal length; labels are class ids.
/// Errors on empty sets, ragged rows, length mismatches, `k == 0` or
/// non-finite features.
pub fn knn_shapley_classification<R: AsRef<[f64]>>(
    train_x: &[R],
    train_y: &[u32],
    test_x: &[R],
    test_y: &[u32],
    k: usize,
) -> Result<Vec<f64>> {
    check_sets(train_x, train_y.len(), test_x, test_y.len(), k)?;
    let n = train_x.len();
    let mut values = vec![0.0; n];
    let mut s = vec![0.0; n];
    for (x_test, y_test) in test_x.iter().zip(test_y) {
        let order = sorted_by_distance(train_x, x_test.as_ref());
        let hit = |rank: usize| f64::from(u8::from(train_y[order[rank]] == *y_test));
        classification_sweep(n, k, hit, &mut s);
        for (rank, &i) in order.iter().enumerate() {
            values[i] += s[rank];
        }
    }
    let n_test = test_x.len() as f64;
    values.iter_mut().for_each(|v| *v /= n_test);
    Ok(values)
}

/// Exact KNN-Shapley values of the training points for the K-NN
/// regressor's negative squared error, averaged over the test points
/// (`[n_train]`). Same inputs and errors as
/// [`knn_shapley_classification`], with real targets (finite).
pub fn knn_shapley_regression<R: AsRef<[f64]>>(
    train_x: &[R],
    train_y: &[f64],
    test_x: &[R],
    test_y: &[f64],
    k: usize,
) -> Result<Vec<f64>> {
    check_sets(train_x, train_y.len(), test_x, test_y.len(), k)?;
    for (field, ys) in [("train_y", train_y), ("test_y", test_y)] {
        if let Some(v) = ys.iter().find(|v| !v.is_finite()) {
            return Err(EconomicsError::NonFinite { field, value: *v });
        }
    }
    let n = train_x.len();
    let mut values = vec![0.0; n];
    let mut s = vec![0.0; n];
    let mut y_sorted = vec![0.0; n];
    for (x_test, y_test) in test_x.iter().zip(test_y) {
        let order = sorted_by_distance(train_x, x_test.as_ref());
        for (y, &i) in y_sorted.iter_mut().zip(&order) {
            *y = train_y[i];
        }
        regression_sweep(&y_sorted, *y_test, k, &mut s);
        for (rank, &i) in order.iter().enumerate() {
            values[i] += s[rank];
        }
    }
    let n_test = test_x.len() as f64;
    values.iter_mut().for_each(|v| *v /= n_test);
    Ok(values)
}

/// The paper's recursion for one test point; `hit(r)` is `1[y_{α_{r+1}} =
/// y_test]` for the 0-based rank `r`. Writes `s[r]` for each rank.
fn classification_sweep(n: usize, k: usize, hit: impl Fn(usize) -> f64, s: &mut [f64]) {
    let kf = k as f64;
    s[n - 1] = hit(n - 1) * k.min(n) as f64 / (n as f64 * kf);
    for r in (0..n - 1).rev() {
        // 1-based rank i = r + 1.
        let i = (r + 1) as f64;
        s[r] = s[r + 1] + (hit(r) - hit(r + 1)) / kf * k.min(r + 1) as f64 / i;
    }
}

/// Shapley values for one test point of the regression utility, targets
/// `y` in distance order. Writes `s[r]` for each 0-based rank `r`.
///
/// With 1-based ranks, `m_l = min(K, l)` and
/// * `φ_i(1[l ∈ top]) = m_i/i` for `i = l`, `−K/(l(l−1))` for `i < l` when
///   `l > K`, 0 otherwise;
/// * for `j < l`, `φ(1[j, l ∈ top])` is `c_l = m_l(m_l−1)/(2l(l−1))` for
///   `i ∈ {j, l}`, `−d_l = −K(K−1)/(l(l−1)(l−2))` for any other `i < l`
///   when `l > K`, 0 otherwise.
fn regression_sweep(y: &[f64], y_test: f64, k: usize, s: &mut [f64]) {
    let n = y.len();
    let kf = k as f64;
    let a = |l: usize| 2.0 * y_test * y[l - 1] / kf - y[l - 1] * y[l - 1] / (kf * kf);
    let c = |l: usize| {
        let (lf, m) = (l as f64, k.min(l) as f64);
        if l < 2 {
            0.0
        } else {
            m * (m - 1.0) / (2.0 * lf * (lf - 1.0))
        }
    };
    let d = |l: usize| {
        let lf = l as f64;
        if l > k && l >= 3 {
            kf * (kf - 1.0) / (lf * (lf - 1.0) * (lf - 2.0))
        } else {
            0.0
        }
    };
    // prefix[l] = Σ_{j < l} y_j over 1-based ranks (prefix[1] = 0).
    let mut prefix = vec![0.0; n + 2];
    for l in 1..=n {
        prefix[l + 1] = prefix[l] + y[l - 1];
    }
    // Suffix sums over l > i, built from the far end.
    let (mut sum_a_knock, mut sum_yc, mut sum_dy_prefix, mut sum_dy) = (0.0, 0.0, 0.0, 0.0);
    for i in (1..=n).rev() {
        let yi = y[i - 1];
        let single = a(i) * k.min(i) as f64 / i as f64 - sum_a_knock;
        let pairs = yi * c(i) * prefix[i] + yi * sum_yc - sum_dy_prefix + yi * sum_dy;
        s[i - 1] = single - 2.0 / (kf * kf) * pairs;
        if i > k {
            sum_a_knock += a(i) * kf / (i as f64 * (i as f64 - 1.0));
        }
        sum_yc += y[i - 1] * c(i);
        sum_dy_prefix += d(i) * y[i - 1] * prefix[i];
        sum_dy += d(i) * y[i - 1];
    }
}

/// Training indices sorted by Euclidean distance to `x`, ties by index.
fn sorted_by_distance<R: AsRef<[f64]>>(train_x: &[R], x: &[f64]) -> Vec<usize> {
    let dist: Vec<f64> = train_x
        .iter()
        .map(|row| {
            row.as_ref()
                .iter()
                .zip(x)
                .map(|(a, b)| (a - b) * (a - b))
                .sum()
        })
        .collect();
    let mut order: Vec<usize> = (0..train_x.len()).collect();
    order.sort_by(|&i, &j| dist[i].total_cmp(&dist[j]).then(i.cmp(&j)));
    order
}

fn check_sets<R: AsRef<[f64]>>(
    train_x: &[R],
    n_train_y: usize,
    test_x: &[R],
    n_test_y: usize,
    k: usize,
) -> Result<()> {
    if k == 0 {
        return Err(EconomicsError::OutOfRange {
            field: "k_neighbors",
            expected: ">= 1",
            value: 0.0,
        });
    }
    let shape = |field, expected: String, got: String| EconomicsError::Shape {
        field,
        expected,
        got,
    };
    if train_x.is_empty() || train_x.len() != n_train_y {
        return Err(shape(
            "train_y",
            "one label per training row, at least one row".to_owned(),
            format!("{n_train_y} labels for {} rows", train_x.len()),
        ));
    }
    if test_x.is_empty() || test_x.len() != n_test_y {
        return Err(shape(
            "test_y",
            "one label per test row, at least one row".to_owned(),
            format!("{n_test_y} labels for {} rows", test_x.len()),
        ));
    }
    let d = train_x[0].as_ref().len();
    for (field, rows) in [("train_x", train_x), ("test_x", test_x)] {
        for (i, row) in rows.iter().enumerate() {
            let row = row.as_ref();
            if row.len() != d {
                return Err(shape(
                    field,
                    format!("rows of {d} features (like train_x row 0)"),
                    format!("row {i} with {}", row.len()),
                ));
            }
            if let Some(v) = row.iter().find(|v| !v.is_finite()) {
                return Err(EconomicsError::NonFinite { field, value: *v });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Shapley values by the subset formula, `utility` taking a subset as a
    /// bit mask over the ranks (rank 0 nearest).
    fn brute_force(n: usize, utility: impl Fn(u32) -> f64) -> Vec<f64> {
        let fact = |m: usize| (1..=m).map(|x| x as f64).product::<f64>();
        let mut phi = vec![0.0; n];
        for (i, p) in phi.iter_mut().enumerate() {
            for mask in 0u32..(1 << n) {
                if mask & (1 << i) != 0 {
                    continue;
                }
                let size = mask.count_ones() as usize;
                let weight = fact(size) * fact(n - size - 1) / fact(n);
                *p += weight * (utility(mask | (1 << i)) - utility(mask));
            }
        }
        phi
    }

    /// The `min(K, |S|)` nearest ranks of a subset.
    fn top(mask: u32, n: usize, k: usize) -> impl Iterator<Item = usize> {
        (0..n).filter(move |r| mask & (1 << r) != 0).take(k)
    }

    fn random_case(seed: u64, n: usize) -> (Vec<[f64; 2]>, Vec<[f64; 2]>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut rows = |m| (0..m).map(|_| [rng.random(), rng.random()]).collect();
        (rows(n), rows(3))
    }

    #[test]
    fn classification_recursion_matches_brute_force_shapley() {
        for n in 1..=7 {
            for k in 1..=n + 1 {
                let (train_x, test_x) = random_case((n * 10 + k) as u64, n);
                let train_y: Vec<u32> = (0..n as u32).map(|i| (i * 7 + k as u32) % 3).collect();
                let test_y = [0, 1, 2];
                let got =
                    knn_shapley_classification(&train_x, &train_y, &test_x, &test_y, k).unwrap();
                let mut want = vec![0.0; n];
                for (x, y) in test_x.iter().zip(&test_y) {
                    let order = sorted_by_distance(&train_x, x);
                    let phi = brute_force(n, |mask| {
                        top(mask, n, k).filter(|&r| train_y[order[r]] == *y).count() as f64
                            / k as f64
                    });
                    for (r, &i) in order.iter().enumerate() {
                        want[i] += phi[r] / 3.0;
                    }
                }
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() < 1e-9, "n {n} k {k}: {got:?} vs {want:?}");
                }
            }
        }
    }

    #[test]
    fn regression_sweep_matches_brute_force_shapley() {
        for n in 1..=7 {
            for k in 1..=n + 1 {
                let (train_x, test_x) = random_case((n * 100 + k) as u64, n);
                let train_y: Vec<f64> = train_x.iter().map(|r| 3.0 * r[0] - r[1] + 0.5).collect();
                let test_y = [0.2, 1.5, -0.7];
                let got = knn_shapley_regression(&train_x, &train_y, &test_x, &test_y, k).unwrap();
                let mut want = vec![0.0; n];
                for (x, y) in test_x.iter().zip(&test_y) {
                    let order = sorted_by_distance(&train_x, x);
                    let phi = brute_force(n, |mask| {
                        let pred: f64 =
                            top(mask, n, k).map(|r| train_y[order[r]]).sum::<f64>() / k as f64;
                        -(pred - y) * (pred - y)
                    });
                    for (r, &i) in order.iter().enumerate() {
                        want[i] += phi[r] / 3.0;
                    }
                }
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() < 1e-9, "n {n} k {k}: {got:?} vs {want:?}");
                }
            }
        }
    }

    #[test]
    fn values_sum_to_the_utility_of_the_whole_set() {
        // Efficiency: Σφ = U(N) − U(∅), here for accuracy with U(∅) = 0.
        let (train_x, test_x) = random_case(5, 40);
        let train_y: Vec<u32> = (0..40).map(|i| i % 2).collect();
        let phi = knn_shapley_classification(&train_x, &train_y, &test_x[..1], &[1], 5).unwrap();
        let order = sorted_by_distance(&train_x, &test_x[0]);
        let accuracy = order[..5].iter().filter(|&&i| train_y[i] == 1).count() as f64 / 5.0;
        assert!((phi.iter().sum::<f64>() - accuracy).abs() < 1e-12);
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let x = [[0.0, 1.0]];
        assert!(knn_shapley_classification(&x, &[0], &x, &[0], 0).is_err());
        assert!(knn_shapley_classification(&x, &[0, 1], &x, &[0], 1).is_err());
        assert!(knn_shapley_regression(&x, &[f64::NAN], &x, &[0.0], 1).is_err());
        let ragged: Vec<Vec<f64>> = vec![vec![0.0], vec![0.0, 1.0]];
        assert!(knn_shapley_regression(&ragged, &[0.0, 1.0], &ragged[..1], &[0.0], 1).is_err());
    }
}
