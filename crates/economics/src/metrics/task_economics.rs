//! The economic parameters of one task (SPEC §2): price, human benchmark,
//! damage cost and the occupation whose wage is the target.

use crate::OccupationCode;
use crate::error::{Result, non_negative, positive};
use serde::Serialize;

/// Per-task economics, validated on construction.
///
/// Fields are private so a `TaskEconomics` is always valid: `p`, `MP_h`,
/// `w_h` finite and `> 0`, `c_d` finite and `>= 0`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskEconomics {
    price_per_unit: f64,
    human_mp: f64,
    human_wage: f64,
    damage_cost: f64,
    occupation_code: Option<OccupationCode>,
}

impl TaskEconomics {
    /// Builds the task economics.
    ///
    /// * `price_per_unit` — `p`, dollars per completed unit, `> 0`.
    /// * `human_mp` — `MP_h`, units per hour a human produces, `> 0`.
    /// * `human_wage` — `w_h`, dollars per hour, `> 0`.
    /// * `damage_cost` — `c_d`, dollars per error, `>= 0`.
    ///
    /// ```
    /// let task = economics::TaskEconomics::new(0.30, 60.0, 18.0, 1.0).unwrap();
    /// assert_eq!(task.human_wage(), 18.0);
    /// ```
    pub fn new(
        price_per_unit: f64,
        human_mp: f64,
        human_wage: f64,
        damage_cost: f64,
    ) -> Result<Self> {
        Ok(Self {
            price_per_unit: positive("price_per_unit", price_per_unit)?,
            human_mp: positive("human_mp", human_mp)?,
            human_wage: positive("human_wage", human_wage)?,
            damage_cost: non_negative("damage_cost", damage_cost)?,
            occupation_code: None,
        })
    }

    /// The same economics, tagged with the BLS occupation it is benchmarked on.
    pub fn with_occupation(mut self, code: OccupationCode) -> Self {
        self.occupation_code = Some(code);
        self
    }

    /// `p`: dollars per completed unit.
    pub fn price_per_unit(&self) -> f64 {
        self.price_per_unit
    }

    /// `MP_h`: human marginal product, units per hour.
    pub fn human_mp(&self) -> f64 {
        self.human_mp
    }

    /// `w_h`: human hourly wage, dollars per hour.
    pub fn human_wage(&self) -> f64 {
        self.human_wage
    }

    /// `c_d`: damage cost, dollars per error.
    pub fn damage_cost(&self) -> f64 {
        self.damage_cost
    }

    /// The BLS OEWS occupation code, where one was given.
    pub fn occupation_code(&self) -> Option<&OccupationCode> {
        self.occupation_code.as_ref()
    }

    /// The error rate above which every extra unit lowers the robot's wage:
    /// `p / c_d` (infinite when `c_d = 0`, i.e. errors are free).
    pub fn break_even_error_rate(&self) -> f64 {
        if self.damage_cost == 0.0 {
            f64::INFINITY
        } else {
            self.price_per_unit / self.damage_cost
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EconomicsError;

    #[test]
    fn task_economics_rejects_non_positive_price_and_wage() {
        assert!(matches!(
            TaskEconomics::new(0.0, 60.0, 18.0, 1.0),
            Err(EconomicsError::OutOfRange {
                field: "price_per_unit",
                ..
            })
        ));
        assert!(matches!(
            TaskEconomics::new(0.3, -1.0, 18.0, 1.0),
            Err(EconomicsError::OutOfRange {
                field: "human_mp",
                ..
            })
        ));
        assert!(matches!(
            TaskEconomics::new(0.3, 60.0, 0.0, 1.0),
            Err(EconomicsError::OutOfRange {
                field: "human_wage",
                ..
            })
        ));
        assert!(matches!(
            TaskEconomics::new(0.3, 60.0, 18.0, -0.1),
            Err(EconomicsError::OutOfRange {
                field: "damage_cost",
                ..
            })
        ));
    }

    #[test]
    fn task_economics_rejects_non_finite_values() {
        assert!(matches!(
            TaskEconomics::new(f64::NAN, 60.0, 18.0, 1.0),
            Err(EconomicsError::NonFinite {
                field: "price_per_unit",
                ..
            })
        ));
        assert!(matches!(
            TaskEconomics::new(0.3, 60.0, 18.0, f64::INFINITY),
            Err(EconomicsError::NonFinite {
                field: "damage_cost",
                ..
            })
        ));
    }

    #[test]
    fn zero_damage_cost_is_allowed_and_has_no_break_even() {
        let task = TaskEconomics::new(0.3, 60.0, 18.0, 0.0).unwrap();
        assert_eq!(task.break_even_error_rate(), f64::INFINITY);
    }
}
