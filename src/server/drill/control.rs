//! Starting a drill, its controls (pause, resume, stop) and trainees' actions: each checked, audited, logged and
//! published.

use super::live::{Live, clock, message, wall_now};
use crate::chaos::drill::{self, Action, ActionError, Drill, Entry, ItemKind, Line, RunState, Status};
use crate::privacy::audit::Event as AuditEvent;
use crate::privacy::roles::Permission;
use crate::server::blocking;
use crate::server::{ApiError, AppState, Caller};
use crate::text::clip;
use crate::warehouse::drill_log::{self as store, DrillLog};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

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
        let timeline = drill::timeline(&drill, &world).map_err(ApiError::internal)?;
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
        let state = RunState::start(&line).ok_or_else(|| ApiError::internal("start line"))?;
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

fn running(state: &RunState) -> ApiError {
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
    app.audit.append(event, wall_now()).map(|_| ()).map_err(ApiError::internal)
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

fn ended(state: &RunState) -> ApiError {
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
                        RunState::fold(&log, false).ok_or_else(|| ApiError::internal("drill log without start"))?;
                    Err(ended(&state))
                }
                None => Err(unknown_run(id)),
            }
        }
    }
}

pub(super) fn unknown_run(id: &str) -> ApiError {
    ApiError::NotFound(format!("no drill run {}: GET /api/v1/drills lists the runs", clip(id, 40)))
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
