//! A scenario's DV effect: the incident rate multiplied (per region) at the scenario's strongest month, as
//! extra incidents like each survivor's latest, spread over the 30 days before the assessment date; every
//! survivor is then reassessed and the levels counted (critical assessments are the ones that open alerts).

use super::scenario::{Driver, Scenario};
use crate::dv::{self, Incident, Level, Profile};
use crate::privacy::{Guarded, KGuard};
use chrono::{Duration, NaiveDate};
use serde::Serialize;
use std::collections::HashMap;

/// The survivors a run reassesses.
pub struct DvInput {
    pub cases: Vec<(String, Profile, Vec<Incident>)>,
    /// Region of each survivor, by masked ID.
    pub regions: HashMap<String, String>,
    pub as_of: NaiveDate,
}

/// Assessments by level, baseline and under the scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DvComparison {
    pub as_of: NaiveDate,
    pub month: u32,
    pub extra_incidents: u64,
    pub baseline: Guarded<&'static str>,
    pub scenario: Guarded<&'static str>,
}

/// Assessments by level, most urgent first, through the k-guard.
pub fn levels(assessed: &[Level], guard: &KGuard) -> Guarded<&'static str> {
    guard.counts(Level::ALL.iter().map(|l| (l.name(), assessed.iter().filter(|a| *a == l).count() as u64)).collect())
}

/// A fixed fraction in [0, 1) for a survivor, so rounding extra incidents is reproducible.
fn fraction(id: &str, seed: u64) -> f64 {
    let h = id.bytes().fold(0xcbf2_9ce4_8422_2325u64 ^ seed, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The incident-rate multiplier for a region at `intensity`.
fn multiplier(scenario: &Scenario, region: Option<&str>, intensity: f64) -> f64 {
    scenario
        .shocks
        .iter()
        .filter(|s| s.driver == Driver::DvIncidentRate)
        .filter(|s| s.regions.as_ref().is_none_or(|r| region.is_some_and(|region| r.iter().any(|x| x == region))))
        .map(|s| 1.0 + (s.multiplier.unwrap_or(1.0) - 1.0) * intensity)
        .product()
}

/// Reassesses every survivor with the scenario's DV shocks at `intensity` (month `month`); `None` when the
/// scenario has none.
pub fn compare(
    scenario: &Scenario,
    input: &DvInput,
    intensity: f64,
    month: u32,
    guard: &KGuard,
) -> Option<DvComparison> {
    if !scenario.shocks.iter().any(|s| s.driver == Driver::DvIncidentRate) {
        return None;
    }
    let mut before = Vec::with_capacity(input.cases.len());
    let mut after = Vec::with_capacity(input.cases.len());
    let mut extra_total = 0u64;
    for (id, profile, incidents) in &input.cases {
        before.push(dv::assess(profile, incidents, input.as_of).level);
        let m = multiplier(scenario, input.regions.get(id).map(String::as_str), intensity);
        let recent =
            incidents.iter().filter(|i| i.date <= input.as_of && i.date > input.as_of - Duration::days(365)).count();
        let extra = ((m - 1.0).max(0.0) * recent as f64 + fraction(id, scenario.seed)).floor() as i64;
        let latest = incidents.iter().filter(|i| i.date <= input.as_of).max_by_key(|i| (i.date, i.id));
        let mut shocked = incidents.clone();
        if let (Some(latest), true) = (latest, extra > 0) {
            let next_id = incidents.iter().map(|i| i.id).max().unwrap_or(0);
            for k in 1..=extra {
                let mut incident = latest.clone();
                incident.id = next_id + k;
                incident.date = input.as_of - Duration::days(30 * k / (extra + 1));
                shocked.push(incident);
            }
            extra_total += extra as u64;
        }
        after.push(dv::assess(profile, &shocked, input.as_of).level);
    }
    Some(DvComparison {
        as_of: input.as_of,
        month,
        extra_incidents: extra_total,
        baseline: levels(&before, guard),
        scenario: levels(&after, guard),
    })
}
