//! JSON and chart handlers.

use super::{ApiError, AppState, Caller};
use crate::charts;
use crate::warehouse::Info;
use axum::Json;
use axum::extract::{Extension, State};
use axum::http::{Uri, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use std::sync::Arc;

type Shared = State<Arc<AppState>>;

/// Who the token belongs to, and what they may do (the dashboard builds its navigation from this).
pub async fn me(Extension(caller): Extension<Caller>) -> Json<Value> {
    let permissions: Vec<_> = caller.role.permissions().to_vec();
    Json(json!({ "name": caller.name, "role": caller.role, "permissions": permissions }))
}

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

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
    let svg = charts::population_by_region(&state.guard.counts(counts))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], svg))
}

pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {}", uri.path()))
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
