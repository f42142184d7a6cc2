//! What-if: rescoring one person or a whole population with drivers shocked ("what if medical costs rise 30 %?").
//!
//! Shocks act on the clean-room indicators, and the features are recomputed from them, so a shock reaches
//! every input it should (an income cut raises debt-to-income and the medical burden too):
//!
//! - `medicalCostPct`: medical costs and out-of-pocket costs change by this percentage;
//! - `incomePct`: income changes by this percentage;
//! - `unemploymentPoints`: unemployment rises by this many points of the population: that many people in work,
//!   chosen by a fixed hash of their masked ID (the same people every run), lose their job;
//! - `unemployed`: for one person, they lose their job.
//!
//! Losing a job leaves [`UNEMPLOYED_INCOME_SHARE`] of income (benefits and other income), as in the
//! synthetic population. The encoding (regional medians) stays the training population's.

use super::drift::{self, Psi};
use super::explain::{self, Reason};
use super::features::{Population, RAW_COLUMNS};
use super::{Artifact, Error, Result, score};
use crate::privacy::{Figure, KGuard};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

/// Share of income left after losing a job.
pub const UNEMPLOYED_INCOME_SHARE: f64 = 0.35;

/// Drivers to shock; zero / false leaves a driver alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Shock {
    pub medical_cost_pct: f64,
    pub income_pct: f64,
    pub unemployment_points: f64,
    pub unemployed: bool,
}

impl Shock {
    /// Checks each driver's range; the error names the field.
    pub fn validate(&self) -> Result<()> {
        let range = |field: &'static str, v: f64, lo: f64, hi: f64| {
            if v.is_finite() && (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(Error::Shock { field, detail: format!("must be between {lo} and {hi}, got {v}") })
            }
        };
        range("medicalCostPct", self.medical_cost_pct, -100.0, 1000.0)?;
        range("incomePct", self.income_pct, -100.0, 1000.0)?;
        range("unemploymentPoints", self.unemployment_points, 0.0, 100.0)
    }

    pub fn is_none(&self) -> bool {
        *self == Shock::default()
    }
}

/// FNV-1a: a fixed, fast hash to pick who loses their job.
fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_from(0xcbf2_9ce4_8422_2325, bytes)
}

fn fnv1a_from(state: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(state, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// Who loses their job under the shock.
fn job_losses(population: &Population, shock: &Shock) -> Result<Vec<bool>> {
    if shock.unemployed {
        let employment = population.text("employment")?;
        return Ok(employment.iter().map(|e| in_work(e)).collect());
    }
    pick_job_changes(population, shock.unemployment_points, 0)
}

fn in_work(employment: &str) -> bool {
    matches!(employment, "employed" | "self_employed")
}

/// A person's place in the order of job changes: lower changes first.
pub fn job_change_rank(masked_id: &str, salt: u64) -> u64 {
    if salt == 0 {
        fnv1a(masked_id.as_bytes())
    } else {
        fnv1a(&[&salt.to_le_bytes()[..], masked_id.as_bytes()].concat())
    }
}

/// Who changes employment when unemployment moves by `points` of the population: for a rise, that many people
/// in work lose their job; for a fall, that many unemployed people find one. People are picked by a fixed hash
/// of their masked ID (salted with `salt`), so the same run picks the same people.
pub fn pick_job_changes(population: &Population, points: f64, salt: u64) -> Result<Vec<bool>> {
    let employment = population.text("employment")?;
    let ids = population.text("masked_id")?;
    let mut changes = vec![false; population.len()];
    let eligible = |e: &str| if points > 0.0 { in_work(e) } else { e == "unemployed" };
    let hash = |id: &str| {
        if salt == 0 { fnv1a(id.as_bytes()) } else { fnv1a(&[&salt.to_le_bytes()[..], id.as_bytes()].concat()) }
    };
    let mut candidates: Vec<(u64, usize)> =
        (0..ids.len()).filter(|&i| eligible(employment[i])).map(|i| (hash(ids[i]), i)).collect();
    let wanted = ((points.abs() / 100.0 * population.len() as f64).round() as usize).min(candidates.len());
    if wanted > 0 {
        candidates.select_nth_unstable(wanted - 1);
        for &(_, i) in &candidates[..wanted] {
            changes[i] = true;
        }
    }
    Ok(changes)
}

/// The population with the shock applied to its indicators, and how many lost their job.
pub fn apply(population: &Population, shock: &Shock) -> Result<(Population, u64)> {
    shock.validate()?;
    let losses = job_losses(population, shock)?;
    let lost = losses.iter().filter(|&&l| l).count() as u64;
    let mut frame = population.frame().clone();
    frame.with_column(Column::new("__job_loss".into(), losses))?;
    let medical = lit(1.0 + shock.medical_cost_pct / 100.0);
    let income = lit(1.0 + shock.income_pct / 100.0);
    let job_loss = col("__job_loss");
    let shocked = frame
        .lazy()
        .with_columns([
            (col("income") * income * when(job_loss.clone()).then(lit(UNEMPLOYED_INCOME_SHARE)).otherwise(lit(1.0)))
                .alias("income"),
            when(job_loss).then(lit("unemployed")).otherwise(col("employment")).alias("employment"),
            (col("medical_cost_12m") * medical.clone()).alias("medical_cost_12m"),
            (col("out_of_pocket_12m") * medical).alias("out_of_pocket_12m"),
        ])
        .select(RAW_COLUMNS.iter().map(|(name, _)| col(*name)).collect::<Vec<_>>())
        .collect()?;
    Ok((Population::new(shocked)?, lost))
}

/// One person before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonImpact {
    pub masked_id: String,
    pub shock: Shock,
    pub old_probability: f64,
    pub new_probability: f64,
    pub change: f64,
    pub old_reasons: Vec<Reason>,
    pub new_reasons: Vec<Reason>,
}

/// Rescoring one person (a one-row population).
pub fn person(artifact: &Artifact, person: &Population, shock: &Shock) -> Result<PersonImpact> {
    let (x, p) = score(artifact, person)?;
    let (shocked, _) = apply(person, shock)?;
    let (x2, p2) = score(artifact, &shocked)?;
    let row = |x: &ndarray::Array2<f64>| x.row(0).to_vec();
    Ok(PersonImpact {
        masked_id: person.text("masked_id")?[0].to_owned(),
        shock: *shock,
        old_probability: p[0],
        new_probability: p2[0],
        change: p2[0] - p[0],
        old_reasons: explain::top_reasons(artifact, &row(&x)),
        new_reasons: explain::top_reasons(artifact, &row(&x2)),
    })
}

/// The people at or above `threshold`: a raw count, for the guard to see before anything shows.
pub fn high_count(p: &[f64], threshold: f64) -> u64 {
    p.iter().filter(|&&p| p >= threshold).count() as u64
}

/// A population's risk at a threshold. Counts pass the k-anonymity guard (`None` when suppressed).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub people: u64,
    pub high_risk_count: Figure<u64>,
    /// Σ p: the number of people expected to reach distress within 12 months.
    pub expected_distress: f64,
    pub mean_probability: f64,
}

impl Outcome {
    /// The outcome of `p` shown alone: its high-risk count through the guard.
    pub fn of(p: &[f64], threshold: f64, guard: &KGuard) -> Outcome {
        Outcome::with(p, guard.part_count(high_count(p, threshold), p.len() as u64))
    }

    /// The outcome of `p` with its high-risk count as the guard let it through with the counts shown beside it
    /// (one [`KGuard::series`]).
    pub fn with(p: &[f64], high_risk_count: Figure<u64>) -> Outcome {
        let expected = p.iter().sum::<f64>();
        Outcome {
            people: p.len() as u64,
            high_risk_count,
            expected_distress: expected,
            mean_probability: expected / p.len().max(1) as f64,
        }
    }
}

/// A population before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PopulationImpact {
    pub shock: Shock,
    pub threshold: f64,
    pub job_losses: Figure<u64>,
    pub baseline: Outcome,
    pub scenario: Outcome,
    /// A change of a count: withheld when 1..k−1 people moved.
    pub high_risk_change: Figure<i64>,
    pub expected_distress_change: f64,
    /// PSI of the shocked scores against the training population's.
    pub score_psi: Psi,
}

/// Rescoring a whole population. `baseline` may pass the population's current probabilities to save a pass.
pub fn population(
    artifact: &Artifact,
    people: &Population,
    baseline: Option<&[f64]>,
    shock: &Shock,
    threshold: f64,
    guard: &KGuard,
) -> Result<(PopulationImpact, Vec<f64>)> {
    if !(0.0..=1.0).contains(&threshold) {
        return Err(Error::Shock { field: "threshold", detail: format!("must be between 0 and 1, got {threshold}") });
    }
    let computed;
    let before = match baseline {
        Some(p) => p,
        None => {
            computed = score(artifact, people)?.1;
            &computed
        }
    };
    let (shocked, job_losses) = apply(people, shock)?;
    let (_, after) = score(artifact, &shocked)?;
    // Both counts show in one document: their difference must be safe too.
    let series = guard.series(before.len() as u64, &[high_count(before, threshold), high_count(&after, threshold)]);
    let (baseline, scenario) = (Outcome::with(before, series[0]), Outcome::with(&after, series[1]));
    let impact = PopulationImpact {
        shock: *shock,
        threshold,
        job_losses: guard.part_count(job_losses, before.len() as u64),
        high_risk_change: guard.count_change(&scenario.high_risk_count, &baseline.high_risk_count).map(|d| d as i64),
        expected_distress_change: scenario.expected_distress - baseline.expected_distress,
        score_psi: drift::psi("score", &artifact.drift_reference.score, &after),
        baseline,
        scenario,
    };
    Ok((impact, after))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::features::tests::population;

    #[test]
    fn shocks_change_the_indicators_they_name() {
        let pop = population(50);
        let shock = Shock { medical_cost_pct: 30.0, income_pct: -10.0, ..Default::default() };
        let (shocked, lost) = apply(&pop, &shock).unwrap();
        assert_eq!(lost, 0);
        let (a, b) = (pop.numbers("medical_cost_12m").unwrap(), shocked.numbers("medical_cost_12m").unwrap());
        assert!(a.iter().zip(&b).all(|(a, b)| (a * 1.3 - b).abs() < 1e-9));
        let (a, b) = (pop.numbers("income").unwrap(), shocked.numbers("income").unwrap());
        assert!(a.iter().zip(&b).all(|(a, b)| (a * 0.9 - b).abs() < 1e-9));
        assert_eq!(pop.text("masked_id").unwrap(), shocked.text("masked_id").unwrap());
    }

    #[test]
    fn unemployment_points_pick_the_same_people_every_time() {
        let pop = population(1_000);
        let shock = Shock { unemployment_points: 5.0, ..Default::default() };
        let (a, lost) = apply(&pop, &shock).unwrap();
        let (b, _) = apply(&pop, &shock).unwrap();
        assert_eq!(lost, 50);
        assert_eq!(a.text("employment").unwrap(), b.text("employment").unwrap());
        let before = pop.text("employment").unwrap().iter().filter(|e| **e == "unemployed").count();
        let after = a.text("employment").unwrap().iter().filter(|e| **e == "unemployed").count();
        assert_eq!(after - before, 50);
    }

    #[test]
    fn out_of_range_shocks_name_the_field() {
        let err = Shock { medical_cost_pct: f64::NAN, ..Default::default() }.validate().unwrap_err();
        assert!(err.to_string().starts_with("medicalCostPct"), "{err}");
        let err = Shock { income_pct: -150.0, ..Default::default() }.validate().unwrap_err();
        assert!(err.to_string().starts_with("incomePct"), "{err}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<Shock>(r#"{"medicalCost": 30}"#).unwrap_err();
        assert!(err.to_string().contains("medicalCost"), "{err}");
    }
}
