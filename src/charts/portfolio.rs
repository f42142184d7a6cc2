//! The portfolio's charts: the tile-grid map of medical exposure, risk against volume by credit group, and the
//! monthly trends. Suppressed cells are drawn grey and named, never drawn as zero; each point carries a `<title>`
//! tooltip.

use super::{
    BLUE, ChartError, GREEN, GREY, ORANGE, SKY_BLUE, VERMILLION, accessible, blues, draw_err, house_style, legend,
    with_tooltips,
};
use crate::analytics::{CreditStats, RegionStats, TrendPoint};
use crate::privacy::GuardedGroup;
use crate::text::thousands;
use plotters::prelude::*;

/// A region too noisy to compare: lighter than suppressed, and named on the tile.
const NOISY: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);

fn money(v: f64) -> String {
    if v >= 1e6 { format!("${:.1}M", v / 1e6) } else { format!("${}", thousands(v.round() as u64)) }
}

/// Medical exposure by region on the 8 × 11 US tile grid: darker is a larger share of the view's exposure.
/// `noise` is the 95 % half-width of a region's medical exposure when the figures are noisy (differential
/// privacy): a region whose exposure is within it of zero is drawn light grey and marked "noisy", not coloured as if known.
pub fn exposure_map(
    regions: &[GuardedGroup<String, RegionStats>],
    k: u64,
    noise: Option<f64>,
) -> Result<String, ChartError> {
    let (width, height) = (880u32, 672u32);
    let (cell, gap, top) = (76i32, 4i32, 24i32);
    let clear = |s: &RegionStats| noise.is_none_or(|half| s.medical_exposure > half);
    let max = regions
        .iter()
        .filter_map(|r| r.stats.as_ref())
        .filter(|s| clear(s))
        .map(|s| s.exposure_per_person)
        .fold(0.0, f64::max);
    let mut svg = String::new();
    let mut tips = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        for region in regions {
            let Some(tile) = region.stats.as_ref().map(|s| s.tile).or_else(|| tile_of(&region.label)) else {
                continue;
            };
            let (x, y) = (i32::from(tile.1) * (cell + gap) + 2, i32::from(tile.0) * (cell + gap) + top);
            let (fill, label, tip) = match &region.stats {
                Some(s) if !clear(s) => (
                    NOISY,
                    format!("{} noisy", region.label),
                    format!(
                        "{} ({}): medical exposure {} ± {}: within its noise of zero, too noisy to compare",
                        s.name,
                        region.label,
                        money(s.medical_exposure),
                        money(noise.unwrap_or_default())
                    ),
                ),
                Some(s) => {
                    let t = if max > 0.0 { s.exposure_per_person / max } else { 0.0 };
                    (
                        blues(t),
                        format!("{} {}", region.label, money(s.exposure_per_person)),
                        format!(
                            "{} ({}): {} people, medical exposure {} ({:.1} % of the view), {} per person, mean risk {:.1} %",
                            s.name,
                            region.label,
                            region.count.map_or("–".into(), thousands),
                            money(s.medical_exposure),
                            100.0 * s.exposure_share,
                            money(s.exposure_per_person),
                            100.0 * s.mean_probability
                        ),
                    )
                }
                None => (
                    GREY,
                    format!("{} –", region.label),
                    format!("{}: suppressed (fewer than {k} people, or needed to protect such a group)", region.label),
                ),
            };
            root.draw(&Rectangle::new([(x, y), (x + cell, y + cell)], fill.filled())).map_err(draw_err)?;
            tips.push((format!("rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\""), tip));
            let dark =
                region.stats.as_ref().is_some_and(|s| clear(s) && max > 0.0 && s.exposure_per_person / max > 0.55);
            let ink = if dark { WHITE } else { BLACK };
            let mut parts = label.splitn(2, ' ');
            let code = parts.next().unwrap_or_default();
            let value = parts.next().unwrap_or_default();
            root.draw(&Text::new(code.to_owned(), (x + 8, y + 10), ("sans-serif", 18).into_font().color(&ink)))
                .map_err(draw_err)?;
            root.draw(&Text::new(value.to_owned(), (x + 8, y + 44), ("sans-serif", 13).into_font().color(&ink)))
                .map_err(draw_err)?;
        }
        let key = if noise.is_some() {
            "medical cost (12 months) per person, noisy; darker is higher; grey is suppressed, light grey too noisy"
        } else {
            "medical cost (12 months) per person; darker is higher; grey is suppressed"
        };
        root.draw(&Text::new(key, (4, 2), ("sans-serif", 14))).map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    let suppressed: Vec<&str> = regions.iter().filter(|r| r.suppressed).map(|r| r.label.as_str()).collect();
    let top_regions = {
        let mut shown: Vec<_> = regions
            .iter()
            .filter_map(|r| r.stats.as_ref().filter(|s| clear(s)).map(|s| (r.label.as_str(), s)))
            .collect();
        shown.sort_by(|a, b| b.1.exposure_per_person.total_cmp(&a.1.exposure_per_person));
        shown.iter().take(3).map(|(l, s)| format!("{l} {}", money(s.exposure_per_person))).collect::<Vec<_>>()
    };
    let mut description = format!(
        "Tile-grid map of the US: medical exposure per person by region. Highest: {}.",
        if top_regions.is_empty() { "none shown".into() } else { top_regions.join(", ") }
    );
    if !suppressed.is_empty() {
        description.push_str(&format!(" Suppressed: {}.", suppressed.join(", ")));
    }
    if let Some(half) = noise {
        let noisy: Vec<&str> =
            regions.iter().filter(|r| r.stats.as_ref().is_some_and(|s| !clear(s))).map(|r| r.label.as_str()).collect();
        description
            .push_str(&format!(" Figures carry differential-privacy noise (± {} per region at 95 %).", money(half)));
        if !noisy.is_empty() {
            description.push_str(&format!(" Too noisy to compare: {}.", noisy.join(", ")));
        }
    }
    Ok(accessible(with_tooltips(svg, &tips), "exposure-map", "Medical exposure by region", &description))
}

fn tile_of(code: &str) -> Option<(u8, u8)> {
    crate::catalog::region(code).ok().map(|r| r.tile)
}

/// Risk against volume by credit group: people (x) against mean probability (y), circles sized by exposure.
pub fn credit_bubbles(groups: &[GuardedGroup<String, CreditStats>], k: u64) -> Result<String, ChartError> {
    let shown: Vec<(&str, u64, &CreditStats)> =
        groups.iter().filter_map(|g| Some((g.label.as_str(), g.count?, g.stats.as_ref()?))).collect();
    let max_people = shown.iter().map(|s| s.1).max().unwrap_or(1).max(1) as f64;
    let max_risk = shown.iter().map(|s| s.2.mean_probability).fold(0.0, f64::max).max(0.01);
    let max_exposure = shown.iter().map(|s| s.2.medical_exposure).fold(0.0, f64::max).max(1.0);
    let mut svg = String::new();
    let mut tips = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 420)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..max_people * 1.2, 0.0..max_risk * 1.25)
            .map_err(draw_err)?;
        house_style(
            chart
                .configure_mesh()
                .x_desc("people")
                .y_desc("mean probability of distress")
                .x_label_formatter(&|v| thousands(v.round() as u64))
                .y_label_formatter(&|v| format!("{:.0} %", 100.0 * v)),
        )
        .draw()
        .map_err(draw_err)?;
        let colours = [VERMILLION, ORANGE, GREEN, BLUE, SKY_BLUE];
        for (i, (label, people, stats)) in shown.iter().enumerate() {
            let radius = 6.0 + 34.0 * (stats.medical_exposure / max_exposure).sqrt();
            let colour = colours[i % colours.len()];
            let at = (*people as f64, stats.mean_probability);
            chart
                .draw_series(std::iter::once(Circle::new(at, radius as i32, colour.mix(0.7).filled())))
                .map_err(draw_err)?;
            chart
                .draw_series(std::iter::once(Text::new(label.replace('_', " "), at, ("sans-serif", 13))))
                .map_err(draw_err)?;
            let (cx, cy) = chart.backend_coord(&at);
            tips.push((
                format!("circle cx=\"{cx}\" cy=\"{cy}\" r=\"{}\"", radius as i32),
                format!(
                    "{}: {} people, mean risk {:.1} %, {} high-risk, medical exposure {}",
                    label.replace('_', " "),
                    thousands(*people),
                    100.0 * stats.mean_probability,
                    stats.high_risk_share.get().map_or("withheld".to_owned(), |s| format!("{:.1} %", 100.0 * s)),
                    money(stats.medical_exposure)
                ),
            ));
        }
        root.present().map_err(draw_err)?;
    }
    let suppressed: Vec<&str> = groups.iter().filter(|g| g.suppressed).map(|g| g.label.as_str()).collect();
    let mut description = shown
        .iter()
        .map(|(l, n, s)| {
            format!("{}: {} people, mean risk {:.1} %", l.replace('_', " "), thousands(*n), 100.0 * s.mean_probability)
        })
        .collect::<Vec<_>>()
        .join("; ");
    if !suppressed.is_empty() {
        description.push_str(&format!(". Suppressed (fewer than {k}): {}", suppressed.join(", ")));
    }
    Ok(accessible(with_tooltips(svg, &tips), "credit-bubbles", "Risk against volume by credit group", &description))
}

/// One line of the trend chart: its name, colour and value per month.
type Series = (&'static str, RGBColor, fn(&TrendPoint) -> Option<u64>);

/// People with a missed payment, an overdraft or a claim, per month.
pub fn trends(points: &[TrendPoint]) -> Result<String, ChartError> {
    let max = points
        .iter()
        .flat_map(|p| [p.missed_payment.get(), p.overdraft.get(), p.claim.get()])
        .flatten()
        .max()
        .unwrap_or(1)
        .max(1);
    let n = points.len().max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (880, 360)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0..n - 1, 0u64..max + max / 8)
            .map_err(draw_err)?;
        house_style(
            chart
                .configure_mesh()
                .x_labels(8)
                .x_label_formatter(&|i| points.get(*i).map_or(String::new(), |p| p.month.clone()))
                .y_label_formatter(&|v| thousands(*v))
                .y_desc("people"),
        )
        .draw()
        .map_err(draw_err)?;
        let series: [Series; 3] = [
            ("missed a payment", VERMILLION, |p| p.missed_payment.get()),
            ("overdrawn", ORANGE, |p| p.overdraft.get()),
            ("made a claim", BLUE, |p| p.claim.get()),
        ];
        for (name, colour, value) in series {
            // Suppressed months break the line rather than dropping it to zero.
            let mut run = Vec::new();
            let mut runs = Vec::new();
            for (i, p) in points.iter().enumerate() {
                match value(p) {
                    Some(v) => run.push((i, v)),
                    None => runs.push(std::mem::take(&mut run)),
                }
            }
            runs.push(run);
            for (r, run) in runs.into_iter().filter(|r| !r.is_empty()).enumerate() {
                let line = chart.draw_series(LineSeries::new(run, colour.stroke_width(3))).map_err(draw_err)?;
                if r == 0 {
                    line.label(name)
                        .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(3)));
                }
            }
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(draw_err)?;
    }
    let suppressed = points.iter().filter(|p| p.suppressed).count();
    let last = points.last();
    let description = format!(
        "People per month with a missed payment, an overdraft or an insurance claim, {} to {}{}.{}",
        points.first().map_or("", |p| p.month.as_str()),
        last.map_or("", |p| p.month.as_str()),
        last.and_then(|p| p.missed_payment.get())
            .map_or(String::new(), |m| format!("; in the last month {} missed a payment", thousands(m))),
        if suppressed > 0 { format!(" {suppressed} months have suppressed counts.") } else { String::new() }
    );
    Ok(accessible(svg, "trends", "Monthly trends", &description))
}
