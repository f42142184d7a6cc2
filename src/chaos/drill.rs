//! Crisis drills: a timeline of events in drill time — scenario shocks, injected DV incidents, alert bursts —
//! released at a speed (drill days per wall-clock minute) for trainees to act on. Pure: no I/O, no clock.
//!
//! A drill file is parsed into a [`Drill`]; [`timeline`] turns it, with the population, the model and the
//! survivors, into the events a run releases, each with the cases and alerts it puts in front of trainees.
//! Everything a run does is a [`Line`] of its drill log; [`State`] folds lines, checks trainee actions, and
//! [`report`] debriefs a log. The timeline depends only on the drill, its seed and the data, so a log replayed
//! ([`replay`]) with the same actions gives the same report.

pub mod report;
mod state;

pub use report::{Report, report};
pub use state::{ActionError, Item, ItemKind, State, Status};

use super::dv::DvInput;
use super::fast::{Events, Prepared};
use super::scenario::{ParseError, Scenario, Source};
use crate::dv::{self, Level};
use crate::model::whatif::Outcome;
use crate::model::{self, Artifact, Population};
use crate::privacy::KGuard;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use serde::{Deserialize, Serialize};

/// The preset drills, embedded in the binary (compile-time text, not I/O).
pub const PRESETS: [(&str, &str); 2] = [
    ("winter_surge", include_str!("../../scenarios/drills/winter_surge.toml")),
    ("layoff_wave", include_str!("../../scenarios/drills/layoff_wave.toml")),
];

/// A preset drill by name.
pub fn preset(name: &str) -> Option<Result<Drill, ParseError>> {
    PRESETS.iter().find(|(n, _)| *n == name).map(|(n, text)| Drill::parse(&format!("scenarios/drills/{n}.toml"), text))
}

/// A drill as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub name: String,
    pub description: String,
    pub scenario: Option<String>,
    pub days_per_minute: f64,
    pub duration_days: f64,
    /// Wall-clock minutes at its speed.
    pub wall_minutes: f64,
    pub events: usize,
    pub respond_within_days: f64,
}

/// The preset drills, as lists show them.
pub fn preset_summaries() -> Vec<Summary> {
    PRESETS.iter().filter_map(|(name, _)| preset(name)?.ok()).map(|d| d.summary()).collect()
}

/// What an event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The drill's scenario at one of its months: everyone rescored, newly high-risk cases put forward.
    Shock,
    /// New incidents for some survivors, who are reassessed: high and critical assessments raise alerts.
    DvIncidents,
    /// A burst of alerts from survivors' safety apps.
    AlertBurst,
}

impl EventKind {
    pub const ALL: [EventKind; 3] = [EventKind::Shock, EventKind::DvIncidents, EventKind::AlertBurst];

    pub fn name(self) -> &'static str {
        match self {
            EventKind::Shock => "shock",
            EventKind::DvIncidents => "dv_incidents",
            EventKind::AlertBurst => "alert_burst",
        }
    }
}

/// One event as written in a drill file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all(serialize = "camelCase"))]
pub struct EventSpec {
    /// Drill day the event happens (0 = the start).
    pub day: f64,
    pub kind: EventKind,
    /// A headline for the timeline [default: one made from the event].
    pub title: Option<String>,
    /// `shock`: the scenario month whose intensity applies.
    pub month: Option<u32>,
    /// `shock`: newly high-risk cases to put forward [default 5]; `dv_incidents`, `alert_burst`: survivors.
    pub count: Option<u32>,
    /// `dv_incidents`, `alert_burst`: only survivors in this region.
    pub region: Option<String>,
    /// `dv_incidents`: severity of the new incidents, 1–5 [default 4].
    pub severity: Option<u8>,
    /// `dv_incidents`: the new incidents involve strangulation [default false].
    pub strangulation: Option<bool>,
    /// `dv_incidents`: a weapon was used [default false].
    pub weapon: Option<bool>,
    /// `alert_burst`: `critical` or `high` [default critical].
    pub level: Option<String>,
    /// Drill days within which this event's cases and alerts should get a first action [default: the drill's].
    #[serde(alias = "respondWithinDays")]
    pub respond_within_days: Option<f64>,
}

/// A drill, as written in its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all(serialize = "camelCase"))]
pub struct Drill {
    pub name: String,
    pub description: String,
    /// The preset scenario `shock` events take their shocks from.
    pub scenario: Option<String>,
    pub seed: u64,
    /// Speed: drill days per wall-clock minute (30 is one drill month per minute).
    #[serde(alias = "daysPerMinute")]
    pub days_per_minute: f64,
    /// Drill days within which each case and alert should get a first action.
    #[serde(default = "default_respond_within", alias = "respondWithinDays")]
    pub respond_within_days: f64,
    /// Length in drill days [default: the last event's day and its response window].
    #[serde(alias = "durationDays")]
    pub duration_days: Option<f64>,
    #[serde(rename = "event")]
    pub events: Vec<EventSpec>,
}

fn default_respond_within() -> f64 {
    2.0
}

/// Slowest and fastest speeds, in drill days per wall-clock minute.
pub const SPEEDS: (f64, f64) = (0.01, 100_000.0);

/// Checks a speed in drill days per minute; the error says the range.
pub fn check_speed(speed: f64) -> Result<f64, String> {
    let (slowest, fastest) = SPEEDS;
    if speed.is_finite() && (slowest..=fastest).contains(&speed) {
        Ok(speed)
    } else {
        Err(format!("must be between {slowest} and {fastest} drill days per minute, got {speed}"))
    }
}

/// Most cases or survivors one event may put forward.
pub const MAX_COUNT: u32 = 50;

impl Drill {
    /// Parses and checks a drill; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Drill, ParseError> {
        let source = Source { file, text };
        let drill: Drill = source.parse("alert_burst", "kind")?;
        if drill.name.trim().is_empty() {
            return Err(source.error_at("name", "name: must not be empty".into()));
        }
        if let Err(why) = check_speed(drill.days_per_minute) {
            return Err(source.error_at("days_per_minute", format!("days_per_minute: {why}")));
        }
        if !(drill.respond_within_days.is_finite() && drill.respond_within_days > 0.0) {
            return Err(source.error_at("respond_within_days", "respond_within_days: must be above 0".into()));
        }
        let scenario = match &drill.scenario {
            Some(name) => Some(super::preset(name).and_then(Result::ok).ok_or_else(|| {
                let presets: Vec<&str> = super::PRESETS.iter().map(|(n, _)| *n).collect();
                source.error_at(
                    "scenario",
                    format!("scenario: unknown scenario `{name}`; presets: {}", presets.join(", ")),
                )
            })?),
            None => None,
        };
        if drill.events.is_empty() {
            return Err(source.error(text.len(), "event: a drill needs at least one [[event]]".into()));
        }
        let last = drill.events.iter().map(|e| e.day).fold(0.0, f64::max);
        if let Some(d) = drill.duration_days
            && !(d.is_finite() && d > 0.0 && d >= last)
        {
            return Err(source.error_at(
                "duration_days",
                format!("duration_days: must be above 0 and at least the last event's day ({last}), got {d}"),
            ));
        }
        source.check_each("event", &drill.events, |event| event.check(scenario.as_ref()))?;
        Ok(drill)
    }

    /// The drill's length in drill days.
    pub fn duration(&self) -> f64 {
        self.duration_days.unwrap_or_else(|| {
            self.events
                .iter()
                .map(|e| e.day + e.respond_within_days.unwrap_or(self.respond_within_days))
                .fold(0.0, f64::max)
        })
    }

    pub fn summary(&self) -> Summary {
        Summary {
            name: self.name.clone(),
            description: self.description.clone(),
            scenario: self.scenario.clone(),
            days_per_minute: self.days_per_minute,
            duration_days: self.duration(),
            wall_minutes: self.wall_seconds() / 60.0,
            events: self.events.len(),
            respond_within_days: self.respond_within_days,
        }
    }

    /// Wall-clock seconds the whole drill takes at its speed.
    pub fn wall_seconds(&self) -> f64 {
        self.duration() / self.days_per_minute * 60.0
    }
}

impl EventSpec {
    fn check(&self, scenario: Option<&Scenario>) -> Result<(), (Option<&'static str>, String)> {
        let kind = self.kind.name();
        if !(self.day.is_finite() && self.day >= 0.0) {
            return Err((Some("day"), format!("event `{kind}`: `day` must be 0 or more, got {}", self.day)));
        }
        let allowed: &[&str] = match self.kind {
            EventKind::Shock => &["month", "count"],
            EventKind::DvIncidents => &["count", "region", "severity", "strangulation", "weapon"],
            EventKind::AlertBurst => &["count", "region", "level"],
        };
        let given = [
            ("month", self.month.is_some()),
            ("count", self.count.is_some()),
            ("region", self.region.is_some()),
            ("severity", self.severity.is_some()),
            ("strangulation", self.strangulation.is_some()),
            ("weapon", self.weapon.is_some()),
            ("level", self.level.is_some()),
        ];
        if let Some((field, _)) = given.iter().find(|(f, set)| *set && !allowed.contains(f)) {
            return Err((Some(field), format!("event `{kind}`: takes {}, not `{field}`", allowed.join(", "))));
        }
        if let Some(r) = self.respond_within_days
            && !(r.is_finite() && r > 0.0)
        {
            return Err((
                Some("respond_within_days"),
                format!("event `{kind}`: `respond_within_days` must be above 0"),
            ));
        }
        if let Some(c) = self.count
            && !(1..=MAX_COUNT).contains(&c)
        {
            return Err((Some("count"), format!("event `{kind}`: `count` must be 1–{MAX_COUNT}, got {c}")));
        }
        match self.kind {
            EventKind::Shock => {
                let scenario = scenario
                    .ok_or((None, "event `shock`: the drill names no `scenario` to take shocks from".to_owned()))?;
                let month = self.month.ok_or((None, "event `shock`: missing field `month`".to_owned()))?;
                if !(1..=scenario.horizon_months).contains(&month) {
                    return Err((
                        Some("month"),
                        format!(
                            "event `shock`: `month` must be 1–{} (scenario {}'s horizon), got {month}",
                            scenario.horizon_months, scenario.name
                        ),
                    ));
                }
            }
            EventKind::DvIncidents => {
                if let Some(s) = self.severity
                    && !(1..=5).contains(&s)
                {
                    return Err((Some("severity"), format!("event `dv_incidents`: `severity` must be 1–5, got {s}")));
                }
            }
            EventKind::AlertBurst => {
                if let Some(level) = &self.level
                    && !["critical", "high"].contains(&level.as_str())
                {
                    return Err((
                        Some("level"),
                        format!("event `alert_burst`: `level` must be critical or high, got `{level}`"),
                    ));
                }
            }
        }
        if let Some(unknown) = self.region.as_deref().and_then(|r| crate::catalog::region(r).err()) {
            return Err((Some("region"), format!("event `{kind}`: {unknown}")));
        }
        Ok(())
    }
}

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
    pub baseline_high_risk_count: Option<u64>,
    pub high_risk_count: Option<u64>,
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
    let scenario = drill.scenario.as_deref().and_then(super::preset).and_then(Result::ok);
    // Scoring is shared by every shock: the baseline once, the prepared population once. Each shock puts
    // forward people who crossed the threshold since the previous shock, never someone already put forward.
    let mut shocks: Option<(Vec<f64>, Prepared, Events)> = None;
    let mut raised = std::collections::HashSet::new();
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
                *previous = shock(&mut event, spec, scenario, world, previous, (prepared, events), &mut raised);
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

fn count_text(n: Option<u64>) -> String {
    n.map_or("fewer than k".into(), |n| n.to_string())
}

/// Fills a shock event; returns everyone's probability under it (the next shock's "previous").
fn shock(
    event: &mut Event,
    spec: &EventSpec,
    scenario: &Scenario,
    world: &World,
    previous: &[f64],
    (prepared, events): (&Prepared, &mut Events),
    raised: &mut std::collections::HashSet<String>,
) -> Vec<f64> {
    let month = spec.month.unwrap_or(1);
    let intensity = scenario.shape.intensity(month, scenario.horizon_months);
    let threshold = scenario.threshold.unwrap_or(world.artifact.threshold);
    let p = prepared.at(scenario, month, events).p;
    let base = prepared.baseline();
    let before = Outcome::of(base, threshold, world.guard);
    let after = Outcome::of(&p, threshold, world.guard);
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
        "{} at {:.0} % intensity: high-risk people {} → {} (baseline → now); {} newly over the threshold since the last update, the largest rises put forward as cases",
        scenario.description.split(':').next().unwrap_or(&scenario.name),
        intensity * 100.0,
        count_text(before.high_risk_count),
        count_text(after.high_risk_count),
        count_text(world.guard.part(crossed.len() as u64, p.len() as u64)),
    );
    event.figures = Some(ShockFigures {
        scenario: scenario.name.clone(),
        month,
        intensity,
        threshold,
        baseline_high_risk_count: before.high_risk_count,
        high_risk_count: after.high_risk_count,
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

/// A trainee's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Flag a case for review.
    Flag,
    /// Acknowledge an alert.
    Acknowledge,
    /// Escalate an alert (to police, a MARAC, a supervisor: the note says).
    Escalate,
    /// Open a hand-off case for a case or an alert, to another team (the note says which).
    Handoff,
}

impl ActionKind {
    pub const ALL: [ActionKind; 4] =
        [ActionKind::Flag, ActionKind::Acknowledge, ActionKind::Escalate, ActionKind::Handoff];

    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Flag => "flag",
            ActionKind::Acknowledge => "acknowledge",
            ActionKind::Escalate => "escalate",
            ActionKind::Handoff => "handoff",
        }
    }
}

/// A trainee's action on a case or an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Action {
    pub kind: ActionKind,
    /// A case's ID (`DC-…`) or an alert's (`DA-…`).
    pub target: String,
    /// Why, or to whom: required for flag, escalate and hand-off.
    #[serde(default)]
    pub note: String,
}

/// What a log line records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "camelCase")]
pub enum Entry {
    /// The run began: the drill as run (speed included), and the data it ran on.
    #[serde(rename_all = "camelCase")]
    Start {
        run_id: String,
        drill: Drill,
        model_version: String,
        people: u64,
        survivors: u64,
        role: String,
        /// The k-anonymity guard's k the timeline's counts went through (a replay uses the same).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        k: Option<u64>,
    },
    /// An event was released.
    Event {
        event: Event,
    },
    /// A trainee acted.
    #[serde(rename_all = "camelCase")]
    Action {
        role: String,
        actor: String,
        action: Action,
    },
    Pause {
        role: String,
    },
    Resume {
        role: String,
    },
    /// A trainer stopped the run, or its server shut down.
    Stop {
        role: String,
        reason: String,
    },
    /// The run reached its duration.
    Finish,
}

/// One line of a drill log: its place, its drill time and wall time, and what happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    pub seq: u64,
    /// Drill days since the start.
    pub day: f64,
    /// Wall-clock time, RFC 3339 with milliseconds.
    pub wall: String,
    #[serde(flatten)]
    pub entry: Entry,
}

/// Whether a log ended (stopped or finished).
pub fn ended(log: &[Line]) -> bool {
    log.iter().any(|l| matches!(l.entry, Entry::Stop { .. } | Entry::Finish))
}

/// Replays a log: the timeline rebuilt from its drill and data, interleaved with the log's actions and controls
/// by drill time. A run releases every event due before it records anything else, so an event comes before
/// any other line of the same or a later day; a log cut off by a crash keeps as many events as it released.
/// Wall times are kept from the log's lines, so a faithful log replays to itself.
pub fn replay(log: &[Line], timeline: &[Event]) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::with_capacity(log.len());
    let mut events = timeline.iter().peekable();
    let logged_walls: std::collections::HashMap<u32, &str> = log
        .iter()
        .filter_map(|l| match &l.entry {
            Entry::Event { event } => Some((event.index, l.wall.as_str())),
            _ => None,
        })
        .collect();
    let event_line = |e: &Event, seq: u64| Line {
        seq,
        day: e.day,
        wall: logged_walls.get(&e.index).map_or_else(String::new, |w| (*w).to_owned()),
        entry: Entry::Event { event: e.clone() },
    };
    for line in log {
        match line.entry {
            Entry::Event { .. } => continue,
            Entry::Start { .. } => {}
            _ => {
                while let Some(e) = events.next_if(|e| e.day <= line.day) {
                    out.push(event_line(e, out.len() as u64));
                }
            }
        }
        out.push(Line { seq: out.len() as u64, ..line.clone() });
    }
    let released = logged_walls.len();
    let ended = ended(log);
    let mut pushed = out.iter().filter(|l| matches!(l.entry, Entry::Event { .. })).count();
    while !ended && pushed < released {
        let Some(e) = events.next() else { break };
        out.push(event_line(e, out.len() as u64));
        pushed += 1;
    }
    out
}

#[cfg(test)]
mod tests;
