//! The `task:` section: what the task is and what its output is worth.

use crate::OccupationCode;
use crate::TaskEconomics;
use crate::error::Result;
use serde::{Deserialize, Serialize};
use yaml_config::ConfigCheck;

/// The task's economics as written in its config (SPEC §2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSection {
    /// Task name, e.g. `dishwashing`. Required.
    pub name: String,
    /// BLS OEWS occupation code the human benchmark comes from, e.g.
    /// `35-9021` (dishwashers). Required.
    pub occupation_code: OccupationCode,
    /// What one unit is, for reports (`dish`, `brick`). Default `unit`.
    #[serde(default = "default_unit")]
    pub unit: String,
    /// `p`: dollars per completed unit, `> 0`. Required.
    pub price_per_unit: f64,
    /// `MP_h`: units per hour a human produces, `> 0`. Required.
    pub human_mp: f64,
    /// `w_h`: human wage in dollars per hour, `> 0`. Required. Usually the
    /// OEWS figure for `occupation_code`, but the config's value is used.
    pub human_wage: f64,
    /// `c_d`: dollars per error, `>= 0`. Required.
    pub damage_cost: f64,
}

fn default_unit() -> String {
    "unit".to_owned()
}

impl TaskSection {
    /// The validated economics of this task.
    pub fn economics(&self) -> Result<TaskEconomics> {
        Ok(TaskEconomics::new(
            self.price_per_unit,
            self.human_mp,
            self.human_wage,
            self.damage_cost,
        )?
        .with_occupation(self.occupation_code.clone()))
    }

    pub(crate) fn check(&self, c: &mut ConfigCheck<'_>) {
        c.non_empty("task.name", &self.name);
        c.non_empty("task.unit", &self.unit);
        c.positive("task.price_per_unit", self.price_per_unit);
        c.positive("task.human_mp", self.human_mp);
        c.positive("task.human_wage", self.human_wage);
        c.non_negative("task.damage_cost", self.damage_cost);
    }
}
