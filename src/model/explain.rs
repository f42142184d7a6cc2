//! Why a person scored as they did: each input's contribution to the log odds (coefficient × standardised
//! value, so 0 is the training population's average person) and the largest risk-raising ones in plain words.
//!
//! The five age-band indicators are one input ("age") for explanations: their contributions are summed.

use super::Artifact;
use super::features::{self, FEATURES};
use crate::text::thousands;
use serde::{Deserialize, Serialize};

/// How many reasons a score carries.
pub const TOP_REASONS: usize = 3;

/// One reason: the input, its contribution to the log odds, and what it means in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub feature: String,
    pub contribution: f64,
    pub text: String,
}

/// Each feature's contribution to the log odds, in [`FEATURES`] order.
pub fn contributions(artifact: &Artifact, row: &[f64]) -> Vec<f64> {
    artifact.features.iter().zip(row).map(|(f, x)| f.coefficient * (x - f.mean) / f.std).collect()
}

/// Dollars rounded to the hundred, digits grouped.
fn money(v: f64) -> String {
    format!("${}", thousands(((v.max(0.0) / 100.0).round() as u64) * 100))
}

fn count(n: f64, one: &str, many: &str) -> String {
    let n = n.round() as i64;
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The words for one input at a row's (unstandardised) values.
fn words(artifact: &Artifact, name: &str, row: &[f64]) -> String {
    let v = |feature: &str| row[features::index(feature).expect("a known feature")];
    match name {
        "log_income" => {
            let income = v("log_income").exp();
            format!("income {} ({:.1}× the median)", money(income), income / artifact.encoding.income_median)
        }
        "log_debt_to_income" => format!("debt {:.0} % of annual income", 100.0 * v("log_debt_to_income").exp()),
        "credit_score" => format!("credit score {:.0}", v("credit_score")),
        "missed_payments_12m" if v(name) >= 6.0 => "6 or more missed payments in 12 months".into(),
        "missed_payments_12m" => format!("{} in 12 months", count(v(name), "missed payment", "missed payments")),
        "overdrafts_12m" if v(name) >= 12.0 => "12 or more overdrafts in 12 months".into(),
        "overdrafts_12m" => format!("{} in 12 months", count(v(name), "overdraft", "overdrafts")),
        "unemployed" if v(name) > 0.5 => "unemployed".into(),
        "unemployed" => "in work or retired".into(),
        "out_of_pocket_to_income" => {
            format!("out-of-pocket medical costs {:.0} % of income", 100.0 * v("out_of_pocket_to_income"))
        }
        "medical_cost_ratio" => format!("medical costs {:.1}× regional median", v("medical_cost_ratio")),
        "chronic_conditions" => count(v(name), "chronic condition", "chronic conditions"),
        "claims_12m" => format!("{} in 12 months", count(v(name), "insurance claim", "insurance claims")),
        "denied_claims_12m" => format!("{} in 12 months", count(v(name), "denied claim", "denied claims")),
        "insurer_member" if v(name) > 0.5 => "insurer member".into(),
        "insurer_member" => "no insurer records (medical costs unseen)".into(),
        "log_loan_amount" if v(name) < 0.5 => "no loan".into(),
        "log_loan_amount" => format!("loan of {}", money(v("log_loan_amount").exp_m1())),
        "age" => {
            let band = ["age_25_34", "age_35_44", "age_45_54", "age_55_64", "age_65_plus"]
                .iter()
                .position(|f| v(f) > 0.5)
                .map_or(0, |i| i + 1);
            format!("aged {}", crate::catalog::AGE_BANDS[band])
        }
        other => other.to_owned(),
    }
}

/// Contributions grouped for explanation (age bands summed into "age"), largest first, without words.
fn ranked(artifact: &Artifact, row: &[f64]) -> Vec<(&'static str, f64)> {
    let contributions = contributions(artifact, row);
    let mut age = 0.0;
    let mut ranked = Vec::with_capacity(FEATURES.len());
    for (f, c) in FEATURES.iter().zip(&contributions) {
        if f.name.starts_with("age_") {
            age += c;
        } else {
            ranked.push((f.name, *c));
        }
    }
    ranked.push(("age", age));
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    ranked
}

/// Every input's contribution with its words, largest first (age bands summed into "age").
pub fn grouped(artifact: &Artifact, row: &[f64]) -> Vec<Reason> {
    ranked(artifact, row)
        .into_iter()
        .map(|(feature, contribution)| Reason {
            feature: feature.to_owned(),
            contribution,
            text: words(artifact, feature, row),
        })
        .collect()
}

/// The inputs that raise this person's risk most (positive contributions only), at most [`TOP_REASONS`].
pub fn top_reasons(artifact: &Artifact, row: &[f64]) -> Vec<Reason> {
    ranked(artifact, row)
        .into_iter()
        .filter(|(_, c)| *c > 0.0)
        .take(TOP_REASONS)
        .map(|(feature, contribution)| Reason {
            feature: feature.to_owned(),
            contribution,
            text: words(artifact, feature, row),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_rounded_and_grouped() {
        assert_eq!(money(1_234_567.0), "$1,234,600");
        assert_eq!(money(950.0), "$1,000");
        assert_eq!(money(0.0), "$0");
    }

    #[test]
    fn counts_agree_in_number() {
        assert_eq!(count(1.0, "claim", "claims"), "1 claim");
        assert_eq!(count(3.0, "claim", "claims"), "3 claims");
    }
}
