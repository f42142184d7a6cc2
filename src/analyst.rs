//! The offline analyst: questions in plain English answered from the guarded figures, deterministically and with
//! no network. Pure: no I/O.
//!
//! A question becomes a typed [`Plan`] against the semantic model (`sql/analyst/semantic.toml`: metrics,
//! dimensions with closed value lists, time phrases, refusal topics), never SQL: typos are repaired and reported,
//! words nothing matches are reported, and a question that leaves a slot open is answered with a clarifying
//! question, one about a person is refused. The plan runs on the views the dashboard serves, so every figure has
//! passed the k-anonymity guard; the answer carries the figures, a table, a chart, the SQL that computes the
//! same numbers on the warehouse (values bound as parameters), a link to the dashboard view with the same
//! filters, follow-ups and warnings. Its text is written from templates with the actual figures.

mod answer;
mod brief;
mod parse;
mod plan;
pub mod reword;
mod semantic;
mod sql;
mod verified;

pub use answer::{Body, Chart, Context, DvCounts, ScenarioFigures, ScenarioRun, Shown, Table, Views, format, scope};
pub use brief::{Brief, BriefKpi, BriefLine, Mover, brief};
pub use parse::{Calendar, Choice, Clarify, Correction, MAX_QUESTION, Outcome, Parsed, Refused, parse};
pub use plan::{Intent, Order, Plan, ScenarioRef, Segment, Time};
pub use semantic::{Format, SEMANTIC_TOML, Semantic};
pub use sql::{Rendered, render};
pub use verified::{VERIFIED_TOML, Verified, nearest, verified};

use crate::analytics;
use crate::text::capitalise;
use serde::Serialize;

/// What `POST /api/v1/analyst/ask` and `safehaven ask --json` return.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// `answer`, `clarify` or `refuse`.
    pub outcome: &'static str,
    pub question: String,
    /// The full question answered, in words (a follow-up's with the previous plan's slots).
    pub interpretation: String,
    /// The plan answered (send it back as `previousPlan` to follow up); `null` for a refusal.
    pub plan: Option<Plan>,
    pub text: String,
    pub figures: Vec<Shown>,
    pub table: Option<Table>,
    /// The chart of this answer (an SVG the server draws from the plan).
    pub chart_url: Option<String>,
    /// The query that computes the same figures on the warehouse, with `?` for each of `sqlParameters`.
    pub sql: Option<String>,
    pub sql_parameters: Vec<serde_json::Value>,
    /// What the query does not cover, if anything.
    pub sql_note: Option<String>,
    /// The dashboard view with the same threshold and filters (the fragment after the dashboard's URL).
    pub link: Option<String>,
    pub suggestions: Vec<String>,
    pub warnings: Vec<String>,
    pub corrections: Vec<Correction>,
    /// Words nothing in the lexicon matched.
    pub unrecognized: Vec<String>,
    /// The question as the analyst understood it, asked plainly.
    pub rephrased: Option<String>,
    /// Why the templated text was used instead of a local model's rewording (`null`: none is configured).
    pub fallback_reason: Option<String>,
    /// A clarifying question's options (each a question that can be asked as it is).
    pub options: Vec<Choice>,
    /// A refusal's reason and what can be asked instead.
    pub refusal: Option<Refused>,
    #[serde(skip)]
    pub chart: Option<Chart>,
}

impl Answer {
    fn empty(outcome: &'static str, question: &str) -> Answer {
        Answer {
            outcome,
            question: question.to_owned(),
            interpretation: String::new(),
            plan: None,
            text: String::new(),
            figures: Vec::new(),
            table: None,
            chart_url: None,
            sql: None,
            sql_parameters: Vec::new(),
            sql_note: None,
            link: None,
            suggestions: Vec::new(),
            warnings: Vec::new(),
            corrections: Vec::new(),
            unrecognized: Vec::new(),
            rephrased: None,
            fallback_reason: None,
            options: Vec::new(),
            refusal: None,
            chart: None,
        }
    }
}

/// Percent-encodes a query parameter's value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where the chart of `plan` is drawn.
pub fn chart_url(plan: &Plan) -> String {
    format!("/api/v1/analyst/chart.svg?plan={}", encode(&plan.canonical()))
}

/// The question a plan answers, in words.
pub fn interpretation(plan: &Plan, threshold: f64) -> String {
    let model = Semantic::embedded();
    let labels: Vec<String> = plan.metrics.iter().filter_map(|m| model.metric(m)).map(|m| m.label.clone()).collect();
    let labels = if labels.is_empty() { "the headline figures".to_owned() } else { labels.join(" and ") };
    let who = scope(plan, model);
    let dim = |d: &str| model.dimension(d).map_or(d.to_owned(), |d| d.label.clone());
    let uses_threshold = plan.metrics.iter().filter_map(|m| model.metric(m)).any(|m| m.threshold)
        || matches!(plan.intent, Intent::Summary | Intent::Whatif);
    let at = if uses_threshold {
        format!(" (high-risk: probability ≥ {:.0} %)", 100.0 * threshold)
    } else {
        String::new()
    };
    let when = match &plan.time {
        Some(Time::MonthsAgo(0)) | None => "now".to_owned(),
        Some(Time::MonthsAgo(n)) => format!("{n} months ago"),
        Some(Time::Month(m)) => format!("in {m}"),
        Some(Time::Window(0)) => "over every month of history".to_owned(),
        Some(Time::Window(n)) => format!("over the last {n} months"),
    };
    let population = plan.metrics.first().and_then(|m| model.metric(m)).map(|m| m.population.as_str());
    if population == Some("model") {
        return format!("the model's {labels} on its validation rows");
    }
    if population == Some("dv") {
        let by = plan.group_by.as_deref().map(|g| format!(" by {}", dim(g))).unwrap_or_default();
        let of = plan.filters.iter().map(|(d, v)| format!(" ({})", model.label(d, v))).collect::<String>();
        return format!("{labels} of the synthetic survivors{by}{of}, as of the observation date");
    }
    let text = match plan.intent {
        Intent::Value => format!("{labels} for {who}, {when}"),
        Intent::Breakdown => format!("{labels} by {} for {who}", dim(plan.group_by.as_deref().unwrap_or("region"))),
        Intent::Rank => format!(
            "the {} {}{} with the {} {labels} for {who}",
            plan.limit.unwrap_or(5),
            dim(plan.group_by.as_deref().unwrap_or("region")),
            if plan.limit == Some(1) { "" } else { "s" },
            if plan.order == Some(Order::Ascending) { "lowest" } else { "highest" }
        ),
        Intent::Share => format!("the share of the {labels} in {who}"),
        Intent::Trend => format!("{labels} per month for {who}, {when}"),
        Intent::ComparePeriods => {
            format!("{labels} for {who}: now against {} months earlier", plan.comparison.unwrap_or(12))
        }
        Intent::CompareSegments => format!(
            "{labels}: {} against {}",
            plan.segments.first().map_or(String::new(), |s| model.label(&s.dimension, &s.value)),
            plan.segments.get(1).map_or(String::new(), |s| model.label(&s.dimension, &s.value))
        ),
        Intent::CompareScenario => {
            let s = plan.scenario.as_ref();
            format!(
                "{labels} under the {} scenario{} at its {}, against its baseline",
                s.map_or(String::new(), |s| model.label("scenario", &s.name)),
                s.and_then(|s| s.shape.as_ref()).map_or(String::new(), |sh| format!(" ({})", model.label("shape", sh))),
                s.map_or("horizon", |s| s.at.as_str())
            )
        }
        Intent::Explain => {
            format!("what moved the {labels} of {who} over the last {} months", plan.comparison.unwrap_or(12))
        }
        Intent::Whatif => format!("{labels} for {who} under a shock to {}", shock_text(plan)),
        Intent::Summary => format!("the headline figures for {who}"),
    };
    format!("{text}{at}")
}

fn shock_text(plan: &Plan) -> String {
    let s = plan.shock.unwrap_or_default();
    let mut parts = Vec::new();
    if s.medical_cost_pct != 0.0 {
        parts.push(format!("medical costs ({:+.0} %)", s.medical_cost_pct));
    }
    if s.income_pct != 0.0 {
        parts.push(format!("income ({:+.0} %)", s.income_pct));
    }
    if s.unemployment_points != 0.0 {
        parts.push(format!("unemployment ({:+.0} points)", s.unemployment_points));
    }
    parts.join(" and ")
}

/// A question checked at the surface: not empty, at most [`MAX_QUESTION`] characters, no control characters.
pub fn check_question(question: &str) -> Result<(), String> {
    let trimmed = question.trim();
    if trimmed.is_empty() {
        return Err("question: must not be empty; ask, for example, \"high-risk share by region\"".into());
    }
    let n = trimmed.chars().count();
    if n > MAX_QUESTION {
        return Err(format!("question: {n} characters; at most {MAX_QUESTION}"));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("question: contains control characters; send plain text".into());
    }
    Ok(())
}

/// Parses, plans and answers `question` (a follow-up of `previous` if given) on `ctx`.
pub fn ask(question: &str, previous: Option<&Plan>, ctx: &Context<'_>) -> Result<Answer, analytics::Error> {
    let calendar = Calendar { months: ctx.portfolio.months() };
    respond(question, parse(question, previous, &calendar), ctx)
}

/// Answers what the parser made of `question`.
pub fn respond(question: &str, parsed: Parsed, ctx: &Context<'_>) -> Result<Answer, analytics::Error> {
    let mut answer = match parsed.outcome.clone() {
        Outcome::Answer(plan) => run(question, plan, ctx)?,
        Outcome::Clarify(c) => {
            let mut a = Answer::empty("clarify", question);
            a.text = c.prompt.clone();
            a.options = c.options;
            a
        }
        Outcome::Refuse(r) => refusal(question, r, ctx.role),
    };
    // A question with words nothing matched is offered the nearest verified questions as well.
    if answer.outcome == "clarify" && !parsed.unrecognized.is_empty() {
        for v in nearest(question, 3) {
            if !answer.options.iter().any(|o| o.question == v.question) {
                answer.options.push(Choice { label: v.question.clone(), question: v.question.clone() });
            }
        }
    }
    answer.warnings.extend(answer::correction_warning(&parsed.corrections));
    if !parsed.unrecognized.is_empty() {
        answer.warnings.push(format!("did not understand: {}", parsed.unrecognized.join(", ")));
    }
    answer.corrections = parsed.corrections;
    answer.unrecognized = parsed.unrecognized;
    Ok(answer)
}

/// A refusal; one about a person points roles with case lists to the masked case list.
fn refusal(question: &str, r: Refused, role: crate::privacy::roles::Role) -> Answer {
    let mut a = Answer::empty("refuse", question);
    a.text = format!("I can't answer that: {}. Instead, {}.", r.why, r.instead);
    if r.topic == "individuals" && role.may(crate::privacy::roles::Permission::CaseList) {
        a.link = Some("#/cases".into());
    }
    a.refusal = Some(r);
    a
}

/// Applies a language model's `reply` (or why there is none) to an answer: used only if it says nothing the
/// answer does not; otherwise the templated text stays and `fallbackReason` says why.
pub fn apply_rewording(answer: &mut Answer, reply: Result<String, String>) {
    match reply.and_then(|r| reword::check(&r, answer)) {
        Ok(text) => answer.text = text,
        Err(why) => answer.fallback_reason = Some(why),
    }
}

/// Answers a plan (from the parser, or a client's checked plan).
pub fn run(question: &str, plan: Plan, ctx: &Context<'_>) -> Result<Answer, analytics::Error> {
    let model = Semantic::embedded();
    let threshold = plan.threshold.unwrap_or(ctx.portfolio.artifact().threshold);
    let interpretation = interpretation(&plan, threshold);
    match answer::execute(&plan, ctx)? {
        answer::Executed::Declined(d) => {
            let mut a = refusal(question, d, ctx.role);
            a.interpretation = interpretation;
            a.plan = Some(plan);
            Ok(a)
        }
        answer::Executed::Answer(body) => {
            let body = *body;
            let mut a = Answer::empty("answer", question);
            let rendered = render(&plan, model, threshold);
            a.rephrased = Some(format!("{}?", capitalise(&interpretation)));
            a.interpretation = interpretation;
            a.text = body.text.join(" ");
            a.table = body.table.map(|t| t.with_display(&body.figures));
            a.figures = body.figures;
            a.chart_url = body.chart.as_ref().map(|_| chart_url(&plan));
            a.chart = body.chart;
            if let Some(r) = rendered {
                a.sql = Some(r.sql);
                a.sql_parameters = r.parameters;
                a.sql_note = r.note;
            }
            a.link = body.link;
            a.suggestions = body.suggestions;
            a.warnings = body.warnings;
            a.plan = Some(plan);
            Ok(a)
        }
    }
}
