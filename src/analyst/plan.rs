//! The typed plan a question becomes: what is asked (intent), of which figures, over which people and when. Its
//! JSON is canonical (fields in one order, absent slots omitted), so the same question always gives the same plan,
//! a client can send it back as `previousPlan`, and the audit log records it.

use super::semantic::Semantic;
use crate::model::whatif::Shock;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What kind of answer a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// One figure.
    Value,
    /// A figure for every value of a dimension.
    Breakdown,
    /// The groups with the highest or lowest figure.
    Rank,
    /// One group's part of the whole.
    Share,
    /// A figure month by month.
    Trend,
    /// Now against 3 or 12 months ago (or a month against an earlier one).
    ComparePeriods,
    /// Two groups side by side.
    CompareSegments,
    /// A stored stress scenario against its baseline.
    CompareScenario,
    /// What moved a figure: the change attributed to the model's inputs.
    Explain,
    /// The population rescored under a shock.
    Whatif,
    /// The headline figures.
    Summary,
}

impl Intent {
    pub const ALL: [Intent; 11] = [
        Intent::Value,
        Intent::Breakdown,
        Intent::Rank,
        Intent::Share,
        Intent::Trend,
        Intent::ComparePeriods,
        Intent::CompareSegments,
        Intent::CompareScenario,
        Intent::Explain,
        Intent::Whatif,
        Intent::Summary,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Intent::Value => "value",
            Intent::Breakdown => "breakdown",
            Intent::Rank => "rank",
            Intent::Share => "share",
            Intent::Trend => "trend",
            Intent::ComparePeriods => "compare_periods",
            Intent::CompareSegments => "compare_segments",
            Intent::CompareScenario => "compare_scenario",
            Intent::Explain => "explain",
            Intent::Whatif => "whatif",
            Intent::Summary => "summary",
        }
    }
}

/// When: a snapshot (months before the observation date), a month of history, or the last N months.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Time {
    MonthsAgo(u32),
    /// `YYYY-MM`.
    Month(String),
    /// The last N months (0: every month of history).
    Window(u32),
}

/// One side of a segment comparison.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Segment {
    pub dimension: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    Descending,
    Ascending,
}

/// A stored stress scenario: its preset, shape and which point of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScenarioRef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<String>,
    /// `horizon` (the run's last month) or `peak` (its worst month).
    pub at: String,
}

/// A question's typed plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Plan {
    pub intent: Intent,
    #[serde(default)]
    pub metrics: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<String>,
    /// Dimension → value, over the closed lists of the semantic model.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub filters: BTreeMap<String, String>,
    /// The two groups of a segment comparison.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<Segment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Time>,
    /// Months before the observation date compared with (3 or 12; for monthly figures, any month of history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<ScenarioRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shock: Option<Shock>,
}

/// The dimensions a filter or group-by may name, per kind of metric.
pub const PEOPLE_DIMENSIONS: [&str; 3] = ["region", "credit_group", "age_band"];
pub const DV_DIMENSIONS: [&str; 2] = ["dv_level", "dv_pattern"];

/// The most groups a ranking lists.
pub const MAX_LIMIT: u32 = 51;

impl Plan {
    pub fn new(intent: Intent) -> Plan {
        Plan {
            intent,
            metrics: Vec::new(),
            group_by: None,
            filters: BTreeMap::new(),
            segments: Vec::new(),
            threshold: None,
            time: None,
            comparison: None,
            order: None,
            limit: None,
            scenario: None,
            shock: None,
        }
    }

    /// The plan's canonical JSON.
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).expect("a plan serialises")
    }

    /// A plan a client sent back, read slot by slot so that an error names the slot, then checked against the
    /// semantic model.
    pub fn from_json(value: &serde_json::Value, model: &Semantic) -> Result<Plan, String> {
        let object = value.as_object().ok_or("previousPlan: must be an object (a plan an earlier answer returned)")?;
        let known = [
            "intent",
            "metrics",
            "groupBy",
            "filters",
            "segments",
            "threshold",
            "time",
            "comparison",
            "order",
            "limit",
            "scenario",
            "shock",
        ];
        if let Some(unknown) = object.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(format!(
                "previousPlan.{}: unknown slot; a plan has {}",
                crate::text::clip(unknown, 40),
                known.join(", ")
            ));
        }
        for (slot, v) in object {
            let mut one = serde_json::Map::new();
            one.insert(slot.clone(), v.clone());
            if slot != "intent" {
                one.insert("intent".into(), serde_json::Value::String("value".into()));
            }
            if let Err(e) = serde_json::from_value::<Plan>(serde_json::Value::Object(one)) {
                return Err(format!("previousPlan.{slot}: {e}"));
            }
        }
        let plan: Plan = serde_json::from_value(value.clone()).map_err(|e| format!("previousPlan: {e}"))?;
        plan.check(model).map_err(|(slot, e)| format!("previousPlan.{slot}: {e}"))?;
        Ok(plan)
    }

    /// Every slot against the semantic model: (slot, what is wrong).
    pub fn check(&self, model: &Semantic) -> Result<(), (String, String)> {
        for m in &self.metrics {
            if model.metric(m).is_none() {
                let names: Vec<&str> = model.metric.iter().map(|m| m.name.as_str()).collect();
                return Err(("metrics".into(), format!("unknown metric `{}`; metrics: {}", clip(m), names.join(", "))));
            }
        }
        let value_of = |slot: &str, dimension: &str, value: &str| -> Result<(), (String, String)> {
            let Some(d) = model.dimension(dimension) else {
                let names: Vec<&str> = model.dimension.iter().map(|d| d.name.as_str()).collect();
                return Err((
                    slot.into(),
                    format!("unknown dimension `{}`; dimensions: {}", clip(dimension), names.join(", ")),
                ));
            };
            if dimension == "month" {
                let ok =
                    value.len() == 7 && chrono::NaiveDate::parse_from_str(&format!("{value}-01"), "%Y-%m-%d").is_ok();
                return if ok {
                    Ok(())
                } else {
                    Err((slot.into(), format!("`{}` is not a month (YYYY-MM)", clip(value))))
                };
            }
            if d.values.iter().any(|v| v.value == value) {
                Ok(())
            } else {
                let valid: Vec<&str> = d.values.iter().map(|v| v.value.as_str()).collect();
                Err((slot.into(), format!("unknown {} `{}`; valid: {}", d.label, clip(value), valid.join(", "))))
            }
        };
        if let Some(g) = &self.group_by
            && model.dimension(g).is_none()
        {
            let names: Vec<&str> = model.dimension.iter().map(|d| d.name.as_str()).collect();
            return Err((
                "groupBy".into(),
                format!("unknown dimension `{}`; dimensions: {}", clip(g), names.join(", ")),
            ));
        }
        for (dimension, value) in &self.filters {
            value_of(&format!("filters.{}", clip(dimension)), dimension, value)?;
        }
        for s in &self.segments {
            value_of("segments", &s.dimension, &s.value)?;
        }
        if let Some(t) = self.threshold
            && !(0.0..=1.0).contains(&t)
        {
            return Err(("threshold".into(), format!("must be between 0 and 1, got {t}")));
        }
        if let Some(Time::Month(m)) = &self.time {
            value_of("time.month", "month", m)?;
        }
        if let Some(limit) = self.limit
            && !(1..=MAX_LIMIT).contains(&limit)
        {
            return Err(("limit".into(), format!("must be between 1 and {MAX_LIMIT}, got {limit}")));
        }
        if let Some(s) = &self.scenario {
            value_of("scenario.name", "scenario", &s.name)?;
            if let Some(shape) = &s.shape {
                value_of("scenario.shape", "shape", shape)?;
            }
            if s.at != "horizon" && s.at != "peak" {
                return Err(("scenario.at".into(), format!("`{}`: must be horizon or peak", clip(&s.at))));
            }
        }
        if let Some(shock) = &self.shock {
            shock.validate().map_err(|e| ("shock".to_owned(), e.to_string()))?;
        }
        Ok(())
    }

    /// The role matrix's permissions the plan's figures need (a summary's: the aggregates).
    pub fn permissions(&self, model: &Semantic) -> Vec<crate::privacy::roles::Permission> {
        let mut out: Vec<_> = self
            .metrics
            .iter()
            .filter_map(|m| model.metric(m))
            .filter_map(|m| super::semantic::permission(&m.permission))
            .collect();
        if self.metrics.is_empty() {
            out.push(crate::privacy::roles::Permission::Aggregates);
        }
        out.dedup();
        out
    }
}

fn clip(s: &str) -> String {
    crate::text::clip(s, 40)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_omits_empty_slots_and_round_trips() {
        let mut plan = Plan::new(Intent::Breakdown);
        plan.metrics.push("high_risk_share".into());
        plan.group_by = Some("region".into());
        plan.filters.insert("credit_group".into(), "subprime".into());
        let json = plan.canonical();
        assert_eq!(
            json,
            r#"{"intent":"breakdown","metrics":["high_risk_share"],"groupBy":"region","filters":{"credit_group":"subprime"}}"#
        );
        let back = Plan::from_json(&serde_json::from_str(&json).unwrap(), Semantic::embedded()).unwrap();
        assert_eq!(back, plan);
    }

    #[test]
    fn a_malformed_plan_names_its_slot() {
        let model = Semantic::embedded();
        let err = |json: &str| Plan::from_json(&serde_json::from_str(json).unwrap(), model).unwrap_err();
        assert!(err(r#"{"intent":"guess"}"#).starts_with("previousPlan.intent:"));
        assert!(
            err(r#"{"intent":"value","metrics":["gdp"]}"#).starts_with("previousPlan.metrics: unknown metric `gdp`")
        );
        assert!(err(r#"{"intent":"value","filters":{"region":"XX"}}"#).starts_with("previousPlan.filters.region:"));
        assert!(err(r#"{"intent":"value","limit":"five"}"#).starts_with("previousPlan.limit:"));
        assert!(err(r#"{"intent":"value","sql":"drop table"}"#).starts_with("previousPlan.sql: unknown slot"));
        assert!(err(r#"[1]"#).starts_with("previousPlan: must be an object"));
        assert!(err(r#"{"intent":"value","threshold":2}"#).starts_with("previousPlan.threshold:"));
    }
}
