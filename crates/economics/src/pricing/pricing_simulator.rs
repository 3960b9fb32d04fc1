//! A seeded simulation of data pricing with and without sharing (SPEC §6,
//! `vp econ pricing-simulator`): what premiums earn, what sharing
//! discounts cost, and how fast the learner improves on shared data.
//!
//! The model, per run:
//!
//! 1. `C` customers; customer `c` shares all its data when `u_c < R`
//!    (`u_c ~ U(0, 1)`, drawn once), else withholds it. `R` is the sharing
//!    rate. The `u_c` are drawn first, so a sweep over `R` keeps the same
//!    customers and datapoints (common random numbers).
//! 2. Each episode, each customer contributes `K` datapoints drawn from
//!    [`DatapointModelConfig`] with the shared pool `S` as it stood at the
//!    start of the episode (novelty decays as the pool grows).
//! 3. Each datapoint is valued by a [`ValueEstimator`] (the task config's
//!    `data_valuation:` section) fitted on the realized ΔMPL of the
//!    datapoints of earlier episodes: E[ΔMPL], lower bound, κ. Before
//!    `min_samples` rows the estimate is 0 and so is the premium.
//! 4. A withheld datapoint is billed `P = p·κ·E[ΔMPL]·H` (S = 1); a sharing
//!    customer pays no premium and gets `p·data_sharing_discount` off each
//!    unit its robot produces: `MP_r · h_ep` units per episode.
//! 5. The learner trains on shared data only. With `G` the summed realized
//!    ΔMPL of all shared datapoints so far, `D = MP_h·(φ_max − φ_0)`:
//!    `MP_r = MP_h·φ_0 + D·(1 − exp(−G / D))`. The first datapoints add
//!    their full ΔMPL; returns diminish as `MP_r` nears `MP_h·φ_max`.
//! 6. At the end of the episode every datapoint's realized ΔMPL (the
//!    true-up's measurement) joins the estimator's window.
//!
//! `p`, `MP_h`, `H`, the discount, κ's floor, the confidence level and the
//! window come from the task config; the rest from
//! [`PricingSimulatorConfig`]'s documented defaults. Same seed, same rows.

use crate::error::{EconomicsError, Result, finite, positive};
use crate::{DatapointModelConfig, TaskConfig, ValuationRow, ValueEstimator, premium};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Columns of the per-episode CSV, in order.
pub const SIMULATION_COLUMNS: [&str; 10] = [
    "episode",
    "sharing_rate",
    "shared_datapoints",
    "withheld_datapoints",
    "premium_revenue",
    "discount_cost",
    "net_revenue",
    "cumulative_revenue",
    "mp_r",
    "mp_r_growth",
];

/// Columns of the sweep CSV (one row per sharing rate), in order.
pub const SWEEP_COLUMNS: [&str; 10] = [
    "sharing_rate",
    "sharing_customers",
    "shared_datapoints",
    "withheld_datapoints",
    "premium_revenue",
    "discount_cost",
    "total_revenue",
    "initial_mp_r",
    "final_mp_r",
    "final_productivity_parity",
];

/// The simulation's own settings; the economics come from the task config.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PricingSimulatorConfig {
    /// `C`: customers, `>= 1`. Default 20.
    pub customers: u32,
    /// Episodes simulated, `>= 1`. Default 50.
    pub episodes: u64,
    /// `R`: probability that a customer shares, in [0, 1]. Default 0.5.
    pub data_sharing_rate: f64,
    /// Seed of the ChaCha8 generator. Default 0.
    pub seed: u64,
    /// `K`: datapoints each customer contributes per episode, `>= 1`.
    /// Default 1.
    pub datapoints_per_episode: u32,
    /// `h_ep`: robot-hours each customer's robot works per episode, the
    /// units the sharing discount applies to are `MP_r·h_ep`; `> 0`.
    /// Default 8 (a shift).
    pub robot_hours_per_episode: f64,
    /// `φ_0`: the learner's productivity parity `MP_r/MP_h` before any
    /// shared data, in [0, φ_max). Default 0.5.
    pub initial_parity: f64,
    /// `φ_max`: the parity shared data can lift the learner to, `> φ_0`.
    /// Default 1.0 (the human's pace).
    pub ceiling_parity: f64,
    /// The datapoints' generative model.
    pub model: DatapointModelConfig,
}

impl Default for PricingSimulatorConfig {
    fn default() -> Self {
        Self {
            customers: 20,
            episodes: 50,
            data_sharing_rate: 0.5,
            seed: 0,
            datapoints_per_episode: 1,
            robot_hours_per_episode: 8.0,
            initial_parity: 0.5,
            ceiling_parity: 1.0,
            model: DatapointModelConfig::default(),
        }
    }
}

/// One episode of a simulation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SimulationEpisode {
    /// 0-based episode.
    pub episode: u64,
    /// `R` of the run.
    pub sharing_rate: f64,
    /// Datapoints shared this episode.
    pub shared_datapoints: u64,
    /// Datapoints withheld this episode.
    pub withheld_datapoints: u64,
    /// Σ `p·κ·E[ΔMPL]·H` over withheld datapoints, dollars.
    pub premium_revenue: f64,
    /// Σ `p·data_sharing_discount·MP_r·h_ep` over sharing customers, dollars.
    pub discount_cost: f64,
    /// premium_revenue − discount_cost, dollars.
    pub net_revenue: f64,
    /// Σ net_revenue up to and including this episode, dollars.
    pub cumulative_revenue: f64,
    /// The learner's `MP_r` at the end of the episode, units/hour.
    pub mp_r: f64,
    /// `MP_r` gained this episode, units/hour.
    pub mp_r_growth: f64,
}

/// A sweep's summary of one sharing rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SweepRow {
    /// `R`.
    pub sharing_rate: f64,
    /// Customers who share at this rate.
    pub sharing_customers: u32,
    /// Datapoints shared over the run.
    pub shared_datapoints: u64,
    /// Datapoints withheld over the run.
    pub withheld_datapoints: u64,
    /// Σ premiums, dollars.
    pub premium_revenue: f64,
    /// Σ sharing discounts, dollars.
    pub discount_cost: f64,
    /// premium_revenue − discount_cost, dollars.
    pub total_revenue: f64,
    /// `MP_h·φ_0`, units/hour.
    pub initial_mp_r: f64,
    /// `MP_r` after the last episode, units/hour.
    pub final_mp_r: f64,
    /// final_mp_r / MP_h.
    pub final_productivity_parity: f64,
}

/// The simulator: a task's economics and the simulation's settings.
#[derive(Debug, Clone)]
pub struct PricingSimulator {
    config: PricingSimulatorConfig,
    task: TaskConfig,
}

impl PricingSimulator {
    /// Checks the settings against their ranges; the task config is
    /// already checked by its loader.
    pub fn new(task: &TaskConfig, config: PricingSimulatorConfig) -> Result<Self> {
        let at_least_one = |field: &'static str, v: u64| {
            if v == 0 {
                Err(EconomicsError::OutOfRange {
                    field,
                    expected: ">= 1",
                    value: 0.0,
                })
            } else {
                Ok(())
            }
        };
        at_least_one("customers", u64::from(config.customers))?;
        at_least_one("episodes", config.episodes)?;
        at_least_one(
            "datapoints_per_episode",
            u64::from(config.datapoints_per_episode),
        )?;
        unit_interval("data_sharing_rate", config.data_sharing_rate)?;
        positive("robot_hours_per_episode", config.robot_hours_per_episode)?;
        finite("initial_parity", config.initial_parity)?;
        finite("ceiling_parity", config.ceiling_parity)?;
        if !(config.initial_parity >= 0.0 && config.initial_parity < config.ceiling_parity) {
            return Err(EconomicsError::OutOfRange {
                field: "initial_parity",
                expected: ">= 0 and < ceiling_parity",
                value: config.initial_parity,
            });
        }
        config.model.validate()?;
        ValueEstimator::new(&task.data_valuation)?;
        Ok(Self {
            config,
            task: task.clone(),
        })
    }

    /// The settings.
    pub fn config(&self) -> &PricingSimulatorConfig {
        &self.config
    }

    /// Runs the simulation, one row per episode.
    pub fn run(&self) -> Result<Vec<SimulationEpisode>> {
        let c = &self.config;
        let p = self.task.task.price_per_unit;
        let mp_h = self.task.task.human_mp;
        let horizon = self.task.pricing.horizon_hours;
        let discount_per_unit = p * self.task.pricing.data_sharing_discount;
        let mut rng = ChaCha8Rng::seed_from_u64(c.seed);
        let shares: Vec<bool> = (0..c.customers)
            .map(|_| rng.random::<f64>() < c.data_sharing_rate)
            .collect();
        let mut estimator = ValueEstimator::new(&self.task.data_valuation)?;
        let mp_0 = mp_h * c.initial_parity;
        let gap = mp_h * (c.ceiling_parity - c.initial_parity);
        let (mut pool, mut shared_gain, mut mp_r, mut cumulative) = (0u64, 0.0f64, mp_0, 0.0f64);
        let mut rows = Vec::new();
        for episode in 0..c.episodes {
            let fit = estimator.fit()?;
            let mut row = SimulationEpisode {
                episode,
                sharing_rate: c.data_sharing_rate,
                shared_datapoints: 0,
                withheld_datapoints: 0,
                premium_revenue: 0.0,
                discount_cost: 0.0,
                net_revenue: 0.0,
                cumulative_revenue: 0.0,
                mp_r: 0.0,
                mp_r_growth: 0.0,
            };
            let mut measured = Vec::new();
            for &shared in &shares {
                if shared {
                    // Units bought at this episode's pace, each p·d cheaper.
                    row.discount_cost += discount_per_unit * mp_r * c.robot_hours_per_episode;
                }
                for _ in 0..c.datapoints_per_episode {
                    let d = c.model.draw(&mut rng, pool);
                    if shared {
                        row.shared_datapoints += 1;
                        shared_gain += d.realized_mpl;
                    } else {
                        let (mean, _, _, _, kappa) =
                            estimator.interval_under(fit.as_ref(), d.novelty, d.causal_gain)?;
                        row.withheld_datapoints += 1;
                        row.premium_revenue += premium(p, kappa, mean, horizon, 1.0);
                    }
                    measured.push(ValuationRow {
                        novelty: d.novelty,
                        causal_gain: d.causal_gain,
                        realized_mpl: d.realized_mpl,
                    });
                }
            }
            pool += row.shared_datapoints;
            let next = mp_0 + gap * (1.0 - (-shared_gain / gap).exp());
            row.mp_r_growth = next - mp_r;
            row.mp_r = next;
            mp_r = next;
            row.net_revenue = row.premium_revenue - row.discount_cost;
            cumulative += row.net_revenue;
            row.cumulative_revenue = cumulative;
            for m in measured {
                estimator.push(m)?;
            }
            rows.push(row);
        }
        Ok(rows)
    }

    /// Runs the rates `0, 1/k, …, 1` (`k >= 1`) with the same seed, one
    /// summary row per rate.
    pub fn sweep(
        task: &TaskConfig,
        config: PricingSimulatorConfig,
        k: u32,
    ) -> Result<Vec<SweepRow>> {
        if k == 0 {
            return Err(EconomicsError::OutOfRange {
                field: "sweep",
                expected: ">= 1",
                value: 0.0,
            });
        }
        let mp_h = task.task.human_mp;
        (0..=k)
            .map(|i| {
                let rate = f64::from(i) / f64::from(k);
                let sim = Self::new(
                    task,
                    PricingSimulatorConfig {
                        data_sharing_rate: rate,
                        ..config
                    },
                )?;
                let rows = sim.run()?;
                let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
                let sharing_customers = (0..config.customers)
                    .filter(|_| rng.random::<f64>() < rate)
                    .count() as u32;
                let sum = |f: fn(&SimulationEpisode) -> f64| rows.iter().map(f).sum::<f64>();
                let final_mp_r = rows.last().map_or(mp_h * config.initial_parity, |r| r.mp_r);
                Ok(SweepRow {
                    sharing_rate: rate,
                    sharing_customers,
                    shared_datapoints: rows.iter().map(|r| r.shared_datapoints).sum(),
                    withheld_datapoints: rows.iter().map(|r| r.withheld_datapoints).sum(),
                    premium_revenue: sum(|r| r.premium_revenue),
                    discount_cost: sum(|r| r.discount_cost),
                    total_revenue: sum(|r| r.net_revenue),
                    initial_mp_r: mp_h * config.initial_parity,
                    final_mp_r,
                    final_productivity_parity: final_mp_r / mp_h,
                })
            })
            .collect()
    }
}

fn unit_interval(field: &'static str, value: f64) -> Result<f64> {
    finite(field, value)?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(EconomicsError::OutOfRange {
            field,
            expected: "in [0, 1]",
            value,
        })
    }
}

/// The per-episode CSV text (header and one line per episode). Numbers are
/// written in Rust's shortest round-trip form, so a seed gives the same
/// bytes on every run.
pub fn simulation_csv(rows: &[SimulationEpisode]) -> String {
    let mut text = SIMULATION_COLUMNS.join(",") + "\n";
    for r in rows {
        // Writing to a String cannot fail.
        let _ = writeln!(
            text,
            "{},{},{},{},{},{},{},{},{},{}",
            r.episode,
            r.sharing_rate,
            r.shared_datapoints,
            r.withheld_datapoints,
            r.premium_revenue,
            r.discount_cost,
            r.net_revenue,
            r.cumulative_revenue,
            r.mp_r,
            r.mp_r_growth
        );
    }
    text
}

/// The sweep CSV text (header and one line per rate).
pub fn sweep_csv(rows: &[SweepRow]) -> String {
    let mut text = SWEEP_COLUMNS.join(",") + "\n";
    for r in rows {
        let _ = writeln!(
            text,
            "{},{},{},{},{},{},{},{},{},{}",
            r.sharing_rate,
            r.sharing_customers,
            r.shared_datapoints,
            r.withheld_datapoints,
            r.premium_revenue,
            r.discount_cost,
            r.total_revenue,
            r.initial_mp_r,
            r.final_mp_r,
            r.final_productivity_parity
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task() -> TaskConfig {
        TaskConfig::from_yaml_str(
            "task:\n  name: t\n  occupation_code: 35-9021\n  price_per_unit: 0.30\n  \
             human_mp: 60\n  human_wage: 18.0\n  damage_cost: 1.0\n",
            "t.yaml",
        )
        .unwrap()
    }

    fn sim(rate: f64) -> PricingSimulator {
        PricingSimulator::new(
            &task(),
            PricingSimulatorConfig {
                episodes: 20,
                data_sharing_rate: rate,
                seed: 3,
                ..PricingSimulatorConfig::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn same_seed_gives_the_same_csv() {
        let a = simulation_csv(&sim(0.4).run().unwrap());
        let b = simulation_csv(&sim(0.4).run().unwrap());
        assert_eq!(a, b);
        assert_eq!(a.lines().count(), 21);
        assert!(a.starts_with("episode,sharing_rate,shared_datapoints,"));
    }

    #[test]
    fn nobody_sharing_earns_premiums_only_and_the_learner_stays_put() {
        let rows = sim(0.0).run().unwrap();
        assert!(rows.iter().all(|r| r.shared_datapoints == 0
            && r.withheld_datapoints == 20
            && r.discount_cost == 0.0
            && r.mp_r == 30.0));
        // No fit before min_samples (10): the first episode bills nothing.
        assert_eq!(rows[0].premium_revenue, 0.0);
        assert!(rows[1].premium_revenue > 0.0);
    }

    #[test]
    fn everybody_sharing_pays_the_discount_and_lifts_mp_r_with_diminishing_returns() {
        let rows = sim(1.0).run().unwrap();
        // Episode 0: 20 customers × 8 h × MP_r 30 × $0.30 × 0.15 = $216.
        assert!((rows[0].discount_cost - 216.0).abs() < 1e-9);
        assert_eq!(rows[0].premium_revenue, 0.0);
        assert!(rows.iter().all(|r| r.mp_r_growth >= 0.0 && r.mp_r < 60.0));
        let first: f64 = rows[..5].iter().map(|r| r.mp_r_growth).sum();
        let last: f64 = rows[15..].iter().map(|r| r.mp_r_growth).sum();
        assert!(first > last, "{first} then {last}");
    }

    #[test]
    fn learner_follows_the_saturating_formula() {
        // One episode: G is the summed realized gain of 20 shared points.
        let s = PricingSimulator::new(
            &task(),
            PricingSimulatorConfig {
                episodes: 1,
                data_sharing_rate: 1.0,
                ..PricingSimulatorConfig::default()
            },
        )
        .unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        for _ in 0..20 {
            let _: f64 = rng.random();
        }
        let g: f64 = (0..20)
            .map(|_| {
                DatapointModelConfig::default()
                    .draw(&mut rng, 0)
                    .realized_mpl
            })
            .sum();
        let want = 30.0 + 30.0 * (1.0 - (-g / 30.0).exp());
        let got = s.run().unwrap()[0].mp_r;
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }

    #[test]
    fn sweep_runs_every_rate_and_sharing_trades_premiums_for_mp_r() {
        let config = PricingSimulatorConfig {
            episodes: 10,
            ..PricingSimulatorConfig::default()
        };
        let rows = PricingSimulator::sweep(&task(), config, 4).unwrap();
        let rates: Vec<f64> = rows.iter().map(|r| r.sharing_rate).collect();
        assert_eq!(rates, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(rows[0].sharing_customers, 0);
        assert_eq!(rows[4].sharing_customers, 20);
        assert!(rows[4].final_mp_r > rows[0].final_mp_r);
        assert!(rows[0].premium_revenue > rows[4].premium_revenue);
        assert!(sweep_csv(&rows).starts_with("sharing_rate,sharing_customers,"));
    }

    #[test]
    fn simulator_refuses_out_of_range_settings() {
        for bad in [
            PricingSimulatorConfig {
                data_sharing_rate: 1.5,
                ..PricingSimulatorConfig::default()
            },
            PricingSimulatorConfig {
                customers: 0,
                ..PricingSimulatorConfig::default()
            },
            PricingSimulatorConfig {
                initial_parity: 1.0,
                ..PricingSimulatorConfig::default()
            },
        ] {
            assert!(PricingSimulator::new(&task(), bad).is_err(), "{bad:?}");
        }
        assert!(PricingSimulator::sweep(&task(), PricingSimulatorConfig::default(), 0).is_err());
    }
}
