//! DV ingest: survivors and incidents created through the API, and the source document's worked examples end to end.

use crate::support::http::{call_json, call_raw, post};
use crate::support::{shared_data_dir, token};
use axum::http::{Method, StatusCode};
use safehaven::privacy::roles::Role;
use serde_json::{Value, json};

fn survivor(user: &str, overrides: Value) -> Value {
    let mut body = json!({
        "userId": user, "region": "OH", "employed": true, "immigrationStatus": "citizen", "hasChildren": false,
        "supportNetwork": "strong", "pregnant": false, "recentSeparation": false,
        "perpetratorHasWeapons": false, "restrainingOrder": "none"
    });
    body.as_object_mut().unwrap().extend(overrides.as_object().unwrap().clone());
    body
}

fn incident(date: &str, types: &[&str], severity: u8, overrides: Value) -> Value {
    let mut body = json!({
        "date": date, "types": types, "severity": severity, "strangulation": false, "weaponUsed": false,
        "weaponType": "none", "threatsToKill": false, "policeInvolved": false, "medicalAttention": false,
        "perpetratorRelationship": "current_partner", "substanceUse": false, "extremeJealousy": false,
        "controllingBehavior": false
    });
    body.as_object_mut().unwrap().extend(overrides.as_object().unwrap().clone());
    body
}

async fn assess(user: &str) -> Value {
    let (status, doc) =
        post(Role::Advocate, "/api/v1/risk-assessment/create", json!({ "userId": user, "asOf": "2025-11-30" })).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    doc
}

/// The source document's example 1, through the mobile API: 75/100/70/45 → 77, critical, with an alert.
#[tokio::test]
async fn seed_example_1_end_to_end() {
    let user = "example-1-user";
    let profile = json!({ "employed": false, "immigrationStatus": "undocumented", "hasChildren": true, "perpetratorHasWeapons": true });
    assert_eq!(post(Role::Advocate, "/api/v1/survivors", survivor(user, profile)).await.0, StatusCode::CREATED);
    let route = format!("/api/v1/survivors/{user}/incidents");
    for body in [
        incident("2025-11-03", &["verbal"], 1, json!({})),
        incident("2025-11-09", &["verbal"], 2, json!({})),
        incident("2025-11-15", &["physical", "verbal"], 3, json!({})),
        incident("2025-11-21", &["physical", "stalking"], 4, json!({ "threatsToKill": true })),
        incident("2025-11-27", &["physical"], 5, json!({ "strangulation": true })),
    ] {
        assert_eq!(post(Role::Advocate, &route, body).await.0, StatusCode::CREATED);
    }
    let doc = assess(user).await;
    assert_eq!(
        (&doc["lethalityScore"], &doc["frequencyScore"], &doc["escalationScore"], &doc["isolationScore"]),
        (&json!(75), &json!(100), &json!(70), &json!(45))
    );
    assert_eq!(doc["overallScore"], 77);
    assert_eq!(doc["riskLevel"], "critical");
    assert!(doc["alertId"].as_str().is_some_and(|a| a.starts_with("AL-")));
}

/// Example 2: 0/25/20/10 → 12.25, low (the document's heading says 38/moderate; its arithmetic says 12.25).
#[tokio::test]
async fn seed_example_2_end_to_end() {
    let user = "example-2-user";
    assert_eq!(
        post(Role::Advocate, "/api/v1/survivors", survivor(user, json!({ "supportNetwork": "limited" }))).await.0,
        StatusCode::CREATED
    );
    let route = format!("/api/v1/survivors/{user}/incidents");
    assert_eq!(
        post(Role::Advocate, &route, incident("2025-09-20", &["verbal"], 1, json!({}))).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        post(Role::Advocate, &route, incident("2025-11-10", &["verbal"], 2, json!({ "controllingBehavior": true })))
            .await
            .0,
        StatusCode::CREATED
    );
    let doc = assess(user).await;
    assert_eq!(doc["overallScoreExact"], 12.25);
    assert_eq!(doc["overallScore"], 12);
    assert_eq!(doc["riskLevel"], "low");
    assert_eq!(doc["alertId"], Value::Null);
    // GET returns the latest stored assessment, by the caller's own userId.
    let (status, _, text) = call_json(
        Some(token(Role::Advocate)),
        Method::GET,
        &format!("/services/apexrest/safehaven/v1/risk-assessment/{user}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["assessmentId"], doc["assessmentId"]);
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_stores_nothing() {
    let user = "bad-input-user";
    assert_eq!(post(Role::Advocate, "/api/v1/survivors", survivor(user, json!({}))).await.0, StatusCode::CREATED);
    assert_eq!(post(Role::Advocate, "/api/v1/survivors", survivor(user, json!({}))).await.0, StatusCode::CONFLICT);
    let route = format!("/api/v1/survivors/{user}/incidents");
    let cases = [
        (incident("2025-11-01", &["physical"], 6, json!({})), StatusCode::UNPROCESSABLE_ENTITY, "severity"),
        (incident("2025-11-01", &["punching"], 3, json!({})), StatusCode::UNPROCESSABLE_ENTITY, "types"),
        (incident("2025-11-01", &[], 3, json!({})), StatusCode::UNPROCESSABLE_ENTITY, "types"),
        (incident("2999-01-01", &["verbal"], 3, json!({})), StatusCode::UNPROCESSABLE_ENTITY, "future"),
        (incident("2025-13-01", &["verbal"], 3, json!({})), StatusCode::UNPROCESSABLE_ENTITY, "date"),
        (
            json!({ "date": "2025-11-01", "types": ["verbal"], "severity": 2 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "strangulation",
        ),
        (
            incident("2025-11-01", &["verbal"], 2, json!({ "weaponType": "bazooka" })),
            StatusCode::UNPROCESSABLE_ENTITY,
            "weaponType",
        ),
    ];
    for (body, status, field) in cases {
        let (got, _, text) = call_json(Some(token(Role::Advocate)), Method::POST, &route, Some(body.clone())).await;
        assert_eq!(got, status, "{body}: {text}");
        assert!(text.contains(field), "{field} not named in {text}");
    }
    let (got, _, _) = call_json(
        Some(token(Role::Advocate)),
        Method::POST,
        "/api/v1/survivors/nobody/incidents",
        Some(incident("2025-11-01", &["verbal"], 2, json!({}))),
    )
    .await;
    assert_eq!(got, StatusCode::NOT_FOUND);
    let (got, _, _) =
        call_raw(Some(token(Role::Advocate)), Method::POST, &route, Some(b"{\"date\": ".to_vec()), "application/json")
            .await;
    assert_eq!(got, StatusCode::BAD_REQUEST);
    for (overrides, field) in [
        (json!({ "region": "ZZ" }), "region"),
        (json!({ "immigrationStatus": "alien" }), "immigrationStatus"),
        (json!({ "userId": "" }), "userId"),
    ] {
        let (got, _, text) = call_json(
            Some(token(Role::Advocate)),
            Method::POST,
            "/api/v1/survivors",
            Some(survivor("another-user", overrides)),
        )
        .await;
        assert_eq!(got, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
        assert!(text.contains(field), "{field} not named in {text}");
    }
    // Nothing was stored by any of the refused requests.
    let doc = assess(user).await;
    assert_eq!(doc["statistics"]["totalIncidents"], 0);
    let (status, _) = post(Role::Advocate, "/api/v1/risk-assessment/create", json!({ "userId": "another-user" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pii_narratives_and_user_ids_are_never_stored_in_plaintext_nor_returned() {
    let user = "private-user-7f3k";
    let marker = "Narrative-Marker-Q8ZP: he said something only I would know";
    let pii = json!({ "name": "Marker Person Zq", "phone": "+1 (555) 010-9999", "email": "marker.zq@example.org" });
    assert_eq!(post(Role::Advocate, "/api/v1/survivors", survivor(user, pii)).await.0, StatusCode::CREATED);
    let (status, created) = post(
        Role::Advocate,
        &format!("/api/v1/survivors/{user}/incidents"),
        incident("2025-11-01", &["verbal"], 2, json!({ "narrative": marker })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let doc = assess(user).await;
    let responses = format!("{created}{doc}");
    let dir = shared_data_dir();
    let mut files = Vec::new();
    for name in ["service.duckdb", "service.duckdb.wal", "service-vault.bin", "audit.log"] {
        if let Ok(bytes) = std::fs::read(dir.join(name)) {
            files.push((name, bytes));
        }
    }
    assert!(files.iter().any(|(n, _)| *n == "service-vault.bin"), "PII is sealed into the service vault");
    for secret in [marker, "Marker Person Zq", "marker.zq@example.org", "555) 010-9999", user] {
        assert!(!responses.contains(secret) || secret == user, "{secret} in a response");
        for (name, bytes) in &files {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{secret} in {name}");
        }
    }
}
