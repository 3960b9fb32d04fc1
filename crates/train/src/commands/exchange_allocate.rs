//! `vp exchange allocate`: the MRH attention manager's share of the ATP
//! budget for a metabolic state and a horizon profile (SPEC §7):
//! `allocation = base_share(state) × (0.4·spatial + 0.3·temporal +
//! 0.3·complexity)`, capped at 1.0.

use crate::out::outln;
use anyhow::{Context, Result};
use clap::Args;
use exchange::{
    ComplexityExtent, HorizonProfile, MetabolicState, SpatialExtent, TemporalExtent, allocate,
};
use serde_json::json;
use std::process::ExitCode;

/// ATP allocation of a state and a profile.
#[derive(Debug, Args)]
pub struct AllocateArgs {
    /// WAKE, FOCUS, REST, DREAM or CRISIS.
    #[arg(long, value_name = "STATE")]
    state: String,
    /// LOCAL, REGIONAL or GLOBAL.
    #[arg(long, value_name = "S")]
    spatial: String,
    /// EPHEMERAL, SESSION, DAY or EPOCH.
    #[arg(long, value_name = "T")]
    temporal: String,
    /// SIMPLE, AGENT_SCALE or SOCIETY_SCALE.
    #[arg(long, value_name = "C")]
    complexity: String,
    /// Print one JSON object: allocation, horizon_factor, capped (and the
    /// uncapped value and base share).
    #[arg(long)]
    json: bool,
}

impl AllocateArgs {
    /// Computes and prints the allocation.
    pub fn run(self) -> Result<ExitCode> {
        let state: MetabolicState = self.state.parse().context("--state")?;
        let spatial: SpatialExtent = self.spatial.parse().context("--spatial")?;
        let temporal: TemporalExtent = self.temporal.parse().context("--temporal")?;
        let complexity: ComplexityExtent = self.complexity.parse().context("--complexity")?;
        let a = allocate(state, HorizonProfile::new(spatial, temporal, complexity));
        if self.json {
            outln!(
                "{}",
                json!({
                    "allocation": a.allocation,
                    "horizon_factor": a.horizon_factor,
                    "capped": a.capped,
                    "uncapped": a.uncapped,
                    "base_share": a.base_share,
                    "state": state.as_str(),
                    "spatial": spatial.as_str(),
                    "temporal": temporal.as_str(),
                    "complexity": complexity.as_str(),
                })
            );
        } else {
            outln!(
                "{state} {}/{}/{}: allocation {:.4}{} (base share {:.2} × horizon factor {:.4} = {:.4})",
                spatial,
                temporal,
                complexity,
                a.allocation,
                if a.capped { " (capped)" } else { "" },
                a.base_share,
                a.horizon_factor,
                a.uncapped
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
