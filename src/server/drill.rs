//! Live drills. One drill runs at a time per data dir, in the serving process: a clock thread releases its
//! events when their drill time comes, every participant's dashboard follows over server-sent events, and
//! trainees' actions are checked, audited (drill time and wall time) and logged. Everything that happens is a
//! line of the run's drill log, fsynced before anyone is told; the debrief is computed from that log alone.
//!
//! The CLI (`safehaven drill start|pause|resume|stop`) reaches the running server through the data dir's
//! inbox ([`watch_inbox`]), never the network.

use super::blocking;
use super::json::{ApiJson, ApiPath};
use super::{ApiError, AppState, Caller, Shared};
use crate::chaos::drill::{self, Action, ActionKind, Drill, Line, RunState};
use crate::text::clip;
use crate::warehouse::drill_log as store;
use axum::Json;
use axum::extract::{Extension, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::broadcast;

mod control;
mod inbox;
mod live;

pub use inbox::watch_inbox;
pub use live::{Drills, Message};

use control::{act, control, start, unknown_run};
use live::redact;

/// `GET /api/v1/drills`: the preset drills, the runs in this data dir, and the live one.
pub async fn list(State(state): Shared) -> Result<Json<Value>, ApiError> {
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
        .ok_or_else(|| format!("drill: unknown drill `{}`; presets: {}", clip(name, 40), presets.join(", ")))?
        .map_err(|e| e.to_string())?;
    if let Some(speed) = days_per_minute {
        drill.days_per_minute = drill::check_speed(speed).map_err(|why| format!("daysPerMinute: {why}"))?;
    }
    Ok(drill)
}

/// `POST /api/v1/drills` with `{ "drill": "winter_surge", "daysPerMinute"?: 2 }` (trainer): starts a drill.
pub async fn create(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiJson(request): ApiJson<StartRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let drill = preset_with_speed(&request.drill, request.days_per_minute).map_err(ApiError::Unprocessable)?;
    let snapshot = start(&state, drill, caller.role.name()).await?;
    Ok((StatusCode::CREATED, Json(snapshot)))
}

/// `GET /api/v1/drills/live`: the live (or last) run's state and clock; `state` is null when none ran yet.
pub async fn live(State(state): Shared, Extension(caller): Extension<Caller>) -> Result<Json<Value>, ApiError> {
    let mut snapshot =
        state.drills.lock()?.as_ref().map_or_else(|| json!({ "state": null }), |l| l.snapshot(Instant::now()));
    redact(&mut snapshot, caller.role);
    Ok(Json(snapshot))
}

/// `GET /api/v1/drills/live/events`: server-sent events. First a `snapshot` (the `live` document), then every
/// log line as it is written (`start`, `event`, `action`, `pause`, `resume`, `stop`, `finish`), in log order,
/// each with the log's sequence number as its SSE id.
pub async fn events(State(state): Shared, Extension(caller): Extension<Caller>) -> Result<impl IntoResponse, ApiError> {
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
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let live = state.drills.lock()?.as_ref().filter(|l| l.state.run_id == id).map(|run| run.snapshot(Instant::now()));
    let mut document = match live {
        Some(snapshot) => snapshot,
        None => {
            let log = read_log(&state, id).await?;
            let folded = RunState::fold(&log, false).ok_or_else(|| ApiError::internal("drill log without start"))?;
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
    State(state): Shared,
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
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    control_route(state, caller, id, "pause").await
}

/// `POST /api/v1/drills/{runId}/resume`
pub async fn resume(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    control_route(state, caller, id, "resume").await
}

/// `POST /api/v1/drills/{runId}/stop`
pub async fn stop(
    State(state): Shared,
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
pub async fn report_json(State(state): Shared, ApiPath(id): ApiPath<String>) -> Result<Json<Value>, ApiError> {
    let report = debrief(&state, id).await?;
    Ok(Json(serde_json::to_value(report).map_err(ApiError::internal)?))
}

/// `GET /api/v1/drills/{runId}/report.html`: the debrief as a self-contained page.
pub async fn report_html(State(state): Shared, ApiPath(id): ApiPath<String>) -> Result<impl IntoResponse, ApiError> {
    let report = debrief(&state, id).await?;
    let html = crate::charts::drill::report_html(&report)?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html))
}
