//! The offline analyst end to end: the verified questions parse to their plans and give the dashboard API's
//! figures; typos, follow-ups, clarifications and refusals; hostile input changes nothing and never reaches SQL;
//! no shown count is below k on random plans; the SQL an answer shows gives its numbers on DuckDB, and every
//! fragment of the semantic model runs there; the brief, the chart, the CLI and the audit log.

use crate::support::http::{call_json, call_raw, get, post};
use crate::support::{assert_exit, safehaven, seed_into, shared_data_dir, shared_portfolio, stderr, stdout};
use axum::http::{Method, StatusCode};
use safehaven::analyst::{self, Context, Intent, Plan, Semantic};
use safehaven::analytics::{Filter, Portfolio};
use safehaven::privacy::KGuard;
use safehaven::privacy::roles::Role;
use safehaven::warehouse::{self, Warehouse};
use serde_json::{Value, json};
use std::sync::OnceLock;
use tempfile::TempDir;

/// A small warehouse trained and scored once (its `model.scores` is what the answers' SQL reads).
fn scored() -> &'static (TempDir, Portfolio) {
    static SCORED: OnceLock<(TempDir, Portfolio)> = OnceLock::new();
    SCORED.get_or_init(|| {
        std::thread::spawn(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            seed_into(dir.path(), 4_000, 7, 2);
            let d = dir.path().to_str().unwrap();
            assert_exit(&safehaven(&["train", "--data-dir", d]), 0);
            assert_exit(&safehaven(&["score", "--data-dir", d]), 0);
            let artifact = safehaven::commands::load_model(&dir.path().join("model.json")).unwrap();
            let portfolio = open(dir.path()).portfolio(artifact).unwrap();
            (dir, portfolio)
        })
        .join()
        .expect("scored warehouse")
    })
}

fn open(dir: &std::path::Path) -> Warehouse {
    Warehouse::open_read_only(&warehouse::path_in(dir)).unwrap()
}

/// Answers `plan` on `portfolio` with exact views, as an administrator.
fn answer(portfolio: &Portfolio, guard: KGuard, question: &str, plan: Plan) -> analyst::Answer {
    let executive = |t: f64, f: Filter| portfolio.executive(t, f, &guard);
    let ctx =
        Context { portfolio, guard, role: Role::Admin, executive: &executive, scenarios: &[], dv: None, noisy: false };
    analyst::run(question, plan, &ctx).unwrap()
}

fn plan_of(question: &str, months: &[String]) -> analyst::Parsed {
    analyst::parse(question, None, &analyst::Calendar { months })
}

#[test]
fn every_verified_question_and_paraphrase_parses_to_its_plan() {
    let portfolio = shared_portfolio();
    let list = analyst::verified();
    assert!(list.len() >= 60, "{} verified questions", list.len());
    let mut failures = Vec::new();
    let mut asked = 0;
    for v in list {
        v.plan.check(Semantic::embedded()).unwrap_or_else(|e| panic!("{}: {e:?}", v.question));
        for q in std::iter::once(&v.question).chain(&v.paraphrases) {
            asked += 1;
            match plan_of(q, portfolio.months()).outcome {
                analyst::Outcome::Answer(p) if p == v.plan => {}
                other => failures.push(format!("{q}: {other:?}\n  expected {}", v.plan.canonical())),
            }
        }
    }
    println!("verified set: {} of {asked} questions and paraphrases parse to their plans", asked - failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let onboarding = list.iter().filter(|v| v.onboarding).count();
    assert!((8..=20).contains(&onboarding), "{onboarding} onboarding questions");
}

/// The executive route's parameters for a plan's filters.
fn query(plan: &Plan) -> String {
    let mut q = Vec::new();
    for (d, k) in [("region", "region"), ("credit_group", "creditGroup"), ("age_band", "ageBand")] {
        if let Some(v) = plan.filters.get(d) {
            q.push(format!("{k}={}", v.replace('+', "%2B")));
        }
    }
    if let Some(t) = plan.threshold {
        q.push(format!("threshold={t}"));
    }
    q.join("&")
}

fn kpi_key(metric: &str) -> Option<&'static str> {
    Some(match metric {
        "people" => "people",
        "high_risk_count" => "highRiskCount",
        "high_risk_share" => "highRiskShare",
        "expected_distress" => "expectedDistress",
        "mean_probability" => "meanProbability",
        "medical_exposure" => "medicalExposure",
        _ => return None,
    })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[tokio::test]
async fn verified_figures_equal_the_dashboard_api() {
    let mut checked = 0;
    for v in analyst::verified() {
        let plan = &v.plan;
        let headline = matches!(plan.intent, Intent::Value | Intent::ComparePeriods) && plan.segments.is_empty();
        let Some(key) = plan.metrics.first().and_then(|m| kpi_key(m)).filter(|_| headline) else { continue };
        let (status, answer) = post(Role::Admin, "/api/v1/analyst/ask", json!({ "question": v.question })).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["outcome"], "answer", "{}: {answer}", v.question);
        let (status, view) = get(Role::Admin, &format!("/api/v1/executive?{}", query(plan))).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        let kpi = &view["kpis"][key];
        let months = match plan.time {
            Some(analyst::Time::MonthsAgo(n)) => n,
            _ => 0,
        };
        let expected = match (months, kpi["value"].as_f64()) {
            (0, v) => v,
            (3, Some(v)) => kpi["change3m"].as_f64().map(|c| v - c),
            (12, Some(v)) => kpi["change12m"].as_f64().map(|c| v - c),
            _ => None,
        };
        let group = if plan.intent == Intent::ComparePeriods { Some("now") } else { None };
        let figure = answer["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["metric"] == plan.metrics[0].as_str() && f["group"].as_str() == group)
            .unwrap_or_else(|| panic!("{}: no figure in {answer}", v.question));
        match (figure["value"].as_f64(), expected) {
            (Some(a), Some(b)) => assert!(close(a, b), "{}: analyst {a}, dashboard {b}", v.question),
            (None, None) => {}
            (a, b) => panic!("{}: analyst {a:?}, dashboard {b:?}", v.question),
        }
        checked += 1;
    }
    // Breakdowns by region: each region's high-risk share against the executive view's.
    let (_, answer) =
        post(Role::Admin, "/api/v1/analyst/ask", json!({ "question": "high-risk share by region" })).await;
    let (_, view) = get(Role::Admin, "/api/v1/executive").await;
    for region in view["regions"].as_array().unwrap() {
        let name = region["stats"]["name"].as_str();
        let Some(name) = name else { continue };
        let figure =
            answer["figures"].as_array().unwrap().iter().find(|f| f["group"] == name).expect("every shown region");
        assert_eq!(figure["value"], region["stats"]["highRiskShare"], "{name}");
        checked += 1;
    }
    assert!(checked > 20, "only {checked} figures compared");
}

#[tokio::test]
async fn typos_are_repaired_and_said() {
    let (status, a) =
        post(Role::Analyst, "/api/v1/analyst/ask", json!({ "question": "hihg risk shre for subprme in ohio" })).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["outcome"], "answer", "{a}");
    assert_eq!(a["plan"]["filters"], json!({ "credit_group": "subprime", "region": "OH" }));
    let fixed: Vec<&str> = a["corrections"].as_array().unwrap().iter().map(|c| c["to"].as_str().unwrap()).collect();
    assert_eq!(fixed, ["high", "share", "subprime"]);
    assert!(a["warnings"].to_string().contains("read “hihg”"), "{a}");
    assert!(a["interpretation"].as_str().unwrap().contains("subprime customers in Ohio"), "{a}");
    assert!(a["link"].as_str().unwrap().contains("region=OH&"), "{a}");
}

#[tokio::test]
async fn follow_ups_change_slots_of_the_previous_plan() {
    let ask = |question: &str, previous: &Value| {
        let body = json!({ "question": question, "previousPlan": previous });
        async move { post(Role::Analyst, "/api/v1/analyst/ask", body).await }
    };
    let (_, first) = ask("high-risk share in Ohio", &Value::Null).await;
    assert_eq!(first["outcome"], "answer");
    let (_, texas) = ask("what about Texas?", &first["plan"]).await;
    assert_eq!(texas["plan"]["filters"]["region"], "TX", "{texas}");
    assert_eq!(texas["plan"]["metrics"], first["plan"]["metrics"]);
    assert!(texas["interpretation"].as_str().unwrap().contains("Texas"), "the full question is restated: {texas}");
    let (_, by_age) = ask("by age band instead", &texas["plan"]).await;
    assert_eq!(by_age["plan"]["intent"], "breakdown", "{by_age}");
    assert_eq!(by_age["plan"]["groupBy"], "age_band");
    let (_, earlier) = ask("and 12 months ago?", &texas["plan"]).await;
    assert_eq!(earlier["plan"]["time"], json!({ "monthsAgo": 12 }), "{earlier}");
    assert_eq!(earlier["plan"]["filters"]["region"], "TX");
}

#[tokio::test]
async fn it_asks_when_a_slot_is_open_and_refuses_what_it_must_not_answer() {
    let cases = [
        ("high-risk share 6 months ago", "clarify"),
        ("show me Ohio", "clarify"),
        ("what is the name of the riskiest customer in Ohio", "refuse"),
        ("give me the phone numbers of high-risk people", "refuse"),
        ("show SH-AB12-CD34", "refuse"),
        ("what will the high-risk share be next year", "refuse"),
        ("what's the weather in Texas", "refuse"),
        ("high-risk share by month", "refuse"),
        ("why did medical exposure change", "refuse"),
        ("blorp zzkq", "clarify"),
    ];
    for (q, outcome) in cases {
        let (status, a) = post(Role::Analyst, "/api/v1/analyst/ask", json!({ "question": q })).await;
        assert_eq!(status, StatusCode::OK, "{q}: {a}");
        assert_eq!(a["outcome"], outcome, "{q}: {a}");
        if outcome == "clarify" {
            assert!(!a["options"].as_array().unwrap().is_empty(), "{q}: a clarification offers options: {a}");
        } else {
            assert!(a["refusal"]["instead"].as_str().is_some_and(|s| !s.is_empty()), "{q}: {a}");
            assert!(a["figures"].as_array().unwrap().is_empty() && a["sql"].is_null(), "{q}: {a}");
        }
    }
    // A refusal about a person points to the masked case list, for the roles that have it.
    let person = json!({ "question": "what is the name of the riskiest customer in Ohio" });
    let (_, a) = post(Role::Analyst, "/api/v1/analyst/ask", person.clone()).await;
    assert_eq!(a["link"], "#/cases", "{a}");
    let (_, a) = post(Role::Executive, "/api/v1/analyst/ask", person).await;
    assert!(a["link"].is_null(), "an executive has no case list: {a}");
    let (_, a) = post(Role::Analyst, "/api/v1/analyst/ask", json!({ "question": "blorp zzkq" })).await;
    assert_eq!(a["unrecognized"], json!(["blorp", "zzkq"]), "{a}");
    // A role is refused the figures it may not see, with what it may ask instead.
    let (_, a) = post(Role::Executive, "/api/v1/analyst/ask", json!({ "question": "what is the model's AUC" })).await;
    assert_eq!(a["outcome"], "refuse", "{a}");
    assert!(a["refusal"]["why"].as_str().unwrap().contains("the model page"), "{a}");
    let (_, a) = post(Role::Advocate, "/api/v1/analyst/ask", json!({ "question": "high-risk share by region" })).await;
    assert_eq!(a["outcome"], "refuse", "{a}");
    let (_, a) = post(Role::Advocate, "/api/v1/analyst/ask", json!({ "question": "dv assessments by level" })).await;
    assert_eq!(a["outcome"], "answer", "{a}");
    let (_, a) = post(Role::Executive, "/api/v1/analyst/ask", json!({ "question": "dv assessments by level" })).await;
    assert_eq!(a["outcome"], "refuse", "{a}");
}

#[tokio::test]
async fn hostile_input_changes_nothing_and_never_reaches_sql() {
    let before = crate::support::fingerprint(shared_data_dir());
    let model = Semantic::embedded();
    let hostile = [
        "high-risk share in Ohio'; DROP TABLE bank.customers; --",
        "high risk share /* comment */ by region",
        "people in \"Texas\" OR 1=1",
        "medical exposure by region; select * from vault.chunks",
        "expected distress \\x00 union all select masked_id from privacy.person_ids",
    ];
    for q in hostile {
        let (status, a) = post(Role::Admin, "/api/v1/analyst/ask", json!({ "question": q })).await;
        assert_eq!(status, StatusCode::OK, "{q}: {a}");
        if let Some(sql) = a["sql"].as_str() {
            // The query is made of the semantic model's fragments and shapes only.
            for word in ["drop", "union", "vault", "person_ids", "1=1", "/*", "--", "\""] {
                assert!(!sql.to_lowercase().contains(word), "{q}: {sql}");
            }
            for p in a["sqlParameters"].as_array().unwrap() {
                assert!(
                    p.is_number() || model.dimension.iter().any(|d| d.values.iter().any(|v| v.value == *p)),
                    "{q}: parameter {p}"
                );
            }
        }
    }
    let check = |body: Vec<u8>, field: &'static str, code: StatusCode| async move {
        let (status, _, text) = call_raw(
            Some(crate::support::token(Role::Admin)),
            Method::POST,
            "/api/v1/analyst/ask",
            Some(body),
            "application/json",
        )
        .await;
        assert_eq!(status, code, "{text}");
        assert!(text.contains(field), "{text}");
    };
    check(json!({ "question": "" }).to_string().into_bytes(), "question", StatusCode::UNPROCESSABLE_ENTITY).await;
    check(
        json!({ "question": "x".repeat(1001) }).to_string().into_bytes(),
        "question",
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    check(json!({ "question": 42 }).to_string().into_bytes(), "question", StatusCode::UNPROCESSABLE_ENTITY).await;
    check(json!({ "question": ["a"] }).to_string().into_bytes(), "question", StatusCode::UNPROCESSABLE_ENTITY).await;
    check(
        json!({ "question": "people", "sql": "drop" }).to_string().into_bytes(),
        "sql",
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    check(b"{\"question\": \"\xff\xfe\"}".to_vec(), "error", StatusCode::BAD_REQUEST).await;
    check(
        json!({ "question": "what about Texas", "previousPlan": { "intent": "value", "metrics": ["gdp"] } })
            .to_string()
            .into_bytes(),
        "previousPlan.metrics",
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    check(json!({ "question": "what about Texas", "previousPlan": { "intent": "value", "filters": { "region": "Atlantis" } } }).to_string().into_bytes(), "previousPlan.filters.region", StatusCode::UNPROCESSABLE_ENTITY).await;
    check(
        json!({ "question": "what about Texas", "previousPlan": "drop table" }).to_string().into_bytes(),
        "previousPlan",
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(crate::support::fingerprint(shared_data_dir()), before);
}

#[test]
fn no_shown_count_is_below_k_on_random_plans() {
    use rand::{RngExt, SeedableRng};
    let portfolio = shared_portfolio();
    let model = Semantic::embedded();
    let guard = KGuard::default();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(14);
    let metrics = [
        "people",
        "high_risk_count",
        "high_risk_share",
        "expected_distress",
        "medical_exposure",
        "missed_payments",
        "overdrafts",
        "claims",
    ];
    let intents = [
        Intent::Value,
        Intent::Breakdown,
        Intent::Rank,
        Intent::Share,
        Intent::CompareSegments,
        Intent::ComparePeriods,
        Intent::Trend,
    ];
    let counted = ["people", "high_risk_count", "missed_payments", "overdrafts", "claims"];
    let mut shown = 0;
    for _ in 0..300 {
        let mut plan = Plan::new(intents[rng.random_range(0..intents.len())]);
        plan.metrics = vec![metrics[rng.random_range(0..metrics.len())].to_owned()];
        for d in ["region", "credit_group", "age_band"] {
            if rng.random_bool(0.4) {
                let values = &model.dimension(d).unwrap().values;
                plan.filters.insert(d.into(), values[rng.random_range(0..values.len())].value.clone());
            }
        }
        match plan.intent {
            Intent::Breakdown | Intent::Rank => {
                let d = ["region", "credit_group", "age_band"][rng.random_range(0..3)];
                plan.filters.remove(d);
                plan.group_by = Some(d.into());
                plan.limit = Some(rng.random_range(1..10));
            }
            Intent::CompareSegments => {
                let values = &model.dimension("region").unwrap().values;
                plan.filters.remove("region");
                for _ in 0..2 {
                    plan.segments.push(analyst::Segment {
                        dimension: "region".into(),
                        value: values[rng.random_range(0..values.len())].value.clone(),
                    });
                }
            }
            Intent::ComparePeriods => plan.comparison = Some([3, 12][rng.random_range(0..2)]),
            Intent::Trend => plan.time = Some(analyst::Time::Window(rng.random_range(0..13))),
            _ => {}
        }
        plan.threshold = Some(rng.random_range(0.05..0.6));
        let a = answer(&portfolio, guard, "random", plan.clone());
        for f in &a.figures {
            if let (Some(v), true) = (f.value, counted.contains(&f.metric.as_str())) {
                shown += 1;
                assert!(v == 0.0 || v >= guard.k() as f64, "{}: {} {:?} = {v}", plan.canonical(), f.metric, f.group);
            }
        }
    }
    assert!(shown > 100, "only {shown} counts shown");
}

/// Plans whose SQL must give the answer's numbers on DuckDB.
fn sql_plans(portfolio: &Portfolio) -> Vec<Plan> {
    let months = portfolio.months();
    [
        "people",
        "high-risk share",
        "high-risk share at 35%",
        "high-risk people in California",
        "expected distress for subprime",
        "mean probability for prime customers aged 35 to 44",
        "medical exposure",
        "exposure per person in Texas",
        "high-risk share by region",
        "expected distress by credit group",
        "medical exposure by age band",
        "compare high-risk share in California and Texas",
        "what share of medical exposure is in California",
        "missed payments last month",
        "overdrafts in California",
        "claims over the last 6 months",
        "missed payments for subprime over time",
    ]
    .iter()
    .map(|q| match plan_of(q, months).outcome {
        analyst::Outcome::Answer(p) => p,
        other => panic!("{q}: {other:?}"),
    })
    .collect()
}

#[test]
fn the_sql_shown_gives_the_answers_numbers_on_duckdb() {
    let (dir, portfolio) = scored();
    let warehouse = open(dir.path());
    let guard = KGuard::default();
    let mut compared = 0;
    for plan in sql_plans(portfolio) {
        let a = answer(portfolio, guard, "check", plan.clone());
        let sql = a.sql.as_deref().unwrap_or_else(|| panic!("{}: no SQL", plan.canonical()));
        let rows = warehouse.analyst_query(sql, &a.sql_parameters).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let grouped = sql.contains("GROUP BY");
        for f in a
            .figures
            .iter()
            .filter(|f| f.value.is_some() && !f.metric.ends_with("_share") || f.metric == "high_risk_share")
        {
            let Some(v) = f.value else { continue };
            if f.metric.ends_with("_share") && f.metric != "high_risk_share" {
                continue;
            }
            let column = rows.first().map_or(0, |r| r.len() - 1);
            let label = |g: &str| {
                let model = Semantic::embedded();
                model
                    .dimension
                    .iter()
                    .flat_map(|d| d.values.iter())
                    .find(|v| v.label == g)
                    .map(|v| v.value.clone())
                    .unwrap_or(g.to_owned())
            };
            let expected = if grouped {
                match &f.group {
                    Some(g) => {
                        rows.iter().find(|r| r[0] == json!(label(g))).map(|r| r[column].as_f64().unwrap_or(f64::NAN))
                    }
                    // The whole (a share's denominator): the sum over groups of an additive figure.
                    None => Some(rows.iter().map(|r| r[column].as_f64().unwrap_or(0.0)).sum()),
                }
            } else {
                rows[0][column].as_f64()
            };
            let expected = expected.unwrap_or_else(|| panic!("{sql}: no row for {:?} in {rows:?}", f.group));
            assert!(
                close(v, expected),
                "{}: {} {:?}: answer {v}, SQL {expected}\n{sql}",
                plan.canonical(),
                f.metric,
                f.group
            );
            compared += 1;
        }
    }
    assert!(compared >= 40, "only {compared} figures compared");
}

#[test]
fn every_fragment_of_the_semantic_model_runs_on_duckdb() {
    let (dir, portfolio) = scored();
    let warehouse = open(dir.path());
    let model = Semantic::embedded();
    let threshold = portfolio.artifact().threshold;
    let mut explained = 0;
    for m in model.metric.iter().filter(|m| m.sql.is_some()) {
        let mut plan = Plan::new(Intent::Value);
        plan.metrics = vec![m.name.clone()];
        plan.filters.insert("region".into(), "CA".into());
        for group_by in [None, Some("credit_group")] {
            plan.group_by = group_by.map(str::to_owned);
            plan.intent = if group_by.is_some() { Intent::Breakdown } else { Intent::Value };
            let r = analyst::render(&plan, model, threshold).unwrap_or_else(|| panic!("{}: no SQL", m.name));
            warehouse
                .analyst_explain(&model.query.explain, &r.sql, &r.parameters)
                .unwrap_or_else(|e| panic!("{}: {e}\n{}", m.name, r.sql));
            explained += 1;
        }
    }
    assert!(explained >= 20);
}

/// Asks `question` of an application on `state` as a new analyst `user` whose users live in `dir`.
async fn ask_as(
    state: std::sync::Arc<safehaven::server::AppState>,
    dir: &std::path::Path,
    user: &str,
    question: &str,
) -> Value {
    let token = safehaven::privacy::roles::Users::new(dir).add(user, Role::Analyst, "test".into()).unwrap();
    let body = json!({ "question": question }).to_string().into_bytes();
    let app = safehaven::server::router(state);
    let (status, _, text) = crate::support::http::send(
        app,
        Some(&token),
        Method::POST,
        "/api/v1/analyst/ask",
        Some(body),
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn every_executed_plan_is_audited_without_the_question_or_figures() {
    let dir = tempfile::tempdir().unwrap();
    let state = crate::support::http::state_in(dir.path());
    let answer =
        ask_as(state, dir.path(), "auditor-test", "high-risk share by credit group, as my colleague asked yesterday")
            .await;
    let log = std::fs::read_to_string(dir.path().join("audit.log")).unwrap();
    let entry = log.lines().find(|l| l.contains("analyst.ask")).expect("the plan is audited");
    assert!(entry.contains("high_risk_share") && entry.contains("auditor-test"), "{entry}");
    assert!(!log.contains("yesterday") && !log.contains("colleague"), "the question's text is never logged: {log}");
    for figure in answer["figures"].as_array().unwrap().iter().filter_map(|f| f["value"].as_f64()) {
        assert!(!entry.contains(&figure.to_string()), "no figure in the audit entry: {entry}");
    }
    assert!(answer["unrecognized"].to_string().contains("yesterday"), "the unknown words are reported: {answer}");
    assert!(log.contains("aggregate.release"), "the executive view it read is released as the dashboard's: {log}");
}

#[tokio::test]
async fn scenario_questions_read_the_stored_runs() {
    let run = crate::support::shared_chaos_run().await;
    let (_, a) =
        post(Role::Trainer, "/api/v1/analyst/ask", json!({ "question": "high-risk people under the market boom" }))
            .await;
    assert_eq!(a["outcome"], "answer", "{a}");
    assert!(a["text"].as_str().unwrap().contains("against a baseline of"), "{a}");
    assert_eq!(a["link"], format!("#/scenarios?run={run}"));
    let groups: Vec<&str> = a["figures"].as_array().unwrap().iter().filter_map(|f| f["group"].as_str()).collect();
    assert!(groups.contains(&"baseline"), "{a}");
    let (_, a) = post(
        Role::Trainer,
        "/api/v1/analyst/ask",
        json!({ "question": "expected distress under a w-shaped health crisis" }),
    )
    .await;
    assert_eq!(a["outcome"], "refuse", "no such run stored: {a}");
    assert!(a["refusal"]["instead"].as_str().unwrap().contains("safehaven chaos run health_crisis --shape w"), "{a}");
}

#[tokio::test]
async fn suggestions_brief_and_chart() {
    let (status, s) = get(Role::Executive, "/api/v1/analyst/suggestions").await;
    assert_eq!(status, StatusCode::OK);
    let list = s["suggestions"].as_array().unwrap();
    assert!(
        list.iter().all(|q| !q["question"].as_str().unwrap().contains("AUC")),
        "an executive is not offered the model page's figures"
    );
    assert!(list[0]["onboarding"].as_bool().unwrap());
    let (status, brief) = get(Role::Executive, "/api/v1/analyst/brief").await;
    assert_eq!(status, StatusCode::OK, "{brief}");
    assert!(brief["lines"].as_array().unwrap().len() >= 4, "{brief}");
    assert!(brief["dvLevels"].is_null(), "an executive does not see the DV mix: {brief}");
    assert!(brief["lines"].as_array().unwrap().iter().all(|l| l["link"].as_str().unwrap().starts_with("#/")));
    let (_, brief) = get(Role::Admin, "/api/v1/analyst/brief").await;
    assert!(brief["dvLevels"].is_array(), "{brief}");
    // A mover the brief names is a change the analyst (and the executive view filtered to it) shows too.
    for mover in brief["movers"].as_array().unwrap() {
        let (dimension, key) = (mover["dimension"].as_str().unwrap(), mover["key"].as_str().unwrap());
        let param = if dimension == "region" { "region" } else { "creditGroup" };
        let (_, view) = get(Role::Admin, &format!("/api/v1/executive?{param}={key}")).await;
        let change = view["kpis"]["highRiskShare"]["change12m"].as_f64();
        assert!(change.is_some_and(|c| (c - mover["change"].as_f64().unwrap()).abs() < 1e-12), "{mover} vs {view}");
    }
    let (status, content_type, html) = crate::support::http::call_as(
        Some(crate::support::token(Role::Executive)),
        Method::GET,
        "/api/v1/analyst/brief?format=html",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html") && html.contains("<h1>") && !html.contains("<script"), "{html}");
    let (status, _) = get(Role::Executive, "/api/v1/analyst/brief?format=pdf").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, a) = post(Role::Analyst, "/api/v1/analyst/ask", json!({ "question": "high-risk share by region" })).await;
    let url = a["chartUrl"].as_str().unwrap();
    let (status, content_type, svg) =
        crate::support::http::call_as(Some(crate::support::token(Role::Analyst)), Method::GET, url).await;
    assert_eq!(status, StatusCode::OK, "{svg}");
    assert!(content_type.contains("svg") && svg.contains("<svg") && svg.contains("role=\"img\""));
    let (status, _, text) = call_json(
        Some(crate::support::token(Role::Analyst)),
        Method::GET,
        "/api/v1/analyst/chart.svg?plan=%7B%22intent%22%3A%22guess%22%7D",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(text.contains("plan.intent"), "{text}");
}

#[test]
fn the_cli_asks_follows_up_and_writes_the_brief() {
    let (dir, _) = scored();
    let d = dir.path().to_str().unwrap();
    let out = safehaven(&["ask", "high-risk share by credit group", "--data-dir", d]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("SQL: SELECT") && text.contains("Dashboard: #/executive"), "{text}");
    let out = safehaven(&["ask", "high-risk share in California", "--json", "--data-dir", d]);
    assert_exit(&out, 0);
    let answer = dir.path().join("answer.json");
    std::fs::write(&answer, stdout(&out)).unwrap();
    let chart = dir.path().join("answer.svg");
    let out = safehaven(&[
        "ask",
        "what about Texas?",
        "--previous",
        answer.to_str().unwrap(),
        "--chart",
        chart.to_str().unwrap(),
        "--json",
        "--data-dir",
        d,
    ]);
    assert_exit(&out, 0);
    let follow: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(follow["plan"]["filters"]["region"], "TX", "{follow}");
    assert!(std::fs::read_to_string(&chart).unwrap().contains("<svg"));
    let out = safehaven(&["ask", "", "--data-dir", d]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("question"), "{}", stderr(&out));
    let out = safehaven(&["ask", "--suggestions", "--data-dir", d]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("high-risk share by region"));
    let html = dir.path().join("brief.html");
    let out = safehaven(&["brief", "--out", html.to_str().unwrap(), "--data-dir", d]);
    assert_exit(&out, 0);
    assert!(std::fs::read_to_string(&html).unwrap().contains("executive brief"));
    let out = safehaven(&["brief", "--json", "--data-dir", d]);
    assert_exit(&out, 0);
    let brief: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(brief["dvLevels"].is_array(), "the operator's brief has the DV mix");
}

/// A fake OpenAI-compatible chat server on loopback: `mode` says how it answers; every request body it saw is kept.
async fn fake_llm(mode: &'static str) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::routing::post;
    let seen: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |body: String| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(body.clone());
                let request: Value = serde_json::from_str(&body).unwrap();
                let prompt = request["messages"][1]["content"].as_str().unwrap().to_owned();
                let summary = prompt.trim_start_matches("Summary:\n").split("\n\nFigures:").next().unwrap().to_owned();
                let reply = match mode {
                    "slow" => {
                        tokio::time::sleep(std::time::Duration::from_secs(4)).await;
                        summary
                    }
                    "honest" => format!("In short: {summary}"),
                    "number" => {
                        let at = summary.find(|c: char| c.is_ascii_digit()).unwrap();
                        format!("{}9{}", &summary[..at], &summary[at..])
                    }
                    "direction" => summary.replace("rose", "fell"),
                    "region" => format!("{summary} Texas saw the same."),
                    "vague" => "The share moved over the year.".into(),
                    _ => return axum::response::IntoResponse::into_response("not json"),
                };
                axum::response::IntoResponse::into_response(axum::Json(
                    json!({ "choices": [{ "message": { "role": "assistant", "content": reply } }] }),
                ))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

#[tokio::test]
async fn a_local_language_model_may_only_reword_and_is_checked_against_the_figures() {
    let question = "how did the high-risk share change over the last year, the board asks";
    let ask = |url: String| async move {
        let dir = tempfile::tempdir().unwrap();
        let state = crate::support::http::state_in(dir.path())
            .with_llm(safehaven::egress::LlmEndpoint::loopback(&url, None).unwrap());
        ask_as(state, dir.path(), "llm-test", question).await
    };
    let (_, templated) = post(Role::Analyst, "/api/v1/analyst/ask", json!({ "question": question })).await;
    assert!(templated["fallbackReason"].is_null(), "no model configured: the templated text is the answer");
    assert!(
        templated["text"].as_str().unwrap().contains("rose") || templated["text"].as_str().unwrap().contains("fell")
    );

    let (url, seen) = fake_llm("honest").await;
    let a = ask(url).await;
    assert!(a["text"].as_str().unwrap().starts_with("In short: "), "{a}");
    assert!(a["fallbackReason"].is_null(), "{a}");
    let sent = seen.lock().unwrap().join("\n");
    assert!(!sent.contains("board") && !sent.contains("asks"), "the model never sees the question: {sent}");
    assert!(!sent.contains("SH-"), "nor any person");

    for (mode, why) in [
        ("number", "changed a number"),
        ("direction", "turned the direction"),
        ("region", "named Texas"),
        ("vague", "dropped a number"),
        ("garbage", "not an OpenAI-style"),
        ("slow", "did not answer within 2 s"),
    ] {
        let (url, _) = fake_llm(mode).await;
        let a = ask(url).await;
        assert_eq!(a["text"], templated["text"], "{mode}: the templated text is used");
        assert!(a["fallbackReason"].as_str().is_some_and(|r| r.contains(why)), "{mode}: {a}");
    }
    // Nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let a = ask(format!("http://127.0.0.1:{port}/v1")).await;
    assert_eq!(a["text"], templated["text"]);
    assert!(a["fallbackReason"].as_str().unwrap().contains("could not be reached"), "{a}");
}

#[test]
fn an_endpoint_off_this_machine_is_refused_at_start() {
    let (dir, _) = scored();
    let d = dir.path().to_str().unwrap();
    for args in [
        vec!["serve", "--llm-endpoint", "http://10.0.0.7:8080/v1", "--port", "0", "--data-dir", d],
        vec!["ask", "people", "--llm-endpoint", "https://api.example.com/v1", "--data-dir", d],
    ] {
        let out = safehaven(&args);
        assert_exit(&out, 2);
        assert!(stderr(&out).contains("--llm-endpoint"), "{}", stderr(&out));
    }
}

#[test]
fn what_a_first_review_found_stays_fixed() {
    let portfolio = shared_portfolio();
    let months = portfolio.months();
    let calendar = analyst::Calendar { months };
    let outcome = |q: &str, previous: Option<&Plan>| analyst::parse(q, previous, &calendar).outcome;
    let plan = |q: &str, previous: Option<&Plan>| match outcome(q, previous) {
        analyst::Outcome::Answer(p) => p,
        other => panic!("{q}: {other:?}"),
    };
    // People, by name or by rank, are refused.
    for q in [
        "is Maria Garcia high risk",
        "list the top 10 highest risk people",
        "customer 1234 probability",
        "what is her risk",
    ] {
        assert!(matches!(outcome(q, None), analyst::Outcome::Refuse(_)), "{q}");
    }
    let p = plan("which 3 states have the lowest expected distress per person", None);
    assert_eq!(
        (p.intent, p.metrics.as_slice(), p.limit),
        (Intent::Rank, &["mean_probability".to_owned()][..], Some(3))
    );
    // Capitals and codes that are words.
    let p = plan("HIGH RISK SHARE IN TEXAS", None);
    assert_eq!((p.intent, p.filters.get("region").map(String::as_str)), (Intent::Value, Some("TX")));
    assert_eq!(plan("what is the KS", None).metrics, ["ks"]);
    assert_eq!(plan("people in OR", None).filters.get("region").map(String::as_str), Some("OR"));
    // "above 5%" compares; it is not a threshold.
    assert_eq!(plan("is the high risk share above 5%", None).threshold, None);
    assert_eq!(plan("what % of customers are high risk", None).metrics, ["high_risk_share"]);
    // A word where a place goes is asked about.
    let analyst::Outcome::Clarify(c) = outcome("high-risk share in tx", None) else { panic!("tx") };
    assert_eq!(c.options[0].question, "high-risk share in Texas");
    // Groups are of now.
    assert!(matches!(outcome("expected distress by region 12 months ago", None), analyst::Outcome::Refuse(_)));
    // Months: typos, snapshots by name.
    let latest = months.last().unwrap();
    let year: i32 = latest[..4].parse().unwrap();
    let march = format!("missed payments in Marhc {year}");
    assert_eq!(plan(&march, None).time, Some(analyst::Time::Month(format!("{year}-03"))));
    let december = format!("high-risk share in December {}", year - 1);
    if latest.ends_with("-12") {
        assert_eq!(plan(&december, None).time, Some(analyst::Time::MonthsAgo(12)));
    }
    // Follow-ups that name a figure, or everyone.
    let ohio = plan("high-risk share in Ohio", None);
    let same = plan("same for medical exposure", Some(&ohio));
    assert_eq!(
        (same.metrics.as_slice(), same.filters.get("region").map(String::as_str)),
        (&["medical_exposure".to_owned()][..], Some("OH"))
    );
    assert!(plan("how about the whole portfolio", Some(&ohio)).filters.is_empty());
    let top = plan("top 5 regions by expected distress", None);
    let prime = plan("and for prime", Some(&top));
    assert_eq!(
        (prime.intent, prime.limit, prime.filters.get("credit_group").map(String::as_str)),
        (Intent::Rank, Some(5), Some("prime"))
    );
}
