//! The warehouse summary: what `safehaven info` reports, and the people per region through the k-anonymity guard
//! (released with noise under differential privacy).

use super::release::{audited, release};
use super::{ApiError, AppState, Caller, Shared, svg};
use crate::charts;
use crate::privacy::Guarded;
use crate::privacy::dp::{self, Histogram};
use crate::warehouse::Info;
use axum::Json;
use axum::extract::{Extension, State};
use axum::response::IntoResponse;
use serde::Serialize;
use std::sync::Arc;

/// The same content as `safehaven info --json`.
pub async fn info(State(state): Shared) -> Result<Json<Info>, ApiError> {
    Ok(Json(state.info().await?))
}

/// People per region after the guard, and under differential privacy what the noise was.
#[derive(Serialize)]
pub struct Population {
    #[serde(flatten)]
    guarded: Guarded<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dp: Option<Histogram>,
}

/// People per region released to `caller`: exact through the guard (audited), or noisy (each person is in one
/// region: sensitivity 1, the release's whole ε) and then through the guard. The chart is the same release.
async fn population(state: &Arc<AppState>, caller: &Caller) -> Result<Population, ApiError> {
    let params = format!("k={}", state.guard.k());
    let Some(policy) = state.dp.get().copied() else {
        audited(state, caller, "population", &params).await?;
        let counts = state.with_warehouse(|w| w.population_by_region()).await?;
        return Ok(Population { guarded: state.guard.counts(counts), dp: None });
    };
    let release = release(state, policy, caller, "population", params).await?;
    let counts = state.with_warehouse(|w| w.population_by_region()).await?;
    let (noisy, histogram) = dp::histogram(&mut release.noise(), counts, release.epsilon);
    Ok(Population { guarded: state.guard.counts(noisy), dp: Some(histogram) })
}

/// `GET /api/v1/population/regions`
pub async fn population_by_region(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(population(&state, &caller).await?))
}

/// `GET /api/v1/charts/population-by-region.svg`
pub async fn population_chart(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
) -> Result<impl IntoResponse, ApiError> {
    let population = population(&state, &caller).await?;
    Ok(svg(charts::population_by_region(&population.guarded)?))
}
