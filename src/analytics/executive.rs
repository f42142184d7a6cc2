//! The executive view: headline figures now and 3 and 12 months ago, regions, credit groups and the monthly trend,
//! over the people a filter admits, each through the k-anonymity guard.

use super::{Filter, Portfolio, Result, SNAPSHOT_MONTHS, check_threshold};
use crate::catalog::{CREDIT_GROUP_NAMES, REGIONS};
use crate::privacy::{GuardedGroup, KGuard};
use serde::Serialize;

/// Executive views kept in the cache before it is emptied.
const EXECUTIVE_CACHE: usize = 256;

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
