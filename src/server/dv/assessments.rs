//! The mobile client's assessment API, as in the source document:
//! `POST …/risk-assessment/create {userId, asOf?}` and `GET …/risk-assessment/{userId}` (the latest), under
//! `/api/v1/` and `/services/apexrest/safehaven/v1/`. Errors use the client's envelope
//! `{ "success": false, "errorMessage": … }`.

use super::survivors::Source;
use crate::dv::{self, guidance};
use crate::privacy::audit::Event;
use crate::server::handoff;
use crate::server::json::{ApiJson, ApiPath};
use crate::server::{ApiError, Caller, Shared};
use crate::text::clip;
use crate::warehouse::service::{AlertSource, StoredAssessment};
use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::{Extension, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRequest {
    user_id: String,
    #[serde(default)]
    as_of: Option<NaiveDate>,
}

fn unknown(user: &str) -> ApiError {
    let shown: String = clip(user, 40);
    ApiError::NotFound(format!("no survivor with userId {shown}"))
}

/// The document the client reads, in the source document's shape plus SafeHaven's additions.
fn document(number: i64, created_at: &str, a: &dv::Assessment) -> Value {
    let g = guidance::guidance(a, guidance::Locale::default());
    let recommendations: Vec<String> =
        g.recommendations.iter().enumerate().map(|(n, r)| format!("{}. {r}", n + 1)).collect();
    let resources: Vec<String> =
        g.crisis_resources.iter().map(|r| format!("{}: {} ({})", r.name, r.contact, r.hours)).collect();
    let evidence: Map<String, Value> =
        a.patterns.iter().map(|p| (p.pattern.name().to_owned(), json!(p.evidence))).collect();
    json!({
        "success": true,
        "assessmentId": format!("RA-{number:07}"),
        "riskLevel": a.level.name(),
        "overallScore": a.scores.overall.round() as i64,
        "lethalityScore": a.scores.lethality,
        "escalationScore": a.scores.escalation,
        "frequencyScore": a.scores.frequency,
        "summary": g.summary,
        "recommendations": recommendations.join("\n"),
        "crisisResources": resources.join("\n"),
        "detectedPatterns": a.patterns.iter().map(|p| p.pattern.name()).collect::<Vec<_>>(),
        "assessmentDate": created_at,
        "isolationScore": a.scores.isolation,
        "overallScoreExact": a.scores.overall,
        "confidenceScore": a.confidence,
        "lethalityIndicators": a.indicators,
        "patternEvidence": evidence,
        "statistics": a.statistics,
        "asOf": a.as_of,
        "tablesVersion": a.tables_version,
        "guidanceVersion": g.version,
    })
}

pub async fn create(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiJson(request): ApiJson<CreateRequest>,
) -> Result<Json<Value>, ApiError> {
    let user = request.user_id.trim().to_owned();
    let today = chrono::Utc::now().date_naive();
    if let Some(date) = request.as_of {
        super::survivors::check_date("asOf", date)?;
    }
    // A survivor created through the API (by the masked form of its userId), else a synthetic survivor named
    // by its masked ID.
    let Some(((masked, profile, incidents), source)) = super::survivors::find_case(&state, &user).await? else {
        return Err(unknown(&user));
    };
    // API survivors are assessed as of today, synthetic ones as of the warehouse's observation date.
    let as_of = match source {
        Source::Api => request.as_of.unwrap_or(today),
        Source::Synthetic => request.as_of.or(state.observation_date).unwrap_or(today),
    };
    let assessment = dv::assess(&profile, &incidents, as_of);
    let region = if assessment.level == dv::Level::Critical {
        super::survivors::survivor_region(&state, &masked, source).await?
    } else {
        None
    };
    let rules = state.handoff();
    let woken = rules.clone();
    let created_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let audit = state.audit.clone();
    let doc = state
        .with_service_result(move |service| {
            let number = service.next_assessment_no()?;
            let mut doc = document(number, &created_at, &assessment);
            // A critical assessment opens an alert for a person to review; nothing else follows automatically.
            let unresolved = service.unresolved_alert(&masked, "critical_assessment")?;
            let alert = if let (dv::Level::Critical, Some(existing)) = (assessment.level, unresolved) {
                // One open alert per survivor and reason: a repeated critical assessment joins it.
                Some(super::alerts::alert_id(existing))
            } else if assessment.level == dv::Level::Critical {
                let event = Event {
                    actor: caller.name.clone(),
                    action: "alert.open".into(),
                    subject: masked.clone(),
                    reason: format!("critical assessment RA-{number:07}"),
                };
                audit.append(event, created_at.clone()).map_err(ApiError::internal)?;
                let alert_no = service.open_alert(
                    &masked,
                    AlertSource::Assessment(number),
                    "critical_assessment",
                    "critical",
                    &created_at,
                )?;
                // Its hand-off signal, in the same transaction: what the assessment found, and how the score moved
                // since the survivor's previous one.
                let previous = service
                    .latest_assessment(&masked)?
                    .and_then(|(_, doc)| serde_json::from_str::<Value>(&doc).ok())
                    .and_then(|doc| doc["overallScoreExact"].as_f64());
                let overall = assessment.scores.overall;
                let patterns = assessment.patterns.iter().map(|p| p.pattern.name().to_owned()).collect();
                let new = handoff::alert_signal(
                    alert_no,
                    &masked,
                    "critical",
                    patterns,
                    Some(overall),
                    previous.map(|p| overall - p),
                    region.clone(),
                );
                handoff::open(&rules, service, new, &created_at)?;
                Some(super::alerts::alert_id(alert_no))
            } else {
                None
            };
            doc["alertId"] = json!(alert);
            // The latest LAP and DASH stored against this survivor, shown beside the score.
            let screens: Vec<Value> = service
                .latest_screens(&masked)?
                .into_iter()
                .map(|(kind, number, document)| {
                    let mut screen: Value = serde_json::from_str(&document).unwrap_or(Value::Null);
                    screen["kind"] = json!(kind);
                    screen["screenId"] = json!(format!("SC-{number:07}"));
                    screen
                })
                .collect();
            doc["screens"] = json!(screens);
            service.store_assessment(&StoredAssessment {
                number,
                masked_id: &masked,
                as_of: &assessment.as_of.to_string(),
                created_at: &created_at,
                level: assessment.level.name(),
                overall: assessment.scores.overall,
                document: &doc.to_string(),
            })?;
            Ok(doc)
        })
        .await?;
    woken.wake.notify_one();
    Ok(Json(doc))
}

pub async fn latest(State(state): Shared, ApiPath(user): ApiPath<String>) -> Result<Response, ApiError> {
    let external = super::survivors::masked_user(&state, &user)?;
    let synthetic = user.parse::<crate::privacy::masked::MaskedId>().ok().map(|m| m.to_string());
    let stored = state
        .with_service(move |service| {
            let found = service.latest_assessment(&external)?;
            match (found, synthetic) {
                (None, Some(id)) => service.latest_assessment(&id),
                (found, _) => Ok(found),
            }
        })
        .await?;
    match stored {
        Some((_, document)) => Ok(([(header::CONTENT_TYPE, "application/json")], document).into_response()),
        None => Err(ApiError::NotFound(format!(
            "no assessment yet for userId {}: create one with POST …/risk-assessment/create",
            clip(&user, 40)
        ))),
    }
}

/// Rewrites SafeHaven's error envelope into the mobile client's: `{ "success": false, "errorMessage": … }`.
pub async fn mobile_envelope(response: Response) -> Response {
    if response.status().is_success() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, 1 << 20).await.unwrap_or_default();
    let message = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
    let body = json!({ "success": false, "errorMessage": message }).to_string();
    let mut response = Response::from_parts(parts, Body::from(body));
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response
}
