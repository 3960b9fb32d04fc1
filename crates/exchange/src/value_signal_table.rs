//! The configurable registry of value-signal kinds (SPEC §7): each kind's
//! base value in credits and the confidence it is trusted with, SPEC's
//! default table plus the harness's own signals.
//!
//! Default table (base value in credits, confidence):
//!
//! | kind | base | confidence |
//! |---|---|---|
//! | `thumbs_up` | 10 | 0.9 |
//! | `thumbs_down` | −15 | 0.9 |
//! | `prediction_accepted` | 5 | 0.7 |
//! | `prediction_rejected` | −3 | 0.7 |
//! | `ci_pass` | 20 | 0.6 |
//! | `ci_fail` | −25 | 0.6 |
//! | `commit_includes_predicted_file` | 15 | 0.8 |
//! | `error_resolved` | 30 | 0.5 |
//! | `agreed_with_winner` | 3 | 0.5 |
//! | `disagreed_with_winner` | −2 | 0.5 |
//! | `sole_correct` | 25 | 0.7 |
//! | `fast_resolution` | 5 | 0.4 |
//! | `long_debug_session` | −5 | 0.3 |
//! | `wage_parity_reached` (harness) | 50 | 0.9 |
//! | `evaluation_success` (harness) | 10 | 0.8 |
//! | `training_divergence` (harness) | −20 | 0.9 |
//! | `productivity_gain` (harness) | priced | 0.8 |
//!
//! `productivity_gain` has no fixed base: its raw value is the measured gain
//! in dollars, `p·ΔMP_r·horizon_hours`, converted at
//! [`SignalTable::credits_per_dollar`] (default 1 credit per dollar of
//! output the gain is expected to earn over the horizon); see
//! [`SignalTable::productivity_gain_value`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{ExchangeError, Result};

/// Kind of the harness's productivity-gain signal (priced, no fixed base).
pub const PRODUCTIVITY_GAIN: &str = "productivity_gain";
/// Kind of the harness's wage-parity-reached signal.
pub const WAGE_PARITY_REACHED: &str = "wage_parity_reached";
/// Kind of the harness's evaluation-success signal.
pub const EVALUATION_SUCCESS: &str = "evaluation_success";
/// Kind of the harness's training-divergence signal (negative).
pub const TRAINING_DIVERGENCE: &str = "training_divergence";

/// One kind's base value and confidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalRule {
    /// Raw value of one signal of this kind, in credits; negative for a
    /// penalty. Finite. Ignored for `productivity_gain`, which is priced.
    pub base_value: f64,
    /// How much the signal is trusted, in [0, 1]; the credited total is
    /// `raw value × confidence`.
    pub confidence: f64,
}

impl SignalRule {
    /// A rule.
    pub const fn new(base_value: f64, confidence: f64) -> Self {
        SignalRule {
            base_value,
            confidence,
        }
    }
}

/// SPEC §7's default table followed by the harness's own signals, as
/// `(kind, base value, confidence)`.
pub const DEFAULT_SIGNALS: [(&str, f64, f64); 17] = [
    ("thumbs_up", 10.0, 0.9),
    ("thumbs_down", -15.0, 0.9),
    ("prediction_accepted", 5.0, 0.7),
    ("prediction_rejected", -3.0, 0.7),
    ("ci_pass", 20.0, 0.6),
    ("ci_fail", -25.0, 0.6),
    ("commit_includes_predicted_file", 15.0, 0.8),
    ("error_resolved", 30.0, 0.5),
    ("agreed_with_winner", 3.0, 0.5),
    ("disagreed_with_winner", -2.0, 0.5),
    ("sole_correct", 25.0, 0.7),
    ("fast_resolution", 5.0, 0.4),
    ("long_debug_session", -5.0, 0.3),
    (WAGE_PARITY_REACHED, 50.0, 0.9),
    (EVALUATION_SUCCESS, 10.0, 0.8),
    (TRAINING_DIVERGENCE, -20.0, 0.9),
    (PRODUCTIVITY_GAIN, 0.0, 0.8),
];

/// The registry of signal kinds. Kinds can be changed, added or removed;
/// [`SignalTable::validate`] checks a table read from a config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignalTable {
    /// Rules by kind name (lower-case snake case).
    pub rules: BTreeMap<String, SignalRule>,
    /// Credits per dollar of measured productivity gain (default 1.0: a
    /// credit stands for a dollar of robot output). > 0, finite.
    pub credits_per_dollar: f64,
}

impl Default for SignalTable {
    fn default() -> Self {
        SignalTable {
            rules: DEFAULT_SIGNALS
                .iter()
                .map(|&(k, v, c)| (k.to_string(), SignalRule::new(v, c)))
                .collect(),
            credits_per_dollar: 1.0,
        }
    }
}

impl SignalTable {
    /// Checks every rule: kinds are non-empty `[a-z0-9_]`, base values
    /// finite, confidences in [0, 1], `credits_per_dollar` finite and > 0.
    pub fn validate(&self) -> Result<()> {
        for (kind, rule) in &self.rules {
            if kind.is_empty()
                || !kind
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(ExchangeError::InvalidInput {
                    field: "signal table kind".into(),
                    expected: "lower-case letters, digits and '_'".into(),
                    got: format!("{kind:?}"),
                });
            }
            if !rule.base_value.is_finite() {
                return Err(ExchangeError::InvalidInput {
                    field: format!("signal table '{kind}' base_value"),
                    expected: "a finite number of credits".into(),
                    got: rule.base_value.to_string(),
                });
            }
            if !(0.0..=1.0).contains(&rule.confidence) {
                return Err(ExchangeError::InvalidInput {
                    field: format!("signal table '{kind}' confidence"),
                    expected: "in [0, 1]".into(),
                    got: rule.confidence.to_string(),
                });
            }
        }
        if !(self.credits_per_dollar.is_finite() && self.credits_per_dollar > 0.0) {
            return Err(ExchangeError::OutOfRange {
                field: "credits_per_dollar",
                expected: "finite and > 0",
                value: self.credits_per_dollar,
            });
        }
        Ok(())
    }

    /// The rule of a kind, or an error naming the kinds there are.
    pub fn rule(&self, kind: &str) -> Result<SignalRule> {
        self.rules
            .get(kind)
            .copied()
            .ok_or_else(|| ExchangeError::InvalidInput {
                field: "signal kind".into(),
                expected: format!(
                    "one of the table's kinds ({})",
                    self.rules.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
                got: format!("{kind:?}"),
            })
    }

    /// Raw value in credits of a measured productivity gain:
    /// `p · ΔMP_r · horizon_hours` dollars × `credits_per_dollar`.
    /// `p` is the price per unit ($/unit, ≥ 0), `delta_mp_r` the measured
    /// change in units per hour (negative for a loss), `horizon_hours` the
    /// robot-hours the gain is expected to last (≥ 0).
    pub fn productivity_gain_value(
        &self,
        price_per_unit: f64,
        delta_mp_r: f64,
        horizon_hours: f64,
    ) -> Result<f64> {
        check_non_negative("price_per_unit", price_per_unit)?;
        check_non_negative("horizon_hours", horizon_hours)?;
        if !delta_mp_r.is_finite() {
            return Err(ExchangeError::OutOfRange {
                field: "delta_mp_r",
                expected: "a finite number of units per hour",
                value: delta_mp_r,
            });
        }
        Ok(price_per_unit * delta_mp_r * horizon_hours * self.credits_per_dollar)
    }
}

fn check_non_negative(field: &'static str, v: f64) -> Result<()> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(ExchangeError::OutOfRange {
            field,
            expected: "finite and >= 0",
            value: v,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_holds_spec_values() {
        let t = SignalTable::default();
        t.validate().unwrap();
        assert_eq!(t.rules.len(), 17);
        assert_eq!(t.rule("thumbs_up").unwrap(), SignalRule::new(10.0, 0.9));
        assert_eq!(t.rule("thumbs_down").unwrap(), SignalRule::new(-15.0, 0.9));
        assert_eq!(t.rule("ci_fail").unwrap(), SignalRule::new(-25.0, 0.6));
        assert_eq!(
            t.rule("long_debug_session").unwrap(),
            SignalRule::new(-5.0, 0.3)
        );
        let e = t.rule("thumbs_sideways").unwrap_err().to_string();
        assert!(
            e.contains("thumbs_up") && e.contains("thumbs_sideways"),
            "{e}"
        );
    }

    #[test]
    fn productivity_gain_is_priced_in_dollars_then_credits() {
        // p = 0.30 $/unit, ΔMP_r = 6 units/h, 1000 h: 0.30·6·1000 = $1800;
        // at 0.5 credits per dollar: 900 credits.
        let t = SignalTable {
            credits_per_dollar: 0.5,
            ..SignalTable::default()
        };
        let v = t.productivity_gain_value(0.30, 6.0, 1000.0).unwrap();
        assert!((v - 900.0).abs() < 1e-9, "{v}");
        // A loss of 2 units/h over 10 h at $0.30: −$6 → −3 credits.
        let v = t.productivity_gain_value(0.30, -2.0, 10.0).unwrap();
        assert!((v + 3.0).abs() < 1e-9, "{v}");
        assert!(t.productivity_gain_value(-0.3, 1.0, 1.0).is_err());
        assert!(t.productivity_gain_value(0.3, f64::NAN, 1.0).is_err());
    }

    #[test]
    fn table_validation_names_the_kind_and_field() {
        let mut t = SignalTable::default();
        t.rules.insert("x".into(), SignalRule::new(1.0, 1.5));
        let e = t.validate().unwrap_err().to_string();
        assert!(e.contains("'x' confidence") && e.contains("[0, 1]"), "{e}");
        let mut t = SignalTable::default();
        t.rules.insert("Bad Kind".into(), SignalRule::new(1.0, 0.5));
        assert!(t.validate().is_err());
        let t: std::result::Result<SignalTable, _> =
            serde_json::from_str(r#"{"credits_per_dolar": 2.0}"#);
        assert!(t.unwrap_err().to_string().contains("credits_per_dolar"));
    }
}
