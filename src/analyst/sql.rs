//! The SQL an answer shows, rendered from the semantic model's fragments and query shapes. Every value (a region
//! code, a month, the threshold) is a bound parameter (`?`), in order; nothing of the question's text is ever
//! part of the query. The rendered query computes, on the warehouse, the figures the answer took from memory:
//! a test runs it on DuckDB and requires the same numbers.

use super::plan::{Intent, Plan, Time};
use super::semantic::Semantic;
use serde::Serialize;

/// A query with its parameters, in the order of its `?` placeholders.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rendered {
    pub sql: String,
    pub parameters: Vec<serde_json::Value>,
    /// What the query does not cover (figures as of earlier snapshots are the model's scores then, computed in
    /// memory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The query behind `plan`'s figures, or `None` for figures no query computes (the model's evaluation, chaos
/// runs, DV assessments, what-if) or a plan with no figure.
pub fn render(plan: &Plan, model: &Semantic, threshold: f64) -> Option<Rendered> {
    let metrics: Vec<&super::semantic::Metric> = plan.metrics.iter().filter_map(|m| model.metric(m)).collect();
    let first = metrics.first()?;
    let source = model.source.get(&first.source)?;
    let from = source.from.as_ref()?;
    if matches!(plan.intent, Intent::Whatif | Intent::CompareScenario | Intent::Summary | Intent::Explain) {
        return None;
    }
    let mut parameters = Vec::new();
    let mut select = Vec::new();
    for m in metrics.iter().filter(|m| m.source == first.source) {
        let fragment = m.sql.as_ref()?;
        let mut text = String::new();
        let mut rest = fragment.as_str();
        while let Some(at) = rest.find(":threshold") {
            text.push_str(&rest[..at]);
            text.push('?');
            parameters.push(serde_json::json!(threshold));
            rest = &rest[at + ":threshold".len()..];
        }
        text.push_str(rest);
        select.push(format!("{text} AS {}", m.name));
    }
    let column = |d: &str| source.columns.get(d).cloned();
    let mut conditions = Vec::new();
    for (dimension, value) in &plan.filters {
        conditions.push(format!("{} = ?", column(dimension)?));
        parameters.push(serde_json::json!(value));
    }
    let mut note = None;
    let mut dimension = plan.group_by.as_deref().and_then(column);
    if plan.segments.len() == 2 {
        let col = column(&plan.segments[0].dimension)?;
        conditions.push(format!("{col} IN (?, ?)"));
        parameters.extend(plan.segments.iter().map(|s| serde_json::json!(s.value)));
        dimension = Some(col);
    }
    if plan.intent == Intent::Share {
        // The share's group against the whole: every group of its dimension, the answer divides.
        let (d, _) = plan.filters.iter().find(|(d, _)| column(d).is_some())?;
        let col = column(d)?;
        let at = conditions.iter().position(|c| c.starts_with(&format!("{col} =")))?;
        conditions.remove(at);
        let index = parameters.len() - plan.filters.len() + plan.filters.keys().position(|k| k == d)?;
        parameters.remove(index);
        dimension = Some(col);
    }
    let month_column = column("month");
    match (&plan.time, month_column) {
        (Some(Time::Month(m)), Some(col)) => {
            conditions.push(format!("{col} = ?"));
            parameters.push(serde_json::json!(m));
        }
        (Some(Time::Window(_)), Some(col)) | (None, Some(col)) if plan.intent == Intent::Trend => {
            dimension = Some(col);
        }
        (None, Some(col)) if plan.intent == Intent::ComparePeriods => dimension = Some(col),
        (None, Some(col)) => {
            // A monthly figure with no month named is the latest month's: the one the answer reports.
            dimension = Some(col);
            note = Some("one row per month; the answer reports the latest".to_owned());
        }
        (Some(Time::MonthsAgo(n)), None) if *n > 0 => {
            note = Some(format!(
                "the query computes the figures as of the observation date; those {n} months earlier are the model's scores of the population as of then, computed in memory"
            ));
        }
        _ => {}
    }
    if plan.intent == Intent::ComparePeriods && note.is_none() && first.source == "people" {
        note = Some(format!(
            "the query computes the figures as of the observation date; those {} months earlier are the model's scores of the population as of then, computed in memory",
            plan.comparison.unwrap_or(12)
        ));
    }
    let filter = if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
    let sql = match dimension {
        Some(dimension) => model
            .query
            .breakdown
            .replace("{dimension}", &dimension)
            .replace("{select}", &select.join(", "))
            .replace("{from}", from)
            .replace("{where}", &filter),
        None => model
            .query
            .value
            .replace("{select}", &select.join(", "))
            .replace("{from}", from)
            .replace("{where}", &filter),
    };
    Some(Rendered { sql, parameters, note })
}
