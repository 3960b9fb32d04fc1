//! The inverse of the standard normal CDF, computed: Wichura's algorithm
//! AS 241 (PPND16, Applied Statistics 37(3), 1988), accurate to about
//! 1e-16 relative over (0, 1).

use crate::error::{EconomicsError, Result};

/// `Φ⁻¹(p)`: the standard normal quantile of probability `p` in (0, 1).
pub fn normal_quantile(p: f64) -> Result<f64> {
    if !(p.is_finite() && p > 0.0 && p < 1.0) {
        return Err(EconomicsError::OutOfRange {
            field: "probability",
            expected: "in the open interval (0, 1)",
            value: p,
        });
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return Ok(q * poly(&A, r) / poly(&B, r));
    }
    let r = if q < 0.0 { p } else { 1.0 - p };
    let r = (-r.ln()).sqrt();
    let z = if r <= 5.0 {
        let r = r - 1.6;
        poly(&C, r) / poly(&D, r)
    } else {
        let r = r - 5.0;
        poly(&E, r) / poly(&F, r)
    };
    Ok(if q < 0.0 { -z } else { z })
}

/// `z` of a two-sided interval holding `confidence_level` of a normal:
/// `Φ⁻¹((1 + c) / 2)`, e.g. 1.2816 for 0.80 and 1.95996 for 0.95.
pub fn two_sided_z(confidence_level: f64) -> Result<f64> {
    if !(confidence_level.is_finite() && confidence_level > 0.0 && confidence_level < 1.0) {
        return Err(EconomicsError::OutOfRange {
            field: "confidence_level",
            expected: "in the open interval (0, 1)",
            value: confidence_level,
        });
    }
    normal_quantile(0.5 + 0.5 * confidence_level)
}

/// Horner evaluation of `c[0] + c[1]·x + … + c[7]·x⁷`.
fn poly(c: &[f64; 8], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &ci| acc * x + ci)
}

// The published coefficients of AS 241, digit for digit.
#[allow(clippy::excessive_precision)]
const A: [f64; 8] = [
    3.3871328727963666080e0,
    1.3314166789178437745e+2,
    1.9715909503065514427e+3,
    1.3731693765509461125e+4,
    4.5921953931549871457e+4,
    6.7265770927008700853e+4,
    3.3430575583588128105e+4,
    2.5090809287301226727e+3,
];
#[allow(clippy::excessive_precision)]
const B: [f64; 8] = [
    1.0,
    4.2313330701600911252e+1,
    6.8718700749205790830e+2,
    5.3941960214247511077e+3,
    2.1213794301586595867e+4,
    3.9307895800092710610e+4,
    2.8729085735721942674e+4,
    5.2264952788528545610e+3,
];
#[allow(clippy::excessive_precision)]
const C: [f64; 8] = [
    1.42343711074968357734e0,
    4.63033784615654529590e0,
    5.76949722146069140550e0,
    3.64784832476320460504e0,
    1.27045825245236838258e0,
    2.41780725177450611770e-1,
    2.27238449892691845833e-2,
    7.74545014278341407640e-4,
];
#[allow(clippy::excessive_precision)]
const D: [f64; 8] = [
    1.0,
    2.05319162663775882187e0,
    1.67638483018380384940e0,
    6.89767334985100004550e-1,
    1.48103976427480074590e-1,
    1.51986665636164571966e-2,
    5.47593808499534494600e-4,
    1.05075007164441684324e-9,
];
#[allow(clippy::excessive_precision)]
const E: [f64; 8] = [
    6.65790464350110377720e0,
    5.46378491116411436990e0,
    1.78482653991729133580e0,
    2.96560571828504891230e-1,
    2.65321895265761230930e-2,
    1.24266094738807843860e-3,
    2.71155556874348757815e-5,
    2.01033439929228813265e-7,
];
#[allow(clippy::excessive_precision)]
const F: [f64; 8] = [
    1.0,
    5.99832206555887937690e-1,
    1.36929880922735805310e-1,
    1.48753612908506148525e-2,
    7.86869131145613259100e-4,
    1.84631831751005468180e-5,
    1.42151175831644588870e-7,
    2.04426310338993978564e-15,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z_of_80_percent_is_1_2816() {
        let z = two_sided_z(0.80).unwrap();
        assert!((z - 1.281_551_565_544_600_5).abs() < 1e-14, "{z}");
        assert_eq!((z * 1e4).round() / 1e4, 1.2816);
    }

    #[test]
    fn z_of_95_percent_is_1_95996() {
        let z = two_sided_z(0.95).unwrap();
        assert!((z - 1.959_963_984_540_054).abs() < 1e-14, "{z}");
    }

    #[test]
    fn quantile_matches_scipy_in_both_tails() {
        // scipy.stats.norm.ppf
        for (p, want) in [
            (0.5, 0.0),
            (0.975, 1.959_963_984_540_054),
            (0.025, -1.959_963_984_540_054),
            (1e-10, -6.361_340_902_404_056),
            (0.999_999, 4.753_424_308_817_087),
            (0.3, -0.524_400_512_708_040_9),
        ] {
            let got = normal_quantile(p).unwrap();
            assert!(
                (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                "p {p}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn quantile_refuses_probabilities_outside_the_open_unit_interval() {
        for p in [0.0, 1.0, -0.1, f64::NAN] {
            assert!(normal_quantile(p).is_err());
        }
        assert!(two_sided_z(1.0).is_err());
    }
}
