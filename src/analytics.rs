//! Dashboard analytics: the scored population held in memory, and the views over it. Pure: no I/O.
//!
//! A [`Portfolio`] is built once per server from the warehouse: the population as of the observation date and
//! as of 3 and 12 months earlier (scored with the same model), and the monthly trend cube. Every view is then
//! one pass over in-memory columns, so a threshold or filter change costs milliseconds even at a million
//! people. Every count and every statistic of a group leaves through the k-anonymity guard; case lists show
//! masked IDs and indicators only.

use crate::model::explain::{self, Reason};
use crate::model::whatif::{self, PersonImpact, Shock};
use crate::model::{self, Artifact, Population};
use crate::privacy::{GuardedGroup, KGuard};
use crate::catalog::{AGE_BANDS, CREDIT_GROUP_NAMES, REGIONS, region_codes};
use ndarray::Array2;
use serde::Serialize;
use std::collections::HashMap;

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
    /// Executive views already computed, by (threshold bits, filter, k): dashboards ask the same ones again.
    executive_cache: std::sync::Mutex<HashMap<(u64, Filter, u64), std::sync::Arc<Executive>>>,
}

/// Executive views kept in the cache before it is emptied.
const EXECUTIVE_CACHE: usize = 256;

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
            value: value.chars().take(40).collect(),
            valid: Indicator::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
        })
    }
}

fn lookup(parameter: &'static str, value: &str, valid: &[&str]) -> Result<u8> {
    valid.iter().position(|v| *v == value).map(|i| i as u8).ok_or_else(|| Error::UnknownValue {
        parameter,
        value: value.chars().take(40).collect(),
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
        let region = population.text("region")?.iter().map(|r| lookup("region", r, &codes)).collect::<Result<_>>()?;
        let credit = population
            .text("credit_group")?
            .iter()
            .map(|c| lookup("creditGroup", c, &CREDIT_GROUP_NAMES))
            .collect::<Result<_>>()?;
        let age = population
            .text("age_band")?
            .iter()
            .map(|a| lookup("ageBand", a, &AGE_BANDS))
            .collect::<Result<_>>()?;
        let exposure = population.numbers("medical_cost_12m")?;
        let indicators = x.rows().into_iter().map(indicators_of).collect();
        let mut snapshots = vec![Snapshot { p, exposure }];
        for then in history {
            let (_, p_then) = model::score(&artifact, &then)?;
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
            executive_cache: Default::default(),
        })
    }

    pub fn artifact(&self) -> &Artifact {
        &self.artifact
    }

    /// The population now (as of the observation date).
    pub fn population(&self) -> &Population {
        &self.population
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

    /// Whether someone in the population has this masked ID.
    pub fn contains(&self, masked_id: &str) -> bool {
        self.index.contains_key(masked_id)
    }

    fn row_of(&self, masked_id: &str) -> Option<usize> {
        self.index.get(masked_id).map(|&i| i as usize)
    }
}

fn check_threshold(threshold: f64) -> Result<()> {
    if (0.0..=1.0).contains(&threshold) {
        Ok(())
    } else {
        Err(Error::OutOfRange { parameter: "threshold", detail: format!("must be between 0 and 1, got {threshold}") })
    }
}

/// Sums over one group of people as of one snapshot.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    people: u64,
    high: u64,
    p: f64,
    exposure: f64,
}

impl Sums {
    fn add(&mut self, p: f64, exposure: f64, threshold: f64) {
        self.people += 1;
        self.high += u64::from(p >= threshold);
        self.p += p;
        self.exposure += exposure;
    }
}

/// A headline figure now, and its change over the last 3 and 12 months; `None` when the guard suppressed it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kpi {
    pub value: Option<f64>,
    pub change_3m: Option<f64>,
    pub change_12m: Option<f64>,
}

/// The executive view's headline figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kpis {
    pub people: Kpi,
    pub high_risk_count: Kpi,
    pub high_risk_share: Kpi,
    pub expected_distress: Kpi,
    pub mean_probability: Kpi,
    pub medical_exposure: Kpi,
}

/// One region's statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionStats {
    pub name: &'static str,
    /// (row, column) in the 8 × 11 tile-grid map.
    pub tile: (u8, u8),
    pub mean_probability: f64,
    pub high_risk_share: f64,
    pub medical_exposure: f64,
    /// This region's share of the view's medical exposure.
    pub exposure_share: f64,
    pub exposure_per_person: f64,
}

/// One credit group's statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditStats {
    pub mean_probability: f64,
    pub high_risk_share: f64,
    pub medical_exposure: f64,
}

/// One month of the trend: people with each kind of event (guarded), and the medical cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrendPoint {
    pub month: String,
    pub missed_payment: Option<u64>,
    pub overdraft: Option<u64>,
    pub claim: Option<u64>,
    pub medical_cost: Option<f64>,
    pub suppressed: bool,
}

/// The executive view.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Executive {
    pub threshold: f64,
    pub model_version: String,
    pub k: u64,
    /// Months before the observation date of the comparison snapshots.
    pub snapshot_months: [u32; 3],
    /// `true` when the filtered population is below k and every figure is withheld.
    pub suppressed: bool,
    pub kpis: Kpis,
    pub regions: Vec<GuardedGroup<String, RegionStats>>,
    pub credit_groups: Vec<GuardedGroup<String, CreditStats>>,
    pub trends: Vec<TrendPoint>,
}

impl Portfolio {
    /// The executive view at `threshold` over the people `filter` admits (computed once per distinct request).
    pub fn executive(&self, threshold: f64, filter: Filter, guard: &KGuard) -> Result<std::sync::Arc<Executive>> {
        check_threshold(threshold)?;
        let key = (threshold.to_bits(), filter, guard.k());
        if let Some(view) = self.executive_cache.lock().ok().and_then(|cache| cache.get(&key).cloned()) {
            return Ok(view);
        }
        let view = std::sync::Arc::new(self.compute_executive(threshold, filter, guard));
        if let Ok(mut cache) = self.executive_cache.lock() {
            if cache.len() >= EXECUTIVE_CACHE {
                cache.clear();
            }
            cache.insert(key, view.clone());
        }
        Ok(view)
    }

    fn compute_executive(&self, threshold: f64, filter: Filter, guard: &KGuard) -> Executive {
        let mut totals = [Sums::default(); 3];
        let mut regions = vec![Sums::default(); REGIONS.len()];
        let mut credits = vec![Sums::default(); CREDIT_GROUP_NAMES.len()];
        for i in 0..self.len() {
            let (r, c) = (self.region[i], self.credit[i]);
            if !filter.admits(r, c, self.age[i]) {
                continue;
            }
            for (s, snapshot) in self.snapshots.iter().enumerate() {
                totals[s].add(snapshot.p[i], snapshot.exposure[i], threshold);
            }
            let now = &self.snapshots[0];
            regions[r as usize].add(now.p[i], now.exposure[i], threshold);
            credits[c as usize].add(now.p[i], now.exposure[i], threshold);
        }
        // A figure is shown only if its group is at least k; a count of high-risk people also needs its
        // complement (the others) to be safe.
        let visible = |s: &Sums| guard.shows(s.people);
        let high_visible = |s: &Sums| guard.part(s.high, s.people).is_some();
        let kpi = |f: &dyn Fn(&Sums) -> Option<f64>| {
            let value = f(&totals[0]);
            let change = |s: usize| value.zip(f(&totals[s])).map(|(a, b)| a - b);
            Kpi { value, change_3m: change(1), change_12m: change(2) }
        };
        let share = |s: &Sums| s.people.max(1) as f64;
        let kpis = Kpis {
            people: kpi(&|s| visible(s).then_some(s.people as f64)),
            high_risk_count: kpi(&|s| (visible(s) && high_visible(s)).then_some(s.high as f64)),
            high_risk_share: kpi(&|s| (visible(s) && high_visible(s)).then(|| s.high as f64 / share(s))),
            expected_distress: kpi(&|s| visible(s).then_some(s.p)),
            mean_probability: kpi(&|s| visible(s).then(|| s.p / share(s))),
            medical_exposure: kpi(&|s| visible(s).then_some(s.exposure)),
        };
        let total_exposure = totals[0].exposure.max(1e-9);
        let regions = guard.groups(
            REGIONS
                .iter()
                .zip(&regions)
                .map(|(region, s)| {
                    let stats = RegionStats {
                        name: region.name,
                        tile: region.tile,
                        mean_probability: s.p / share(s),
                        high_risk_share: s.high as f64 / share(s),
                        medical_exposure: s.exposure,
                        exposure_share: s.exposure / total_exposure,
                        exposure_per_person: s.exposure / share(s),
                    };
                    (region.code.to_owned(), s.people, stats)
                })
                .collect(),
        );
        let credit_groups = guard.groups(
            CREDIT_GROUP_NAMES
                .iter()
                .zip(&credits)
                .map(|(name, s)| {
                    let stats = CreditStats {
                        mean_probability: s.p / share(s),
                        high_risk_share: s.high as f64 / share(s),
                        medical_exposure: s.exposure,
                    };
                    ((*name).to_owned(), s.people, stats)
                })
                .collect(),
        );
        Executive {
            threshold,
            model_version: self.artifact.version.clone(),
            k: guard.k(),
            snapshot_months: SNAPSHOT_MONTHS,
            suppressed: !visible(&totals[0]),
            kpis,
            regions,
            credit_groups,
            trends: self.trends(filter, totals[0].people, guard),
        }
    }

    /// The monthly trend over the people `filter` admits (`people` of them).
    fn trends(&self, filter: Filter, people: u64, guard: &KGuard) -> Vec<TrendPoint> {
        let mut sums = vec![[0.0f64; 4]; self.months.len()];
        for (month, r, c, a, values) in &self.trends {
            if filter.admits(*r, *c, *a) {
                for (s, v) in sums[*month as usize].iter_mut().zip(values) {
                    *s += v;
                }
            }
        }
        let population_visible = guard.shows(people);
        self.months
            .iter()
            .zip(sums)
            .map(|(month, [missed, overdraft, claim, cost])| {
                // Each count is people with such an event among `people`: shown only if it and its complement
                // are safe.
                let count = |n: f64| guard.part(n as u64, people).filter(|_| population_visible);
                let (missed, overdraft, claim) = (count(missed), count(overdraft), count(claim));
                TrendPoint {
                    month: month.clone(),
                    suppressed: missed.is_none() || overdraft.is_none() || claim.is_none(),
                    missed_payment: missed,
                    overdraft,
                    claim,
                    medical_cost: population_visible.then_some(cost),
                }
            })
            .collect()
    }
}

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
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    pub threshold: f64,
    pub model_version: String,
    pub cases: Vec<CaseRow>,
}

/// The most cases one page may hold.
pub const MAX_PAGE: u64 = 200;

impl Portfolio {
    /// Cases matching `filter` (and `indicator`), highest probability first, `limit` from `offset`.
    pub fn cases(
        &self,
        filter: Filter,
        indicator: Option<Indicator>,
        threshold: f64,
        offset: u64,
        limit: u64,
    ) -> Result<CasePage> {
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
                detail: format!("is past the end: {total} cases match"),
            });
        }
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

impl Portfolio {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::features::tests::population;

    fn portfolio(n: usize) -> Portfolio {
        let artifact = crate::model::tests::small_model();
        let now = population(n);
        // Three months ago everyone had fewer missed payments.
        let then =
            now.with_columns(vec![polars::prelude::col("missed_payments_12m") * polars::prelude::lit(0.5)]).unwrap();
        let trends = vec![TrendRow {
            month: "2025-12".into(),
            region: "CA".into(),
            credit_group: "prime".into(),
            age_band: "18-24".into(),
            missed_payment: 20,
            overdraft: 3,
            claim: 30,
            medical_cost: 1000.0,
        }];
        Portfolio::build(artifact, now, [then.clone(), then], trends).unwrap()
    }

    #[test]
    fn a_higher_threshold_flags_fewer_people() {
        let p = portfolio(600);
        let guard = KGuard::default();
        let low = p.executive(0.1, Filter::default(), &guard).unwrap();
        let high = p.executive(0.3, Filter::default(), &guard).unwrap();
        assert_eq!(low.kpis.people.value, Some(600.0));
        assert!(low.kpis.high_risk_count.value.unwrap() > high.kpis.high_risk_count.value.unwrap());
        // Nearly everyone flagged: the few not flagged would be derivable, so the count is withheld.
        let all = p.executive(0.0, Filter::default(), &guard).unwrap();
        assert_eq!(all.kpis.high_risk_count.value, Some(600.0));
        // Missed payments doubled over three months: risk rose.
        assert!(low.kpis.expected_distress.change_3m.unwrap() > 0.0);
        assert_eq!(low.kpis.expected_distress, high.kpis.expected_distress);
    }

    #[test]
    fn small_groups_are_suppressed_not_zero() {
        let p = portfolio(600);
        let guard = KGuard::default();
        let view = p.executive(0.2, Filter::default(), &guard).unwrap();
        let ca = view.regions.iter().find(|r| r.label == "CA").unwrap();
        assert_eq!(ca.count, Some(200));
        let wy = view.regions.iter().find(|r| r.label == "WY").unwrap();
        assert_eq!((wy.count, wy.suppressed), (Some(0), false));
        // One cell of 20 missed payments among 200 CA/prime/18-24 people: visible only with the right filter.
        let filtered = p.filter(Some("CA"), None, Some("18-24")).unwrap();
        let view = p.executive(0.2, filtered, &guard).unwrap();
        assert_eq!(view.kpis.people.value, Some(100.0));
        assert_eq!(view.trends[0].missed_payment, Some(20));
        // Ten people: everything withheld.
        let small = portfolio(60);
        let view = small.executive(0.2, small.filter(Some("CA"), None, Some("18-24")).unwrap(), &guard).unwrap();
        assert!(view.suppressed && view.kpis.people.value.is_none() && view.kpis.mean_probability.value.is_none());
    }

    #[test]
    fn unknown_filter_values_name_the_parameter() {
        let p = portfolio(60);
        let err = p.filter(None, Some("platinum"), None).unwrap_err();
        assert!(err.to_string().starts_with("creditGroup: unknown value `platinum`"), "{err}");
        assert!(
            p.executive(1.5, Filter::default(), &KGuard::default()).unwrap_err().to_string().starts_with("threshold")
        );
    }

    #[test]
    fn cases_come_highest_risk_first_and_page() {
        let p = portfolio(300);
        let page = p.cases(Filter::default(), None, 0.2, 0, 10).unwrap();
        assert_eq!((page.total, page.cases.len()), (300, 10));
        assert!(page.cases.windows(2).all(|w| w[0].probability >= w[1].probability));
        let next = p.cases(Filter::default(), None, 0.2, 10, 10).unwrap();
        assert!(next.cases[0].probability <= page.cases[9].probability);
        let unemployed = p.cases(Filter::default(), Some(Indicator::Unemployed), 0.2, 0, 200).unwrap();
        assert_eq!(unemployed.total, 300 / 7 + 1);
        assert!(p.cases(Filter::default(), None, 0.2, 300, 10).unwrap_err().to_string().starts_with("offset"));
        assert!(p.cases(Filter::default(), None, 0.2, 0, 0).unwrap_err().to_string().starts_with("limit"));
    }

    #[test]
    fn a_case_page_and_its_what_if() {
        let p = portfolio(60);
        let id = "SH-TEST-0004";
        let case = p.case(id, 0.2).unwrap().unwrap();
        assert_eq!(case.row.masked_id, id);
        assert!(case.probability_3m_ago.unwrap() < case.row.probability);
        let impact = p.what_if(id, &Shock { income_pct: -50.0, ..Default::default() }).unwrap().unwrap();
        assert!((impact.old_probability - case.row.probability).abs() < 1e-12);
        assert!(impact.new_probability > impact.old_probability);
        assert!(p.case("SH-NONE-0000", 0.2).unwrap().is_none());
        let err = p.what_if(id, &Shock { unemployment_points: 3.0, ..Default::default() }).unwrap_err();
        assert!(err.to_string().starts_with("unemploymentPoints"));
    }
}

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
                            number(s.map(|s| s.high_risk_share)),
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
                            number(s.map(|s| s.high_risk_share)),
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
                            count(t.missed_payment),
                            count(t.overdraft),
                            count(t.claim),
                            number(t.medical_cost),
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
