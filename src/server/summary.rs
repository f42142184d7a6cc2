//! The warehouse summary: what `safehaven info` reports, and the people per region through the k-anonymity guard.

use super::{ApiError, Shared, svg};
use crate::charts;
use crate::warehouse::Info;
use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;

/// The same content as `safehaven info --json`.
pub async fn info(State(state): Shared) -> Result<Json<Info>, ApiError> {
    Ok(Json(state.info().await?))
}

/// People per region, through the k-anonymity guard.
pub async fn population_by_region(State(state): Shared) -> Result<impl IntoResponse, ApiError> {
    let counts = state.with_warehouse(|w| w.population_by_region()).await?;
    Ok(Json(state.guard.counts(counts)))
}

pub async fn population_chart(State(state): Shared) -> Result<impl IntoResponse, ApiError> {
    let counts = state.with_warehouse(|w| w.population_by_region()).await?;
    Ok(svg(charts::population_by_region(&state.guard.counts(counts))?))
}
