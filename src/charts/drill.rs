//! The drill debrief as a self-contained HTML page: summary, two plotters charts (every case and alert from
//! raised to first action against its window; time to first action per event), and the tables behind them.
//! Built from the [`Report`] alone, with no clock, so the same log always gives the same bytes.

use super::{BLUE, ChartError, GREEN, GREY, ORANGE, VERMILLION, accessible, draw_err, escape, house_style, legend};
use crate::chaos::drill::Report;
use crate::chaos::drill::report::Outcome;
use plotters::prelude::*;

fn outcome_colour(outcome: Outcome) -> RGBColor {
    match outcome {
        Outcome::OnTime => GREEN,
        Outcome::Late => ORANGE,
        Outcome::Missed => VERMILLION,
        Outcome::Open => GREY,
    }
}

/// Every item as a lane: a bar from raised to first action (or to the end), coloured by outcome, with its due
/// day marked; events as vertical rules.
pub fn responses(report: &Report) -> Result<String, ChartError> {
    let items = &report.items;
    let end = report.ended_day.max(report.items.iter().map(|i| i.due_day).fold(0.0, f64::max)).max(1.0);
    let lanes = items.len().max(1) as u32;
    // Empty lanes on top hold the legend clear of the bars.
    let legend_lanes = 5;
    let height = (80 + 16 * (lanes + legend_lanes)).clamp(220, 1500);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, height)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(150)
            .build_cartesian_2d(0.0..end * 1.02, (0..lanes + legend_lanes).into_segmented())
            .map_err(draw_err)?;
        let labels: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
        house_style(chart.configure_mesh().disable_y_mesh())
            .x_desc("drill day")
            .y_labels((lanes + legend_lanes) as usize)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                    labels.get(*i as usize).cloned().unwrap_or_default()
                }
                SegmentValue::Last => String::new(),
            })
            .draw()
            .map_err(draw_err)?;
        for event in &report.events {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    [(event.day, SegmentValue::Exact(0)), (event.day, SegmentValue::Exact(lanes))],
                    GREY.mix(0.6).stroke_width(1),
                )))
                .map_err(draw_err)?;
        }
        for outcome in [Outcome::OnTime, Outcome::Late, Outcome::Missed, Outcome::Open] {
            let colour = outcome_colour(outcome);
            chart
                .draw_series(items.iter().enumerate().filter(|(_, i)| i.outcome == outcome).map(|(n, i)| {
                    let n = n as u32;
                    let to = i.first_action_day.unwrap_or(report.ended_day).max(i.raised_day + end * 0.004);
                    let mut bar = Rectangle::new(
                        [(i.raised_day, SegmentValue::Exact(n)), (to, SegmentValue::Exact(n + 1))],
                        colour.filled(),
                    );
                    bar.set_margin(3, 3, 0, 0);
                    bar
                }))
                .map_err(draw_err)?
                .label(outcome.name())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled()));
        }
        chart
            .draw_series(items.iter().enumerate().map(|(n, i)| {
                let n = n as u32;
                PathElement::new(
                    [(i.due_day, SegmentValue::Exact(n)), (i.due_day, SegmentValue::Exact(n + 1))],
                    BLACK.stroke_width(2),
                )
            }))
            .map_err(draw_err)?;
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        root.present().map_err(draw_err)?;
    }
    let t = &report.totals;
    let description = format!(
        "Each case and alert from the drill day it was raised to its first action (or the end of the drill), with a black tick at its due day: {} on time, {} late, {} missed, {} still open at the end.",
        t.on_time, t.late, t.missed, t.open
    );
    Ok(accessible(svg, "drill-responses", "Responses to every case and alert", &description))
}

/// Time to first action per event, against the event's response window.
pub fn first_actions(report: &Report) -> Result<String, ChartError> {
    let respond_within: Vec<f64> = report.events.iter().map(|e| e.respond_within_days).collect();
    let n = report.events.len().max(1) as u32;
    let top = report
        .events
        .iter()
        .filter_map(|e| e.time_to_first_action_days)
        .chain(respond_within.iter().copied())
        .fold(0.5, f64::max)
        * 1.15;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 340)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d((0..n).into_segmented(), 0.0..top)
            .map_err(draw_err)?;
        house_style(chart.configure_mesh().disable_x_mesh())
            .x_desc("event")
            .y_desc("drill days to first action")
            .x_labels(n as usize)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => format!("{}", i + 1),
                SegmentValue::Last => String::new(),
            })
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(report.events.iter().enumerate().filter_map(|(k, e)| {
                let k = k as u32;
                let days = e.time_to_first_action_days?;
                let mut bar = Rectangle::new(
                    [(SegmentValue::Exact(k), 0.0), (SegmentValue::Exact(k + 1), days.max(top * 0.005))],
                    BLUE.filled(),
                );
                bar.set_margin(0, 0, 8, 8);
                Some(bar)
            }))
            .map_err(draw_err)?
            .label("time to first action")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], BLUE.filled()));
        chart
            .draw_series(respond_within.iter().enumerate().map(|(k, w)| {
                let k = k as u32;
                PathElement::new(
                    [(SegmentValue::Exact(k), *w), (SegmentValue::Exact(k + 1), *w)],
                    VERMILLION.stroke_width(2),
                )
            }))
            .map_err(draw_err)?
            .label("response window")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], VERMILLION.stroke_width(2)));
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        root.present().map_err(draw_err)?;
    }
    let untouched: Vec<String> = report
        .events
        .iter()
        .filter(|e| e.items > 0 && e.time_to_first_action_days.is_none())
        .map(|e| e.index.to_string())
        .collect();
    let mut description =
        "Drill days from each event to the first action on anything it raised, against its response window.".to_owned();
    if !untouched.is_empty() {
        description.push_str(&format!(" No action at all on events {}.", untouched.join(", ")));
    }
    Ok(accessible(svg, "drill-first-actions", "Time to first action per event", &description))
}

fn days(d: Option<f64>) -> String {
    d.map_or_else(|| "—".to_owned(), |d| format!("{d:.2}"))
}

fn count(c: Option<u64>) -> String {
    c.map_or_else(|| "suppressed".to_owned(), crate::text::thousands)
}

/// The debrief page.
pub fn report_html(report: &Report) -> Result<String, ChartError> {
    let e = |s: &str| escape(s);
    let t = &report.totals;
    let mut html = String::with_capacity(64 * 1024);
    html.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str(&format!("<title>Drill debrief {} — {}</title>\n", e(&report.run_id), e(&report.drill)));
    html.push_str(super::PAGE_STYLE);
    html.push_str(&format!("<h1>Drill debrief: {}</h1>\n", e(&report.drill.replace('_', " "))));
    html.push_str(&format!("<p>{}</p>\n", e(&report.description)));
    html.push_str(&format!(
        "<p class=\"muted\">Run {} · {} on drill day {:.2} of {:.2} · scenario {} · seed {} · {} drill days per minute · respond within {} drill days · model {} · {} people, {} survivors · {} of {} events released</p>\n",
        e(&report.run_id),
        e(report.status),
        report.ended_day,
        report.duration_days,
        e(report.scenario.as_deref().unwrap_or("none")),
        report.seed,
        report.days_per_minute,
        report.respond_within_days,
        e(&report.model_version),
        crate::text::thousands(report.people),
        crate::text::thousands(report.survivors),
        report.events_released,
        report.events_planned
    ));
    html.push_str("<div class=\"tiles\">\n");
    for (label, value) in [
        ("cases and alerts", t.items),
        ("on time", t.on_time),
        ("late", t.late),
        ("missed", t.missed),
        ("open at the end", t.open),
        ("actions", t.actions),
    ] {
        html.push_str(&format!("<div class=\"tile\"><b>{value}</b>{label}</div>\n"));
    }
    html.push_str("</div>\n<h2>Responses</h2>\n");
    html.push_str(&responses(report)?);
    html.push_str("\n<h2>Time to first action</h2>\n");
    html.push_str(&first_actions(report)?);
    html.push_str("\n<h2>Timeline</h2>\n<table>\n<tr><th class=\"n\">#</th><th class=\"n\">day</th><th>event</th><th class=\"n\">raised</th><th class=\"n\">first action after (days)</th><th class=\"n\">on time</th><th class=\"n\">late</th><th class=\"n\">missed</th><th class=\"n\">open</th></tr>\n");
    for ev in &report.events {
        let figures = match (ev.baseline_high_risk_count, ev.high_risk_count) {
            (None, None) => String::new(),
            (b, a) => format!("<br><span class=\"muted\">high-risk people {} → {}</span>", count(b), count(a)),
        };
        html.push_str(&format!(
            "<tr><td class=\"n\">{}</td><td class=\"n\">{:.2}</td><td><b>{}</b><br>{}{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
            ev.index,
            ev.day,
            e(&ev.title),
            e(&ev.summary),
            figures,
            ev.items,
            days(ev.time_to_first_action_days),
            ev.on_time,
            ev.late,
            ev.missed,
            ev.open
        ));
    }
    html.push_str("</table>\n<h2>Alerts missed or handled late</h2>\n");
    let problems: Vec<_> =
        report.items.iter().filter(|i| matches!(i.outcome, Outcome::Late | Outcome::Missed)).collect();
    if problems.is_empty() {
        html.push_str("<p>None: every case and alert that fell due was handled within its window.</p>\n");
    } else {
        html.push_str("<table>\n<tr><th>ID</th><th>kind</th><th>level</th><th class=\"n\">event</th><th class=\"n\">raised</th><th class=\"n\">due</th><th class=\"n\">first action</th><th>by</th><th>outcome</th></tr>\n");
        for i in problems {
            html.push_str(&item_row(i));
        }
        html.push_str("</table>\n");
    }
    html.push_str("<h2>Actions by role</h2>\n");
    if report.roles.is_empty() {
        html.push_str("<p>No actions were taken.</p>\n");
    } else {
        html.push_str("<table>\n<tr><th>role</th><th class=\"n\">flag</th><th class=\"n\">acknowledge</th><th class=\"n\">escalate</th><th class=\"n\">hand-off</th><th class=\"n\">total</th><th class=\"n\">median days to first action</th></tr>\n");
        for r in &report.roles {
            html.push_str(&format!(
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                e(&r.role),
                r.flag,
                r.acknowledge,
                r.escalate,
                r.handoff,
                r.total,
                days(r.median_response_days)
            ));
        }
        html.push_str("</table>\n");
    }
    html.push_str("<h2>Every case and alert</h2>\n<table>\n<tr><th>ID</th><th>kind</th><th>level</th><th class=\"n\">event</th><th class=\"n\">raised</th><th class=\"n\">due</th><th class=\"n\">first action</th><th>by</th><th>outcome</th></tr>\n");
    for i in &report.items {
        html.push_str(&item_row(i));
    }
    html.push_str("</table>\n<p class=\"muted\">Times are drill days. The same drill, seed and actions give this same report: `safehaven drill report RUN_ID --replay` rebuilds it from the drill's definition and the logged actions.</p>\n</body>\n</html>\n");
    Ok(html)
}

fn item_row(i: &crate::chaos::drill::report::ItemReport) -> String {
    format!(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.2}</td><td class=\"n\">{:.2}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>\n",
        escape(&i.id),
        match i.kind {
            crate::chaos::drill::ItemKind::Case => "case",
            crate::chaos::drill::ItemKind::Alert => "alert",
        },
        escape(i.level.as_deref().unwrap_or("")),
        i.event,
        i.raised_day,
        i.due_day,
        days(i.first_action_day),
        escape(&match (&i.first_action, &i.first_action_role) {
            (Some(a), Some(r)) => format!("{} ({r})", a.name()),
            _ => String::new(),
        }),
        i.outcome.name()
    )
}
