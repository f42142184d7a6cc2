//! Model features: from a population's clean-room indicators (a polars frame) to the numeric matrix the model
//! reads, with polars lazy expressions.
//!
//! A population frame carries [`RAW_COLUMNS`]: the masked ID and indicators only, never a raw key or PII.
//! [`FEATURES`] lists the model's inputs in order; [`matrix`] computes them. The one learned encoding (each
//! region's median medical cost, for "medical costs 3.1× regional median") is fitted on the training rows and
//! travels in the artifact, so scoring another population uses the training population's medians.

use super::{Error, Result};
use crate::catalog::AGE_BANDS;
use ndarray::{Array2, ShapeBuilder};
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a raw column is typed in a population frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Flag,
}

impl Kind {
    fn dtype(self) -> DataType {
        match self {
            Kind::Text => DataType::String,
            Kind::Number => DataType::Float64,
            Kind::Flag => DataType::Boolean,
        }
    }
}

/// The columns of a population frame, in order.
pub const RAW_COLUMNS: [(&str, Kind); 17] = [
    ("masked_id", Kind::Text),
    ("region", Kind::Text),
    ("age_band", Kind::Text),
    ("employment", Kind::Text),
    ("credit_group", Kind::Text),
    ("income", Kind::Number),
    ("debt", Kind::Number),
    ("credit_score", Kind::Number),
    ("loan_amount", Kind::Number),
    ("missed_payments_12m", Kind::Number),
    ("overdrafts_12m", Kind::Number),
    ("insurer_member", Kind::Flag),
    ("chronic_conditions", Kind::Number),
    ("claims_12m", Kind::Number),
    ("denied_claims_12m", Kind::Number),
    ("medical_cost_12m", Kind::Number),
    ("out_of_pocket_12m", Kind::Number),
];

/// Incomes below this are treated as this (ratios to income stay finite).
pub const INCOME_FLOOR: f64 = 1_000.0;

/// One model input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    pub name: &'static str,
    /// What it measures, for the model card and the model page.
    pub description: &'static str,
}

const fn feature(name: &'static str, description: &'static str) -> Feature {
    Feature { name, description }
}

/// The model's inputs, in matrix column order.
pub const FEATURES: [Feature; 18] = [
    feature("log_income", "natural log of annual income (floored at $1,000)"),
    feature("log_debt_to_income", "natural log of debt / income, clipped to 0.01–5"),
    feature("credit_score", "credit score, 300–850"),
    feature("missed_payments_12m", "missed payments in the last 12 months, capped at 6"),
    feature("overdrafts_12m", "overdrafts in the last 12 months, capped at 12"),
    feature("unemployed", "1 when unemployed"),
    feature("out_of_pocket_to_income", "out-of-pocket medical costs (12 months) / income, clipped to 0–1"),
    feature(
        "medical_cost_ratio",
        "medical costs (12 months) / the region's median among members with costs, capped at 20",
    ),
    feature("chronic_conditions", "chronic conditions on record"),
    feature("claims_12m", "insurance claims in the last 12 months"),
    feature("denied_claims_12m", "denied insurance claims in the last 12 months"),
    feature("insurer_member", "1 when the insurer's records are joined"),
    feature("log_loan_amount", "natural log of 1 + loan amount"),
    feature("age_25_34", "1 when aged 25–34 (reference: 18–24)"),
    feature("age_35_44", "1 when aged 35–44"),
    feature("age_45_54", "1 when aged 45–54"),
    feature("age_55_64", "1 when aged 55–64"),
    feature("age_65_plus", "1 when aged 65 or over"),
];

/// The feature names, in order.
pub fn names() -> Vec<&'static str> {
    FEATURES.iter().map(|f| f.name).collect()
}

/// Index of a feature by name.
pub fn index(name: &str) -> Option<usize> {
    FEATURES.iter().position(|f| f.name == name)
}

/// The encoding learned from the training rows: each region's median medical cost (12 months) among insurer
/// members with any cost, and the overall median for the same people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Encoding {
    pub regional_medical_cost_median: BTreeMap<String, f64>,
    pub medical_cost_median: f64,
    pub income_median: f64,
}

/// A population: one row per person, the columns of [`RAW_COLUMNS`].
#[derive(Debug, Clone)]
pub struct Population {
    frame: DataFrame,
}

impl Population {
    /// Checks that the frame has every raw column with its type, and no nulls in them.
    pub fn new(frame: DataFrame) -> Result<Self> {
        for (name, kind) in RAW_COLUMNS {
            let column = frame.column(name).map_err(|_| Error::MissingColumn { column: name.to_owned() })?;
            if column.dtype() != &kind.dtype() {
                return Err(Error::ColumnType {
                    column: name.to_owned(),
                    expected: kind.dtype().to_string(),
                    found: column.dtype().to_string(),
                });
            }
            if column.null_count() > 0 {
                return Err(Error::NullValues { column: name.to_owned(), count: column.null_count() });
            }
        }
        Ok(Population { frame })
    }

    pub fn frame(&self) -> &DataFrame {
        &self.frame
    }

    pub fn len(&self) -> usize {
        self.frame.height()
    }

    pub fn is_empty(&self) -> bool {
        self.frame.height() == 0
    }

    /// The people in `mask` (same length as the population).
    pub fn filter(&self, mask: &[bool]) -> Result<Population> {
        let mask = BooleanChunked::from_slice("mask".into(), mask);
        Ok(Population { frame: self.frame.filter(&mask)? })
    }

    /// One text column's values.
    pub fn text(&self, name: &str) -> Result<Vec<&str>> {
        Ok(self.frame.column(name)?.str()?.no_null_iter().collect())
    }

    /// One numeric column's values.
    pub fn numbers(&self, name: &str) -> Result<Vec<f64>> {
        Ok(self.frame.column(name)?.f64()?.no_null_iter().collect())
    }

    /// One flag column's values.
    pub fn flags(&self, name: &str) -> Result<Vec<bool>> {
        Ok(self.frame.column(name)?.bool()?.no_null_iter().collect())
    }

    /// A population of one row.
    pub fn row(&self, index: usize) -> Population {
        Population { frame: self.frame.slice(index as i64, 1) }
    }

    /// A copy with columns replaced by the lazy expressions in `with` (what-if shocks).
    pub fn with_columns(&self, with: Vec<Expr>) -> Result<Population> {
        let frame = self.frame.clone().lazy().with_columns(with).collect()?;
        Population::new(frame)
    }
}

/// A population with its outcome, its train/validation split, and the generator's true probability. The true
/// probability is for evaluation only: the trainer never reads it.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub population: Population,
    /// Financial distress within 12 months.
    pub label: Vec<bool>,
    /// `true` for validation rows.
    pub validation: Vec<bool>,
    pub true_p: Vec<f64>,
}

/// Fits the encoding on the rows in `mask`.
pub fn fit_encoding(population: &Population, mask: &[bool]) -> Result<Encoding> {
    let rows = population.filter(mask)?;
    let with_costs = rows.frame.clone().lazy().filter(col("medical_cost_12m").gt(lit(0.0)));
    let by_region = with_costs
        .clone()
        .group_by([col("region")])
        .agg([col("medical_cost_12m").median().alias("median")])
        .sort(["region"], SortMultipleOptions::default())
        .collect()?;
    let overall = with_costs
        .select([col("medical_cost_12m").median().alias("median")])
        .collect()?
        .column("median")?
        .f64()?
        .get(0)
        .unwrap_or(1.0);
    let income = rows.frame.column("income")?.f64()?.median().unwrap_or(INCOME_FLOOR).max(INCOME_FLOOR);
    let regions = by_region.column("region")?.str()?;
    let medians = by_region.column("median")?.f64()?;
    let mut regional = BTreeMap::new();
    for (region, median) in regions.no_null_iter().zip(medians.iter()) {
        regional.insert(region.to_owned(), median.unwrap_or(overall));
    }
    // A region with no one with costs in training falls back to the overall median.
    for region in population.text("region")? {
        regional.entry(region.to_owned()).or_insert(overall);
    }
    Ok(Encoding { regional_medical_cost_median: regional, medical_cost_median: overall, income_median: income })
}

/// The regional median medical cost of each row, from the encoding; a region the encoding does not know is an
/// error (the model was trained on another population).
pub fn regional_medians(population: &Population, encoding: &Encoding) -> Result<Vec<f64>> {
    population
        .text("region")?
        .into_iter()
        .map(|region| {
            encoding
                .regional_medical_cost_median
                .get(region)
                .copied()
                .ok_or_else(|| Error::UnknownRegion { region: region.to_owned() })
        })
        .collect()
}

/// The expressions of [`FEATURES`], in order, over a frame that also has a `regional_median` column.
fn expressions() -> Vec<Expr> {
    let e = lit(std::f64::consts::E);
    let income = col("income").clip(lit(INCOME_FLOOR), lit(f64::MAX));
    let flag = |condition: Expr| when(condition).then(lit(1.0)).otherwise(lit(0.0));
    let age = |band: &str| flag(col("age_band").eq(lit(band)));
    let exprs = vec![
        income.clone().log(e.clone()).alias("log_income"),
        (col("debt") / income.clone()).clip(lit(0.01), lit(5.0)).log(e).alias("log_debt_to_income"),
        col("credit_score").alias("credit_score"),
        col("missed_payments_12m").clip(lit(0.0), lit(6.0)).alias("missed_payments_12m"),
        col("overdrafts_12m").clip(lit(0.0), lit(12.0)).alias("overdrafts_12m"),
        flag(col("employment").eq(lit("unemployed"))).alias("unemployed"),
        (col("out_of_pocket_12m") / income).clip(lit(0.0), lit(1.0)).alias("out_of_pocket_to_income"),
        (col("medical_cost_12m") / col("regional_median")).clip(lit(0.0), lit(20.0)).alias("medical_cost_ratio"),
        col("chronic_conditions").alias("chronic_conditions"),
        col("claims_12m").alias("claims_12m"),
        col("denied_claims_12m").alias("denied_claims_12m"),
        flag(col("insurer_member")).alias("insurer_member"),
        col("loan_amount").clip(lit(0.0), lit(f64::MAX)).log1p().alias("log_loan_amount"),
        // The first band is the age encoding's reference level.
        age(AGE_BANDS[1]).alias("age_25_34"),
        age(AGE_BANDS[2]).alias("age_35_44"),
        age(AGE_BANDS[3]).alias("age_45_54"),
        age(AGE_BANDS[4]).alias("age_55_64"),
        age(AGE_BANDS[5]).alias("age_65_plus"),
    ];
    debug_assert_eq!(exprs.len(), FEATURES.len());
    exprs
}

/// The feature matrix (rows × [`FEATURES`]) of a population, unstandardised. Every value must be finite: the
/// first one that is not is reported with its feature and masked ID.
pub fn matrix(population: &Population, encoding: &Encoding) -> Result<Array2<f64>> {
    let medians = regional_medians(population, encoding)?;
    let mut frame = population.frame.clone();
    frame.with_column(Column::new("regional_median".into(), medians))?;
    let features = frame.lazy().select(expressions()).collect()?;
    // Column-major, so each feature is one contiguous copy.
    let mut x = Array2::<f64>::zeros((population.len(), FEATURES.len()).f());
    for (j, feature) in FEATURES.iter().enumerate() {
        let values = features.column(feature.name)?.cast(&DataType::Float64)?.rechunk();
        let values = values.f64()?;
        let mut column = x.column_mut(j);
        let target = column.as_slice_mut().expect("a column of a column-major matrix is contiguous");
        match values.cont_slice() {
            Ok(slice) => target.copy_from_slice(slice),
            Err(_) => target.iter_mut().zip(values.iter()).for_each(|(t, v)| *t = v.unwrap_or(f64::NAN)),
        }
        if let Some(i) = target.iter().position(|v| !v.is_finite()) {
            let masked_id = population.text("masked_id")?[i].to_owned();
            return Err(Error::NotFinite { feature: feature.name, masked_id });
        }
    }
    Ok(x)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small population frame for unit tests: `n` people with varied indicators.
    pub fn population(n: usize) -> Population {
        let f = |g: &dyn Fn(usize) -> f64| (0..n).map(g).collect::<Vec<f64>>();
        let regions = ["CA", "TX", "NY"];
        let columns = vec![
            Column::new("masked_id".into(), (0..n).map(|i| format!("SH-TEST-{i:04}")).collect::<Vec<_>>()),
            Column::new("region".into(), (0..n).map(|i| regions[i % 3]).collect::<Vec<_>>()),
            Column::new("age_band".into(), (0..n).map(|i| AGE_BANDS[i % 6]).collect::<Vec<_>>()),
            Column::new(
                "employment".into(),
                (0..n).map(|i| if i % 7 == 0 { "unemployed" } else { "employed" }).collect::<Vec<_>>(),
            ),
            Column::new("credit_group".into(), (0..n).map(|_| "prime").collect::<Vec<_>>()),
            Column::new("income".into(), f(&|i| 20_000.0 + 1_000.0 * (i % 60) as f64)),
            Column::new("debt".into(), f(&|i| 5_000.0 * (i % 9) as f64)),
            Column::new("credit_score".into(), f(&|i| 550.0 + (i % 250) as f64)),
            Column::new("loan_amount".into(), f(&|i| if i % 4 == 0 { 0.0 } else { 10_000.0 })),
            Column::new("missed_payments_12m".into(), f(&|i| (i % 5) as f64)),
            Column::new("overdrafts_12m".into(), f(&|i| (i % 3) as f64)),
            Column::new("insurer_member".into(), (0..n).map(|i| i % 10 < 7).collect::<Vec<_>>()),
            Column::new("chronic_conditions".into(), f(&|i| (i % 4) as f64)),
            Column::new("claims_12m".into(), f(&|i| (i % 8) as f64)),
            Column::new("denied_claims_12m".into(), f(&|i| (i % 8 == 7) as u8 as f64)),
            Column::new("medical_cost_12m".into(), f(&|i| 400.0 * (i % 8) as f64)),
            Column::new("out_of_pocket_12m".into(), f(&|i| 90.0 * (i % 8) as f64)),
        ];
        Population::new(DataFrame::new_infer_height(columns).unwrap()).unwrap()
    }

    #[test]
    fn matrix_has_every_feature_in_order() {
        let pop = population(30);
        let encoding = fit_encoding(&pop, &[true; 30]).unwrap();
        let x = matrix(&pop, &encoding).unwrap();
        assert_eq!(x.dim(), (30, FEATURES.len()));
        // Row 0: income 20,000, unemployed (0 % 7), age 18-24, CA.
        assert!((x[[0, 0]] - 20_000f64.ln()).abs() < 1e-12);
        assert_eq!(x[[0, index("unemployed").unwrap()]], 1.0);
        assert_eq!(x[[1, index("age_25_34").unwrap()]], 1.0);
        assert_eq!(x[[1, index("unemployed").unwrap()]], 0.0);
        // Row 9: CA, cost 400 × 1; CA's median among rows with costs is a known value.
        let ca = encoding.regional_medical_cost_median["CA"];
        assert!((x[[9, index("medical_cost_ratio").unwrap()]] - 400.0 / ca).abs() < 1e-12);
    }

    #[test]
    fn a_missing_column_is_named() {
        let pop = population(5);
        let frame = pop.frame().drop("claims_12m").unwrap();
        let err = Population::new(frame).unwrap_err();
        assert!(err.to_string().contains("claims_12m"), "{err}");
    }

    #[test]
    fn a_non_finite_value_names_the_feature_and_the_person() {
        let pop = population(5);
        let broken = pop.with_columns(vec![col("income") * lit(f64::NAN)]).unwrap();
        let encoding = fit_encoding(&pop, &[true; 5]).unwrap();
        let err = matrix(&broken, &encoding).unwrap_err();
        assert!(err.to_string().contains("log_income") && err.to_string().contains("SH-TEST-0000"), "{err}");
    }

    #[test]
    fn an_unknown_region_is_an_error() {
        let pop = population(5);
        let mut encoding = fit_encoding(&pop, &[true; 5]).unwrap();
        encoding.regional_medical_cost_median.remove("TX");
        assert!(matches!(matrix(&pop, &encoding), Err(Error::UnknownRegion { .. })));
    }
}
