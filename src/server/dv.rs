//! The DV service's API (advocate and admin): the overview of the synthetic survivors' assessments, and the
//! survivors created through the API (`survivors`), their stored assessments in the mobile client's shape
//! (`assessments`), the LAP and DASH screens (`screens`) and the crisis-alert queue (`alerts`).

pub mod alerts;
pub mod assessments;
pub mod screens;
pub mod survivors;

use super::{ApiError, Shared, blocking};
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

/// `GET /api/v1/dv/overview`: the synthetic survivors assessed as of the observation date: counts by level
/// (through the k-guard) and the 100 highest scores by masked ID, for the advocate's queue.
pub async fn overview(State(state): Shared) -> Result<Json<Value>, ApiError> {
    // The synthetic survivors and the observation date never change while serving: assess them once.
    let overview = state
        .dv_overview
        .get_or_try_init(|| async {
            let as_of =
                state.observation_date.ok_or_else(|| ApiError::internal("the warehouse has no observation date"))?;
            let cases = state.with_warehouse(|w| w.dv_cases(None)).await?;
            let guard = state.guard;
            blocking(move || Ok(overview_of(cases, as_of, &guard))).await
        })
        .await?;
    Ok(Json(overview.clone()))
}

fn overview_of(
    cases: Vec<crate::warehouse::DvCase>,
    as_of: chrono::NaiveDate,
    guard: &crate::privacy::KGuard,
) -> Value {
    use rayon::prelude::*;
    let mut assessed: Vec<(String, crate::dv::Assessment)> = cases
        .into_par_iter()
        .map(|(id, profile, incidents)| (id, crate::dv::assess(&profile, &incidents, as_of)))
        .collect();
    let levels: Vec<crate::dv::Level> = assessed.iter().map(|(_, a)| a.level).collect();
    let counts = crate::chaos::dv::levels(&levels, guard);
    assessed.sort_by(|a, b| b.1.scores.overall.total_cmp(&a.1.scores.overall).then(a.0.cmp(&b.0)));
    let top: Vec<Value> = assessed
        .iter()
        .take(100)
        .map(|(id, a)| {
            json!({
                "maskedId": id,
                "riskLevel": a.level.name(),
                "overallScore": a.scores.overall,
                "patterns": a.patterns.len(),
                "incidents": a.statistics.total_incidents,
                "daysSinceLast": a.statistics.days_since_last_incident,
            })
        })
        .collect();
    json!({ "asOf": as_of, "k": guard.k(), "levels": counts, "survivors": top })
}
