//! A drill run's state, folded from its log: status, released events, and each case and alert with what
//! trainees did about it. The same fold checks a new action before it is logged.

use super::{Action, ActionKind, Drill, Entry, Event, Line};
use crate::text::clip;
use serde::Serialize;
use std::collections::BTreeMap;

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Running,
    Paused,
    /// Reached its duration.
    Finished,
    /// Stopped by a trainer or by its server shutting down.
    Stopped,
    /// The log ends without a stop: the process running it ended.
    Interrupted,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Finished => "finished",
            Status::Stopped => "stopped",
            Status::Interrupted => "interrupted",
        }
    }

    /// Whether the run has ended.
    pub fn ended(self) -> bool {
        matches!(self, Status::Finished | Status::Stopped | Status::Interrupted)
    }
}

/// A case or an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    Case,
    Alert,
}

/// One action taken on an item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Done {
    pub kind: ActionKind,
    pub day: f64,
    pub role: String,
}

/// A case or alert an event put in front of trainees.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub id: String,
    pub kind: ItemKind,
    /// The event that raised it.
    pub event: u32,
    pub raised_day: f64,
    pub due_day: f64,
    /// Alerts: critical or high.
    pub level: Option<String>,
    pub actions: Vec<Done>,
}

impl Item {
    pub fn first_action(&self) -> Option<&Done> {
        self.actions.first()
    }

    fn has(&self, kind: ActionKind) -> Option<&Done> {
        self.actions.iter().find(|d| d.kind == kind)
    }
}

/// Why an action cannot be taken; nothing is logged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActionError {
    #[error("drill {run_id} has {status} (day {day:.1}): actions on it are not recorded; start a new drill")]
    Ended { run_id: String, status: &'static str, day: f64 },
    #[error("drill {run_id} is paused: resume it before acting")]
    Paused { run_id: String },
    #[error("{target}: no case or alert of that ID has been raised in drill {run_id}")]
    UnknownTarget { run_id: String, target: String },
    #[error("{kind} applies to {applies}; {target} is {what}")]
    WrongTarget { kind: &'static str, applies: &'static str, target: String, what: &'static str },
    #[error("{target} was already {done} by {role} on drill day {day:.1}")]
    Already { target: String, done: &'static str, role: String, day: f64 },
    #[error("note: {0}")]
    Note(String),
}

/// Most characters in an action's note.
pub const NOTE_LIMIT: usize = 500;

/// A run's state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunState {
    pub run_id: String,
    pub drill: Drill,
    pub model_version: String,
    pub people: u64,
    pub survivors: u64,
    pub status: Status,
    /// Drill day of the last line.
    pub day: f64,
    /// Sequence number of the last line.
    pub seq: u64,
    pub started_wall: String,
    pub events: Vec<Event>,
    pub items: BTreeMap<String, Item>,
    /// Every action, in order: (drill day, role, action).
    pub actions: Vec<(f64, String, Action)>,
}

impl RunState {
    /// The state after a log's first line, which must be its start.
    pub fn start(line: &Line) -> Option<RunState> {
        let Entry::Start { run_id, drill, model_version, people, survivors, .. } = &line.entry else { return None };
        Some(RunState {
            run_id: run_id.clone(),
            drill: drill.clone(),
            model_version: model_version.clone(),
            people: *people,
            survivors: *survivors,
            status: Status::Running,
            day: line.day,
            seq: line.seq,
            started_wall: line.wall.clone(),
            events: Vec::new(),
            items: BTreeMap::new(),
            actions: Vec::new(),
        })
    }

    /// Folds a whole log; `None` when it does not begin with a start. A log without a stop or finish is
    /// interrupted unless `live` (its run is still going).
    pub fn fold(log: &[Line], live: bool) -> Option<RunState> {
        let mut state = RunState::start(log.first()?)?;
        for line in &log[1..] {
            state.apply(line);
        }
        if !live && !state.status.ended() {
            state.status = Status::Interrupted;
        }
        Some(state)
    }

    /// Applies a logged line (already checked when it was taken).
    pub fn apply(&mut self, line: &Line) {
        self.day = line.day;
        self.seq = line.seq;
        match &line.entry {
            Entry::Start { .. } => {}
            Entry::Event { event } => {
                let due = event.day + event.respond_within_days;
                for case in &event.cases {
                    self.items.insert(
                        case.case_id.clone(),
                        Item {
                            id: case.case_id.clone(),
                            kind: ItemKind::Case,
                            event: event.index,
                            raised_day: event.day,
                            due_day: due,
                            level: None,
                            actions: Vec::new(),
                        },
                    );
                }
                for alert in &event.alerts {
                    self.items.insert(
                        alert.alert_id.clone(),
                        Item {
                            id: alert.alert_id.clone(),
                            kind: ItemKind::Alert,
                            event: event.index,
                            raised_day: event.day,
                            due_day: due,
                            level: Some(alert.level.clone()),
                            actions: Vec::new(),
                        },
                    );
                }
                self.events.push(event.clone());
            }
            Entry::Action { role, action, .. } => {
                if let Some(item) = self.items.get_mut(&action.target) {
                    item.actions.push(Done { kind: action.kind, day: line.day, role: role.clone() });
                }
                self.actions.push((line.day, role.clone(), action.clone()));
            }
            Entry::Pause { .. } => self.status = Status::Paused,
            Entry::Resume { .. } => self.status = Status::Running,
            Entry::Stop { .. } => self.status = Status::Stopped,
            Entry::Finish => self.status = Status::Finished,
        }
    }

    /// Checks an action before it is logged: the run is going, the target was raised, the action fits it, and it
    /// was not already taken.
    pub fn check(&self, action: &Action) -> Result<ItemKind, ActionError> {
        match self.status {
            Status::Running => {}
            Status::Paused => return Err(ActionError::Paused { run_id: self.run_id.clone() }),
            ended => {
                return Err(ActionError::Ended { run_id: self.run_id.clone(), status: ended.name(), day: self.day });
            }
        }
        let item = self.items.get(&action.target).ok_or_else(|| ActionError::UnknownTarget {
            run_id: self.run_id.clone(),
            target: clip(&action.target, 40),
        })?;
        let what = match item.kind {
            ItemKind::Case => "a case",
            ItemKind::Alert => "an alert",
        };
        let wrong = |applies| ActionError::WrongTarget {
            kind: action.kind.name(),
            applies,
            target: action.target.clone(),
            what,
        };
        match (action.kind, item.kind) {
            (ActionKind::Flag, ItemKind::Alert) => return Err(wrong("cases")),
            (ActionKind::Acknowledge | ActionKind::Escalate, ItemKind::Case) => return Err(wrong("alerts")),
            _ => {}
        }
        if let Some(done) = item.has(action.kind) {
            let past = match action.kind {
                ActionKind::Flag => "flagged",
                ActionKind::Acknowledge => "acknowledged",
                ActionKind::Escalate => "escalated",
                ActionKind::Handoff => "handed off",
            };
            return Err(ActionError::Already {
                target: action.target.clone(),
                done: past,
                role: done.role.clone(),
                day: done.day,
            });
        }
        let note = action.note.trim();
        if note.chars().count() > NOTE_LIMIT {
            return Err(ActionError::Note(format!("at most {NOTE_LIMIT} characters")));
        }
        if note.is_empty() && action.kind != ActionKind::Acknowledge {
            let why = match action.kind {
                ActionKind::Flag => "say why the case needs review",
                ActionKind::Escalate => "say to whom and why",
                _ => "say which team takes it over",
            };
            return Err(ActionError::Note(format!("required for {}: {why}", action.kind.name())));
        }
        Ok(item.kind)
    }

    /// The next event of `timeline` not yet released.
    pub fn next_event<'t>(&self, timeline: &'t [Event]) -> Option<&'t Event> {
        timeline.get(self.events.len())
    }
}
