//! The crisis-alert review queue: a critical assessment, a screened-in LAP or a DASH referral opens an alert (one
//! open alert per survivor and reason); people acknowledge and close it with a note. Nothing is decided automatically, and every act is written to the audit log.

use crate::privacy::audit::Event;
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
pub const STATUSES: [&str; 3] = ["open", "acknowledged", "closed"];

pub fn alert_id(number: i64) -> String {
    format!("AL-{number:07}")
}

fn parse_alert_id(id: &str) -> Option<i64> {
    id.strip_prefix("AL-").and_then(|n| n.parse().ok()).filter(|n| *n > 0)
}

fn render(alert: &Alert) -> Value {
    json!({
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
            "unknown query parameter `{key}`; use status=open|acknowledged|closed"
        )));
    }
    let status = query.get("status").cloned();
    if let Some(s) = &status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(ApiError::Unprocessable(format!("status must be one of open, acknowledged, closed; got `{s}`")));
    }
    let alerts = state.with_service(move |service| service.alerts(status.as_deref())).await?;
    Ok(Json(json!({ "alerts": alerts.iter().map(render).collect::<Vec<_>>() })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActRequest {
    #[serde(default)]
    note: Option<String>,
}

/// Moves an alert to `to`, recording who, when and the note, and audits the act.
async fn act(
    state: Arc<AppState>,
    caller: Caller,
    id: String,
    to: &'static str,
    note: Option<String>,
) -> Result<Json<Value>, ApiError> {
    let number = parse_alert_id(&id).ok_or_else(|| ApiError::NotFound(format!("no alert {}", clip(&id, 40))))?;
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if to == "closed" && note.is_none() {
        return Err(ApiError::Unprocessable("note is required to close an alert: say what was done".into()));
    }
    let audit = state.audit.clone();
    let alert = state
        .with_service_result(move |service| {
            let alert =
                service.alert(number)?.ok_or_else(|| ApiError::NotFound(format!("no alert {}", alert_id(number))))?;
            let allowed = match to {
                "acknowledged" => alert.status == "open",
                _ => alert.status != "closed",
            };
            if !allowed {
                return Err(ApiError::Conflict(format!(
                    "alert {} is {}; it cannot be {to}",
                    alert_id(number),
                    alert.status
                )));
            }
            let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            // The act is recorded in the audit log first: if that fails, nothing changes.
            let event = Event {
                actor: caller.name.clone(),
                action: format!("alert.{}", if to == "acknowledged" { "acknowledge" } else { "close" }),
                subject: alert_id(number),
                reason: note.clone().unwrap_or_default(),
            };
            audit.append(event, at.clone()).map_err(ApiError::internal)?;
            service.update_alert(number, to, &at, &caller.name, note.as_deref())?;
            service.alert(number)?.ok_or_else(|| ApiError::internal("alert vanished"))
        })
        .await?;
    Ok(Json(render(&alert)))
}

pub async fn acknowledge(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<ActRequest>,
) -> Result<Json<Value>, ApiError> {
    act(state, caller, id, "acknowledged", request.note).await
}

pub async fn close(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<ActRequest>,
) -> Result<Json<Value>, ApiError> {
    act(state, caller, id, "closed", request.note).await
}
