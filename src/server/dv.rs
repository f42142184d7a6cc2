//! The DV service's API (advocate and admin): the overview of the synthetic survivors' assessments, and the
//! survivors created through the API (`survivors`), their stored assessments in the mobile client's shape
//! (`assessments`), the LAP and DASH screens (`screens`) and the crisis-alert queue (`alerts`).

pub mod alerts;
pub mod assessments;
pub mod screens;
pub mod survivors;

use super::release::audited;
use super::{ApiError, AppState, Caller, Shared, blocking};
use crate::dv::Level;
use axum::Json;
use axum::extract::{Extension, State};
use serde_json::{Value, json};
use std::sync::Arc;

/// The synthetic survivors' assessments, made once: people by level (exact, before the guard) and the rest of the
/// overview.
pub struct Overview {
    levels: Vec<(&'static str, u64)>,
    /// Survivors by level and by pattern, for the analyst (which guards them).
    counts: crate::analyst::DvCounts,
    body: Value,
}

/// `GET /api/v1/dv/overview`: the synthetic survivors assessed as of the observation date: counts by level
/// (through the k-guard) and the 100 highest scores by masked ID with their levels, for the advocate's queue.
/// The queue is person-level (the DV service's roles work case by case), and the levels of its survivors give the
/// top levels' counts, so noise on the counts would protect nothing: this view is exact under differential
/// privacy too, and audited as an aggregate release.
pub async fn overview(State(state): Shared, Extension(caller): Extension<Caller>) -> Result<Json<Value>, ApiError> {
    let overview = overview_of_state(&state).await?;
    audited(&state, &caller, "dv-overview", &format!("k={} asOf={}", state.guard.k(), overview.body["asOf"])).await?;
    let mut body = overview.body.clone();
    body["levels"] = json!(state.guard.counts(overview.levels.clone()));
    Ok(Json(body))
}

/// The synthetic survivors assessed as of the observation date, computed on first use: they and the date never
/// change while serving.
pub(super) async fn overview_of_state(state: &Arc<AppState>) -> Result<&Overview, ApiError> {
    state
        .dv_overview
        .get_or_try_init(|| async {
            let as_of =
                state.observation_date.ok_or_else(|| ApiError::internal("the warehouse has no observation date"))?;
            let cases = state.with_warehouse(|w| w.dv_cases(None)).await?;
            let k = state.guard.k();
            blocking(move || Ok(overview_of(cases, as_of, k))).await
        })
        .await
}

impl Overview {
    pub(super) fn as_of(&self) -> &Value {
        &self.body["asOf"]
    }

    /// The raw counts by level and by pattern, for the analyst (which guards them).
    pub(super) fn counts(&self) -> crate::analyst::DvCounts {
        self.counts.clone()
    }
}

fn overview_of(cases: Vec<crate::warehouse::DvCase>, as_of: chrono::NaiveDate, k: u64) -> Overview {
    use rayon::prelude::*;
    let mut assessed: Vec<(String, crate::dv::Assessment)> = cases
        .into_par_iter()
        .map(|(id, profile, incidents)| (id, crate::dv::assess(&profile, &incidents, as_of)))
        .collect();
    let levels =
        Level::ALL.iter().map(|l| (l.name(), assessed.iter().filter(|(_, a)| a.level == *l).count() as u64)).collect();
    let counts = crate::analyst::DvCounts::of(as_of.to_string(), assessed.iter().map(|(_, a)| a));
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
    Overview { levels, counts, body: json!({ "asOf": as_of, "k": k, "levels": null, "survivors": top }) }
}
