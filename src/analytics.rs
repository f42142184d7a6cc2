//! Dashboard analytics: the scored population held in memory, and the views over it. Pure: no I/O.
//!
//! A [`Portfolio`] is built once per server from the warehouse: the population as of the observation date and
//! as of 3 and 12 months earlier (scored with the same model), and the monthly trend cube. Every view is then
//! one pass over in-memory columns, so a threshold or filter change costs milliseconds even at a million
//! people. Every count and every statistic of a group leaves through the k-anonymity guard; case lists show
//! masked IDs and indicators only.

use crate::catalog::{AGE_BANDS, CREDIT_GROUP_NAMES, region_codes};
use crate::model::{self, Artifact, Population};
use crate::text::clip;
use ndarray::Array2;
use std::collections::HashMap;

mod cases;
mod dp;
mod drivers;
mod executive;
mod table;
#[cfg(test)]
mod tests;

pub use cases::{CaseDetail, CasePage, CaseQuery, CaseRow, IndicatorValue, MAX_PAGE};
pub use dp::EXPOSURE_BOUND;
pub use drivers::{Driver, Drivers, Mover};
pub use executive::{CreditStats, DpRelease, Executive, Family, Kpi, Kpis, RegionStats, TrendPoint};
pub use table::{Cell, EXECUTIVE_TABLES, TableView};

/// A view's input was wrong; the message names the parameter.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{parameter}: unknown value `{value}`; valid values: {valid}")]
    UnknownValue { parameter: &'static str, value: String, valid: String },
    #[error("{parameter}: {detail}")]
    OutOfRange { parameter: &'static str, detail: String },
    #[error(transparent)]
    Model(#[from] model::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One month of the trend cube: people with each kind of event in one (region, credit group, age band) cell.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendRow {
    /// `YYYY-MM`.
    pub month: String,
    pub region: String,
    pub credit_group: String,
    pub age_band: String,
    pub missed_payment: u64,
    pub overdraft: u64,
    pub claim: u64,
    pub medical_cost: f64,
}

/// Probabilities and medical exposure of every person as of one date.
struct Snapshot {
    p: Vec<f64>,
    exposure: Vec<f64>,
}

/// The scored population and its history.
pub struct Portfolio {
    artifact: Artifact,
    population: Population,
    x: Array2<f64>,
    ids: Vec<String>,
    index: HashMap<String, u32>,
    region: Vec<u8>,
    credit: Vec<u8>,
    age: Vec<u8>,
    indicators: Vec<u8>,
    snapshots: [Snapshot; 3],
    by_risk: Vec<u32>,
    months: Vec<String>,
    trends: Vec<(u16, u8, u8, u8, [f64; 4])>,
    /// Per snapshot, the sums of every model input by (region, credit group, age band) cell: what explanations of
    /// a change rest on.
    inputs: [drivers::CellSums; 3],
    /// Executive views already computed (exact, or noisy with a release's seed): dashboards ask the same ones
    /// again.
    executive_cache: std::sync::Mutex<HashMap<executive::ViewKey, std::sync::Arc<Executive>>>,
    /// Population what-ifs already computed: (shock, filter, threshold bits, k).
    what_if_cache: std::sync::Mutex<HashMap<cases::WhatIfKey, std::sync::Arc<model::whatif::PopulationImpact>>>,
}

/// Dates of the three snapshots, in months before the observation date.
pub const SNAPSHOT_MONTHS: [u32; 3] = [0, 3, 12];

/// Which people a view covers; `None` is everyone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Filter {
    pub region: Option<u8>,
    pub credit_group: Option<u8>,
    pub age_band: Option<u8>,
}

impl Filter {
    fn admits(&self, region: u8, credit: u8, age: u8) -> bool {
        self.region.is_none_or(|r| r == region)
            && self.credit_group.is_none_or(|c| c == credit)
            && self.age_band.is_none_or(|a| a == age)
    }
}

/// An indicator a case list can be narrowed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indicator {
    Unemployed,
    MissedPayments,
    Overdrafts,
    Uninsured,
    HighMedicalCost,
    OutOfPocketBurden,
}

impl Indicator {
    pub const ALL: [(&'static str, Indicator); 6] = [
        ("unemployed", Indicator::Unemployed),
        ("missed_payments", Indicator::MissedPayments),
        ("overdrafts", Indicator::Overdrafts),
        ("uninsured", Indicator::Uninsured),
        ("high_medical_cost", Indicator::HighMedicalCost),
        ("out_of_pocket_burden", Indicator::OutOfPocketBurden),
    ];

    fn bit(self) -> u8 {
        1 << Indicator::ALL.iter().position(|(_, i)| *i == self).expect("listed")
    }

    pub fn parse(value: &str) -> Result<Indicator> {
        Indicator::ALL.iter().find(|(name, _)| *name == value).map(|(_, i)| *i).ok_or_else(|| Error::UnknownValue {
            parameter: "indicator",
            value: clip(value, 40),
            valid: Indicator::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
        })
    }
}

fn lookup(parameter: &'static str, value: &str, valid: &[&str]) -> Result<u8> {
    valid.iter().position(|v| *v == value).map(|i| i as u8).ok_or_else(|| Error::UnknownValue {
        parameter,
        value: clip(value, 40),
        valid: valid.join(", "),
    })
}

/// Which indicators a feature row shows (bits of [`Indicator`]).
fn indicators_of(row: ndarray::ArrayView1<'_, f64>) -> u8 {
    let v = |name: &str| row[model::features::index(name).expect("a known feature")];
    let mut bits = 0;
    let mut set = |indicator: Indicator, on: bool| {
        if on {
            bits |= indicator.bit();
        }
    };
    set(Indicator::Unemployed, v("unemployed") > 0.5);
    set(Indicator::MissedPayments, v("missed_payments_12m") >= 1.0);
    set(Indicator::Overdrafts, v("overdrafts_12m") >= 1.0);
    set(Indicator::Uninsured, v("insurer_member") < 0.5);
    set(Indicator::HighMedicalCost, v("medical_cost_ratio") >= 2.0);
    set(Indicator::OutOfPocketBurden, v("out_of_pocket_to_income") >= 0.1);
    bits
}

impl Portfolio {
    /// Scores the population now and `history` (as of 3 and 12 months earlier) with `artifact`.
    pub fn build(
        artifact: Artifact,
        population: Population,
        history: [Population; 2],
        trends: Vec<TrendRow>,
    ) -> Result<Portfolio> {
        let (x, p) = model::score(&artifact, &population)?;
        let ids: Vec<String> = population.text("masked_id")?.into_iter().map(str::to_owned).collect();
        let index: HashMap<String, u32> = ids.iter().enumerate().map(|(i, id)| (id.clone(), i as u32)).collect();
        let codes = region_codes();
        let region: Vec<u8> =
            population.text("region")?.iter().map(|r| lookup("region", r, &codes)).collect::<Result<_>>()?;
        let credit: Vec<u8> = population
            .text("credit_group")?
            .iter()
            .map(|c| lookup("creditGroup", c, &CREDIT_GROUP_NAMES))
            .collect::<Result<_>>()?;
        let age: Vec<u8> =
            population.text("age_band")?.iter().map(|a| lookup("ageBand", a, &AGE_BANDS)).collect::<Result<_>>()?;
        let exposure = population.numbers("medical_cost_12m")?;
        let indicators = x.rows().into_iter().map(indicators_of).collect();
        let mut inputs = vec![drivers::CellSums::of(&x, &region, &credit, &age)];
        let mut snapshots = vec![Snapshot { p, exposure }];
        for then in history {
            let (x_then, p_then) = model::score(&artifact, &then)?;
            let cells = |name: &'static str, valid: &[&str]| -> Result<Vec<u8>> {
                then.text(name)?.iter().map(|v| lookup(name, v, valid)).collect()
            };
            inputs.push(drivers::CellSums::of(
                &x_then,
                &cells("region", &codes)?,
                &cells("credit_group", &CREDIT_GROUP_NAMES)?,
                &cells("age_band", &AGE_BANDS)?,
            ));
            let cost_then = then.numbers("medical_cost_12m")?;
            // Align by masked ID: the queries need not return people in the same order.
            let mut p = vec![f64::NAN; ids.len()];
            let mut exposure = vec![0.0; ids.len()];
            for (j, id) in then.text("masked_id")?.iter().enumerate() {
                if let Some(&i) = index.get(*id) {
                    p[i as usize] = p_then[j];
                    exposure[i as usize] = cost_then[j];
                }
            }
            snapshots.push(Snapshot { p, exposure });
        }
        let snapshots: [Snapshot; 3] = snapshots.try_into().map_err(|_| model::Error::TooFew("history".into()))?;
        let inputs: [drivers::CellSums; 3] = inputs.try_into().map_err(|_| model::Error::TooFew("history".into()))?;
        let mut by_risk: Vec<u32> = (0..ids.len() as u32).collect();
        let now = &snapshots[0].p;
        by_risk
            .sort_by(|&a, &b| now[b as usize].total_cmp(&now[a as usize]).then(ids[a as usize].cmp(&ids[b as usize])));
        let mut months: Vec<String> = trends.iter().map(|t| t.month.clone()).collect();
        months.sort();
        months.dedup();
        let trends = trends
            .into_iter()
            .map(|t| {
                let month = months.binary_search(&t.month).expect("collected above") as u16;
                Ok((
                    month,
                    lookup("region", &t.region, &codes)?,
                    lookup("creditGroup", &t.credit_group, &CREDIT_GROUP_NAMES)?,
                    lookup("ageBand", &t.age_band, &AGE_BANDS)?,
                    [t.missed_payment as f64, t.overdraft as f64, t.claim as f64, t.medical_cost],
                ))
            })
            .collect::<Result<_>>()?;
        Ok(Portfolio {
            artifact,
            population,
            x,
            ids,
            index,
            region,
            credit,
            age,
            indicators,
            snapshots,
            by_risk,
            months,
            trends,
            inputs,
            executive_cache: Default::default(),
            what_if_cache: Default::default(),
        })
    }

    pub fn artifact(&self) -> &Artifact {
        &self.artifact
    }

    /// The population now (as of the observation date).
    pub fn population(&self) -> &Population {
        &self.population
    }

    /// The months of the trend cube (`YYYY-MM`, ascending).
    pub fn months(&self) -> &[String] {
        &self.months
    }

    /// Masked IDs, in population order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// PSI of the current population's score and features against the training population.
    pub fn drift(&self) -> Vec<model::drift::Psi> {
        model::drift(&self.artifact, &self.x, &self.snapshots[0].p)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Parses the filter parameters; unknown values are errors naming the parameter.
    pub fn filter(&self, region: Option<&str>, credit_group: Option<&str>, age_band: Option<&str>) -> Result<Filter> {
        Ok(Filter {
            region: region.map(|r| lookup("region", r, &region_codes())).transpose()?,
            credit_group: credit_group.map(|c| lookup("creditGroup", c, &CREDIT_GROUP_NAMES)).transpose()?,
            age_band: age_band.map(|a| lookup("ageBand", a, &AGE_BANDS)).transpose()?,
        })
    }

    /// Which people `filter` admits, in population order.
    pub fn mask(&self, filter: Filter) -> Vec<bool> {
        (0..self.len()).map(|i| filter.admits(self.region[i], self.credit[i], self.age[i])).collect()
    }

    /// Whether someone in the population has this masked ID.
    pub fn contains(&self, masked_id: &str) -> bool {
        self.index.contains_key(masked_id)
    }

    fn row_of(&self, masked_id: &str) -> Option<usize> {
        self.index.get(masked_id).map(|&i| i as usize)
    }
}

/// A high-risk threshold is a probability: between 0 and 1.
pub fn check_threshold(threshold: f64) -> Result<()> {
    if (0.0..=1.0).contains(&threshold) {
        Ok(())
    } else {
        Err(Error::OutOfRange { parameter: "threshold", detail: format!("must be between 0 and 1, got {threshold}") })
    }
}
