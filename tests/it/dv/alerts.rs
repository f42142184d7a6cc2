//! The crisis-alert queue: opened by critical assessments, acknowledged and closed by people, audited.

use crate::support::http::{get, post};
use crate::support::{open_shared, shared_data_dir};
use axum::http::StatusCode;
use safehaven::dv::{self, Level};
use safehaven::privacy::roles::Role;
use serde_json::json;

fn critical_survivor() -> String {
    let as_of = "2025-12-31".parse().unwrap();
    open_shared()
        .dv_cases(None)
        .unwrap()
        .into_iter()
        .find(|(_, p, i)| dv::assess(p, i, as_of).level == Level::Critical)
        .expect("the shared population has a critical case")
        .0
}

#[tokio::test]
async fn a_critical_assessment_opens_an_alert_that_people_handle_with_audit() {
    let survivor = critical_survivor();
    let (status, assessment) =
        post(Role::Advocate, "/api/v1/risk-assessment/create", json!({ "userId": survivor })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(assessment["riskLevel"], "critical");
    let alert = assessment["alertId"].as_str().expect("critical opens an alert").to_owned();

    let (_, open) = get(Role::Advocate, "/api/v1/alerts?status=open").await;
    let listed = open["alerts"].as_array().unwrap().iter().find(|a| a["alertId"] == alert.as_str()).unwrap();
    assert_eq!(listed["survivorId"], survivor.as_str());
    assert_eq!(listed["assessmentId"], assessment["assessmentId"]);

    let (status, body) = post(Role::Advocate, &format!("/api/v1/alerts/{alert}/close"), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "closing needs a note: {body}");
    let (status, acked) =
        post(Role::Advocate, &format!("/api/v1/alerts/{alert}/acknowledge"), json!({ "note": "called, no answer" }))
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(acked["status"], "acknowledged");
    assert_eq!(acked["updatedBy"], "test-advocate");
    let (status, _) = post(Role::Advocate, &format!("/api/v1/alerts/{alert}/acknowledge"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, closed) = post(
        Role::Advocate,
        &format!("/api/v1/alerts/{alert}/close"),
        json!({ "note": "safety plan made with advocate", "reason": "actioned" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(closed["status"], "closed");
    let (status, _) = post(
        Role::Advocate,
        &format!("/api/v1/alerts/{alert}/close"),
        json!({ "note": "again", "reason": "duplicate" }),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let audit = std::fs::read_to_string(shared_data_dir().join("audit.log")).unwrap();
    for action in ["alert.open", "alert.acknowledge", "alert.close"] {
        assert!(
            audit.lines().any(|l| l.contains(action) && (l.contains(&alert) || l.contains(&survivor))),
            "{action} not audited"
        );
    }
    assert!(audit.contains("safety plan made with advocate"));
}

#[tokio::test]
async fn alert_errors() {
    let (status, _) = post(Role::Advocate, "/api/v1/alerts/AL-9999999/acknowledge", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) =
        post(Role::Advocate, "/api/v1/alerts/not-an-id/close", json!({ "note": "x", "reason": "actioned" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = get(Role::Advocate, "/api/v1/alerts?status=pending").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = get(Role::Analyst, "/api/v1/alerts").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
