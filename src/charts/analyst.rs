//! The analyst's charts and pages: an answer's bar or line chart (withheld values drawn as grey stubs or gaps, and
//! named in the description), and the executive brief as a printable page.

use super::{BLUE, ChartError, GREY, PAGE_STYLE, VERMILLION, accessible, draw_err, escape, house_style};
use crate::analyst::{Brief, Chart, Format, format};
use plotters::prelude::*;

/// The chart of an answer, as accessible SVG.
pub fn answer_chart(chart: &Chart) -> String {
    draw(chart).unwrap_or_else(|e| {
        // A chart that cannot be drawn still says what it would have shown.
        accessible(format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"60\"><text x=\"8\" y=\"30\">{}</text></svg>", escape(&e.to_string())), "answer", &chart.title, "not drawn")
    })
}

fn axis(format_: Format, v: f64) -> String {
    match format_ {
        Format::Ratio => format!("{v:.2}"),
        f => format(f, v),
    }
}

fn draw(chart: &Chart) -> Result<String, ChartError> {
    let values: Vec<f64> = chart.series.iter().flat_map(|(_, v)| v.iter().flatten().copied()).collect();
    let (lo, hi) = values.iter().fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let span = (hi - lo).max(1e-9);
    let (lo, hi) = (if lo < 0.0 { lo - span * 0.08 } else { 0.0 }, hi + span * 0.1);
    let n = chart.labels.len().max(1) as u32;
    let (width, height) = (900u32, 380u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let labels = &chart.labels;
        let every = (labels.len() / 12).max(1);
        let mut ctx = ChartBuilder::on(&root)
            .margin(14)
            .x_label_area_size(if labels.iter().any(|l| l.len() > 10) { 60 } else { 34 })
            .y_label_area_size(84)
            // A segmented range over 0..=n−1: one segment per label.
            .build_cartesian_2d((0..n - 1).into_segmented(), lo..hi)
            .map_err(draw_err)?;
        house_style(ctx.configure_mesh().disable_x_mesh())
            .x_labels(labels.len().max(1))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if (*i as usize).is_multiple_of(every) => {
                    labels.get(*i as usize).cloned().unwrap_or_default()
                }
                _ => String::new(),
            })
            .y_label_formatter(&|v| axis(chart.format, *v))
            .draw()
            .map_err(draw_err)?;
        let colours = [BLUE, VERMILLION];
        for (k, (name, series)) in chart.series.iter().enumerate() {
            let colour = colours[k % colours.len()];
            if chart.kind == "line" {
                let points: Vec<(SegmentValue<u32>, f64)> = series
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| v.map(|v| (SegmentValue::CenterOf(i as u32), v)))
                    .collect();
                ctx.draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                    .map_err(draw_err)?
                    .label(name.clone());
                ctx.draw_series(points.into_iter().map(|p| Circle::new(p, 3, colour.filled()))).map_err(draw_err)?;
            } else {
                let stub = span / 60.0;
                ctx.draw_series(series.iter().enumerate().map(|(i, v)| {
                    let i = i as u32;
                    let (value, style) = match v {
                        Some(v) => (*v, colour.filled()),
                        None => (stub, GREY.filled()),
                    };
                    // The last segment ends at the axis's end.
                    let right = if i + 1 < n { SegmentValue::Exact(i + 1) } else { SegmentValue::Last };
                    let mut bar = Rectangle::new([(SegmentValue::Exact(i), 0.0), (right, value)], style);
                    bar.set_margin(0, 0, 3, 3);
                    bar
                }))
                .map_err(draw_err)?;
            }
        }
        root.present().map_err(draw_err)?;
    }
    let mut description = format!("{}: ", chart.title);
    let parts: Vec<String> = chart
        .series
        .first()
        .map(|(_, s)| {
            chart
                .labels
                .iter()
                .zip(s)
                .map(|(l, v)| format!("{l} {}", v.map_or_else(|| "withheld".to_owned(), |v| format(chart.format, v))))
                .collect()
        })
        .unwrap_or_default();
    description.push_str(&parts.join("; "));
    description.push('.');
    Ok(accessible(svg, "answer", &chart.title, &description))
}

/// The executive brief as a one-page, printable HTML document (no script, no external resources).
pub fn brief_html(brief: &Brief) -> String {
    let e = |s: &str| escape(s);
    let mut html = String::with_capacity(16 * 1024);
    html.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str(&format!("<title>{} — {}</title>\n", e(&brief.title), e(&brief.as_of)));
    html.push_str(PAGE_STYLE);
    html.push_str(&format!("<h1>{}</h1>\n", e(&brief.title)));
    html.push_str(&format!(
        "<p class=\"muted\">As of {} · model {} · high-risk at probability ≥ {:.0} % · groups under k = {} withheld{}</p>\n",
        e(&brief.as_of),
        e(&brief.model_version),
        100.0 * brief.threshold,
        brief.k,
        if brief.noisy { " · figures are a noisy release (differential privacy)" } else { "" }
    ));
    if !brief.kpis.is_empty() {
        html.push_str("<div class=\"tiles\">\n");
        for k in &brief.kpis {
            html.push_str(&format!("<div class=\"tile\">{}<b>{}</b></div>\n", e(&k.label), e(&k.formatted)));
        }
        html.push_str("</div>\n");
    }
    for (section, heading) in
        [("headline", "Headline"), ("movers", "Movers"), ("scenarios", "Stress scenarios"), ("dv", "DV service")]
    {
        let lines: Vec<_> = brief.lines.iter().filter(|l| l.section == section).collect();
        if lines.is_empty() {
            continue;
        }
        html.push_str(&format!("<h2>{heading}</h2>\n<ul>\n"));
        for l in lines {
            html.push_str(&format!("<li>{} <a href=\"/{}\">view</a></li>\n", e(&l.text), e(&l.link)));
        }
        html.push_str("</ul>\n");
    }
    if !brief.movers.is_empty() {
        html.push_str("<h2>High-risk share over 12 months</h2>\n<table><tr><th>group</th><th class=\"n\">12 months ago</th><th class=\"n\">now</th><th class=\"n\">change</th></tr>\n");
        for m in &brief.movers {
            html.push_str(&format!(
                "<tr><td>{}</td><td class=\"n\">{:.1} %</td><td class=\"n\">{:.1} %</td><td class=\"n\">{:+.1} points</td></tr>\n",
                e(&m.label),
                100.0 * m.share_then,
                100.0 * m.share_now,
                100.0 * m.change
            ));
        }
        html.push_str("</table>\n");
    }
    html.push_str("<p class=\"muted\">Every sentence is written from the figures shown; changes are associations in the data, not causes.</p>\n</body>\n</html>\n");
    html
}
