//! The debrief of a drill run, from its log alone: the timeline, each event's time to first action, the cases
//! and alerts handled on time, late or missed, and the actions by role. It uses drill time only, so the same
//! drill, seed and actions give the same report, however fast the wall clock ran.

use super::state::{ItemKind, RunState};
use super::{ActionKind, EventKind, Line};
use serde::Serialize;
use std::collections::BTreeMap;

/// How an item ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    OnTime,
    Late,
    Missed,
    /// Not yet due when the run ended, and untouched.
    Open,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::OnTime => "on time",
            Outcome::Late => "late",
            Outcome::Missed => "missed",
            Outcome::Open => "open at the end",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventReport {
    pub index: u32,
    pub day: f64,
    pub kind: EventKind,
    pub title: String,
    pub summary: String,
    pub respond_within_days: f64,
    /// Cases and alerts it raised.
    pub items: u32,
    /// Drill days from the event to the first action on anything it raised.
    pub time_to_first_action_days: Option<f64>,
    pub on_time: u32,
    pub late: u32,
    pub missed: u32,
    pub open: u32,
    /// For shocks: high-risk people, baseline and at the shock (through the k-guard).
    pub baseline_high_risk_count: Option<u64>,
    pub high_risk_count: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemReport {
    pub id: String,
    pub kind: ItemKind,
    pub event: u32,
    pub level: Option<String>,
    pub raised_day: f64,
    pub due_day: f64,
    pub first_action_day: Option<f64>,
    pub first_action: Option<ActionKind>,
    pub first_action_role: Option<String>,
    /// Every action taken, in order.
    pub actions: Vec<ActionKind>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleReport {
    pub role: String,
    pub flag: u32,
    pub acknowledge: u32,
    pub escalate: u32,
    pub handoff: u32,
    pub total: u32,
    /// Median drill days from an item being raised to this role's first action on it.
    pub median_response_days: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub events: u32,
    pub items: u32,
    pub on_time: u32,
    pub late: u32,
    pub missed: u32,
    pub open: u32,
    pub actions: u32,
}

/// A drill run's debrief.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub format: &'static str,
    pub run_id: String,
    pub drill: String,
    pub description: String,
    pub scenario: Option<String>,
    pub seed: u64,
    pub days_per_minute: f64,
    pub respond_within_days: f64,
    pub duration_days: f64,
    pub status: &'static str,
    /// Drill day the run ended.
    pub ended_day: f64,
    pub model_version: String,
    pub people: u64,
    pub survivors: u64,
    /// Events released, of the timeline's.
    pub events_released: u32,
    pub events_planned: u32,
    pub totals: Totals,
    pub events: Vec<EventReport>,
    pub items: Vec<ItemReport>,
    pub roles: Vec<RoleReport>,
}

pub const FORMAT: &str = "safehaven-drill-report/1";

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 })
}

/// The debrief of a log; `None` when it does not begin with a start.
pub fn report(log: &[Line]) -> Option<Report> {
    let state = RunState::fold(log, false)?;
    let ended_day = state.day;
    let items: Vec<ItemReport> = state
        .items
        .values()
        .map(|item| {
            let first = item.first_action();
            let outcome = match first {
                Some(d) if d.day <= item.due_day + 1e-9 => Outcome::OnTime,
                Some(_) => Outcome::Late,
                None if ended_day >= item.due_day => Outcome::Missed,
                None => Outcome::Open,
            };
            ItemReport {
                id: item.id.clone(),
                kind: item.kind,
                event: item.event,
                level: item.level.clone(),
                raised_day: item.raised_day,
                due_day: item.due_day,
                first_action_day: first.map(|d| d.day),
                first_action: first.map(|d| d.kind),
                first_action_role: first.map(|d| d.role.clone()),
                actions: item.actions.iter().map(|d| d.kind).collect(),
                outcome,
            }
        })
        .collect();
    let count = |event: Option<u32>, outcome: Outcome| {
        items.iter().filter(|i| event.is_none_or(|e| i.event == e) && i.outcome == outcome).count() as u32
    };
    let events = state
        .events
        .iter()
        .map(|e| {
            let first =
                items.iter().filter(|i| i.event == e.index).filter_map(|i| i.first_action_day).min_by(f64::total_cmp);
            EventReport {
                index: e.index,
                day: e.day,
                kind: e.kind,
                title: e.title.clone(),
                summary: e.summary.clone(),
                respond_within_days: e.respond_within_days,
                items: (e.cases.len() + e.alerts.len()) as u32,
                time_to_first_action_days: first.map(|d| d - e.day),
                on_time: count(Some(e.index), Outcome::OnTime),
                late: count(Some(e.index), Outcome::Late),
                missed: count(Some(e.index), Outcome::Missed),
                open: count(Some(e.index), Outcome::Open),
                baseline_high_risk_count: e.figures.as_ref().and_then(|f| f.baseline_high_risk_count.get()),
                high_risk_count: e.figures.as_ref().and_then(|f| f.high_risk_count.get()),
            }
        })
        .collect();
    let mut by_role: BTreeMap<String, (RoleReport, Vec<f64>)> = BTreeMap::new();
    let mut first_by_role: BTreeMap<(String, String), f64> = BTreeMap::new();
    for (day, role, action) in &state.actions {
        let entry = by_role.entry(role.clone()).or_insert_with(|| {
            (
                RoleReport {
                    role: role.clone(),
                    flag: 0,
                    acknowledge: 0,
                    escalate: 0,
                    handoff: 0,
                    total: 0,
                    median_response_days: None,
                },
                Vec::new(),
            )
        });
        match action.kind {
            ActionKind::Flag => entry.0.flag += 1,
            ActionKind::Acknowledge => entry.0.acknowledge += 1,
            ActionKind::Escalate => entry.0.escalate += 1,
            ActionKind::Handoff => entry.0.handoff += 1,
        }
        entry.0.total += 1;
        if let Some(item) = state.items.get(&action.target) {
            first_by_role.entry((role.clone(), item.id.clone())).or_insert(day - item.raised_day);
        }
    }
    for ((role, _), delay) in first_by_role {
        if let Some(entry) = by_role.get_mut(&role) {
            entry.1.push(delay);
        }
    }
    let roles = by_role
        .into_values()
        .map(|(mut r, delays)| {
            r.median_response_days = median(delays);
            r
        })
        .collect();
    let planned = state.drill.events.len() as u32;
    Some(Report {
        format: FORMAT,
        run_id: state.run_id.clone(),
        drill: state.drill.name.clone(),
        description: state.drill.description.clone(),
        scenario: state.drill.scenario.clone(),
        seed: state.drill.seed,
        days_per_minute: state.drill.days_per_minute,
        respond_within_days: state.drill.respond_within_days,
        duration_days: state.drill.duration(),
        status: state.status.name(),
        ended_day,
        model_version: state.model_version.clone(),
        people: state.people,
        survivors: state.survivors,
        events_released: state.events.len() as u32,
        events_planned: planned,
        totals: Totals {
            events: state.events.len() as u32,
            items: items.len() as u32,
            on_time: count(None, Outcome::OnTime),
            late: count(None, Outcome::Late),
            missed: count(None, Outcome::Missed),
            open: count(None, Outcome::Open),
            actions: state.actions.len() as u32,
        },
        events,
        items,
        roles,
    })
}
