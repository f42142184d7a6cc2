//! A drill log's lines: the run's start, released events, trainees' actions and controls; and the replay that
//! rebuilds a log from its drill's timeline and the actions it recorded.

use super::{Drill, Event};
use serde::{Deserialize, Serialize};

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
