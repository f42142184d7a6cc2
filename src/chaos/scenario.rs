//! Scenario files: TOML with a name, a description, the source of its magnitudes, a horizon, a shape over time
//! and shocks on named drivers. Parsing errors name the file, line, column and field; an unknown driver lists
//! the valid ones. `scenarios/README.md` says how to write one.

use crate::catalog;
use crate::text::located::Source;
use serde::{Deserialize, Serialize};

pub use crate::text::located::ParseError;

/// How a scenario's intensity moves over its horizon (0 = baseline, 1 = the full shocks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// Rises steadily to the full shock at the horizon.
    Linear,
    /// A sharp fall and a sharp recovery: full at mid-horizon, back to baseline at the horizon.
    V,
    /// A fall, a long bottom, a slow recovery: full from a third to two thirds of the horizon, half at the end.
    U,
    /// Two dips: full at a quarter and three quarters of the horizon, partly recovered between and after.
    W,
}

impl Shape {
    pub const ALL: [(&'static str, Shape); 4] =
        [("linear", Shape::Linear), ("v", Shape::V), ("u", Shape::U), ("w", Shape::W)];

    /// Intensity in month `m` (1..=horizon).
    pub fn intensity(self, m: u32, horizon: u32) -> f64 {
        let t = f64::from(m) / f64::from(horizon.max(1));
        let tri = |t: f64, peak: f64, width: f64| (1.0 - (t - peak).abs() / width).max(0.0);
        match self {
            Shape::Linear => t,
            Shape::V => tri(t, 0.5, 0.5),
            Shape::U => {
                if t <= 1.0 / 3.0 {
                    3.0 * t
                } else if t <= 2.0 / 3.0 {
                    1.0
                } else {
                    1.0 - 1.5 * (t - 2.0 / 3.0)
                }
            }
            Shape::W => tri(t, 0.25, 0.25).max(tri(t, 0.75, 0.25)).max(if t > 0.25 { 0.3 } else { 0.0 }),
        }
    }
}

/// A driver a shock can move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Driver {
    /// Unemployment rate, in points of the population (`points`).
    Unemployment,
    /// Income, in percent (`percent`), optionally for some credit groups only.
    Income,
    /// Medical costs (and out-of-pocket costs), in percent, optionally for some regions only.
    MedicalCosts,
    /// Share of claims denied, in points (`points`): denied claims are paid out of pocket in full.
    ClaimDenialRate,
    /// House prices, in percent: no model input depends on them yet, so they are recorded and reported only.
    HousePrices,
    /// DV incident rate, as a multiplier (`multiplier`), optionally for some regions only: survivors get extra
    /// incidents and are reassessed.
    DvIncidentRate,
}

impl Driver {
    pub fn name(self) -> &'static str {
        match self {
            Driver::Unemployment => "unemployment",
            Driver::Income => "income",
            Driver::MedicalCosts => "medical_costs",
            Driver::ClaimDenialRate => "claim_denial_rate",
            Driver::HousePrices => "house_prices",
            Driver::DvIncidentRate => "dv_incident_rate",
        }
    }

    /// Whether the risk model's inputs move with this driver.
    pub fn modelled(self) -> bool {
        !matches!(self, Driver::HousePrices | Driver::DvIncidentRate)
    }
}

/// One shock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all(serialize = "camelCase"))]
pub struct Shock {
    pub driver: Driver,
    /// For `income`, `medical_costs`, `house_prices`: percent change at full intensity.
    pub percent: Option<f64>,
    /// For `unemployment`, `claim_denial_rate`: points at full intensity.
    pub points: Option<f64>,
    /// For `dv_incident_rate`: multiplier at full intensity.
    pub multiplier: Option<f64>,
    /// Limit to these regions (medical costs, DV incidents); all when absent.
    pub regions: Option<Vec<String>>,
    /// Limit to these credit groups (income); all when absent.
    pub credit_groups: Option<Vec<String>>,
}

/// A scenario, as written in its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all(serialize = "camelCase"))]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// Where the magnitudes come from (a published scenario, or "illustrative").
    pub source: String,
    pub horizon_months: u32,
    pub shape: Shape,
    pub seed: u64,
    /// High-risk threshold for the comparison [default: the model's].
    pub threshold: Option<f64>,
    #[serde(rename = "shock")]
    pub shocks: Vec<Shock>,
}

impl Scenario {
    /// Parses and checks a scenario; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Scenario, ParseError> {
        let source = Source { file, text };
        let scenario: Scenario = source.parse("unemployment", "driver")?;
        // Semantic checks, placed at the field they concern.
        if scenario.name.trim().is_empty() {
            return Err(source.error_at("name", "name: must not be empty".into()));
        }
        if !(1..=120).contains(&scenario.horizon_months) {
            return Err(source.error_at("horizon_months", "horizon_months: must be 1–120".into()));
        }
        if let Some(t) = scenario.threshold
            && !(0.0..=1.0).contains(&t)
        {
            return Err(source.error_at("threshold", format!("threshold: must be between 0 and 1, got {t}")));
        }
        if scenario.shocks.is_empty() {
            return Err(source.error(text.len(), "shock: a scenario needs at least one [[shock]]".into()));
        }
        source.check_each("shock", &scenario.shocks, Shock::check)?;
        Ok(scenario)
    }
}

impl Shock {
    /// Checks the one magnitude field this driver takes, with its range, and the scope lists; an error names the
    /// field it concerns.
    fn check(&self) -> Result<(), (Option<&'static str>, String)> {
        let name = self.driver.name();
        let (field, value, lo, hi) = match self.driver {
            Driver::Income | Driver::MedicalCosts | Driver::HousePrices => ("percent", self.percent, -100.0, 1000.0),
            Driver::Unemployment | Driver::ClaimDenialRate => ("points", self.points, -50.0, 100.0),
            // Fewer incidents are not modelled: a survivor's record cannot lose incidents.
            Driver::DvIncidentRate => ("multiplier", self.multiplier, 1.0, 20.0),
        };
        let given = [("percent", self.percent), ("points", self.points), ("multiplier", self.multiplier)];
        if let Some((other, _)) = given.iter().find(|(f, v)| *f != field && v.is_some()) {
            return Err((Some(other), format!("shock `{name}`: takes `{field}`, not `{other}`")));
        }
        match value {
            None => Err((None, format!("shock `{name}`: missing field `{field}`"))),
            Some(v) if !(v.is_finite() && (lo..=hi).contains(&v)) => {
                Err((Some(field), format!("shock `{name}`: `{field}` must be between {lo} and {hi}, got {v}")))
            }
            Some(_) => Ok(()),
        }?;
        if let Some(regions) = &self.regions {
            if !matches!(self.driver, Driver::MedicalCosts | Driver::DvIncidentRate) {
                return Err((
                    Some("regions"),
                    format!("shock `{name}`: `regions` applies to medical_costs and dv_incident_rate only"),
                ));
            }
            if let Some(unknown) = regions.iter().find_map(|r| catalog::region(r).err()) {
                return Err((Some("regions"), format!("shock `{name}`: {unknown}")));
            }
        }
        if let Some(groups) = &self.credit_groups {
            if self.driver != Driver::Income {
                return Err((Some("credit_groups"), format!("shock `{name}`: `credit_groups` applies to income only")));
            }
            if let Some(unknown) = groups.iter().find_map(|g| catalog::credit_group(g).err()) {
                return Err((Some("credit_groups"), format!("shock `{name}`: {unknown}")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "test"
description = "a test"
source = "illustrative"
horizon_months = 12
shape = "linear"
seed = 1

[[shock]]
driver = "unemployment"
points = 3
"#;

    #[test]
    fn a_scenario_parses() {
        let s = Scenario::parse("test.toml", GOOD).unwrap();
        assert_eq!((s.horizon_months, s.shape, s.shocks.len()), (12, Shape::Linear, 1));
    }

    #[test]
    fn syntax_errors_name_the_file_line_and_column() {
        let err = Scenario::parse("bad.toml", "name = \"x\"\nhorizon_months = = 3\n").unwrap_err();
        assert_eq!((err.file.as_str(), err.line), ("bad.toml", 2));
        assert!(err.to_string().starts_with("bad.toml:2:"), "{err}");
    }

    #[test]
    fn an_unknown_driver_lists_the_valid_ones() {
        let text = GOOD.replace("\"unemployment\"", "\"inflation\"");
        let err = Scenario::parse("s.toml", &text).unwrap_err();
        assert!(err.message.contains("inflation") && err.message.contains("claim_denial_rate"), "{err}");
        assert_eq!(err.line, 10);
    }

    #[test]
    fn missing_unknown_and_out_of_range_fields_are_named() {
        let missing = GOOD.replace("seed = 1\n", "");
        assert!(Scenario::parse("s.toml", &missing).unwrap_err().message.contains("seed"));
        let unknown = GOOD.replace("seed = 1", "seed = 1\ncolour = \"red\"");
        assert!(Scenario::parse("s.toml", &unknown).unwrap_err().message.contains("colour"));
        let wrong = GOOD.replace("points = 3", "percent = 3");
        let err = Scenario::parse("s.toml", &wrong).unwrap_err();
        assert!(err.message.contains("takes `points`, not `percent`") && err.line == 11, "{err}");
        let region = GOOD.replace(
            "driver = \"unemployment\"\npoints = 3",
            "driver = \"medical_costs\"\npercent = 3\nregions = [\"ZZ\"]",
        );
        let err = Scenario::parse("s.toml", &region).unwrap_err();
        assert!(err.message.contains("unknown region `ZZ`") && err.line == 12, "{err}");
        let fewer =
            GOOD.replace("driver = \"unemployment\"\npoints = 3", "driver = \"dv_incident_rate\"\nmultiplier = 0.5");
        assert!(Scenario::parse("s.toml", &fewer).unwrap_err().message.contains("between 1 and 20"));
        let big = GOOD.replace("horizon_months = 12", "horizon_months = 500");
        assert!(Scenario::parse("s.toml", &big).unwrap_err().message.starts_with("horizon_months"));
        let shape = GOOD.replace("\"linear\"", "\"zigzag\"");
        assert!(Scenario::parse("s.toml", &shape).unwrap_err().message.contains("zigzag"));
    }

    #[test]
    fn shapes_run_from_baseline_through_full_intensity() {
        assert_eq!(Shape::Linear.intensity(12, 12), 1.0);
        assert_eq!(Shape::V.intensity(6, 12), 1.0);
        assert_eq!(Shape::V.intensity(12, 12), 0.0);
        assert_eq!(Shape::U.intensity(6, 12), 1.0);
        assert!((Shape::U.intensity(12, 12) - 0.5).abs() < 1e-12);
        assert_eq!(Shape::W.intensity(3, 12), 1.0);
        assert_eq!(Shape::W.intensity(9, 12), 1.0);
        assert!((Shape::W.intensity(6, 12) - 0.3).abs() < 1e-12);
    }
}
