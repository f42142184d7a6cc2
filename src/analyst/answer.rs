//! Plans → answers. A plan runs on the same guarded views the dashboard serves (the executive view for its
//! threshold and filters, the age-band breakdown, the model's evaluation, stored chaos runs, the DV overview's
//! counts, `model::whatif`), so every figure is one the guard already let through; what the analyst adds
//! (a ranking, a difference, a share) is arithmetic on shown figures only. The text is written from templates
//! with the actual figures: direction, size, the biggest contributors, the comparison.

use super::parse::{Correction, Refused};
use super::plan::{Intent, Order, Plan, Time};
use super::semantic::{Direction, Format, Metric, Semantic};
use crate::analytics::{self, CreditStats, Executive, Filter, Portfolio, TrendPoint};
use crate::model::whatif::Shock;
use crate::privacy::roles::Role;
use crate::privacy::{GuardedGroup, KGuard};
use crate::text::{capitalise, thousands};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A stored stress-scenario run, as the analyst reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioRun {
    pub run_id: String,
    pub name: String,
    pub shape: String,
    pub created_at: String,
    pub horizon_months: u32,
    pub peak_month: u32,
    pub baseline: ScenarioFigures,
    pub horizon: ScenarioFigures,
    pub peak: ScenarioFigures,
}

/// A run's figures at one point (already through the guard when the run was computed).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioFigures {
    pub high_risk_count: Option<u64>,
    pub expected_distress: f64,
    pub mean_probability: f64,
    pub medical_exposure: f64,
}

/// The DV assessments' raw counts (the analyst passes them through the guard).
#[derive(Debug, Clone, PartialEq)]
pub struct DvCounts {
    pub as_of: String,
    pub levels: Vec<(String, u64)>,
    pub patterns: Vec<(String, u64)>,
}

impl ScenarioRun {
    /// A stored run's document (the chaos engine's result with its run ID) as the analyst reads it; `None` for a
    /// document without the figures.
    pub fn from_document(name: &str, shape: &str, created_at: &str, doc: &serde_json::Value) -> Option<ScenarioRun> {
        let figures = |v: &serde_json::Value| serde_json::from_value::<ScenarioFigures>(v.clone()).ok();
        Some(ScenarioRun {
            run_id: doc["runId"].as_str()?.to_owned(),
            name: name.to_owned(),
            shape: shape.to_owned(),
            created_at: created_at.to_owned(),
            horizon_months: doc["definition"]["horizonMonths"].as_u64().unwrap_or(0) as u32,
            peak_month: doc["peakMonth"].as_u64().unwrap_or(0) as u32,
            baseline: figures(&doc["baseline"])?,
            horizon: figures(&doc["scenario"])?,
            peak: figures(&doc["peak"])?,
        })
    }
}

impl DvCounts {
    /// Survivors by level and by pattern, from their assessments.
    pub fn of<'a>(as_of: String, assessments: impl Iterator<Item = &'a crate::dv::Assessment> + Clone) -> DvCounts {
        let levels = crate::dv::Level::ALL
            .iter()
            .map(|l| (l.name().to_owned(), assessments.clone().filter(|a| a.level == *l).count() as u64))
            .collect();
        let patterns = crate::dv::Pattern::ALL
            .iter()
            .map(|p| {
                let n = assessments.clone().filter(|a| a.patterns.iter().any(|d| d.pattern == *p)).count();
                (p.name().to_owned(), n as u64)
            })
            .collect();
        DvCounts { as_of, levels, patterns }
    }
}

/// The executive view for a threshold and filter: exact, or the caller's noisy release.
pub type Views<'a> = dyn Fn(f64, Filter) -> analytics::Result<Arc<Executive>> + 'a;

/// What a plan runs on.
pub struct Context<'a> {
    pub portfolio: &'a Portfolio,
    pub guard: KGuard,
    pub role: Role,
    pub executive: &'a Views<'a>,
    /// Stored runs, newest first.
    pub scenarios: &'a [ScenarioRun],
    /// `None` when the caller may not see the DV service or there are no assessments.
    pub dv: Option<&'a DvCounts>,
    /// Whether the executive views are noisy releases (differential privacy).
    pub noisy: bool,
}

/// One figure of an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Shown {
    pub metric: String,
    pub label: String,
    /// The group (a region's name, a month, "baseline", …) or `null` for the whole scope.
    pub group: Option<String>,
    /// `null` where the guard withheld it.
    pub value: Option<f64>,
    pub formatted: String,
    pub unit: String,
}

/// The table an answer shows: column names and rows of numbers, text or `null` (withheld).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<serde_json::Value>>,
    /// Each cell as people read it (a share as a percentage, money in dollars, a withheld cell as "withheld").
    #[serde(default)]
    pub display: Vec<Vec<String>>,
}

impl Table {
    /// Fills `display` from the figures shown (a cell with a figure's value reads as that figure).
    pub fn with_display(mut self, figures: &[Shown]) -> Table {
        self.display = self
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|v| match v {
                        serde_json::Value::Null => "withheld".to_owned(),
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Number(n) => {
                            let x = n.as_f64().unwrap_or(f64::NAN);
                            figures.iter().find(|f| f.value == Some(x)).map_or_else(
                                || if x.fract() == 0.0 && x.abs() < 1e15 { signed_count(x) } else { format!("{x:.4}") },
                                |f| f.formatted.clone(),
                            )
                        }
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        self
    }
}

/// What the chart draws.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Chart {
    /// `bar` or `line`.
    pub kind: &'static str,
    pub title: String,
    pub format: Format,
    pub labels: Vec<String>,
    pub series: Vec<(String, Vec<Option<f64>>)>,
}

/// An answer's body: text, figures, table, chart and what it warns about.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Body {
    pub text: Vec<String>,
    pub figures: Vec<Shown>,
    pub table: Option<Table>,
    pub chart: Option<Chart>,
    pub warnings: Vec<String>,
    pub link: Option<String>,
    pub suggestions: Vec<String>,
}

/// A plan answered, or declined: the caller's role, or what the data holds, does not allow it as asked.
pub enum Executed {
    Answer(Box<Body>),
    Declined(Refused),
}

fn declined(topic: &str, why: String, instead: String) -> Executed {
    Executed::Declined(Refused { topic: topic.into(), why, instead })
}

/// Formats `v` as the metric's format says.
pub fn format(format: Format, v: f64) -> String {
    match format {
        Format::Count => signed_count(v),
        Format::Percent => format!("{:.1} %", 100.0 * v),
        Format::Decimal => {
            if v.abs() >= 1000.0 {
                signed_count(v)
            } else {
                format!("{v:.1}")
            }
        }
        Format::Money => {
            let a = v.abs();
            let sign = if v < 0.0 { "−" } else { "" };
            if a >= 1e9 {
                format!("{sign}${:.2} bn", a / 1e9)
            } else if a >= 1e6 {
                format!("{sign}${:.1} M", a / 1e6)
            } else {
                format!("{sign}${}", thousands(a.round() as u64))
            }
        }
        Format::Ratio => format!("{v:.3}"),
    }
}

fn signed_count(v: f64) -> String {
    let n = v.round();
    if n < 0.0 { format!("−{}", thousands((-n) as u64)) } else { thousands(n as u64) }
}

/// A change in the metric's units: percentage points for shares, a signed figure otherwise.
fn change_text(metric: &Metric, d: f64) -> String {
    let sign = if d >= 0.0 { "+" } else { "−" };
    match metric.format {
        // Two decimals below a point, so the change agrees with the rounded figures it joins.
        Format::Percent if 100.0 * d.abs() < 1.0 => format!("{sign}{:.2} points", 100.0 * d.abs()),
        Format::Percent => format!("{sign}{:.1} points", 100.0 * d.abs()),
        f => format!("{sign}{}", format(f, d.abs())),
    }
}

fn relative(now: f64, then: f64) -> Option<String> {
    (then.abs() > 1e-12).then(|| {
        let r = 100.0 * (now - then) / then.abs();
        format!("{}{:.1} %", if r >= 0.0 { "+" } else { "−" }, r.abs())
    })
}

/// "rose" or "fell" (or "held steady"), and whether that is bad news for this metric.
fn moved(metric: &Metric, d: f64) -> (&'static str, &'static str) {
    let word = if d > 0.0 {
        "rose"
    } else if d < 0.0 {
        "fell"
    } else {
        "held steady"
    };
    let tone = match (metric.bad, d.partial_cmp(&0.0)) {
        (Direction::Up, Some(std::cmp::Ordering::Greater)) | (Direction::Down, Some(std::cmp::Ordering::Less)) => {
            " (a worsening)"
        }
        (Direction::Up, Some(std::cmp::Ordering::Less)) | (Direction::Down, Some(std::cmp::Ordering::Greater)) => {
            " (an improvement)"
        }
        _ => "",
    };
    (word, tone)
}

/// "For {who}, {figure} rose from {before} {since} to {now} {until} (+change, +relative) (a worsening)."
fn moved_sentence(m: &Metric, who: &str, (before, since): (f64, &str), (now, until): (f64, &str)) -> String {
    let (word, tone) = moved(m, now - before);
    let rel = relative(now, before).map_or_else(String::new, |r| format!(", {r}"));
    format!(
        "For {who}, {} {word} from {} {since} to {} {until} ({}{rel}){tone}.",
        m.label,
        format(m.format, before),
        format(m.format, now),
        change_text(m, now - before)
    )
}

/// Whom a plan's filters cover, in words: "subprime customers aged 25–34 in Ohio", or "the whole portfolio".
pub fn scope(plan: &Plan, model: &Semantic) -> String {
    let get = |d: &str| plan.filters.get(d).map(|v| model.label(d, v));
    let mut who = match get("credit_group") {
        Some(c) => format!("{c} customers"),
        None => "customers".to_owned(),
    };
    if let Some(a) = get("age_band") {
        who.push_str(&format!(" {a}"));
    }
    if let Some(r) = get("region") {
        who.push_str(&format!(" in {r}"));
    }
    if who == "customers" { "the whole portfolio".to_owned() } else { who }
}

fn withheld_text(guard: &KGuard) -> String {
    format!("withheld (fewer than k = {} people, or it would reveal such a group)", guard.k())
}

impl Context<'_> {
    fn filter(&self, plan: &Plan) -> analytics::Result<Filter> {
        let get = |d: &str| plan.filters.get(d).map(String::as_str);
        self.portfolio.filter(get("region"), get("credit_group"), get("age_band"))
    }

    fn threshold(&self, plan: &Plan) -> f64 {
        plan.threshold.unwrap_or(self.portfolio.artifact().threshold)
    }

    fn view(&self, plan: &Plan) -> analytics::Result<Arc<Executive>> {
        (self.executive)(self.threshold(plan), self.filter(plan)?)
    }

    /// The dashboard link with the same threshold and filters.
    fn executive_link(&self, plan: &Plan) -> String {
        let mut q = vec![format!("threshold={}", self.threshold(plan))];
        for (d, key) in [("region", "region"), ("credit_group", "creditGroup"), ("age_band", "ageBand")] {
            if let Some(v) = plan.filters.get(d) {
                q.push(format!("{key}={}", v.replace('+', "%2B")));
            }
        }
        format!("#/executive?{}", q.join("&"))
    }
}

/// A snapshot figure of a view: `months_ago` 0, 3 or 12.
pub(super) fn snapshot(view: &Executive, metric: &str, months_ago: u32) -> Option<f64> {
    let k = &view.kpis;
    let kpi = match metric {
        "people" => &k.people,
        "high_risk_count" => &k.high_risk_count,
        "high_risk_share" => &k.high_risk_share,
        "expected_distress" => &k.expected_distress,
        "mean_probability" => &k.mean_probability,
        "medical_exposure" => &k.medical_exposure,
        "exposure_per_person" => {
            let (e, p) = (snapshot(view, "medical_exposure", months_ago)?, snapshot(view, "people", months_ago)?);
            return (p > 0.0).then(|| e / p);
        }
        _ => return None,
    };
    let now = kpi.value.get()?;
    match months_ago {
        0 => Some(now),
        3 => kpi.change_3m.get().map(|c| now - c),
        12 => kpi.change_12m.get().map(|c| now - c),
        _ => None,
    }
}

/// One group of a breakdown, reduced to what metrics read.
struct Group {
    key: String,
    label: String,
    count: Option<u64>,
    mean_probability: Option<f64>,
    high_risk_share: Option<f64>,
    medical_exposure: Option<f64>,
}

impl Group {
    fn value(&self, metric: &str) -> Option<f64> {
        let n = self.count? as f64;
        match metric {
            "people" => Some(n),
            "high_risk_share" => self.high_risk_share,
            "high_risk_count" => self.high_risk_share.map(|s| (s * n).round()),
            "mean_probability" => self.mean_probability,
            "expected_distress" => self.mean_probability.map(|p| p * n),
            "medical_exposure" => self.medical_exposure,
            "exposure_per_person" => self.medical_exposure.map(|e| e / n.max(1.0)),
            _ => None,
        }
    }
}

fn credit_like(groups: Vec<GuardedGroup<String, CreditStats>>, dimension: &str, model: &Semantic) -> Vec<Group> {
    groups
        .into_iter()
        .map(|g| Group {
            label: model.label(dimension, &g.label),
            key: g.label,
            count: g.count,
            mean_probability: g.stats.as_ref().map(|s| s.mean_probability),
            high_risk_share: g.stats.as_ref().and_then(|s| s.high_risk_share.get()),
            medical_exposure: g.stats.as_ref().map(|s| s.medical_exposure),
        })
        .collect()
}

/// Runs a plan the parser (or a client, checked) produced.
pub fn execute(plan: &Plan, ctx: &Context<'_>) -> Result<Executed, analytics::Error> {
    let model = Semantic::embedded();
    // Permissions of every figure asked for.
    for m in plan.metrics.iter().filter_map(|m| model.metric(m)) {
        let permission = super::semantic::permission(&m.permission).expect("checked by the semantic model");
        if !ctx.role.may(permission) {
            let may: Vec<&str> = model
                .metric
                .iter()
                .filter(|o| super::semantic::permission(&o.permission).is_some_and(|p| ctx.role.may(p)))
                .map(|o| o.label.as_str())
                .take(6)
                .collect();
            return Ok(declined(
                "permission",
                format!(
                    "{} needs the {} permission, which the {} role does not have",
                    m.label,
                    permission.describe(),
                    ctx.role
                ),
                if may.is_empty() {
                    "ask an administrator for a role that may see figures".into()
                } else {
                    format!("ask about {}", may.join(", "))
                },
            ));
        }
    }
    if plan.intent == Intent::Summary && !ctx.role.may(crate::privacy::roles::Permission::Aggregates) {
        return Ok(match ctx.dv {
            Some(dv) => Executed::Answer(Box::new(dv_answer(plan, ctx, dv, model))),
            None => declined(
                "permission",
                format!("the {} role sees no aggregate figures", ctx.role),
                "ask an administrator".into(),
            ),
        });
    }
    let first = plan.metrics.first().and_then(|m| model.metric(m));
    if ctx.noisy
        && (plan.group_by.as_deref() == Some("age_band")
            || plan.intent == Intent::Explain
            || plan.intent == Intent::Whatif)
    {
        return Ok(declined(
            "differential_privacy",
            "under differential privacy the analyst answers from the dashboard's noisy release, which has no age-band breakdown, explanation or what-if".into(),
            "ask for the figure, its change, or a breakdown by region or credit group".into(),
        ));
    }
    let body = match (plan.intent, first.map(|m| m.source.as_str())) {
        (Intent::Summary, _) => summary(plan, ctx, model)?,
        (_, Some("model")) => model_answer(plan, ctx, model),
        (_, Some("dv")) => match ctx.dv {
            Some(dv) => dv_answer(plan, ctx, dv, model),
            None => {
                return Ok(declined(
                    "dv",
                    "there are no DV assessments to report".into(),
                    "assess survivors first (`safehaven assess --all`)".into(),
                ));
            }
        },
        (Intent::CompareScenario, _) => match scenario(plan, ctx, model) {
            Ok(body) => body,
            Err(d) => return Ok(Executed::Declined(d)),
        },
        (Intent::Whatif, _) => what_if(plan, ctx, model)?,
        (Intent::Explain, _) => explain(plan, ctx, model)?,
        (_, Some("missed" | "claims")) => match monthly(plan, ctx, model) {
            Ok(body) => body?,
            Err(d) => return Ok(Executed::Declined(d)),
        },
        (Intent::Breakdown | Intent::Rank, _) => breakdown(plan, ctx, model)?,
        (Intent::Share, _) => share(plan, ctx, model)?,
        (Intent::CompareSegments, _) => segments(plan, ctx, model)?,
        (Intent::ComparePeriods, _) => periods(plan, ctx, model)?,
        _ => value(plan, ctx, model)?,
    };
    Ok(Executed::Answer(Box::new(body)))
}

fn shown(metric: &Metric, group: Option<String>, value: Option<f64>, guard: &KGuard) -> Shown {
    Shown {
        metric: metric.name.clone(),
        label: metric.label.clone(),
        group,
        value,
        formatted: value.map_or_else(|| withheld_text(guard), |v| format(metric.format, v)),
        unit: metric.unit.clone(),
    }
}

fn cell(v: Option<f64>) -> serde_json::Value {
    v.map_or(serde_json::Value::Null, |v| serde_json::json!(v))
}

fn metrics<'m>(plan: &Plan, model: &'m Semantic) -> Vec<&'m Metric> {
    plan.metrics.iter().filter_map(|m| model.metric(m)).collect()
}

fn when(months_ago: u32) -> String {
    match months_ago {
        0 => "now".into(),
        n => format!("{n} months ago"),
    }
}

fn threshold_warning(plan: &Plan, ctx: &Context<'_>, metrics: &[&Metric]) -> Option<String> {
    metrics.iter().any(|m| m.threshold).then(|| {
        let t = ctx.threshold(plan);
        if plan.threshold.is_some() {
            format!("high-risk means a probability of distress of at least {:.0} %", 100.0 * t)
        } else {
            format!(
                "high-risk means a probability of distress of at least {:.0} % (the model's default threshold)",
                100.0 * t
            )
        }
    })
}

fn suppressed_view(view: &Executive, body: &mut Body, ctx: &Context<'_>) {
    if let Some(why) = &view.withheld_because {
        body.warnings.push(why.clone());
    }
    if view.suppressed {
        body.text.insert(
            0,
            format!("Too few people to report: figures about fewer than k = {} people are withheld.", ctx.guard.k()),
        );
    }
}

fn value(plan: &Plan, ctx: &Context<'_>, model: &Semantic) -> analytics::Result<Body> {
    let view = ctx.view(plan)?;
    let ms = metrics(plan, model);
    let at = match plan.time {
        Some(Time::MonthsAgo(n)) => n,
        _ => 0,
    };
    let who = scope(plan, model);
    let mut body = Body::default();
    let mut parts = Vec::new();
    let mut rows = Vec::new();
    for m in &ms {
        let v = snapshot(&view, &m.name, at);
        body.figures.push(shown(m, None, v, &ctx.guard));
        parts.push(match (v, m.format) {
            // Counts read as counts: "304 high-risk people", not "high-risk people is 304".
            (Some(v), Format::Count) => format!("there are {} {}", format(m.format, v), m.label),
            (Some(v), _) => format!("the {} is {}", m.label, format(m.format, v)),
            (None, _) => format!("the {} is withheld", m.label),
        });
        rows.push(vec![serde_json::json!(m.label), cell(v)]);
    }
    let lead = format!("For {who}, {}, {}.", when(at), parts.join(", and "));
    body.text.push(capitalise(&lead));
    if let (Some(people), true) = (snapshot(&view, "people", at), !ms.iter().any(|m| m.name == "people")) {
        body.text.push(format!("It covers {} people.", thousands(people as u64)));
    }
    if ms.iter().any(|m| snapshot(&view, &m.name, at).is_none()) && !view.suppressed {
        body.warnings.push(format!("a figure is {}", withheld_text(&ctx.guard)));
    }
    suppressed_view(&view, &mut body, ctx);
    body.warnings.extend(threshold_warning(plan, ctx, &ms));
    body.table = Some(Table { columns: vec!["figure".into(), when(at)], rows, display: Vec::new() });
    body.chart = single_chart(&ms, &view, &who);
    body.link = Some(ctx.executive_link(plan));
    body.suggestions = vec![
        format!("how did the {} change over the last year", ms[0].label),
        format!("{} by region", ms[0].label),
        format!("which credit group has the highest {}", ms[0].label),
    ];
    Ok(body)
}

/// A value's chart: now and 3 and 12 months ago.
fn single_chart(ms: &[&Metric], view: &Executive, who: &str) -> Option<Chart> {
    let m = ms.first()?;
    let values: Vec<Option<f64>> = [12, 3, 0].iter().map(|&a| snapshot(view, &m.name, a)).collect();
    Some(Chart {
        kind: "bar",
        title: format!("{} — {who}", capitalise(&m.label)),
        format: m.format,
        labels: vec!["12 months ago".into(), "3 months ago".into(), "now".into()],
        series: vec![(m.label.clone(), values)],
    })
}

fn groups(plan: &Plan, ctx: &Context<'_>, dimension: &str, model: &Semantic) -> analytics::Result<Vec<Group>> {
    let filter = ctx.filter(plan)?;
    Ok(match dimension {
        "region" => {
            let view = (ctx.executive)(ctx.threshold(plan), filter)?;
            view.regions
                .iter()
                .map(|g| Group {
                    key: g.label.clone(),
                    label: g.stats.as_ref().map_or_else(|| model.label("region", &g.label), |s| s.name.to_owned()),
                    count: g.count,
                    mean_probability: g.stats.as_ref().map(|s| s.mean_probability),
                    high_risk_share: g.stats.as_ref().and_then(|s| s.high_risk_share.get()),
                    medical_exposure: g.stats.as_ref().map(|s| s.medical_exposure),
                })
                .collect()
        }
        "credit_group" => {
            let view = (ctx.executive)(ctx.threshold(plan), filter)?;
            credit_like(view.credit_groups.clone(), "credit_group", model)
        }
        _ => credit_like(ctx.portfolio.age_bands(ctx.threshold(plan), filter, &ctx.guard)?, "age_band", model),
    })
}

fn breakdown(plan: &Plan, ctx: &Context<'_>, model: &Semantic) -> analytics::Result<Body> {
    let dimension = plan.group_by.as_deref().unwrap_or("region");
    let dim_label = model.dimension(dimension).map_or(dimension.to_owned(), |d| d.label.clone());
    let ms = metrics(plan, model);
    let m = ms[0];
    let all = groups(plan, ctx, dimension, model)?;
    let who = scope(plan, model);
    let mut body = Body::default();
    let shown_groups: Vec<(&Group, f64)> = all.iter().filter_map(|g| g.value(&m.name).map(|v| (g, v))).collect();
    let withheld = all.len() - shown_groups.len();
    // Largest first (smallest first when ascending); ties in the catalogue's order.
    let mut sorted = shown_groups.clone();
    let ascending = plan.order == Some(Order::Ascending);
    sorted
        .sort_by(|a, b| if ascending { a.1.total_cmp(&b.1) } else { b.1.total_cmp(&a.1) }.then(a.0.key.cmp(&b.0.key)));
    let ranked = plan.intent == Intent::Rank;
    let listed: Vec<(&Group, f64)> =
        if ranked { sorted.iter().take(plan.limit.unwrap_or(5) as usize).copied().collect() } else { sorted.clone() };
    if shown_groups.is_empty() {
        body.text.push(format!(
            "Too few people to report {} by {dim_label} for {who}: every group is {}.",
            m.label,
            withheld_text(&ctx.guard)
        ));
    } else if ranked {
        let adjective = if plan.order == Some(Order::Ascending) { "lowest" } else { "highest" };
        let items: Vec<String> = listed
            .iter()
            .enumerate()
            .map(|(i, (g, v))| format!("{}. {} ({})", i + 1, g.label, format(m.format, *v)))
            .collect();
        let among =
            if withheld > 0 { format!("Of the {} {dim_label}s shown, ", shown_groups.len()) } else { String::new() };
        if listed.len() == 1 {
            body.text.push(capitalise(&format!(
                "{among}{} has the {adjective} {} for {who}: {}.",
                listed[0].0.label,
                m.label,
                format(m.format, listed[0].1)
            )));
        } else {
            body.text.push(capitalise(&format!(
                "{among}the {} {}s with the {adjective} {} for {who}: {}.",
                listed.len(),
                dim_label,
                m.label,
                items.join(", ")
            )));
        }
        let cut = listed.last().map(|l| l.1);
        let tied = sorted.iter().skip(listed.len()).filter(|(_, v)| Some(*v) == cut).count();
        if tied > 0 {
            body.text.push(format!("{tied} more {dim_label}s tie with the last one listed."));
        }
        let by = |a: &&(&Group, f64), b: &&(&Group, f64)| a.1.total_cmp(&b.1).then(b.0.key.cmp(&a.0.key));
        if let (Some(top), Some(bottom)) = (sorted.iter().max_by(by), sorted.iter().min_by(by))
            && sorted.len() > 1
        {
            body.text.push(format!(
                "Across the {} {dim_label}s shown, it ranges from {} ({}) to {} ({}).",
                sorted.len(),
                bottom.0.label,
                format(m.format, bottom.1),
                top.0.label,
                format(m.format, top.1)
            ));
        }
    } else {
        let by = |a: &&(&Group, f64), b: &&(&Group, f64)| a.1.total_cmp(&b.1).then(b.0.key.cmp(&a.0.key));
        let (hi, lo) = (sorted.iter().max_by(by).expect("non-empty"), sorted.iter().min_by(by).expect("non-empty"));
        body.text.push(format!(
            "{} by {dim_label} for {who}: highest in {} ({}), lowest in {} ({}).",
            capitalise(&m.label),
            hi.0.label,
            format(m.format, hi.1),
            lo.0.label,
            format(m.format, lo.1)
        ));
        if let Some(total) = snapshot(ctx.view(plan)?.as_ref(), &m.name, 0) {
            body.text.push(format!("For {who} taken together it is {}.", format(m.format, total)));
        }
    }
    if withheld > 0 {
        let note = format!(
            "{withheld} of {} {dim_label}s withheld (fewer than k = {} people, or they would reveal such a group){}",
            all.len(),
            ctx.guard.k(),
            if ranked { "; the ranking considers only the groups shown" } else { "" }
        );
        body.text.push(format!("{}.", capitalise(&note)));
        body.warnings.push(note);
    }
    let columns: Vec<String> = std::iter::once(dim_label.clone()).chain(ms.iter().map(|m| m.label.clone())).collect();
    let table_groups: Vec<&Group> =
        if ranked { listed.iter().map(|(g, _)| *g).collect() } else { all.iter().collect() };
    body.table = Some(Table {
        display: Vec::new(),
        columns,
        rows: table_groups
            .iter()
            .map(|g| {
                std::iter::once(serde_json::json!(g.label)).chain(ms.iter().map(|m| cell(g.value(&m.name)))).collect()
            })
            .collect(),
    });
    for g in &table_groups {
        body.figures.push(shown(m, Some(g.label.clone()), g.value(&m.name), &ctx.guard));
    }
    // A ranking's chart shows at least the ten first, for context.
    let shown_in_chart = if ranked { (plan.limit.unwrap_or(5) as usize).max(10) } else { sorted.len() };
    let chart_groups: Vec<&(&Group, f64)> = sorted.iter().take(shown_in_chart).collect();
    body.chart = Some(Chart {
        kind: "bar",
        title: format!("{} by {dim_label} — {who}", capitalise(&m.label)),
        format: m.format,
        labels: chart_groups.iter().map(|(g, _)| g.label.clone()).collect(),
        series: vec![(m.label.clone(), chart_groups.iter().map(|(_, v)| Some(*v)).collect())],
    });
    body.warnings.extend(threshold_warning(plan, ctx, &ms));
    body.link = Some(ctx.executive_link(plan));
    let other = ["region", "credit_group", "age_band"]
        .into_iter()
        .find(|d| *d != dimension && !plan.filters.contains_key(*d))
        .unwrap_or("region");
    body.suggestions = vec![
        format!("by {} instead", model.dimension(other).map_or(other.to_owned(), |d| d.label.clone())),
        if ranked { format!("{} by {dim_label}", m.label) } else { format!("top 3 {dim_label}s by {}", m.label) },
        format!("how did the {} change over the last year", m.label),
    ];
    Ok(body)
}

fn share(plan: &Plan, ctx: &Context<'_>, model: &Semantic) -> analytics::Result<Body> {
    let ms = metrics(plan, model);
    let m = ms[0];
    let Some((dimension, key)) =
        plan.filters.iter().find(|(d, _)| ["region", "credit_group", "age_band"].contains(&d.as_str()))
    else {
        return value(plan, ctx, model);
    };
    let mut rest = plan.clone();
    rest.filters.remove(dimension);
    let all = groups(&rest, ctx, dimension, model)?;
    let total = snapshot(ctx.view(&rest)?.as_ref(), &m.name, 0);
    let group = all.iter().find(|g| g.key == *key);
    let part = group.and_then(|g| g.value(&m.name));
    let who = scope(&rest, model);
    let label = group.map_or_else(|| model.label(dimension, key), |g| g.label.clone());
    let mut body = Body::default();
    match (part, total) {
        (Some(part), Some(total)) if total > 0.0 => {
            let s = part / total;
            body.text.push(format!(
                "{label} accounts for {:.1} % of the {} of {who}: {} of {}.",
                100.0 * s,
                m.label,
                format(m.format, part),
                format(m.format, total)
            ));
            body.figures.push(Shown {
                metric: format!("{}_share", m.name),
                label: format!("share of {}", m.label),
                group: Some(label.clone()),
                value: Some(s),
                formatted: format!("{:.1} %", 100.0 * s),
                unit: "share".into(),
            });
        }
        _ => body.text.push(format!(
            "Too few people to report {label}'s share of the {}: it is {}.",
            m.label,
            withheld_text(&ctx.guard)
        )),
    }
    body.figures.push(shown(m, Some(label.clone()), part, &ctx.guard));
    body.figures.push(shown(m, None, total, &ctx.guard));
    body.table = Some(Table {
        display: Vec::new(),
        columns: vec!["group".into(), m.label.clone()],
        rows: vec![vec![serde_json::json!(label), cell(part)], vec![serde_json::json!(who), cell(total)]],
    });
    body.chart = Some(Chart {
        kind: "bar",
        title: format!("{label}'s part of the {}", m.label),
        format: m.format,
        labels: vec![label.clone(), "everyone".into()],
        series: vec![(m.label.clone(), vec![part, total])],
    });
    body.warnings.extend(threshold_warning(plan, ctx, &ms));
    body.link = Some(ctx.executive_link(&rest));
    body.suggestions =
        vec![format!("{} by {}", m.label, model.dimension(dimension).map_or(dimension.clone(), |d| d.label.clone()))];
    Ok(body)
}

fn segments(plan: &Plan, ctx: &Context<'_>, model: &Semantic) -> analytics::Result<Body> {
    let ms = metrics(plan, model);
    let m = ms[0];
    let mut body = Body::default();
    let mut sides = Vec::new();
    for s in &plan.segments {
        let mut one = plan.clone();
        one.segments.clear();
        one.filters.insert(s.dimension.clone(), s.value.clone());
        let view = ctx.view(&one)?;
        if let Some(why) = &view.withheld_because {
            body.warnings.push(why.clone());
        }
        sides.push((model.label(&s.dimension, &s.value), snapshot(&view, &m.name, 0), one));
    }
    let mut base = plan.clone();
    base.segments.clear();
    let who = scope(&base, model);
    match (sides[0].1, sides[1].1) {
        (Some(a), Some(b)) => {
            let (hi, lo) = if a >= b { (&sides[0], &sides[1]) } else { (&sides[1], &sides[0]) };
            body.text.push(format!(
                "{} is {} in {} and {} in {}{}.",
                capitalise(&m.label),
                format(m.format, a),
                sides[0].0,
                format(m.format, b),
                sides[1].0,
                if who == "the whole portfolio" { String::new() } else { format!(" (for {who})") }
            ));
            let (h, l) = (hi.1.unwrap_or(0.0), lo.1.unwrap_or(0.0));
            let ratio = if l.abs() > 1e-12 { format!(", {:.2}× as much", h / l) } else { String::new() };
            body.text.push(capitalise(&format!(
                "{} is higher by {}{ratio}.",
                hi.0,
                change_text(m, h - l).trim_start_matches('+')
            )));
        }
        _ => body.text.push(format!(
            "Too few people to compare {} of {} and {}: {} is {}.",
            m.label,
            sides[0].0,
            sides[1].0,
            if sides[0].1.is_none() { &sides[0].0 } else { &sides[1].0 },
            withheld_text(&ctx.guard)
        )),
    }
    for (label, v, _) in &sides {
        body.figures.push(shown(m, Some(label.clone()), *v, &ctx.guard));
    }
    body.table = Some(Table {
        display: Vec::new(),
        columns: vec!["group".into(), m.label.clone()],
        rows: sides.iter().map(|(l, v, _)| vec![serde_json::json!(l), cell(*v)]).collect(),
    });
    body.chart = Some(Chart {
        kind: "bar",
        title: format!("{}: {} and {}", capitalise(&m.label), sides[0].0, sides[1].0),
        format: m.format,
        labels: sides.iter().map(|(l, _, _)| l.clone()).collect(),
        series: vec![(m.label.clone(), sides.iter().map(|(_, v, _)| *v).collect())],
    });
    body.warnings.extend(threshold_warning(plan, ctx, &ms));
    body.link = Some(ctx.executive_link(&sides[0].2));
    body.suggestions = vec![format!(
        "{} by {}",
        m.label,
        model.dimension(&plan.segments[0].dimension).map_or("region".into(), |d| d.label.clone())
    )];
    Ok(body)
}

fn periods(plan: &Plan, ctx: &Context<'_>, model: &Semantic) -> analytics::Result<Body> {
    let ms = metrics(plan, model);
    let then = plan.comparison.unwrap_or(12);
    let view = ctx.view(plan)?;
    let who = scope(plan, model);
    let mut body = Body::default();
    let mut rows = Vec::new();
    for m in &ms {
        let (now, before) = (snapshot(&view, &m.name, 0), snapshot(&view, &m.name, then));
        match (now, before) {
            (Some(now), Some(before)) => {
                body.text.push(moved_sentence(m, &who, (before, &format!("{then} months ago")), (now, "now")));
            }
            _ => body.text.push(format!(
                "Too few people to report how the {} of {who} changed: it is {}.",
                m.label,
                withheld_text(&ctx.guard)
            )),
        }
        body.figures.push(shown(m, Some(when(then)), before, &ctx.guard));
        body.figures.push(shown(m, Some("now".into()), now, &ctx.guard));
        let change = now.zip(before).map(|(a, b)| a - b);
        if let Some(d) = change {
            body.figures.push(Shown {
                metric: format!("{}_change", m.name),
                label: format!("change in {}", m.label),
                group: Some(format!("over {then} months")),
                value: Some(d),
                formatted: change_text(m, d),
                unit: m.unit.clone(),
            });
        }
        rows.push(vec![serde_json::json!(m.label), cell(before), cell(now), cell(change)]);
    }
    suppressed_view(&view, &mut body, ctx);
    body.table = Some(Table {
        columns: vec!["figure".into(), when(then), "now".into(), "change".into()],
        rows,
        display: Vec::new(),
    });
    body.chart = single_chart(&ms, &view, &who);
    body.warnings.extend(threshold_warning(plan, ctx, &ms));
    body.link = Some(ctx.executive_link(plan));
    body.suggestions = vec![
        format!("why did the {} change over the last {}", ms[0].label, if then == 3 { "3 months" } else { "year" }),
        format!("{} by region", ms[0].label),
        format!("how did the {} change over the last {}", ms[0].label, if then == 3 { "year" } else { "3 months" }),
    ];
    Ok(body)
}

/// Monthly figures: a month's value, the trend, or a month against an earlier one.
fn monthly(plan: &Plan, ctx: &Context<'_>, model: &Semantic) -> Result<analytics::Result<Body>, Refused> {
    if plan.group_by.is_some() || plan.segments.len() == 2 || plan.intent == Intent::Share {
        return Err(Refused {
            topic: "dimension".into(),
            why: "monthly event counts are shown for one group at a time: side by side, the groups' counts would reveal the small ones the guard withholds".into(),
            instead: "ask for one region or credit group (\"missed payments in Ohio over the last 6 months\")".into(),
        });
    }
    Ok(monthly_body(plan, ctx, model))
}

fn point(p: &TrendPoint, metric: &str) -> Option<f64> {
    match metric {
        "missed_payments" => p.missed_payment.get(),
        "overdrafts" => p.overdraft.get(),
        _ => p.claim.get(),
    }
    .map(|v| v as f64)
}

fn monthly_body(plan: &Plan, ctx: &Context<'_>, model: &Semantic) -> analytics::Result<Body> {
    let view = ctx.view(plan)?;
    let ms = metrics(plan, model);
    let m = ms[0];
    let who = scope(plan, model);
    let mut body = Body::default();
    let trends = &view.trends;
    let find = |month: &str| trends.iter().position(|t| t.month == month);
    let latest = trends.len().saturating_sub(1);
    let month_index = match &plan.time {
        Some(Time::Month(month)) => find(month).unwrap_or(latest),
        _ => latest,
    };
    match plan.intent {
        Intent::Trend => {
            let window = match plan.time {
                Some(Time::Window(0)) => trends.len(),
                Some(Time::Window(n)) => (n as usize).min(trends.len()),
                _ => 12.min(trends.len()),
            };
            let points = &trends[trends.len() - window..];
            let values: Vec<Option<f64>> = points.iter().map(|p| point(p, &m.name)).collect();
            let shown_points: Vec<(&TrendPoint, f64)> =
                points.iter().zip(&values).filter_map(|(p, v)| v.map(|v| (p, v))).collect();
            if let (Some(first), Some(last)) = (shown_points.first(), shown_points.last()) {
                let (since, until) = (format!("in {}", first.0.month), format!("in {}", last.0.month));
                body.text.push(moved_sentence(m, &who, (first.1, &since), (last.1, &until)));
                let peak = shown_points
                    .iter()
                    .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.month.cmp(&a.0.month)))
                    .expect("non-empty");
                body.text.push(format!("The highest month was {} with {}.", peak.0.month, format(m.format, peak.1)));
            } else {
                body.text.push(format!(
                    "Too few people to report {} month by month for {who}: every month is {}.",
                    m.label,
                    withheld_text(&ctx.guard)
                ));
            }
            let withheld = values.iter().filter(|v| v.is_none()).count();
            if withheld > 0 {
                body.warnings.push(format!("{withheld} of {} months {}", values.len(), withheld_text(&ctx.guard)));
            }
            for (p, v) in points.iter().zip(&values) {
                body.figures.push(shown(m, Some(p.month.clone()), *v, &ctx.guard));
            }
            body.table = Some(Table {
                display: Vec::new(),
                columns: vec!["month".into(), m.label.clone()],
                rows: points.iter().zip(&values).map(|(p, v)| vec![serde_json::json!(p.month), cell(*v)]).collect(),
            });
            body.chart = Some(Chart {
                kind: "line",
                title: format!("{} per month — {who}", capitalise(&m.label)),
                format: m.format,
                labels: points.iter().map(|p| p.month.clone()).collect(),
                series: vec![(m.label.clone(), values)],
            });
        }
        Intent::ComparePeriods => {
            let back = plan.comparison.unwrap_or(12) as usize;
            let earlier = month_index.checked_sub(back);
            let now = trends.get(month_index).and_then(|p| point(p, &m.name));
            let then = earlier.and_then(|i| trends.get(i)).and_then(|p| point(p, &m.name));
            let (now_month, then_month) = (
                trends.get(month_index).map_or("?", |p| p.month.as_str()),
                earlier.and_then(|i| trends.get(i)).map_or("?", |p| p.month.as_str()),
            );
            match (now, then) {
                (Some(now), Some(then)) => {
                    let (since, until) = (format!("in {then_month}"), format!("in {now_month}"));
                    body.text.push(moved_sentence(m, &who, (then, &since), (now, &until)));
                }
                _ if earlier.is_none() => {
                    body.text.push(format!("The warehouse's history does not reach {back} months before {now_month}."))
                }
                _ => body.text.push(format!(
                    "Too few people to compare {} for {who}: a month is {}.",
                    m.label,
                    withheld_text(&ctx.guard)
                )),
            }
            body.figures.push(shown(m, Some(then_month.to_owned()), then, &ctx.guard));
            body.figures.push(shown(m, Some(now_month.to_owned()), now, &ctx.guard));
            body.table = Some(Table {
                display: Vec::new(),
                columns: vec!["month".into(), m.label.clone()],
                rows: vec![
                    vec![serde_json::json!(then_month), cell(then)],
                    vec![serde_json::json!(now_month), cell(now)],
                ],
            });
            body.chart = Some(Chart {
                kind: "bar",
                title: format!("{} — {who}", capitalise(&m.label)),
                format: m.format,
                labels: vec![then_month.to_owned(), now_month.to_owned()],
                series: vec![(m.label.clone(), vec![then, now])],
            });
        }
        _ => {
            let p = trends.get(month_index);
            let v = p.and_then(|p| point(p, &m.name));
            let month = p.map_or("?", |p| p.month.as_str());
            body.text.push(match v {
                Some(v) => format!(
                    "In {month}, {} {} for {who}.",
                    format(m.format, v),
                    m.label
                        .replace("people with", "people had")
                        .replace("people had an insurance claim", "people made an insurance claim")
                ),
                None => format!(
                    "Too few people to report {} in {month} for {who}: it is {}.",
                    m.label,
                    withheld_text(&ctx.guard)
                ),
            });
            if plan.time.is_none() {
                body.warnings.push(format!("no month named: {month}, the latest month of the warehouse"));
            }
            body.figures.push(shown(m, Some(month.to_owned()), v, &ctx.guard));
            body.table = Some(Table {
                display: Vec::new(),
                columns: vec!["month".into(), m.label.clone()],
                rows: vec![vec![serde_json::json!(month), cell(v)]],
            });
            let last: Vec<&TrendPoint> =
                trends.iter().take(month_index + 1).rev().take(12).collect::<Vec<_>>().into_iter().rev().collect();
            body.chart = Some(Chart {
                kind: "line",
                title: format!("{} per month — {who}", capitalise(&m.label)),
                format: m.format,
                labels: last.iter().map(|p| p.month.clone()).collect(),
                series: vec![(m.label.clone(), last.iter().map(|p| point(p, &m.name)).collect())],
            });
        }
    }
    suppressed_view(&view, &mut body, ctx);
    body.link = Some(ctx.executive_link(plan));
    body.suggestions = vec![
        format!("{} over the last 6 months", m.label),
        format!("how did {} change over the last year", m.label),
        "high-risk share by region".into(),
    ];
    Ok(body)
}

fn model_answer(plan: &Plan, ctx: &Context<'_>, model: &Semantic) -> Body {
    let artifact = ctx.portfolio.artifact();
    let evaluation = &artifact.metrics;
    let ms = metrics(plan, model);
    let mut body = Body::default();
    let mut rows = Vec::new();
    let mut parts = Vec::new();
    for m in &ms {
        let v = match m.name.as_str() {
            "auc" => evaluation.auc,
            "gini" => evaluation.gini,
            "ks" => evaluation.ks,
            "ece" => evaluation.ece,
            _ => evaluation.brier,
        };
        parts.push(format!("{} is {}", m.label, format(m.format, v)));
        body.figures.push(shown(m, None, Some(v), &ctx.guard));
        rows.push(vec![serde_json::json!(m.label), serde_json::json!(v)]);
    }
    body.text.push(format!("On its validation rows, model {}'s {}.", artifact.version, parts.join(", and ")));
    if ms.iter().any(|m| m.name == "auc") {
        body.text.push(format!(
            "The ceiling, the AUC of the data's true probabilities on the same rows, is {}: the model reaches {:.0} % of the way from chance (0.5) to it.",
            format(Format::Ratio, evaluation.bayes_auc),
            100.0 * (evaluation.auc - 0.5) / (evaluation.bayes_auc - 0.5).max(1e-9)
        ));
    } else {
        body.text.push(format!(
            "Its AUC is {} against a ceiling of {}.",
            format(Format::Ratio, evaluation.auc),
            format(Format::Ratio, evaluation.bayes_auc)
        ));
    }
    body.table = Some(Table { columns: vec!["figure".into(), "value".into()], rows, display: Vec::new() });
    body.chart = Some(Chart {
        kind: "bar",
        title: format!("Model {} on its validation rows", artifact.version),
        format: Format::Ratio,
        labels: vec!["AUC".into(), "ceiling (Bayes AUC)".into(), "Gini".into(), "KS".into()],
        series: vec![(
            "value".into(),
            vec![Some(evaluation.auc), Some(evaluation.bayes_auc), Some(evaluation.gini), Some(evaluation.ks)],
        )],
    });
    body.link = Some("#/model".into());
    body.suggestions =
        vec!["what is the Brier score".into(), "what is the gini".into(), "high-risk share by region".into()];
    body
}

fn dv_answer(plan: &Plan, ctx: &Context<'_>, dv: &DvCounts, model: &Semantic) -> Body {
    let metric = model.metric("dv_assessments").expect("a DV metric");
    let mut body = Body::default();
    let levels = ctx.guard.counts(dv.levels.clone());
    let total = levels.total;
    let dimension = plan.group_by.as_deref().or(plan.filters.keys().next().map(String::as_str)).unwrap_or("dv_level");
    let cells: Vec<(String, Option<u64>)> = if dimension == "dv_pattern" {
        // Survivors may show several patterns: each pattern's count is a part of the whole, guarded as one.
        let survivors = dv.levels.iter().map(|(_, n)| n).sum::<u64>();
        dv.patterns
            .iter()
            .map(|(p, n)| (model.label("dv_pattern", p), ctx.guard.part_count(*n, survivors).get()))
            .collect()
    } else {
        levels.cells.iter().map(|c| (model.label("dv_level", &c.label), c.count)).collect()
    };
    let filtered = plan.filters.iter().next();
    if let Some((d, v)) = filtered {
        let label = model.label(d, v);
        let n = cells.iter().find(|(l, _)| *l == label).and_then(|(_, n)| *n);
        body.text.push(match n {
            Some(n) => format!(
                "As of {}, {} of the {} assessed survivors are {}{}.",
                dv.as_of,
                thousands(n),
                total.map_or_else(|| "?".into(), thousands),
                if d == "dv_pattern" { "showing " } else { "at the " },
                if d == "dv_pattern" { label.clone() } else { format!("{label} level") }
            ),
            None => format!("Too few survivors to report for {label}: the count is {}.", withheld_text(&ctx.guard)),
        });
        body.figures.push(shown(metric, Some(label), n.map(|n| n as f64), &ctx.guard));
    } else {
        let listed: Vec<String> =
            cells.iter().filter_map(|(l, n)| n.map(|n| format!("{l} {}", thousands(n)))).collect();
        body.text.push(format!(
            "As of {}, {} survivors are assessed{}: {}.",
            dv.as_of,
            total.map_or_else(|| "too few".into(), thousands),
            if dimension == "dv_pattern" { " (a survivor may show several patterns)" } else { "" },
            if listed.is_empty() { "every group withheld".to_owned() } else { listed.join(", ") }
        ));
        for (l, n) in &cells {
            body.figures.push(shown(metric, Some(l.clone()), n.map(|n| n as f64), &ctx.guard));
        }
    }
    let withheld = cells.iter().filter(|(_, n)| n.is_none()).count();
    if withheld > 0 && filtered.is_none() {
        body.warnings.push(format!("{withheld} of {} groups {}", cells.len(), withheld_text(&ctx.guard)));
    }
    body.table = Some(Table {
        display: Vec::new(),
        columns: vec![model.dimension(dimension).map_or("group".into(), |d| d.label.clone()), "survivors".into()],
        rows: cells.iter().map(|(l, n)| vec![serde_json::json!(l), cell(n.map(|n| n as f64))]).collect(),
    });
    body.chart = Some(Chart {
        kind: "bar",
        title: format!("DV assessments by {}", if dimension == "dv_pattern" { "pattern" } else { "level" }),
        format: Format::Count,
        labels: cells.iter().map(|(l, _)| l.clone()).collect(),
        series: vec![("survivors".into(), cells.iter().map(|(_, n)| n.map(|n| n as f64)).collect())],
    });
    body.link = Some("#/dv".into());
    body.suggestions = vec!["dv assessments by pattern".into(), "how many survivors are at the critical level".into()];
    body
}

fn scenario(plan: &Plan, ctx: &Context<'_>, model: &Semantic) -> Result<Body, Refused> {
    let wanted = plan.scenario.as_ref().expect("a scenario plan names one");
    let run = ctx
        .scenarios
        .iter()
        .find(|r| r.name == wanted.name && wanted.shape.as_ref().is_none_or(|s| *s == r.shape))
        .ok_or_else(|| Refused {
            topic: "scenario".into(),
            why: format!(
                "no stored run of the {}{} scenario",
                model.label("scenario", &wanted.name),
                wanted.shape.as_ref().map_or_else(String::new, |s| format!(" ({})", model.label("shape", s)))
            ),
            instead: format!(
                "run it first (`safehaven chaos run {}{}`, or from the Scenarios view), then ask again",
                wanted.name,
                wanted.shape.as_ref().map_or_else(String::new, |s| format!(" --shape {s}"))
            ),
        })?;
    let ms = metrics(plan, model);
    let (at, figures, month) = if wanted.at == "peak" {
        ("peak", &run.peak, run.peak_month)
    } else {
        ("horizon", &run.horizon, run.horizon_months)
    };
    let pick = |f: &ScenarioFigures, m: &str| match m {
        "high_risk_count" => f.high_risk_count.map(|v| v as f64),
        "expected_distress" => Some(f.expected_distress),
        "mean_probability" => Some(f.mean_probability),
        _ => Some(f.medical_exposure),
    };
    let name = model.label("scenario", &run.name);
    let mut body = Body::default();
    let mut rows = Vec::new();
    for (i, m) in ms.iter().enumerate() {
        let (b, s) = (pick(&run.baseline, &m.name), pick(figures, &m.name));
        let sentence = match (b, s) {
            (Some(b), Some(s)) => {
                let rel = relative(s, b).map_or_else(String::new, |r| format!(", {r}"));
                format!(
                    "{} {} at the {at} (month {month}) is {} against a baseline of {} ({}{rel})",
                    if i == 0 {
                        format!(
                            "Under the {name} scenario (shape: {}, run {}),",
                            model.label("shape", &run.shape),
                            run.run_id
                        )
                    } else {
                        "Its".into()
                    },
                    m.label,
                    format(m.format, s),
                    format(m.format, b),
                    change_text(m, s - b)
                )
            }
            _ => format!(
                "{} {} is {}",
                if i == 0 { format!("Under the {name} scenario,") } else { "Its".into() },
                m.label,
                withheld_text(&ctx.guard)
            ),
        };
        body.text.push(format!("{sentence}."));
        body.figures.push(shown(m, Some("baseline".into()), b, &ctx.guard));
        body.figures.push(shown(m, Some(format!("{name} at the {at}")), s, &ctx.guard));
        rows.push(vec![serde_json::json!(m.label), cell(b), cell(s)]);
    }
    if body.text.len() > 3 {
        let rest = body.text.split_off(2);
        body.text.push(rest.join(" "));
    }
    // At the horizon, say where the run was worst too; the peak is the other point a stress run is read at.
    if wanted.at == "horizon" && run.peak_month != run.horizon_months {
        let m = ms[0];
        if let Some(p) = pick(&run.peak, &m.name) {
            body.text.push(format!(
                "Its worst month was month {}, with {} {}.",
                run.peak_month,
                format(m.format, p),
                m.label
            ));
        }
    }
    body.text.push(format!(
        "The run was computed on {} for the whole population; the warehouse itself is never changed.",
        run.created_at
    ));
    // Runs of other shapes of the same scenario: the latest was used; say which others there are.
    if wanted.shape.is_none() {
        let mut others: Vec<String> = ctx
            .scenarios
            .iter()
            .filter(|r| r.name == run.name && r.shape != run.shape)
            .map(|r| model.label("shape", &r.shape))
            .collect();
        others.sort();
        others.dedup();
        if !others.is_empty() {
            body.warnings.push(format!(
                "the latest run ({}) is used; there are also {} runs of the {name}: name the shape to see one (\"under a {} {name}\")",
                model.label("shape", &run.shape),
                others.join(" and "),
                others[0].to_lowercase()
            ));
        }
    }
    body.table = Some(Table {
        columns: vec!["figure".into(), "baseline".into(), format!("{name} at the {at}")],
        rows,
        display: Vec::new(),
    });
    let m = ms[0];
    body.chart = Some(Chart {
        kind: "bar",
        title: format!("{}: baseline and {name}", capitalise(&m.label)),
        format: m.format,
        labels: vec!["baseline".into(), format!("{name} ({at})")],
        series: vec![(m.label.clone(), vec![pick(&run.baseline, &m.name), pick(figures, &m.name)])],
    });
    body.link = Some(format!("#/scenarios?run={}", run.run_id));
    body.suggestions = vec![
        format!("high-risk people under the {name} at the peak"),
        "what if medical costs rise 30%".into(),
        "how did expected distress change over the last year".into(),
    ];
    Ok(body)
}

fn shock_words(shock: &Shock) -> String {
    let mut parts = Vec::new();
    if shock.medical_cost_pct != 0.0 {
        parts.push(format!(
            "medical costs {} {:.0} %",
            if shock.medical_cost_pct > 0.0 { "rise" } else { "fall" },
            shock.medical_cost_pct.abs()
        ));
    }
    if shock.income_pct != 0.0 {
        parts.push(format!(
            "income {} {:.0} %",
            if shock.income_pct > 0.0 { "rises" } else { "falls" },
            shock.income_pct.abs()
        ));
    }
    if shock.unemployment_points != 0.0 {
        parts.push(format!(
            "unemployment {} {:.0} points",
            if shock.unemployment_points > 0.0 { "rises" } else { "falls" },
            shock.unemployment_points.abs()
        ));
    }
    parts.join(" and ")
}

fn what_if(plan: &Plan, ctx: &Context<'_>, model: &Semantic) -> analytics::Result<Body> {
    let shock = plan.shock.unwrap_or_default();
    let filter = ctx.filter(plan)?;
    let threshold = ctx.threshold(plan);
    let who = scope(plan, model);
    let mut body = Body::default();
    let view = ctx.view(plan)?;
    if view.suppressed {
        body.text.push(format!(
            "Too few people to report for {who}: figures about fewer than k = {} people are withheld.",
            ctx.guard.k()
        ));
        body.link = Some(ctx.executive_link(plan));
        return Ok(body);
    }
    let impact = ctx.portfolio.population_what_if(&shock, filter, threshold, &ctx.guard)?;
    let hr = model.metric("high_risk_count").expect("listed");
    let ed = model.metric("expected_distress").expect("listed");
    let (b, s) = (
        impact.baseline.high_risk_count.get().map(|v| v as f64),
        impact.scenario.high_risk_count.get().map(|v| v as f64),
    );
    let (eb, es) = (impact.baseline.expected_distress, impact.scenario.expected_distress);
    body.text.push(match (b, s, impact.high_risk_change.get()) {
        (Some(b), Some(s), Some(d)) => format!(
            "If {}, the model puts {} of {who} at high risk instead of {} ({}{}).",
            shock_words(&shock),
            format(Format::Count, s),
            format(Format::Count, b),
            change_text(hr, d as f64),
            relative(s, b).map_or_else(String::new, |r| format!(", {r}"))
        ),
        _ => format!(
            "If {}, the change in high-risk people for {who} is {}.",
            shock_words(&shock),
            withheld_text(&ctx.guard)
        ),
    });
    let psi = if filter == Filter::default() {
        format!("; the shocked scores' PSI against the training population is {:.3}", impact.score_psi.psi)
    } else {
        String::new()
    };
    body.text.push(format!(
        "Expected distress moves from {} to {} ({}){psi}.",
        format(Format::Decimal, eb),
        format(Format::Decimal, es),
        change_text(ed, es - eb),
    ));
    body.text.push("The what-if rescores today's population with the shocked inputs and changes nothing stored; it is the model's association, not a forecast.".into());
    body.figures.push(shown(hr, Some("baseline".into()), b, &ctx.guard));
    body.figures.push(shown(hr, Some("shocked".into()), s, &ctx.guard));
    body.figures.push(shown(ed, Some("baseline".into()), Some(eb), &ctx.guard));
    body.figures.push(shown(ed, Some("shocked".into()), Some(es), &ctx.guard));
    body.table = Some(Table {
        display: Vec::new(),
        columns: vec!["figure".into(), "baseline".into(), "shocked".into()],
        rows: vec![
            vec![serde_json::json!(hr.label), cell(b), cell(s)],
            vec![serde_json::json!(ed.label), serde_json::json!(eb), serde_json::json!(es)],
        ],
    });
    body.chart = Some(Chart {
        kind: "bar",
        title: format!("High-risk people if {}", shock_words(&shock)),
        format: Format::Count,
        labels: vec!["baseline".into(), "shocked".into()],
        series: vec![(hr.label.clone(), vec![b, s])],
    });
    body.warnings.extend(threshold_warning(plan, ctx, &[hr]));
    body.link = Some(ctx.executive_link(plan));
    body.suggestions = vec![
        "high-risk people under the recession".into(),
        "why did expected distress change over the last year".into(),
    ];
    Ok(body)
}

fn explain(plan: &Plan, ctx: &Context<'_>, model: &Semantic) -> analytics::Result<Body> {
    let then = plan.comparison.unwrap_or(12);
    let ms = metrics(plan, model);
    let m = ms[0];
    let filter = ctx.filter(plan)?;
    let view = ctx.view(plan)?;
    let who = scope(plan, model);
    let mut body = Body::default();
    let (now, before) = (snapshot(&view, &m.name, 0), snapshot(&view, &m.name, then));
    let drivers = ctx.portfolio.drivers(filter, then, &ctx.guard);
    let Some(drivers) =
        drivers.filter(|d| d.change.is_shown() && !view.suppressed && now.is_some() && before.is_some())
    else {
        body.text.push(match &view.withheld_because {
            Some(why) => format!("The change for {who} is withheld: {why}."),
            None => format!(
                "Too few people to explain the change for {who}: figures about fewer than k = {} people are withheld.",
                ctx.guard.k()
            ),
        });
        body.link = Some(ctx.executive_link(plan));
        return Ok(body);
    };
    let (now, before) = (now.expect("checked"), before.expect("checked"));
    body.text.push(moved_sentence(m, &who, (before, &format!("{then} months ago")), (now, "now")));
    let change = drivers.change.get().unwrap_or(0.0);
    let same_way: Vec<&analytics::Driver> =
        drivers.inputs.iter().filter(|d| d.contribution * change > 0.0).take(3).collect();
    let against: Vec<&analytics::Driver> =
        drivers.inputs.iter().filter(|d| d.contribution * change < 0.0).take(1).collect();
    let describe = |d: &analytics::Driver| format!("{} ({:+.3})", d.description.to_lowercase(), d.contribution);
    body.text.push(format!(
        "In the model, the mean log-odds of distress moved by {change:+.3}; the inputs that moved it most were {}{}.",
        same_way.iter().map(|d| describe(d)).collect::<Vec<_>>().join(", "),
        against.first().map_or_else(String::new, |d| format!(", partly offset by {}", describe(d)))
    ));
    body.text.push("Each part is the model's coefficient times the change in the input's mean: an association the model has learnt, not a cause.".into());
    for d in drivers.inputs.iter().take(8) {
        body.figures.push(Shown {
            metric: "contribution".into(),
            label: format!("part of the change in mean log-odds: {}", d.description),
            group: Some(d.feature.clone()),
            value: Some(d.contribution),
            formatted: format!("{:+.3}", d.contribution),
            unit: "log-odds".into(),
        });
    }
    body.figures.push(shown(m, Some(when(then)), Some(before), &ctx.guard));
    body.figures.push(shown(m, Some("now".into()), Some(now), &ctx.guard));
    body.table = Some(Table {
        display: Vec::new(),
        columns: vec![
            "input".into(),
            format!("mean {}", when(then)),
            "mean now".into(),
            "part of the change (log-odds)".into(),
        ],
        rows: drivers
            .inputs
            .iter()
            .map(|d| {
                vec![
                    serde_json::json!(d.description),
                    serde_json::json!(d.mean_then),
                    serde_json::json!(d.mean_now),
                    serde_json::json!(d.contribution),
                ]
            })
            .collect(),
    });
    let top: Vec<&analytics::Driver> = drivers.inputs.iter().take(8).collect();
    body.chart = Some(Chart {
        kind: "bar",
        title: format!("What moved the risk of {who} over {then} months (log-odds)"),
        format: Format::Ratio,
        labels: top.iter().map(|d| d.feature.clone()).collect(),
        series: vec![("contribution".into(), top.iter().map(|d| Some(d.contribution)).collect())],
    });
    body.warnings.extend(threshold_warning(plan, ctx, &ms));
    body.link = Some(ctx.executive_link(plan));
    body.suggestions = vec![
        format!("why did the {} change over the last {}", m.label, if then == 3 { "year" } else { "3 months" }),
        format!("{} by region", m.label),
        "what if medical costs rise 30%".into(),
    ];
    Ok(body)
}

fn summary(plan: &Plan, ctx: &Context<'_>, model: &Semantic) -> analytics::Result<Body> {
    let view = ctx.view(plan)?;
    let who = scope(plan, model);
    let mut body = Body::default();
    let get = |m: &str, a: u32| snapshot(&view, m, a);
    let f = |m: &str, v: Option<f64>| {
        v.map_or_else(|| "withheld".to_owned(), |v| format(model.metric(m).expect("listed").format, v))
    };
    body.text.push(format!(
        "{}: {} people, {} of them at high risk ({}), expected distress {}.",
        capitalise(&who),
        f("people", get("people", 0)),
        f("high_risk_count", get("high_risk_count", 0)),
        f("high_risk_share", get("high_risk_share", 0)),
        f("expected_distress", get("expected_distress", 0))
    ));
    let share = model.metric("high_risk_share").expect("listed");
    let mut changes = Vec::new();
    for a in [12, 3] {
        if let (Some(n), Some(t)) = (get("high_risk_share", 0), get("high_risk_share", a)) {
            let (word, _) = moved(share, n - t);
            changes
                .push(format!("{word} {} over {a} months", change_text(share, n - t).trim_start_matches(['+', '−'])));
        }
    }
    if !changes.is_empty() {
        body.text.push(format!("The high-risk share {}.", changes.join(" and ")));
    }
    if let (Some(n), Some(t)) = (get("medical_exposure", 0), get("medical_exposure", 12)) {
        body.text.push(format!(
            "Medical exposure is {}, {} on a year earlier.",
            format(Format::Money, n),
            relative(n, t).unwrap_or_else(|| "unchanged".into())
        ));
    }
    suppressed_view(&view, &mut body, ctx);
    let names =
        ["people", "high_risk_count", "high_risk_share", "expected_distress", "mean_probability", "medical_exposure"];
    let mut rows = Vec::new();
    for name in names {
        let m = model.metric(name).expect("listed");
        for (group, at) in [("now", 0), ("3 months ago", 3), ("12 months ago", 12)] {
            body.figures.push(shown(m, Some(group.into()), get(name, at), &ctx.guard));
        }
        rows.push(vec![serde_json::json!(m.label), cell(get(name, 12)), cell(get(name, 3)), cell(get(name, 0))]);
    }
    body.table = Some(Table {
        display: Vec::new(),
        columns: vec!["figure".into(), "12 months ago".into(), "3 months ago".into(), "now".into()],
        rows,
    });
    body.chart = single_chart(&[share], &view, &who);
    body.warnings.extend(threshold_warning(plan, ctx, &[share]));
    body.link = Some(ctx.executive_link(plan));
    body.suggestions = vec![
        "which region has the highest high-risk share".into(),
        "why did expected distress change over the last year".into(),
        "missed payments over the last 6 months".into(),
    ];
    Ok(body)
}

/// The corrections as a warning, so an answer says what it read.
pub fn correction_warning(corrections: &[Correction]) -> Option<String> {
    (!corrections.is_empty()).then(|| {
        format!(
            "read {} as {}",
            corrections.iter().map(|c| format!("“{}”", c.from)).collect::<Vec<_>>().join(", "),
            corrections.iter().map(|c| format!("“{}”", c.to)).collect::<Vec<_>>().join(", ")
        )
    })
}
