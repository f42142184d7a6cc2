//! `safehaven rules test`: fixture files (TOML) of signals and what the rules should do with them (the routes, the
//! queues, the group keys, the urgency, every notification up to a time, the SLA states at a time); each case
//! passes or fails with its differences in words. A mistake in the file itself is a located error.

use super::explain::time;
use super::{Facts, Notification, Rules, SlaState, Urgency};
use crate::text::located::{ParseError, Source};
use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFixtures {
    /// The rules file the cases are for, relative to the fixture file (the command reads it).
    rules: Option<String>,
    #[serde(default, rename = "case")]
    cases: Vec<RawCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: Spanned<String>,
    facts: Spanned<Facts>,
    opened_at: Instant,
    /// Stops the escalation chain; the acknowledge SLA is met or violated by it.
    acknowledged_at: Option<Instant>,
    handed_off_at: Option<Instant>,
    /// Notifications are listed up to this time (inclusive).
    until: Option<Instant>,
    /// The SLA states are read at this time.
    now: Option<Instant>,
    #[serde(default)]
    expect: Expect,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    routes: Option<Vec<String>>,
    queues: Option<Vec<String>>,
    group_keys: Option<Vec<String>>,
    /// Of every route the signal lands in.
    urgency: Option<Urgency>,
    /// Every notification up to `until`, of every route, in time order.
    notifications: Option<Vec<Expected>>,
    /// The first route's acknowledge SLA at `now`.
    acknowledge: Option<SlaState>,
    /// The first route's hand-off SLA at `now`.
    handoff: Option<SlaState>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    at: Instant,
    queue: String,
    step: Option<u32>,
    due: Option<Instant>,
    deferred: Option<bool>,
}

/// An RFC 3339 time with an offset, written as a TOML date-time or a string.
#[derive(Debug, Clone, Copy)]
struct Instant(DateTime<Utc>);

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Instant, D::Error> {
        struct InstantVisitor;
        impl<'de> Visitor<'de> for InstantVisitor {
            type Value = Instant;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an RFC 3339 time with an offset, such as 2025-01-10T09:00:00Z")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Instant, E> {
                DateTime::parse_from_rfc3339(v).map(|t| Instant(t.with_timezone(&Utc))).map_err(|_| {
                    E::custom(format!("`{v}` is not an RFC 3339 time with an offset, such as 2025-01-10T09:00:00Z"))
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Instant, A::Error> {
                let datetime = toml::value::Datetime::deserialize(de::value::MapAccessDeserializer::new(map))?;
                self.visit_str(&datetime.to_string())
            }
        }
        deserializer.deserialize_any(InstantVisitor)
    }
}

/// How one case fared.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FixtureOutcome {
    pub name: String,
    pub passed: bool,
    /// Each expectation that did not hold, in words.
    pub differences: Vec<String>,
    /// What the rules did: the routes and queues the signal landed in, and its notifications up to `until`.
    pub routes: Vec<String>,
    pub queues: Vec<String>,
    pub notifications: Vec<Notification>,
}

/// The rules file a fixture file names (`rules = "default.toml"`, relative to the fixture file), if it does.
pub fn fixtures_rules(file: &str, text: &str) -> Result<Option<String>, ParseError> {
    Ok(Source { file, text }.deserialize::<RawFixtures>()?.rules)
}

/// Runs every case of a fixture file against `rules`; an error is a mistake in the file (nothing is run).
pub fn run_fixtures(rules: &Rules, file: &str, text: &str) -> Result<Vec<FixtureOutcome>, ParseError> {
    let source = Source { file, text };
    let raw: RawFixtures = source.deserialize()?;
    if raw.cases.is_empty() {
        return Err(source.error(text.len(), "case: the file has no [[case]] to run".into()));
    }
    let mut names: Vec<&str> = Vec::new();
    for case in &raw.cases {
        let name = case.name.get_ref().as_str();
        if names.contains(&name) {
            return Err(source.error_in(case.name.span(), format!("name: case `{name}` is defined twice")));
        }
        names.push(name);
        case.facts.get_ref().check().map_err(|e| source.error_in(case.facts.span(), format!("facts: {e}")))?;
        if case.expect.notifications.is_some() && case.until.is_none() {
            return Err(source.error_in(
                case.name.span(),
                format!("case `{name}`: expect.notifications needs `until`, the time up to which they are listed"),
            ));
        }
        if (case.expect.acknowledge.is_some() || case.expect.handoff.is_some()) && case.now.is_none() {
            return Err(source.error_in(
                case.name.span(),
                format!("case `{name}`: an expected SLA state needs `now`, the time it is read at"),
            ));
        }
    }
    Ok(raw.cases.iter().map(|case| run(rules, case)).collect())
}

fn run(rules: &Rules, case: &RawCase) -> FixtureOutcome {
    let facts = case.facts.get_ref();
    let routed = rules.route(facts);
    let (opened, acknowledged) = (case.opened_at.0, case.acknowledged_at.map(|t| t.0));
    let routes: Vec<String> = routed.iter().map(|r| r.route.clone()).collect();
    let queues: Vec<String> = routed.iter().map(|r| r.queue.clone()).collect();
    let mut notifications: Vec<Notification> = case
        .until
        .map(|until| routed.iter().flat_map(|r| r.notifications(opened, acknowledged, until.0)).collect())
        .unwrap_or_default();
    // Stable: notifications at the same time stay in route order.
    notifications.sort_by_key(|n| n.at);

    let mut differences = Vec::new();
    let list = |items: &[String]| if items.is_empty() { "none".to_owned() } else { items.join(", ") };
    let mut compare = |what: &str, expected: &Option<Vec<String>>, got: &[String]| {
        if let Some(expected) = expected
            && expected.as_slice() != got
        {
            differences.push(format!("{what}: expected {}, got {}", list(expected), list(got)));
        }
    };
    compare("routes", &case.expect.routes, &routes);
    compare("queues", &case.expect.queues, &queues);
    let keys: Vec<String> = routed.iter().map(|r| r.group_key.clone()).collect();
    compare("group keys", &case.expect.group_keys, &keys);
    if let Some(urgency) = case.expect.urgency {
        for r in routed.iter().filter(|r| r.urgency != urgency) {
            differences.push(format!("urgency: expected {}, got {} ({})", urgency.name(), r.urgency.name(), r.route));
        }
    }
    if let Some(expected) = &case.expect.notifications {
        differences.extend(compare_notifications(expected, &notifications));
    }
    let first = routed.first();
    let clocks = [
        ("acknowledge", case.expect.acknowledge, acknowledged, first.map(|r| r.sla.acknowledge)),
        ("hand-off", case.expect.handoff, case.handed_off_at.map(|t| t.0), first.map(|r| r.sla.handoff)),
    ];
    for (what, expected, done, timer) in clocks {
        let (Some(expected), Some(now)) = (expected, case.now) else { continue };
        let Some(timer) = timer else {
            differences.push(format!("{what}: expected {}, but the signal is not routed", expected.name()));
            continue;
        };
        let clock = timer.state(opened, done, now.0);
        if clock.state != expected {
            differences.push(format!(
                "{what} at {}: expected {}, got {} ({} minutes elapsed)",
                time(now.0),
                expected.name(),
                clock.state.name(),
                clock.elapsed_minutes
            ));
        }
    }
    FixtureOutcome {
        name: case.name.get_ref().clone(),
        passed: differences.is_empty(),
        differences,
        routes,
        queues,
        notifications,
    }
}

fn compare_notifications(expected: &[Expected], got: &[Notification]) -> Vec<String> {
    let mut out = Vec::new();
    let said = |n: &Notification| format!("{} at {} (step {})", n.queue, time(n.at), n.step);
    for i in 0..expected.len().max(got.len()) {
        let nth = i + 1;
        match (expected.get(i), got.get(i)) {
            (Some(e), Some(g)) => {
                let mut wrong = Vec::new();
                if e.queue != g.queue || e.at.0 != g.at {
                    wrong.push(format!("expected {} at {}", e.queue, time(e.at.0)));
                }
                if let Some(step) = e.step.filter(|s| *s != g.step) {
                    wrong.push(format!("expected step {step}"));
                }
                if let Some(due) = e.due.filter(|d| d.0 != g.due) {
                    wrong.push(format!("expected due {}, it is due {}", time(due.0), time(g.due)));
                }
                if let Some(deferred) = e.deferred.filter(|d| *d != g.deferred) {
                    wrong.push(if deferred {
                        "expected it deferred".into()
                    } else {
                        "expected it not deferred".into()
                    });
                }
                if !wrong.is_empty() {
                    out.push(format!("notification {nth}: {}; got {}", wrong.join(", "), said(g)));
                }
            }
            (Some(e), None) => {
                out.push(format!("notification {nth}: expected {} at {}, got none", e.queue, time(e.at.0)))
            }
            (None, Some(g)) => out.push(format!("notification {nth}: got {}, which was not expected", said(g))),
            (None, None) => {}
        }
    }
    out
}
