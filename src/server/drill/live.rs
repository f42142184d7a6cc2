//! The live run a server holds: its state, timeline, clock and open log; the messages every participant gets,
//! redacted by role; the clock thread that releases events on time.

use crate::chaos::drill::{Entry, Event, Line, RunState, Status};
use crate::privacy::roles::{Permission, Role};
use crate::server::{ApiError, AppState};
use crate::warehouse::drill_log::{DrillLog, Lock};
use serde_json::{Value, json};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// One message to every participant: a log line, as JSON with the run's ID.
#[derive(Debug)]
pub struct Message {
    pub seq: u64,
    pub kind: &'static str,
    pub data: String,
}

/// The server's drill runtime.
pub struct Drills {
    live: Mutex<Option<Live>>,
    /// Wakes the clock thread: a run started, paused, resumed or stopped.
    pub(super) wake: Condvar,
    pub(super) tx: broadcast::Sender<Arc<Message>>,
    pub(super) clock_started: std::sync::Once,
    /// Set when the server shuts down: event streams end, so graceful shutdown need not wait for them.
    pub(super) closing: tokio::sync::watch::Sender<bool>,
}

impl Default for Drills {
    fn default() -> Self {
        Drills {
            live: Mutex::new(None),
            wake: Condvar::new(),
            tx: broadcast::channel(1024).0,
            clock_started: std::sync::Once::new(),
            closing: tokio::sync::watch::channel(false).0,
        }
    }
}

/// The run a server holds: its state, its timeline, its clock and its open log.
pub(super) struct Live {
    pub(super) state: RunState,
    pub(super) timeline: Vec<Event>,
    /// Drill day when the clock last stopped (or started).
    pub(super) base_day: f64,
    /// While running: when the clock last started.
    pub(super) since: Option<Instant>,
    /// Open until the run ends.
    pub(super) log: Option<DrillLog>,
    pub(super) _lock: Option<Lock>,
}

pub(super) fn wall_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn entry_kind(entry: &Entry) -> &'static str {
    match entry {
        Entry::Start { .. } => "start",
        Entry::Event { .. } => "event",
        Entry::Action { .. } => "action",
        Entry::Pause { .. } => "pause",
        Entry::Resume { .. } => "resume",
        Entry::Stop { .. } => "stop",
        Entry::Finish => "finish",
    }
}

impl Live {
    fn duration(&self) -> f64 {
        self.state.drill.duration()
    }

    /// Drill days per wall-clock minute, as the run was started.
    fn speed(&self) -> f64 {
        self.state.drill.days_per_minute
    }

    /// The drill day at `now`.
    pub(super) fn day(&self, now: Instant) -> f64 {
        let running = self.since.map_or(0.0, |s| now.duration_since(s).as_secs_f64() / 60.0 * self.speed());
        (self.base_day + running).min(self.duration())
    }

    /// Logs a line (fsynced), applies it and returns the message for participants.
    pub(super) fn record(&mut self, day: f64, entry: Entry) -> Result<Message, ApiError> {
        let log = self.log.as_mut().ok_or_else(|| ApiError::internal("the drill's log is closed"))?;
        let line = Line { seq: self.state.seq + 1, day, wall: wall_now(), entry };
        if let Err(e) = log.append(&line) {
            // The log is the run: a run that cannot write it cannot go on.
            let _ = self.interrupt(Instant::now());
            return Err(ApiError::internal(e));
        }
        self.state.apply(&line);
        Ok(message(&self.state.run_id, &line))
    }

    /// Releases every event due by `now`, and finishes the run at its duration.
    pub(super) fn advance(&mut self, now: Instant) -> Result<Vec<Message>, ApiError> {
        let mut out = Vec::new();
        if self.state.status != Status::Running {
            return Ok(out);
        }
        let day = self.day(now);
        while let Some(event) = self.state.next_event(&self.timeline).filter(|e| e.day <= day).cloned() {
            out.push(self.record(event.day, Entry::Event { event })?);
        }
        if day >= self.duration() {
            out.push(self.record(self.duration(), Entry::Finish)?);
            self.close(now);
        }
        Ok(out)
    }

    /// Stops the clock and closes the log and the lock: the run has ended.
    pub(super) fn close(&mut self, now: Instant) {
        self.base_day = self.day(now);
        self.since = None;
        self.log = None;
        self._lock = None;
    }

    /// Ends the run because its log cannot be written: it is interrupted, and participants are told (in a message
    /// that is not in the log, which is what failed).
    fn interrupt(&mut self, now: Instant) -> Message {
        self.close(now);
        self.state.status = Status::Interrupted;
        let line = Line {
            seq: self.state.seq + 1,
            day: self.base_day,
            wall: wall_now(),
            entry: Entry::Stop { role: "server".into(), reason: "the drill log could not be written".into() },
        };
        message(&self.state.run_id, &line)
    }

    /// How long until the next event or the end, while running.
    fn next_due(&self, now: Instant) -> Option<Duration> {
        self.since?;
        let next = self.state.next_event(&self.timeline).map_or(self.duration(), |e| e.day.min(self.duration()));
        let days = (next - self.day(now)).max(0.0);
        Some(Duration::try_from_secs_f64(days / self.speed() * 60.0).unwrap_or(Duration::MAX))
    }

    pub(super) fn snapshot(&self, now: Instant) -> Value {
        json!({
            "state": self.state,
            "clock": {
                "day": self.day(now),
                "daysPerMinute": self.speed(),
                "running": self.since.is_some(),
                "durationDays": self.duration(),
            },
            "nextEventDay": self.state.next_event(&self.timeline).map(|e| e.day),
            "eventsPlanned": self.timeline.len(),
        })
    }
}

/// What a role may see of a drill: a case's person (masked ID, probabilities) only with case lists, an alert's
/// survivor (masked ID, the reassessment behind it) only with the DV service, and an action's note only with the
/// permission its target needs. Case and alert IDs are the drill's own, so everyone can follow the work.
pub(super) fn redact(value: &mut Value, role: Role) {
    let (cases, alerts) = (role.may(Permission::CaseList), role.may(Permission::DvService));
    if !(cases && alerts) {
        strip(value, cases, alerts);
    }
}

fn strip(value: &mut Value, cases: bool, alerts: bool) {
    match value {
        Value::Object(map) => {
            // An action: its note is about its target.
            let target = map.get("target").and_then(Value::as_str).unwrap_or_default();
            let may = if target.starts_with("DC-") { cases } else { alerts };
            if map.contains_key("note") && !may {
                map.remove("note");
            }
            for (key, child) in map.iter_mut() {
                let hidden: &[&str] = match key.as_str() {
                    "cases" if !cases => &["maskedId", "probabilityBefore", "probabilityAfter"],
                    "alerts" if !alerts => &["maskedId", "reason"],
                    _ => &[],
                };
                if let (false, Value::Array(list)) = (hidden.is_empty(), &mut *child) {
                    for item in list.iter_mut().filter_map(Value::as_object_mut) {
                        hidden.iter().for_each(|field| drop(item.remove(*field)));
                    }
                }
                strip(child, cases, alerts);
            }
        }
        Value::Array(list) => list.iter_mut().for_each(|child| strip(child, cases, alerts)),
        _ => {}
    }
}

pub(super) fn message(run_id: &str, line: &Line) -> Message {
    let mut value = serde_json::to_value(line).unwrap_or(Value::Null);
    value["runId"] = json!(run_id);
    Message { seq: line.seq, kind: entry_kind(&line.entry), data: value.to_string() }
}

impl Drills {
    pub(super) fn publish(&self, messages: Vec<Message>) {
        for m in messages {
            // No receiver is fine: nobody is watching.
            let _ = self.tx.send(Arc::new(m));
        }
    }

    pub(super) fn lock(&self) -> Result<std::sync::MutexGuard<'_, Option<Live>>, ApiError> {
        self.live.lock().map_err(|_| ApiError::internal("drill lock poisoned"))
    }

    /// Ends every event stream: the server is shutting down.
    pub fn close_streams(&self) {
        self.closing.send_replace(true);
    }

    /// Ends a running drill because the server is shutting down; no drill starts after this.
    pub fn shutdown(&self) {
        let Ok(mut live) = self.live.lock() else { return };
        // Set under the lock: a start that takes the lock after this sees it.
        self.closing.send_replace(true);
        let Some(run) = live.as_mut().filter(|l| l.log.is_some()) else { return };
        let now = Instant::now();
        let mut out = run.advance(now).unwrap_or_default();
        if run.log.is_some() {
            let day = run.day(now);
            if let Ok(m) = run.record(day, Entry::Stop { role: "server".into(), reason: "the server stopped".into() }) {
                out.push(m);
            }
            run.close(now);
        }
        self.publish(out);
        self.wake.notify_all();
    }
}

/// The clock thread: releases due events, then sleeps until the next one or a wake-up. It ends with the server.
pub(super) fn clock(state: Weak<AppState>) {
    loop {
        let Some(app) = state.upgrade() else { return };
        let drills = &app.drills;
        let Ok(mut live) = drills.live.lock() else { return };
        let now = Instant::now();
        let wait = match live.as_mut() {
            Some(run) => {
                match run.advance(now) {
                    Ok(out) => drills.publish(out),
                    Err(e) => {
                        tracing::error!(error = ?e, "drill clock could not log an event; the drill is interrupted");
                        drills.publish(vec![run.interrupt(now)]);
                    }
                }
                run.next_due(Instant::now()).unwrap_or(Duration::from_secs(1))
            }
            None => Duration::from_secs(1),
        };
        // Re-check at least every second, so a dropped server ends this thread.
        let wait = wait.min(Duration::from_secs(1));
        let _ = drills.wake.wait_timeout(live, wait);
    }
}
