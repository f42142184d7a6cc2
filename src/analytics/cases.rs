//! The case list (highest risk first, filtered and paged) and the case page with its what-if: masked IDs and
//! indicators only; and the population what-if of the people a filter admits, kept once computed.

use super::{Error, Filter, Indicator, Portfolio, Result, check_threshold};
use crate::catalog::{AGE_BANDS, CREDIT_GROUP_NAMES, REGIONS};
use crate::model;
use crate::model::explain::{self, Reason};
use crate::model::whatif::{self, PersonImpact, Shock};
use crate::privacy::{Figure, KGuard};
use serde::Serialize;

/// A population what-if in the cache: the shock's three drivers, the filter, the threshold and k.
pub(super) type WhatIfKey = ([u64; 3], Filter, u64, u64);

/// One row of the case list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseRow {
    pub masked_id: String,
    pub region: &'static str,
    pub credit_group: &'static str,
    pub age_band: &'static str,
    pub probability: f64,
    pub points: f64,
    pub high_risk: bool,
    pub reasons: Vec<String>,
}

/// A page of the case list, highest risk first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CasePage {
    /// The cases that match, through the guard like any count (`null` for 1..k−1): the page's rows are the
    /// role's to see, but a count of them is an aggregate differencing could use.
    pub total: Figure<u64>,
    pub offset: u64,
    pub limit: u64,
    pub threshold: f64,
    pub model_version: String,
    pub cases: Vec<CaseRow>,
}

/// The most cases one page may hold.
pub const MAX_PAGE: u64 = 200;

/// Which cases a page shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CaseQuery {
    pub filter: Filter,
    /// Only people showing this indicator.
    pub indicator: Option<Indicator>,
    pub threshold: f64,
    pub offset: u64,
    pub limit: u64,
}

impl Portfolio {
    /// Cases matching the query's filter (and indicator), highest probability first, `limit` from `offset`.
    pub fn cases(&self, query: CaseQuery, guard: &KGuard) -> Result<CasePage> {
        let CaseQuery { filter, indicator, threshold, offset, limit } = query;
        check_threshold(threshold)?;
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Error::OutOfRange {
                parameter: "limit", detail: format!("must be 1–{MAX_PAGE}, got {limit}")
            });
        }
        let bit = indicator.map_or(0, Indicator::bit);
        let matching =
            self.by_risk.iter().map(|&i| i as usize).filter(|&i| {
                filter.admits(self.region[i], self.credit[i], self.age[i]) && self.indicators[i] & bit == bit
            });
        let mut total = 0u64;
        let mut cases = Vec::new();
        for i in matching {
            if total >= offset && (cases.len() as u64) < limit {
                cases.push(self.case_row(i, threshold));
            }
            total += 1;
        }
        if offset > 0 && offset >= total {
            return Err(Error::OutOfRange {
                parameter: "offset",
                detail: match guard.count(total).get() {
                    Some(total) => format!("is past the end: {total} cases match"),
                    None => "is past the end of the cases that match".into(),
                },
            });
        }
        let total = guard.count(total);
        Ok(CasePage { total, offset, limit, threshold, model_version: self.artifact.version.clone(), cases })
    }

    fn case_row(&self, i: usize, threshold: f64) -> CaseRow {
        let p = self.snapshots[0].p[i];
        CaseRow {
            masked_id: self.ids[i].clone(),
            region: REGIONS[self.region[i] as usize].code,
            credit_group: CREDIT_GROUP_NAMES[self.credit[i] as usize],
            age_band: AGE_BANDS[self.age[i] as usize],
            probability: p,
            points: model::points(p).round(),
            high_risk: p >= threshold,
            reasons: explain::top_reasons(&self.artifact, &self.x.row(i).to_vec())
                .into_iter()
                .map(|r| r.text)
                .collect(),
        }
    }
}

/// One indicator on the case page.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndicatorValue {
    pub name: &'static str,
    pub value: f64,
}

/// A case page: masked ID, attributes, indicators, the probability with its reasons and history.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseDetail {
    #[serde(flatten)]
    pub row: CaseRow,
    pub region_name: &'static str,
    pub employment: String,
    pub insurer_member: bool,
    pub financial: Vec<IndicatorValue>,
    pub medical: Vec<IndicatorValue>,
    /// Probability 3 and 12 months before the observation date, with the same model.
    pub probability_3m_ago: Option<f64>,
    pub probability_12m_ago: Option<f64>,
    /// Every input's contribution to the log odds, largest first.
    pub contributions: Vec<Reason>,
}

/// What a flagged case's hand-off signal carries about it: nothing but its region and its risk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignalFacts {
    /// The region's code.
    pub region: &'static str,
    pub probability: f64,
    /// Its probability 3 months earlier, when it was in that snapshot.
    pub earlier: Option<f64>,
}

impl Portfolio {
    /// A case's facts for its hand-off signal; `None` if no one in the population has the masked ID.
    pub fn signal_facts(&self, masked_id: &str) -> Option<SignalFacts> {
        let i = self.row_of(masked_id)?;
        Some(SignalFacts {
            region: REGIONS[self.region[i] as usize].code,
            probability: self.snapshots[0].p[i],
            earlier: Some(self.snapshots[1].p[i]).filter(|p| p.is_finite()),
        })
    }

    /// The case page of a masked ID; `None` if no one in the population has it.
    pub fn case(&self, masked_id: &str, threshold: f64) -> Result<Option<CaseDetail>> {
        check_threshold(threshold)?;
        let Some(i) = self.row_of(masked_id) else {
            return Ok(None);
        };
        let person = self.population.row(i);
        let number = |name: &str| person.numbers(name).map(|v| v[0]);
        let pick = |names: &[&'static str]| {
            names.iter().map(|&name| Ok(IndicatorValue { name, value: number(name)? })).collect::<Result<Vec<_>>>()
        };
        let history = |s: usize| Some(self.snapshots[s].p[i]).filter(|p| p.is_finite());
        Ok(Some(CaseDetail {
            row: self.case_row(i, threshold),
            region_name: REGIONS[self.region[i] as usize].name,
            employment: person.text("employment")?[0].to_owned(),
            insurer_member: person.flags("insurer_member")?[0],
            financial: pick(&[
                "income",
                "debt",
                "credit_score",
                "loan_amount",
                "missed_payments_12m",
                "overdrafts_12m",
            ])?,
            medical: pick(&[
                "chronic_conditions",
                "claims_12m",
                "denied_claims_12m",
                "medical_cost_12m",
                "out_of_pocket_12m",
            ])?,
            probability_3m_ago: history(1),
            probability_12m_ago: history(2),
            contributions: explain::grouped(&self.artifact, &self.x.row(i).to_vec()),
        }))
    }

    /// Rescoring one case with shocked drivers; `None` if no one has the masked ID.
    /// The people `filter` admits rescored under `shock`, against their probabilities now (computed once per
    /// distinct shock, filter, threshold and k: a rescoring of a million people takes a fifth of a second).
    pub fn population_what_if(
        &self,
        shock: &Shock,
        filter: Filter,
        threshold: f64,
        guard: &KGuard,
    ) -> Result<std::sync::Arc<whatif::PopulationImpact>> {
        shock.validate()?;
        check_threshold(threshold)?;
        let key: WhatIfKey = (
            [shock.medical_cost_pct, shock.income_pct, shock.unemployment_points].map(f64::to_bits),
            filter,
            threshold.to_bits(),
            guard.k(),
        );
        if let Some(hit) = self.what_if_cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(hit);
        }
        let (population, baseline) = if filter == Filter::default() {
            (self.population.clone(), self.snapshots[0].p.clone())
        } else {
            let mask = self.mask(filter);
            let p = self.snapshots[0].p.iter().zip(&mask).filter(|(_, m)| **m).map(|(p, _)| *p).collect();
            (self.population.filter(&mask)?, p)
        };
        let (impact, _) = whatif::population(&self.artifact, &population, Some(&baseline), shock, threshold, guard)?;
        let impact = std::sync::Arc::new(impact);
        if let Ok(mut cache) = self.what_if_cache.lock() {
            if cache.len() >= 64 {
                cache.clear();
            }
            cache.insert(key, impact.clone());
        }
        Ok(impact)
    }

    pub fn what_if(&self, masked_id: &str, shock: &Shock) -> Result<Option<PersonImpact>> {
        shock.validate()?;
        if shock.unemployment_points != 0.0 {
            return Err(Error::OutOfRange {
                parameter: "unemploymentPoints",
                detail: "is a population shock; for one person use \"unemployed\": true".into(),
            });
        }
        let Some(i) = self.row_of(masked_id) else {
            return Ok(None);
        };
        Ok(Some(whatif::person(&self.artifact, &self.population.row(i), shock)?))
    }
}
