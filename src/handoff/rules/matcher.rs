//! Matchers: what a route asks of a signal's facts, and in words why a signal fails them; and a route's scope,
//! the signals it can receive (its matchers and its ancestors' together), by which the file's checks find routes
//! that can never be reached and routes that can receive critical alerts.

use super::Facts;
use crate::catalog;
use crate::dv::{Level, Pattern};
use crate::handoff::signal::SignalKind;
use serde::Serialize;
use std::fmt;

/// A route's matchers: a signal matches when every one given holds (none given: every signal matches).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Matcher {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<SignalKind>,
    /// Region codes: the signal's region is one of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Vec<&'static str>>,
    /// The alert's level is one of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Vec<Level>>,
    /// The alert has at least one of these patterns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patterns_any: Option<Vec<Pattern>>,
    /// The alert has every one of these patterns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patterns_all: Option<Vec<Pattern>>,
    /// The score is at least this (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score_min: Option<f64>,
    /// The score is at most this (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score_max: Option<f64>,
    /// The score rose by at least this (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score_change_min: Option<f64>,
    /// The signal came from one of these chaos scenarios.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<Vec<String>>,
    /// The signal is drill traffic (`true`) or real (`false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drill: Option<bool>,
}

impl Matcher {
    /// No matchers: the route takes every signal its parent passes.
    pub fn is_empty(&self) -> bool {
        *self == Matcher::default()
    }

    /// Why the facts fail each matcher that does not hold, in words; empty when the route matches.
    pub fn failures(&self, facts: &Facts) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(kind) = self.kind
            && facts.kind != kind
        {
            out.push(format!("kind is {}, the route takes {}s only", facts.kind.name(), kind.name()));
        }
        if let Some(regions) = &self.region {
            let list = regions.join(", ");
            match facts.region.as_deref().map(region_code) {
                Some(Ok(code)) if regions.contains(&code) => {}
                Some(Ok(code)) => out.push(format!("region {code} is not one of {list}")),
                Some(Err(_)) => out.push(format!(
                    "region `{}` is unknown; the route takes {list}",
                    facts.region.as_deref().unwrap_or_default()
                )),
                None => out.push(format!("no region; the route takes {list}")),
            }
        }
        if let Some(levels) = &self.level {
            let list = names(levels.iter().map(|l| l.name()));
            match facts.level.as_deref() {
                Some(name) if level(name).is_some_and(|l| levels.contains(&l)) => {}
                Some(name) => out.push(format!("level {name} is not one of {list}")),
                None => out.push(format!("no level; the route takes {list}")),
            }
        }
        let has = |p: &Pattern| facts.patterns.iter().any(|f| f == p.name());
        if let Some(any) = &self.patterns_any
            && !any.iter().any(has)
        {
            out.push(format!("has none of the patterns {}", names(any.iter().map(|p| p.name()))));
        }
        if let Some(all) = &self.patterns_all {
            let missing: Vec<&str> = all.iter().filter(|p| !has(p)).map(|p| p.name()).collect();
            if !missing.is_empty() {
                out.push(format!(
                    "lacks the pattern{} {}",
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", ")
                ));
            }
        }
        let bound = |out: &mut Vec<String>, what: &str, value: Option<f64>, limit: Option<f64>, at_least: bool| {
            let Some(limit) = limit else { return };
            match value {
                Some(v) if (at_least && v >= limit) || (!at_least && v <= limit) => {}
                Some(v) => out.push(format!("{what} {v} is {} {limit}", if at_least { "below" } else { "above" })),
                None => out
                    .push(format!("no {what}; the route wants at {} {limit}", if at_least { "least" } else { "most" })),
            }
        };
        bound(&mut out, "score", facts.score, self.score_min, true);
        bound(&mut out, "score", facts.score, self.score_max, false);
        bound(&mut out, "score change", facts.score_change, self.score_change_min, true);
        if let Some(scenarios) = &self.scenario {
            let list = scenarios.join(", ");
            match &facts.scenario {
                Some(s) if scenarios.contains(s) => {}
                Some(s) => out.push(format!("scenario {s} is not one of {list}")),
                None => out.push(format!("not from a scenario; the route takes {list}")),
            }
        }
        match self.drill {
            Some(true) if !facts.drill => out.push("not drill traffic; the route takes drill traffic only".into()),
            Some(false) if facts.drill => out.push("drill traffic; the route takes real signals only".into()),
            _ => {}
        }
        out
    }
}

/// The matchers as a rules file writes them: `kind = alert, level = [critical]`; "every signal" when there are none.
impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |items: Vec<&str>| format!("[{}]", items.join(", "));
        let mut parts = Vec::new();
        if let Some(kind) = self.kind {
            parts.push(format!("kind = {}", kind.name()));
        }
        if let Some(regions) = &self.region {
            parts.push(format!("region = {}", list(regions.clone())));
        }
        if let Some(levels) = &self.level {
            parts.push(format!("level = {}", list(levels.iter().map(|l| l.name()).collect())));
        }
        if let Some(any) = &self.patterns_any {
            parts.push(format!("patterns_any = {}", list(any.iter().map(|p| p.name()).collect())));
        }
        if let Some(all) = &self.patterns_all {
            parts.push(format!("patterns_all = {}", list(all.iter().map(|p| p.name()).collect())));
        }
        for (name, value) in
            [("score_min", self.score_min), ("score_max", self.score_max), ("score_change_min", self.score_change_min)]
        {
            if let Some(v) = value {
                parts.push(format!("{name} = {v}"));
            }
        }
        if let Some(scenarios) = &self.scenario {
            parts.push(format!("scenario = {}", list(scenarios.iter().map(String::as_str).collect())));
        }
        if let Some(drill) = self.drill {
            parts.push(format!("drill = {drill}"));
        }
        if parts.is_empty() { f.write_str("every signal") } else { f.write_str(&parts.join(", ")) }
    }
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join(", ")
}

/// A region's code from its code (`OH`) or its name (`Ohio`, in any case); the error lists the codes.
pub(super) fn region_code(text: &str) -> Result<&'static str, String> {
    catalog::region(text).map(|r| r.code).or_else(|unknown| {
        catalog::REGIONS
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(text))
            .map(|r| r.code)
            .ok_or_else(|| unknown.to_string())
    })
}

pub(super) fn level(name: &str) -> Option<Level> {
    Level::ALL.into_iter().find(|l| l.name() == name)
}

pub(super) fn level_names() -> String {
    names(Level::ALL.iter().rev().map(|l| l.name()))
}

pub(super) fn pattern(name: &str) -> Option<Pattern> {
    Pattern::ALL.into_iter().find(|p| p.name() == name)
}

pub(super) fn pattern_names() -> String {
    names(Pattern::ALL.iter().map(|p| p.name()))
}

/// The highest score of a kind: an alert's DV score is 0–100, a case's probability 0–1.
pub(super) fn score_top(kind: SignalKind) -> f64 {
    match kind {
        SignalKind::Alert => 100.0,
        SignalKind::Case => 1.0,
    }
}

/// The signals a route can receive: its own matchers and its ancestors' together.
#[derive(Debug, Clone)]
pub(super) struct Scope {
    pub alerts: bool,
    pub cases: bool,
    regions: Option<Vec<&'static str>>,
    levels: Option<Vec<Level>>,
    scenarios: Option<Vec<String>>,
    pub drill: Option<bool>,
    score_min: Option<f64>,
    score_max: Option<f64>,
}

impl Scope {
    /// The root's: every signal.
    pub fn everything() -> Scope {
        Scope {
            alerts: true,
            cases: true,
            regions: None,
            levels: None,
            scenarios: None,
            drill: None,
            score_min: None,
            score_max: None,
        }
    }

    /// Whether a critical alert can reach the route (no `level` matcher on the way allows every level).
    pub fn takes_critical_alerts(&self) -> bool {
        self.alerts && self.levels.as_ref().is_none_or(|l| l.contains(&Level::Critical))
    }

    /// This scope narrowed by a child's matchers; the error names the matcher that can never hold, and why.
    pub fn narrow(&self, m: &Matcher) -> Result<Scope, (&'static str, String)> {
        let never = |field: &'static str, why: String| Err((field, format!("{why}: the route can never be reached")));
        let empty = [
            ("region", m.region.as_ref().is_some_and(Vec::is_empty)),
            ("level", m.level.as_ref().is_some_and(Vec::is_empty)),
            ("patterns_any", m.patterns_any.as_ref().is_some_and(Vec::is_empty)),
            ("scenario", m.scenario.as_ref().is_some_and(Vec::is_empty)),
        ];
        if let Some((field, _)) = empty.iter().find(|(_, e)| *e) {
            return never(field, format!("`{field}` is an empty list, which nothing matches"));
        }
        let mut s = self.clone();
        match m.kind {
            Some(SignalKind::Alert) if !s.alerts => return never("kind", "an enclosing route takes cases only".into()),
            Some(SignalKind::Case) if !s.cases => return never("kind", "an enclosing route takes alerts only".into()),
            Some(SignalKind::Alert) => s.cases = false,
            Some(SignalKind::Case) => s.alerts = false,
            None => {}
        }
        let dv = [
            ("level", m.level.is_some(), "level"),
            ("patterns_any", m.patterns_any.is_some(), "patterns"),
            ("patterns_all", m.patterns_all.is_some(), "patterns"),
        ];
        for (field, given, what) in dv {
            if given {
                if !s.alerts {
                    return never(field, format!("cases have no DV {what} and the route takes cases only"));
                }
                s.cases = false;
            }
        }
        if let Some(regions) = &m.region {
            s.regions = Some(intersect(s.regions.as_deref(), regions));
            if s.regions.as_ref().is_some_and(Vec::is_empty) {
                return never("region", "none of these regions passes an enclosing route's `region`".into());
            }
        }
        if let Some(levels) = &m.level {
            s.levels = Some(intersect(s.levels.as_deref(), levels));
            if s.levels.as_ref().is_some_and(Vec::is_empty) {
                return never("level", "none of these levels passes an enclosing route's `level`".into());
            }
        }
        if let Some(scenarios) = &m.scenario {
            s.scenarios = Some(intersect(s.scenarios.as_deref(), scenarios));
            if s.scenarios.as_ref().is_some_and(Vec::is_empty) {
                return never("scenario", "none of these scenarios passes an enclosing route's `scenario`".into());
            }
        }
        if let Some(drill) = m.drill {
            if s.drill.is_some_and(|d| d != drill) {
                let other = if drill { "real signals" } else { "drill traffic" };
                return never("drill", format!("an enclosing route takes {other} only"));
            }
            s.drill = Some(drill);
        }
        if let Some(min) = m.score_min {
            s.score_min = Some(s.score_min.map_or(min, |p| p.max(min)));
        }
        if let Some(max) = m.score_max {
            s.score_max = Some(s.score_max.map_or(max, |p| p.min(max)));
        }
        let top = if s.alerts { 100.0 } else { 1.0 };
        let scores = if s.alerts { "scores are at most 100" } else { "a case's score is a probability, at most 1" };
        // Whatever this route's matchers narrowed last is what makes an inherited bound impossible.
        let blame = ["score_min", "kind", "level", "patterns_any", "patterns_all"]
            .into_iter()
            .find(|f| match *f {
                "score_min" => m.score_min.is_some(),
                "kind" => m.kind.is_some(),
                "level" => m.level.is_some(),
                "patterns_any" => m.patterns_any.is_some(),
                _ => m.patterns_all.is_some(),
            })
            .unwrap_or("score_min");
        if let (Some(lo), Some(hi)) = (s.score_min, s.score_max)
            && lo > hi
        {
            let field = if m.score_min.is_some() { "score_min" } else { "score_max" };
            return never(field, format!("score_min {lo} is above score_max {hi}"));
        }
        if let Some(lo) = s.score_min
            && lo > top
        {
            return never(blame, format!("score_min {lo} can never hold: {scores}"));
        }
        if let Some(hi) = s.score_max
            && hi < 0.0
        {
            return never("score_max", format!("score_max {hi} can never hold: scores are at least 0"));
        }
        if let Some(change) = m.score_change_min
            && change > top
        {
            return never("score_change_min", format!("score_change_min {change} can never hold: {scores}"));
        }
        Ok(s)
    }
}

/// The items of `new` that are in `old` (all of `new` when there is no `old`).
fn intersect<T: Clone + PartialEq>(old: Option<&[T]>, new: &[T]) -> Vec<T> {
    new.iter().filter(|x| old.is_none_or(|o| o.contains(x))).cloned().collect()
}
