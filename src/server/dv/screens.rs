//! `POST /api/v1/screens/lap` and `POST /api/v1/screens/dash`: the published screens. Without `userId` they only
//! compute; with it the outcome is stored against the survivor, and a screened-in LAP or a DASH referral opens
//! an alert.

use crate::dv::screens::{self, DashAnswer, DashContext, DashOutcome, LapAnswer, LapOutcome, ProfessionalJudgement};
use crate::privacy::audit::Event;
use crate::server::json::ApiJson;
use crate::server::{ApiError, AppState, Caller, Shared};
use crate::text::clip;
use crate::warehouse::service::AlertSource;
use axum::Json;
use axum::extract::{Extension, State};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LapRequest {
    /// Store the outcome against this survivor (and open an alert if screened in).
    #[serde(default)]
    user_id: Option<String>,
    answers: BTreeMap<String, LapAnswer>,
    #[serde(default)]
    practitioner_belief: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DashRequest {
    /// Store the outcome against this survivor (and open an alert on referral).
    #[serde(default)]
    user_id: Option<String>,
    answers: BTreeMap<String, DashAnswer>,
    #[serde(default)]
    professional_judgement: Option<ProfessionalJudgement>,
    incidents_last_12_months: u32,
    #[serde(default)]
    last_marac_referral: Option<NaiveDate>,
    #[serde(default)]
    new_incident_date: Option<NaiveDate>,
}

/// Answers `q1`…`qN`, each required; any other key is refused, naming it.
fn answers<A: Copy, const N: usize>(map: &BTreeMap<String, A>, allowed: &str) -> Result<[A; N], ApiError> {
    if let Some(extra) =
        map.keys().find(|k| k.strip_prefix('q').and_then(|n| n.parse::<usize>().ok()).is_none_or(|n| n == 0 || n > N))
    {
        let name: String = clip(extra, 40);
        return Err(ApiError::Unprocessable(format!("answers.{name} is not a question of this screen (q1–q{N})")));
    }
    let mut out = Vec::with_capacity(N);
    for q in 1..=N {
        let answer = map
            .get(&format!("q{q}"))
            .ok_or_else(|| ApiError::Unprocessable(format!("answers.q{q} is required ({allowed})")))?;
        out.push(*answer);
    }
    Ok(out.try_into().unwrap_or_else(|_| unreachable!("exactly N answers were pushed")))
}

/// Stores a screen's outcome against a survivor; when it calls for action, opens an alert (audited).
async fn store(
    state: &Arc<AppState>,
    caller: Caller,
    user: &str,
    kind: &'static str,
    outcome: Value,
    alert: Option<(&'static str, &'static str)>,
) -> Result<Value, ApiError> {
    let Some(((masked, _, _), source)) = super::survivors::find_case(state, user).await? else {
        return Err(ApiError::NotFound(format!("no survivor with userId {}", clip(user, 40))));
    };
    let region = match alert {
        Some(_) => super::survivors::survivor_region(state, &masked, source).await?,
        None => None,
    };
    let handoff = state.handoff();
    let woken = handoff.clone();
    let audit = state.audit.clone();
    let created_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let doc = state
        .with_service_result(move |service| {
            let mut doc = outcome;
            let number = service.store_screen(&masked, kind, &created_at, &doc.to_string())?;
            doc["screenId"] = json!(format!("SC-{number:07}"));
            doc["alertId"] = Value::Null;
            if let Some((reason, level)) = alert {
                let event = Event {
                    actor: caller.name.clone(),
                    action: "alert.open".into(),
                    subject: masked.clone(),
                    reason: format!("{reason} SC-{number:07}"),
                };
                audit.append(event, created_at.clone()).map_err(ApiError::internal)?;
                let alert_no = service.open_alert(&masked, AlertSource::Screen(number), reason, level, &created_at)?;
                let new =
                    crate::server::handoff::alert_signal(alert_no, &masked, level, Vec::new(), None, None, region);
                crate::server::handoff::open(&handoff, service, new, &created_at)?;
                doc["alertId"] = json!(super::alerts::alert_id(alert_no));
            }
            Ok(doc)
        })
        .await?;
    woken.wake.notify_one();
    Ok(doc)
}

pub async fn lap(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiJson(request): ApiJson<LapRequest>,
) -> Result<Json<Value>, ApiError> {
    let answers: [LapAnswer; 11] = answers(&request.answers, "yes, no or not_answered")?;
    let outcome: LapOutcome = screens::lap(&answers, request.practitioner_belief);
    let doc = json!(outcome);
    match request.user_id {
        Some(user) => {
            let alert = outcome.screened_in.then_some(("lap_screened_in", "critical"));
            Ok(Json(store(&state, caller, &user, "lap", doc, alert).await?))
        }
        None => Ok(Json(doc)),
    }
}

pub async fn dash(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiJson(request): ApiJson<DashRequest>,
) -> Result<Json<Value>, ApiError> {
    let answers: [DashAnswer; 24] = answers(&request.answers, "yes, no or dont_know")?;
    for (field, date) in
        [("lastMaracReferral", request.last_marac_referral), ("newIncidentDate", request.new_incident_date)]
    {
        if let Some(date) = date {
            super::survivors::check_date(field, date)?;
        }
    }
    let context = DashContext {
        professional_judgement: request.professional_judgement,
        incidents_last_12_months: request.incidents_last_12_months,
        last_marac_referral: request.last_marac_referral,
        new_incident_date: request.new_incident_date,
        escalation_threshold: screens::DEFAULT_ESCALATION_THRESHOLD,
    };
    let outcome: DashOutcome = screens::dash(&answers, &context).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let doc = json!(outcome);
    match request.user_id {
        Some(user) => {
            let alert = outcome.refer.then_some(("dash_referral", "high"));
            Ok(Json(store(&state, caller, &user, "dash", doc, alert).await?))
        }
        None => Ok(Json(doc)),
    }
}
