//! The crisis-alert review queue: a critical assessment, a screened-in LAP or a DASH referral opens an alert (one
//! open alert per survivor and reason); people acknowledge it (becoming its owner), hand it off to the CRM, and
//! close it with a reason and a note. Nothing is decided automatically; every act is written to the audit log, and
//! to the hand-off outbox in the same transaction (the note stays here: it is never sent).

use crate::handoff::signal::SignalId;
use crate::handoff::workflow::Act;
use crate::privacy::audit::Event;
use crate::server::handoff;
use crate::server::json::{ApiJson, ApiPath};
use crate::server::{ApiError, AppState, Caller, Shared};
use crate::text::clip;
use crate::warehouse::service::Alert;
use axum::Json;
use axum::extract::{Extension, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// The statuses an alert can be in, in the order it moves through them.
pub const STATUSES: [&str; 4] = ["open", "acknowledged", "handed_off", "closed"];

pub use crate::handoff::signal::{alert_id, parse_alert_id};

fn render(alert: &Alert, signal: Option<Value>) -> Value {
    json!({
        "signal": signal,
        "alertId": alert_id(alert.number),
        "survivorId": alert.masked_id,
        "assessmentId": alert.assessment_no.map(|n| format!("RA-{n:07}")),
        "screenId": alert.screen_no.map(|n| format!("SC-{n:07}")),
        "reason": alert.reason,
        "riskLevel": alert.level,
        "status": alert.status,
        "openedAt": alert.opened_at,
        "updatedAt": alert.updated_at,
        "updatedBy": alert.updated_by,
        "note": alert.note,
    })
}

pub async fn list(State(state): Shared, Query(query): Query<HashMap<String, String>>) -> Result<Json<Value>, ApiError> {
    if let Some(key) = query.keys().find(|k| k.as_str() != "status") {
        return Err(ApiError::Unprocessable(format!(
            "unknown query parameter `{key}`; use status=open|acknowledged|handed_off|closed"
        )));
    }
    let status = query.get("status").cloned();
    if let Some(s) = &status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(ApiError::Unprocessable(format!(
            "status must be one of open, acknowledged, handed_off, closed; got `{}`",
            clip(s, 20)
        )));
    }
    let (alerts, signals) = state
        .with_service(move |service| {
            let alerts = service.alerts(status.as_deref())?;
            let signals = alerts
                .iter()
                .map(|a| service.signal(&SignalId::alert(a.number)))
                .collect::<crate::warehouse::Result<Vec<_>>>()?;
            Ok((alerts, signals))
        })
        .await?;
    let handoff = state.handoff();
    let now = chrono::Utc::now();
    let rendered: Vec<Value> =
        alerts.iter().zip(signals).map(|(a, s)| render(a, s.map(|s| handoff::render(&handoff, &s, now)))).collect();
    Ok(Json(json!({ "alerts": rendered })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActRequest {
    #[serde(default)]
    note: Option<String>,
    /// To close: actioned, referred, no_action, duplicate or not_applicable.
    #[serde(default)]
    reason: Option<String>,
}

/// Moves an alert to `to`, recording who, when and the note, and audits the act.
async fn act(
    state: Arc<AppState>,
    caller: Caller,
    id: String,
    to: &'static str,
    note: Option<String>,
    reason: Option<String>,
) -> Result<Json<Value>, ApiError> {
    let number = parse_alert_id(&id).ok_or_else(|| ApiError::NotFound(format!("no alert {}", clip(&id, 40))))?;
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let reason = if to == "closed" {
        if note.is_none() {
            return Err(ApiError::Unprocessable("note is required to close an alert: say what was done".into()));
        }
        Some(handoff::closing_reason(reason.as_deref())?)
    } else if reason.is_some() {
        return Err(ApiError::Unprocessable("reason is for closing; an acknowledgement takes only a note".into()));
    } else {
        None
    };
    let audit = state.audit.clone();
    let h = state.handoff();
    let handoff = h.clone();
    let (alert, signal) = state
        .with_service_result(move |service| {
            let alert =
                service.alert(number)?.ok_or_else(|| ApiError::NotFound(format!("no alert {}", alert_id(number))))?;
            // The workflow decides whether the act is possible, before anything is recorded.
            let id = handoff::alert_signal_of(&h, service, &alert)?;
            let act = if to == "acknowledged" { Act::Acknowledge } else { Act::Close };
            handoff::possible(service, &id, act, None)?;
            let at = handoff::now();
            // The act is recorded in the audit log first: if that fails, nothing changes.
            let event = Event {
                actor: caller.name.clone(),
                action: format!("alert.{}", if to == "acknowledged" { "acknowledge" } else { "close" }),
                subject: alert_id(number),
                reason: note.clone().unwrap_or_default(),
            };
            audit.append(event, at.clone()).map_err(ApiError::internal)?;
            let m = handoff::Move {
                act,
                actor: &caller.name,
                at: &at,
                reason,
                crm_id: None,
                escalation: None,
                note: note.as_deref(),
            };
            let signal = handoff::transition(service, &id, m)?;
            let alert = service.alert(number)?.ok_or_else(|| ApiError::internal("alert vanished"))?;
            Ok((alert, signal))
        })
        .await?;
    handoff.wake.notify_one();
    Ok(Json(render(&alert, Some(handoff::render(&handoff, &signal, chrono::Utc::now())))))
}

pub async fn acknowledge(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<ActRequest>,
) -> Result<Json<Value>, ApiError> {
    act(state, caller, id, "acknowledged", request.note, request.reason).await
}

pub async fn close(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<ActRequest>,
) -> Result<Json<Value>, ApiError> {
    act(state, caller, id, "closed", request.note, request.reason).await
}
