//! The model page's charts: the ROC curve, the KS plot and the reliability diagram, on the unit square.

use super::{BLUE, ChartError, GREY, VERMILLION, accessible, draw_err, house_style, legend};
use crate::model::metrics::{CalibrationBin, RocPoint};
use plotters::prelude::*;

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
    let top =
        bins.iter().filter_map(|b| Some(b.mean_predicted?.max(b.observed_rate.get()?))).fold(0.05, f64::max) * 1.1;
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
        let shown: Vec<(f64, f64)> =
            bins.iter().filter_map(|b| Some((b.mean_predicted?, b.observed_rate.get()?))).collect();
        chart.draw_series(LineSeries::new(shown.clone(), BLUE.stroke_width(2))).map_err(draw_err)?;
        chart.draw_series(shown.iter().map(|&p| Circle::new(p, 5, BLUE.filled()))).map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    let description = format!("Reliability diagram over probability deciles; expected calibration error {ece:.4}.");
    Ok(accessible(svg, "calibration", "Calibration", &description))
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
