//! The dashboard's charts: the tile-grid map of medical exposure, risk against volume by credit group, monthly
//! trends, and the model page's ROC, KS and calibration plots. Suppressed cells are drawn grey and named, never
//! drawn as zero; each point carries a `<title>` tooltip.

use super::{BLUE, ChartError, GREY, accessible, draw_err, escape, house_style};
use crate::text::thousands;
use crate::analytics::{CreditStats, RegionStats, TrendPoint};
use crate::model::metrics::{CalibrationBin, RocPoint};
use crate::privacy::GuardedGroup;
use plotters::prelude::*;

/// Okabe–Ito vermillion and bluish green, the second and third series colours.
pub(crate) const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
pub(crate) const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
pub(crate) const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);

/// A sequential blue scale (light to dark), readable under colour-vision deficiencies.
fn blues(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let (a, b) = ((0xDE, 0xEB, 0xF7), (0x08, 0x30, 0x6B));
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Adds invisible shapes carrying `<title>` tooltips on top of a plotters SVG.
fn with_tooltips(svg: String, shapes: &[(String, String)]) -> String {
    let overlay: String = shapes
        .iter()
        .map(|(shape, tip)| {
            format!(
                "<{shape} fill=\"transparent\"><title>{}</title></{}>",
                escape(tip),
                shape.split(' ').next().unwrap_or("rect")
            )
        })
        .collect();
    match svg.rfind("</svg>") {
        Some(end) => format!("{}{overlay}{}", &svg[..end], &svg[end..]),
        None => svg,
    }
}

fn money(v: f64) -> String {
    if v >= 1e6 { format!("${:.1}M", v / 1e6) } else { format!("${}", thousands(v.round() as u64)) }
}

/// Medical exposure by region on the 8 × 11 US tile grid: darker is a larger share of the view's exposure.
pub fn exposure_map(regions: &[GuardedGroup<String, RegionStats>], k: u64) -> Result<String, ChartError> {
    let (width, height) = (880u32, 672u32);
    let (cell, gap, top) = (76i32, 4i32, 24i32);
    let max = regions.iter().filter_map(|r| r.stats.as_ref()).map(|s| s.exposure_per_person).fold(0.0, f64::max);
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
            let dark = region.stats.as_ref().is_some_and(|s| max > 0.0 && s.exposure_per_person / max > 0.55);
            let ink = if dark { WHITE } else { BLACK };
            let mut parts = label.splitn(2, ' ');
            let code = parts.next().unwrap_or_default();
            let value = parts.next().unwrap_or_default();
            root.draw(&Text::new(code.to_owned(), (x + 8, y + 10), ("sans-serif", 18).into_font().color(&ink)))
                .map_err(draw_err)?;
            root.draw(&Text::new(value.to_owned(), (x + 8, y + 44), ("sans-serif", 13).into_font().color(&ink)))
                .map_err(draw_err)?;
        }
        root.draw(&Text::new(
            "medical cost (12 months) per person; darker is higher; grey is suppressed",
            (4, 2),
            ("sans-serif", 14),
        ))
        .map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    let suppressed: Vec<&str> = regions.iter().filter(|r| r.suppressed).map(|r| r.label.as_str()).collect();
    let top_regions = {
        let mut shown: Vec<_> =
            regions.iter().filter_map(|r| r.stats.as_ref().map(|s| (r.label.as_str(), s))).collect();
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
        let colours = [VERMILLION, ORANGE, GREEN, BLUE, RGBColor(0x56, 0xB4, 0xE9)];
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
                    "{}: {} people, mean risk {:.1} %, {:.1} % high-risk, medical exposure {}",
                    label.replace('_', " "),
                    thousands(*people),
                    100.0 * stats.mean_probability,
                    100.0 * stats.high_risk_share,
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
    let max = points.iter().flat_map(|p| [p.missed_payment, p.overdraft, p.claim]).flatten().max().unwrap_or(1).max(1);
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
            ("missed a payment", VERMILLION, |p| p.missed_payment),
            ("overdrawn", ORANGE, |p| p.overdraft),
            ("made a claim", BLUE, |p| p.claim),
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
        last.and_then(|p| p.missed_payment)
            .map_or(String::new(), |m| format!("; in the last month {} missed a payment", thousands(m))),
        if suppressed > 0 { format!(" {suppressed} months have suppressed counts.") } else { String::new() }
    );
    Ok(accessible(svg, "trends", "Monthly trends", &description))
}

/// The ROC curve with the diagonal of a random ranking.
pub fn roc(points: &[RocPoint], auc: f64) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (480, 440)).into_drawing_area();
        let mut chart = unit_square(&root, "false positive rate", "true positive rate")?;
        chart.draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], GREY.stroke_width(1))).map_err(draw_err)?;
        chart
            .draw_series(LineSeries::new(points.iter().map(|p| (p.fpr, p.tpr)), BLUE.stroke_width(3)))
            .map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    Ok(accessible(svg, "roc", "ROC curve", &format!("ROC curve of the validation rows; AUC {auc:.3}.")))
}

/// KS plot: the cumulative shares of events (TPR) and non-events (FPR) flagged, against the threshold.
pub fn ks(points: &[RocPoint], ks: f64, at: f64) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (480, 440)).into_drawing_area();
        let mut chart = unit_square(&root, "share of people flagged (highest scores first)", "cumulative share")?;
        let n = points.len().max(1) as f64;
        let along = |f: fn(&RocPoint) -> f64| points.iter().enumerate().map(move |(i, p)| (i as f64 / n, f(p)));
        chart
            .draw_series(LineSeries::new(along(|p| p.tpr), VERMILLION.stroke_width(3)))
            .map_err(draw_err)?
            .label("with distress")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], VERMILLION.stroke_width(3)));
        chart
            .draw_series(LineSeries::new(along(|p| p.fpr), BLUE.stroke_width(3)))
            .map_err(draw_err)?
            .label("without")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLUE.stroke_width(3)));
        legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        root.present().map_err(draw_err)?;
    }
    let description = format!("KS plot: the largest gap between the two curves is {ks:.3}, at probability {at:.3}.");
    Ok(accessible(svg, "ks", "KS plot", &description))
}

/// Reliability diagram: mean predicted against observed rate per decile, with the diagonal of perfect
/// calibration.
pub fn calibration(bins: &[CalibrationBin], ece: f64) -> Result<String, ChartError> {
    let top = bins.iter().filter_map(|b| Some(b.mean_predicted?.max(b.observed_rate?))).fold(0.05, f64::max) * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (480, 440)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..top, 0.0..top)
            .map_err(draw_err)?;
        house_style(
            chart
                .configure_mesh()
                .x_desc("mean predicted probability")
                .y_desc("observed rate")
                .x_label_formatter(&|v| format!("{:.0} %", 100.0 * v))
                .y_label_formatter(&|v| format!("{:.0} %", 100.0 * v)),
        )
        .draw()
        .map_err(draw_err)?;
        chart.draw_series(LineSeries::new([(0.0, 0.0), (top, top)], GREY.stroke_width(1))).map_err(draw_err)?;
        let shown: Vec<(f64, f64)> = bins.iter().filter_map(|b| Some((b.mean_predicted?, b.observed_rate?))).collect();
        chart.draw_series(LineSeries::new(shown.clone(), BLUE.stroke_width(2))).map_err(draw_err)?;
        chart.draw_series(shown.iter().map(|&p| Circle::new(p, 5, BLUE.filled()))).map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    let description = format!("Reliability diagram over probability deciles; expected calibration error {ece:.4}.");
    Ok(accessible(svg, "calibration", "Calibration", &description))
}

/// Draws the series legend, borderless, at `position`.
pub(crate) fn legend<'a, 'b: 'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> Result<(), ChartError> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font(("sans-serif", 13))
        .background_style(WHITE.mix(0.0))
        .border_style(TRANSPARENT)
        .draw()
        .map_err(draw_err)
}

type UnitChart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn unit_square<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    x: &str,
    y: &str,
) -> Result<UnitChart<'a, 'b>, ChartError> {
    let mut chart = ChartBuilder::on(root)
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)
        .map_err(draw_err)?;
    house_style(chart.configure_mesh().x_desc(x).y_desc(y)).draw().map_err(draw_err)?;
    Ok(chart)
}

/// A chaos run month by month: expected distress under the scenario against the baseline.
pub fn scenario_months(run: &serde_json::Value) -> Result<String, ChartError> {
    let months: Vec<(u32, f64)> = run["months"]
        .as_array()
        .map(|m| {
            m.iter().filter_map(|m| Some((m["month"].as_u64()? as u32, m["expectedDistress"].as_f64()?))).collect()
        })
        .unwrap_or_default();
    let baseline = run["baseline"]["expectedDistress"].as_f64().unwrap_or(0.0);
    let name = run["definition"]["name"].as_str().unwrap_or("scenario").to_owned();
    let top = months.iter().map(|m| m.1).fold(baseline, f64::max) * 1.1;
    let bottom = months.iter().map(|m| m.1).fold(baseline, f64::min) * 0.9;
    let last = months.last().map_or(1, |m| m.0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (880, 360)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0u32..last, bottom..top.max(bottom + 1.0))
            .map_err(draw_err)?;
        house_style(
            chart
                .configure_mesh()
                .x_desc("month")
                .y_desc("expected distress (people)")
                .y_label_formatter(&|v| thousands(v.round() as u64)),
        )
        .draw()
        .map_err(draw_err)?;
        chart
            .draw_series(LineSeries::new([(0, baseline), (last, baseline)], GREY.stroke_width(2)))
            .map_err(draw_err)?
            .label("baseline")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], GREY.stroke_width(2)));
        chart
            .draw_series(LineSeries::new(
                std::iter::once((0, baseline)).chain(months.iter().copied()),
                VERMILLION.stroke_width(3),
            ))
            .map_err(draw_err)?
            .label(name.replace('_', " "))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], VERMILLION.stroke_width(3)));
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(draw_err)?;
    }
    let peak = months.iter().map(|m| m.1).fold(baseline, f64::max);
    let description = format!(
        "Expected distress per month under {}: baseline {}, highest {}.",
        name.replace('_', " "),
        thousands(baseline.round() as u64),
        thousands(peak.round() as u64)
    );
    Ok(accessible(svg, "scenario", "Scenario against baseline", &description))
}
