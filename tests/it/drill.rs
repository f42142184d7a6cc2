//! Drills: a live run through the API (SSE in log order, trainee actions checked and audited, pause, resume,
//! stop, one drill at a time, nothing written for a refused action), the debrief, deterministic replay with
//! scripted actions, and the CLI (bad input, hand-off to a running server, `report --replay`).

use crate::support::http::{send, state_in};
use crate::support::{
    assert_exit, open_shared, safehaven, seed_into, shared_data_dir, shared_portfolio, stderr, stdout, token,
};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use safehaven::chaos::drill::{self, Action, ActionKind, Entry, Line};
use safehaven::privacy::KGuard;
use safehaven::privacy::roles::Role;
use safehaven::server::router;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// An application on the shared warehouse whose drills, audit log and users live in `dir`.
fn drill_app(dir: &Path) -> axum::Router {
    std::fs::copy(shared_data_dir().join("users.json"), dir.join("users.json")).unwrap();
    router(state_in(dir))
}

async fn call(app: &axum::Router, role: Role, method: Method, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let (status, _, text) =
        send(app.clone(), Some(token(role)), method, uri, body.map(|b| b.to_string().into_bytes()), "application/json")
            .await;
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Reads the live event stream until `until` has been seen (or 30 s pass): (SSE event name, id, data) in order.
async fn read_stream(app: axum::Router, until: &'static str) -> Vec<(String, Option<u64>, Value)> {
    let request = Request::builder()
        .uri("/api/v1/drills/live/events")
        .header(header::AUTHORIZATION, format!("Bearer {}", token(Role::Executive)))
        .body(Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/event-stream"));
    let mut body = response.into_body();
    let (mut buffer, mut out) = (String::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let Ok(Some(Ok(frame))) = tokio::time::timeout(Duration::from_secs(30), body.frame()).await else { break };
        let Ok(data) = frame.into_data() else { continue };
        buffer.push_str(&String::from_utf8_lossy(&data));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let (mut kind, mut id, mut data) = (String::new(), None, String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    kind = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if kind.is_empty() {
                continue; // keep-alive comment
            }
            let done = kind == until;
            out.push((kind, id, serde_json::from_str(&data).unwrap_or(Value::Null)));
            if done {
                return out;
            }
        }
    }
    out
}

/// Polls the live run until `ready` holds for its state.
async fn live_until(app: &axum::Router, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, live) = call(app, Role::Executive, Method::GET, "/api/v1/drills/live", None).await;
        assert_eq!(status, StatusCode::OK);
        if ready(&live["state"]) {
            return live;
        }
        assert!(Instant::now() < deadline, "the drill never reached the expected state: {live}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn items_of(state: &Value, kind: &str) -> Vec<String> {
    state["items"]
        .as_object()
        .unwrap()
        .values()
        .filter(|i| i["kind"] == kind)
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

fn log_lines(dir: &Path, run_id: &str) -> usize {
    std::fs::read_to_string(dir.join("drills").join(format!("{run_id}.jsonl"))).unwrap().lines().count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_drill_streams_in_order_takes_checked_actions_and_debriefs() {
    let dir = tempfile::tempdir().unwrap();
    let app = drill_app(dir.path());
    let stream = tokio::spawn(read_stream(app.clone(), "finish"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    // layoff_wave: 180 drill days; at 1,200 days per minute it lasts 9 s, which leaves the actions below over six
    // seconds between the alert burst and the end, however loaded the machine.
    let start = json!({ "drill": "layoff_wave", "daysPerMinute": 1200 });
    let (status, started) = call(&app, Role::Trainer, Method::POST, "/api/v1/drills", Some(start.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let run_id = started["state"]["runId"].as_str().unwrap().to_owned();
    let base = format!("/api/v1/drills/{run_id}");

    // One drill at a time; a bad start says what was wrong.
    let (status, again) = call(&app, Role::Trainer, Method::POST, "/api/v1/drills", Some(start)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert!(again["error"]["message"].as_str().unwrap().contains("one drill at a time"));
    let (status, bad) =
        call(&app, Role::Trainer, Method::POST, "/api/v1/drills", Some(json!({ "drill": "tsunami" }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad["error"]["message"].as_str().unwrap().contains("winter_surge"), "{bad}");
    for speed in [json!(-1), json!(1e-20), json!(1e9)] {
        let body = json!({ "drill": "layoff_wave", "daysPerMinute": speed });
        let (status, error) = call(&app, Role::Trainer, Method::POST, "/api/v1/drills", Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert!(error["error"]["message"].as_str().unwrap().starts_with("daysPerMinute: must be between"), "{error}");
    }
    let (status, _) =
        call(&app, Role::Analyst, Method::POST, "/api/v1/drills", Some(json!({ "drill": "layoff_wave" }))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "starting a drill is the trainer's");

    // The alert burst at day 45 (2.25 s in), once the run also holds a case: the assertions below need both.
    let live = live_until(&app, |s| !items_of(s, "alert").is_empty() && !items_of(s, "case").is_empty()).await;
    // People behind cases and alerts only for the roles that may see them.
    let (_, seen_by_investigator) = call(&app, Role::Investigator, Method::GET, "/api/v1/drills/live", None).await;
    let (_, seen_by_advocate) = call(&app, Role::Advocate, Method::GET, "/api/v1/drills/live", None).await;
    let first_of = |doc: &Value, list: &str| {
        doc["state"]["events"].as_array().unwrap().iter().find_map(|e| e[list].as_array()?.first().cloned()).unwrap()
    };
    assert!(first_of(&seen_by_investigator, "cases")["maskedId"].as_str().unwrap().starts_with("SH-"));
    assert!(first_of(&seen_by_investigator, "alerts").get("maskedId").is_none());
    assert!(first_of(&seen_by_advocate, "alerts")["maskedId"].is_string());
    assert!(first_of(&seen_by_advocate, "cases").get("maskedId").is_none());
    assert!(!live.to_string().contains("maskedId"), "the executive sees no one's masked ID");
    let case = items_of(&live["state"], "case")[0].clone();
    let alert = items_of(&live["state"], "alert")[0].clone();
    let action = |kind: &str, target: &str, note: &str| Some(json!({ "kind": kind, "target": target, "note": note }));
    let actions = format!("{base}/actions");
    let (status, flagged) =
        call(&app, Role::Investigator, Method::POST, &actions, action("flag", &case, "job loss")).await;
    assert_eq!(status, StatusCode::CREATED, "{flagged}");
    let (status, _) = call(&app, Role::Advocate, Method::POST, &actions, action("acknowledge", &alert, "")).await;
    assert_eq!(status, StatusCode::CREATED);
    let refused = [
        (Role::Investigator, action("flag", &case, "again"), StatusCode::CONFLICT, "already flagged"),
        (Role::Investigator, action("acknowledge", &alert, ""), StatusCode::FORBIDDEN, "DV service"),
        (Role::Advocate, action("escalate", &alert, ""), StatusCode::UNPROCESSABLE_ENTITY, "required for escalate"),
        (Role::Advocate, action("flag", &alert, "x"), StatusCode::UNPROCESSABLE_ENTITY, "applies to cases"),
        (Role::Advocate, action("acknowledge", "DA-99-1", ""), StatusCode::NOT_FOUND, "no case or alert"),
        (Role::Trainer, action("handoff", &case, "x"), StatusCode::FORBIDDEN, "masked case lists"),
    ];
    for (role, body, expected, says) in refused {
        let (status, error) = call(&app, role, Method::POST, &actions, body).await;
        assert_eq!(status, expected, "{error}");
        assert!(error["error"]["message"].as_str().unwrap().contains(says), "{error}");
    }
    let (status, _) =
        call(&app, Role::Advocate, Method::POST, &actions, Some(json!({ "kind": "shout", "target": alert }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = call(&app, Role::Trainer, Method::GET, &format!("{base}/report"), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "no debrief while running");

    // Every participant's stream: a snapshot, then every log line in order, ending with the finish.
    let seen = stream.await.unwrap();
    assert_eq!(seen[0].0, "snapshot");
    assert!(seen.iter().all(|(_, _, data)| !data.to_string().contains("maskedId")), "redacted for the executive");
    assert!(!seen.iter().any(|(_, _, data)| data.to_string().contains("job loss")), "notes are not the executive's");
    assert!(
        seen.iter().all(|(_, _, d)| d["event"]["alerts"]
            .as_array()
            .is_none_or(|a| a.iter().all(|x| x.get("reason").is_none())))
    );
    assert!(seen.iter().any(|(kind, _, data)| kind == "event" && data["event"]["cases"][0]["caseId"].is_string()));
    let ids: Vec<u64> = seen[1..].iter().map(|(_, id, _)| id.expect("an id")).collect();
    assert_eq!(ids, (0..ids.len() as u64).collect::<Vec<_>>(), "consecutive log sequence numbers");
    let kinds: Vec<&str> = seen[1..].iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"start"));
    assert_eq!(kinds.iter().filter(|k| **k == "event").count(), 6);
    assert_eq!(kinds.iter().filter(|k| **k == "action").count(), 2);
    assert_eq!(kinds.last(), Some(&"finish"));
    let days: Vec<f64> = seen[1..].iter().map(|(_, _, d)| d["day"].as_f64().unwrap()).collect();
    assert!(days.windows(2).all(|w| w[0] <= w[1]), "drill time never runs backwards: {days:?}");
    let log = std::fs::read_to_string(dir.path().join("drills").join(format!("{run_id}.jsonl"))).unwrap();
    assert_eq!(log.lines().count(), ids.len(), "the stream carries exactly the log");
    assert_eq!(log.lines().filter(|l| l.contains("\"entry\":\"action\"")).count(), 2, "refused actions wrote nothing");

    // Finished: actions and controls are refused, nothing is written; the debrief is ready.
    let lines = log_lines(dir.path(), &run_id);
    let (status, error) =
        call(&app, Role::Investigator, Method::POST, &actions, action("handoff", &case, "late")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(error["error"]["message"].as_str().unwrap().contains("has finished"), "{error}");
    let (status, error) = call(&app, Role::Trainer, Method::POST, &format!("{base}/pause"), None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(error["error"]["message"].as_str().unwrap().contains("nothing to pause"), "{error}");
    assert_eq!(log_lines(dir.path(), &run_id), lines);
    let (status, report) = call(&app, Role::Trainer, Method::GET, &format!("{base}/report"), None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!((report["status"].as_str(), report["totals"]["actions"].as_u64()), (Some("finished"), Some(2)));
    assert_eq!(report["eventsReleased"], 6);
    let flag = report["items"].as_array().unwrap().iter().find(|i| i["id"] == case.as_str()).unwrap();
    assert_eq!(flag["firstAction"], "flag");
    let roles: Vec<&str> = report["roles"].as_array().unwrap().iter().map(|r| r["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["advocate", "investigator"]);
    let (status, content_type, html) =
        send(app.clone(), Some(token(Role::Trainer)), Method::GET, &format!("{base}/report.html"), None, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"));
    assert!(html.contains("Drill debrief") && html.matches("<svg").count() == 2, "two charts");
    let (status, _) = call(&app, Role::Investigator, Method::GET, &format!("{base}/report"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the debrief is the trainer's");

    // Audited with drill time and wall time, by the user who acted.
    let audit = std::fs::read_to_string(dir.path().join("audit.log")).unwrap();
    let entry = audit.lines().find(|l| l.contains("\"drill.flag\"")).expect("the flag is audited");
    assert!(entry.contains("test-investigator") && entry.contains("drill day") && entry.contains("wall 20"), "{entry}");
    assert!(audit.contains("\"drill.start\"") && audit.contains("\"drill.acknowledge\""));

    // The log replays to itself, so its report is the same.
    let log: Vec<Line> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let timeline = timeline_for(&log);
    assert_eq!(drill::replay(&log, &timeline), log);

    // Unknown and malformed run IDs.
    let (status, _) =
        call(&app, Role::Trainer, Method::GET, "/api/v1/drills/DR-20000101-000000-000000/report", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&app, Role::Trainer, Method::GET, "/api/v1/drills/..%2F..%2Fetc/report", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The timeline of a log's drill on the shared population.
fn timeline_for(log: &[Line]) -> Vec<drill::Event> {
    let Entry::Start { drill, .. } = &log[0].entry else { panic!("a start") };
    timeline_of(drill)
}

pub fn timeline_of(drill: &drill::Drill) -> Vec<drill::Event> {
    let portfolio = shared_portfolio();
    let warehouse = open_shared();
    let survivors = warehouse.dv_input().unwrap();
    let guard = KGuard::default();
    let world = drill::World {
        artifact: portfolio.artifact(),
        population: portfolio.population(),
        ids: portfolio.ids(),
        survivors: &survivors,
        guard: &guard,
    };
    drill::timeline(drill, &world).unwrap()
}

/// A drill run in drill time from its timeline and scripted actions (what a run logs, without a clock).
fn scripted_run(run_id: &str, drill: &drill::Drill, actions: &[(f64, Role, Action)]) -> Vec<Line> {
    let timeline = timeline_of(drill);
    let mut log = vec![Line {
        seq: 0,
        day: 0.0,
        wall: "w".into(),
        entry: Entry::Start {
            run_id: run_id.into(),
            drill: drill.clone(),
            model_version: shared_portfolio().artifact().version.clone(),
            people: 2000,
            survivors: 0,
            role: "trainer".into(),
            k: None,
        },
    }];
    for (day, role, action) in actions {
        log.push(Line {
            seq: 0,
            day: *day,
            wall: "w".into(),
            entry: Entry::Action { role: role.name().into(), actor: format!("test-{role}"), action: action.clone() },
        });
    }
    log.push(Line { seq: 0, day: drill.duration(), wall: "w".into(), entry: Entry::Finish });
    drill::replay(&log, &timeline)
}

/// Three scripted actions on the winter_surge drill's first case and first alert.
fn scripted_actions(timeline: &[drill::Event]) -> Vec<(f64, Role, Action)> {
    let case = timeline.iter().find_map(|e| e.cases.first()).unwrap().case_id.clone();
    let alert = timeline.iter().find_map(|e| e.alerts.first()).unwrap().alert_id.clone();
    let acted = |kind, target: &str| Action { kind, target: target.into(), note: "scripted".into() };
    vec![
        (1.25, Role::Investigator, acted(ActionKind::Flag, &case)),
        (5.5, Role::Advocate, acted(ActionKind::Acknowledge, &alert)),
        (9.0, Role::Advocate, acted(ActionKind::Escalate, &alert)),
    ]
}

/// The debrief of winter_surge on the shared population with the scripted actions (a snapshot holds it).
pub fn scripted_winter_report() -> drill::Report {
    let winter = drill::preset("winter_surge").unwrap().unwrap();
    let actions = scripted_actions(&timeline_of(&winter));
    drill::report(&scripted_run("DR-20261123-100000-aaaaaa", &winter, &actions)).unwrap()
}

#[test]
fn the_same_drill_seed_and_actions_give_the_same_report() {
    let winter = drill::preset("winter_surge").unwrap().unwrap();
    let first = timeline_of(&winter);
    let actions = scripted_actions(&first);
    let one = drill::report(&scripted_run("DR-20261123-100000-aaaaaa", &winter, &actions)).unwrap();
    let two = drill::report(&scripted_run("DR-20261123-100000-aaaaaa", &winter, &actions)).unwrap();
    assert_eq!(one, two);
    let html = safehaven::charts::drill::report_html(&one).unwrap();
    assert_eq!(html, safehaven::charts::drill::report_html(&two).unwrap(), "byte-identical HTML");
    assert_eq!(serde_json::to_string(&one).unwrap(), serde_json::to_string(&two).unwrap());
    assert_eq!(one.totals.actions, 3);
    assert_eq!(one.events_released as usize, winter.events.len());
    // Another seed gives another timeline; other actions another report.
    let reseeded = drill::Drill { seed: winter.seed + 1, ..winter.clone() };
    assert_ne!(timeline_of(&reseeded), first);
    let fewer = drill::report(&scripted_run("DR-20261123-100000-aaaaaa", &winter, &actions[..1])).unwrap();
    assert_ne!(fewer, one);
    // Each shock puts forward people not put forward before; alert IDs are unique.
    let mut seen = std::collections::HashSet::new();
    for e in &first {
        for id in e.cases.iter().map(|c| &c.masked_id).chain(e.alerts.iter().map(|a| &a.alert_id)) {
            assert!(!id.is_empty());
            assert!(seen.insert(id.clone()), "{id} raised twice");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_stop() {
    let dir = tempfile::tempdir().unwrap();
    let app = drill_app(dir.path());
    let start = json!({ "drill": "winter_surge", "daysPerMinute": 60 });
    let (status, started) = call(&app, Role::Admin, Method::POST, "/api/v1/drills", Some(start)).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let base = format!("/api/v1/drills/{}", started["state"]["runId"].as_str().unwrap());
    let live = live_until(&app, |s| !items_of(s, "case").is_empty()).await;
    let case = items_of(&live["state"], "case")[0].clone();
    let (status, paused) = call(&app, Role::Trainer, Method::POST, &format!("{base}/pause"), None).await;
    assert_eq!((status, paused["state"]["status"].as_str()), (StatusCode::OK, Some("paused")));
    let day = paused["clock"]["day"].as_f64().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, still) = call(&app, Role::Trainer, Method::GET, "/api/v1/drills/live", None).await;
    assert_eq!(still["clock"]["day"].as_f64().unwrap(), day, "the clock stops while paused");
    let flag = Some(json!({ "kind": "flag", "target": case, "note": "x" }));
    let (status, error) = call(&app, Role::Investigator, Method::POST, &format!("{base}/actions"), flag.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(error["error"]["message"].as_str().unwrap().contains("paused"));
    let (status, _) = call(&app, Role::Trainer, Method::POST, &format!("{base}/pause"), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "already paused");
    let (status, resumed) = call(&app, Role::Trainer, Method::POST, &format!("{base}/resume"), None).await;
    assert_eq!((status, resumed["state"]["status"].as_str()), (StatusCode::OK, Some("running")));
    let (status, _) = call(&app, Role::Investigator, Method::POST, &format!("{base}/actions"), flag).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, stopped) = call(&app, Role::Trainer, Method::POST, &format!("{base}/stop"), None).await;
    assert_eq!((status, stopped["state"]["status"].as_str()), (StatusCode::OK, Some("stopped")));
    let (status, _) = call(&app, Role::Trainer, Method::POST, &format!("{base}/stop"), None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, report) = call(&app, Role::Trainer, Method::GET, &format!("{base}/report"), None).await;
    assert_eq!((status, report["status"].as_str()), (StatusCode::OK, Some("stopped")));
    assert!(report["eventsReleased"].as_u64().unwrap() < 7, "stopped before the end: {report}");
    // A new drill may start once the last one has ended; the list shows both.
    let (status, _) =
        call(&app, Role::Trainer, Method::POST, "/api/v1/drills", Some(json!({ "drill": "layoff_wave" }))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, list) = call(&app, Role::Executive, Method::GET, "/api/v1/drills", None).await;
    assert_eq!(list["runs"].as_array().unwrap().len(), 2, "{list}");
    assert_eq!(list["runs"][0]["status"], "running");
    assert_eq!(list["drills"].as_array().unwrap().len(), drill::PRESETS.len());
}

#[test]
fn bad_drill_input_is_refused_with_the_place_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let d = data_dir.to_str().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "name = \"x\"\ndescription = \"y\"\nseed = 1\ndays_per_minute = 5\n\n[[event]]\nday = 1\nkind = \"volcano\"\n",
    )
    .unwrap();
    let output = safehaven(&["drill", "start", file.to_str().unwrap(), "--data-dir", d]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("bad.toml:8:") && stderr(&output).contains("alert_burst"), "{}", stderr(&output));
    let output = safehaven(&["drill", "start", "tsunami", "--data-dir", d]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("winter_surge"));
    let output = safehaven(&["drill", "start", "winter_surge", "--days-per-minute", "0", "--data-dir", d]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("--days-per-minute"), "{}", stderr(&output));
    let output = safehaven(&["drill", "pause", "--data-dir", d]);
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("no drill is running"), "{}", stderr(&output));
    let output = safehaven(&["drill", "report", "../../etc/passwd", "--data-dir", d]);
    assert_exit(&output, 2);
    let output = safehaven(&["drill", "report", "DR-20000101-000000-000000", "--data-dir", d]);
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("no drill run"));
    let output = safehaven(&["drill", "list", "--data-dir", d]);
    assert_exit(&output, 0);
    assert!(stdout(&output).contains("winter_surge") && stdout(&output).contains("none yet"));
    assert!(
        !data_dir.join("drills").exists()
            || std::fs::read_dir(data_dir.join("drills"))
                .unwrap()
                .all(|e| { !e.unwrap().file_name().to_string_lossy().ends_with(".jsonl") })
    );
}

#[test]
fn the_cli_hands_drills_to_the_running_server_and_replays_the_report() {
    let dir = tempfile::tempdir().unwrap();
    seed_into(dir.path(), 2_000, 42, 2);
    let d = dir.path().to_str().unwrap();
    assert_exit(&safehaven(&["train", "--data-dir", d]), 0);
    let _server = crate::support::serve(dir.path());
    let started = safehaven(&["drill", "start", "winter_surge", "--days-per-minute", "30", "--data-dir", d]);
    assert_exit(&started, 0);
    let run_id = stdout(&started).split_whitespace().find(|w| w.starts_with("DR-")).expect("a run ID").to_owned();
    assert!(stdout(&started).contains("is running"), "{}", stdout(&started));
    let second = safehaven(&["drill", "start", "layoff_wave", "--data-dir", d]);
    assert_exit(&second, 2);
    assert!(stderr(&second).contains("one drill at a time"), "{}", stderr(&second));
    let early = safehaven(&["drill", "report", &run_id, "--data-dir", d]);
    assert_exit(&early, 2);
    assert!(stderr(&early).contains("still running"));
    assert_exit(&safehaven(&["drill", "pause", "--data-dir", d]), 0);
    assert_exit(&safehaven(&["drill", "resume", "--data-dir", d]), 0);
    std::thread::sleep(Duration::from_millis(1500));
    let stopped = safehaven(&["drill", "stop", "--data-dir", d]);
    assert_exit(&stopped, 0);
    assert!(stdout(&stopped).contains("stopped"));
    let out = dir.path().join("reports");
    let report = safehaven(&["drill", "report", &run_id, "--replay", "--out", out.to_str().unwrap(), "--data-dir", d]);
    assert_exit(&report, 0);
    assert!(stdout(&report).contains("replay matches the log"), "{}", stdout(&report));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(format!("{run_id}.json"))).unwrap()).unwrap();
    assert_eq!((json["status"].as_str(), json["drill"].as_str()), (Some("stopped"), Some("winter_surge")));
    let html = std::fs::read_to_string(out.join(format!("{run_id}.html"))).unwrap();
    // Without --replay, from the log alone: the same bytes.
    let again =
        safehaven(&["drill", "report", &run_id, "--out", dir.path().join("again").to_str().unwrap(), "--data-dir", d]);
    assert_exit(&again, 0);
    assert_eq!(std::fs::read_to_string(dir.path().join("again").join(format!("{run_id}.html"))).unwrap(), html);
    let list = safehaven(&["drill", "list", "--json", "--data-dir", d]);
    let list: Value = serde_json::from_str(&stdout(&list)).unwrap();
    assert_eq!(list["runs"][0]["runId"], run_id.as_str());
    assert_eq!(list["runs"][0]["status"], "stopped");

    // An edited log no longer replays, and the message says where; a damaged one is listed as damaged.
    let path = dir.path().join("drills").join(format!("{run_id}.jsonl"));
    let original = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, original.replacen("% intensity", "% strength", 1)).unwrap();
    let edited = safehaven(&["drill", "report", &run_id, "--replay", "--out", out.to_str().unwrap(), "--data-dir", d]);
    assert_exit(&edited, 1);
    assert!(
        stderr(&edited).contains("differs from drill log")
            && stderr(&edited).contains("event 1 (health_crisis: month 2 of 12) on day 0.5 differs in summary"),
        "{}",
        stderr(&edited)
    );
    std::fs::write(&path, original.replacen("{\"seq\":1", "{\"seq\":x", 1)).unwrap();
    let list = safehaven(&["drill", "list", "--data-dir", d]);
    assert_exit(&list, 0);
    assert!(stdout(&list).contains("damaged"), "{}", stdout(&list));
}
