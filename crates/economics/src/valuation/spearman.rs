//! Spearman's rank correlation with average ranks for ties (as
//! `scipy.stats.spearmanr`): how well predicted ΔMPL orders realized ΔMPL.

/// 1-based ranks of `values`, ties given the mean of the ranks they span
/// (`scipy.stats.rankdata(method="average")`). NaNs sort last.
///
/// ```
/// assert_eq!(economics::average_ranks(&[5.0, 6.0, 7.0, 8.0, 7.0]), vec![1.0, 2.0, 3.5, 5.0, 3.5]);
/// ```
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1 ..= end: their mean.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// Spearman's ρ: Pearson's correlation of the average ranks of `x` and
/// `y`. `None` when the lengths differ, there are fewer than two pairs,
/// or either side is constant (ρ undefined; scipy returns NaN).
///
/// ```
/// // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) → 0.8207826816681233
/// let rho = economics::spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &[5.0, 6.0, 7.0, 8.0, 7.0]).unwrap();
/// assert!((rho - 0.8207826816681233).abs() < 1e-15);
/// ```
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    pearson(&average_ranks(x), &average_ranks(y))
}

fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_get_the_mean_of_their_ranks() {
        assert_eq!(
            average_ranks(&[3.0, 1.0, 3.0, 3.0]),
            vec![3.0, 1.0, 3.0, 3.0]
        );
        assert_eq!(average_ranks(&[2.0, 2.0, 1.0]), vec![2.5, 2.5, 1.0]);
        assert!(average_ranks(&[]).is_empty());
    }

    #[test]
    fn spearman_of_a_hand_computed_example() {
        // x ranks 1..5, y = [2, 1, 4, 3, 5] ranks the same: d = [1, −1, 1, −1, 0],
        // Σd² = 4, ρ = 1 − 6·4 / (5·24) = 0.8 (no ties, so the d² formula holds).
        let rho = spearman(&[10.0, 20.0, 30.0, 40.0, 50.0], &[2.0, 1.0, 4.0, 3.0, 5.0]).unwrap();
        assert!((rho - 0.8).abs() < 1e-15, "{rho}");
    }

    #[test]
    fn spearman_with_ties_matches_scipy() {
        // Ranks y = [1, 2, 3.5, 5, 3.5]; centred: Σdxdy = 8, Σdx² = 10,
        // Σdy² = 9.5; ρ = 8/√95 = 0.8207826816681233 (scipy's value).
        let rho = spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &[5.0, 6.0, 7.0, 8.0, 7.0]).unwrap();
        assert!((rho - 8.0 / 95f64.sqrt()).abs() < 1e-15);
        assert!((rho - 0.820_782_681_668_123_3).abs() < 1e-15);
    }

    #[test]
    fn spearman_is_undefined_for_constants_and_short_input() {
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[4.0, 4.0, 4.0]), None);
        assert_eq!(spearman(&[1.0], &[2.0]), None);
        assert_eq!(spearman(&[1.0, 2.0], &[2.0]), None);
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-1.0));
    }
}
