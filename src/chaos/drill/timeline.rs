//! A drill's timeline: the events a run releases, built from the drill, its seed and the data — shocks that put
//! newly high-risk people forward as cases, DV incidents that reassess survivors and raise alerts, alert bursts.

use super::{Drill, EventKind, EventSpec};
use crate::chaos::dv::DvInput;
use crate::chaos::monthly::{Events, Prepared};
use crate::chaos::scenario::Scenario;
use crate::dv::{self, Level};
use crate::model::whatif::high_count;
use crate::model::{self, Artifact, Population};
use crate::privacy::{Figure, KGuard};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use serde::{Deserialize, Serialize};

/// A case an event puts in front of trainees: someone newly above the high-risk threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrillCase {
    /// `DC-<event>-<n>`: unique within the drill; what trainees act on and the debrief names.
    pub case_id: String,
    /// The person's masked ID (shown only to roles that may see case lists).
    pub masked_id: String,
    pub probability_before: f64,
    pub probability_after: f64,
}

/// An alert an event raises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrillAlert {
    /// `DA-<event>-<n>`: unique within the drill.
    pub alert_id: String,
    /// The survivor's masked ID (shown only to roles with the DV service).
    pub masked_id: String,
    pub level: String,
    pub reason: String,
}

/// A shock's population figures (counts through the k-guard).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShockFigures {
    pub scenario: String,
    pub month: u32,
    pub intensity: f64,
    pub threshold: f64,
    /// The baseline and every shock's count are one series through the guard: no two shown counts of a drill are
    /// 1..k−1 apart.
    pub baseline_high_risk_count: Figure<u64>,
    pub high_risk_count: Figure<u64>,
    pub baseline_expected_distress: f64,
    pub expected_distress: f64,
}

/// An event as a run releases it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// 1, 2, … in time order.
    pub index: u32,
    pub day: f64,
    pub kind: EventKind,
    pub title: String,
    pub summary: String,
    pub respond_within_days: f64,
    pub figures: Option<ShockFigures>,
    pub cases: Vec<DrillCase>,
    pub alerts: Vec<DrillAlert>,
}

/// What a timeline is built from.
pub struct World<'a> {
    pub artifact: &'a Artifact,
    pub population: &'a Population,
    /// Masked IDs, in population order.
    pub ids: &'a [String],
    pub survivors: &'a DvInput,
    pub guard: &'a KGuard,
}

/// Why a timeline could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TimelineError {
    #[error(transparent)]
    Model(#[from] model::Error),
    #[error(
        "drill {0} has shock events but names no preset scenario: add `scenario = \"recession\"` (or another preset)"
    )]
    NoScenario(String),
}

/// `n` indices of `0..len` picked with a seeded stream, in pick order.
fn pick(len: usize, n: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..len).collect();
    let n = n.min(len);
    for i in 0..n {
        let j = rng.random_range(i..len);
        order.swap(i, j);
    }
    order.truncate(n);
    order
}

/// The events a run of `drill` releases, in time order (events on the same day in file order).
pub fn timeline(drill: &Drill, world: &World) -> Result<Vec<Event>, TimelineError> {
    let mut specs: Vec<&EventSpec> = drill.events.iter().collect();
    specs.sort_by(|a, b| a.day.total_cmp(&b.day));
    let scenario = drill.scenario.as_deref().and_then(crate::chaos::preset).and_then(Result::ok);
    // Scoring is shared by every shock: the baseline once, the prepared population once. Each shock puts
    // forward people who crossed the threshold since the previous shock, never someone already put forward.
    let mut shocks: Option<(Vec<f64>, Prepared, Events)> = None;
    let mut shown = Shown::default();
    let mut events = Vec::with_capacity(specs.len());
    for (i, spec) in specs.into_iter().enumerate() {
        let index = i as u32 + 1;
        let seed = drill.seed ^ u64::from(index).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let respond_within_days = spec.respond_within_days.unwrap_or(drill.respond_within_days);
        let mut event = Event {
            index,
            day: spec.day,
            kind: spec.kind,
            title: String::new(),
            summary: String::new(),
            respond_within_days,
            figures: None,
            cases: Vec::new(),
            alerts: Vec::new(),
        };
        match spec.kind {
            EventKind::Shock => {
                let scenario = scenario.as_ref().ok_or_else(|| TimelineError::NoScenario(drill.name.clone()))?;
                if shocks.is_none() {
                    let prepared = Prepared::new(world.population, world.artifact, scenario.seed)?;
                    let events = prepared.events();
                    shocks = Some((prepared.baseline().to_vec(), prepared, events));
                }
                let (previous, prepared, events) = shocks.as_mut().expect("prepared above");
                *previous = shock(&mut event, spec, scenario, world, previous, (prepared, events), &mut shown);
            }
            EventKind::DvIncidents => dv_incidents(&mut event, spec, world.survivors, seed),
            EventKind::AlertBurst => alert_burst(&mut event, spec, world.survivors, seed),
        }
        if let Some(title) = &spec.title {
            event.title = title.clone();
        }
        events.push(event);
    }
    Ok(events)
}

/// A sum of probabilities that does not depend on the population's row order (fixed point, 10⁻¹² steps), so a
/// replay on the same data gives the same bits however the warehouse returned the rows.
fn exact_sum(p: &[f64]) -> f64 {
    p.iter().map(|&x| (x * 1e12).round() as u64).sum::<u64>() as f64 / 1e12
}

/// A guarded count in a sentence: the number, or "(withheld)" where the k-guard keeps it back.
fn count_text(n: Figure<u64>) -> String {
    n.get().map_or("(withheld)".into(), |n| n.to_string())
}

/// What a drill's shocks have shown so far.
#[derive(Default)]
struct Shown {
    /// The people put forward as cases.
    raised: std::collections::HashSet<String>,
    /// Raw high-risk counts, the baseline first, then each shock's: the guard sees them as one series.
    highs: Vec<u64>,
}

/// Fills a shock event; returns everyone's probability under it (the next shock's "previous").
fn shock(
    event: &mut Event,
    spec: &EventSpec,
    scenario: &Scenario,
    world: &World,
    previous: &[f64],
    (prepared, events): (&Prepared, &mut Events),
    shown: &mut Shown,
) -> Vec<f64> {
    let Shown { raised, highs } = shown;
    let month = spec.month.unwrap_or(1);
    let intensity = scenario.shape.intensity(month, scenario.horizon_months);
    let threshold = scenario.threshold.unwrap_or(world.artifact.threshold);
    let p = prepared.at(scenario, month, events).p;
    let base = prepared.baseline();
    if highs.is_empty() {
        highs.push(high_count(base, threshold));
    }
    highs.push(high_count(&p, threshold));
    let series = world.guard.series(p.len() as u64, highs);
    let (before, after) = (series[0], series[series.len() - 1]);
    let mut crossed: Vec<usize> = (0..p.len())
        .filter(|&i| p[i] >= threshold && previous[i] < threshold && !raised.contains(&world.ids[i]))
        .collect();
    crossed.sort_by(|&a, &b| {
        (p[b] - previous[b]).total_cmp(&(p[a] - previous[a])).then_with(|| world.ids[a].cmp(&world.ids[b]))
    });
    let wanted = spec.count.unwrap_or(5) as usize;
    event.cases = crossed
        .iter()
        .take(wanted)
        .enumerate()
        .map(|(n, &i)| DrillCase {
            case_id: format!("DC-{}-{}", event.index, n + 1),
            masked_id: world.ids[i].clone(),
            probability_before: previous[i],
            probability_after: p[i],
        })
        .collect();
    raised.extend(event.cases.iter().map(|c| c.masked_id.clone()));
    event.title = format!("{}: month {month} of {}", scenario.name, scenario.horizon_months);
    event.summary = format!(
        "{} at {:.0} % intensity: high-risk people {} → {} (baseline → now); people newly over the threshold since the last update: {}, the largest rises put forward as cases",
        scenario.description.split(':').next().unwrap_or(&scenario.name),
        intensity * 100.0,
        count_text(before),
        count_text(after),
        count_text(world.guard.part_count(crossed.len() as u64, p.len() as u64)),
    );
    event.figures = Some(ShockFigures {
        scenario: scenario.name.clone(),
        month,
        intensity,
        threshold,
        baseline_high_risk_count: before,
        high_risk_count: after,
        baseline_expected_distress: exact_sum(base),
        expected_distress: exact_sum(&p),
    });
    p
}

/// Survivors in `region` (all when `None`), as indices into the input's cases.
fn candidates(input: &DvInput, region: Option<&str>) -> Vec<usize> {
    (0..input.cases.len())
        .filter(|&i| region.is_none_or(|r| input.regions.get(&input.cases[i].0).is_some_and(|x| x == r)))
        .collect()
}

fn dv_incidents(event: &mut Event, spec: &EventSpec, input: &DvInput, seed: u64) {
    let pool = candidates(input, spec.region.as_deref());
    let wanted = spec.count.unwrap_or(5) as usize;
    let severity = spec.severity.unwrap_or(4);
    let mut raised = 0;
    for (n, k) in pick(pool.len(), wanted, seed).into_iter().map(|k| pool[k]).enumerate() {
        let (id, profile, incidents) = &input.cases[k];
        let before = dv::assess(profile, incidents, input.as_of);
        let latest = incidents.iter().filter(|i| i.date <= input.as_of).max_by_key(|i| (i.date, i.id));
        let Some(latest) = latest else { continue };
        let mut incident = latest.clone();
        incident.id = incidents.iter().map(|i| i.id).max().unwrap_or(0) + 1;
        incident.date = input.as_of;
        incident.severity = severity;
        incident.strangulation |= spec.strangulation.unwrap_or(false);
        if spec.weapon.unwrap_or(false) {
            incident.weapon_used = true;
        }
        let mut shocked = incidents.clone();
        shocked.push(incident);
        let after = dv::assess(profile, &shocked, input.as_of);
        if after.level >= Level::High || after.level > before.level {
            raised += 1;
            event.alerts.push(DrillAlert {
                alert_id: format!("DA-{}-{}", event.index, n + 1),
                masked_id: id.clone(),
                level: after.level.name().to_owned(),
                reason: format!(
                    "new severity-{severity} incident: overall score {:.0} → {:.0} ({} → {})",
                    before.scores.overall,
                    after.scores.overall,
                    before.level.name(),
                    after.level.name()
                ),
            });
        }
    }
    let place = spec.region.as_deref().map_or(String::new(), |r| format!(" in {r}"));
    event.title = format!("DV incidents{place}");
    event.summary = format!(
        "{} survivors{place} report a new severity-{severity} incident; {raised} reassessed high or critical, or at a higher level than before, raise alerts",
        wanted.min(pool.len())
    );
}

fn alert_burst(event: &mut Event, spec: &EventSpec, input: &DvInput, seed: u64) {
    let pool = candidates(input, spec.region.as_deref());
    let level = spec.level.clone().unwrap_or_else(|| "critical".into());
    for (n, k) in pick(pool.len(), spec.count.unwrap_or(5) as usize, seed).into_iter().enumerate() {
        event.alerts.push(DrillAlert {
            alert_id: format!("DA-{}-{}", event.index, n + 1),
            masked_id: input.cases[pool[k]].0.clone(),
            level: level.clone(),
            reason: "safety-app alert".into(),
        });
    }
    let place = spec.region.as_deref().map_or(String::new(), |r| format!(" in {r}"));
    event.title = format!("Alert burst{place}");
    event.summary = format!("{} {level} alerts from survivors' safety apps{place}", event.alerts.len());
}
