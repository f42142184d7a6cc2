//! Routing rules (`routing.toml`), pure (no I/O): which queue a signal lands in, how it is grouped, when its
//! escalation chain notifies whom, when quiet hours defer a notification, and its SLA clocks.
//!
//! A file is a list of queues (each a role's, some for training) and a tree of routes, Alertmanager-style: every
//! signal enters the root; children are tried in order, depth first, and the first that matches takes it unless
//! it says `continue`; when no child matches, the parent does. Children inherit what they leave unset. The file is
//! checked whole when it is parsed ([`Rules::parse`]): a mistake anywhere is a `file:line:column: message` error
//! and nothing is loaded. `routing/README.md` says how to write one; `routing/default.toml` is [`Rules::builtin`].
//!
//! The timers, from a signal's `opened_at` (o), for a route with group wait w, escalation `after_minutes` a to
//! `then = [q1, …, qn]` and `repeat_minutes` r (see [`Routed::notifications`]):
//!
//! - step 0 goes to the route's queue at o + w;
//! - step i (1 ≤ i ≤ n) goes to qi at o + i·a;
//! - step n + k (k ≥ 1) goes to qn again at o + n·a + k·r, until the signal is acknowledged or closed (nothing
//!   closes itself).
//!
//! Quiet hours move a notification that falls inside them to their end, and the steps after it keep their
//! spacing from it, so a deferred chain is never dropped, never bunched, and its notifications stay in order.
//!
//! `file.rs` reads and checks a file; `matcher.rs` holds the matchers and what a route can receive; `timing.rs`
//! the chain, quiet hours and SLA clocks; `explain.rs` the walk in words (`safehaven rules explain`);
//! `fixtures.rs` the fixture files of `safehaven rules test`.

mod explain;
mod file;
mod fixtures;
mod matcher;
mod timing;

pub use explain::{Deadlines, Explanation, Outcome, Repeats, Visit, VisitOutcome, explain};
pub use fixtures::{FixtureOutcome, fixtures_rules, run_fixtures};
pub use matcher::Matcher;
pub use timing::{Escalation, Notification, QuietHours, Sla, SlaClock, SlaState, Timer};

use super::signal::SignalKind;
use crate::dv::Level;
use crate::privacy::roles::Role;
use crate::text::located::ParseError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The built-in rules, used when the data dir has no `routing.toml` (compile-time text, not I/O).
pub const BUILTIN: &str = include_str!("../../routing/default.toml");

/// The built-in rules' file, as an error in them would name it (a test parses them).
pub const BUILTIN_FILE: &str = "routing/default.toml";

/// What routing knows about a signal. In JSON (`safehaven rules explain SIGNAL.json`) the fields are camelCase;
/// `score_change` is read as `scoreChange`, as fixture files (TOML) write it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Facts {
    /// `alert`: a DV crisis alert; `case`: a financial-distress case flagged from the case list.
    pub kind: SignalKind,
    /// The region's two-letter code (`OH`); a region's name (`Ohio`) is read as its code.
    pub region: Option<String>,
    /// An alert's DV level: low, moderate, high or critical. Cases have none.
    pub level: Option<String>,
    /// An alert's DV pattern names (`strangulation_choking`, …). Cases have none.
    #[serde(default)]
    pub patterns: Vec<String>,
    /// An alert's overall DV score, 0–100; a case's probability of distress, 0–1.
    pub score: Option<f64>,
    /// An alert's score change since the previous assessment, in points; a case's change in probability since 3
    /// months earlier.
    #[serde(alias = "score_change")]
    pub score_change: Option<f64>,
    /// The chaos scenario the signal came from, if any.
    pub scenario: Option<String>,
    /// The signal is drill traffic: it reaches training queues only.
    #[serde(default)]
    pub drill: bool,
}

impl Facts {
    /// Checks the names and ranges, for facts a person wrote (an explain file, a fixture); a message says what to fix.
    pub fn check(&self) -> Result<(), String> {
        if let Some(region) = &self.region {
            matcher::region_code(region).map_err(|e| format!("region: {e}"))?;
        }
        if self.kind == SignalKind::Case {
            if self.level.is_some() {
                return Err("level: cases have no DV level (route them by score, their probability)".into());
            }
            if !self.patterns.is_empty() {
                return Err("patterns: cases have no DV patterns".into());
            }
        }
        if let Some(level) = &self.level
            && matcher::level(level).is_none()
        {
            return Err(format!("level: unknown level `{level}`; levels: {}", matcher::level_names()));
        }
        if let Some(pattern) = self.patterns.iter().find(|p| matcher::pattern(p).is_none()) {
            return Err(format!("patterns: unknown pattern `{pattern}`; patterns: {}", matcher::pattern_names()));
        }
        let top = matcher::score_top(self.kind);
        if let Some(score) = self.score
            && !(score.is_finite() && (0.0..=top).contains(&score))
        {
            return Err(format!("score: a{} score is between 0 and {top}, got {score}", article(self.kind)));
        }
        if let Some(change) = self.score_change
            && !(change.is_finite() && (-top..=top).contains(&change))
        {
            return Err(format!(
                "scoreChange: a{} score change is between -{top} and {top}, got {change}",
                article(self.kind)
            ));
        }
        Ok(())
    }

    /// The DV level, when it is one.
    fn dv_level(&self) -> Option<Level> {
        self.level.as_deref().and_then(matcher::level)
    }
}

fn article(kind: SignalKind) -> &'static str {
    match kind {
        SignalKind::Alert => "n alert's",
        SignalKind::Case => " case's",
    }
}

/// Where signals go: one role's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Queue {
    pub name: String,
    pub role: Role,
    /// Takes drill traffic, and only drill traffic.
    pub training: bool,
    /// Webhook destinations (names in appliance.toml) notified for this queue.
    pub webhooks: Vec<String>,
}

/// How soon a route's notifications need a person (PagerDuty-style): a critical-level signal is always `high`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Urgency {
    Low,
    High,
}

impl Urgency {
    pub fn name(self) -> &'static str {
        match self {
            Urgency::Low => "low",
            Urgency::High => "high",
        }
    }
}

/// A fact signals can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    Kind,
    Region,
    Level,
    Scenario,
    Drill,
}

impl GroupBy {
    pub const ALL: [GroupBy; 5] = [GroupBy::Kind, GroupBy::Region, GroupBy::Level, GroupBy::Scenario, GroupBy::Drill];

    pub fn name(self) -> &'static str {
        match self {
            GroupBy::Kind => "kind",
            GroupBy::Region => "region",
            GroupBy::Level => "level",
            GroupBy::Scenario => "scenario",
            GroupBy::Drill => "drill",
        }
    }

    fn value(self, facts: &Facts) -> String {
        match self {
            GroupBy::Kind => facts.kind.name().to_owned(),
            GroupBy::Region => facts
                .region
                .as_deref()
                .map(|r| matcher::region_code(r).map_or_else(|_| r.to_owned(), str::to_owned))
                .unwrap_or_default(),
            GroupBy::Level => facts.level.clone().unwrap_or_default(),
            GroupBy::Scenario => facts.scenario.clone().unwrap_or_default(),
            GroupBy::Drill => facts.drill.to_string(),
        }
    }
}

/// A checked route, with every setting resolved (its own, else its parent's, else the default).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// `root` for the root.
    pub name: String,
    /// The names from the root down, joined by `/` (`root/critical-dv`).
    pub path: String,
    #[serde(rename = "match")]
    pub matcher: Matcher,
    /// Matching goes on to the later siblings after this route matched.
    #[serde(rename = "continue")]
    pub continues: bool,
    pub queue: String,
    pub group_by: Vec<GroupBy>,
    pub group_wait_minutes: u32,
    pub group_interval_minutes: u32,
    pub urgency: Urgency,
    pub escalation: Option<Escalation>,
    pub sla: Sla,
    pub quiet_hours: Option<QuietHours>,
    pub routes: Vec<Route>,
}

impl Route {
    /// This route and every route below it, depth first.
    pub fn walk(&self) -> Vec<&Route> {
        let mut all = vec![self];
        for child in &self.routes {
            all.extend(child.walk());
        }
        all
    }
}

/// A rules file, parsed and checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rules {
    file: String,
    queues: Vec<Queue>,
    route: Route,
}

impl Rules {
    /// Parses and checks a rules file; `file` names it in errors. Any mistake is an error, and nothing is loaded.
    pub fn parse(file: &str, text: &str) -> Result<Rules, ParseError> {
        let (queues, route) = file::parse(file, text)?;
        Ok(Rules { file: file.to_owned(), queues, route })
    }

    /// The built-in rules (`routing/default.toml`), used when the data dir has no `routing.toml`; their
    /// [`Rules::file`] is `built-in routing/default.toml`, so that explanations say which rules applied.
    pub fn builtin() -> Rules {
        // A unit test parses the same text, so this cannot fail in a build that passed its tests.
        let rules = Rules::parse(BUILTIN_FILE, BUILTIN)
            .unwrap_or_else(|e| panic!("the built-in routing rules are invalid: {e}"));
        Rules { file: format!("built-in {BUILTIN_FILE}"), ..rules }
    }

    /// The file the rules came from, as it was named to [`Rules::parse`].
    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn queues(&self) -> &[Queue] {
        &self.queues
    }

    pub fn queue(&self, name: &str) -> Option<&Queue> {
        self.queues.iter().find(|q| q.name == name)
    }

    /// The root route, with the whole tree below it.
    pub fn root(&self) -> &Route {
        &self.route
    }

    /// Every webhook destination the queues name, once each, in the order the file first names them (for the
    /// caller to check each exists in appliance.toml).
    pub fn webhooks(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for name in self.queues.iter().flat_map(|q| &q.webhooks) {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        names
    }

    /// The routes a signal lands in: usually one; more when a matching route says `continue`; none only for drill
    /// traffic when the file has no training queue ([`explain`] says why).
    pub fn route(&self, facts: &Facts) -> Vec<Routed> {
        self.resolve(facts, None).0
    }

    fn is_training(&self, queue: &str) -> bool {
        self.queue(queue).is_some_and(|q| q.training)
    }

    /// The routes a signal lands in, and a note on drill traffic when it changed them; `trace` collects the walk.
    fn resolve(&self, facts: &Facts, mut trace: Option<&mut Vec<Visit>>) -> (Vec<Routed>, Option<String>) {
        if let Some(trace) = trace.as_deref_mut() {
            trace.push(Visit {
                route: self.route.path.clone(),
                depth: 0,
                outcome: VisitOutcome::Matched,
                reasons: vec!["every signal enters the root".into()],
            });
        }
        let mut matched = Vec::new();
        descend(&self.route, facts, 0, &mut trace, &mut matched);
        if !facts.drill {
            return (matched.iter().map(|r| Routed::new(r, facts, &r.queue, r.escalation.clone())).collect(), None);
        }
        let (training, skipped): (Vec<&Route>, Vec<&Route>) =
            matched.into_iter().partition(|r| self.is_training(&r.queue));
        let names = |routes: &[&Route]| {
            routes.iter().map(|r| format!("{} (queue `{}`)", r.path, r.queue)).collect::<Vec<_>>().join(", ")
        };
        if !training.is_empty() {
            let note = (!skipped.is_empty())
                .then(|| format!("drill traffic reaches training queues only: skipped {}", names(&skipped)));
            return (training.iter().map(|r| Routed::new(r, facts, &r.queue, r.escalation.clone())).collect(), note);
        }
        match self.queues.iter().find(|q| q.training) {
            Some(queue) => {
                let first = skipped[0];
                let note = format!(
                    "drill traffic reaches training queues only: {} is not one, so the signal goes to the first \
                     training queue, `{}`, with that route's settings and no escalation",
                    names(&skipped),
                    queue.name
                );
                (vec![Routed::new(first, facts, &queue.name, None)], Some(note))
            }
            None => (
                Vec::new(),
                Some(format!(
                    "drill traffic reaches training queues only, and {} has none: the signal is not routed (add a \
                     [[queue]] with training = true)",
                    self.file
                )),
            ),
        }
    }
}

/// Tries `node`'s children in order (`node` matched); collects the routes the signal lands in.
fn descend<'a>(
    node: &'a Route,
    facts: &Facts,
    depth: u32,
    trace: &mut Option<&mut Vec<Visit>>,
    out: &mut Vec<&'a Route>,
) {
    let before = out.len();
    let mut taken_by: Option<&str> = None;
    for child in &node.routes {
        let record = |trace: &mut Option<&mut Vec<Visit>>, outcome, reasons| {
            if let Some(trace) = trace.as_deref_mut() {
                trace.push(Visit { route: child.path.clone(), depth: depth + 1, outcome, reasons });
            }
        };
        if let Some(by) = taken_by {
            record(trace, VisitOutcome::NotTried, vec![format!("{by} matched first and has no `continue`")]);
            continue;
        }
        let failures = child.matcher.failures(facts);
        if !failures.is_empty() {
            record(trace, VisitOutcome::Failed, failures);
            continue;
        }
        let why = if child.matcher.is_empty() {
            "no matchers: takes every signal its parent passes"
        } else {
            "every matcher holds"
        };
        record(trace, VisitOutcome::Matched, vec![why.to_owned()]);
        descend(child, facts, depth + 1, trace, out);
        if !child.continues {
            taken_by = Some(&child.path);
        }
    }
    if out.len() == before {
        out.push(node);
    }
}

/// Where a signal landed, with everything needed to notify and time it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Routed {
    /// The route's path (`root/critical-dv`).
    pub route: String,
    pub queue: String,
    /// Signals with the same key are one group: the route's path and its `group_by` facts
    /// (`root/critical-dv:{kind="alert",region="OH"}`).
    pub group_key: String,
    pub urgency: Urgency,
    pub escalation: Option<Escalation>,
    pub sla: Sla,
    pub quiet_hours: Option<QuietHours>,
    pub group_wait_minutes: u32,
    pub group_interval_minutes: u32,
}

impl Routed {
    fn new(route: &Route, facts: &Facts, queue: &str, escalation: Option<Escalation>) -> Routed {
        let grouped: Vec<String> =
            route.group_by.iter().map(|g| format!("{}={:?}", g.name(), g.value(facts))).collect();
        let urgency = if facts.dv_level() == Some(Level::Critical) { Urgency::High } else { route.urgency };
        Routed {
            route: route.path.clone(),
            queue: queue.to_owned(),
            group_key: format!("{}:{{{}}}", route.path, grouped.join(",")),
            urgency,
            escalation,
            sla: route.sla,
            quiet_hours: route.quiet_hours,
            group_wait_minutes: route.group_wait_minutes,
            group_interval_minutes: route.group_interval_minutes,
        }
    }

    /// Every notification of the chain sent up to `until` (inclusive), stopped at `stopped_at` (acknowledged or
    /// closed: a notification at or after it is not sent), with quiet-hours deferral applied, in order.
    ///
    /// Steps are numbered from 0: step 0 to the route's queue at opened + group wait; step i to the escalation's
    /// i-th `then` queue at opened + i × after; then the last `then` queue again every `repeat_minutes`. `due` is
    /// that plain schedule; `at` is when it is sent: a step in quiet hours waits for their end, and every later
    /// step keeps its spacing from it (`deferred` when `at` is later than `due`).
    pub fn notifications(
        &self,
        opened_at: DateTime<Utc>,
        stopped_at: Option<DateTime<Utc>>,
        until: DateTime<Utc>,
    ) -> Vec<Notification> {
        self.chain(opened_at, stopped_at).take_while(|n| n.at <= until).collect()
    }

    /// The first notification sent after `after` (strictly), for a scheduler; `None` when the chain ends or is
    /// stopped before it. The chain's `at` times strictly increase, so asking again with the `at` just sent walks
    /// the whole chain, one notification at a time.
    pub fn next_notification(
        &self,
        opened_at: DateTime<Utc>,
        stopped_at: Option<DateTime<Utc>>,
        after: DateTime<Utc>,
    ) -> Option<Notification> {
        self.chain(opened_at, stopped_at).find(|n| n.at > after)
    }

    /// When a notification due at `at` is sent: at the end of the quiet window `at` falls in, else at `at`.
    pub fn defer(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        self.quiet_hours.as_ref().map_or(at, |q| q.defer(at))
    }

    /// The chain from `opened_at`, until it ends or is stopped (possibly without end, when it repeats).
    fn chain(&self, opened_at: DateTime<Utc>, stopped_at: Option<DateTime<Utc>>) -> impl Iterator<Item = Notification> {
        timing::Chain::new(self, opened_at).take_while(move |n| stopped_at.is_none_or(|s| n.at < s))
    }
}

impl fmt::Display for Routed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} → queue {} (urgency {}; group {})", self.route, self.queue, self.urgency.name(), self.group_key)
    }
}

#[cfg(test)]
mod tests;
