//! Live drills. One drill runs at a time per data dir, in the serving process: a clock thread releases its
//! events when their drill time comes, every participant's dashboard follows over server-sent events, and
//! trainees' actions are checked, audited (drill time and wall time) and logged. Everything that happens is a
//! line of the run's drill log, fsynced before anyone is told; the debrief is computed from that log alone.
//!
//! The CLI (`safehaven drill start|pause|resume|stop`) reaches the running server through the data dir's
//! inbox ([`watch_inbox`]), never the network.

use super::json::{ApiJson, ApiPath};
use super::views::blocking;
use super::{ApiError, AppState, Caller};
use crate::chaos::drill::{self, Action, ActionError, ActionKind, Drill, Entry, Event, ItemKind, Line, State, Status};
use crate::privacy::audit::Event as AuditEvent;
use crate::privacy::roles::{Permission, Role};
use crate::warehouse::drills::{self as store, DrillLog, Lock};
use axum::Json;
use axum::extract::{Extension, State as Shared};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

type App = Shared<Arc<AppState>>;

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
    wake: Condvar,
    tx: broadcast::Sender<Arc<Message>>,
    clock_started: std::sync::Once,
    /// Set when the server shuts down: event streams end, so graceful shutdown need not wait for them.
    closing: tokio::sync::watch::Sender<bool>,
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
struct Live {
    state: State,
    timeline: Vec<Event>,
    /// Drill day when the clock last stopped (or started).
    base_day: f64,
    /// While running: when the clock last started.
    since: Option<Instant>,
    /// Open until the run ends.
    log: Option<DrillLog>,
    _lock: Option<Lock>,
}

fn wall_now() -> String {
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
    fn day(&self, now: Instant) -> f64 {
        let running = self.since.map_or(0.0, |s| now.duration_since(s).as_secs_f64() / 60.0 * self.speed());
        (self.base_day + running).min(self.duration())
    }

    /// Logs a line (fsynced), applies it and returns the message for participants.
    fn record(&mut self, day: f64, entry: Entry) -> Result<Message, ApiError> {
        let log = self.log.as_mut().ok_or_else(|| ApiError::internal("the drill's log is closed"))?;
        let line = Line { seq: self.state.seq + 1, day, wall: wall_now(), entry };
        if let Err(e) = log.append(&line) {
            // The log is the run: a run that cannot write it cannot go on.
            let _ = self.interrupt(Instant::now());
            return Err(ApiError::internal(e.to_string()));
        }
        self.state.apply(&line);
        Ok(message(&self.state.run_id, &line))
    }

    /// Releases every event due by `now`, and finishes the run at its duration.
    fn advance(&mut self, now: Instant) -> Result<Vec<Message>, ApiError> {
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
    fn close(&mut self, now: Instant) {
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

    fn snapshot(&self, now: Instant) -> Value {
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
fn redact(value: &mut Value, role: Role) {
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

fn message(run_id: &str, line: &Line) -> Message {
    let mut value = serde_json::to_value(line).unwrap_or(Value::Null);
    value["runId"] = json!(run_id);
    Message { seq: line.seq, kind: entry_kind(&line.entry), data: value.to_string() }
}

impl Drills {
    fn publish(&self, messages: Vec<Message>) {
        for m in messages {
            // No receiver is fine: nobody is watching.
            let _ = self.tx.send(Arc::new(m));
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Option<Live>>, ApiError> {
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
fn clock(state: Weak<AppState>) {
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

/// The survivors and the scored population a timeline is built on.
async fn world_input(
    state: &Arc<AppState>,
) -> Result<(Arc<crate::analytics::Portfolio>, crate::chaos::dv::DvInput), ApiError> {
    let portfolio = state.portfolio()?;
    Ok((portfolio, state.with_warehouse(|w| w.dv_input()).await?))
}

/// Starts `drill`; the caller's role is logged. Refused while another drill runs.
pub async fn start(state: &Arc<AppState>, drill: Drill, role: &str) -> Result<Value, ApiError> {
    if let Some(run) = state.drills.lock()?.as_ref().filter(|l| !l.state.status.ended()) {
        return Err(running(&run.state));
    }
    let (portfolio, survivors) = world_input(state).await?;
    let (app, role) = (state.clone(), role.to_owned());
    blocking(move || {
        let guard = app.guard;
        let world = drill::World {
            artifact: portfolio.artifact(),
            population: portfolio.population(),
            ids: portfolio.ids(),
            survivors: &survivors,
            guard: &guard,
        };
        let timeline = drill::timeline(&drill, &world).map_err(|e| ApiError::internal(e.to_string()))?;
        let mut live = app.drills.lock()?;
        if let Some(run) = live.as_ref().filter(|l| !l.state.status.ended()) {
            return Err(running(&run.state));
        }
        if *app.drills.closing.borrow() {
            return Err(ApiError::Unavailable("the server is shutting down: start the drill on the next one".into()));
        }
        let run_id = store::new_run_id();
        let lock = match store::lock_active(&app.data_dir, &run_id)? {
            Ok(lock) => lock,
            Err(other) => {
                return Err(ApiError::Conflict(format!(
                    "drill {other} is running in another process on this data dir: stop it first (`safehaven drill stop`)"
                )));
            }
        };
        let mut log = DrillLog::create(&app.data_dir, &run_id)?;
        let line = Line {
            seq: 0,
            day: 0.0,
            wall: wall_now(),
            entry: Entry::Start {
                run_id: run_id.clone(),
                drill: drill.clone(),
                model_version: portfolio.artifact().version.clone(),
                people: portfolio.len() as u64,
                survivors: survivors.cases.len() as u64,
                role: role.clone(),
                k: Some(guard.k()),
            },
        };
        let reason = format!("drill {} at {} days/minute", drill.name, drill.days_per_minute);
        // Audited before it runs: if the audit log cannot be written, the drill does not start.
        if let Err(e) = audit(&app, &role, "drill.start", &run_id, &reason).and_then(|()| {
            Ok(log.append(&line)?)
        }) {
            store::discard(&app.data_dir, &run_id);
            return Err(e);
        }
        let state = State::start(&line).ok_or_else(|| ApiError::internal("start line"))?;
        let now = Instant::now();
        let mut run = Live {
            state,
            timeline,
            base_day: 0.0,
            since: Some(now),
            log: Some(log),
            _lock: Some(lock),
        };
        let mut out = vec![message(&run_id, &line)];
        out.extend(run.advance(now)?);
        let snapshot = run.snapshot(now);
        *live = Some(run);
        app.drills.publish(out);
        app.drills.wake.notify_all();
        drop(live);
        let weak = Arc::downgrade(&app);
        app.drills.clock_started.call_once(move || {
            std::thread::Builder::new().name("drill-clock".into()).spawn(move || clock(weak)).ok();
        });
        Ok(snapshot)
    })
    .await
}

fn running(state: &State) -> ApiError {
    ApiError::Conflict(format!(
        "drill {} ({}) is {} on this data dir: one drill at a time; stop it first (`safehaven drill stop`, or Stop on the dashboard)",
        state.run_id,
        state.drill.name,
        state.status.name()
    ))
}

fn audit(app: &AppState, actor: &str, action: &str, subject: &str, reason: &str) -> Result<(), ApiError> {
    let event = AuditEvent {
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject: subject.to_owned(),
        reason: reason.to_owned(),
    };
    app.audit.append(event, wall_now()).map(|_| ()).map_err(|e| ApiError::internal(e.to_string()))
}

/// A control: pause, resume or stop. `run_id` `None` means the current run (the CLI's way).
pub fn control(app: &AppState, run_id: Option<&str>, kind: &str, actor: &str, role: &str) -> Result<Value, ApiError> {
    let mut live = app.drills.lock()?;
    let run = current(&mut live, &app.data_dir, run_id)?;
    let now = Instant::now();
    // Events due by now are released (and published) whatever becomes of the control.
    let released = run.advance(now);
    let result = released.and_then(|out| {
        app.drills.publish(out);
        control_run(app, run, now, kind, actor, role)
    });
    app.drills.wake.notify_all();
    result
}

fn control_run(
    app: &AppState,
    run: &mut Live,
    now: Instant,
    kind: &str,
    actor: &str,
    role: &str,
) -> Result<Value, ApiError> {
    let day = run.day(now);
    let status = run.state.status;
    let role_owned = role.to_owned();
    let entry = match (kind, status) {
        (_, s) if s.ended() => {
            return Err(ApiError::Conflict(format!(
                "drill {} has {} (day {:.1}): there is nothing to {kind}; `safehaven drill report {}` debriefs it",
                run.state.run_id,
                s.name(),
                run.state.day,
                run.state.run_id
            )));
        }
        ("pause", Status::Paused) | ("resume", Status::Running) => {
            return Err(ApiError::Conflict(format!("drill {} is already {}", run.state.run_id, status.name())));
        }
        ("pause", _) => Entry::Pause { role: role_owned },
        ("resume", _) => Entry::Resume { role: role_owned },
        _ => Entry::Stop { role: role_owned, reason: "stopped by a trainer".into() },
    };
    // Audited first, as every act is: if the audit log cannot be written, nothing happens.
    audit(app, actor, &format!("drill.{kind}"), &run.state.run_id, &format!("drill day {day:.3}"))?;
    let message = run.record(day, entry.clone())?;
    match entry {
        Entry::Pause { .. } => {
            run.base_day = day;
            run.since = None;
        }
        Entry::Resume { .. } => run.since = Some(now),
        _ => run.close(now),
    }
    app.drills.publish(vec![message]);
    Ok(run.snapshot(now))
}

fn ended(state: &State) -> ApiError {
    ApiError::Conflict(
        ActionError::Ended { run_id: state.run_id.clone(), status: state.status.name(), day: state.day }.to_string(),
    )
}

/// The live run, if it is `run_id` (or any, for `None`); otherwise a clear error for a past or unknown run.
fn current<'a>(
    live: &'a mut Option<Live>,
    data_dir: &std::path::Path,
    run_id: Option<&str>,
) -> Result<&'a mut Live, ApiError> {
    match (live.as_mut(), run_id) {
        (Some(run), None) => Ok(run),
        (Some(run), Some(id)) if run.state.run_id == id => Ok(run),
        (_, None) => Err(ApiError::NotFound("no drill is running: start one (`safehaven drill start NAME`)".into())),
        (_, Some(id)) => {
            store::check_run_id(id).map_err(|e| ApiError::NotFound(e.to_string()))?;
            match store::read(data_dir, id)? {
                Some(log) => {
                    let state =
                        State::fold(&log, false).ok_or_else(|| ApiError::internal("drill log without start"))?;
                    Err(ended(&state))
                }
                None => Err(unknown_run(id)),
            }
        }
    }
}

fn unknown_run(id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "no drill run {}: GET /api/v1/drills lists the runs",
        id.chars().take(40).collect::<String>()
    ))
}

/// What a role needs to act on an item: cases are the investigators', alerts the advocates'.
fn needs(item: ItemKind) -> Permission {
    match item {
        ItemKind::Case => Permission::CaseList,
        ItemKind::Alert => Permission::DvService,
    }
}

/// Takes a trainee's action on the live run: checked, audited, logged, published.
pub fn act(app: &AppState, run_id: &str, caller: &Caller, action: Action) -> Result<Value, ApiError> {
    let mut live = app.drills.lock()?;
    let run = current(&mut live, &app.data_dir, Some(run_id))?;
    let now = Instant::now();
    let mut out = run.advance(now)?;
    // The role first: someone who may not act on a target learns nothing of what others did with it.
    if let Some(item) = run.state.items.get(&action.target) {
        let permission = needs(item.kind);
        if !caller.role.may(permission) {
            app.drills.publish(out);
            return Err(ApiError::Forbidden { role: caller.role, permission });
        }
    }
    let checked = run.state.check(&action);
    app.drills.publish(std::mem::take(&mut out));
    checked.map_err(|e| match e {
        ActionError::Ended { .. } | ActionError::Paused { .. } | ActionError::Already { .. } => {
            ApiError::Conflict(e.to_string())
        }
        ActionError::UnknownTarget { .. } => ApiError::NotFound(e.to_string()),
        ActionError::WrongTarget { .. } | ActionError::Note(_) => ApiError::Unprocessable(e.to_string()),
    })?;
    let day = run.day(now);
    let wall = wall_now();
    let note = action.note.trim().to_owned();
    // Audited first: if the audit log cannot be written, the action is not taken.
    audit(
        app,
        &caller.name,
        &format!("drill.{}", action.kind.name()),
        &format!("{}/{}", run.state.run_id, action.target),
        &format!(
            "drill day {day:.3}, wall {wall}{}",
            if note.is_empty() { String::new() } else { format!("; {note}") }
        ),
    )?;
    let action = Action { note, ..action };
    out.push(run.record(
        day,
        Entry::Action { role: caller.role.name().to_owned(), actor: caller.name.clone(), action: action.clone() },
    )?);
    let seq = run.state.seq;
    app.drills.publish(out);
    Ok(json!({ "runId": run.state.run_id, "seq": seq, "day": day, "action": action }))
}

/// `GET /api/v1/drills`: the preset drills, the runs in this data dir, and the live one.
pub async fn list(Shared(state): App) -> Result<Json<Value>, ApiError> {
    let live_id = state.drills.lock()?.as_ref().filter(|l| !l.state.status.ended()).map(|l| l.state.run_id.clone());
    let data_dir = state.data_dir.clone();
    let live = live_id.clone();
    let runs = blocking(move || Ok(store::list(&data_dir, live.as_deref())?)).await?;
    Ok(Json(json!({ "drills": drill::preset_summaries(), "runs": runs, "live": live_id })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartRequest {
    /// A preset drill's name.
    drill: String,
    /// Overrides the drill's speed.
    #[serde(default)]
    days_per_minute: Option<f64>,
}

/// A preset drill with an optional speed override; errors name the field.
fn preset_with_speed(name: &str, days_per_minute: Option<f64>) -> Result<Drill, String> {
    let presets: Vec<&str> = drill::PRESETS.iter().map(|(n, _)| *n).collect();
    let mut drill = drill::preset(name)
        .ok_or_else(|| {
            format!(
                "drill: unknown drill `{}`; presets: {}",
                name.chars().take(40).collect::<String>(),
                presets.join(", ")
            )
        })?
        .map_err(|e| e.to_string())?;
    if let Some(speed) = days_per_minute {
        drill.days_per_minute = drill::check_speed(speed).map_err(|why| format!("daysPerMinute: {why}"))?;
    }
    Ok(drill)
}

/// `POST /api/v1/drills` with `{ "drill": "winter_surge", "daysPerMinute"?: 2 }` (trainer): starts a drill.
pub async fn create(
    Shared(state): App,
    Extension(caller): Extension<Caller>,
    ApiJson(request): ApiJson<StartRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let drill = preset_with_speed(&request.drill, request.days_per_minute).map_err(ApiError::Unprocessable)?;
    let snapshot = start(&state, drill, caller.role.name()).await?;
    Ok((StatusCode::CREATED, Json(snapshot)))
}

/// `GET /api/v1/drills/live`: the live (or last) run's state and clock; `state` is null when none ran yet.
pub async fn live(Shared(state): App, Extension(caller): Extension<Caller>) -> Result<Json<Value>, ApiError> {
    let mut snapshot =
        state.drills.lock()?.as_ref().map_or_else(|| json!({ "state": null }), |l| l.snapshot(Instant::now()));
    redact(&mut snapshot, caller.role);
    Ok(Json(snapshot))
}

/// `GET /api/v1/drills/live/events`: server-sent events. First a `snapshot` (the `live` document), then every
/// log line as it is written (`start`, `event`, `action`, `pause`, `resume`, `stop`, `finish`), in log order,
/// each with the log's sequence number as its SSE id.
pub async fn events(Shared(state): App, Extension(caller): Extension<Caller>) -> Result<impl IntoResponse, ApiError> {
    let (mut snapshot, mut rx) = {
        let live = state.drills.lock()?;
        // Subscribed under the lock: no line is published between the snapshot and the subscription.
        let rx = state.drills.tx.subscribe();
        (live.as_ref().map_or_else(|| json!({ "state": null }), |l| l.snapshot(Instant::now())), rx)
    };
    redact(&mut snapshot, caller.role);
    let role = caller.role;
    let shown = move |m: &Message| match serde_json::from_str::<Value>(&m.data) {
        Ok(mut value) if matches!(m.kind, "event" | "action") => {
            redact(&mut value, role);
            value.to_string()
        }
        _ => m.data.clone(),
    };
    let mut closing = state.drills.closing.subscribe();
    let stream = async_stream::stream! {
        yield Ok::<_, std::convert::Infallible>(SseEvent::default().event("snapshot").data(snapshot.to_string()));
        loop {
            let received = tokio::select! {
                // Lines already published (the last stop) go out before the stream ends.
                biased;
                received = rx.recv() => received,
                _ = closing.wait_for(|closed| *closed) => break,
            };
            match received {
                Ok(m) => yield Ok(SseEvent::default().event(m.kind).id(m.seq.to_string()).data(shown(&m))),
                // Too slow a reader: tell it to reload the snapshot, and carry on.
                Err(broadcast::error::RecvError::Lagged(_)) => yield Ok(SseEvent::default().event("resync").data("{}")),
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    };
    Ok(([(header::CACHE_CONTROL, "no-cache")], Sse::new(stream).keep_alive(KeepAlive::default())))
}

/// `GET /api/v1/drills/{runId}`: a run's state (the live one, or a past one from its log).
pub async fn run(
    Shared(state): App,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let live = state.drills.lock()?.as_ref().filter(|l| l.state.run_id == id).map(|run| run.snapshot(Instant::now()));
    let mut document = match live {
        Some(snapshot) => snapshot,
        None => {
            let log = read_log(&state, id).await?;
            let folded = State::fold(&log, false).ok_or_else(|| ApiError::internal("drill log without start"))?;
            json!({ "state": folded })
        }
    };
    redact(&mut document, caller.role);
    Ok(Json(document))
}

async fn read_log(state: &Arc<AppState>, id: String) -> Result<Vec<Line>, ApiError> {
    store::check_run_id(&id).map_err(|e| ApiError::NotFound(e.to_string()))?;
    let data_dir = state.data_dir.clone();
    let read = blocking(move || Ok(store::read(&data_dir, &id).map(|log| (id, log))?)).await?;
    match read {
        (_, Some(log)) => Ok(log),
        (id, None) => Err(unknown_run(&id)),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionRequest {
    kind: ActionKind,
    target: String,
    #[serde(default)]
    note: String,
}

/// `POST /api/v1/drills/{runId}/actions` with `{ "kind": "flag|acknowledge|escalate|handoff", "target", "note" }`.
pub async fn action(
    Shared(state): App,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<ActionRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let action = Action { kind: request.kind, target: request.target, note: request.note };
    let done = blocking(move || act(&state, &id, &caller, action)).await?;
    Ok((StatusCode::CREATED, Json(done)))
}

async fn control_route(
    state: Arc<AppState>,
    caller: Caller,
    id: String,
    kind: &'static str,
) -> Result<Json<Value>, ApiError> {
    blocking(move || control(&state, Some(&id), kind, &caller.name, caller.role.name())).await.map(Json)
}

/// `POST /api/v1/drills/{runId}/pause`
pub async fn pause(
    Shared(state): App,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    control_route(state, caller, id, "pause").await
}

/// `POST /api/v1/drills/{runId}/resume`
pub async fn resume(
    Shared(state): App,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    control_route(state, caller, id, "resume").await
}

/// `POST /api/v1/drills/{runId}/stop`
pub async fn stop(
    Shared(state): App,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    control_route(state, caller, id, "stop").await
}

/// The debrief of an ended run; a running one is refused.
async fn debrief(state: &Arc<AppState>, id: String) -> Result<drill::Report, ApiError> {
    if let Some(run) = state.drills.lock()?.as_ref().filter(|l| l.state.run_id == id && !l.state.status.ended()) {
        return Err(ApiError::Conflict(format!(
            "drill {} is still {}: its debrief is ready when it finishes or is stopped",
            run.state.run_id,
            run.state.status.name()
        )));
    }
    let log = read_log(state, id).await?;
    drill::report(&log).ok_or_else(|| ApiError::internal("drill log without start"))
}

/// `GET /api/v1/drills/{runId}/report`: the debrief as JSON.
pub async fn report_json(Shared(state): App, ApiPath(id): ApiPath<String>) -> Result<Json<Value>, ApiError> {
    let report = debrief(&state, id).await?;
    Ok(Json(serde_json::to_value(report).map_err(|e| ApiError::internal(e.to_string()))?))
}

/// `GET /api/v1/drills/{runId}/report.html`: the debrief as a self-contained page.
pub async fn report_html(Shared(state): App, ApiPath(id): ApiPath<String>) -> Result<impl IntoResponse, ApiError> {
    let report = debrief(&state, id).await?;
    let html = crate::charts::drill::report_html(&report)?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html))
}

/// Takes the CLI's commands from the data dir's inbox, every 200 ms, for the life of the server. A start waits
/// while the analytics load.
pub async fn watch_inbox(state: Arc<AppState>) {
    // Starts wait here while the analytics load, but never longer than the CLI waits for an answer.
    const PATIENCE: Duration = Duration::from_secs(50);
    let mut pending: Vec<(std::path::PathBuf, store::Command, Instant)> = Vec::new();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let data_dir = state.data_dir.clone();
        let taken = tokio::task::spawn_blocking(move || store::take(&data_dir)).await;
        if let Ok(Ok(taken)) = taken {
            for (reply_to, command) in taken {
                match command {
                    Ok(c) => pending.push((reply_to, c, Instant::now())),
                    Err(why) => answer(&reply_to, Err(ApiError::BadRequest(why))),
                }
            }
        }
        let mut waiting = Vec::new();
        for (reply_to, command, since) in pending.drain(..) {
            let loading = matches!(state.analytics.read().as_deref(), Ok(super::Analytics::Loading));
            let result = match command {
                store::Command::Start { .. } if loading && since.elapsed() > PATIENCE => Err(ApiError::Unavailable(
                    "the analytics are still loading: start the drill once the server's log says `analytics ready`"
                        .into(),
                )),
                store::Command::Start { drill } if loading => {
                    waiting.push((reply_to, store::Command::Start { drill }, since));
                    continue;
                }
                store::Command::Start { drill } => start(&state, drill, "cli").await,
                store::Command::Pause => cli_control(&state, "pause").await,
                store::Command::Resume => cli_control(&state, "resume").await,
                store::Command::Stop => cli_control(&state, "stop").await,
            };
            if let Ok(snapshot) = &result {
                tracing::info!(run = %snapshot["state"]["runId"].as_str().unwrap_or("?"), "drill command from the CLI");
            }
            answer(&reply_to, result);
        }
        pending = waiting;
    }
}

async fn cli_control(state: &Arc<AppState>, kind: &'static str) -> Result<Value, ApiError> {
    let state = state.clone();
    blocking(move || control(&state, None, kind, &crate::config::operator(), "cli")).await
}

fn answer(reply_to: &std::path::Path, result: Result<Value, ApiError>) {
    let reply = match result {
        Ok(snapshot) => store::Reply {
            ok: true,
            run_id: snapshot["state"]["runId"].as_str().map(str::to_owned),
            message: format!(
                "drill {} is {}",
                snapshot["state"]["runId"].as_str().unwrap_or("?"),
                snapshot["state"]["status"].as_str().unwrap_or("?")
            ),
        },
        Err(e) => store::Reply { ok: false, run_id: None, message: e.message() },
    };
    if let Err(e) = store::reply(reply_to, &reply) {
        tracing::warn!(error = %e, "cannot answer a drill command");
    }
}
