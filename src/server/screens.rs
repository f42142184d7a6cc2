//! `POST /api/v1/screens/lap` and `POST /api/v1/screens/dash`: the published screens, stateless.

use super::ApiError;
use super::json::ApiJson;
use crate::dv::screens::{self, DashAnswer, DashContext, DashOutcome, LapAnswer, LapOutcome, ProfessionalJudgement};
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LapRequest {
    answers: BTreeMap<String, LapAnswer>,
    #[serde(default)]
    practitioner_belief: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DashRequest {
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
        let name: String = extra.chars().take(40).collect();
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

pub async fn lap(ApiJson(request): ApiJson<LapRequest>) -> Result<Json<LapOutcome>, ApiError> {
    let answers: [LapAnswer; 11] = answers(&request.answers, "yes, no or not_answered")?;
    Ok(Json(screens::lap(&answers, request.practitioner_belief)))
}

pub async fn dash(ApiJson(request): ApiJson<DashRequest>) -> Result<Json<DashOutcome>, ApiError> {
    let answers: [DashAnswer; 24] = answers(&request.answers, "yes, no or dont_know")?;
    let context = DashContext {
        professional_judgement: request.professional_judgement,
        incidents_last_12_months: request.incidents_last_12_months,
        last_marac_referral: request.last_marac_referral,
        new_incident_date: request.new_incident_date,
        escalation_threshold: screens::DEFAULT_ESCALATION_THRESHOLD,
    };
    screens::dash(&answers, &context).map(Json).map_err(|e| ApiError::Unprocessable(e.to_string()))
}
