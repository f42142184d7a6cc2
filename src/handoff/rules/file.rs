//! A rules file as written (TOML, every value with its place in the file), and its checks: each mistake is one
//! `file:line:column: message` error at the value it concerns, and a file with one loads nothing.

use super::matcher::{self, Scope};
use super::{Escalation, GroupBy, Matcher, Queue, QuietHours, Route, Sla, Timer, Urgency};
use crate::handoff::signal::SignalKind;
use crate::privacy::roles::Role;
use crate::text::located::{ParseError, Source};
use chrono::NaiveTime;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use std::fmt;
use std::ops::Range;
use toml::Spanned;

/// The longest timer, in minutes: a year.
pub const MAX_MINUTES: u32 = 525_600;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    queue: Vec<Spanned<RawQueue>>,
    route: Option<Spanned<RawRoute>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQueue {
    name: Spanned<String>,
    role: Spanned<String>,
    #[serde(default)]
    webhooks: Vec<Spanned<String>>,
    #[serde(default)]
    training: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    name: Option<Spanned<String>>,
    #[serde(rename = "match")]
    matcher: Option<Spanned<RawMatch>>,
    queue: Option<Spanned<String>>,
    #[serde(rename = "continue")]
    continues: Option<Spanned<bool>>,
    group_by: Option<Spanned<Names>>,
    group_wait_minutes: Option<Spanned<u32>>,
    group_interval_minutes: Option<Spanned<u32>>,
    urgency: Option<Spanned<String>>,
    escalation: Option<Spanned<RawEscalation>>,
    sla: Option<Spanned<RawSla>>,
    quiet_hours: Option<Spanned<RawQuiet>>,
    #[serde(default)]
    routes: Vec<Spanned<RawRoute>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    kind: Option<Spanned<String>>,
    region: Option<Spanned<Names>>,
    level: Option<Spanned<Names>>,
    patterns_any: Option<Spanned<Names>>,
    patterns_all: Option<Spanned<Names>>,
    score_min: Option<Spanned<f64>>,
    score_max: Option<Spanned<f64>>,
    score_change_min: Option<Spanned<f64>>,
    scenario: Option<Spanned<Names>>,
    drill: Option<Spanned<bool>>,
}

/// The matchers, as written (the message for an unknown one lists them).
const MATCHERS: [&str; 10] = [
    "kind",
    "region",
    "level",
    "patterns_any",
    "patterns_all",
    "score_min",
    "score_max",
    "score_change_min",
    "scenario",
    "drill",
];

impl RawMatch {
    /// Where a matcher is written.
    fn span_of(&self, field: &str) -> Option<Range<usize>> {
        let names = |n: &Option<Spanned<Names>>| n.as_ref().map(Spanned::span);
        let number = |n: &Option<Spanned<f64>>| n.as_ref().map(Spanned::span);
        match field {
            "kind" => self.kind.as_ref().map(Spanned::span),
            "region" => names(&self.region),
            "level" => names(&self.level),
            "patterns_any" => names(&self.patterns_any),
            "patterns_all" => names(&self.patterns_all),
            "score_min" => number(&self.score_min),
            "score_max" => number(&self.score_max),
            "score_change_min" => number(&self.score_change_min),
            "scenario" => names(&self.scenario),
            "drill" => self.drill.as_ref().map(Spanned::span),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEscalation {
    after_minutes: Spanned<u32>,
    then: Spanned<Names>,
    repeat_minutes: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSla {
    acknowledge_warn_minutes: Option<Spanned<u32>>,
    acknowledge_violate_minutes: Option<Spanned<u32>>,
    handoff_warn_minutes: Option<Spanned<u32>>,
    handoff_violate_minutes: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuiet {
    time_zone: Spanned<String>,
    start: Spanned<String>,
    end: Spanned<String>,
}

/// A string or a list of strings, each with its place in the file (a lone string has none of its own: see
/// [`items`]).
struct Names(Vec<Spanned<String>>);

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Names, D::Error> {
        struct NamesVisitor;
        impl<'de> Visitor<'de> for NamesVisitor {
            type Value = Names;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Names, E> {
                Ok(Names(vec![Spanned::new(0..0, v.to_owned())]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Names, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<Spanned<String>>()? {
                    names.push(name);
                }
                Ok(Names(names))
            }
        }
        deserializer.deserialize_any(NamesVisitor)
    }
}

/// Each name with its place: a list's item's own, a lone string's the value's.
fn items(names: &Spanned<Names>) -> impl Iterator<Item = (Range<usize>, &str)> {
    let outer = names.span();
    names.get_ref().0.iter().map(move |n| {
        let span = if n.span() == (0..0) { outer.clone() } else { n.span() };
        (span, n.get_ref().as_str())
    })
}

/// Reads and checks a rules file: its queues and its route tree, every setting resolved.
pub(super) fn parse(file: &str, text: &str) -> Result<(Vec<Queue>, Route), ParseError> {
    let source = Source { file, text };
    let raw: RawFile = source.deserialize().map_err(name_the_matcher)?;
    let queues = queues(&source, &raw.queue)?;
    let Some(root) = &raw.route else {
        return Err(source.error(
            text.len(),
            "route: the file needs a [route]: the root every signal enters, with its default queue".into(),
        ));
    };
    let mut checker = Checker { source, queues: &queues, names: Vec::new() };
    let route = checker.route(root, None)?;
    Ok((queues, route))
}

/// "unknown field `x`, expected one of `kind`, …" in a `match` says it is a matcher.
fn name_the_matcher(mut e: ParseError) -> ParseError {
    if e.message.starts_with("unknown field") && e.message.contains("`patterns_any`") {
        let name = e.message.split('`').nth(1).unwrap_or_default().to_owned();
        e.message = format!("unknown matcher `{name}`; matchers: {}", MATCHERS.join(", "));
    }
    e
}

/// A name as queues and routes spell them.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn queues(source: &Source, raw: &[Spanned<RawQueue>]) -> Result<Vec<Queue>, ParseError> {
    if raw.is_empty() {
        return Err(source.error(0, "queue: the file needs at least one [[queue]]".into()));
    }
    let mut queues: Vec<Queue> = Vec::new();
    for q in raw.iter().map(Spanned::get_ref) {
        let name = q.name.get_ref();
        if !valid_name(name) {
            return Err(source.error_in(
                q.name.span(),
                format!("name: queue name `{name}` must be lower-case letters, digits, `_` or `-`"),
            ));
        }
        if queues.iter().any(|other| other.name == *name) {
            return Err(source.error_in(q.name.span(), format!("name: queue `{name}` is defined twice")));
        }
        let Some(role) = Role::ALL.into_iter().find(|r| r.name() == q.role.get_ref()) else {
            let roles: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
            return Err(source.error_in(
                q.role.span(),
                format!("role: unknown role `{}`; roles: {}", q.role.get_ref(), roles.join(", ")),
            ));
        };
        if let Some(empty) = q.webhooks.iter().find(|w| w.get_ref().trim().is_empty()) {
            return Err(source.error_in(empty.span(), "webhooks: a destination's name cannot be empty".into()));
        }
        let webhooks = q.webhooks.iter().map(|w| w.get_ref().clone()).collect();
        queues.push(Queue { name: name.clone(), role, training: q.training, webhooks });
    }
    Ok(queues)
}

struct Checker<'a> {
    source: Source<'a>,
    queues: &'a [Queue],
    /// Every route name so far, for duplicates.
    names: Vec<String>,
}

/// Where a route is written, for errors about it.
struct Place<'a> {
    raw: &'a RawRoute,
    /// Its table's header.
    header: Range<usize>,
    /// Its name, or its header when it has none (the root).
    here: Range<usize>,
}

impl Place<'_> {
    /// Where a setting is written on this route, or the route's name when it inherits it.
    fn own<T>(&self, setting: &Option<Spanned<T>>) -> Range<usize> {
        setting.as_ref().map_or_else(|| self.here.clone(), Spanned::span)
    }

    /// Where a matcher is written, or the route's name.
    fn matcher(&self, field: &str) -> Range<usize> {
        self.raw.matcher.as_ref().and_then(|m| m.get_ref().span_of(field)).unwrap_or_else(|| self.here.clone())
    }
}

impl Checker<'_> {
    fn error(&self, span: Range<usize>, message: String) -> ParseError {
        self.source.error_in(span, message)
    }

    fn queue_names(&self) -> String {
        self.queues.iter().map(|q| q.name.as_str()).collect::<Vec<_>>().join(", ")
    }

    fn is_training(&self, queue: &str) -> bool {
        self.queues.iter().any(|q| q.name == queue && q.training)
    }

    fn known_queue(&self, name: &Spanned<String>, field: &str) -> Result<String, ParseError> {
        if self.queues.iter().any(|q| q.name == *name.get_ref()) {
            return Ok(name.get_ref().clone());
        }
        Err(self
            .error(name.span(), format!("{field}: unknown queue `{}`; queues: {}", name.get_ref(), self.queue_names())))
    }

    fn minutes(&self, value: &Spanned<u32>, field: &str, least: u32) -> Result<u32, ParseError> {
        let v = *value.get_ref();
        if v < least || v > MAX_MINUTES {
            return Err(self.error(value.span(), format!("{field}: must be {least}–{MAX_MINUTES} minutes, got {v}")));
        }
        Ok(v)
    }

    /// Checks a route and everything below it; `parent` is the enclosing route (resolved, without its children yet)
    /// and its scope.
    fn route(&mut self, spanned: &Spanned<RawRoute>, parent: Option<(&Route, &Scope)>) -> Result<Route, ParseError> {
        let (raw, header) = (spanned.get_ref(), spanned.span());
        let name = self.name(raw, &header, parent.is_none())?;
        self.names.push(name.clone());
        let path = parent.map_or_else(|| name.clone(), |(p, _)| format!("{}/{name}", p.path));
        let place = Place { raw, header: header.clone(), here: raw.name.as_ref().map_or(header, Spanned::span) };
        let matcher = match &raw.matcher {
            Some(m) => self.matcher(m.get_ref())?,
            None => Matcher::default(),
        };
        let scope = parent
            .map_or_else(Scope::everything, |(_, s)| s.clone())
            .narrow(&matcher)
            .map_err(|(field, why)| self.error(place.matcher(field), format!("match: route `{path}`: {why}")))?;
        let mut route = self.settings(&place, name, path, matcher, parent.map(|(p, _)| p))?;
        self.check_training(&place, &route, &scope, parent.is_none())?;
        self.check_timers(&place, &route)?;
        self.check_quiet_hours(&place, &route, &scope)?;

        let mut takes_everything: Option<String> = None;
        for child in &raw.routes {
            if let Some(by) = &takes_everything {
                let at = child.get_ref().name.as_ref().map_or(child.span(), Spanned::span);
                let name = child.get_ref().name.as_ref().map_or("(unnamed)", |n| n.get_ref().as_str());
                return Err(self.error(
                    at,
                    format!(
                        "route `{name}` can never be reached: `{by}` before it has no matchers and no `continue`, so \
                         it takes every signal that gets this far; put `{name}` first or give `{by}` a matcher"
                    ),
                ));
            }
            let checked = self.route(child, Some((&route, &scope)))?;
            if checked.matcher.is_empty() && !checked.continues {
                takes_everything = Some(checked.path.clone());
            }
            route.routes.push(checked);
        }
        Ok(route)
    }

    /// A route's name: `root` for the root, which takes none (nor `match` or `continue`); unique below it.
    fn name(&self, raw: &RawRoute, header: &Range<usize>, root: bool) -> Result<String, ParseError> {
        if root {
            if let Some(n) = &raw.name {
                return Err(self.error(n.span(), "name: the root route is always `root`; it takes no name".into()));
            }
            if let Some(m) = &raw.matcher {
                let message = "match: every signal enters the root; put matchers on the routes below it";
                return Err(self.error(m.span(), message.into()));
            }
            if let Some(c) = &raw.continues {
                return Err(self.error(c.span(), "continue: the root has no siblings to continue to".into()));
            }
            return Ok("root".to_owned());
        }
        let Some(n) = &raw.name else {
            return Err(self.error(header.clone(), "name: every route below the root needs a name".into()));
        };
        let name = n.get_ref();
        let problem = if !valid_name(name) {
            Some(format!("name: route name `{name}` must be lower-case letters, digits, `_` or `-`"))
        } else if name == "root" {
            Some("name: `root` is the root route's name".to_owned())
        } else if self.names.contains(name) {
            Some(format!("name: route `{name}` is defined twice"))
        } else {
            None
        };
        match problem {
            Some(message) => Err(self.error(n.span(), message)),
            None => Ok(name.clone()),
        }
    }

    /// The route with every setting resolved: its own, else its parent's, else the default.
    fn settings(
        &self,
        place: &Place,
        name: String,
        path: String,
        matcher: Matcher,
        parent: Option<&Route>,
    ) -> Result<Route, ParseError> {
        let raw = place.raw;
        let queue = match (&raw.queue, parent) {
            (Some(q), _) => self.known_queue(q, "queue")?,
            (None, Some(p)) => p.queue.clone(),
            (None, None) => {
                let message = "queue: the root route needs a queue: the default for the signals no route below takes";
                return Err(self.error(place.header.clone(), message.into()));
            }
        };
        let group_by = match (&raw.group_by, parent) {
            (Some(list), _) => self.group_by(list)?,
            (None, Some(p)) => p.group_by.clone(),
            (None, None) => Vec::new(),
        };
        let minutes = |own: &Option<Spanned<u32>>, field, least, inherited: Option<u32>, default| match own {
            Some(v) => self.minutes(v, field, least),
            None => Ok(inherited.unwrap_or(default)),
        };
        let group_wait_minutes =
            minutes(&raw.group_wait_minutes, "group_wait_minutes", 0, parent.map(|p| p.group_wait_minutes), 0)?;
        let group_interval_minutes = minutes(
            &raw.group_interval_minutes,
            "group_interval_minutes",
            1,
            parent.map(|p| p.group_interval_minutes),
            5,
        )?;
        let urgency = match (&raw.urgency, parent) {
            (Some(u), _) => match u.get_ref().as_str() {
                "high" => Urgency::High,
                "low" => Urgency::Low,
                other => {
                    let message = format!("urgency: unknown urgency `{other}`; urgencies: high, low");
                    return Err(self.error(u.span(), message));
                }
            },
            (None, Some(p)) => p.urgency,
            (None, None) => Urgency::Low,
        };
        let escalation = match (&raw.escalation, parent) {
            (Some(e), _) => Some(self.escalation(e.get_ref(), &queue, &path)?),
            (None, Some(p)) => p.escalation.clone(),
            (None, None) => None,
        };
        let sla = self.sla(raw.sla.as_ref().map(Spanned::get_ref), parent.map_or(Sla::DEFAULT, |p| p.sla))?;
        let quiet_hours = match (&raw.quiet_hours, parent) {
            (Some(q), _) => Some(self.quiet_hours(q.get_ref())?),
            (None, Some(p)) => p.quiet_hours,
            (None, None) => None,
        };
        Ok(Route {
            name,
            path,
            matcher,
            continues: raw.continues.as_ref().is_some_and(|c| *c.get_ref()),
            queue,
            group_by,
            group_wait_minutes,
            group_interval_minutes,
            urgency,
            escalation,
            sla,
            quiet_hours,
            routes: Vec::new(),
        })
    }

    /// Drill traffic reaches training queues only, and training queues take nothing else.
    fn check_training(&self, place: &Place, route: &Route, scope: &Scope, root: bool) -> Result<(), ParseError> {
        let (raw, path, queue) = (place.raw, &route.path, &route.queue);
        let training = self.is_training(queue);
        if scope.drill == Some(true) && !training {
            let at = raw.matcher.as_ref().and_then(|m| m.get_ref().span_of("drill"));
            return Err(self.error(
                at.unwrap_or_else(|| place.own(&raw.queue)),
                format!(
                    "route `{path}` takes drill traffic only (drill = true), but its queue `{queue}` is not a training \
                     queue: drill traffic reaches training queues only"
                ),
            ));
        }
        if training && scope.drill != Some(true) {
            let why = if root {
                "every real signal no route below takes would land in it: give the root a queue that is not for training"
            } else {
                "the route can receive real signals: add drill = true to its match"
            };
            return Err(self.error(
                place.own(&raw.queue),
                format!("queue: `{queue}` is a training queue, which takes drill traffic only, and {why}"),
            ));
        }
        // An escalation written here was checked against this queue when it was read.
        if raw.escalation.is_none()
            && let Some(e) = &route.escalation
            && let Some(other) = e.then.iter().find(|q| self.is_training(q) != training)
        {
            let message = format!("queue: route `{path}` escalates to `{other}`, {}", mix(training));
            return Err(self.error(place.own(&raw.queue), message));
        }
        Ok(())
    }

    /// The escalation comes after the first notification, and repeats no more often than the group is notified.
    fn check_timers(&self, place: &Place, route: &Route) -> Result<(), ParseError> {
        let Some(e) = &route.escalation else { return Ok(()) };
        let (raw, path) = (place.raw, &route.path);
        let own = raw.escalation.as_ref().map(Spanned::get_ref);
        let (wait, interval) = (route.group_wait_minutes, route.group_interval_minutes);
        if e.after_minutes <= wait {
            let at = own.map(|o| o.after_minutes.span());
            return Err(self.error(
                at.unwrap_or_else(|| place.own(&raw.group_wait_minutes)),
                format!(
                    "escalation.after_minutes: route `{path}` escalates after {} minutes, which must be longer than \
                     its group_wait_minutes ({wait}): the first notification would come after the escalation",
                    e.after_minutes
                ),
            ));
        }
        if let Some(repeat) = e.repeat_minutes
            && repeat < interval
        {
            let at = own.and_then(|o| o.repeat_minutes.as_ref().map(Spanned::span));
            return Err(self.error(
                at.unwrap_or_else(|| place.own(&raw.group_interval_minutes)),
                format!(
                    "escalation.repeat_minutes: route `{path}` repeats every {repeat} minutes, shorter than its \
                     group_interval_minutes ({interval}): repeat at most as often as the group is notified"
                ),
            ));
        }
        Ok(())
    }

    /// Quiet hours never hold back what cannot wait: critical alerts and high urgency.
    fn check_quiet_hours(&self, place: &Place, route: &Route, scope: &Scope) -> Result<(), ParseError> {
        if route.quiet_hours.is_none() {
            return Ok(());
        }
        let (raw, path) = (place.raw, &route.path);
        let own = raw.quiet_hours.as_ref().map(Spanned::span);
        if route.urgency == Urgency::High {
            return Err(self.error(
                own.unwrap_or_else(|| place.own(&raw.urgency)),
                format!(
                    "quiet_hours: route `{path}` has urgency high, and high-urgency notifications are never \
                     deferred: set quiet hours on low-urgency routes only"
                ),
            ));
        }
        if scope.takes_critical_alerts() {
            return Err(self.error(
                own.unwrap_or_else(|| place.here.clone()),
                format!(
                    "quiet_hours: route `{path}` can receive critical alerts, which are never deferred: give it (or \
                     a route above it) a `level` matcher that leaves out critical, or kind = \"case\""
                ),
            ));
        }
        Ok(())
    }

    fn matcher(&self, raw: &RawMatch) -> Result<Matcher, ParseError> {
        let kind = match &raw.kind {
            None => None,
            Some(k) => Some(match k.get_ref().as_str() {
                "alert" => SignalKind::Alert,
                "case" => SignalKind::Case,
                other => return Err(self.error(k.span(), format!("kind: unknown kind `{other}`; kinds: alert, case"))),
            }),
        };
        let region = self.each(&raw.region, |r| matcher::region_code(r).map_err(|e| format!("region: {e}")))?;
        let level = self.each(&raw.level, |l| {
            matcher::level(l).ok_or_else(|| format!("level: unknown level `{l}`; levels: {}", matcher::level_names()))
        })?;
        let pattern = |field: &'static str| {
            move |p: &str| {
                matcher::pattern(p)
                    .ok_or_else(|| format!("{field}: unknown pattern `{p}`; patterns: {}", matcher::pattern_names()))
            }
        };
        let patterns_any = self.each(&raw.patterns_any, pattern("patterns_any"))?;
        let patterns_all = self.each(&raw.patterns_all, pattern("patterns_all"))?;
        let scenario = self.each(&raw.scenario, |s| {
            if s.trim().is_empty() {
                Err("scenario: a scenario's name cannot be empty".into())
            } else {
                Ok(s.to_owned())
            }
        })?;
        let number = |n: &Option<Spanned<f64>>, field: &str| match n {
            Some(v) if !v.get_ref().is_finite() => {
                Err(self.error(v.span(), format!("{field}: must be a finite number")))
            }
            Some(v) => Ok(Some(*v.get_ref())),
            None => Ok(None),
        };
        Ok(Matcher {
            kind,
            region,
            level,
            patterns_any,
            patterns_all,
            score_min: number(&raw.score_min, "score_min")?,
            score_max: number(&raw.score_max, "score_max")?,
            score_change_min: number(&raw.score_change_min, "score_change_min")?,
            scenario,
            drill: raw.drill.as_ref().map(|d| *d.get_ref()),
        })
    }

    /// Each name of a list matcher, parsed; an error is at the name.
    fn each<T>(
        &self,
        names: &Option<Spanned<Names>>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<Vec<T>>, ParseError> {
        let Some(names) = names else { return Ok(None) };
        items(names)
            .map(|(span, name)| parse(name).map_err(|e| self.error(span, e)))
            .collect::<Result<_, _>>()
            .map(Some)
    }

    fn group_by(&self, list: &Spanned<Names>) -> Result<Vec<GroupBy>, ParseError> {
        let mut out: Vec<GroupBy> = Vec::new();
        for (span, name) in items(list) {
            let Some(g) = GroupBy::ALL.into_iter().find(|g| g.name() == name) else {
                let all: Vec<&str> = GroupBy::ALL.iter().map(|g| g.name()).collect();
                return Err(
                    self.error(span, format!("group_by: unknown fact `{name}`; signals group by {}", all.join(", ")))
                );
            };
            if out.contains(&g) {
                return Err(self.error(span, format!("group_by: `{name}` is listed twice")));
            }
            out.push(g);
        }
        Ok(out)
    }

    fn escalation(&self, raw: &RawEscalation, queue: &str, path: &str) -> Result<Escalation, ParseError> {
        let after_minutes = self.minutes(&raw.after_minutes, "escalation.after_minutes", 1)?;
        let mut then = Vec::new();
        let training = self.is_training(queue);
        for (span, name) in items(&raw.then) {
            let name = self.known_queue(&Spanned::new(span.clone(), name.to_owned()), "escalation.then")?;
            if self.is_training(&name) != training {
                return Err(self
                    .error(span, format!("escalation.then: route `{path}` escalates to `{name}`, {}", mix(training))));
            }
            then.push(name);
        }
        if then.is_empty() {
            return Err(self.error(raw.then.span(), "escalation.then: name at least one queue to escalate to".into()));
        }
        let repeat_minutes =
            raw.repeat_minutes.as_ref().map(|r| self.minutes(r, "escalation.repeat_minutes", 1)).transpose()?;
        Ok(Escalation { after_minutes, then, repeat_minutes })
    }

    fn sla(&self, raw: Option<&RawSla>, base: Sla) -> Result<Sla, ParseError> {
        let Some(raw) = raw else { return Ok(base) };
        let timer = |name: &str,
                     warn: &Option<Spanned<u32>>,
                     violate: &Option<Spanned<u32>>,
                     base: Timer|
         -> Result<Timer, ParseError> {
            let (warn_field, violate_field) =
                (format!("sla.{name}_warn_minutes"), format!("sla.{name}_violate_minutes"));
            let warn_minutes = warn.as_ref().map_or(Ok(base.warn_minutes), |w| self.minutes(w, &warn_field, 0))?;
            let violate_minutes =
                violate.as_ref().map_or(Ok(base.violate_minutes), |v| self.minutes(v, &violate_field, 1))?;
            if warn_minutes >= violate_minutes {
                let (field, at) = match (warn, violate) {
                    (Some(w), _) => (warn_field, w.span()),
                    (None, Some(v)) => (violate_field, v.span()),
                    (None, None) => (warn_field, 0..0),
                };
                return Err(self.error(
                    at,
                    format!(
                        "{field}: the warning ({warn_minutes} minutes) must come before the violation \
                         ({violate_minutes} minutes)"
                    ),
                ));
            }
            Ok(Timer { warn_minutes, violate_minutes })
        };
        Ok(Sla {
            acknowledge: timer(
                "acknowledge",
                &raw.acknowledge_warn_minutes,
                &raw.acknowledge_violate_minutes,
                base.acknowledge,
            )?,
            handoff: timer("handoff", &raw.handoff_warn_minutes, &raw.handoff_violate_minutes, base.handoff)?,
        })
    }

    fn quiet_hours(&self, raw: &RawQuiet) -> Result<QuietHours, ParseError> {
        let time_zone = raw.time_zone.get_ref().parse::<chrono_tz::Tz>().map_err(|_| {
            self.error(
                raw.time_zone.span(),
                format!(
                    "quiet_hours.time_zone: unknown time zone `{}`: use an IANA name such as Europe/London or \
                     America/New_York",
                    raw.time_zone.get_ref()
                ),
            )
        })?;
        let time = |t: &Spanned<String>, field: &str| {
            NaiveTime::parse_from_str(t.get_ref(), "%H:%M").map_err(|_| {
                self.error(
                    t.span(),
                    format!("quiet_hours.{field}: `{}` is not a time: write it HH:MM, such as 22:00", t.get_ref()),
                )
            })
        };
        let (start, end) = (time(&raw.start, "start")?, time(&raw.end, "end")?);
        if start == end {
            return Err(
                self.error(raw.end.span(), "quiet_hours.end: the window ends when it starts: it would be empty".into())
            );
        }
        Ok(QuietHours { time_zone, start, end })
    }
}

/// Why a route and its escalation may not mix training and other queues.
fn mix(training: bool) -> &'static str {
    if training {
        "which is not a training queue, from a training queue: drill traffic reaches training queues only"
    } else {
        "a training queue, from a queue that is not: real signals never reach training queues"
    }
}
