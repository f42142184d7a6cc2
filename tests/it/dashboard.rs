//! The dashboard's JSON views: executive KPIs at any threshold with filters and visible suppression, the case
//! list and case page, what-if, audited review flags, the model page, and their input errors.

use crate::support::http::{call_as, call_json, get};
use crate::support::{shared_customer, shared_data_dir, token};
use axum::http::{Method, StatusCode};
use safehaven::privacy::roles::Role;
use serde_json::{Value, json};

async fn get_ok(role: Role, uri: &str) -> Value {
    let (status, body) = get(role, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    body
}

#[tokio::test]
async fn the_threshold_changes_the_kpis_and_nothing_else() {
    let low = get_ok(Role::Executive, "/api/v1/executive?threshold=0.05").await;
    let high = get_ok(Role::Executive, "/api/v1/executive?threshold=0.3").await;
    let kpi = |v: &Value, name: &str| v["kpis"][name]["value"].as_f64().unwrap();
    assert_eq!(kpi(&low, "people"), crate::support::CUSTOMERS as f64);
    assert!(kpi(&low, "highRiskCount") > kpi(&high, "highRiskCount"));
    assert!(kpi(&low, "highRiskShare") > kpi(&high, "highRiskShare"));
    assert_eq!(kpi(&low, "expectedDistress"), kpi(&high, "expectedDistress"));
    assert_eq!(kpi(&low, "medicalExposure"), kpi(&high, "medicalExposure"));
    // The share is the count over the people.
    assert!((kpi(&high, "highRiskShare") - kpi(&high, "highRiskCount") / kpi(&high, "people")).abs() < 1e-12);
    // Changes over 3 and 12 months are there for the unfiltered population.
    assert!(low["kpis"]["expectedDistress"]["change3m"].is_number());
    assert!(low["kpis"]["medicalExposure"]["change12m"].is_number());
    assert_eq!(low["trends"].as_array().unwrap().len(), 24);
    // The default threshold is the model's.
    let default = get_ok(Role::Executive, "/api/v1/executive").await;
    assert_eq!(default["threshold"], 0.2);
}

#[tokio::test]
async fn every_group_row_carries_count_and_suppressed() {
    let view = get_ok(Role::Executive, "/api/v1/executive?threshold=0.2").await;
    let regions = view["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 51);
    for row in regions.iter().chain(view["creditGroups"].as_array().unwrap()) {
        assert!(row.get("count").is_some() && row["suppressed"].is_boolean(), "{row}");
        if row["suppressed"] == true {
            assert!(row["count"].is_null() && row["stats"].is_null(), "{row}");
        }
    }
    // 2,000 people over 51 regions: small states are suppressed, visibly.
    assert!(regions.iter().any(|r| r["suppressed"] == true));
    let visible: u64 = regions.iter().filter_map(|r| r["count"].as_u64()).sum();
    assert!(visible < crate::support::CUSTOMERS);
}

#[tokio::test]
async fn a_narrow_filter_withholds_every_figure() {
    // DC holds 0.2 % of the population: a handful of the 2,000 people, below k = 11.
    let view = get_ok(Role::Executive, "/api/v1/executive?region=DC").await;
    assert_eq!(view["suppressed"], true, "{view}");
    for name in ["people", "highRiskCount", "expectedDistress", "meanProbability", "medicalExposure"] {
        assert!(view["kpis"][name]["value"].is_null(), "{name}: {}", view["kpis"][name]);
    }
    assert!(view["trends"].as_array().unwrap().iter().all(|t| t["suppressed"] == true));
    let dc = view["regions"].as_array().unwrap().iter().find(|r| r["label"] == "DC").unwrap().clone();
    assert!(dc["suppressed"] == true && dc["count"].is_null(), "{dc}");
    let filtered = get_ok(Role::Executive, "/api/v1/executive?creditGroup=prime").await;
    let all = get_ok(Role::Executive, "/api/v1/executive").await;
    assert!(filtered["kpis"]["people"]["value"].as_f64() < all["kpis"]["people"]["value"].as_f64());
}

#[tokio::test]
async fn bad_view_parameters_are_named() {
    let cases = [
        ("/api/v1/executive?threshold=1.5", "threshold: must be between 0 and 1"),
        ("/api/v1/executive?threshold=high", "threshold: `high` is not a number"),
        ("/api/v1/executive?creditGroup=platinum", "creditGroup: unknown value `platinum`"),
        ("/api/v1/executive?region=XX", "region: unknown value `XX`"),
        ("/api/v1/executive?colour=red", "colour: unknown parameter"),
        ("/api/v1/cases?limit=0", "limit: must be 1–200"),
        ("/api/v1/cases?limit=-3", "limit: `-3` is not a whole number"),
        ("/api/v1/cases?offset=999999", "offset: is past the end"),
        ("/api/v1/cases?indicator=rich", "indicator: unknown value `rich`"),
    ];
    for (uri, message) in cases {
        let (status, body) = get(Role::Admin, uri).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().starts_with(message), "{uri}: {body}");
    }
}

#[tokio::test]
async fn cases_page_highest_risk_first_with_reasons() {
    let first = get_ok(Role::Analyst, "/api/v1/cases?limit=10").await;
    let second = get_ok(Role::Analyst, "/api/v1/cases?limit=10&offset=10").await;
    let p = |v: &Value, i: usize| v["cases"][i]["probability"].as_f64().unwrap();
    assert_eq!(first["total"], crate::support::CUSTOMERS);
    assert!((0..9).all(|i| p(&first, i) >= p(&first, i + 1)));
    assert!(p(&first, 9) >= p(&second, 0));
    assert!(!first["cases"][0]["reasons"].as_array().unwrap().is_empty());
    assert!(first["cases"][0]["maskedId"].as_str().unwrap().starts_with("SH-"));
    let unemployed = get_ok(Role::Analyst, "/api/v1/cases?limit=200&indicator=unemployed&region=CA").await;
    assert!(unemployed["cases"].as_array().unwrap().iter().all(|c| c["region"] == "CA"));
}

#[tokio::test]
async fn a_case_page_what_if_and_unknown_ids() {
    let id = shared_customer();
    let case = get_ok(Role::Investigator, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["maskedId"], id.as_str());
    assert!(case["contributions"].as_array().unwrap().len() >= 10);
    assert!(case["financial"].as_array().unwrap().iter().any(|i| i["name"] == "credit_score"));
    let uri = format!("/api/v1/cases/{id}/what-if");
    let body = json!({ "incomePct": -50, "unemployed": true });
    let (status, _, text) = call_json(Some(token(Role::Investigator)), Method::POST, &uri, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let impact: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(impact["oldProbability"], case["probability"]);
    assert!(impact["newProbability"].as_f64() > impact["oldProbability"].as_f64());
    for (body, message) in [
        (json!({ "medicalCostPct": 5000 }), "medicalCostPct"),
        (json!({ "unemploymentPoints": 3 }), "unemploymentPoints"),
        (json!({ "salary": 3 }), "salary"),
    ] {
        let (status, _, text) = call_json(Some(token(Role::Investigator)), Method::POST, &uri, Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
        assert!(text.contains(message), "{text}");
    }
    let (status, body) = get(Role::Investigator, "/api/v1/cases/SH-0000-0000").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _, _) =
        call_json(Some(token(Role::Investigator)), Method::POST, "/api/v1/cases/SH-0000-0000/what-if", Some(json!({})))
            .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_flag_is_audited_and_shown_with_the_case() {
    let id = crate::support::open_shared().people(5).unwrap().remove(4).masked_id;
    let uri = format!("/api/v1/cases/{id}/flag");
    let (status, _, text) =
        call_json(Some(token(Role::Investigator)), Method::POST, &uri, Some(json!({ "reason": " " }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    let reason = format!("dashboard test: review {id}");
    let (status, _, text) =
        call_json(Some(token(Role::Investigator)), Method::POST, &uri, Some(json!({ "reason": reason }))).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let case = get_ok(Role::Investigator, &format!("/api/v1/cases/{id}")).await;
    let flags = case["flags"].as_array().unwrap();
    assert!(flags.iter().any(|f| f["reason"] == reason.as_str() && f["actor"] == "test-investigator"), "{flags:?}");
    let audit = std::fs::read_to_string(shared_data_dir().join("audit.log")).unwrap();
    assert!(audit.lines().any(|l| l.contains("case.flag") && l.contains(&id) && l.contains(&reason)));
    let (status, _, _) = call_json(
        Some(token(Role::Investigator)),
        Method::POST,
        "/api/v1/cases/SH-0000-0000/flag",
        Some(json!({ "reason": "x" })),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_model_page_has_the_evaluation_and_drift() {
    let model = get_ok(Role::Analyst, "/api/v1/model").await;
    for key in ["auc", "bayes_auc", "gini", "ks", "brier", "ece"] {
        assert!(model[key].is_number(), "{key}");
    }
    assert_eq!(model["drift"].as_array().unwrap().len(), 19);
    assert_eq!(model["calibration"].as_array().unwrap().len(), 10);
    let (status, _) = get(Role::Executive, "/api/v1/model").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn openapi_and_metrics_are_served_without_a_token() {
    let (status, _, body) = call_as(None, Method::GET, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path, _) in safehaven::server::API_ROUTES {
        assert!(doc["paths"][path][method.to_lowercase()].is_object(), "{method} {path}");
    }
    // Metrics count requests by route pattern, never by the path with its ID.
    let id = shared_customer();
    let app = crate::support::http::app();
    let uri = format!("/api/v1/cases/{id}");
    let (status, _, _) =
        crate::support::http::send(app.clone(), Some(token(Role::Investigator)), Method::GET, &uri, None, "").await;
    assert_eq!(status, StatusCode::OK);
    let (status, content_type, metrics) =
        crate::support::http::send(app, None, Method::GET, "/metrics", None, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("application/openmetrics-text"));
    assert!(metrics.contains("safehaven_warehouse_size_bytes"), "{metrics}");
    assert!(metrics.contains("safehaven_dashboard_people"));
    assert!(metrics.contains("safehaven_http_request_duration_seconds_bucket"));
    assert!(
        metrics
            .contains(r#"safehaven_http_requests_total{route="/api/v1/cases/{maskedId}",method="GET",status="200"} 1"#),
        "{metrics}"
    );
    assert!(!metrics.contains(&id), "a masked ID in the metrics");
}

#[tokio::test]
async fn table_views_export_as_csv_and_parquet_with_suppression() {
    let (status, content_type, csv) =
        call_as(Some(token(Role::Executive)), Method::GET, "/api/v1/export/executive/regions.csv?threshold=0.2").await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert!(content_type.starts_with("text/csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "region,people,suppressed,mean_probability,high_risk_share,medical_exposure,exposure_share");
    assert_eq!(lines.len(), 52);
    // A suppressed region exports empty cells, not zeros.
    assert!(lines.iter().any(|l| l.starts_with("DC,,true,,")), "{csv}");
    let (status, content_type, parquet) =
        call_as(Some(token(Role::Executive)), Method::GET, "/api/v1/export/executive/trends.parquet").await;
    assert_eq!(status, StatusCode::OK);
    assert!(parquet.starts_with("PAR1") && parquet.contains("missed_payment"));
    assert_eq!(content_type, "application/vnd.apache.parquet");
    let (status, _, cases) = call_as(Some(token(Role::Analyst)), Method::GET, "/api/v1/export/cases/csv?limit=5").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cases.lines().count(), 6);
    assert!(cases.starts_with("masked_id,region,credit_group"));
    for (uri, code) in [
        ("/api/v1/export/executive/people.csv", StatusCode::NOT_FOUND),
        ("/api/v1/export/executive/regions.xlsx", StatusCode::NOT_FOUND),
        ("/api/v1/export/executive/regions.csv?threshold=2", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (status, _, body) = call_as(Some(token(Role::Admin)), Method::GET, uri).await;
        assert_eq!(status, code, "{uri}: {body}");
    }
    let (status, _, _) = call_as(Some(token(Role::Executive)), Method::GET, "/api/v1/export/cases/csv").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_filters_vocabulary_comes_from_the_catalog_for_every_signed_in_role() {
    for role in Role::ALL {
        let vocabulary = get_ok(role, "/api/v1/vocabulary").await;
        assert_eq!(vocabulary["creditGroups"], json!(safehaven::catalog::CREDIT_GROUP_NAMES), "{role}");
        assert_eq!(vocabulary["ageBands"], json!(safehaven::catalog::AGE_BANDS));
        let regions = vocabulary["regions"].as_array().unwrap();
        assert_eq!(regions.len(), safehaven::catalog::REGIONS.len());
        assert_eq!((regions[0]["code"].clone(), regions[0]["name"].clone()), (json!("AK"), json!("Alaska")));
        assert_eq!(vocabulary["indicators"][0], "unemployed");
        assert_eq!(vocabulary["alertStatuses"], json!(["open", "acknowledged", "handed_off", "closed"]));
    }
    let (status, _, _) = call_as(None, Method::GET, "/api/v1/vocabulary").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
