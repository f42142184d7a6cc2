//! Charts rendered server-side with plotters as SVG: no fonts or system libraries needed, text drawn by the browser.
//!
//! Colours come from the Okabe–Ito palette, which stays distinguishable under the common colour-vision
//! deficiencies. Text is drawn in `currentColor`, so an inlined chart follows the page's light or dark theme.

pub mod analyst;
pub mod chaos;
pub mod drill;
pub mod model;
pub mod portfolio;

use crate::privacy::Guarded;
use crate::text::thousands;
use plotters::chart::MeshStyle;
use plotters::prelude::*;

/// Okabe–Ito blue, the primary series colour.
pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Okabe–Ito grey, for suppressed cells.
pub const GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);
/// Okabe–Ito vermillion, the second series colour.
pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// Okabe–Ito bluish green, the third.
pub const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
/// Okabe–Ito orange, the fourth.
pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
/// Okabe–Ito sky blue, the fifth.
pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);

/// The style of the printable pages (the drill debrief, the executive brief), through the end of `<head>`: light
/// and dark, tables, tiles.
pub const PAGE_STYLE: &str = "<style>body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1000px;padding:0 1rem;color:#1b1b1b;background:#fff}\
@media (prefers-color-scheme:dark){body{color:#e8e8e8;background:#161616}th{background:#262626!important}}\
h1{font-size:1.6rem;margin:0 0 .3rem}h2{font-size:1.2rem;margin:2rem 0 .5rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}\
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #8884;vertical-align:top}th{background:#f2f2f2}\
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.tiles{display:flex;gap:1rem;flex-wrap:wrap}\
.tile{border:1px solid #8886;border-radius:6px;padding:.5rem .8rem;min-width:8rem}.tile b{display:block;font-size:1.5rem}\
svg{max-width:100%;height:auto}.muted{opacity:.75}</style>\n</head>\n<body>\n";

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

/// Chart rendering failed (a plotters drawing error).
#[derive(Debug, thiserror::Error)]
#[error("chart rendering failed: {0}")]
pub struct ChartError(String);

fn draw_err<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError(format!("{e:?}"))
}

/// A vertical bar chart of people per region, largest first. Suppressed regions get a grey stub and are named in
/// the description.
pub fn population_by_region(guarded: &Guarded<String>) -> Result<String, ChartError> {
    let mut bars: Vec<(&str, Option<u64>)> = guarded.cells.iter().map(|c| (c.label.as_str(), c.count)).collect();
    bars.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let max = bars.iter().filter_map(|b| b.1).max().unwrap_or(1).max(1);
    let (width, height) = (960u32, 420u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let n = bars.len() as u32;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(34)
            .y_label_area_size(70)
            .build_cartesian_2d((0..n.max(1)).into_segmented(), 0u64..(max + max / 10))
            .map_err(draw_err)?;
        let labels: Vec<&str> = bars.iter().map(|b| b.0).collect();
        house_style(chart.configure_mesh().disable_x_mesh())
            .x_labels(bars.len().max(1))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                    labels.get(*i as usize).copied().unwrap_or_default().to_owned()
                }
                SegmentValue::Last => String::new(),
            })
            .y_desc("people")
            .y_label_formatter(&|v| thousands(*v))
            .draw()
            .map_err(draw_err)?;
        let stub = (max / 60).max(1);
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, count))| {
                let i = i as u32;
                let (value, color) = match count {
                    Some(c) => (*c, BLUE.filled()),
                    None => (stub, GREY.filled()),
                };
                let mut bar = Rectangle::new([(SegmentValue::Exact(i), 0), (SegmentValue::Exact(i + 1), value)], color);
                bar.set_margin(0, 0, 2, 2);
                bar
            }))
            .map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    let suppressed: Vec<&str> = bars.iter().filter(|b| b.1.is_none()).map(|b| b.0).collect();
    let visible = bars.iter().any(|b| b.1.is_some());
    let mut description = if visible {
        format!("Bank customers per region, largest first; the largest region has {} people.", thousands(max))
    } else {
        "Bank customers per region: every region is suppressed.".to_owned()
    };
    if !suppressed.is_empty() {
        description.push_str(&format!(
            " Suppressed (fewer than {} people, or needed to protect such a group): {}.",
            guarded.k,
            suppressed.join(", ")
        ));
    }
    Ok(accessible(svg, "population", "Population by region", &description))
}

/// The house style of a chart's axes: 12 px labels, faint major grid lines, no minor ones.
fn house_style<'m, 'a, 'b, 'c, X: Ranged, Y: Ranged>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, SVGBackend<'c>>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, SVGBackend<'c>> {
    mesh.x_label_style(("sans-serif", 12))
        .y_label_style(("sans-serif", 12))
        .bold_line_style(GREY.mix(0.35))
        .light_line_style(TRANSPARENT)
}

/// Draws the series legend, borderless, at `position`.
fn legend<'a, 'b: 'a, X: Ranged, Y: Ranged>(
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

/// Adds `role`, `<title>` and `<desc>` (with ids unique to the chart `slug`) to a plotters SVG, and lets its text
/// follow the page colour.
fn accessible(svg: String, slug: &str, title: &str, description: &str) -> String {
    let svg = svg
        .replace("fill=\"#000000\"", "fill=\"currentColor\"")
        .replace("stroke=\"#000000\"", "stroke=\"currentColor\"");
    let Some(open_end) = svg.find("<svg").and_then(|start| svg[start..].find('>').map(|end| start + end)) else {
        return svg;
    };
    let (head, rest) = svg.split_at(open_end);
    format!(
        "{head} role=\"img\" aria-labelledby=\"{slug}-title {slug}-desc\"><title id=\"{slug}-title\">{}</title><desc id=\"{slug}-desc\">{}</desc>{}",
        escape(title),
        escape(description),
        &rest[1..]
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::KGuard;

    #[test]
    fn population_chart_is_accessible_svg_and_names_suppressed_regions() {
        let guarded =
            KGuard::default().counts(vec![("OH".to_owned(), 500), ("TX".to_owned(), 900), ("WY".to_owned(), 3)]);
        let svg = population_by_region(&guarded).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("<title id=\"population-title\">Population by region</title>"));
        assert!(svg.contains("Suppressed"));
        assert!(svg.contains("WY"));
        assert!(svg.contains("currentColor"));
        assert!(!svg.contains("#000000"));
    }
}
