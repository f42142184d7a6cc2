//! `safehaven rules explain`: one signal's walk through the route tree, in words: each route tried, whether it
//! matched and, if not, which matchers failed; where the signal lands; its notifications from a given opening;
//! and its SLA deadlines.

use super::{Facts, Notification, Routed, Rules};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::fmt;

/// Repeats shown after an escalation's last step (they go on until the signal is acknowledged or closed).
const SHOWN_REPEATS: usize = 2;

/// How a route fared in the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum VisitOutcome {
    Matched,
    Failed,
    /// An earlier sibling matched and has no `continue`.
    NotTried,
}

/// One route the walk reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Visit {
    pub route: String,
    /// 0 for the root.
    pub depth: u32,
    pub outcome: VisitOutcome,
    /// Why, in words: each failed matcher, or what matched.
    pub reasons: Vec<String>,
}

/// When an SLA timer warns and is violated, if the signal is not acknowledged (or handed off) by then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deadlines {
    pub warning_at: DateTime<Utc>,
    pub violated_at: DateTime<Utc>,
}

/// How an escalation goes on after its last step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Repeats {
    pub queue: String,
    pub every_minutes: u32,
}

/// One route the signal lands in, with its timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    #[serde(flatten)]
    pub routed: Routed,
    /// Step 0, every escalation step, and the first repeats, as if nobody acknowledged.
    pub notifications: Vec<Notification>,
    pub repeats: Option<Repeats>,
    pub acknowledge: Deadlines,
    pub handoff: Deadlines,
}

/// The walk for one signal.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// The rules file.
    pub rules: String,
    pub facts: Facts,
    pub opened_at: DateTime<Utc>,
    /// Every route tried, depth first.
    pub visits: Vec<Visit>,
    /// What drill traffic changed, or why a drill signal is not routed.
    pub note: Option<String>,
    pub outcomes: Vec<Outcome>,
}

/// The walk through `rules` for these facts, and the timeline of each route they land in from `opened_at`.
pub fn explain(rules: &Rules, facts: &Facts, opened_at: DateTime<Utc>) -> Explanation {
    let mut visits = Vec::new();
    let (routed, note) = rules.resolve(facts, Some(&mut visits));
    let outcomes = routed
        .into_iter()
        .map(|routed| {
            let repeats = routed
                .escalation
                .as_ref()
                .and_then(|e| Some(Repeats { queue: e.then.last()?.clone(), every_minutes: e.repeat_minutes? }));
            let steps = 1
                + routed.escalation.as_ref().map_or(0, |e| e.then.len())
                + if repeats.is_some() { SHOWN_REPEATS } else { 0 };
            let deadlines = |t: super::Timer| {
                let clock = t.state(opened_at, None, opened_at);
                Deadlines { warning_at: clock.warning_at, violated_at: clock.violated_at }
            };
            Outcome {
                notifications: routed.chain(opened_at, None).take(steps).collect(),
                repeats,
                acknowledge: deadlines(routed.sla.acknowledge),
                handoff: deadlines(routed.sla.handoff),
                routed,
            }
        })
        .collect();
    Explanation { rules: rules.file().to_owned(), facts: facts.clone(), opened_at, visits, note, outcomes }
}

/// A time as the explanation prints it.
pub(super) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The facts in a line: "alert, region OH, level critical, patterns …, score 82, score change +12".
pub(super) fn describe(facts: &Facts) -> String {
    let mut parts = vec![facts.kind.name().to_owned()];
    if let Some(region) = &facts.region {
        parts.push(format!("region {region}"));
    }
    if let Some(level) = &facts.level {
        parts.push(format!("level {level}"));
    }
    if !facts.patterns.is_empty() {
        parts.push(format!("patterns {}", facts.patterns.join(", ")));
    }
    if let Some(score) = facts.score {
        parts.push(format!("score {score}"));
    }
    if let Some(change) = facts.score_change {
        parts.push(format!("score change {change:+}"));
    }
    if let Some(scenario) = &facts.scenario {
        parts.push(format!("scenario {scenario}"));
    }
    if facts.drill {
        parts.push("drill traffic".into());
    }
    parts.join(", ")
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "signal: {}", describe(&self.facts))?;
        writeln!(f, "rules:  {}", self.rules)?;
        writeln!(f, "opened: {}", time(self.opened_at))?;
        writeln!(f)?;
        let width = self.visits.iter().map(|v| 2 * v.depth as usize + v.route.chars().count()).max().unwrap_or(0) + 2;
        for visit in &self.visits {
            let label = format!("{}{}", "  ".repeat(visit.depth as usize), visit.route);
            let outcome = match visit.outcome {
                VisitOutcome::Matched => "matched",
                VisitOutcome::Failed => "no",
                VisitOutcome::NotTried => "not tried",
            };
            writeln!(f, "{label:<width$}{outcome}: {}", visit.reasons.join("; "))?;
        }
        if let Some(note) = &self.note {
            writeln!(f, "\n{note}")?;
        }
        for outcome in &self.outcomes {
            writeln!(f, "\n→ {}", outcome.routed)?;
            for n in &outcome.notifications {
                let deferred = if n.deferred {
                    format!("  (due {}, deferred by quiet hours)", time(n.due))
                } else {
                    String::new()
                };
                writeln!(f, "  step {:<3} {}  {}{deferred}", n.step, time(n.at), n.queue)?;
            }
            if let Some(r) = &outcome.repeats {
                writeln!(
                    f,
                    "  … then {} again every {} minutes until acknowledged or closed",
                    r.queue, r.every_minutes
                )?;
            } else if outcome.routed.escalation.is_none() {
                writeln!(f, "  no escalation: nobody else is told")?;
            }
            if let Some(q) = &outcome.routed.quiet_hours {
                writeln!(
                    f,
                    "  quiet hours {}–{} {}: notifications in them wait for their end",
                    q.start.format("%H:%M"),
                    q.end.format("%H:%M"),
                    q.time_zone.name()
                )?;
            }
            let (a, h) = (&outcome.acknowledge, &outcome.handoff);
            writeln!(f, "  acknowledge: warning at {}, violated at {}", time(a.warning_at), time(a.violated_at))?;
            writeln!(f, "  hand-off:    warning at {}, violated at {}", time(h.warning_at), time(h.violated_at))?;
        }
        if self.outcomes.is_empty() && self.note.is_none() {
            writeln!(f, "\nnot routed")?;
        }
        Ok(())
    }
}
