//! Differential privacy as an installation turns it on: aggregate views answer noisy figures that say so, a view
//! asked for again returns the same answer and costs nothing more, each new release is charged to the user's
//! daily budget and audited, a spent budget answers 429 with when it refills, the noisy figures stay within their
//! stated 95 % intervals, and a configuration that protects no one is refused at start (exit 2).

use crate::support::http::state_in;
use crate::support::{assert_exit, safehaven, shared_data_dir, shared_portfolio, stderr};
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use safehaven::analytics::Filter;
use safehaven::privacy::KGuard;
use safehaven::privacy::audit::AuditLog;
use safehaven::privacy::dp::Policy;
use safehaven::privacy::roles::{Role, Users};
use safehaven::server::router;
use serde_json::Value;
use std::path::Path;
use tower::ServiceExt;

/// An application on the shared warehouse under differential privacy (`per_day`, `per_release`), whose users and
/// audit log live in `dir`; returns it with a token for a new user there with `role` (charges are per user name,
/// so each test's user starts with a full budget).
fn dp_app(dir: &Path, user: &str, role: Role, per_day: f64, per_release: f64) -> (axum::Router, String) {
    let token = Users::new(dir).add(user, role, "test".into()).unwrap();
    (router(state_in(dir).with_dp(Policy::new(per_day, per_release).unwrap())), token)
}

/// `GET uri` with `token`: the status, headers and body.
async fn get(app: &axum::Router, token: &str, uri: &str) -> (StatusCode, HeaderMap, String) {
    let request = Request::builder()
        .method(Method::GET)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let body = axum::body::to_bytes(response.into_body(), 16 << 20).await.unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

async fn get_json(app: &axum::Router, token: &str, uri: &str) -> Value {
    let (status, _, body) = get(app, token, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    serde_json::from_str(&body).unwrap()
}

async fn spent(app: &axum::Router, token: &str) -> f64 {
    let me = get_json(app, token, "/api/v1/me").await;
    assert_eq!(me["privacy"]["mode"], "dp", "{me}");
    me["privacy"]["spentToday"].as_f64().unwrap()
}

#[tokio::test]
async fn a_view_asked_again_returns_the_same_noisy_answer_and_costs_nothing_more() {
    let dir = tempfile::tempdir().unwrap();
    let (app, token) = dp_app(dir.path(), "dp-repeat", Role::Executive, 2.0, 0.5);
    assert_eq!(spent(&app, &token).await, 0.0);

    let first = get_json(&app, &token, "/api/v1/executive?threshold=0.3").await;
    let dp = &first["dp"];
    assert_eq!(dp["mechanism"], "discrete Laplace", "{first}");
    assert_eq!(dp["epsilon"], 0.5);
    assert!(dp["kpis"]["people"].as_f64().unwrap() > 0.0 && dp["regions"]["people"].as_f64().unwrap() > 0.0);
    assert_eq!(spent(&app, &token).await, 0.5);

    // The same view again, its charts and its exports: the same release, nothing more charged. So is a threshold
    // that differs by nothing a person could mean (thresholds are rounded to the hundredth).
    let again = get_json(&app, &token, "/api/v1/executive?threshold=0.3").await;
    assert_eq!(first, again, "the same release must give the same noisy answer");
    assert_eq!(get_json(&app, &token, "/api/v1/executive?threshold=0.300000001").await, first);
    assert_eq!(first["threshold"], 0.3);
    for uri in [
        "/api/v1/charts/exposure-map.svg?threshold=0.3",
        "/api/v1/charts/trends.svg?threshold=0.3",
        "/api/v1/export/executive/regions.csv?threshold=0.3",
    ] {
        let (status, _, body) = get(&app, &token, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    }
    assert_eq!(spent(&app, &token).await, 0.5);

    // A client's mistake is refused before anything is released: it costs nothing.
    for (uri, expected) in [
        ("/api/v1/executive?threshold=5", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/executive?threshold=NaN", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/executive?threshold=0.2&region=Atlantis", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/charts/pie.svg?threshold=0.2", StatusCode::NOT_FOUND),
        ("/api/v1/export/executive/regions.xlsx?threshold=0.2", StatusCode::NOT_FOUND),
        ("/api/v1/export/executive/people.csv?threshold=0.2", StatusCode::NOT_FOUND),
    ] {
        let (status, _, body) = get(&app, &token, uri).await;
        assert_eq!(status, expected, "{uri}: {body}");
    }
    assert_eq!(spent(&app, &token).await, 0.5);

    // Another server on the same service database (a restart): the release's seed is kept, so the same answer.
    let same_dir = router(state_in(dir.path()).with_dp(Policy::new(2.0, 0.5).unwrap()));
    assert_eq!(get_json(&same_dir, &token, "/api/v1/executive?threshold=0.3").await, first);
    assert_eq!(spent(&same_dir, &token).await, 0.5);

    // A different view is a new release.
    let other = get_json(&app, &token, "/api/v1/executive?threshold=0.4").await;
    assert_eq!(other["dp"]["epsilon"], 0.5);
    assert_eq!(spent(&app, &token).await, 1.0);

    // Each release is in the audit log once: who, which view, a hash of its parameters, the ε it cost.
    let entries = AuditLog::new(dir.path()).entries().unwrap();
    let releases: Vec<_> = entries.iter().filter(|e| e.action == "aggregate.release").collect();
    assert_eq!(releases.len(), 2, "{releases:?}");
    for entry in &releases {
        assert_eq!(entry.actor, "dp-repeat");
        assert_eq!(entry.subject, "executive");
        assert!(entry.reason.starts_with("parameters ") && entry.reason.ends_with("epsilon 0.5"), "{}", entry.reason);
    }
    assert_ne!(releases[0].reason, releases[1].reason, "two views, two parameter hashes");
    assert_eq!(AuditLog::new(dir.path()).verify().unwrap(), Ok(entries.len() as u64));
}

#[tokio::test]
async fn a_spent_budget_answers_429_with_when_it_refills_and_opened_views_still_answer() {
    let dir = tempfile::tempdir().unwrap();
    let (app, token) = dp_app(dir.path(), "dp-spend", Role::Admin, 1.0, 0.5);
    let population = get_json(&app, &token, "/api/v1/population/regions").await;
    assert_eq!(population["dp"]["sensitivity"], 1, "{population}");
    assert!(population["dp"]["totalInterval95"].as_u64().unwrap() > population["dp"]["interval95"].as_u64().unwrap());
    let executive = get_json(&app, &token, "/api/v1/executive?threshold=0.2").await;
    // The DV overview is a person-level queue whose levels give its counts: exact, audited, and free.
    let overview = get_json(&app, &token, "/api/v1/dv/overview").await;
    assert!(overview.get("dp").is_none(), "{overview}");
    assert_eq!(spent(&app, &token).await, 1.0);

    // Every route that releases a new view now answers 429, says when the budget refills, and charges nothing.
    for uri in [
        "/api/v1/executive?threshold=0.3",
        "/api/v1/charts/exposure-map.svg?threshold=0.25",
        "/api/v1/export/executive/regions.csv?threshold=0.35",
    ] {
        let (status, headers, body) = get(&app, &token, uri).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{uri}: {body}");
        let retry: u64 = headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
        assert!((1..=86_400).contains(&retry), "Retry-After {retry}");
        let error: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"]["code"], "budget_spent");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains("refills at 00:00 UTC") && message.contains("already opened"), "{message}");
    }
    assert_eq!(spent(&app, &token).await, 1.0);
    let me = get_json(&app, &token, "/api/v1/me").await;
    assert_eq!(me["privacy"]["remainingToday"], 0.0);

    // What was released today is still there, unchanged, and its chart is the same release.
    assert_eq!(get_json(&app, &token, "/api/v1/population/regions").await, population);
    assert_eq!(get_json(&app, &token, "/api/v1/executive?threshold=0.2").await, executive);
    assert_eq!(get_json(&app, &token, "/api/v1/dv/overview").await, overview);
    for uri in ["/api/v1/charts/population-by-region.svg", "/api/v1/charts/credit-groups.svg?threshold=0.2"] {
        let (status, _, body) = get(&app, &token, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    }

    // Refused releases are not audited as releases.
    let releases = AuditLog::new(dir.path()).entries().unwrap().into_iter().filter(|e| e.action == "aggregate.release");
    let releases: Vec<_> = releases.map(|e| (e.subject, e.reason.ends_with("epsilon 0.5"))).collect();
    let expected = [("population", true), ("executive", true), ("dv-overview", false)];
    assert_eq!(releases, expected.map(|(view, charged)| (view.to_owned(), charged)));
}

/// A noisy breakdown goes through the guard like an exact one: nothing shown is 1..k−1.
#[tokio::test]
async fn noisy_breakdowns_pass_the_guard() {
    let dir = tempfile::tempdir().unwrap();
    let (app, token) = dp_app(dir.path(), "dp-guard", Role::Analyst, 5.0, 1.0);
    let population = get_json(&app, &token, "/api/v1/population/regions").await;
    let k = population["k"].as_u64().unwrap();
    let cells = population["cells"].as_array().unwrap();
    assert_eq!(cells.len(), safehaven::catalog::REGIONS.len());
    for cell in cells {
        match cell["count"].as_u64() {
            Some(n) => assert!(n == 0 || n >= k, "{cell}"),
            None => assert_eq!(cell["suppressed"], true),
        }
    }
    let hidden: Vec<_> = cells.iter().filter(|c| c["suppressed"] == true).collect();
    assert!(hidden.len() != 1, "a lone suppressed cell is recoverable from the total");
}

/// The noisy figures stay within their stated 95 % intervals in 95 % ± 2 % of releases: over 600 seeds, the
/// headline people (a sum of 51 noisy regions) and each large credit group's people.
#[test]
fn noisy_figures_stay_within_their_stated_interval() {
    let portfolio = shared_portfolio();
    let guard = KGuard::default();
    let exact = portfolio.executive(0.3, Filter::default(), &guard).unwrap();
    let people = portfolio.len() as f64;
    let groups: Vec<(usize, f64)> =
        exact.credit_groups.iter().enumerate().filter_map(|(i, g)| g.count.map(|c| (i, c as f64))).collect();
    let (mut headline, mut group_draws, mut group_inside) = (0usize, 0usize, 0usize);
    let seeds = 600u32;
    for s in 0..seeds {
        let mut seed = [0u8; 32];
        seed[..4].copy_from_slice(&s.to_le_bytes());
        seed[4] = 0xd9;
        let view = portfolio.executive_dp(0.3, Filter::default(), &guard, seed, 0.5).unwrap();
        let dp = view.dp.as_ref().unwrap();
        let noisy = view.kpis.people.value.get().expect("the headline shows");
        headline += usize::from((noisy - people).abs() <= dp.kpis.people);
        for &(i, count) in &groups {
            // Groups far above the interval, so neither rounding up to 0 nor suppression touches them.
            if count < 3.0 * dp.credit_groups.people {
                continue;
            }
            group_draws += 1;
            let noisy = view.credit_groups[i].count.expect("a large group shows") as f64;
            group_inside += usize::from((noisy - count).abs() <= dp.credit_groups.people);
        }
    }
    let rate = headline as f64 / seeds as f64;
    let dp = portfolio.executive_dp(0.3, Filter::default(), &guard, [0; 32], 0.5).unwrap().dp.clone().unwrap();
    eprintln!(
        "headline people within ±{:.0} in {headline} of {seeds} releases; credit groups within ±{:.0} in {group_inside} of {group_draws}",
        dp.kpis.people, dp.credit_groups.people,
    );
    assert!((0.93..=0.97).contains(&rate), "headline people inside the interval in {rate} of releases");
    assert!(group_draws >= seeds as usize, "at least one credit group is large enough to check");
    let rate = group_inside as f64 / group_draws as f64;
    assert!((0.93..=0.97).contains(&rate), "credit groups inside the interval in {rate} of {group_draws} draws");
}

/// The same warehouse served with an appliance.toml that protects no one: refused at start, exit 2, with the
/// setting named; nothing is served.
#[test]
fn a_privacy_configuration_that_protects_no_one_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(safehaven::warehouse::path_in(shared_data_dir()), safehaven::warehouse::path_in(dir.path())).unwrap();
    let data_dir = dir.path().to_str().unwrap();
    for (config, named) in [
        ("[privacy]\nmode = \"dp\"\nepsilon_per_day = 0\n", "epsilon_per_day"),
        ("[privacy]\nmode = \"dp\"\nepsilon_per_day = -1.0\n", "epsilon_per_day"),
        ("[privacy]\nmode = \"dp\"\nepsilon_per_day = 1000.0\n", "epsilon_per_day"),
        ("[privacy]\nmode = \"dp\"\n", "epsilon_per_day is required"),
        ("[privacy]\nmode = \"dp\"\nepsilon_per_day = 1.0\nepsilon_per_release = 2.0\n", "epsilon_per_release"),
        ("[privacy]\nmode = \"dp\"\nepsilon_per_day = 1.0\nepsilon_per_release = 0.0\n", "epsilon_per_release"),
        ("[privacy]\nmode = \"noise\"\nepsilon_per_day = 1.0\n", "appliance.toml"),
        ("k = 1\n", "k must be at least 2"),
    ] {
        std::fs::write(dir.path().join("appliance.toml"), config).unwrap();
        for command in ["serve", "demo"] {
            let output = safehaven(&[command, "--port", "0", "--data-dir", data_dir]);
            assert_exit(&output, 2);
            let message = stderr(&output);
            assert!(message.contains(named), "{command} with {config:?}: {message}");
            assert!(!message.contains("serving"), "{message}");
        }
    }
}

/// `POST /api/v1/analyst/ask` with `token`: the answer.
async fn ask(app: &axum::Router, token: &str, question: &str) -> Value {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/analyst/ask")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(serde_json::json!({ "question": question }).to_string()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 16 << 20).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn the_analyst_answers_from_the_dashboards_noisy_release_and_it_is_charged_once() {
    let dir = tempfile::tempdir().unwrap();
    let (app, token) = dp_app(dir.path(), "dp-analyst", Role::Executive, 2.0, 0.5);
    let answer = ask(&app, &token, "high-risk share at 30%").await;
    assert_eq!(answer["outcome"], "answer", "{answer}");
    assert_eq!(spent(&app, &token).await, 0.5, "the executive view the plan read is one release");
    let view = get_json(&app, &token, "/api/v1/executive?threshold=0.3").await;
    assert_eq!(spent(&app, &token).await, 0.5, "the dashboard's view is the same release: nothing more to pay");
    assert!(view["dp"].is_object(), "{view}");
    assert_eq!(answer["figures"][0]["value"], view["kpis"]["highRiskShare"]["value"], "the same noisy figure");
    // Explanations rest on exact means: under differential privacy they are refused, and cost nothing.
    let why = ask(&app, &token, "why did expected distress change over the last year").await;
    assert_eq!(why["outcome"], "refuse", "{why}");
    assert_eq!(why["refusal"]["topic"], "differential_privacy");
    assert_eq!(spent(&app, &token).await, 0.5);
    // A spent budget is the same 429 as the dashboard's.
    for q in ["people in Texas", "people in Ohio", "people in Florida"] {
        ask(&app, &token, q).await;
    }
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/analyst/ask")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"question":"people in California"}"#))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key(header::RETRY_AFTER));
}
