//! κ, the confidence discount of a premium (SPEC §6).

use crate::error::{EconomicsError, Result};

/// `κ = lower / mean`, clipped to `[kappa_floor, 1]`; `kappa_floor` when
/// the mean is 0. `mean` and `lower` are the clipped E[ΔMPL] and its lower
/// bound (`>= 0`); `kappa_floor` lies in (0, 1].
///
/// ```
/// use economics::kappa;
/// assert_eq!(kappa(6.0, 3.0, 0.25).unwrap(), 0.5);
/// assert_eq!(kappa(6.0, 0.6, 0.25).unwrap(), 0.25); // floor
/// assert_eq!(kappa(0.0, 0.0, 0.25).unwrap(), 0.25); // mean 0
/// ```
pub fn kappa(mean: f64, lower: f64, kappa_floor: f64) -> Result<f64> {
    crate::error::non_negative("expected_mpl", mean)?;
    crate::error::non_negative("lower", lower)?;
    crate::error::finite("kappa_floor", kappa_floor)?;
    if !(kappa_floor > 0.0 && kappa_floor <= 1.0) {
        return Err(EconomicsError::OutOfRange {
            field: "kappa_floor",
            expected: "in (0, 1]",
            value: kappa_floor,
        });
    }
    if mean == 0.0 {
        return Ok(kappa_floor);
    }
    Ok((lower / mean).clamp(kappa_floor, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_is_lower_over_mean() {
        assert!((kappa(6.0, 4.8, 0.25).unwrap() - 0.8).abs() < 1e-15);
        assert_eq!(kappa(4.0, 1.0, 0.2).unwrap(), 0.25);
    }

    #[test]
    fn kappa_is_clipped_to_the_floor_and_to_one() {
        assert_eq!(kappa(6.0, 0.6, 0.25).unwrap(), 0.25);
        assert_eq!(kappa(6.0, 0.0, 0.25).unwrap(), 0.25);
        assert_eq!(kappa(6.0, 9.0, 0.25).unwrap(), 1.0);
    }

    #[test]
    fn kappa_is_the_floor_when_the_mean_is_zero() {
        assert_eq!(kappa(0.0, 0.0, 0.3).unwrap(), 0.3);
    }

    #[test]
    fn kappa_refuses_a_floor_outside_zero_one_and_negative_inputs() {
        assert!(kappa(1.0, 0.5, 0.0).is_err());
        assert!(kappa(1.0, 0.5, 1.5).is_err());
        assert!(kappa(-1.0, 0.5, 0.25).is_err());
        assert!(kappa(1.0, f64::NAN, 0.25).is_err());
    }
}
