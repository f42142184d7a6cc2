//! The chaos API (trainer and admin): run a scenario on the dashboard's population, list and read stored runs,
//! and chart a run's months. Runs are stored in `chaos.duckdb`, opened for each request and closed after, so
//! the CLI's `chaos` commands work while the server runs (between requests).

use super::blocking;
use super::json::{ApiJson, ApiPath};
use super::{ApiError, AppState, Shared, svg};
use crate::chaos::{self, Scenario};
use crate::text::clip;
use crate::warehouse::chaos_runs::ChaosRuns;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunRequest {
    /// A preset name.
    scenario: String,
    /// linear | v | u | w, overriding the scenario's.
    #[serde(default)]
    shape: Option<String>,
}

fn scenario(request: &RunRequest) -> Result<Scenario, ApiError> {
    let presets: Vec<&str> = chaos::PRESETS.iter().map(|(n, _)| *n).collect();
    let mut scenario = chaos::preset(&request.scenario)
        .ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "scenario: unknown scenario `{}`; presets: {}",
                clip(&request.scenario, 40),
                presets.join(", ")
            ))
        })?
        .map_err(ApiError::internal)?;
    if let Some(shape) = &request.shape {
        scenario.shape = chaos::shape(shape).ok_or_else(|| {
            ApiError::Unprocessable(format!("shape: unknown shape `{}`; shapes: linear, v, u, w", clip(shape, 20)))
        })?;
    }
    Ok(scenario)
}

/// `GET /api/v1/chaos/scenarios`: the presets.
pub async fn scenarios() -> Result<Json<Value>, ApiError> {
    let list = chaos::PRESETS
        .iter()
        .filter_map(|(name, _)| chaos::preset(name)?.ok())
        .map(|s| json!({ "name": s.name, "description": s.description, "source": s.source, "horizonMonths": s.horizon_months, "shape": s.shape }))
        .collect::<Vec<_>>();
    Ok(Json(json!({ "scenarios": list, "shapes": ["linear", "v", "u", "w"] })))
}

/// `POST /api/v1/chaos/runs` with `{ "scenario": "recession", "shape"?: "u" }`: runs on a copy of the dashboard's
/// population, stores the run, and returns it.
pub async fn create(
    State(state): Shared,
    ApiJson(request): ApiJson<RunRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let scenario = scenario(&request)?;
    let portfolio = state.portfolio()?;
    let survivors = state.with_warehouse(|w| w.dv_input()).await?;
    let (guard, data_dir) = (state.guard, state.data_dir.clone());
    let document = blocking(move || {
        let started = std::time::Instant::now();
        let result = chaos::run(&scenario, portfolio.artifact(), portfolio.population(), Some(&survivors), &guard)
            .map_err(ApiError::internal)?;
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let seconds = started.elapsed().as_secs_f64();
        let (_, document) =
            ChaosRuns::with(&data_dir, |store| Ok::<_, ApiError>(store.store(&result, &at, 0.0, seconds)?))?;
        Ok(document)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(document)))
}

async fn with_store<T: Send + 'static>(
    state: &Arc<AppState>,
    work: impl FnOnce(&ChaosRuns) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let data_dir = state.data_dir.clone();
    blocking(move || ChaosRuns::with(&data_dir, work)).await
}

/// `GET /api/v1/chaos/runs`: stored runs, newest first.
pub async fn list(State(state): Shared) -> Result<Json<Value>, ApiError> {
    let runs = with_store(&state, |store| Ok(store.list()?)).await?;
    Ok(Json(json!({ "runs": runs })))
}

fn unknown_run(id: &str) -> ApiError {
    ApiError::NotFound(format!("no run {}", clip(id, 40)))
}

async fn document(state: &Arc<AppState>, id: String) -> Result<Value, ApiError> {
    let text = with_store(state, move |store| store.get(&id)?.ok_or_else(|| unknown_run(&id))).await?;
    serde_json::from_str(&text).map_err(ApiError::internal)
}

/// `GET /api/v1/chaos/runs/{runId}`
pub async fn get(State(state): Shared, ApiPath(id): ApiPath<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(document(&state, id).await?))
}

/// `GET /api/v1/charts/chaos/{runId}.svg`: the run's high-risk count per month against the baseline.
pub async fn chart(State(state): Shared, ApiPath(file): ApiPath<String>) -> Result<impl IntoResponse, ApiError> {
    let id = file.strip_suffix(".svg").ok_or_else(|| unknown_run(&file))?.to_owned();
    let run = document(&state, id).await?;
    Ok(svg(crate::charts::chaos::scenario_months(&run)?))
}
