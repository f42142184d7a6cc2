//! Crisis drills: a timeline of events in drill time — scenario shocks, injected DV incidents, alert bursts —
//! released at a speed (drill days per wall-clock minute) for trainees to act on. Pure: no I/O, no clock.
//!
//! A drill file is parsed into a [`Drill`]; [`timeline`] turns it, with the population, the model and the
//! survivors, into the events a run releases, each with the cases and alerts it puts in front of trainees.
//! Everything a run does is a [`Line`] of its drill log; [`RunState`] folds lines, checks trainee actions, and
//! [`report`] debriefs a log. The timeline depends only on the drill, its seed and the data, so a log replayed
//! ([`replay`]) with the same actions gives the same report.

mod log;
pub mod report;
mod state;
mod timeline;

pub use log::{Action, ActionKind, Entry, Line, ended, replay};
pub use report::{Report, report};
pub use state::{ActionError, Item, ItemKind, RunState, Status};
pub use timeline::{DrillAlert, DrillCase, Event, ShockFigures, TimelineError, World, timeline};

use super::scenario::Scenario;
use crate::text::located::{ParseError, Source};
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

#[cfg(test)]
mod tests;
