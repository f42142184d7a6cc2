//! Drill files, the run state's checks, the debrief's counts and replay, on hand-made logs.

use super::*;

const GOOD: &str = r#"
name = "test"
description = "a test drill"
scenario = "recession"
seed = 1
days_per_minute = 60

[[event]]
day = 1
kind = "shock"
month = 3

[[event]]
day = 2
kind = "alert_burst"
count = 2
"#;

#[test]
fn presets_parse() {
    for (name, _) in PRESETS {
        let drill = preset(name).unwrap().unwrap();
        assert_eq!(drill.name, name);
        assert!(drill.duration() >= drill.events.iter().map(|e| e.day).fold(0.0, f64::max));
    }
    let drill = Drill::parse("t.toml", GOOD).unwrap();
    assert_eq!(drill.duration(), 4.0, "the last event's day and the default two-day window");
    assert_eq!(drill.wall_seconds(), 4.0);
}

#[test]
fn each_error_class_names_the_place_and_field() {
    let err = Drill::parse("d.toml", "name = = 1").unwrap_err();
    assert!(err.to_string().starts_with("d.toml:1:"), "{err}");
    let kind = GOOD.replace("\"alert_burst\"", "\"meteor\"");
    let err = Drill::parse("d.toml", &kind).unwrap_err();
    assert!(err.message.contains("meteor") && err.message.contains("dv_incidents"), "{err}");
    assert_eq!(err.line, 15);
    let scenario = GOOD.replace("\"recession\"", "\"plague\"");
    let err = Drill::parse("d.toml", &scenario).unwrap_err();
    assert!(err.message.contains("unknown scenario `plague`") && err.message.contains("health_crisis"), "{err}");
    assert_eq!(err.line, 4);
    let month = GOOD.replace("month = 3", "month = 40");
    let err = Drill::parse("d.toml", &month).unwrap_err();
    assert!(err.message.contains("`month` must be 1–21") && err.line == 11, "{err}");
    let field = GOOD.replace("count = 2", "count = 2\nseverity = 3");
    let err = Drill::parse("d.toml", &field).unwrap_err();
    assert!(err.message.contains("not `severity`") && err.line == 17, "{err}");
    let speed = GOOD.replace("days_per_minute = 60", "days_per_minute = 0");
    assert!(Drill::parse("d.toml", &speed).unwrap_err().message.starts_with("days_per_minute"));
    let unknown = GOOD.replace("seed = 1", "seed = 1\ncolour = 2");
    assert!(Drill::parse("d.toml", &unknown).unwrap_err().message.contains("colour"));
    let no_scenario = GOOD.replace("scenario = \"recession\"\n", "");
    assert!(Drill::parse("d.toml", &no_scenario).unwrap_err().message.contains("names no `scenario`"));
    let region = GOOD.replace("count = 2", "count = 2\nregion = \"ZZ\"");
    assert!(Drill::parse("d.toml", &region).unwrap_err().message.contains("unknown region `ZZ`"));
    let level = GOOD.replace("count = 2", "count = 2\nlevel = \"meh\"");
    assert!(Drill::parse("d.toml", &level).unwrap_err().message.contains("critical or high"));
    let short = GOOD.replace("seed = 1", "seed = 1\nduration_days = 1");
    assert!(Drill::parse("d.toml", &short).unwrap_err().message.starts_with("duration_days"));
    let count = GOOD.replace("count = 2", "count = 0");
    assert!(Drill::parse("d.toml", &count).unwrap_err().message.contains("`count` must be 1–50"));
}

fn event(index: u32, day: f64, alerts: &[&str], cases: &[&str]) -> Event {
    Event {
        index,
        day,
        kind: if cases.is_empty() { EventKind::AlertBurst } else { EventKind::Shock },
        title: format!("event {index}"),
        summary: String::new(),
        respond_within_days: 2.0,
        figures: None,
        cases: cases
            .iter()
            .map(|id| DrillCase {
                case_id: (*id).into(),
                masked_id: format!("SH-{id}"),
                probability_before: 0.1,
                probability_after: 0.3,
            })
            .collect(),
        alerts: alerts
            .iter()
            .map(|id| DrillAlert {
                alert_id: (*id).into(),
                masked_id: "SV-x".into(),
                level: "critical".into(),
                reason: String::new(),
            })
            .collect(),
    }
}

fn line(seq: u64, day: f64, entry: Entry) -> Line {
    Line { seq, day, wall: format!("wall-{seq}"), entry }
}

fn act(kind: ActionKind, target: &str, note: &str) -> Action {
    Action { kind, target: target.into(), note: note.into() }
}

fn start() -> Line {
    let drill = Drill::parse("t.toml", GOOD).unwrap();
    line(
        0,
        0.0,
        Entry::Start {
            run_id: "DR-1".into(),
            drill,
            model_version: "m".into(),
            people: 10,
            survivors: 2,
            role: "trainer".into(),
            k: None,
        },
    )
}

fn timeline() -> Vec<Event> {
    vec![event(1, 1.0, &[], &["P-1", "P-2"]), event(2, 2.0, &["DA-2-1", "DA-2-2"], &[])]
}

fn scripted_log() -> Vec<Line> {
    let t = timeline();
    let action = |role: &str, a: Action| Entry::Action { role: role.into(), actor: format!("demo-{role}"), action: a };
    vec![
        start(),
        line(1, 1.0, Entry::Event { event: t[0].clone() }),
        line(2, 1.5, action("investigator", act(ActionKind::Flag, "P-1", "new job loss"))),
        line(3, 2.0, Entry::Event { event: t[1].clone() }),
        line(4, 2.25, action("advocate", act(ActionKind::Acknowledge, "DA-2-1", ""))),
        line(5, 2.5, Entry::Pause { role: "trainer".into() }),
        line(6, 2.5, Entry::Resume { role: "trainer".into() }),
        line(7, 3.9, action("investigator", act(ActionKind::Handoff, "P-1", "to financial counselling"))),
        line(8, 4.5, action("advocate", act(ActionKind::Escalate, "DA-2-1", "police"))),
        line(9, 5.0, Entry::Finish),
    ]
}

#[test]
fn the_fold_checks_actions() {
    let log = scripted_log();
    let mut state = RunState::fold(&log[..4], true).unwrap();
    assert_eq!(state.status, Status::Running);
    assert_eq!(state.check(&act(ActionKind::Acknowledge, "DA-2-1", "")), Ok(ItemKind::Alert));
    let again = state.check(&act(ActionKind::Flag, "P-1", "twice")).unwrap_err();
    assert!(again.to_string().contains("already flagged by investigator on drill day 1.5"), "{again}");
    assert!(matches!(state.check(&act(ActionKind::Flag, "DA-2-1", "x")), Err(ActionError::WrongTarget { .. })));
    assert!(matches!(state.check(&act(ActionKind::Escalate, "P-2", "x")), Err(ActionError::WrongTarget { .. })));
    assert!(matches!(state.check(&act(ActionKind::Flag, "P-9", "x")), Err(ActionError::UnknownTarget { .. })));
    assert!(matches!(state.check(&act(ActionKind::Flag, "P-2", " ")), Err(ActionError::Note(_))));
    assert!(matches!(state.check(&act(ActionKind::Flag, "P-2", &"x".repeat(501))), Err(ActionError::Note(_))));
    state.apply(&line(4, 2.1, Entry::Pause { role: "trainer".into() }));
    assert!(matches!(state.check(&act(ActionKind::Flag, "P-2", "x")), Err(ActionError::Paused { .. })));
    let done = RunState::fold(&log, false).unwrap();
    assert_eq!(done.status, Status::Finished);
    let err = done.check(&act(ActionKind::Flag, "P-2", "x")).unwrap_err();
    assert!(err.to_string().contains("has finished"), "{err}");
    let cut = RunState::fold(&log[..5], false).unwrap();
    assert_eq!(cut.status, Status::Interrupted);
}

#[test]
fn the_report_counts_on_time_late_and_missed() {
    let report = report(&scripted_log()).unwrap();
    assert_eq!((report.status, report.ended_day), ("finished", 5.0));
    let outcome = |id: &str| report.items.iter().find(|i| i.id == id).unwrap().outcome;
    assert_eq!(outcome("P-1"), report::Outcome::OnTime);
    assert_eq!(outcome("P-2"), report::Outcome::Missed);
    assert_eq!(outcome("DA-2-1"), report::Outcome::OnTime);
    assert_eq!(outcome("DA-2-2"), report::Outcome::Missed);
    assert_eq!(report.events[0].time_to_first_action_days, Some(0.5));
    assert_eq!(report.events[1].time_to_first_action_days, Some(0.25));
    assert_eq!((report.totals.on_time, report.totals.missed, report.totals.actions), (2, 2, 4));
    let investigator = report.roles.iter().find(|r| r.role == "investigator").unwrap();
    assert_eq!((investigator.flag, investigator.handoff, investigator.median_response_days), (1, 1, Some(0.5)));
    // Late: a first action after the window.
    let mut log = scripted_log();
    log[2].day = 3.5;
    let late = super::report(&log).unwrap();
    assert_eq!(late.items.iter().find(|i| i.id == "P-1").unwrap().outcome, report::Outcome::Late);
}

#[test]
fn a_faithful_log_replays_to_itself_and_a_changed_timeline_does_not() {
    let log = scripted_log();
    let t = timeline();
    assert_eq!(replay(&log, &t), log);
    assert_eq!(super::report(&replay(&log, &t)), super::report(&log));
    let mut other = t.clone();
    other[1].alerts.pop();
    assert_ne!(replay(&log, &other), log);
    // A log cut off by a crash keeps the events it released.
    assert_eq!(replay(&log[..4], &t), log[..4].to_vec());
}

#[test]
fn a_log_line_round_trips_through_json() {
    for line in scripted_log() {
        let text = serde_json::to_string(&line).unwrap();
        assert_eq!(serde_json::from_str::<Line>(&text).unwrap(), line, "{text}");
    }
}
