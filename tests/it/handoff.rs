//! Hand-off in-process: every act on an alert or a flagged case is an outbox event, in order, with nothing
//! personal in it; the workflow refuses what it cannot do; the admin's routes are the admin's. The real binary
//! with real webhook receivers is `handoff/delivery.rs`; the Salesforce files and the CRM's outcomes are
//! `handoff/files.rs`.

mod delivery;
mod files;

use crate::support::http::{get, post};
use axum::http::StatusCode;
use safehaven::privacy::roles::Role;
use serde_json::{Value, json};

/// A survivor created through the API whose LAP screens in: an alert opens. Returns (userId, alertId).
pub async fn screened_in_alert(user: &str) -> (String, String) {
    let body = json!({
        "userId": user, "region": "OH", "employed": true, "immigrationStatus": "citizen", "hasChildren": false,
        "supportNetwork": "strong", "pregnant": false, "recentSeparation": false,
        "perpetratorHasWeapons": false, "restrainingOrder": "none"
    });
    let (status, created) = post(Role::Advocate, "/api/v1/survivors", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let answers: serde_json::Map<String, Value> =
        (1..=11).map(|q| (format!("q{q}"), json!(if q <= 3 { "yes" } else { "no" }))).collect();
    let (status, screen) =
        post(Role::Advocate, "/api/v1/screens/lap", json!({ "userId": user, "answers": answers })).await;
    assert_eq!(status, StatusCode::OK, "{screen}");
    (user.to_owned(), screen["alertId"].as_str().expect("a screened-in LAP opens an alert").to_owned())
}

/// The outbox's events about one signal, in order.
async fn events_of(signal: &str) -> Vec<Value> {
    let (status, outbox) = get(Role::Admin, "/api/v1/handoff/outbox?limit=1000").await;
    assert_eq!(status, StatusCode::OK, "{outbox}");
    let mut all = outbox["events"].as_array().unwrap().clone();
    let mut after = outbox["events"].as_array().unwrap().last().map_or(0, |e| e["eventNo"].as_i64().unwrap());
    while after < outbox["lastEventNo"].as_i64().unwrap() {
        let (_, more) = get(Role::Admin, &format!("/api/v1/handoff/outbox?after={after}&limit=1000")).await;
        let page = more["events"].as_array().unwrap();
        after = page.last().map_or(i64::MAX, |e| e["eventNo"].as_i64().unwrap());
        all.extend(page.iter().cloned());
    }
    all.into_iter().filter(|e| e["payload"]["signalId"] == signal).collect()
}

#[tokio::test]
async fn an_alerts_workflow_is_in_the_outbox_in_order_with_nothing_personal() {
    let (user, alert) = screened_in_alert("handoff-workflow-7731").await;
    let signal = format!("SH-A-{}", alert.trim_start_matches("AL-"));
    let (_, queue) = get(Role::Advocate, "/api/v1/alerts?status=open").await;
    let listed = queue["alerts"].as_array().unwrap().iter().find(|a| a["alertId"] == alert.as_str()).unwrap().clone();
    assert_eq!(listed["signal"]["signalId"], signal.as_str());
    assert_eq!(listed["signal"]["state"], "open");
    assert!(listed["signal"]["queue"].as_str().is_some_and(|q| !q.is_empty()), "{listed}");
    assert!(listed["signal"]["sla"]["acknowledge"]["state"].is_string(), "{listed}");

    let route = |act: &str| format!("/api/v1/alerts/{alert}/{act}");
    let (status, body) = post(Role::Advocate, &route("close"), json!({ "note": "done" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("actioned, referred, no_action, duplicate, not_applicable"),
        "{body}"
    );
    let (status, body) = post(Role::Advocate, &route("close"), json!({ "note": "done", "reason": "fixed" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, acked) =
        post(Role::Advocate, &route("acknowledge"), json!({ "note": "called the survivor back" })).await;
    assert_eq!(status, StatusCode::OK, "{acked}");
    assert_eq!(
        (acked["signal"]["state"].as_str(), acked["signal"]["owner"].as_str()),
        (Some("acknowledged"), Some("test-advocate"))
    );
    let (status, body) = post(Role::Advocate, &route("handoff"), json!({ "crmId": "500 DROP" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, handed) = post(Role::Advocate, &route("handoff"), json!({ "crmId": "5003000000D8cuIAAR" })).await;
    assert_eq!(status, StatusCode::OK, "{handed}");
    assert_eq!((handed["state"].as_str(), handed["crmId"].as_str()), (Some("handed_off"), Some("5003000000D8cuIAAR")));
    let (status, _) = post(Role::Advocate, &route("handoff"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "handed off already");
    let note = "safety plan agreed with the survivor's sister Marianne";
    let (status, closed) = post(Role::Advocate, &route("close"), json!({ "note": note, "reason": "referred" })).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(
        (closed["status"].as_str(), closed["signal"]["closingReason"].as_str()),
        (Some("closed"), Some("referred"))
    );
    let (status, _) = post(Role::Advocate, &route("acknowledge"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let events = events_of(&signal).await;
    let types: Vec<&str> = events.iter().map(|e| e["payload"]["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["alert.opened", "alert.acknowledged", "alert.handed_off", "alert.closed"]);
    let numbers: Vec<i64> = events.iter().map(|e| e["eventNo"].as_i64().unwrap()).collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "numbered in commit order: {numbers:?}");
    for event in &events {
        assert_eq!(event["eventId"].as_str().unwrap(), format!("{signal}.{}", event["eventNo"]));
        assert_eq!(event["payload"]["region"], "OH");
    }
    assert_eq!(events[3]["payload"]["crmId"], "5003000000D8cuIAAR");
    // Nothing personal: no note, no caller's userId, no staff name (owners stay in SafeHaven).
    let text = serde_json::to_string(&events).unwrap();
    for secret in [note, "called the survivor back", user.as_str(), "test-advocate", "Marianne"] {
        assert!(!text.contains(secret), "`{secret}` reached the outbox: {text}");
    }
}

#[tokio::test]
async fn a_flagged_case_is_a_signal_through_its_workflow() {
    let (_, cases) = get(Role::Investigator, "/api/v1/cases?limit=5&offset=40").await;
    let masked = cases["cases"][3]["maskedId"].as_str().unwrap().to_owned();
    let signal = format!("SH-C-{}", masked.trim_start_matches("SH-").replace('-', ""));
    let flag = format!("/api/v1/cases/{masked}/flag");
    let (status, body) = post(Role::Investigator, &format!("/api/v1/cases/{masked}/handoff"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a case is handed off once it is flagged: {body}");
    let (status, flagged) =
        post(Role::Investigator, &flag, json!({ "reason": "income fell, two missed payments" })).await;
    assert_eq!(status, StatusCode::CREATED, "{flagged}");
    assert_eq!((flagged["signalId"].as_str(), flagged["signalOpened"].as_bool()), (Some(signal.as_str()), Some(true)));
    let (_, again) = post(Role::Investigator, &flag, json!({ "reason": "and a third" })).await;
    assert_eq!(again["signalOpened"], false, "one signal per case while it is open");

    let (_, page) = get(Role::Investigator, &format!("/api/v1/cases/{masked}")).await;
    assert_eq!(page["signal"]["state"], "open");
    let (_, list) = get(Role::Analyst, "/api/v1/cases/flagged").await;
    assert!(list["cases"].as_array().unwrap().iter().any(|c| c["signalId"] == signal.as_str()), "{list}");

    let act = |a: &str| format!("/api/v1/cases/{masked}/{a}");
    let (status, acked) = post(Role::Investigator, &act("acknowledge"), json!({})).await;
    assert_eq!((status, acked["owner"].as_str()), (StatusCode::OK, Some("test-investigator")));
    let (status, handed) = post(Role::Investigator, &act("handoff"), json!({})).await;
    assert_eq!(
        (status, handed["state"].as_str(), handed["crmId"].as_str()),
        (StatusCode::OK, Some("handed_off"), None)
    );
    let (status, body) = post(Role::Investigator, &act("close"), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, closed) = post(Role::Investigator, &act("close"), json!({ "reason": "no_action" })).await;
    assert_eq!((status, closed["state"].as_str()), (StatusCode::OK, Some("closed")));
    let (_, reopened) = post(Role::Investigator, &flag, json!({ "reason": "back in arrears" })).await;
    assert_eq!(reopened["signalOpened"], true, "a closed case flagged again is reopened under the same ID");

    let events = events_of(&signal).await;
    let types: Vec<&str> = events.iter().map(|e| e["payload"]["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["case.flagged", "case.acknowledged", "case.handed_off", "case.closed", "case.flagged"]);
    let payload = &events[0]["payload"];
    assert!(payload["score"].as_f64().is_some_and(|p| (0.0..=1.0).contains(&p)), "{payload}");
    assert!(payload["version"].as_str().is_some_and(|v| !v.is_empty()));
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains("missed payments") && !text.contains("arrears"), "a flag's reason stays in SafeHaven");
}

#[tokio::test]
async fn the_outbox_and_deliveries_are_the_admins_and_checked() {
    for role in [Role::Advocate, Role::Investigator, Role::Analyst, Role::Executive, Role::Trainer] {
        assert_eq!(get(role, "/api/v1/handoff/outbox").await.0, StatusCode::FORBIDDEN, "{role:?}");
        assert_eq!(get(role, "/api/v1/handoff/deliveries").await.0, StatusCode::FORBIDDEN, "{role:?}");
    }
    let (status, body) = get(Role::Admin, "/api/v1/handoff/deliveries").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["destinations"], json!([]), "no webhook is configured by default");
    for (uri, needle) in [
        ("/api/v1/handoff/outbox?after=-1", "after"),
        ("/api/v1/handoff/outbox?limit=5000", "limit"),
        ("/api/v1/handoff/outbox?since=3", "unknown query parameter `since`"),
        ("/api/v1/handoff/deliveries?status=lost", "pending, delivered, dead"),
    ] {
        let (status, body) = get(Role::Admin, uri).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(needle), "{uri}: {body}");
    }
    let (status, _) = post(Role::Admin, "/api/v1/handoff/deliveries/DL-9999999/replay", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(Role::Admin, "/api/v1/handoff/deliveries/nope/replay", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(Role::Advocate, "/api/v1/alerts/AL-9999999/handoff", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(Role::Investigator, "/api/v1/cases/not-an-id/handoff", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
