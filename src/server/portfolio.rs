//! The portfolio views: executive KPIs and charts, the case list and case page with what-if and review flags, and
//! their CSV and Parquet exports. Each reads the in-memory [`Portfolio`], loaded once in the background when the
//! server starts.

use super::json::{ApiJson, ApiPath};
use super::release::{audited, release};
use super::{ApiError, AppState, Caller, Shared, blocking, svg};
use crate::analytics::{self, Indicator, Portfolio};
use crate::charts;
use crate::model::{self, whatif::Shock};
use crate::privacy::audit::Event;
use crate::server::handoff;
use crate::text::clip;
use crate::warehouse;
use axum::Json;
use axum::extract::{Extension, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

impl From<analytics::Error> for ApiError {
    fn from(e: analytics::Error) -> Self {
        match e {
            // A shock out of range is the client's mistake; any other model error is ours.
            analytics::Error::Model(e @ model::Error::Shock { .. }) => ApiError::Unprocessable(e.to_string()),
            analytics::Error::Model(e) => ApiError::internal(e),
            other => ApiError::Unprocessable(other.to_string()),
        }
    }
}

/// Query parameters, checked by name: an unknown parameter or a malformed value is a 422 naming it.
struct Params(HashMap<String, String>);

impl Params {
    fn new(query: HashMap<String, String>, allowed: &[&str]) -> Result<Params, ApiError> {
        if let Some(unknown) = query.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::Unprocessable(format!(
                "{}: unknown parameter; this route takes {}",
                clip(unknown, 40),
                allowed.join(", ")
            )));
        }
        Ok(Params(query))
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    fn parse<T: std::str::FromStr>(&self, name: &str, what: &str) -> Result<Option<T>, ApiError> {
        self.text(name)
            .map(|v| {
                v.parse::<T>().map_err(|_| ApiError::Unprocessable(format!("{name}: `{}` is not {what}", clip(v, 40))))
            })
            .transpose()
    }

    /// The threshold asked for (the model's by default), checked before anything is computed or released.
    fn threshold(&self, portfolio: &Portfolio) -> Result<f64, ApiError> {
        let threshold =
            self.parse::<f64>("threshold", "a number between 0 and 1")?.unwrap_or(portfolio.artifact().threshold);
        analytics::check_threshold(threshold)?;
        Ok(threshold)
    }

    fn filter(&self, portfolio: &Portfolio) -> Result<analytics::Filter, ApiError> {
        Ok(portfolio.filter(self.text("region"), self.text("creditGroup"), self.text("ageBand"))?)
    }
}

/// The executive view the query asks for (threshold and filters, checked), released to `caller` (audited; noisy
/// and charged under differential privacy), computed on a blocking thread and handed to `then`. Its charts and
/// exports are the same release: they cost nothing more. Under differential privacy the threshold is rounded to
/// the hundredth (the dashboard's step), so thresholds that differ by nothing a person could mean are one release.
async fn with_executive<T, F>(
    state: &Arc<AppState>,
    caller: &Caller,
    query: HashMap<String, String>,
    then: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&analytics::Executive) -> Result<T, ApiError> + Send + 'static,
{
    let params = Params::new(query, &["threshold", "region", "creditGroup", "ageBand"])?;
    let portfolio = state.portfolio()?;
    let (threshold, filter) = (params.threshold(&portfolio)?, params.filter(&portfolio)?);
    let guard = state.guard;
    let described = |t: f64| executive_params(&portfolio, &guard, t, filter);
    let Some(policy) = state.dp.get().copied() else {
        // The exact view is computed while its release is audited, and handed out only once the entry is written.
        let params = described(threshold);
        let compute = blocking(move || then(portfolio.executive(threshold, filter, &guard)?.as_ref()));
        let (answer, audit) = tokio::join!(compute, audited(state, caller, "executive", &params));
        audit?;
        return answer;
    };
    let threshold = release_threshold(threshold);
    let release = release(state, policy, caller, "executive", described(threshold)).await?;
    blocking(move || then(portfolio.executive_dp(threshold, filter, &guard, release.seed, release.epsilon)?.as_ref()))
        .await
}

/// The threshold a noisy executive release is made at: rounded to the hundredth (the dashboard's step), so
/// thresholds that differ by nothing a person could mean are one release; `+ 0.0` makes −0 the same as 0.
pub(super) fn release_threshold(threshold: f64) -> f64 {
    (threshold * 100.0).round() / 100.0 + 0.0
}

/// What identifies an executive release: the model, k, threshold and filter (the analyst's reads of a view are
/// the same release as the dashboard's).
pub(super) fn executive_params(
    portfolio: &Portfolio,
    guard: &crate::privacy::KGuard,
    threshold: f64,
    filter: analytics::Filter,
) -> String {
    format!("{} k={} t={} {filter:?}", portfolio.artifact().version, guard.k(), threshold.to_bits())
}

/// `GET /api/v1/executive?threshold=T[&region=..&creditGroup=..&ageBand=..]`
pub async fn executive(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse, ApiError> {
    let body =
        with_executive(&state, &caller, query, |view| serde_json::to_vec(view).map_err(ApiError::internal)).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body))
}

/// `GET /api/v1/cases?limit=N[&offset=..&region=..&creditGroup=..&ageBand=..&indicator=..&threshold=..]`
pub async fn cases(
    State(state): Shared,
    Query(query): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse, ApiError> {
    let params =
        Params::new(query, &["limit", "offset", "threshold", "region", "creditGroup", "ageBand", "indicator"])?;
    let portfolio = state.portfolio()?;
    let (threshold, filter) = (params.threshold(&portfolio)?, params.filter(&portfolio)?);
    let indicator = params.text("indicator").map(Indicator::parse).transpose()?;
    let limit = params.parse::<u64>("limit", "a whole number")?.unwrap_or(25);
    let offset = params.parse::<u64>("offset", "a whole number")?.unwrap_or(0);
    let guard = state.guard;
    let page = blocking(move || {
        Ok(portfolio.cases(analytics::CaseQuery { filter, indicator, threshold, offset, limit }, &guard)?)
    })
    .await?;
    Ok(Json(page))
}

fn unknown_case(masked_id: &str) -> ApiError {
    ApiError::NotFound(format!("no case with masked ID {}", clip(masked_id, 20)))
}

/// `GET /api/v1/cases/{maskedId}`: the case page with its review flags.
pub async fn case(
    State(state): Shared,
    ApiPath(masked_id): ApiPath<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse, ApiError> {
    let params = Params::new(query, &["threshold"])?;
    let portfolio = state.portfolio()?;
    let threshold = params.threshold(&portfolio)?;
    let id = masked_id.clone();
    let detail = blocking(move || portfolio.case(&id, threshold)?.ok_or_else(|| unknown_case(&id))).await?;
    let id = masked_id.clone();
    let signal_id = handoff::case_signal(&masked_id)?;
    let (flags, signal) =
        state.with_service(move |service| Ok((service.case_flags(&id)?, service.signal(&signal_id)?))).await?;
    let mut body = serde_json::to_value(detail).map_err(ApiError::internal)?;
    body["flags"] = serde_json::to_value(flags).map_err(ApiError::internal)?;
    body["signal"] = signal.map_or(Value::Null, |s| handoff::render(&state.handoff(), &s, chrono::Utc::now()));
    Ok(Json(body))
}

/// `POST /api/v1/cases/{maskedId}/what-if` with `{ "medicalCostPct": 30, "incomePct": -10, "unemployed": true }`.
pub async fn what_if(
    State(state): Shared,
    ApiPath(masked_id): ApiPath<String>,
    ApiJson(shock): ApiJson<Shock>,
) -> Result<impl IntoResponse, ApiError> {
    let portfolio = state.portfolio()?;
    let impact =
        blocking(move || portfolio.what_if(&masked_id, &shock)?.ok_or_else(|| unknown_case(&masked_id))).await?;
    Ok(Json(impact))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagRequest {
    reason: String,
}

/// `POST /api/v1/cases/{maskedId}/flag` with `{ "reason": "…" }`: audited, stored with the case.
pub async fn flag(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiPath(masked_id): ApiPath<String>,
    ApiJson(request): ApiJson<FlagRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let reason = request.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::Unprocessable("reason: say why, in 1–500 characters".into()));
    }
    let portfolio = state.portfolio()?;
    let Some(facts) = portfolio.signal_facts(&masked_id) else {
        return Err(unknown_case(&masked_id));
    };
    let threshold = portfolio.artifact().threshold;
    let new = handoff::NewSignal {
        id: handoff::case_signal(&masked_id)?,
        masked_id: masked_id.clone(),
        level: Some(if facts.probability >= threshold { "high" } else { "moderate" }.to_owned()),
        patterns: Vec::new(),
        score: Some(facts.probability),
        score_change: facts.earlier.map(|e| facts.probability - e),
        region: Some(facts.region.to_owned()),
        version: portfolio.artifact().version.clone(),
    };
    let rules = state.handoff();
    let woken = rules.clone();
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let event = Event {
        actor: caller.name.clone(),
        action: "case.flag".into(),
        subject: masked_id.clone(),
        reason: reason.clone(),
    };
    let (audit, actor, id) = (state.audit.clone(), caller.name.clone(), masked_id.clone());
    let number = state
        .with_service_result(move |service| {
            // The act is recorded in the audit log first: if that fails, nothing is stored.
            audit.append(event, at.clone()).map_err(ApiError::internal)?;
            let number = service.flag_case(&id, &actor, &reason, &at)?;
            // The case's hand-off signal opens with its first flag (or a flag after it was closed); the flag's
            // reason stays here.
            let signal = handoff::open(&rules, service, new, &at)?.is_some();
            Ok((number, signal))
        })
        .await?;
    woken.wake.notify_one();
    let signal_id = handoff::case_signal(&masked_id)?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(json!({ "flagNo": number.0, "maskedId": masked_id, "signalId": signal_id, "signalOpened": number.1 })),
    ))
}

/// The executive view's charts.
const EXECUTIVE_CHARTS: [&str; 3] = ["exposure-map.svg", "credit-groups.svg", "trends.svg"];

/// The executive charts: `/api/v1/charts/{exposure-map|credit-groups|trends}.svg` with the executive view's
/// parameters.
pub async fn executive_chart(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiPath(name): ApiPath<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse, ApiError> {
    // Checked before the view is released: a wrong name costs no budget.
    if !EXECUTIVE_CHARTS.contains(&name.as_str()) {
        return Err(ApiError::NotFound(format!(
            "no chart named {}: use one of {}",
            clip(&name, 40),
            EXECUTIVE_CHARTS.join(", ")
        )));
    }
    let body = with_executive(&state, &caller, query, move |view| {
        Ok(match name.as_str() {
            "exposure-map.svg" => charts::portfolio::exposure_map(
                &view.regions,
                view.k,
                view.dp.as_ref().map(|dp| dp.regions.medical_exposure),
            )?,
            "credit-groups.svg" => charts::portfolio::credit_bubbles(&view.credit_groups, view.k)?,
            "trends.svg" => charts::portfolio::trends(&view.trends)?,
            other => return Err(ApiError::internal(format!("chart {other} is listed but not drawn"))),
        })
    })
    .await?;
    Ok(svg(body))
}

/// What tables download as.
const EXPORT_FORMATS: [&str; 2] = ["csv", "parquet"];

/// A table view as a CSV or Parquet download.
fn download(view: analytics::TableView, format: &str) -> Result<axum::response::Response, ApiError> {
    let (body, content_type) = match format {
        "csv" => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            let internal = |e: csv::Error| ApiError::internal(e);
            writer.write_record(&view.columns).map_err(internal)?;
            for row in &view.rows {
                let cells = row.iter().map(|cell| match cell {
                    analytics::Cell::Text(t) => t.clone(),
                    analytics::Cell::Number(Some(v)) => v.to_string(),
                    analytics::Cell::Number(None) => String::new(),
                });
                writer.write_record(cells).map_err(internal)?;
            }
            (writer.into_inner().map_err(|e| ApiError::internal(e.to_string()))?, "text/csv; charset=utf-8")
        }
        "parquet" => (warehouse::table_parquet(&view)?, "application/vnd.apache.parquet"),
        other => {
            return Err(ApiError::NotFound(format!("no export format {}: use csv or parquet", clip(other, 20))));
        }
    };
    let disposition = format!("attachment; filename=\"{}.{format}\"", view.name);
    Ok(([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response())
}

/// `GET /api/v1/export/executive/{table}.{csv|parquet}` with the executive view's parameters; `table` is one of
/// regions, credit-groups, trends. Every figure is the guarded one the view shows.
pub async fn export_executive(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiPath(file): ApiPath<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<axum::response::Response, ApiError> {
    let (name, format) = file.rsplit_once('.').unwrap_or((&file, ""));
    // Checked before the view is released: a wrong name or format costs no budget.
    if !analytics::EXECUTIVE_TABLES.contains(&name) {
        return Err(ApiError::NotFound(format!(
            "no table {}: export one of {}",
            clip(name, 40),
            analytics::EXECUTIVE_TABLES.join(", ")
        )));
    }
    if !EXPORT_FORMATS.contains(&format) {
        return Err(ApiError::NotFound(format!("no export format {}: use csv or parquet", clip(format, 20))));
    }
    let (name, format) = (name.to_owned(), format.to_owned());
    with_executive(&state, &caller, query, move |view| download(view.table(&name).expect("a listed table"), &format))
        .await
}

/// `GET /api/v1/export/cases/{csv|parquet}` with the case list's parameters (one page, up to 200 cases).
pub async fn export_cases(
    State(state): Shared,
    ApiPath(format): ApiPath<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<axum::response::Response, ApiError> {
    let params =
        Params::new(query, &["limit", "offset", "threshold", "region", "creditGroup", "ageBand", "indicator"])?;
    let portfolio = state.portfolio()?;
    let (threshold, filter) = (params.threshold(&portfolio)?, params.filter(&portfolio)?);
    let indicator = params.text("indicator").map(Indicator::parse).transpose()?;
    let limit = params.parse::<u64>("limit", "a whole number")?.unwrap_or(analytics::MAX_PAGE);
    let offset = params.parse::<u64>("offset", "a whole number")?.unwrap_or(0);
    let guard = state.guard;
    blocking(move || {
        download(
            portfolio.cases(analytics::CaseQuery { filter, indicator, threshold, offset, limit }, &guard)?.table(),
            &format,
        )
    })
    .await
}
