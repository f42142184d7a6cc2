//! Webhooks for real: the binary serving a data dir, and receivers on 127.0.0.1 (axum, in this process) that
//! check every Standard Webhooks signature and answer 2xx, 500 then 429 with `Retry-After`, 410, or too slowly.
//! Each event arrives once per destination after its retries; dead letters appear when the schedule is spent or
//! the destination is gone, are counted in `/metrics` without IDs, and replay under the same `webhook-id`; a
//! `kill -9` of the server mid-delivery loses nothing and duplicates nothing beyond the receiver's idempotency key.

use crate::support::binary::{Server, assert_exit, safehaven, serve, stdout};
use safehaven::handoff::webhook::Secret;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// One request a receiver took.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub id: String,
    pub body: Value,
    pub verified: bool,
    pub at: Instant,
    pub answered: Option<u16>,
}

/// Receivers on one loopback port: `/ok`, `/flaky`, `/gone`, `/slow` and `/hold` (answers after 1.5 s).
pub struct Receiver {
    pub base: String,
    pub log: Arc<Mutex<Vec<Received>>>,
    /// Once set, `/gone` answers 200: the receiver came back.
    pub back: Arc<AtomicBool>,
}

impl Receiver {
    pub fn start() -> Receiver {
        let log: Arc<Mutex<Vec<Received>>> = Arc::default();
        let back = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel();
        let (l, b) = (log.clone(), back.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let app = axum::Router::new()
                    .fallback(move |request: axum::extract::Request| receive(request, l.clone(), b.clone()));
                axum::serve(listener, app).await.unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        Receiver { base: format!("http://{addr}"), log, back }
    }

    pub fn received(&self, path: &str) -> Vec<Received> {
        self.log.lock().unwrap().iter().filter(|r| r.path == path).cloned().collect()
    }
}

async fn receive(
    request: axum::extract::Request,
    log: Arc<Mutex<Vec<Received>>>,
    back: Arc<AtomicBool>,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let path = request.uri().path().to_owned();
    let (id, timestamp, signature) = {
        let header =
            |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        (header("webhook-id"), header("webhook-timestamp"), header("webhook-signature"))
    };
    let bytes = axum::body::to_bytes(request.into_body(), 1 << 20).await.unwrap_or_default();
    let secret = Secret::parse(SECRET).unwrap();
    let verified = timestamp.parse::<i64>().is_ok_and(|ts| {
        (chrono::Utc::now().timestamp() - ts).abs() < 300 && secret.verify(&id, ts, &bytes, &signature)
    });
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let index = {
        let mut log = log.lock().unwrap();
        log.push(Received { path: path.clone(), id: id.clone(), body, verified, at: Instant::now(), answered: None });
        log.len() - 1
    };
    let earlier = log.lock().unwrap().iter().filter(|r| r.path == path && r.id == id).count();
    let (status, extra): (StatusCode, Option<(&str, &str)>) = if !verified {
        (StatusCode::UNAUTHORIZED, None)
    } else {
        match path.as_str() {
            "/flaky" if earlier == 1 => (StatusCode::INTERNAL_SERVER_ERROR, None),
            "/flaky" if earlier == 2 => (StatusCode::TOO_MANY_REQUESTS, Some(("retry-after", "1"))),
            "/gone" if !back.load(Ordering::SeqCst) => (StatusCode::GONE, None),
            "/slow" => {
                tokio::time::sleep(Duration::from_secs(2)).await;
                (StatusCode::OK, None)
            }
            "/hold" => {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                (StatusCode::NO_CONTENT, None)
            }
            _ => (StatusCode::NO_CONTENT, None),
        }
    };
    log.lock().unwrap()[index].answered = Some(status.as_u16());
    match extra {
        Some(h) => (status, [h]).into_response(),
        None => status.into_response(),
    }
}

/// A small warehouse with an admin and an advocate; their tokens.
pub fn data_dir_with_users(dir: &Path) -> (String, String) {
    crate::support::seed_into(dir, 200, 3, 2);
    let data_dir = dir.to_str().unwrap();
    let token = |name: &str, role: &str| {
        let output = safehaven(&["user", "add", name, "--role", role, "--data-dir", data_dir]);
        assert_exit(&output, 0);
        stdout(&output).trim().to_owned()
    };
    (token("ada", "admin"), token("avery", "advocate"))
}

/// Adds a webhook through the CLI (its secret on stdin), then sets its retries and timeout in appliance.toml.
pub fn add_webhook(dir: &Path, name: &str, url: &str, retry_seconds: &[f64], timeout: f64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_safehaven"))
        .args([
            "handoff",
            "webhook",
            "add",
            "--name",
            name,
            "--url",
            url,
            "--secret-stdin",
            "--data-dir",
            dir.to_str().unwrap(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{SECRET}\n").as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_exit(&output, 0);
    assert!(stdout(&output).is_empty(), "a secret given on stdin is not printed back");
    let path = dir.join("appliance.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("C2FVsBQIhrscChlQIMV"), "the secret is sealed at rest:\n{text}");
    let retry = retry_seconds.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ");
    let text = text.replace(
        &format!("name = \"{name}\"\n"),
        &format!("name = \"{name}\"\nretry_seconds = [{retry}]\ntimeout_seconds = {timeout:?}\n"),
    );
    std::fs::write(&path, text).unwrap();
}

/// Opens `n` alerts through the API: survivors created and screened in by the LAP.
pub fn open_alerts(server: &Server, advocate: &str, prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let user = format!("{prefix}-{i}");
            let survivor = json!({
                "userId": user, "region": "OH", "employed": true, "immigrationStatus": "citizen", "hasChildren": false,
                "supportNetwork": "strong", "pregnant": false, "recentSeparation": false,
                "perpetratorHasWeapons": false, "restrainingOrder": "none"
            });
            let (status, body) = server.call("POST", "/api/v1/survivors", advocate, Some(survivor));
            assert_eq!(status, 201, "{body}");
            let answers: serde_json::Map<String, Value> =
                (1..=11).map(|q| (format!("q{q}"), json!(if q == 1 { "yes" } else { "no" }))).collect();
            let (status, screen) = server.call(
                "POST",
                "/api/v1/screens/lap",
                advocate,
                Some(json!({ "userId": user, "answers": answers })),
            );
            assert_eq!(status, 200, "{screen}");
            screen["alertId"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// Waits up to `seconds` for `done`.
pub fn wait_for(seconds: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !done() {
        assert!(Instant::now() < deadline, "waited {seconds} s for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn deliveries(server: &Server, admin: &str) -> Vec<Value> {
    let (status, body) = server.call("GET", "/api/v1/handoff/deliveries", admin, None);
    assert_eq!(status, 200, "{body}");
    body["deliveries"].as_array().unwrap().clone()
}

#[test]
fn webhooks_arrive_once_signed_retry_dead_letter_and_replay() {
    let receiver = Receiver::start();
    let dir = tempfile::tempdir().unwrap();
    let (admin, advocate) = data_dir_with_users(dir.path());
    let base = &receiver.base;
    add_webhook(dir.path(), "ok", &format!("{base}/ok"), &[0.2, 0.2], 5.0);
    add_webhook(dir.path(), "flaky", &format!("{base}/flaky"), &[0.2, 0.2, 0.2], 5.0);
    add_webhook(dir.path(), "gone", &format!("{base}/gone"), &[0.2], 5.0);
    add_webhook(dir.path(), "slow", &format!("{base}/slow"), &[0.2, 0.2], 0.5);
    let server = serve(dir.path());
    let alerts = open_alerts(&server, &advocate, "hook", 3);
    let (status, body) =
        server.call("POST", &format!("/api/v1/alerts/{}/acknowledge", alerts[0]), &advocate, Some(json!({})));
    assert_eq!(status, 200, "{body}");
    let events = 4;

    wait_for(30, "every delivery to settle", || {
        let d = deliveries(&server, &admin);
        d.len() == 4 * events && d.iter().all(|d| d["status"] != "pending")
    });
    let by_destination = |name: &str| -> Vec<Value> {
        deliveries(&server, &admin).into_iter().filter(|d| d["destination"] == name).collect()
    };
    // ok: each event once, signed.
    let ok = receiver.received("/ok");
    assert_eq!(ok.len(), events, "{ok:#?}");
    assert!(ok.iter().all(|r| r.verified && r.answered == Some(204)));
    let ids: BTreeSet<&str> = ok.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), events, "one webhook-id per event");
    assert!(by_destination("ok").iter().all(|d| d["status"] == "delivered" && d["attempts"] == 1));
    let types: BTreeSet<&str> = ok.iter().map(|r| r.body["type"].as_str().unwrap()).collect();
    assert_eq!(types, BTreeSet::from(["alert.opened", "alert.acknowledged"]));
    for r in &ok {
        assert_eq!(r.body["data"]["signalId"].as_str().unwrap(), r.id.split('.').next().unwrap());
        let text = r.body.to_string();
        assert!(!text.contains("hook-") && !text.contains("avery"), "nothing personal in a webhook: {text}");
    }
    // flaky: 500, then 429 with Retry-After: 1 (honoured), then accepted; each event once at the end.
    let flaky = receiver.received("/flaky");
    let mut per_id: BTreeMap<&str, Vec<&Received>> = BTreeMap::new();
    for r in &flaky {
        per_id.entry(r.id.as_str()).or_default().push(r);
    }
    assert_eq!(per_id.len(), events);
    for (id, tries) in &per_id {
        let answers: Vec<Option<u16>> = tries.iter().map(|r| r.answered).collect();
        assert_eq!(answers, [Some(500), Some(429), Some(204)], "{id}");
        let waited = tries[2].at - tries[1].at;
        assert!(waited >= Duration::from_millis(950), "{id}: Retry-After: 1 was honoured ({waited:?})");
    }
    assert!(by_destination("flaky").iter().all(|d| d["status"] == "delivered" && d["attempts"] == 3));
    // gone: 410 disables the destination; everything for it is a dead letter.
    assert_eq!(receiver.received("/gone").len(), 1, "nothing more is sent after 410");
    let gone = by_destination("gone");
    assert!(gone.iter().all(|d| d["status"] == "dead"), "{gone:#?}");
    let (_, listing) = server.call("GET", "/api/v1/handoff/deliveries?status=dead", &admin, None);
    let destination = listing["destinations"].as_array().unwrap().iter().find(|d| d["name"] == "gone").unwrap().clone();
    assert!(destination["disabledAt"].is_string(), "{destination}");
    // slow: every attempt times out; the schedule (3 attempts) spent, dead letters.
    assert!(by_destination("slow").iter().all(|d| d["status"] == "dead" && d["attempts"] == 3));
    let metrics = server.text("/metrics");
    assert!(metrics.contains(r#"safehaven_handoff_deliveries{destination="slow",status="dead"} 4"#), "{metrics}");
    assert!(metrics.contains(r#"safehaven_handoff_deliveries{destination="ok",status="delivered"} 4"#));
    assert!(!metrics.contains("SH-A-") && !metrics.contains("DL-"), "metrics carry no IDs");

    // The receiver comes back: a replay of the dead letter it refused goes out under the same webhook-id.
    receiver.back.store(true, Ordering::SeqCst);
    let first = receiver.received("/gone")[0].id.clone();
    let refused = gone.iter().find(|d| d["attempts"] == 1).unwrap()["deliveryId"].as_str().unwrap().to_owned();
    let (status, _) =
        server.call("POST", &format!("/api/v1/handoff/deliveries/{refused}/replay"), &advocate, Some(json!({})));
    assert_eq!(status, 403, "replay is the admin's");
    let (status, replayed) =
        server.call("POST", &format!("/api/v1/handoff/deliveries/{refused}/replay"), &admin, Some(json!({})));
    assert_eq!((status, replayed["status"].as_str()), (200, Some("pending")), "{replayed}");
    wait_for(10, "the replay", || receiver.received("/gone").len() == 2);
    let again = &receiver.received("/gone")[1];
    assert_eq!((again.id.as_str(), again.answered), (first.as_str(), Some(204)), "same webhook-id");
    wait_for(10, "the replay to be recorded", || {
        by_destination("gone").iter().any(|d| d["deliveryId"] == refused.as_str() && d["status"] == "delivered")
    });
    let (_, listing) = server.call("GET", "/api/v1/handoff/deliveries", &admin, None);
    let destination = listing["destinations"].as_array().unwrap().iter().find(|d| d["name"] == "gone").unwrap().clone();
    assert!(destination["disabledAt"].is_null(), "a replay enables the destination again: {destination}");
    let audit = std::fs::read_to_string(dir.path().join("audit.log")).unwrap();
    assert!(audit.contains("handoff.replay") && audit.contains(&refused));
}

#[test]
fn a_kill_mid_delivery_loses_nothing_and_the_receiver_deduplicates() {
    let receiver = Receiver::start();
    let dir = tempfile::tempdir().unwrap();
    let (_admin, advocate) = data_dir_with_users(dir.path());
    add_webhook(dir.path(), "relay", &format!("{}/hold", receiver.base), &[0.2, 0.2, 0.2], 5.0);
    let server = serve(dir.path());
    let alerts = open_alerts(&server, &advocate, "kill", 2);
    // The receiver holds each request 1.5 s: kill the server while the first is in flight.
    wait_for(10, "a delivery in flight", || receiver.received("/hold").iter().any(|r| r.answered.is_none()));
    server.kill();
    let server = serve(dir.path());
    let more = open_alerts(&server, &advocate, "after", 1);
    let expected = alerts.len() + more.len();
    wait_for(30, "every event to be accepted", || {
        let accepted: BTreeSet<String> =
            receiver.received("/hold").into_iter().filter(|r| r.answered == Some(204)).map(|r| r.id).collect();
        accepted.len() == expected
    });
    std::thread::sleep(Duration::from_millis(500));
    let all = receiver.received("/hold");
    let ids: BTreeSet<&str> = all.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), expected, "no event lost, none made up: {all:#?}");
    let extra = all.len() - expected;
    assert!(extra <= 2, "only what was in flight at the kill is sent again ({extra} repeats): {all:#?}");
    assert!(all.iter().all(|r| r.verified));
    drop(server);
    eprintln!(
        "kill -9 mid-delivery: {expected} events, {} requests received, {extra} re-sent under the same webhook-id",
        all.len()
    );
}

#[test]
fn a_webhook_outside_the_allowed_networks_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    crate::support::seed_into(dir.path(), 200, 3, 2);
    let data_dir = dir.path().to_str().unwrap();
    let output = safehaven(&[
        "handoff",
        "webhook",
        "add",
        "--name",
        "crm",
        "--url",
        "http://10.9.8.7/hooks",
        "--data-dir",
        data_dir,
    ]);
    assert_exit(&output, 2);
    assert!(crate::support::binary::stderr(&output).contains("outside the allowed networks (loopback only"));
    assert!(
        !dir.path().join("appliance.toml").exists()
            || !std::fs::read_to_string(dir.path().join("appliance.toml")).unwrap().contains("crm")
    );
    // Written by hand around the check: the server refuses to start.
    add_webhook(dir.path(), "relay", "http://127.0.0.1:9/hooks", &[1.0], 1.0);
    let path = dir.path().join("appliance.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace("http://127.0.0.1:9/hooks", "http://10.9.8.7/hooks");
    std::fs::write(&path, &text).unwrap();
    let output = safehaven(&["serve", "--port", "0", "--data-dir", data_dir]);
    assert_exit(&output, 2);
    assert!(
        crate::support::binary::stderr(&output).contains("webhook `relay`"),
        "{}",
        crate::support::binary::stderr(&output)
    );
    // Listed, it is allowed: the server starts.
    let allowed = text.replacen(
        "[[handoff.webhook]]",
        "[handoff]\nallowed_networks = [\"10.9.8.0/24\"]\n\n[[handoff.webhook]]",
        1,
    );
    std::fs::write(&path, &allowed).unwrap();
    drop(serve(dir.path()));
    // A plaintext secret is refused, with the command that seals it.
    let plain = std::fs::read_to_string(&path).unwrap();
    let sealed = plain.lines().find(|l| l.starts_with("secret = ")).unwrap().to_owned();
    std::fs::write(&path, plain.replace(&sealed, &format!("secret = \"{SECRET}\""))).unwrap();
    let output = safehaven(&["serve", "--port", "0", "--data-dir", data_dir]);
    assert_exit(&output, 2);
    assert!(
        crate::support::binary::stderr(&output).contains("not sealed"),
        "{}",
        crate::support::binary::stderr(&output)
    );
}
