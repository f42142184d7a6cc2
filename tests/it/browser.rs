//! The dashboard in a real browser: headless Chromium loads each view from the real binary on a loopback port
//! and the test reads the DOM it built. Each view renders its charts with no JavaScript error, the threshold
//! changes a KPI, the what-if sliders (state in the URL) change the probability, navigation follows the role,
//! a bad token returns to sign-in, the Analyst answers a question with its chart, table and SQL, the Drill view
//! follows a drill started from the CLI, an alert acknowledged and a case flagged through the API show their
//! hand-off in the DV, case list, case and Hand-off views, and under differential privacy the figures read as
//! noisy, the budget shows, and a spent budget says so. Screenshots go to the target dir
//! (`CARGO_TARGET_TMPDIR/browser/`).
//!
//! Needs `chromium` on PATH (`apt-get install chromium`; `.ci/run` installs it). Without it the test fails on
//! CI and is skipped, with a message, elsewhere.

use crate::support::binary::Server;
use crate::support::{assert_exit, safehaven, seed_into, serve, stdout};
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Loads `url` headless and returns the DOM after its scripts ran (and a screenshot if `shot` is given).
fn load(chromium: &Path, url: &str, shot: Option<&str>) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--headless".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        format!("--user-data-dir={}", profile.path().display()),
        "--virtual-time-budget=15000".into(),
    ];
    match shot {
        Some(name) => {
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
            std::fs::create_dir_all(&dir).unwrap();
            args.push("--window-size=1280,1800".into());
            args.push(format!("--screenshot={}", dir.join(format!("{name}.png")).display()));
        }
        None => args.push("--dump-dom".into()),
    }
    args.push(url.to_owned());
    let output = Command::new(chromium).args(&args).output().expect("chromium runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A JSON request to the real server as `token`, over plain HTTP/1.1 on the loopback; panics unless it answers 2xx.
/// A request the page depends on: it must succeed.
fn call(server: &Server, token: &str, method: &str, path: &str, body: Option<serde_json::Value>) -> serde_json::Value {
    let (status, json) = server.call(method, path, token, body);
    assert!((200..300).contains(&status), "{method} {path}: {status} {json}");
    json
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The text of the `<span class="value">` inside the element with `id`.
fn value_of(dom: &str, id: &str) -> String {
    let at = dom.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in the page"));
    let rest = &dom[at..];
    let start = rest.find("class=\"value").and_then(|v| rest[v..].find('>').map(|e| v + e + 1)).unwrap();
    rest[start..start + rest[start..].find('<').unwrap()].to_owned()
}

fn text_of(dom: &str, id: &str) -> String {
    let at = dom.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in the page"));
    let start = at + dom[at..].find('>').unwrap() + 1;
    dom[start..start + dom[start..].find('<').unwrap()].to_owned()
}

#[test]
fn every_view_renders_in_a_real_browser() {
    let Some(chromium) = chromium() else {
        assert!(std::env::var_os("CI").is_none(), "CI must have chromium: `apt-get install chromium`");
        eprintln!("skipped: no chromium on PATH (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    seed_into(dir.path(), 5_000, 11, 2);
    let data_dir = dir.path().to_str().unwrap();
    assert_exit(&safehaven(&["train", "--data-dir", data_dir]), 0);
    let token = |role: &str| {
        let output = safehaven(&["user", "add", &format!("browser-{role}"), "--role", role, "--data-dir", data_dir]);
        assert_exit(&output, 0);
        stdout(&output).trim().to_owned()
    };
    let (admin, executive) = (token("admin"), token("executive"));
    assert_exit(&safehaven(&["chaos", "run", "market_boom", "--data-dir", data_dir]), 0);
    let server = serve(dir.path());
    let view = |token: &str, next: &str| format!("{}/#token={token}&next={}", server.base, encode(next));
    // Wait for the analytics to load (a fraction of a second at this size).
    for _ in 0..50 {
        if !load(&chromium, &view(&admin, "/executive"), None).contains("still loading") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    let pages = [
        ("/executive?threshold=0.1", "kpi-high-risk", 3),
        ("/cases", "page-info", 0),
        ("/model", "model-auc", 3),
        ("/dv", "assessment", 0),
        ("/summary", "app", 1),
        ("/scenarios", "scenario-result", 1),
        ("/handoff", "handoff-outbox", 0),
    ];
    for (next, marker, charts) in pages {
        let dom = load(&chromium, &view(&admin, next), None);
        assert!(dom.contains(&format!("id=\"{marker}\"")), "{next}: no #{marker}");
        assert!(!dom.contains("data-js-errors"), "{next}: JavaScript errors");
        assert!(
            !dom.contains("id=\"status\" class=\"status error\""),
            "{next}: an error is shown: {}",
            text_of(&dom, "status")
        );
        let rendered = dom.matches("<div class=\"chart\"><svg").count();
        assert_eq!(rendered, charts, "{next}: charts rendered");
    }

    // The Analyst panel: a question in the address is answered with its text, chart, table, SQL and a link to the
    // executive view with the same filters; a role is refused what it may not see.
    let answer = load(&chromium, &view(&admin, "/analyst?q=high-risk share by credit group for Texas"), None);
    assert!(answer.contains("id=\"analyst-text\" class=\"answer answer\""), "the Analyst answered");
    assert!(text_of(&answer, "analyst-text").contains("by credit group"), "{}", text_of(&answer, "analyst-text"));
    assert!(answer.contains("id=\"analyst-table\"") && answer.contains("id=\"analyst-sql\""));
    assert_eq!(answer.matches("<div class=\"chart\"><svg").count(), 1, "the answer's chart");
    assert!(answer.contains("href=\"#/executive?threshold=") && answer.contains("region=TX"), "the dashboard link");
    assert!(!answer.contains("id=\"status\" class=\"status error\""), "{}", text_of(&answer, "status"));
    load(&chromium, &view(&admin, "/analyst?q=which region has the highest high-risk share"), Some("analyst"));
    let refused = load(&chromium, &view(&executive, "/analyst?q=what is the model's AUC"), None);
    assert!(refused.contains("class=\"answer refuse\""), "an executive is refused the model page's figures");
    assert!(refused.contains("id=\"analyst-suggestions\""));

    // The threshold control changes the high-risk KPI.
    let low = value_of(&load(&chromium, &view(&admin, "/executive?threshold=0.1"), None), "kpi-high-risk");
    let high = value_of(&load(&chromium, &view(&admin, "/executive?threshold=0.4"), None), "kpi-high-risk");
    let parse = |s: &str| s.replace(',', "").parse::<u64>().unwrap_or_else(|_| panic!("not a count: {s}"));
    assert!(parse(&low) > parse(&high), "{low} vs {high}");

    // The what-if sliders rescore the case.
    let cases = load(&chromium, &view(&admin, "/cases"), None);
    let id_at = cases.find("#/case/").expect("a case link") + "#/case/".len();
    let id = &cases[id_at..id_at + 12];
    let case = load(&chromium, &view(&admin, &format!("/case/{id}")), None);
    let shocked =
        load(&chromium, &view(&admin, &format!("/case/{id}?medicalCostPct=150&incomePct=-60&unemployed=1")), None);
    let before = value_of(&case, "case-probability");
    let after = text_of(&shocked, "whatif-probability");
    assert_ne!(before, after, "the what-if did not change the probability");
    assert!(text_of(&shocked, "whatif-note").starts_with("from "), "{}", text_of(&shocked, "whatif-note"));

    // Navigation follows the role; a bad token returns to sign-in.
    let exec = load(&chromium, &view(&executive, "/executive"), None);
    assert!(
        exec.contains("href=\"#/executive\"")
            && !exec.contains("href=\"#/cases\"")
            && !exec.contains("href=\"#/model\"")
            && !exec.contains("href=\"#/handoff\"")
    );
    let refused = load(&chromium, &view(&executive, "/model"), None);
    assert!(refused.contains("may not open the Model view"));
    let bad = load(&chromium, &view("sh_not-a-token", "/executive"), None);
    assert!(bad.contains("Your session has ended") && bad.contains("id=\"login\" class=\"login\" aria-labelledby"));

    // A drill handed to the server by the CLI (at top speed) shows on the Drill view, ended, with its debrief for
    // the trainer; a participant without the trainer's rights gets no controls, and sees the same run.
    let started = safehaven(&["drill", "start", "layoff_wave", "--days-per-minute", "100000", "--data-dir", data_dir]);
    assert_exit(&started, 0);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let drill = load(&chromium, &view(&admin, "/drill"), Some("drill"));
    let drill = if drill.is_empty() { load(&chromium, &view(&admin, "/drill"), None) } else { drill };
    assert!(!drill.contains("data-js-errors"), "drill: JavaScript errors");
    assert_eq!(text_of(&drill, "drill-status"), "finished");
    assert!(drill.contains("id=\"drill-start\"") && drill.contains("id=\"drill-report\""));
    assert_eq!(drill.matches("<li data-seq=").count(), 6, "six events on the timeline");
    let watching = load(&chromium, &view(&executive, "/drill"), None);
    assert_eq!(text_of(&watching, "drill-status"), "finished");
    assert!(!watching.contains("id=\"drill-start\"") && watching.contains("href=\"#/drill\""));

    // Hand-off: a critical assessment opens an alert, acknowledged through the API; a case is flagged for review.
    // The DV view shows the alert's owner and state, the case list and page the flagged case's signal, and the
    // admin's Hand-off view both acts in its outbox (and says no webhook is configured).
    let overview = call(&server, &admin, "GET", "/api/v1/dv/overview", None);
    let survivor = overview["survivors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["riskLevel"] == "critical")
        .and_then(|s| s["maskedId"].as_str())
        .expect("a critical survivor among the highest scores")
        .to_owned();
    let body = serde_json::json!({ "userId": survivor });
    let assessed = call(&server, &admin, "POST", "/api/v1/risk-assessment/create", Some(body));
    let alert = assessed["alertId"].as_str().expect("a critical assessment opens an alert").to_owned();
    let acknowledge = format!("/api/v1/alerts/{alert}/acknowledge");
    call(&server, &admin, "POST", &acknowledge, Some(serde_json::json!({ "note": "browser check" })));
    let flag = format!("/api/v1/cases/{id}/flag");
    let flagged = call(&server, &admin, "POST", &flag, Some(serde_json::json!({ "reason": "browser check" })));
    let (alert_signal, case_signal) =
        (format!("SH-A-{}", &alert[3..]), flagged["signalId"].as_str().unwrap().to_owned());
    let handoff = load(&chromium, &view(&admin, "/handoff"), None);
    assert!(!handoff.contains("data-js-errors"), "handoff: JavaScript errors");
    assert!(!handoff.contains("id=\"status\" class=\"status error\""), "{}", text_of(&handoff, "status"));
    for (heading, text) in [
        ("handoff-rules", "Routing rules"),
        ("handoff-destinations", "Destinations"),
        ("handoff-deliveries", "Deliveries"),
        ("handoff-outbox", "Outbox"),
    ] {
        assert_eq!(text_of(&handoff, heading), text);
    }
    assert!(handoff.contains("No webhook is configured"), "the destinations' empty state");
    for event in ["alert.opened", "alert.acknowledged", "case.flagged"] {
        assert!(handoff.contains(&format!("<td>{event}</td>")), "the outbox lists {event}");
    }
    assert!(
        handoff.contains(&format!("<code>{alert_signal}</code>"))
            && handoff.contains(&format!("<code>{case_signal}</code>"))
    );
    let dv = load(&chromium, &view(&admin, "/dv"), None);
    let row = &dv[dv.find(&format!("<td><span>{alert}")).expect("the alert's row")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("<td>browser-admin</td>") && row.contains("class=\"state acknowledged\""), "{row}");
    assert!(
        row.contains("acknowledge: ") && row.contains(">Hand off</button>") && !row.contains(">Acknowledge<"),
        "{row}"
    );
    let listed = load(&chromium, &view(&admin, "/cases"), None);
    assert!(listed.contains("id=\"flagged-cases\"") && listed.contains(&format!("<code>{case_signal}</code>")));
    let case = load(&chromium, &view(&admin, &format!("/case/{id}")), None);
    assert!(case.contains("id=\"case-signal\"") && case.contains("class=\"state open\""), "the case's signal");
    assert!(case.contains(">Acknowledge</button>") && case.contains(">Close</button>"));

    for (name, next) in [
        ("executive", "/executive"),
        ("case", &*format!("/case/{id}?medicalCostPct=50")),
        ("model", "/model"),
        ("dv", "/dv"),
        ("handoff", "/handoff"),
    ] {
        load(&chromium, &view(&admin, next), Some(name));
    }
    drop(server);

    // Under differential privacy the same views show noisy figures as such (≈ value ± half-width), say how they
    // were made, and the header shows the budget left; a view past the budget shows the server's 429 message.
    let config = dir.path().join("appliance.toml");
    let mut settings = std::fs::read_to_string(&config).unwrap_or_default();
    settings.push_str("\n[privacy]\nmode = \"dp\"\nepsilon_per_day = 1.0\nepsilon_per_release = 0.5\n");
    std::fs::write(&config, settings).unwrap();
    let server = serve(dir.path());
    let view = |token: &str, next: &str| format!("{}/#token={token}&next={}", server.base, encode(next));
    let mut noisy = String::new();
    for _ in 0..50 {
        noisy = load(&chromium, &view(&executive, "/executive?threshold=0.3"), None);
        if !noisy.contains("still loading") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(!noisy.contains("data-js-errors"), "dp executive: JavaScript errors");
    let people = value_of(&noisy, "kpi-people");
    assert!(people.starts_with("≈ ") && people.contains(" ± "), "a noisy KPI reads as such: {people}");
    assert!(text_of(&noisy, "dp-note").contains("discrete Laplace"), "{}", text_of(&noisy, "dp-note"));
    let budget = text_of(&noisy, "budget");
    assert!(budget.contains("ε 0.50 of 1.00 left today"), "{budget}");
    let summary = load(&chromium, &view(&executive, "/summary"), Some("summary-dp"));
    let summary = if summary.is_empty() { load(&chromium, &view(&executive, "/summary"), None) } else { summary };
    assert!(text_of(&summary, "dp-note").contains("± "), "{}", text_of(&summary, "dp-note"));
    let spent = load(&chromium, &view(&executive, "/executive?threshold=0.4"), None);
    assert!(text_of(&spent, "status").contains("privacy budget is spent"), "{}", text_of(&spent, "status"));
    assert!(text_of(&spent, "budget").contains("ε 0.00 of 1.00"), "{}", text_of(&spent, "budget"));
    load(&chromium, &view(&executive, "/executive?threshold=0.3"), Some("executive-dp"));
}
