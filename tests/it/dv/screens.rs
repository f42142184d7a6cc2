//! The LAP and DASH screens over HTTP: their outcomes, their errors, and screens stored against a survivor.

use crate::support::http::{call_json, call_raw, post};
use crate::support::token;
use axum::http::{Method, StatusCode};
use safehaven::privacy::roles::Role;
use serde_json::{Value, json};

fn answers(n: usize, yes: &[usize], default: &str) -> Value {
    let map: serde_json::Map<String, Value> =
        (1..=n).map(|q| (format!("q{q}"), json!(if yes.contains(&q) { "yes" } else { default }))).collect();
    Value::Object(map)
}

#[tokio::test]
async fn lap_over_http() {
    let (status, out) =
        post(Role::Advocate, "/api/v1/screens/lap", json!({ "answers": answers(11, &[2], "no") })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(out, json!({ "screenedIn": true, "reason": "protocol_q1_3" }));
    let (_, out) =
        post(Role::Advocate, "/api/v1/screens/lap", json!({ "answers": answers(11, &[4, 6, 8, 10], "not_answered") }))
            .await;
    assert_eq!(out["reason"], "protocol_4_of_q4_11");
    let (_, out) = post(
        Role::Advocate,
        "/api/v1/screens/lap",
        json!({ "answers": answers(11, &[], "no"), "practitionerBelief": true }),
    )
    .await;
    assert_eq!(out["reason"], "practitioner_belief");
    let (_, out) =
        post(Role::Advocate, "/api/v1/screens/lap", json!({ "answers": answers(11, &[], "not_answered") })).await;
    assert_eq!(out, json!({ "screenedIn": false, "reason": null }));
}

#[tokio::test]
async fn dash_over_http() {
    let body = json!({
        "answers": answers(24, &(1..=14).collect::<Vec<_>>(), "dont_know"),
        "professionalJudgement": null,
        "incidentsLast12Months": 3,
        "lastMaracReferral": "2025-03-01",
        "newIncidentDate": "2025-12-01"
    });
    let (status, out) = post(Role::Advocate, "/api/v1/screens/dash", body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(out["reasons"], json!(["visible_high_risk", "potential_escalation", "repeat"]));
    assert_eq!(out["yesCount"], 14);
    assert_eq!(out["band"], "high");
}

#[tokio::test]
async fn bad_bodies_get_the_right_status_and_name_the_field() {
    let route = "/api/v1/screens/dash";
    let judgement = json!({ "answers": answers(24, &[], "no"), "incidentsLast12Months": 0,
        "professionalJudgement": { "refer": true, "reason": "" } });
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (judgement, StatusCode::UNPROCESSABLE_ENTITY, "professionalJudgement.reason"),
        (
            json!({ "answers": answers(23, &[], "no"), "incidentsLast12Months": 0 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "answers.q24",
        ),
        (
            json!({ "answers": answers(24, &[], "maybe"), "incidentsLast12Months": 0 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "answers",
        ),
        (json!({ "answers": answers(24, &[], "no") }), StatusCode::UNPROCESSABLE_ENTITY, "incidentsLast12Months"),
        (
            json!({ "answers": answers(24, &[], "no"), "incidentsLast12Months": -1 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "incidentsLast12Months",
        ),
    ];
    for (body, status, field) in cases {
        let (got, _, text) = call_json(Some(token(Role::Advocate)), Method::POST, route, Some(body.clone())).await;
        assert_eq!(got, status, "{body}: {text}");
        assert!(text.contains(field), "{field} not named in {text}");
    }
    let mut extra = answers(24, &[], "no");
    extra["q25"] = json!("no");
    let (got, _, text) = call_json(
        Some(token(Role::Advocate)),
        Method::POST,
        route,
        Some(json!({ "answers": extra, "incidentsLast12Months": 0 })),
    )
    .await;
    assert_eq!(got, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.contains("answers.q25"), "{text}");

    let advocate = Some(token(Role::Advocate));
    let (got, _, _) = call_raw(advocate, Method::POST, route, Some(b"{not json".to_vec()), "application/json").await;
    assert_eq!(got, StatusCode::BAD_REQUEST);
    let (got, _, _) = call_raw(advocate, Method::POST, route, Some(b"{}".to_vec()), "text/plain").await;
    assert_eq!(got, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let big = format!("{{\"answers\": {{}}, \"pad\": \"{}\"}}", "x".repeat(300_000));
    let (got, _, text) = call_raw(advocate, Method::POST, route, Some(big.into_bytes()), "application/json").await;
    assert_eq!(got, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    assert!(text.contains("payload_too_large"));
}

mod stored {
    use crate::support::http::post;
    use axum::http::StatusCode;
    use safehaven::privacy::roles::Role;
    use serde_json::{Value, json};

    fn answers(n: usize, yes: &[usize]) -> Value {
        let map: serde_json::Map<String, Value> =
            (1..=n).map(|q| (format!("q{q}"), json!(if yes.contains(&q) { "yes" } else { "no" }))).collect();
        Value::Object(map)
    }

    #[tokio::test]
    async fn screens_stored_against_a_survivor_open_alerts_and_show_with_the_assessment() {
        let user = "screened-user";
        let survivor = json!({
            "userId": user, "region": "TX", "employed": true, "immigrationStatus": "resident", "hasChildren": true,
            "supportNetwork": "limited", "pregnant": false, "recentSeparation": true, "perpetratorHasWeapons": false,
            "restrainingOrder": "expired"
        });
        assert_eq!(post(Role::Advocate, "/api/v1/survivors", survivor).await.0, StatusCode::CREATED);

        let (status, lap) =
            post(Role::Advocate, "/api/v1/screens/lap", json!({ "userId": user, "answers": answers(11, &[1]) })).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(lap["screenedIn"], true);
        assert!(lap["screenId"].as_str().unwrap().starts_with("SC-"));
        assert!(lap["alertId"].as_str().unwrap().starts_with("AL-"), "screened in opens an alert: {lap}");

        let dash = json!({ "userId": user, "answers": answers(24, &[1, 2]), "incidentsLast12Months": 1 });
        let (status, dash) = post(Role::Advocate, "/api/v1/screens/dash", dash).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(dash["refer"], false);
        assert_eq!(dash["alertId"], Value::Null, "no referral, no alert");

        let (_, assessment) = post(Role::Advocate, "/api/v1/risk-assessment/create", json!({ "userId": user })).await;
        let screens = assessment["screens"].as_array().unwrap();
        assert_eq!(screens.len(), 2);
        assert!(screens.iter().any(|s| s["kind"] == "lap" && s["reason"] == "protocol_q1_3"));
        assert!(screens.iter().any(|s| s["kind"] == "dash" && s["yesCount"] == 2));

        let (status, _) = post(
            Role::Advocate,
            "/api/v1/screens/lap",
            json!({ "userId": "nobody-here", "answers": answers(11, &[]) }),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
