//! A chaos run's chart: expected distress month by month under the scenario, against the baseline.

use super::{ChartError, GREY, VERMILLION, accessible, draw_err, house_style, legend};
use crate::text::thousands;
use plotters::prelude::*;

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
