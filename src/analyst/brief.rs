//! The executive brief: a one-page summary written from figures only. The headline figures now against 3 and 12
//! months earlier, the regions and credit groups whose high-risk share moved most (among those the guard shows),
//! the latest stress-scenario runs, and the DV level mix for roles that may see it; every sentence carries the
//! dashboard link of the view its figures come from.

use super::answer::{Context, format, scope};
use super::plan::{Intent, Plan};
use super::semantic::{Direction, Format, Semantic};
use crate::analytics;
use crate::privacy::roles::Permission;
use crate::text::capitalise;
use serde::Serialize;

/// One headline figure: now, 3 and 12 months earlier (`null` where withheld).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BriefKpi {
    pub metric: String,
    pub label: String,
    pub now: Option<f64>,
    pub three_months_ago: Option<f64>,
    pub twelve_months_ago: Option<f64>,
    pub formatted: String,
    pub link: String,
}

/// A region or credit group whose high-risk share moved.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mover {
    pub dimension: String,
    pub key: String,
    pub label: String,
    pub share_now: f64,
    pub share_then: f64,
    /// Points of share over 12 months.
    pub change: f64,
    pub link: String,
}

/// One sentence of the brief and the view its figures come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BriefLine {
    pub section: &'static str,
    pub text: String,
    pub link: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Brief {
    pub title: String,
    pub as_of: String,
    pub model_version: String,
    pub threshold: f64,
    pub k: u64,
    /// Whether the figures are a noisy release (differential privacy).
    pub noisy: bool,
    pub kpis: Vec<BriefKpi>,
    pub movers: Vec<Mover>,
    pub scenarios: Vec<super::answer::ScenarioRun>,
    /// DV assessments by level (`null` where withheld), for roles with the DV service.
    pub dv_levels: Option<Vec<(String, Option<u64>)>>,
    pub lines: Vec<BriefLine>,
}

const KPIS: [&str; 6] =
    ["people", "high_risk_count", "high_risk_share", "expected_distress", "mean_probability", "medical_exposure"];

/// The brief for `ctx`'s caller, as of the warehouse's observation date `as_of`.
pub fn brief(ctx: &Context<'_>, as_of: &str) -> Result<Brief, analytics::Error> {
    let model = Semantic::embedded();
    let threshold = ctx.portfolio.artifact().threshold;
    let plan = Plan::new(Intent::Summary);
    let link = "#/executive".to_owned();
    let mut lines = Vec::new();
    let mut kpis = Vec::new();
    let aggregates = ctx.role.may(Permission::Aggregates);
    if aggregates {
        let view = (ctx.executive)(threshold, analytics::Filter::default())?;
        for name in KPIS {
            let m = model.metric(name).expect("listed");
            let k = |a: u32| super::answer::snapshot(&view, name, a);
            let (now, three, twelve) = (k(0), k(3), k(12));
            kpis.push(BriefKpi {
                metric: name.to_owned(),
                label: m.label.clone(),
                now,
                three_months_ago: three,
                twelve_months_ago: twelve,
                formatted: now.map_or_else(|| "withheld".into(), |v| format(m.format, v)),
                link: format!("{link}?threshold={threshold}"),
            });
        }
        let get = |name: &str| kpis.iter().find(|k| k.metric == name);
        if let (Some(people), Some(high), Some(share)) = (get("people"), get("high_risk_count"), get("high_risk_share"))
        {
            lines.push(BriefLine {
                section: "headline",
                text: format!(
                    "{} covers {} people; {} of them ({}) are at high risk (probability of distress ≥ {:.0} %).",
                    capitalise(&scope(&plan, model)),
                    people.formatted,
                    high.formatted,
                    share.formatted,
                    100.0 * threshold
                ),
                link: high.link.clone(),
            });
        }
        for name in ["high_risk_share", "expected_distress", "medical_exposure"] {
            let Some(k) = get(name) else { continue };
            let m = model.metric(name).expect("listed");
            let change = |then: Option<f64>, months: u32| {
                k.now.zip(then).map(|(n, t)| {
                    let d = n - t;
                    let word = if d > 0.0 {
                        "up"
                    } else if d < 0.0 {
                        "down"
                    } else {
                        "unchanged"
                    };
                    let size = match m.format {
                        Format::Percent => format!("{:.1} points", 100.0 * d.abs()),
                        f => format(f, d.abs()),
                    };
                    if d == 0.0 {
                        format!("unchanged over {months} months")
                    } else {
                        format!("{word} {size} over {months} months")
                    }
                })
            };
            let parts: Vec<String> =
                [change(k.twelve_months_ago, 12), change(k.three_months_ago, 3)].into_iter().flatten().collect();
            if parts.is_empty() {
                continue;
            }
            let worse = k.now.zip(k.twelve_months_ago).is_some_and(|(n, t)| match m.bad {
                Direction::Up => n > t,
                Direction::Down => n < t,
                Direction::None => false,
            });
            lines.push(BriefLine {
                section: "headline",
                text: format!(
                    "{} is {}, {}{}.",
                    capitalise(&m.label),
                    k.formatted,
                    parts.join(" and "),
                    if worse { " — worse than a year ago" } else { "" }
                ),
                link: k.link.clone(),
            });
        }
    }
    let mut movers = Vec::new();
    if aggregates && !ctx.noisy {
        let all = ctx.portfolio.movers(threshold, 12, &ctx.guard)?;
        for dimension in ["region", "credit_group"] {
            let mut these: Vec<&analytics::Mover> =
                all.iter().filter(|m| m.dimension == dimension && m.change != 0.0).collect();
            these.sort_by(|a, b| b.change.total_cmp(&a.change).then(a.key.cmp(&b.key)));
            let picked: Vec<&analytics::Mover> = if dimension == "region" {
                these.iter().take(3).chain(these.iter().rev().take(2)).copied().collect()
            } else {
                these.iter().take(1).chain(these.iter().rev().take(1)).copied().collect()
            };
            let mut seen = std::collections::BTreeSet::new();
            for m in picked.into_iter().filter(|m| seen.insert(m.key.clone())) {
                let key = if dimension == "region" { "region" } else { "creditGroup" };
                movers.push(Mover {
                    dimension: dimension.into(),
                    key: m.key.clone(),
                    label: model.label(dimension, &m.key),
                    share_now: m.share_now,
                    share_then: m.share_then,
                    change: m.change,
                    link: format!("#/executive?threshold={threshold}&{key}={}", m.key),
                });
            }
        }
        let rising: Vec<&Mover> = movers.iter().filter(|m| m.dimension == "region" && m.change > 0.0).take(3).collect();
        if !rising.is_empty() {
            lines.push(BriefLine {
                section: "movers",
                text: format!(
                    "The high-risk share rose most in {} over the year.",
                    rising
                        .iter()
                        .map(|m| format!(
                            "{} ({:+.1} points, to {:.1} %)",
                            m.label,
                            100.0 * m.change,
                            100.0 * m.share_now
                        ))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                link: rising[0].link.clone(),
            });
        }
        if let Some(fall) = movers
            .iter()
            .filter(|m| m.dimension == "region" && m.change < 0.0)
            .min_by(|a, b| a.change.total_cmp(&b.change))
        {
            lines.push(BriefLine {
                section: "movers",
                text: format!("It fell most in {} ({:+.1} points).", fall.label, 100.0 * fall.change),
                link: fall.link.clone(),
            });
        }
        if let Some(c) = movers.iter().find(|m| m.dimension == "credit_group") {
            lines.push(BriefLine {
                section: "movers",
                text: format!(
                    "Among credit groups, {} moved most ({:+.1} points, to {:.1} %).",
                    c.label,
                    100.0 * c.change,
                    100.0 * c.share_now
                ),
                link: c.link.clone(),
            });
        }
        lines.push(BriefLine {
            section: "movers",
            text: if movers.is_empty() {
                format!(
                    "No region's or credit group's change in high-risk share over the year can be shown at k = {}: each would reveal a group of fewer people.",
                    ctx.guard.k()
                )
            } else {
                format!("Movers are ranked among the groups whose change the k = {} guard shows.", ctx.guard.k())
            },
            link: "#/executive".into(),
        });
    } else if aggregates {
        lines.push(BriefLine {
            section: "movers",
            text: "Under differential privacy the brief leaves out movers by group: ask the analyst or open the executive view for the noisy release.".into(),
            link: "#/executive".into(),
        });
    }
    let scenarios: Vec<super::answer::ScenarioRun> =
        if aggregates { ctx.scenarios.iter().take(3).cloned().collect() } else { Vec::new() };
    for run in &scenarios {
        let (b, s) = (run.baseline.high_risk_count, run.horizon.high_risk_count);
        let change = b.zip(s).map_or_else(
            || "a withheld change in high-risk people".to_owned(),
            |(b, s)| {
                format!(
                    "{} high-risk people at month {} against {} at baseline",
                    format(Format::Count, s as f64),
                    run.horizon_months,
                    format(Format::Count, b as f64)
                )
            },
        );
        lines.push(BriefLine {
            section: "scenarios",
            text: format!(
                "{} (shape: {}, run {} on {}): {change}.",
                capitalise(&model.label("scenario", &run.name)),
                model.label("shape", &run.shape),
                run.run_id,
                run.created_at
            ),
            link: format!("#/scenarios?run={}", run.run_id),
        });
    }
    if aggregates && scenarios.is_empty() {
        lines.push(BriefLine {
            section: "scenarios",
            text: "No stress scenario has been run yet (`safehaven chaos run recession`).".into(),
            link: "#/scenarios".into(),
        });
    }
    let dv_levels = ctx.dv.map(|dv| {
        let guarded = ctx.guard.counts(dv.levels.clone());
        let levels: Vec<(String, Option<u64>)> = guarded.cells.iter().map(|c| (c.label.clone(), c.count)).collect();
        let listed: Vec<String> =
            levels.iter().filter_map(|(l, n)| n.map(|n| format!("{} {l}", crate::text::thousands(n)))).collect();
        lines.push(BriefLine {
            section: "dv",
            text: format!(
                "DV assessments as of {}: {} survivors{}{}.",
                dv.as_of,
                guarded.total.map_or_else(|| "too few".into(), crate::text::thousands),
                if listed.is_empty() { String::new() } else { format!(" — {}", listed.join(", ")) },
                {
                    let hidden: Vec<&str> =
                        levels.iter().filter(|(_, n)| n.is_none()).map(|(l, _)| l.as_str()).collect();
                    if hidden.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; {} withheld (fewer than k = {}, or they would reveal such a group)",
                            hidden.join(" and "),
                            ctx.guard.k()
                        )
                    }
                }
            ),
            link: "#/dv".into(),
        });
        levels
    });
    Ok(Brief {
        title: "SafeHaven executive brief".into(),
        as_of: as_of.to_owned(),
        model_version: ctx.portfolio.artifact().version.clone(),
        threshold,
        k: ctx.guard.k(),
        noisy: ctx.noisy,
        kpis,
        movers,
        scenarios,
        dv_levels,
        lines,
    })
}
