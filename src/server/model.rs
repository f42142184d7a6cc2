//! The model page: the model's report with the current population's drift, and its ROC, KS and calibration
//! charts.

use super::json::ApiPath;
use super::{ApiError, Shared, blocking, svg};
use crate::charts;
use crate::model;
use crate::text::clip;
use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::Value;

/// `GET /api/v1/model`: the model report, and the drift of the current population.
pub async fn model(State(state): Shared) -> Result<Json<Value>, ApiError> {
    let portfolio = state.portfolio()?;
    let report = blocking(move || {
        let report = portfolio.artifact().report(Some(portfolio.drift()));
        serde_json::to_value(report).map_err(ApiError::internal)
    })
    .await?;
    Ok(Json(report))
}

impl From<model::Error> for ApiError {
    fn from(e: model::Error) -> Self {
        ApiError::internal(e)
    }
}

/// The model page's charts: `/api/v1/charts/model/{roc|ks|calibration}.svg`.
pub async fn model_chart(State(state): Shared, ApiPath(name): ApiPath<String>) -> Result<impl IntoResponse, ApiError> {
    let portfolio = state.portfolio()?;
    let m = &portfolio.artifact().metrics;
    let body = match name.as_str() {
        "roc.svg" => charts::model::roc(&m.roc, m.auc)?,
        "ks.svg" => charts::model::ks(&m.roc, m.ks, m.ks_threshold)?,
        "calibration.svg" => charts::model::calibration(&m.calibration, m.ece)?,
        other => {
            return Err(ApiError::NotFound(format!("no chart named {}", clip(other, 40))));
        }
    };
    Ok(svg(body))
}
