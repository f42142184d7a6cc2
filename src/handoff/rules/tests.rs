//! The rules engine's tests: matching and inheritance, drill traffic, grouping, the timers (escalation, quiet
//! hours across midnight and daylight saving, SLA clocks), explain and fixtures, and every refusal of a bad file at
//! its line and column.

use super::*;
use crate::handoff::signal::SignalKind;

/// Three queues and a root; tests append routes (and root settings, which continue the `[route]` table).
const BASE: &str = r#"[[queue]]
name = "advocates"
role = "advocate"

[[queue]]
name = "supervisors"
role = "admin"

[[queue]]
name = "training"
role = "trainer"
training = true

[route]
queue = "advocates"
"#;

fn rules(extra: &str) -> Rules {
    Rules::parse("t.toml", &format!("{BASE}{extra}")).unwrap_or_else(|e| panic!("{e}"))
}

fn facts(json: &str) -> Facts {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

fn paths(rules: &Rules, facts: &Facts) -> Vec<String> {
    rules.route(facts).into_iter().map(|r| r.route).collect()
}

fn t(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// `line:column: message` of the error a file with `extra` after `BASE` gives.
fn error(extra: &str) -> String {
    error_in(&format!("{BASE}{extra}"))
}

fn error_in(text: &str) -> String {
    match Rules::parse("t.toml", text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => {
            assert_eq!(e.file, "t.toml");
            format!("{}:{}: {}", e.line, e.column, e.message)
        }
    }
}

#[test]
fn the_builtin_rules_parse_and_route_as_documented() {
    let rules = Rules::builtin();
    assert_eq!(rules.file(), "built-in routing/default.toml");
    let names: Vec<&str> = rules.queues().iter().map(|q| q.name.as_str()).collect();
    assert_eq!(names, ["advocates", "crisis", "investigators", "supervisors", "training"]);
    assert_eq!(rules.queue("training").map(|q| (q.role, q.training)), Some((Role::Trainer, true)));
    let critical = facts(r#"{"kind":"alert","region":"OH","level":"critical","score":82}"#);
    assert_eq!(paths(&rules, &critical), ["root/critical-dv"]);
    assert_eq!(paths(&rules, &facts(r#"{"kind":"alert","level":"high"}"#)), ["root"]);
    assert_eq!(paths(&rules, &facts(r#"{"kind":"case","score":0.4}"#)), ["root/cases"]);
    let drill = facts(r#"{"kind":"case","score":0.4,"drill":true}"#);
    assert_eq!(rules.route(&drill)[0].queue, "training");
    assert!(rules.webhooks().is_empty());
}

#[test]
fn the_shipped_fixtures_pass() {
    let run = |rules: &Rules, file: &str, text: &str| {
        let outcomes = run_fixtures(rules, file, text).unwrap_or_else(|e| panic!("{e}"));
        let failed: Vec<String> = outcomes
            .iter()
            .filter(|o| !o.passed)
            .map(|o| format!("{}: {}", o.name, o.differences.join("; ")))
            .collect();
        assert!(failed.is_empty(), "{}", failed.join("\n"));
        outcomes.len()
    };
    let fixtures = include_str!("../../../routing/fixtures.toml");
    assert_eq!(fixtures_rules("routing/fixtures.toml", fixtures).unwrap().as_deref(), Some("default.toml"));
    assert!(run(&Rules::builtin(), "routing/fixtures.toml", fixtures) >= 8);
    let quiet = Rules::parse("quiet.toml", include_str!("../../../routing/examples/quiet.toml")).unwrap();
    assert!(run(&quiet, "quiet.fixtures.toml", include_str!("../../../routing/examples/quiet.fixtures.toml")) >= 7);
}

#[test]
fn the_first_matching_child_wins_unless_it_continues() {
    let rules = rules(
        r#"
[[route.routes]]
name = "ohio"
match = { region = "OH" }
continue = true

[[route.routes]]
name = "high"
match = { level = "high" }
queue = "supervisors"

[[route.routes]]
name = "alerts"
match = { kind = "alert" }
"#,
    );
    let high_ohio = facts(r#"{"kind":"alert","region":"OH","level":"high"}"#);
    assert_eq!(paths(&rules, &high_ohio), ["root/ohio", "root/high"]);
    assert_eq!(paths(&rules, &facts(r#"{"kind":"alert","region":"OH","level":"low"}"#)), ["root/ohio", "root/alerts"]);
    assert_eq!(paths(&rules, &facts(r#"{"kind":"alert","region":"TX","level":"high"}"#)), ["root/high"]);
    assert_eq!(paths(&rules, &facts(r#"{"kind":"case","region":"TX"}"#)), ["root"]);
    let queues: Vec<String> = rules.route(&high_ohio).into_iter().map(|r| r.queue).collect();
    assert_eq!(queues, ["advocates", "supervisors"]);
}

#[test]
fn nested_routes_inherit_what_they_leave_unset() {
    let rules = rules(
        r#"group_by = ["kind"]
group_wait_minutes = 1

[[route.routes]]
name = "alerts"
match = { kind = "alert" }
urgency = "high"
escalation = { after_minutes = 10, then = ["supervisors"] }
sla = { acknowledge_warn_minutes = 5, acknowledge_violate_minutes = 10 }

[[route.routes.routes]]
name = "ohio"
match = { region = "OH" }
queue = "supervisors"
group_by = ["region"]
sla = { handoff_warn_minutes = 60 }
"#,
    );
    let ohio = &rules.route(&facts(r#"{"kind":"alert","region":"OH","level":"low"}"#))[0];
    assert_eq!((ohio.route.as_str(), ohio.queue.as_str()), ("root/alerts/ohio", "supervisors"));
    assert_eq!((ohio.group_wait_minutes, ohio.group_interval_minutes, ohio.urgency), (1, 5, Urgency::High));
    assert_eq!(ohio.escalation.as_ref().map(|e| e.after_minutes), Some(10));
    assert_eq!(ohio.sla.acknowledge, Timer { warn_minutes: 5, violate_minutes: 10 });
    assert_eq!(ohio.sla.handoff, Timer { warn_minutes: 60, violate_minutes: 1440 });
    assert_eq!(ohio.group_key, r#"root/alerts/ohio:{region="OH"}"#);
    // No child matches: the parent itself, with its own settings.
    let texas = &rules.route(&facts(r#"{"kind":"alert","region":"TX","level":"low"}"#))[0];
    assert_eq!((texas.route.as_str(), texas.queue.as_str()), ("root/alerts", "advocates"));
    assert_eq!(texas.group_key, r#"root/alerts:{kind="alert"}"#);
    let case = &rules.route(&facts(r#"{"kind":"case"}"#))[0];
    assert_eq!((case.route.as_str(), case.urgency, case.escalation.is_none()), ("root", Urgency::Low, true));
    assert_eq!(case.sla, Sla::DEFAULT);
}

#[test]
fn each_matcher_holds_or_says_why_not() {
    let alert = r#"{"kind":"alert","region":"OH","level":"high","patterns":["threats_to_kill","stalking_behavior"],"score":70,"scoreChange":12,"scenario":"recession"}"#;
    let cases = [
        ("kind = \"alert\"", r#"{"kind":"case"}"#, "kind is case, the route takes alerts only"),
        ("region = [\"OH\", \"PA\"]", r#"{"kind":"alert","region":"TX"}"#, "region TX is not one of OH, PA"),
        ("region = \"Ohio\"", r#"{"kind":"alert"}"#, "no region; the route takes OH"),
        (
            "level = [\"high\", \"critical\"]",
            r#"{"kind":"alert","level":"low"}"#,
            "level low is not one of high, critical",
        ),
        (
            "patterns_any = [\"threats_to_kill\", \"weapons_involved\"]",
            r#"{"kind":"alert","patterns":["stalking_behavior"]}"#,
            "has none of the patterns threats_to_kill, weapons_involved",
        ),
        (
            "patterns_all = [\"threats_to_kill\", \"stalking_behavior\"]",
            r#"{"kind":"alert","patterns":["stalking_behavior"]}"#,
            "lacks the pattern threats_to_kill",
        ),
        ("score_min = 70", r#"{"kind":"alert","score":69.5}"#, "score 69.5 is below 70"),
        ("score_max = 80", r#"{"kind":"alert","score":81}"#, "score 81 is above 80"),
        ("score_min = 10", r#"{"kind":"alert"}"#, "no score; the route wants at least 10"),
        ("score_change_min = 10", r#"{"kind":"alert","scoreChange":-3}"#, "score change -3 is below 10"),
        ("scenario = [\"recession\"]", r#"{"kind":"alert"}"#, "not from a scenario; the route takes recession"),
        (
            "scenario = \"recession\"",
            r#"{"kind":"alert","scenario":"market_boom"}"#,
            "scenario market_boom is not one of recession",
        ),
        ("drill = false", r#"{"kind":"alert","drill":true}"#, "drill traffic; the route takes real signals only"),
    ];
    for (matcher, failing, words) in cases {
        let rules = rules(&format!("\n[[route.routes]]\nname = \"m\"\nmatch = {{ {matcher} }}\n"));
        let failing = facts(failing);
        assert_eq!(paths(&rules, &facts(alert)), ["root/m"], "{matcher}");
        // Drill traffic that fails `drill = false` is routed to the training queue instead: look at the walk.
        let explanation = explain(&rules, &failing, t("2025-01-10T09:00:00Z"));
        assert_eq!(explanation.visits[1].outcome, VisitOutcome::Failed, "{matcher}");
        assert_eq!(explanation.visits[1].reasons, [words], "{matcher}");
    }
    // Every failed matcher is said, in the matchers' order.
    let m =
        rules("\n[[route.routes]]\nname = \"m\"\nmatch = { kind = \"alert\", level = \"critical\", score_min = 90 }\n");
    let walk = explain(&m, &facts(r#"{"kind":"alert","level":"high","score":50}"#), t("2025-01-10T09:00:00Z"));
    assert_eq!(walk.visits[1].reasons, ["level high is not one of critical", "score 50 is below 90"]);
}

#[test]
fn drill_traffic_reaches_training_queues_only() {
    let with_drill_route = rules(
        r#"
[[route.routes]]
name = "drill"
match = { drill = true }
queue = "training"

[[route.routes]]
name = "urgent"
match = { level = "critical" }
queue = "supervisors"
"#,
    );
    let drill = facts(r#"{"kind":"alert","level":"critical","drill":true}"#);
    assert_eq!(paths(&with_drill_route, &drill), ["root/drill"]);
    assert_eq!(paths(&with_drill_route, &facts(r#"{"kind":"alert","level":"critical"}"#)), ["root/urgent"]);

    // A drill signal that lands only in real queues goes to the first training queue, without escalation.
    let without = rules(
        "\n[[route.routes]]\nname = \"urgent\"\nmatch = { level = \"critical\" }\nqueue = \"supervisors\"\n\
         escalation = { after_minutes = 5, then = [\"advocates\"] }\n",
    );
    let routed = without.route(&drill);
    assert_eq!(routed.len(), 1);
    assert_eq!((routed[0].route.as_str(), routed[0].queue.as_str()), ("root/urgent", "training"));
    assert!(routed[0].escalation.is_none());
    let note = explain(&without, &drill, t("2025-01-10T09:00:00Z")).note.unwrap();
    assert!(note.contains("root/urgent (queue `supervisors`)") && note.contains("`training`"), "{note}");

    // A file without a training queue routes drill traffic nowhere, and says so.
    let none =
        Rules::parse("none.toml", "[[queue]]\nname = \"a\"\nrole = \"advocate\"\n\n[route]\nqueue = \"a\"\n").unwrap();
    assert!(none.route(&drill).is_empty());
    let explanation = explain(&none, &drill, t("2025-01-10T09:00:00Z"));
    assert!(explanation.outcomes.is_empty());
    assert!(explanation.note.as_deref().unwrap().contains("none.toml has none"), "{explanation}");
    assert!(explanation.to_string().contains("the signal is not routed"));
}

#[test]
fn group_keys_are_the_route_and_its_group_by_facts() {
    let grouped = rules("group_by = [\"kind\", \"region\", \"level\", \"drill\"]\n");
    let key = |json: &str| grouped.route(&facts(json))[0].group_key.clone();
    assert_eq!(
        key(r#"{"kind":"alert","region":"OH","level":"high"}"#),
        r#"root:{kind="alert",region="OH",level="high",drill="false"}"#
    );
    // A region's name is its code, so both spellings share a group; a missing fact is empty.
    assert_eq!(
        key(r#"{"kind":"alert","region":"Ohio","level":"high"}"#),
        key(r#"{"kind":"alert","region":"OH","level":"high"}"#)
    );
    assert_eq!(key(r#"{"kind":"case"}"#), r#"root:{kind="case",region="",level="",drill="false"}"#);
    let ungrouped = rules("");
    assert_eq!(ungrouped.route(&facts(r#"{"kind":"case","region":"TX"}"#))[0].group_key, "root:{}");
}

fn escalating() -> Routed {
    let rules = rules(
        "group_wait_minutes = 2\n\n[route.escalation]\nafter_minutes = 15\nthen = [\"supervisors\", \"advocates\"]\n\
         repeat_minutes = 30\n",
    );
    rules.route(&facts(r#"{"kind":"alert","level":"high"}"#)).remove(0)
}

fn steps(notifications: &[Notification]) -> Vec<(u32, &str, String)> {
    notifications.iter().map(|n| (n.step, n.queue.as_str(), explain::time(n.at))).collect()
}

#[test]
fn escalation_steps_follow_the_schedule_repeat_the_last_queue_and_stop_on_acknowledgement() {
    let routed = escalating();
    let opened = t("2025-01-10T09:00:00Z");
    let all = routed.notifications(opened, None, t("2025-01-10T10:30:00Z"));
    assert_eq!(
        steps(&all),
        [
            (0, "advocates", "2025-01-10T09:02:00Z".to_owned()),
            (1, "supervisors", "2025-01-10T09:15:00Z".to_owned()),
            (2, "advocates", "2025-01-10T09:30:00Z".to_owned()),
            (3, "advocates", "2025-01-10T10:00:00Z".to_owned()),
            (4, "advocates", "2025-01-10T10:30:00Z".to_owned()),
        ]
    );
    assert!(all.iter().all(|n| !n.deferred && n.at == n.due));
    // Acknowledged at 09:30: the step due then is not sent, nor anything after.
    let acknowledged = routed.notifications(opened, Some(t("2025-01-10T09:30:00Z")), t("2025-01-11T00:00:00Z"));
    assert_eq!(acknowledged.len(), 2);
    // A scheduler walks the chain one notification at a time.
    let next = |after: &str, stopped: Option<&str>| routed.next_notification(opened, stopped.map(t), t(after));
    assert_eq!(next("2025-01-10T09:15:00Z", None).map(|n| n.step), Some(2));
    assert_eq!(next("2025-01-10T08:00:00Z", None).map(|n| n.step), Some(0));
    assert_eq!(next("2025-01-11T09:00:00Z", None).map(|n| explain::time(n.at)), Some("2025-01-11T09:30:00Z".into()));
    assert_eq!(next("2025-01-10T09:15:00Z", Some("2025-01-10T09:20:00Z")), None);
    // Without repeats the chain ends after its last step; without escalation, after step 0.
    let mut once = routed.clone();
    once.escalation.as_mut().unwrap().repeat_minutes = None;
    assert_eq!(once.next_notification(opened, None, t("2025-01-10T09:30:00Z")), None);
    once.escalation = None;
    assert_eq!(steps(&once.notifications(opened, None, t("2025-01-12T00:00:00Z"))).len(), 1);
}

fn quiet(start: &str, end: &str) -> QuietHours {
    QuietHours {
        time_zone: chrono_tz::Europe::London,
        start: chrono::NaiveTime::parse_from_str(start, "%H:%M").unwrap(),
        end: chrono::NaiveTime::parse_from_str(end, "%H:%M").unwrap(),
    }
}

#[test]
fn quiet_hours_across_midnight_defer_to_their_end_and_never_drop_a_notification() {
    let q = quiet("22:00", "07:00");
    let defer = |at: &str| explain::time(q.defer(t(at)));
    assert_eq!(defer("2025-01-10T21:59:00Z"), "2025-01-10T21:59:00Z");
    assert_eq!(defer("2025-01-10T22:00:00Z"), "2025-01-11T07:00:00Z");
    assert_eq!(defer("2025-01-11T03:00:00Z"), "2025-01-11T07:00:00Z");
    assert_eq!(defer("2025-01-11T07:00:00Z"), "2025-01-11T07:00:00Z");
    // A window within one day.
    let lunch = quiet("12:00", "13:30");
    assert_eq!(explain::time(lunch.defer(t("2025-01-10T12:10:00Z"))), "2025-01-10T13:30:00Z");
    assert_eq!(explain::time(lunch.defer(t("2025-01-10T11:10:00Z"))), "2025-01-10T11:10:00Z");

    // A chain opened in the window: every step is sent, in order, spaced as planned from the window's end.
    let mut routed = escalating();
    routed.quiet_hours = Some(q);
    let opened = t("2025-01-10T23:00:00Z");
    let sent = routed.notifications(opened, None, t("2025-01-11T09:00:00Z"));
    assert_eq!(
        steps(&sent),
        [
            (0, "advocates", "2025-01-11T07:00:00Z".to_owned()),
            (1, "supervisors", "2025-01-11T07:13:00Z".to_owned()),
            (2, "advocates", "2025-01-11T07:28:00Z".to_owned()),
            (3, "advocates", "2025-01-11T07:58:00Z".to_owned()),
            (4, "advocates", "2025-01-11T08:28:00Z".to_owned()),
            (5, "advocates", "2025-01-11T08:58:00Z".to_owned()),
        ]
    );
    assert!(sent.iter().all(|n| n.deferred));
    assert_eq!(explain::time(sent[1].due), "2025-01-10T23:15:00Z");
    assert_eq!(routed.defer(t("2025-01-11T01:00:00Z")), t("2025-01-11T07:00:00Z"));
    // Acknowledged before the window ends: nothing was sent, and nothing is.
    assert!(routed.notifications(opened, Some(t("2025-01-11T06:59:00Z")), t("2025-01-12T00:00:00Z")).is_empty());
}

#[test]
fn quiet_hours_follow_daylight_saving_in_london() {
    let q = quiet("22:00", "07:00");
    let defer = |at: &str| explain::time(q.defer(t(at)));
    // Spring, 30 March 2025: clocks go from 01:00 GMT to 02:00 BST, so 07:00 is 06:00 UTC.
    assert_eq!(defer("2025-03-29T22:30:00Z"), "2025-03-30T06:00:00Z");
    assert_eq!(defer("2025-03-30T00:30:00Z"), "2025-03-30T06:00:00Z");
    assert_eq!(defer("2025-03-30T05:59:00Z"), "2025-03-30T06:00:00Z");
    assert_eq!(defer("2025-03-30T06:00:00Z"), "2025-03-30T06:00:00Z");
    // Autumn, 26 October 2025: clocks go from 02:00 BST back to 01:00 GMT, so 22:00 is 21:00 UTC, 07:00 is 07:00.
    assert_eq!(defer("2025-10-25T20:59:00Z"), "2025-10-25T20:59:00Z");
    assert_eq!(defer("2025-10-25T21:00:00Z"), "2025-10-26T07:00:00Z");
    assert_eq!(defer("2025-10-26T00:30:00Z"), "2025-10-26T07:00:00Z");
    assert_eq!(defer("2025-10-26T01:30:00Z"), "2025-10-26T07:00:00Z");
    // A window ending inside the spring gap ends when the clocks jump.
    let gap = quiet("23:00", "01:30");
    assert_eq!(explain::time(gap.defer(t("2025-03-30T00:45:00Z"))), "2025-03-30T01:00:00Z");
    // A window ending inside the autumn repeat ends at its first reading after the notification.
    let repeat = quiet("23:00", "01:30");
    assert_eq!(explain::time(repeat.defer(t("2025-10-26T00:10:00Z"))), "2025-10-26T00:30:00Z");
    assert_eq!(explain::time(repeat.defer(t("2025-10-26T01:10:00Z"))), "2025-10-26T01:30:00Z");
}

#[test]
fn sla_clocks_run_warn_violate_and_are_met() {
    let timer = Timer { warn_minutes: 15, violate_minutes: 60 };
    let since = t("2025-01-10T09:00:00Z");
    let at = |done: Option<&str>, now: &str| {
        let c = timer.state(since, done.map(t), t(now));
        (c.state, c.elapsed_minutes, c.minutes_to_violation)
    };
    assert_eq!(at(None, "2025-01-10T09:10:00Z"), (SlaState::Ok, 10, 50));
    assert_eq!(at(None, "2025-01-10T09:15:00Z"), (SlaState::Warning, 15, 45));
    assert_eq!(at(None, "2025-01-10T09:59:30Z"), (SlaState::Warning, 59, 0));
    assert_eq!(at(None, "2025-01-10T10:00:00Z"), (SlaState::Violated, 60, 0));
    assert_eq!(at(None, "2025-01-10T10:30:00Z"), (SlaState::Violated, 90, -30));
    assert_eq!(at(Some("2025-01-10T09:30:00Z"), "2025-01-10T11:00:00Z"), (SlaState::Met, 30, 30));
    assert_eq!(at(Some("2025-01-10T10:10:00Z"), "2025-01-10T11:00:00Z"), (SlaState::Violated, 70, -10));
    // Done after `now` is not done yet.
    assert_eq!(at(Some("2025-01-10T12:00:00Z"), "2025-01-10T09:20:00Z"), (SlaState::Warning, 20, 40));
    let clock = timer.state(since, None, since);
    assert_eq!((clock.warning_at, clock.violated_at), (t("2025-01-10T09:15:00Z"), t("2025-01-10T10:00:00Z")));
}

#[test]
fn explain_walks_the_tree_in_words() {
    let critical = facts(r#"{"kind":"alert","region":"OH","level":"critical","score":82,"scoreChange":12}"#);
    let walk = explain(&Rules::builtin(), &critical, t("2025-01-10T09:00:00Z"));
    let seen: Vec<(&str, VisitOutcome)> = walk.visits.iter().map(|v| (v.route.as_str(), v.outcome)).collect();
    assert_eq!(
        seen,
        [
            ("root", VisitOutcome::Matched),
            ("root/drill", VisitOutcome::Failed),
            ("root/critical-dv", VisitOutcome::Matched),
            ("root/cases", VisitOutcome::NotTried),
        ]
    );
    let outcome = &walk.outcomes[0];
    assert_eq!(outcome.routed.urgency, Urgency::High);
    assert_eq!(outcome.notifications.len(), 4);
    assert_eq!(outcome.repeats, Some(Repeats { queue: "supervisors".into(), every_minutes: 30 }));
    assert_eq!(outcome.acknowledge.violated_at, t("2025-01-10T09:15:00Z"));
    let text = walk.to_string();
    for line in [
        "signal: alert, region OH, level critical, score 82, score change +12",
        "  root/drill        no: not drill traffic; the route takes drill traffic only",
        "  root/cases        not tried: root/critical-dv matched first and has no `continue`",
        "→ root/critical-dv → queue crisis (urgency high; group root/critical-dv:{kind=\"alert\",region=\"OH\"})",
        "  step 1   2025-01-10T09:15:00Z  supervisors",
        "  … then supervisors again every 30 minutes until acknowledged or closed",
        "  acknowledge: warning at 2025-01-10T09:10:00Z, violated at 2025-01-10T09:15:00Z",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
    let json = serde_json::to_value(&walk).unwrap();
    assert_eq!(json["outcomes"][0]["groupKey"], "root/critical-dv:{kind=\"alert\",region=\"OH\"}");
    assert_eq!(json["visits"][3]["outcome"], "notTried");
}

#[test]
fn fixtures_say_what_differs_and_refuse_a_bad_file_at_its_place() {
    let text = r#"
[[case]]
name = "wrong queue"
facts = { kind = "alert", region = "OH", level = "critical" }
opened_at = "2025-01-10T09:00:00Z"
until = 2025-01-10T09:20:00Z
expect.queues = ["advocates"]
expect.notifications = [{ at = 2025-01-10T09:00:00Z, queue = "crisis" }]

[[case]]
name = "right"
facts = { kind = "case" }
opened_at = 2025-01-10T09:00:00Z
expect.routes = ["root/cases"]
"#;
    let outcomes = run_fixtures(&Rules::builtin(), "f.toml", text).unwrap();
    assert_eq!((outcomes[0].passed, outcomes[1].passed), (false, true));
    assert_eq!(
        outcomes[0].differences,
        [
            "queues: expected advocates, got crisis",
            "notification 2: got supervisors at 2025-01-10T09:15:00Z (step 1), which was not expected",
        ]
    );
    let bad = |text: &str| {
        let e = run_fixtures(&Rules::builtin(), "f.toml", text).unwrap_err();
        format!("{}:{}: {}", e.line, e.column, e.message)
    };
    let case =
        "[[case]]\nname = \"c\"\nfacts = { kind = \"alert\", level = \"urgent\" }\nopened_at = 2025-01-10T09:00:00Z\n";
    assert!(bad(case).starts_with("3:9: facts: level: unknown level `urgent`"), "{}", bad(case));
    let early = case.replace("\"urgent\"", "\"low\"") + "expect.notifications = []\n";
    assert!(bad(&early).starts_with("2:8: case `c`: expect.notifications needs `until`"), "{}", bad(&early));
    let local = case.replace("\"urgent\"", "\"low\"").replace("09:00:00Z", "09:00:00");
    assert!(bad(&local).starts_with("4:13: ") && bad(&local).contains("offset"), "{}", bad(&local));
    let unknown = case.replace("\"urgent\"", "\"low\"") + "colour = \"red\"\n";
    assert!(bad(&unknown).starts_with("5:1: unknown field `colour`"), "{}", bad(&unknown));
    assert!(bad("rules = \"x.toml\"\n").contains("no [[case]]"));
}

#[test]
fn a_bad_file_is_refused_at_the_value_it_concerns() {
    let cases = [
        // Syntax, fields, names.
        ("unknown field", "colour = \"red\"\n", "16:1: unknown field `colour`"),
        ("syntax", "group_wait_minutes = = 3\n", "16:22: "),
        ("wrong type", "group_wait_minutes = \"five\"\n", "16:22: invalid type: string \"five\", expected u32"),
        (
            "unknown matcher",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { colour = \"red\" }\n",
            "19:11: unknown matcher `colour`; matchers: kind, region, level, patterns_any,",
        ),
        (
            "unknown queue",
            "\n[[route.routes]]\nname = \"x\"\nqueue = \"nowhere\"\n",
            "19:9: queue: unknown queue `nowhere`; queues: advocates, supervisors, training",
        ),
        (
            "unknown escalation queue",
            "\n[route.escalation]\nafter_minutes = 15\nthen = [\"supervisors\", \"nobody\"]\n",
            "19:24: escalation.then: unknown queue `nobody`",
        ),
        (
            "unknown region",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { region = [\"OH\", \"ZZ\"] }\n",
            "19:27: region: unknown region `ZZ`; regions are two-letter codes: AK,",
        ),
        (
            "unknown pattern",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { patterns_any = \"strangled\" }\n",
            "19:26: patterns_any: unknown pattern `strangled`; patterns: increasing_frequency,",
        ),
        (
            "unknown level",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { level = [\"urgent\"] }\n",
            "19:20: level: unknown level `urgent`; levels: low, moderate, high, critical",
        ),
        (
            "unknown kind",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { kind = \"call\" }\n",
            "19:18: kind: unknown kind `call`; kinds: alert, case",
        ),
        (
            "unknown time zone",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { level = \"low\" }\n[route.routes.quiet_hours]\ntime_zone = \"Mars/Olympus\"\nstart = \"22:00\"\nend = \"07:00\"\n",
            "21:13: quiet_hours.time_zone: unknown time zone `Mars/Olympus`",
        ),
        (
            "bad time",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { level = \"low\" }\nquiet_hours = { time_zone = \"Europe/London\", start = \"10pm\", end = \"07:00\" }\n",
            "20:54: quiet_hours.start: `10pm` is not a time",
        ),
        ("unknown urgency", "urgency = \"urgent\"\n", "16:11: urgency: unknown urgency `urgent`; urgencies: high, low"),
        (
            "unknown group_by",
            "group_by = [\"kind\", \"colour\"]\n",
            "16:21: group_by: unknown fact `colour`; signals group by kind, region, level, scenario, drill",
        ),
        // Timers.
        (
            "repeat shorter than the group interval",
            "\n[route.escalation]\nafter_minutes = 15\nthen = [\"supervisors\"]\nrepeat_minutes = 2\n",
            "20:18: escalation.repeat_minutes: route `root` repeats every 2 minutes, shorter than its group_interval_minutes (5)",
        ),
        (
            "escalation before the first notification",
            "group_wait_minutes = 30\n\n[route.escalation]\nafter_minutes = 15\nthen = [\"supervisors\"]\n",
            "19:17: escalation.after_minutes: route `root` escalates after 15 minutes, which must be longer than its group_wait_minutes (30)",
        ),
        (
            "a timer of 0",
            "group_interval_minutes = 0\n",
            "16:26: group_interval_minutes: must be 1–525600 minutes, got 0",
        ),
        (
            "sla warning after its violation",
            "\n[route.sla]\nacknowledge_warn_minutes = 60\nacknowledge_violate_minutes = 30\n",
            "18:28: sla.acknowledge_warn_minutes: the warning (60 minutes) must come before the violation (30 minutes)",
        ),
        (
            "inherited sla warning after a child's violation",
            "\n[[route.routes]]\nname = \"x\"\nsla = { handoff_violate_minutes = 200 }\n",
            "19:35: sla.handoff_violate_minutes: the warning (240 minutes) must come before the violation (200 minutes)",
        ),
        // Unreachable routes.
        (
            "after a catch-all",
            "\n[[route.routes]]\nname = \"all\"\n\n[[route.routes]]\nname = \"later\"\nmatch = { kind = \"case\" }\n",
            "21:8: route `later` can never be reached: `root/all` before it has no matchers and no `continue`",
        ),
        (
            "score_min above score_max",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { score_min = 70, score_max = 50 }\n",
            "19:23: match: route `root/x`: score_min 70 is above score_max 50: the route can never be reached",
        ),
        (
            "a case score above 1",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { kind = \"case\", score_min = 70 }\n",
            "19:38: match: route `root/x`: score_min 70 can never hold: a case's score is a probability, at most 1",
        ),
        (
            "a case with a level",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { kind = \"case\", level = \"low\" }\n",
            "19:34: match: route `root/x`: cases have no DV level and the route takes cases only: the route can never be reached",
        ),
        (
            "a kind its parent leaves out",
            "\n[[route.routes]]\nname = \"alerts\"\nmatch = { kind = \"alert\" }\n\n[[route.routes.routes]]\nname = \"cases\"\nmatch = { kind = \"case\" }\n",
            "23:18: match: route `root/alerts/cases`: an enclosing route takes alerts only",
        ),
        (
            "an empty list",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { region = [] }\n",
            "19:20: match: route `root/x`: `region` is an empty list, which nothing matches",
        ),
        // Quiet hours where nothing may wait.
        (
            "quiet hours on a route that can receive critical alerts",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { kind = \"alert\" }\n[route.routes.quiet_hours]\ntime_zone = \"Europe/London\"\nstart = \"22:00\"\nend = \"07:00\"\n",
            "20:1: quiet_hours: route `root/x` can receive critical alerts, which are never deferred",
        ),
        (
            "quiet hours at the root",
            "quiet_hours = { time_zone = \"Europe/London\", start = \"22:00\", end = \"07:00\" }\n",
            "16:15: quiet_hours: route `root` can receive critical alerts",
        ),
        (
            "quiet hours on a high-urgency route",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { level = [\"low\"] }\nurgency = \"high\"\nquiet_hours = { time_zone = \"Europe/London\", start = \"22:00\", end = \"07:00\" }\n",
            "21:15: quiet_hours: route `root/x` has urgency high",
        ),
        (
            "inherited quiet hours on a child made high-urgency",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { level = [\"low\"] }\nquiet_hours = { time_zone = \"Europe/London\", start = \"22:00\", end = \"07:00\" }\n\n[[route.routes.routes]]\nname = \"y\"\nmatch = { region = \"OH\" }\nurgency = \"high\"\n",
            "25:11: quiet_hours: route `root/x/y` has urgency high",
        ),
        (
            "an empty quiet window",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { kind = \"case\" }\nquiet_hours = { time_zone = \"Europe/London\", start = \"22:00\", end = \"22:00\" }\n",
            "20:69: quiet_hours.end: the window ends when it starts",
        ),
        // Drill traffic and training queues.
        (
            "drill = true to a real queue",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { drill = true }\n",
            "19:19: route `root/x` takes drill traffic only (drill = true), but its queue `advocates` is not a training queue",
        ),
        (
            "real signals to a training queue",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { kind = \"case\" }\nqueue = \"training\"\n",
            "20:9: queue: `training` is a training queue, which takes drill traffic only, and the route can receive real signals",
        ),
        (
            "an escalation from a real queue to a training queue",
            "\n[route.escalation]\nafter_minutes = 15\nthen = [\"training\"]\n",
            "19:9: escalation.then: route `root` escalates to `training`, a training queue, from a queue that is not",
        ),
        // Names.
        (
            "a duplicate route name",
            "\n[[route.routes]]\nname = \"x\"\nmatch = { kind = \"case\" }\n\n[[route.routes]]\nname = \"x\"\n",
            "22:8: name: route `x` is defined twice",
        ),
        (
            "a route without a name",
            "\n[[route.routes]]\nqueue = \"advocates\"\n",
            "17:1: name: every route below the root needs a name",
        ),
        (
            "a bad route name",
            "\n[[route.routes]]\nname = \"Critical DV\"\n",
            "18:8: name: route name `Critical DV` must be lower-case",
        ),
        ("a name at the root", "name = \"top\"\n", "16:8: name: the root route is always `root`"),
        ("a match at the root", "match = { kind = \"alert\" }\n", "16:9: match: every signal enters the root"),
    ];
    for (what, extra, expected) in cases {
        let got = error(extra);
        assert!(got.starts_with(expected), "{what}:\n  expected {expected}\n  got      {got}");
    }
    let whole = [
        (
            "a duplicate queue",
            BASE.replace("\"supervisors\"", "\"advocates\""),
            "6:8: name: queue `advocates` is defined twice",
        ),
        (
            "an unknown role",
            BASE.replace("\"admin\"", "\"boss\""),
            "7:8: role: unknown role `boss`; roles: executive, analyst, investigator, advocate, trainer, admin",
        ),
        (
            "a root without a queue",
            BASE.replace("queue = \"advocates\"\n", "group_wait_minutes = 0\n"),
            "14:1: queue: the root route needs a queue",
        ),
        ("no root", BASE.replace("[route]\nqueue = \"advocates\"\n", ""), "14:1: route: the file needs a [route]"),
        ("no queues", "[route]\nqueue = \"a\"\n".to_owned(), "1:1: queue: the file needs at least one [[queue]]"),
        (
            "a training root",
            BASE.replace("queue = \"advocates\"", "queue = \"training\""),
            "15:9: queue: `training` is a training queue, which takes drill traffic only, and every real signal",
        ),
    ];
    for (what, text, expected) in whole {
        let got = error_in(&text);
        assert!(got.starts_with(expected), "{what}:\n  expected {expected}\n  got      {got}");
    }
}

#[test]
fn facts_are_checked_when_people_write_them() {
    let check = |json: &str| facts(json).check();
    assert_eq!(check(r#"{"kind":"alert","region":"Ohio","level":"critical","score":90}"#), Ok(()));
    assert!(check(r#"{"kind":"alert","region":"ZZ"}"#).unwrap_err().starts_with("region: unknown region `ZZ`"));
    assert!(check(r#"{"kind":"case","level":"high"}"#).unwrap_err().starts_with("level: cases have no DV level"));
    assert!(check(r#"{"kind":"alert","patterns":["x"]}"#).unwrap_err().starts_with("patterns: unknown pattern `x`"));
    assert!(check(r#"{"kind":"case","score":40}"#).unwrap_err().contains("between 0 and 1"));
    assert!(serde_json::from_str::<Facts>(r#"{"kind":"alert","colour":"red"}"#).is_err());
    assert_eq!(facts(r#"{"kind":"case","score_change":0.1}"#).score_change, Some(0.1));
    assert_eq!(facts(r#"{"kind":"case"}"#).kind, SignalKind::Case);
}

#[test]
fn webhooks_are_listed_once_each() {
    let text = BASE
        .replace("role = \"advocate\"", "role = \"advocate\"\nwebhooks = [\"relay\", \"pager\"]")
        .replace("role = \"admin\"", "role = \"admin\"\nwebhooks = [\"pager\"]");
    assert_eq!(Rules::parse("t.toml", &text).unwrap().webhooks(), ["relay", "pager"]);
}
