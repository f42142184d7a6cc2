//! The chaos engine: declarative stress scenarios run against a copy of the population, never the baseline.
//! Pure: no I/O. Commands read scenario files and the warehouse, and store runs.
//!
//! A run applies the scenario's shocks month by month at the intensity its shape gives that month: job
//! changes (a fixed, seeded pick of people), income by credit group, medical and out-of-pocket costs by
//! region, extra claim denials (paid out of pocket in full), each on an in-memory copy of the people's
//! indicators; and it regenerates, month by month, the missed payments and overdrafts that stress adds
//! ([`monthly::Events`]), which stay on a person's 12-month record after the shock has passed. It rescores everyone with the model each month and compares with the baseline: high-risk count
//! at the threshold, expected distress, medical exposure by region, and the score's PSI. A DV incident-rate
//! shock adds incidents to the survivors' records at the strongest month and reassesses them ([`dv`]). House
//! prices are recorded and reported, but no model input moves with them yet.

pub mod drill;
pub mod dv;
mod monthly;
pub mod scenario;

pub use scenario::{Driver, ParseError, Scenario, Shape};

use crate::model::whatif::{self, Outcome};
use crate::model::{self, Artifact, Population, drift};
use crate::privacy::{Figure, GuardedGroup, KGuard};
#[cfg(test)]
use polars::prelude::*;
use serde::Serialize;

/// The preset scenarios, embedded in the binary (compile-time text, not I/O).
pub const PRESETS: [(&str, &str); 3] = [
    ("recession", include_str!("../scenarios/recession.toml")),
    ("health_crisis", include_str!("../scenarios/health_crisis.toml")),
    ("market_boom", include_str!("../scenarios/market_boom.toml")),
];

/// A preset by name.
pub fn preset(name: &str) -> Option<Result<Scenario, ParseError>> {
    PRESETS.iter().find(|(n, _)| *n == name).map(|(n, text)| Scenario::parse(&format!("scenarios/{n}.toml"), text))
}

/// A shape by name (linear, v, u, w; any case).
pub fn shape(name: &str) -> Option<Shape> {
    Shape::ALL.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, s)| *s)
}

/// Why a run failed: only the model's own errors (features, scoring) can stop it.
pub type Error = model::Error;

/// The scenario's state in one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Month {
    pub month: u32,
    pub intensity: f64,
    /// Through the guard as one series with the baseline and the other months: no two shown counts are 1..k−1
    /// apart.
    pub high_risk_count: Figure<u64>,
    pub expected_distress: f64,
    pub medical_exposure: f64,
    /// People whose employment changed this month (through the k-guard).
    pub job_changes: Figure<u64>,
    /// Missed payments and overdrafts stress added this month (regenerated events; through the k-guard).
    pub extra_missed_payments: Figure<u64>,
    pub extra_overdrafts: Figure<u64>,
    pub score_psi: f64,
}

/// Baseline or scenario figures at one point in time.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    pub high_risk_count: Figure<u64>,
    pub expected_distress: f64,
    pub mean_probability: f64,
    pub medical_exposure: f64,
}

/// One region's medical exposure, baseline and at the scenario's peak.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionExposure {
    pub baseline: f64,
    pub scenario: f64,
    pub change_pct: f64,
    /// This region's share of all medical exposure, baseline and scenario.
    pub baseline_share: f64,
    pub scenario_share: f64,
}

/// A run's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunResult {
    /// The scenario as run (after any shape override).
    pub definition: Scenario,
    pub model_version: String,
    pub threshold: f64,
    pub people: u64,
    pub baseline: Figures,
    /// The scenario's figures at the horizon (the last month).
    pub scenario: Figures,
    /// The month with the most expected distress, and its figures.
    pub peak_month: u32,
    pub peak: Figures,
    pub months: Vec<Month>,
    /// Medical exposure by region at the peak, through the k-guard.
    pub regions: Vec<GuardedGroup<String, RegionExposure>>,
    /// Drivers recorded but not moving any model input yet.
    pub unmodelled: Vec<&'static str>,
    /// DV assessments by level, baseline and at the scenario's strongest month, when it shocks the DV incident rate
    /// and survivors were given.
    pub dv: Option<dv::DvComparison>,
}

#[cfg(test)]
fn matches_any(column: &str, values: &[String]) -> Expr {
    values.iter().fold(lit(false), |acc, v| acc.or(col(column).eq(lit(v.clone()))))
}

/// The population under the scenario at `intensity`, and how many people changed employment: the reference
/// semantics of a shock, written with polars over the whole frame. Runs use [`fast`], which tests hold to this.
#[cfg(test)]
pub fn apply(population: &Population, scenario: &Scenario, intensity: f64) -> Result<(Population, u64), Error> {
    let mut income = lit(1.0);
    let mut medical = lit(1.0);
    let mut denial = lit(0.0);
    let mut points = 0.0;
    for shock in &scenario.shocks {
        match shock.driver {
            scenario::Driver::Unemployment => points += shock.points.unwrap_or(0.0) * intensity,
            scenario::Driver::Income => {
                let factor = lit(1.0 + shock.percent.unwrap_or(0.0) / 100.0 * intensity);
                income = match &shock.credit_groups {
                    Some(groups) => income * when(matches_any("credit_group", groups)).then(factor).otherwise(lit(1.0)),
                    None => income * factor,
                };
            }
            scenario::Driver::MedicalCosts => {
                let factor = lit(1.0 + shock.percent.unwrap_or(0.0) / 100.0 * intensity);
                medical = match &shock.regions {
                    Some(regions) => medical * when(matches_any("region", regions)).then(factor).otherwise(lit(1.0)),
                    None => medical * factor,
                };
            }
            scenario::Driver::ClaimDenialRate => denial = denial + lit(shock.points.unwrap_or(0.0) / 100.0 * intensity),
            scenario::Driver::HousePrices | scenario::Driver::DvIncidentRate => {}
        }
    }
    let changes = whatif::pick_job_changes(population, points, scenario.seed.wrapping_add(1))?;
    let changed = changes.iter().filter(|&&c| c).count() as u64;
    let mut frame = population.frame().clone();
    frame.with_column(Column::new("__job_change".into(), changes))?;
    let job_change = col("__job_change");
    let (lose, gain) = (points > 0.0, points < 0.0);
    let employment_factor = if lose {
        lit(whatif::UNEMPLOYED_INCOME_SHARE)
    } else if gain {
        lit(1.0 / whatif::UNEMPLOYED_INCOME_SHARE)
    } else {
        lit(1.0)
    };
    let new_status = if gain { lit("employed") } else { lit("unemployed") };
    let cost = col("medical_cost_12m") * medical.clone();
    let paid = col("out_of_pocket_12m") * medical;
    let shocked = frame
        .lazy()
        .with_columns([
            (col("income") * income * when(job_change.clone()).then(employment_factor).otherwise(lit(1.0)))
                .alias("income"),
            when(job_change.and(lit(lose || gain))).then(new_status).otherwise(col("employment")).alias("employment"),
            cost.clone().alias("medical_cost_12m"),
            // Extra denials: that share of the covered part of claims is paid out of pocket too.
            (paid.clone() + (cost - paid).clip(lit(0.0), lit(f64::MAX)) * denial.clone()).alias("out_of_pocket_12m"),
            (col("denied_claims_12m") + col("claims_12m") * denial).alias("denied_claims_12m"),
        ])
        .select(model::features::RAW_COLUMNS.iter().map(|(name, _)| col(*name)).collect::<Vec<_>>())
        .collect()?;
    Ok((Population::new(shocked)?, changed))
}

fn figures(o: &Outcome, exposure: f64) -> Figures {
    Figures {
        high_risk_count: o.high_risk_count,
        expected_distress: o.expected_distress,
        mean_probability: o.mean_probability,
        medical_exposure: exposure,
    }
}

/// Runs a scenario against a population with a model.
pub fn run(
    scenario: &Scenario,
    artifact: &Artifact,
    population: &Population,
    survivors: Option<&dv::DvInput>,
    guard: &KGuard,
) -> Result<RunResult, Error> {
    let threshold = scenario.threshold.unwrap_or(artifact.threshold);
    let prepared = monthly::Prepared::new(population, artifact, scenario.seed)?;
    let baseline_p = prepared.baseline();
    let baseline_costs = population.numbers("medical_cost_12m")?;
    let baseline_exposure: f64 = baseline_costs.iter().sum();
    // High-risk counts are guarded at the end, as one series over the baseline and the months.
    let baseline = figures(&Outcome::with(baseline_p, Figure::withheld()), baseline_exposure);
    let mut months = Vec::new();
    let mut peak: Option<(u32, Figures, Vec<f64>)> = None;
    let mut at_horizon = baseline.clone();
    let mut events = prepared.events();
    let people = population.len() as u64;
    let mut highs = vec![whatif::high_count(baseline_p, threshold)];
    for m in 1..=scenario.horizon_months {
        let intensity = scenario.shape.intensity(m, scenario.horizon_months);
        let month = prepared.at(scenario, m, &mut events);
        let (p, costs, job_changes) = (month.p, month.costs, month.job_changes);
        let exposure: f64 = costs.iter().sum();
        let now = figures(&Outcome::with(&p, Figure::withheld()), exposure);
        highs.push(whatif::high_count(&p, threshold));
        months.push(Month {
            month: m,
            intensity,
            high_risk_count: now.high_risk_count,
            expected_distress: now.expected_distress,
            medical_exposure: now.medical_exposure,
            job_changes: guard.part_count(job_changes, people),
            extra_missed_payments: guard.part_count(month.extra_missed, people),
            extra_overdrafts: guard.part_count(month.extra_overdrafts, people),
            score_psi: drift::psi("score", &artifact.drift_reference.score, &p).psi,
        });
        let stronger = peak.as_ref().is_none_or(|(_, f, _)| {
            (now.expected_distress - baseline.expected_distress).abs()
                > (f.expected_distress - baseline.expected_distress).abs()
        });
        if m == scenario.horizon_months {
            at_horizon = now.clone();
        }
        if stronger {
            peak = Some((m, now, costs));
        }
    }
    let (peak_month, mut peak_figures, peak_costs) = peak.expect("a horizon of at least one month");
    // The baseline and every month show together: one series, so no difference between two is a small cell. The
    // baseline, the horizon and the peak are let through first, then the months in order.
    let horizon = scenario.horizon_months as usize;
    let mut order: Vec<usize> = vec![0, horizon, peak_month as usize];
    order.extend((1..highs.len()).filter(|i| ![horizon, peak_month as usize].contains(i)));
    order.dedup();
    let shown = guard.series(people, &order.iter().map(|&i| highs[i]).collect::<Vec<_>>());
    let mut series = vec![Figure::withheld(); highs.len()];
    for (&i, figure) in order.iter().zip(shown) {
        series[i] = figure;
    }
    let mut baseline = baseline;
    baseline.high_risk_count = series[0];
    for (month, count) in months.iter_mut().zip(&series[1..]) {
        month.high_risk_count = *count;
    }
    at_horizon.high_risk_count = series[scenario.horizon_months as usize];
    peak_figures.high_risk_count = series[peak_month as usize];
    let before = prepared.by_region(&baseline_costs);
    let after = prepared.by_region(&peak_costs);
    let total_after: f64 = after.iter().map(|r| r.2).sum::<f64>().max(1e-9);
    let regions = guard.groups(
        before
            .into_iter()
            .zip(after)
            .map(|((region, n, b), (_, _, a))| {
                let stats = RegionExposure {
                    baseline: b,
                    scenario: a,
                    change_pct: if b > 0.0 { 100.0 * (a - b) / b } else { 0.0 },
                    baseline_share: b / baseline_exposure.max(1e-9),
                    scenario_share: a / total_after,
                };
                (region, n, stats)
            })
            .collect(),
    );
    // The DV effect at the month of strongest intensity.
    let strongest = (1..=scenario.horizon_months)
        .max_by(|&a, &b| {
            let at = |m| scenario.shape.intensity(m, scenario.horizon_months);
            at(a).total_cmp(&at(b)).then(b.cmp(&a))
        })
        .unwrap_or(1);
    let dv = survivors.and_then(|input| {
        dv::compare(scenario, input, scenario.shape.intensity(strongest, scenario.horizon_months), strongest, guard)
    });
    let mut unmodelled: Vec<&'static str> = scenario
        .shocks
        .iter()
        .filter(|s| !(s.driver.modelled() || s.driver == Driver::DvIncidentRate && dv.is_some()))
        .map(|s| s.driver.name())
        .collect();
    unmodelled.dedup();
    Ok(RunResult {
        definition: scenario.clone(),
        model_version: artifact.version.clone(),
        threshold,
        people: population.len() as u64,
        baseline,
        scenario: at_horizon,
        peak_month,
        peak: peak_figures,
        months,
        regions,
        unmodelled,
        dv,
    })
}
