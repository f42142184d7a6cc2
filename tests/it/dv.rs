//! The DV engine on the synthetic service: against the ground truth, and through the CLI.

use crate::support::{CUSTOMERS, assert_exit, open_shared, safehaven, shared_data_dir, stderr, stdout};
use safehaven::dv::{self, Level};
use std::collections::HashMap;

#[test]
fn escalating_cases_score_higher_than_stable_ones() {
    let warehouse = open_shared();
    let as_of = "2025-12-31".parse().unwrap();
    let cases = warehouse.dv_cases(None).unwrap();
    assert_eq!(cases.len() as u64, CUSTOMERS / 20);
    let truth: HashMap<String, String> = warehouse.truth_trajectories().unwrap().into_iter().collect();
    let mut by_trajectory: HashMap<&str, Vec<f64>> = HashMap::new();
    let mut critical_escalating = 0;
    for (id, profile, incidents) in &cases {
        let a = dv::assess(profile, incidents, as_of);
        let trajectory = truth[id].as_str();
        by_trajectory.entry(trajectory).or_default().push(a.scores.overall);
        if trajectory == "escalating" && a.level >= Level::High {
            critical_escalating += 1;
        }
    }
    let mean = |t: &str| by_trajectory[t].iter().sum::<f64>() / by_trajectory[t].len() as f64;
    assert!(mean("escalating") > mean("moderate") + 10.0, "{by_trajectory:?}");
    assert!(mean("moderate") > mean("stable"));
    let escalating = by_trajectory["escalating"].len();
    assert!(
        critical_escalating * 2 > escalating,
        "most escalating cases are high or critical: {critical_escalating}/{escalating}"
    );
}

#[test]
fn assess_cli_one_and_all() {
    let data_dir = shared_data_dir().to_str().unwrap();
    let all = safehaven(&["assess", "--all", "--json", "--data-dir", data_dir]);
    assert_exit(&all, 0);
    let docs: Vec<serde_json::Value> = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(docs.len() as u64, CUSTOMERS / 20);
    let id = docs[0]["maskedId"].as_str().unwrap();
    let one = safehaven(&["assess", id, "--as-of", "2025-12-31", "--json", "--data-dir", data_dir]);
    assert_exit(&one, 0);
    let doc: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(doc, docs[0]);
    let text = safehaven(&["assess", id, "--data-dir", data_dir]);
    assert!(stdout(&text).contains("components   lethality"));
}

#[test]
fn assess_cli_errors() {
    // Its own data dir: the shared one's service database is held by this test process.
    let dir = tempfile::tempdir().unwrap();
    crate::support::seed_into(dir.path(), 200, 1, 2);
    let data_dir = dir.path().to_str().unwrap();
    let unknown = safehaven(&["assess", "SH-0000-0000", "--data-dir", data_dir]);
    assert_exit(&unknown, 1);
    assert!(stderr(&unknown).contains("no survivor"), "{}", stderr(&unknown));
    assert_exit(&safehaven(&["assess", "--data-dir", data_dir]), 2);
    assert_exit(&safehaven(&["assess", "--all", "--as-of", "31/12/2025", "--data-dir", data_dir]), 2);
    assert_exit(&safehaven(&["assess", "SH-0000-0000", "--all", "--data-dir", data_dir]), 2);
}

#[test]
fn assessment_never_carries_narratives_or_raw_keys() {
    let data_dir = shared_data_dir().to_str().unwrap();
    let all = safehaven(&["assess", "--all", "--json", "--data-dir", data_dir]);
    let text = stdout(&all);
    assert!(!text.contains("narrative") && !text.contains("survivor_key") && !text.contains("incident_id"));
    // Evidence cites incidents by their number within the survivor's record.
    let docs: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    for doc in docs {
        let total = doc["assessment"]["statistics"]["totalIncidents"].as_i64().unwrap();
        for pattern in doc["assessment"]["patterns"].as_array().unwrap() {
            for e in pattern["evidence"].as_array().unwrap() {
                assert!((1..=total).contains(&e.as_i64().unwrap()), "{e} of {total}");
            }
        }
    }
}

mod screens_api {
    use crate::support::http::{call_json, call_raw};
    use crate::support::token;
    use axum::http::{Method, StatusCode};
    use safehaven::privacy::roles::Role;
    use serde_json::{Value, json};

    fn answers(n: usize, yes: &[usize], default: &str) -> Value {
        let map: serde_json::Map<String, Value> =
            (1..=n).map(|q| (format!("q{q}"), json!(if yes.contains(&q) { "yes" } else { default }))).collect();
        Value::Object(map)
    }

    async fn post(route: &str, body: Value) -> (StatusCode, Value) {
        let (status, _, text) = call_json(Some(token(Role::Advocate)), Method::POST, route, Some(body)).await;
        (status, serde_json::from_str(&text).unwrap())
    }

    #[tokio::test]
    async fn lap_over_http() {
        let (status, out) = post("/api/v1/screens/lap", json!({ "answers": answers(11, &[2], "no") })).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(out, json!({ "screenedIn": true, "reason": "protocol_q1_3" }));
        let (_, out) =
            post("/api/v1/screens/lap", json!({ "answers": answers(11, &[4, 6, 8, 10], "not_answered") })).await;
        assert_eq!(out["reason"], "protocol_4_of_q4_11");
        let (_, out) =
            post("/api/v1/screens/lap", json!({ "answers": answers(11, &[], "no"), "practitionerBelief": true })).await;
        assert_eq!(out["reason"], "practitioner_belief");
        let (_, out) = post("/api/v1/screens/lap", json!({ "answers": answers(11, &[], "not_answered") })).await;
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
        let (status, out) = post("/api/v1/screens/dash", body).await;
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
        let (got, _, _) =
            call_raw(advocate, Method::POST, route, Some(b"{not json".to_vec()), "application/json").await;
        assert_eq!(got, StatusCode::BAD_REQUEST);
        let (got, _, _) = call_raw(advocate, Method::POST, route, Some(b"{}".to_vec()), "text/plain").await;
        assert_eq!(got, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let big = format!("{{\"answers\": {{}}, \"pad\": \"{}\"}}", "x".repeat(300_000));
        let (got, _, text) = call_raw(advocate, Method::POST, route, Some(big.into_bytes()), "application/json").await;
        assert_eq!(got, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
        assert!(text.contains("payload_too_large"));
    }
}

mod assessment_api {
    use crate::support::http::{call_as, call_json};
    use crate::support::{open_shared, token};
    use axum::http::{Method, StatusCode};
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

            let (status, _, text) =
                call_as(Some(token(Role::Advocate)), Method::GET, &format!("{prefix}/risk-assessment/{id}")).await;
            assert_eq!(status, StatusCode::OK);
            let latest: Value = serde_json::from_str(&text).unwrap();
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
}

mod alerts_api {
    use crate::support::http::{call_as, call_json};
    use crate::support::{open_shared, shared_data_dir, token};
    use axum::http::{Method, StatusCode};
    use safehaven::dv::{self, Level};
    use safehaven::privacy::roles::Role;
    use serde_json::{Value, json};

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

    async fn post(route: &str, body: Value) -> (StatusCode, Value) {
        let (status, _, text) = call_json(Some(token(Role::Advocate)), Method::POST, route, Some(body)).await;
        (status, serde_json::from_str(&text).unwrap())
    }

    #[tokio::test]
    async fn a_critical_assessment_opens_an_alert_that_people_handle_with_audit() {
        let survivor = critical_survivor();
        let (status, assessment) = post("/api/v1/risk-assessment/create", json!({ "userId": survivor })).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(assessment["riskLevel"], "critical");
        let alert = assessment["alertId"].as_str().expect("critical opens an alert").to_owned();

        let (_, _, text) = call_as(Some(token(Role::Advocate)), Method::GET, "/api/v1/alerts?status=open").await;
        let open: Value = serde_json::from_str(&text).unwrap();
        let listed = open["alerts"].as_array().unwrap().iter().find(|a| a["alertId"] == alert.as_str()).unwrap();
        assert_eq!(listed["survivorId"], survivor.as_str());
        assert_eq!(listed["assessmentId"], assessment["assessmentId"]);

        let (status, body) = post(&format!("/api/v1/alerts/{alert}/close"), json!({})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "closing needs a note: {body}");
        let (status, acked) =
            post(&format!("/api/v1/alerts/{alert}/acknowledge"), json!({ "note": "called, no answer" })).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(acked["status"], "acknowledged");
        assert_eq!(acked["updatedBy"], "test-advocate");
        let (status, _) = post(&format!("/api/v1/alerts/{alert}/acknowledge"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, closed) =
            post(&format!("/api/v1/alerts/{alert}/close"), json!({ "note": "safety plan made with advocate" })).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(closed["status"], "closed");
        let (status, _) = post(&format!("/api/v1/alerts/{alert}/close"), json!({ "note": "again" })).await;
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
        let (status, _) = post("/api/v1/alerts/AL-9999999/acknowledge", json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = post("/api/v1/alerts/not-an-id/close", json!({ "note": "x" })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, text) =
            call_as(Some(token(Role::Advocate)), Method::GET, "/api/v1/alerts?status=pending").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
        let (status, _, _) = call_as(Some(token(Role::Analyst)), Method::GET, "/api/v1/alerts").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

mod ingest_api {
    use crate::support::http::{call_json, call_raw};
    use crate::support::{shared_data_dir, token};
    use axum::http::{Method, StatusCode};
    use safehaven::privacy::roles::Role;
    use serde_json::{Value, json};

    async fn post(route: &str, body: Value) -> (StatusCode, Value) {
        let (status, _, text) = call_json(Some(token(Role::Advocate)), Method::POST, route, Some(body)).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

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
            post("/api/v1/risk-assessment/create", json!({ "userId": user, "asOf": "2025-11-30" })).await;
        assert_eq!(status, StatusCode::OK, "{doc}");
        doc
    }

    /// The source document's example 1, through the mobile API: 75/100/70/45 → 77, critical, with an alert.
    #[tokio::test]
    async fn seed_example_1_end_to_end() {
        let user = "example-1-user";
        let profile = json!({ "employed": false, "immigrationStatus": "undocumented", "hasChildren": true, "perpetratorHasWeapons": true });
        assert_eq!(post("/api/v1/survivors", survivor(user, profile)).await.0, StatusCode::CREATED);
        let route = format!("/api/v1/survivors/{user}/incidents");
        for body in [
            incident("2025-11-03", &["verbal"], 1, json!({})),
            incident("2025-11-09", &["verbal"], 2, json!({})),
            incident("2025-11-15", &["physical", "verbal"], 3, json!({})),
            incident("2025-11-21", &["physical", "stalking"], 4, json!({ "threatsToKill": true })),
            incident("2025-11-27", &["physical"], 5, json!({ "strangulation": true })),
        ] {
            assert_eq!(post(&route, body).await.0, StatusCode::CREATED);
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
            post("/api/v1/survivors", survivor(user, json!({ "supportNetwork": "limited" }))).await.0,
            StatusCode::CREATED
        );
        let route = format!("/api/v1/survivors/{user}/incidents");
        assert_eq!(post(&route, incident("2025-09-20", &["verbal"], 1, json!({}))).await.0, StatusCode::CREATED);
        assert_eq!(
            post(&route, incident("2025-11-10", &["verbal"], 2, json!({ "controllingBehavior": true }))).await.0,
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
        assert_eq!(post("/api/v1/survivors", survivor(user, json!({}))).await.0, StatusCode::CREATED);
        assert_eq!(post("/api/v1/survivors", survivor(user, json!({}))).await.0, StatusCode::CONFLICT);
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
        let (got, _, _) = call_raw(
            Some(token(Role::Advocate)),
            Method::POST,
            &route,
            Some(b"{\"date\": ".to_vec()),
            "application/json",
        )
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
        let (status, _) = post("/api/v1/risk-assessment/create", json!({ "userId": "another-user" })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn pii_narratives_and_user_ids_are_never_stored_in_plaintext_nor_returned() {
        let user = "private-user-7f3k";
        let marker = "Narrative-Marker-Q8ZP: he said something only I would know";
        let pii = json!({ "name": "Marker Person Zq", "phone": "+1 (555) 010-9999", "email": "marker.zq@example.org" });
        assert_eq!(post("/api/v1/survivors", survivor(user, pii)).await.0, StatusCode::CREATED);
        let (status, created) = post(
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
}

mod stored_screens {
    use crate::support::http::call_json;
    use crate::support::token;
    use axum::http::{Method, StatusCode};
    use safehaven::privacy::roles::Role;
    use serde_json::{Value, json};

    async fn post(route: &str, body: Value) -> (StatusCode, Value) {
        let (status, _, text) = call_json(Some(token(Role::Advocate)), Method::POST, route, Some(body)).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

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
        assert_eq!(post("/api/v1/survivors", survivor).await.0, StatusCode::CREATED);

        let (status, lap) = post("/api/v1/screens/lap", json!({ "userId": user, "answers": answers(11, &[1]) })).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(lap["screenedIn"], true);
        assert!(lap["screenId"].as_str().unwrap().starts_with("SC-"));
        assert!(lap["alertId"].as_str().unwrap().starts_with("AL-"), "screened in opens an alert: {lap}");

        let dash = json!({ "userId": user, "answers": answers(24, &[1, 2]), "incidentsLast12Months": 1 });
        let (status, dash) = post("/api/v1/screens/dash", dash).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(dash["refer"], false);
        assert_eq!(dash["alertId"], Value::Null, "no referral, no alert");

        let (_, assessment) = post("/api/v1/risk-assessment/create", json!({ "userId": user })).await;
        let screens = assessment["screens"].as_array().unwrap();
        assert_eq!(screens.len(), 2);
        assert!(screens.iter().any(|s| s["kind"] == "lap" && s["reason"] == "protocol_q1_3"));
        assert!(screens.iter().any(|s| s["kind"] == "dash" && s["yesCount"] == 2));

        let (status, _) =
            post("/api/v1/screens/lap", json!({ "userId": "nobody-here", "answers": answers(11, &[]) })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[test]
fn assess_cli_reads_api_survivors_unless_a_server_holds_them() {
    use safehaven::privacy::masked::{Domain, Masker};
    use safehaven::warehouse::service::{NewSurvivor, Service};
    let dir = tempfile::tempdir().unwrap();
    crate::support::seed_into(dir.path(), 200, 1, 2);
    let data_dir = dir.path().to_str().unwrap();
    let masked = Masker::load_or_create(dir.path()).unwrap().mask(Domain::ExternalUser, b"api-user-1", 0).to_string();
    let (_, mut profile, mut incidents) = open_shared().dv_cases(None).unwrap().remove(0);
    profile.recent_separation = true;
    incidents.truncate(2);
    {
        let service = Service::open(dir.path()).unwrap();
        service.add_survivor(&masked, &NewSurvivor { region: "OH", profile }, "now").unwrap();
        for incident in &incidents {
            service.add_incident(&masked, incident, "now").unwrap();
        }
    }
    let one = safehaven(&["assess", "api-user-1", "--json", "--data-dir", data_dir]);
    assert_exit(&one, 0);
    let doc: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(doc["maskedId"], masked.as_str());
    assert_eq!(doc["assessment"]["statistics"]["totalIncidents"], incidents.len());
    let all = safehaven(&["assess", "--all", "--json", "--data-dir", data_dir]);
    let docs: Vec<serde_json::Value> = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(docs.len(), 10 + 1, "10 synthetic survivors and the API one");

    // While a server holds the service database, the CLI says so instead of failing obscurely.
    let _held = Service::open(dir.path()).unwrap();
    let busy = safehaven(&["assess", "api-user-1", "--data-dir", data_dir]);
    assert_exit(&busy, 2);
    assert!(stderr(&busy).contains("in use by another SafeHaven process"), "{}", stderr(&busy));
    let all = safehaven(&["assess", "--all", "--data-dir", data_dir]);
    assert_exit(&all, 0);
    assert!(stderr(&all).contains("API survivors are not included"));
}

#[tokio::test]
async fn repeated_critical_assessments_share_one_open_alert() {
    use crate::support::http::call_json;
    use crate::support::token;
    use axum::http::Method;
    use safehaven::privacy::roles::Role;
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
        let body = serde_json::json!({ "userId": critical, "asOf": "2025-12-31" });
        let (_, _, text) =
            call_json(Some(token(Role::Admin)), Method::POST, "/api/v1/risk-assessment/create", Some(body)).await;
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        alerts.push(doc["alertId"].as_str().unwrap().to_owned());
    }
    assert_eq!(alerts[0], alerts[1]);
}

#[tokio::test]
async fn an_api_survivor_can_be_named_by_the_survivor_id_it_was_given() {
    use crate::support::http::call_json;
    use crate::support::token;
    use axum::http::{Method, StatusCode};
    use safehaven::privacy::roles::Role;
    let body = serde_json::json!({
        "userId": "named-by-id", "region": "WA", "employed": false, "immigrationStatus": "unknown", "hasChildren": false,
        "supportNetwork": "none", "pregnant": false, "recentSeparation": false, "perpetratorHasWeapons": false,
        "restrainingOrder": "active"
    });
    let (status, _, text) = call_json(Some(token(Role::Advocate)), Method::POST, "/api/v1/survivors", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED);
    let survivor_id =
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["survivorId"].as_str().unwrap().to_owned();
    let body = serde_json::json!({ "userId": survivor_id });
    let (status, _, text) =
        call_json(Some(token(Role::Advocate)), Method::POST, "/api/v1/risk-assessment/create", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["isolationScore"], 10 + 10 + 20, "unknown status, not employed, no support");
}
