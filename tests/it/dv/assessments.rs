//! Stored DV assessments through the mobile client's API, under both prefixes.

use crate::support::http::{call_json, get, post};
use crate::support::{open_shared, token};
use axum::http::{Method, StatusCode};
use safehaven::dv::{self, Level};
use safehaven::privacy::roles::Role;
use serde_json::{Value, json};

fn survivor() -> String {
    open_shared().dv_cases(None).unwrap().remove(0).0
}

#[tokio::test]
async fn create_then_get_latest_in_the_documents_shape_under_both_prefixes() {
    let id = survivor();
    for prefix in ["/api/v1", "/services/apexrest/safehaven/v1"] {
        let (status, _, text) = call_json(
            Some(token(Role::Advocate)),
            Method::POST,
            &format!("{prefix}/risk-assessment/create"),
            Some(json!({ "userId": id, "asOf": "2025-12-31" })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let created: Value = serde_json::from_str(&text).unwrap();
        for field in [
            "success",
            "assessmentId",
            "riskLevel",
            "overallScore",
            "lethalityScore",
            "escalationScore",
            "frequencyScore",
            "summary",
            "recommendations",
            "crisisResources",
            "detectedPatterns",
            "assessmentDate",
            "isolationScore",
            "confidenceScore",
            "lethalityIndicators",
            "patternEvidence",
        ] {
            assert!(created.get(field).is_some(), "{field} missing: {created}");
        }
        assert_eq!(created["success"], true);
        let number = created["assessmentId"].as_str().unwrap();
        assert!(number.starts_with("RA-") && number.len() == 10, "{number}");
        assert!(["low", "moderate", "high", "critical"].contains(&created["riskLevel"].as_str().unwrap()));
        assert!(created["crisisResources"].as_str().unwrap().contains("1-800-799-7233"));

        let (status, latest) = get(Role::Advocate, &format!("{prefix}/risk-assessment/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(latest["assessmentId"], created["assessmentId"]);
    }
}

#[tokio::test]
async fn errors_use_the_clients_envelope() {
    type Case = (Option<&'static str>, Method, String, Option<Value>, StatusCode);
    let cases: Vec<Case> = vec![
        (
            Some(token(Role::Advocate)),
            Method::POST,
            "/api/v1/risk-assessment/create".into(),
            Some(json!({ "userId": "user-12345" })),
            StatusCode::NOT_FOUND,
        ),
        (
            Some(token(Role::Advocate)),
            Method::GET,
            "/api/v1/risk-assessment/user-12345".into(),
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            Some(token(Role::Advocate)),
            Method::POST,
            "/api/v1/risk-assessment/create".into(),
            Some(json!({ "user": "x" })),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Some(token(Role::Advocate)),
            Method::POST,
            "/api/v1/risk-assessment/create".into(),
            Some(json!({ "userId": " " })),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            None,
            Method::POST,
            "/services/apexrest/safehaven/v1/risk-assessment/create".into(),
            Some(json!({ "userId": "x" })),
            StatusCode::UNAUTHORIZED,
        ),
        (
            Some(token(Role::Executive)),
            Method::GET,
            "/services/apexrest/safehaven/v1/risk-assessment/x".into(),
            None,
            StatusCode::FORBIDDEN,
        ),
    ];
    for (bearer, method, uri, body, status) in cases {
        let (got, _, text) = call_json(bearer, method.clone(), &uri, body).await;
        assert_eq!(got, status, "{method} {uri}: {text}");
        let error: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(error["success"], false, "{text}");
        assert!(error["errorMessage"].as_str().is_some_and(|m| !m.is_empty()), "{text}");
    }
}

#[tokio::test]
async fn seed_examples_end_to_end_through_the_engine_match_the_http_scores() {
    // The HTTP document carries the engine's numbers unchanged.
    let id = survivor();
    let (_, profile, incidents) = open_shared().dv_cases(Some(&id)).unwrap().remove(0);
    let expected = safehaven::dv::assess(&profile, &incidents, "2025-12-31".parse().unwrap());
    let (_, _, text) = call_json(
        Some(token(Role::Admin)),
        Method::POST,
        "/api/v1/risk-assessment/create",
        Some(json!({ "userId": id })),
    )
    .await;
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["lethalityScore"], expected.scores.lethality);
    assert_eq!(doc["frequencyScore"], expected.scores.frequency);
    assert_eq!(doc["escalationScore"], expected.scores.escalation);
    assert_eq!(doc["isolationScore"], expected.scores.isolation);
    assert_eq!(doc["overallScoreExact"], expected.scores.overall);
    assert_eq!(doc["riskLevel"], expected.level.name());
}

#[tokio::test]
async fn repeated_critical_assessments_share_one_open_alert() {
    let as_of = "2025-12-31".parse().unwrap();
    let critical = open_shared()
        .dv_cases(None)
        .unwrap()
        .into_iter()
        .find(|(_, p, i)| dv::assess(p, i, as_of).level == Level::Critical)
        .unwrap()
        .0;
    let mut alerts = Vec::new();
    for _ in 0..2 {
        let body = json!({ "userId": critical, "asOf": "2025-12-31" });
        let (_, doc) = post(Role::Admin, "/api/v1/risk-assessment/create", body).await;
        alerts.push(doc["alertId"].as_str().unwrap().to_owned());
    }
    assert_eq!(alerts[0], alerts[1]);
}

#[tokio::test]
async fn an_api_survivor_can_be_named_by_the_survivor_id_it_was_given() {
    let body = json!({
        "userId": "named-by-id", "region": "WA", "employed": false, "immigrationStatus": "unknown", "hasChildren": false,
        "supportNetwork": "none", "pregnant": false, "recentSeparation": false, "perpetratorHasWeapons": false,
        "restrainingOrder": "active"
    });
    let (status, created) = post(Role::Advocate, "/api/v1/survivors", body).await;
    assert_eq!(status, StatusCode::CREATED);
    let survivor_id = created["survivorId"].as_str().unwrap().to_owned();
    let (status, doc) = post(Role::Advocate, "/api/v1/risk-assessment/create", json!({ "userId": survivor_id })).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert_eq!(doc["isolationScore"], 10 + 10 + 20, "unknown status, not employed, no support");
}
