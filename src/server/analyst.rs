//! The offline analyst's routes: ask a question (`POST /api/v1/analyst/ask`), the onboarding suggestions, the
//! executive brief and an answer's chart. Any signed-in role may ask; each figure needs the permission the
//! semantic model names for it, so a role is refused (with what it may ask instead) rather than shown more than
//! its dashboard. Every executed plan is audited (who, when, the plan: never the question's text or a figure);
//! the executive views a plan reads are released as the dashboard's are (audited once a day; under differential
//! privacy the same noisy release, charged once).

use super::json::ApiJson;
use super::portfolio::{executive_params, release_threshold};
use super::release::{audited, release};
use super::{ApiError, AppState, Caller, Shared, blocking, svg};
use crate::analyst::{self, Context, DvCounts, Plan, ScenarioRun};
use crate::analytics::{Executive, Filter};
use crate::privacy::audit::Event;
use crate::privacy::roles::Permission;
use crate::warehouse::chaos_runs::ChaosRuns;
use axum::Json;
use axum::extract::{Extension, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// `POST /api/v1/analyst/ask`'s body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AskBody {
    question: Value,
    #[serde(default)]
    previous_plan: Option<Value>,
}

/// What a plan runs on besides the executive views: shared by the two passes under differential privacy.
struct Parts {
    portfolio: Arc<crate::analytics::Portfolio>,
    guard: crate::privacy::KGuard,
    role: crate::privacy::roles::Role,
    scenarios: Vec<ScenarioRun>,
    dv: Option<DvCounts>,
}

impl Parts {
    fn context<'a>(&'a self, executive: &'a analyst::Views<'a>, noisy: bool) -> Context<'a> {
        Context {
            portfolio: &self.portfolio,
            guard: self.guard,
            role: self.role,
            executive,
            scenarios: &self.scenarios,
            dv: self.dv.as_ref(),
            noisy,
        }
    }
}

/// What the executive views of one plan were: (threshold, filter) in the order first read.
type Reads = Arc<Mutex<Vec<(f64, Filter)>>>;

/// Stored chaos runs, newest first, as the analyst reads them (runs whose document does not read are left out).
async fn scenario_runs(state: &Arc<AppState>) -> Result<Vec<ScenarioRun>, ApiError> {
    let data_dir = state.data_dir.clone();
    blocking(move || ChaosRuns::with(&data_dir, |store| store.scenario_runs()).map_err(ApiError::internal)).await
}

/// The DV assessments' counts, for a caller with the DV service.
async fn dv_counts(state: &Arc<AppState>, caller: &Caller) -> Result<Option<DvCounts>, ApiError> {
    if !caller.role.may(Permission::DvService) {
        return Ok(None);
    }
    let overview = super::dv::overview_of_state(state).await?;
    audited(state, caller, "dv-overview", &format!("k={} asOf={}", state.guard.k(), overview.as_of())).await?;
    Ok(Some(overview.counts()))
}

/// What a plan needs beyond the portfolio.
fn needs(plan: Option<&Plan>) -> (bool, bool) {
    let model = analyst::Semantic::embedded();
    let Some(plan) = plan else { return (false, false) };
    let dv = plan.metrics.iter().filter_map(|m| model.metric(m)).any(|m| m.population == "dv")
        || plan.intent == analyst::Intent::Summary;
    (plan.intent == analyst::Intent::CompareScenario, dv)
}

/// Runs `work` on the analyst's context for `caller`: exact views (recorded, then audited as releases), or under
/// differential privacy a first pass that only learns which views the plan reads, their releases (charged), and
/// the work again on the noisy views.
async fn with_context<T, F>(
    state: &Arc<AppState>,
    caller: &Caller,
    scenarios: Vec<ScenarioRun>,
    dv: Option<DvCounts>,
    work: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: Fn(&Context<'_>) -> Result<T, ApiError> + Send + Sync + 'static,
{
    let parts = Arc::new(Parts { portfolio: state.portfolio()?, guard: state.guard, role: caller.role, scenarios, dv });
    let work = Arc::new(work);
    let reads: Reads = Arc::default();
    let first = {
        let (parts, reads, work) = (parts.clone(), reads.clone(), work.clone());
        let noisy = state.dp.get().is_some();
        blocking(move || {
            let executive = |t: f64, f: Filter| {
                if let Ok(mut r) = reads.lock()
                    && !r.contains(&(t, f))
                {
                    r.push((t, f));
                }
                parts.portfolio.executive(t, f, &parts.guard)
            };
            work(&parts.context(&executive, noisy))
        })
        .await
    };
    let reads: Vec<(f64, Filter)> = reads.lock().map(|r| r.clone()).unwrap_or_default();
    let Some(policy) = state.dp.get().copied() else {
        let answer = first?;
        for (t, f) in reads {
            audited(state, caller, "executive", &executive_params(&parts.portfolio, &parts.guard, t, f)).await?;
        }
        return Ok(answer);
    };
    // Under differential privacy the first pass's answer is discarded: only the views it read matter.
    drop(first);
    let mut noisy: HashMap<(u64, Filter), Arc<Executive>> = HashMap::new();
    for (t, f) in reads {
        let rounded = release_threshold(t);
        let r =
            release(state, policy, caller, "executive", executive_params(&parts.portfolio, &parts.guard, rounded, f))
                .await?;
        let parts = parts.clone();
        let view =
            blocking(move || Ok(parts.portfolio.executive_dp(rounded, f, &parts.guard, r.seed, r.epsilon)?)).await?;
        noisy.insert((t.to_bits(), f), view);
    }
    blocking(move || {
        let executive = |t: f64, f: Filter| {
            noisy.get(&(t.to_bits(), f)).cloned().ok_or(crate::analytics::Error::OutOfRange {
                parameter: "view",
                detail: "a view the plan did not read before".into(),
            })
        };
        work(&parts.context(&executive, true))
    })
    .await
}

async fn audit_plan(
    state: &Arc<AppState>,
    caller: &Caller,
    plan: Option<&Plan>,
    outcome: &str,
) -> Result<(), ApiError> {
    let event = Event {
        actor: caller.name.clone(),
        action: "analyst.ask".into(),
        subject: outcome.into(),
        reason: plan.map_or_else(|| "no plan".to_owned(), Plan::canonical),
    };
    let audit = state.audit.clone();
    let stamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    blocking(move || audit.append(event, stamp).map(|_| ()).map_err(ApiError::internal)).await
}

/// `POST /api/v1/analyst/ask` `{question, previousPlan?}`
pub async fn ask(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<AskBody>,
) -> Result<Json<Value>, ApiError> {
    let question = match &body.question {
        Value::String(q) => q.clone(),
        _ => return Err(ApiError::Unprocessable("question: must be text (a JSON string)".into())),
    };
    analyst::check_question(&question).map_err(ApiError::Unprocessable)?;
    let model = analyst::Semantic::embedded();
    let previous = body
        .previous_plan
        .as_ref()
        .filter(|p| !p.is_null())
        .map(|p| Plan::from_json(p, model))
        .transpose()
        .map_err(ApiError::Unprocessable)?;
    let portfolio = state.portfolio()?;
    let parsed = analyst::parse(&question, previous.as_ref(), &analyst::Calendar { months: portfolio.months() });
    let plan = match &parsed.outcome {
        analyst::Outcome::Answer(plan) => Some(plan.clone()),
        _ => None,
    };
    let (wants_runs, wants_dv) = needs(plan.as_ref());
    let scenarios = if wants_runs { scenario_runs(&state).await? } else { Vec::new() };
    let dv = if wants_dv { dv_counts(&state, &caller).await? } else { None };
    let answer =
        with_context(&state, &caller, scenarios, dv, move |ctx| Ok(analyst::respond(&question, parsed.clone(), ctx)?))
            .await?;
    let mut answer = answer;
    if let (Some(llm), "answer") = (state.llm.get(), answer.outcome) {
        // The model sees the templated text and its figures, never the question.
        let reply =
            llm.complete(analyst::reword::SYSTEM, &analyst::reword::prompt(&answer), analyst::reword::TIMEOUT).await;
        analyst::apply_rewording(&mut answer, reply);
    }
    audit_plan(&state, &caller, answer.plan.as_ref(), answer.outcome).await?;
    Ok(Json(serde_json::to_value(&answer).map_err(ApiError::internal)?))
}

/// `GET /api/v1/analyst/suggestions`: verified questions the caller's role may ask, the onboarding ones first.
pub async fn suggestions(Extension(caller): Extension<Caller>) -> Json<Value> {
    let mut list: Vec<&analyst::Verified> = analyst::verified().iter().filter(|v| v.allowed(caller.role)).collect();
    list.sort_by_key(|v| !v.onboarding);
    let items: Vec<Value> = list
        .iter()
        .map(|v| json!({ "question": v.question, "topic": v.topic, "onboarding": v.onboarding, "plan": v.plan }))
        .collect();
    Json(json!({ "suggestions": items }))
}

/// `GET /api/v1/analyst/brief[?format=html]`: the executive brief, as JSON or a printable page.
pub async fn brief(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse, ApiError> {
    let html = match query.get("format").map(String::as_str) {
        None | Some("json") => false,
        Some("html") => true,
        Some(other) => {
            return Err(ApiError::Unprocessable(format!(
                "format: `{}` is not json or html",
                crate::text::clip(other, 20)
            )));
        }
    };
    if let Some(unknown) = query.keys().find(|k| *k != "format") {
        return Err(ApiError::Unprocessable(format!(
            "{}: unknown parameter; this route takes format",
            crate::text::clip(unknown, 40)
        )));
    }
    let aggregates = caller.role.may(Permission::Aggregates);
    let scenarios = if aggregates { scenario_runs(&state).await? } else { Vec::new() };
    let dv = dv_counts(&state, &caller).await?;
    if !aggregates && dv.is_none() {
        return Err(ApiError::Forbidden { role: caller.role, permission: Permission::Aggregates });
    }
    let as_of = state.observation_date.map(|d| d.to_string()).unwrap_or_default();
    let brief = with_context(&state, &caller, scenarios, dv, move |ctx| Ok(analyst::brief(ctx, &as_of)?)).await?;
    audit_plan(&state, &caller, None, "brief").await?;
    Ok(if html {
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], crate::charts::analyst::brief_html(&brief))
            .into_response()
    } else {
        Json(serde_json::to_value(&brief).map_err(ApiError::internal)?).into_response()
    })
}

/// `GET /api/v1/analyst/chart.svg?plan=PLAN`: the chart of a plan's answer (the URL an answer's `chartUrl` gives).
pub async fn chart(
    State(state): Shared,
    Extension(caller): Extension<Caller>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse, ApiError> {
    let text =
        query.get("plan").ok_or_else(|| ApiError::Unprocessable("plan: missing; use an answer's chartUrl".into()))?;
    let value: Value =
        serde_json::from_str(text).map_err(|e| ApiError::Unprocessable(format!("plan: not JSON ({e})")))?;
    let plan = Plan::from_json(&value, analyst::Semantic::embedded())
        .map_err(|e| ApiError::Unprocessable(e.replacen("previousPlan", "plan", 1)))?;
    // A chart shows the figures of its plan: the role needs their permissions, as it would to ask.
    if let Some(&permission) = plan.permissions(analyst::Semantic::embedded()).iter().find(|p| !caller.role.may(**p)) {
        return Err(ApiError::Forbidden { role: caller.role, permission });
    }
    let (wants_runs, wants_dv) = needs(Some(&plan));
    let scenarios = if wants_runs { scenario_runs(&state).await? } else { Vec::new() };
    let dv = if wants_dv { dv_counts(&state, &caller).await? } else { None };
    let audited_plan = plan.clone();
    let answer =
        with_context(&state, &caller, scenarios, dv, move |ctx| Ok(analyst::run("", plan.clone(), ctx)?)).await?;
    audit_plan(&state, &caller, Some(&audited_plan), "chart").await?;
    let chart = answer.chart.ok_or_else(|| {
        ApiError::NotFound(
            answer.refusal.map_or_else(|| "this answer has no chart".to_owned(), |r| format!("no chart: {}", r.why)),
        )
    })?;
    Ok(svg(crate::charts::analyst::answer_chart(&chart)))
}
