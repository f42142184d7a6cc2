//! Privacy end to end: PII only ever sealed, reveal with audit, roles on every route, keys and users.

use crate::support::http::{call_as, call_json};
use crate::support::{
    assert_exit, open_shared, safehaven, seed_into, shared_data_dir, stderr, stdout, test_identity, token,
};
use axum::http::{Method, StatusCode};
use safehaven::privacy::masked::{Domain, Masker};
use safehaven::privacy::roles::Role;
use safehaven::server::API_ROUTES;
use safehaven::synth::{self, CHUNK, Params, Pii};
use safehaven::warehouse::{self, RecordKind, Warehouse};
use std::path::Path;

/// The generator's PII for one record, regenerated from the seed.
fn generated(params: &Params, kind: RecordKind, key: i64) -> (String, String, String, String) {
    let index = match kind {
        RecordKind::People => (key as u64 - 1) / CHUNK,
        RecordKind::Survivors => params.universe().div_ceil(CHUNK) + (key as u64 - 1) / CHUNK,
    };
    match synth::chunk(params, index).pii {
        Pii::People(v) => {
            let r = v.into_iter().find(|r| r.key == key).unwrap();
            (r.name, r.email, r.phone, r.address)
        }
        Pii::Survivors(v) => {
            let r = v.into_iter().find(|r| r.identity.key == key).unwrap().identity;
            (r.name, r.email, r.phone, r.address)
        }
    }
}

fn reveal_json(data_dir: &Path, masked: &str) -> serde_json::Value {
    let output = safehaven(&[
        "reveal",
        masked,
        "--identity",
        test_identity().path.to_str().unwrap(),
        "--reason",
        "test: round trip",
        "--json",
        "--data-dir",
        data_dir.to_str().unwrap(),
    ]);
    assert_exit(&output, 0);
    serde_json::from_slice(&output.stdout).unwrap()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn pii_never_appears_in_the_warehouse_logs_or_api_responses() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let recipient = test_identity().identity.recipient().to_string();
    let output = safehaven(&[
        "seed",
        "--customers",
        "400",
        "--seed",
        "5",
        "--recipient",
        &recipient,
        "--data-dir",
        data_dir.to_str().unwrap(),
    ]);
    assert_exit(&output, 0);
    let logs = [output.stdout.clone(), output.stderr.clone()].concat();

    // Decrypt a sample with the identity: customers and survivors, names, contacts and narratives.
    let warehouse = Warehouse::open_read_only(&warehouse::path_in(&data_dir)).unwrap();
    let masker = Masker::load_or_create(&data_dir).unwrap();
    let mut secrets = Vec::new();
    for masked in warehouse.people(15).unwrap() {
        let revealed = reveal_json(&data_dir, &masked.masked_id);
        for field in ["name", "email", "phone", "address"] {
            secrets.push(revealed[field].as_str().unwrap().to_owned());
        }
    }
    for masked in masker.mask_keys(Domain::Survivor, 5) {
        let revealed = reveal_json(&data_dir, masked.as_str());
        secrets.push(revealed["name"].as_str().unwrap().to_owned());
        secrets.push(revealed["phone"].as_str().unwrap().to_owned());
        for narrative in revealed["narratives"].as_array().unwrap() {
            secrets.push(narrative["text"].as_str().unwrap().to_owned());
        }
    }
    assert!(secrets.len() > 70);

    let mut files = Vec::new();
    for entry in std::fs::read_dir(&data_dir).unwrap().flatten() {
        files.push((entry.file_name(), std::fs::read(entry.path()).unwrap()));
    }
    for secret in &secrets {
        for (name, bytes) in &files {
            assert!(!contains(bytes, secret), "{secret:?} found in {name:?}");
        }
        assert!(!contains(&logs, secret), "{secret:?} found in seed's output");
    }
    // The audit log records the reveals, never what they showed.
    let audit = std::fs::read_to_string(data_dir.join("audit.log")).unwrap();
    assert_eq!(audit.lines().count(), 20);
}

#[tokio::test]
async fn api_responses_carry_no_pii() {
    let warehouse = open_shared();
    let masked = warehouse.people(3).unwrap();
    let params = Params { customers: crate::support::CUSTOMERS, seed: crate::support::SEED };
    let mut bodies = String::new();
    let survivor = assessed_survivor().await;
    let customer = crate::support::shared_customer();
    let run = crate::support::shared_chaos_run().await;
    let drill = crate::support::shared_drill_run().await;
    for (_, route, _) in
        API_ROUTES.iter().filter(|(method, route, _)| *method == "GET" && !crate::support::streams(route))
    {
        let route = crate::support::with_run(route, &run, &drill)
            .replace("{userId}", &survivor)
            .replace("{maskedId}", &customer)
            .replace("{table}", "regions.csv")
            .replace("{format}", "csv")
            .replace("{id}", "DL-0000001");
        let (status, _, body) = call_as(Some(token(Role::Admin)), Method::GET, &route).await;
        assert_eq!(status, StatusCode::OK, "{route}");
        bodies.push_str(&body);
    }
    for person in masked {
        let (kind, key) = warehouse.resolve(&person.masked_id).unwrap().unwrap();
        let (name, email, phone, _) = generated(&params, kind, key);
        for secret in [name, email, phone] {
            assert!(!bodies.contains(&secret), "{secret} in an API response");
        }
    }
}

#[test]
fn reveal_round_trip_matches_the_generator() {
    let warehouse = open_shared();
    let params = Params { customers: crate::support::CUSTOMERS, seed: crate::support::SEED };
    let masker = Masker::load_or_create(shared_data_dir()).unwrap();
    let mut ids: Vec<String> = warehouse.people(4).unwrap().into_iter().map(|p| p.masked_id).collect();
    ids.extend(masker.mask_keys(Domain::Survivor, 3).into_iter().map(|m| m.to_string()));
    for masked in ids {
        let (kind, key) = warehouse.resolve(&masked).unwrap().unwrap();
        let revealed = reveal_json(shared_data_dir(), &masked.to_lowercase());
        let (name, email, phone, address) = generated(&params, kind, key);
        assert_eq!(revealed["maskedId"], masked.as_str());
        assert_eq!(revealed["name"], name.as_str());
        assert_eq!(revealed["email"], email.as_str());
        assert_eq!(revealed["phone"], phone.as_str());
        assert_eq!(revealed["address"], address.as_str());
    }
}

#[test]
fn reveal_refuses_a_wrong_identity_an_empty_reason_and_unknown_ids() {
    let data_dir = shared_data_dir().to_str().unwrap();
    let masked = open_shared().people(1).unwrap().remove(0).masked_id;
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.txt");
    assert_exit(&safehaven(&["keygen", "--out", other.to_str().unwrap()]), 0);
    let identity = test_identity().path.to_str().unwrap();
    let cases: [(&[&str], i32, &str); 4] = [
        (&["--identity", other.to_str().unwrap(), "--reason", "x"], 2, "does not match"),
        (&["--identity", identity, "--reason", "  "], 2, "a reason is required"),
        (&["--identity", "/nonexistent/id.txt", "--reason", "x"], 2, "not found"),
        (&["--identity", "/etc/hostname", "--reason", "x"], 2, "holds no age identity"),
    ];
    for (extra, code, message) in cases {
        let mut args = vec!["reveal", masked.as_str(), "--data-dir", data_dir];
        args.extend_from_slice(extra);
        let output = safehaven(&args);
        assert_exit(&output, code);
        assert!(stderr(&output).contains(message), "{args:?}: {}", stderr(&output));
        assert!(stdout(&output).is_empty(), "nothing may be shown: {}", stdout(&output));
    }
    let missing =
        safehaven(&["reveal", &masked, "--identity", identity, "--reason", "x", "--data-dir", "/nonexistent"]);
    assert_exit(&missing, 2);
    assert!(stderr(&missing).contains("no warehouse"), "{}", stderr(&missing));
    let unknown =
        safehaven(&["reveal", "SH-0000-0000", "--identity", identity, "--reason", "x", "--data-dir", data_dir]);
    assert_exit(&unknown, 1);
    assert!(stderr(&unknown).contains("no person or survivor"), "{}", stderr(&unknown));
    let malformed = safehaven(&["reveal", "SH-12", "--identity", identity, "--reason", "x", "--data-dir", data_dir]);
    assert_exit(&malformed, 2);
    assert!(stderr(&malformed).contains("SH-XXXX-XXXX"), "{}", stderr(&malformed));
}

#[test]
fn audit_verify_names_an_edited_entry() {
    let dir = tempfile::tempdir().unwrap();
    seed_into(dir.path(), 300, 3, 2);
    let people = Warehouse::open_read_only(&warehouse::path_in(dir.path())).unwrap().people(3).unwrap();
    for person in &people {
        reveal_json(dir.path(), &person.masked_id);
    }
    let data_dir = dir.path().to_str().unwrap();
    let verify = safehaven(&["audit", "verify", "--data-dir", data_dir]);
    assert_exit(&verify, 0);
    assert!(stdout(&verify).contains("3 entries"));
    let show = safehaven(&["audit", "show", "--data-dir", data_dir]);
    assert!(stdout(&show).contains(&people[1].masked_id) && stdout(&show).contains("test: round trip"));

    let log = dir.path().join("audit.log");
    let original = std::fs::read_to_string(&log).unwrap();
    let edited = original.replacen("test: round trip", "nothing happened", 2).replacen(
        "nothing happened",
        "test: round trip",
        1,
    );
    std::fs::write(&log, edited).unwrap();
    let verify = safehaven(&["audit", "verify", "--data-dir", data_dir]);
    assert_exit(&verify, 1);
    assert!(stderr(&verify).contains("line 2"), "{}", stderr(&verify));

    let mut lines: Vec<&str> = original.lines().collect();
    lines.swap(0, 2);
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let verify = safehaven(&["audit", "verify", "--data-dir", data_dir]);
    assert_exit(&verify, 1);
    assert!(stderr(&verify).contains("line 1"), "{}", stderr(&verify));
}

/// A survivor with a stored assessment, for the routes that take `{userId}`.
async fn assessed_survivor() -> String {
    let id = open_shared().dv_cases(None).unwrap().remove(1).0;
    let body = serde_json::json!({ "userId": id });
    let (status, _, _) =
        call_json(Some(token(Role::Admin)), Method::POST, "/api/v1/risk-assessment/create", Some(body)).await;
    assert_eq!(status, StatusCode::OK);
    id
}

/// A valid request body for each POST route.
fn body_for(route: &str, survivor: &str) -> serde_json::Value {
    let answers =
        |n: usize, a: &str| (1..=n).map(|q| (format!("q{q}"), serde_json::json!(a))).collect::<serde_json::Map<_, _>>();
    match route {
        "/api/v1/screens/lap" => serde_json::json!({ "answers": answers(11, "no") }),
        "/api/v1/screens/dash" => serde_json::json!({ "answers": answers(24, "no"), "incidentsLast12Months": 0 }),
        r if r.ends_with("/risk-assessment/create") => serde_json::json!({ "userId": survivor }),
        r if r.ends_with("/close") => serde_json::json!({ "note": "role matrix check", "reason": "no_action" }),
        r if r.ends_with("/handoff") => serde_json::json!({}),
        r if r.starts_with("/api/v1/alerts/") => serde_json::json!({ "note": "role matrix check" }),
        "/api/v1/cases/{maskedId}/acknowledge" | "/api/v1/handoff/deliveries/{id}/replay" => serde_json::json!({}),
        "/api/v1/survivors" => serde_json::json!({
            "userId": "role-matrix", "region": "OH", "employed": true, "immigrationStatus": "citizen",
            "hasChildren": false, "supportNetwork": "strong", "pregnant": false, "recentSeparation": false,
            "perpetratorHasWeapons": false, "restrainingOrder": "none"
        }),
        r if r.ends_with("/incidents") => serde_json::json!({
            "date": "2025-11-01", "types": ["verbal"], "severity": 1, "strangulation": false, "weaponUsed": false,
            "weaponType": "none", "threatsToKill": false, "policeInvolved": false, "medicalAttention": false,
            "perpetratorRelationship": "spouse", "substanceUse": false, "extremeJealousy": false,
            "controllingBehavior": false
        }),
        "/api/v1/cases/{maskedId}/what-if" => serde_json::json!({ "medicalCostPct": 30, "incomePct": -10 }),
        "/api/v1/cases/{maskedId}/flag" => serde_json::json!({ "reason": "role matrix test" }),
        "/api/v1/chaos/runs" => serde_json::json!({ "scenario": "market_boom" }),
        "/api/v1/analyst/ask" => serde_json::json!({ "question": "high-risk share by region" }),
        "/api/v1/drills" => serde_json::json!({ "drill": "layoff_wave", "daysPerMinute": 100000 }),
        "/api/v1/drills/{runId}/actions" => {
            serde_json::json!({ "kind": "flag", "target": "SH-0000-0000", "note": "x" })
        }
        r if r.starts_with("/api/v1/drills/") => serde_json::json!({}),
        other => panic!("no body for {other}"),
    }
}

#[tokio::test]
async fn role_matrix_every_role_on_every_route() {
    let survivor = assessed_survivor().await;
    let customer = crate::support::shared_customer();
    let run = crate::support::shared_chaos_run().await;
    let drill = crate::support::shared_drill_run().await;
    for (method, route, permission) in API_ROUTES.iter().filter(|(_, route, _)| !crate::support::streams(route)) {
        let method: Method = method.parse().unwrap();
        let body = (method == Method::POST).then(|| body_for(route, &survivor));
        let route = &crate::support::with_run(route, &run, &drill)
            .replace("{userId}", &survivor)
            .replace("{alertId}", "AL-0000001")
            .replace("{maskedId}", &customer)
            .replace("{table}", "trends.parquet")
            .replace("{format}", "csv");
        let (status, _, text) = call_json(None, method.clone(), route, body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{route} without a token");
        assert!(text.contains("unauthenticated") || text.contains("sign in"), "{text}");
        let (status, _, _) = call_json(Some("sh_not-a-token"), method.clone(), route, body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{route} with a bad token");
        for role in Role::ALL {
            // An analyst chart's permission is its plan's figures' (the aggregates, for the plan `with_run` gives).
            let allowed = if route.starts_with("/api/v1/analyst/chart.svg") {
                role.may(safehaven::privacy::roles::Permission::Aggregates)
            } else {
                permission.is_none_or(|p| role.may(p))
            };
            let (status, _, text) = call_json(Some(token(role)), method.clone(), route, body.clone()).await;
            if !allowed {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role} on {method} {route}: {text}");
            } else if method == Method::GET {
                assert_eq!(status, StatusCode::OK, "{role} on {method} {route}: {text}");
            } else {
                // Acts may conflict with earlier ones (an alert already acknowledged), but never for want of rights.
                assert!(
                    ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&status),
                    "{role} on {route}: {text}"
                );
            }
        }
    }
}

#[tokio::test]
async fn me_says_who_and_what() {
    let (status, _, body) = call_as(Some(token(Role::Analyst)), Method::GET, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    let me: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(me["role"], "analyst");
    assert_eq!(me["permissions"], serde_json::json!(["aggregates", "caseList", "model", "participate"]));
}

#[test]
fn keygen_writes_a_private_identity_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("id.txt");
    let output = safehaven(&["keygen", "--out", path.to_str().unwrap()]);
    assert_exit(&output, 0);
    assert!(stdout(&output).trim().starts_with("age1") && stdout(&output).lines().count() == 1);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let before = std::fs::read(&path).unwrap();
    let again = safehaven(&["keygen", "--out", path.to_str().unwrap()]);
    assert_exit(&again, 2);
    assert!(stderr(&again).contains("never overwritten"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn user_add_prints_the_token_alone_and_stores_only_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    seed_into(dir.path(), 200, 1, 2);
    let data_dir = dir.path().to_str().unwrap();
    let output = safehaven(&["user", "add", "dana", "--role", "investigator", "--data-dir", data_dir]);
    assert_exit(&output, 0);
    let token = stdout(&output);
    assert_eq!(token.lines().count(), 1);
    assert!(token.starts_with("sh_"));
    let users = std::fs::read_to_string(dir.path().join("users.json")).unwrap();
    assert!(!users.contains(token.trim()) && users.contains("investigator"));
    let audit = std::fs::read_to_string(dir.path().join("audit.log")).unwrap();
    assert!(audit.contains("user.add") && !audit.contains(token.trim()));

    let duplicate = safehaven(&["user", "add", "dana", "--role", "admin", "--data-dir", data_dir]);
    assert_exit(&duplicate, 2);
    let unknown_role = safehaven(&["user", "add", "eve", "--role", "root", "--data-dir", data_dir]);
    assert_exit(&unknown_role, 2);
    assert!(stderr(&unknown_role).contains("executive"), "{}", stderr(&unknown_role));
    assert_eq!(std::fs::read_to_string(dir.path().join("users.json")).unwrap(), users);
}

#[test]
fn bad_recipient_and_k_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let output = safehaven(&[
        "seed",
        "--customers",
        "100",
        "--recipient",
        "age1bogus",
        "--data-dir",
        data_dir.to_str().unwrap(),
    ]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("not an age recipient"), "{}", stderr(&output));
    assert!(!data_dir.exists());
    let output = safehaven(&["serve", "--k", "1", "--port", "0", "--data-dir", shared_data_dir().to_str().unwrap()]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("k must be at least 2"), "{}", stderr(&output));
}

#[test]
fn first_seed_without_a_recipient_writes_an_identity_next_to_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("site");
    let output = safehaven(&["seed", "--customers", "150", "--data-dir", data_dir.to_str().unwrap()]);
    assert_exit(&output, 0);
    let identity = dir.path().join("site.identity.txt");
    assert!(identity.is_file(), "{}", stderr(&output));
    assert!(stderr(&output).contains("site.identity.txt"));
    let config = std::fs::read_to_string(data_dir.join("appliance.toml")).unwrap();
    assert!(config.contains("recipient = \"age1"));
    assert!(
        !std::fs::read_dir(&data_dir)
            .unwrap()
            .flatten()
            .any(|e| { std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("AGE-SECRET-KEY")) }),
        "the identity must never be inside the data dir"
    );
    // Reseeding reuses the installation's recipient: the same identity still reveals.
    let again = safehaven(&["seed", "--force", "--customers", "150", "--data-dir", data_dir.to_str().unwrap()]);
    assert_exit(&again, 0);
    let masked =
        Warehouse::open_read_only(&warehouse::path_in(&data_dir)).unwrap().people(1).unwrap().remove(0).masked_id;
    let output = safehaven(&[
        "reveal",
        &masked,
        "--identity",
        identity.to_str().unwrap(),
        "--reason",
        "check",
        "--data-dir",
        data_dir.to_str().unwrap(),
    ]);
    assert_exit(&output, 0);
}

#[test]
fn reveal_covers_survivors_created_through_the_api() {
    use safehaven::privacy::vault::Sealer;
    use safehaven::warehouse::service::{NewSurvivor, Service};
    let dir = tempfile::tempdir().unwrap();
    seed_into(dir.path(), 200, 1, 2);
    let masked = Masker::load_or_create(dir.path()).unwrap().mask(Domain::ExternalUser, b"app-user-9", 0);
    let sealer = Sealer::new(test_identity().identity.recipient());
    let (_, profile, incidents) = open_shared().dv_cases(None).unwrap().remove(0);
    {
        let service = Service::open(dir.path()).unwrap();
        let contact = serde_json::json!({ "name": "Api Person", "phone": "+1 (555) 010-4242", "email": null });
        service
            .append_sealed(masked.as_str(), "survivor", None, &sealer.seal(contact.to_string().into_bytes()).unwrap())
            .unwrap();
        service.add_survivor(masked.as_str(), &NewSurvivor { region: "OH", profile }, "now").unwrap();
        let number = service.add_incident(masked.as_str(), &incidents[0], "now").unwrap();
        let narrative = serde_json::json!({ "narrative": "He took my keys." });
        service
            .append_sealed(
                masked.as_str(),
                "narrative",
                Some(number),
                &sealer.seal(narrative.to_string().into_bytes()).unwrap(),
            )
            .unwrap();
    }
    let output = safehaven(&[
        "reveal",
        masked.as_str(),
        "--identity",
        test_identity().path.to_str().unwrap(),
        "--reason",
        "hand-off approved",
        "--json",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_exit(&output, 0);
    let revealed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(revealed["name"], "Api Person");
    assert_eq!(revealed["phone"], "+1 (555) 010-4242");
    assert_eq!(revealed["email"], serde_json::Value::Null);
    assert_eq!(revealed["narratives"][0]["text"], "He took my keys.");
    let audit = std::fs::read_to_string(dir.path().join("audit.log")).unwrap();
    assert!(audit.contains(masked.as_str()) && audit.contains("hand-off approved") && !audit.contains("Api Person"));
}
