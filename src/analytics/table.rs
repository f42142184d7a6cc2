//! The dashboard's tables as rows for CSV or Parquet export: the executive tables and a page of cases.

use super::{CasePage, Executive};

/// A cell of an exported table: text, or a number (`None` when suppressed or not applicable).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(Option<f64>),
}

/// A table view the dashboard shows, as rows for CSV or Parquet export; suppressed cells stay empty and each
/// row says whether it was suppressed.
#[derive(Debug, Clone, PartialEq)]
pub struct TableView {
    pub name: &'static str,
    /// Column names; a column is numeric if its cells are numbers.
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// The executive tables that can be exported.
pub const EXECUTIVE_TABLES: [&str; 3] = ["regions", "credit-groups", "trends"];

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn number(v: Option<f64>) -> Cell {
    Cell::Number(v)
}

impl Executive {
    /// One of [`EXECUTIVE_TABLES`].
    pub fn table(&self, name: &str) -> Option<TableView> {
        let flag = |s: bool| text(if s { "true" } else { "false" });
        let count = |c: Option<u64>| number(c.map(|c| c as f64));
        match name {
            "regions" => Some(TableView {
                name: "regions",
                columns: vec![
                    "region",
                    "people",
                    "suppressed",
                    "mean_probability",
                    "high_risk_share",
                    "medical_exposure",
                    "exposure_share",
                ],
                rows: self
                    .regions
                    .iter()
                    .map(|r| {
                        let s = r.stats.as_ref();
                        vec![
                            text(r.label.clone()),
                            count(r.count),
                            flag(r.suppressed),
                            number(s.map(|s| s.mean_probability)),
                            number(s.and_then(|s| s.high_risk_share.get())),
                            number(s.map(|s| s.medical_exposure)),
                            number(s.map(|s| s.exposure_share)),
                        ]
                    })
                    .collect(),
            }),
            "credit-groups" => Some(TableView {
                name: "credit_groups",
                columns: vec![
                    "credit_group",
                    "people",
                    "suppressed",
                    "mean_probability",
                    "high_risk_share",
                    "medical_exposure",
                ],
                rows: self
                    .credit_groups
                    .iter()
                    .map(|g| {
                        let s = g.stats.as_ref();
                        vec![
                            text(g.label.clone()),
                            count(g.count),
                            flag(g.suppressed),
                            number(s.map(|s| s.mean_probability)),
                            number(s.and_then(|s| s.high_risk_share.get())),
                            number(s.map(|s| s.medical_exposure)),
                        ]
                    })
                    .collect(),
            }),
            "trends" => Some(TableView {
                name: "trends",
                columns: vec!["month", "missed_payment", "overdraft", "claim", "medical_cost", "suppressed"],
                rows: self
                    .trends
                    .iter()
                    .map(|t| {
                        vec![
                            text(t.month.clone()),
                            count(t.missed_payment.get()),
                            count(t.overdraft.get()),
                            count(t.claim.get()),
                            number(t.medical_cost.get()),
                            flag(t.suppressed),
                        ]
                    })
                    .collect(),
            }),
            _ => None,
        }
    }
}

impl CasePage {
    /// The page as a table: one row per case.
    pub fn table(&self) -> TableView {
        TableView {
            name: "cases",
            columns: vec![
                "masked_id",
                "region",
                "credit_group",
                "age_band",
                "probability",
                "points",
                "high_risk",
                "reasons",
            ],
            rows: self
                .cases
                .iter()
                .map(|c| {
                    vec![
                        text(c.masked_id.clone()),
                        text(c.region),
                        text(c.credit_group),
                        text(c.age_band),
                        number(Some(c.probability)),
                        number(Some(c.points)),
                        text(if c.high_risk { "true" } else { "false" }),
                        text(c.reasons.join("; ")),
                    ]
                })
                .collect(),
        }
    }
}
