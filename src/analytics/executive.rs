//! The executive view: headline figures now and 3 and 12 months ago, regions, credit groups and the monthly trend,
//! over the people a filter admits, each through the k-anonymity guard.

use super::{Filter, Portfolio, Result, SNAPSHOT_MONTHS, check_threshold};
use crate::catalog::{AGE_BANDS, CREDIT_GROUP_NAMES, REGIONS};
use crate::privacy::{Figure, GuardedGroup, KGuard};
use serde::Serialize;

/// Executive views kept in the cache before it is emptied.
const EXECUTIVE_CACHE: usize = 256;

/// An executive view in the cache: (threshold bits, filter, k, and the release's noise seed for a noisy one).
pub(super) type ViewKey = (u64, Filter, u64, Option<[u8; 32]>);

/// Each group's statistics through the guard: counts with complementary suppression, high-risk shares complemented
/// across the groups.
fn group_stats(names: &[&str], sums: &[Sums], guard: &KGuard) -> Vec<GuardedGroup<String, CreditStats>> {
    let shares = guard.shares(&sums.iter().map(|s| (s.people, s.high)).collect::<Vec<_>>());
    guard.groups(
        names
            .iter()
            .zip(sums)
            .zip(shares)
            .map(|((name, s), high_risk_share)| {
                let per = s.people.max(1) as f64;
                let stats = CreditStats { mean_probability: s.p / per, high_risk_share, medical_exposure: s.exposure };
                ((*name).to_owned(), s.people, stats)
            })
            .collect(),
    )
}

/// Sums over one group of people as of one snapshot.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Sums {
    pub(super) people: u64,
    pub(super) high: u64,
    pub(super) p: f64,
    pub(super) exposure: f64,
}

/// Everything the executive view is computed from: the sums over the people a filter admits (now and at the two
/// earlier snapshots), by region and credit group now, and the trend cube's months.
pub(super) struct Raw {
    pub(super) totals: [Sums; 3],
    pub(super) regions: Vec<Sums>,
    pub(super) credits: Vec<Sums>,
    /// Per month: people with a missed payment, an overdraft, a claim; and the medical cost (`None` withheld).
    pub(super) months: Vec<([f64; 3], Option<f64>)>,
}

impl Sums {
    fn add(&mut self, p: f64, exposure: f64, threshold: f64) {
        self.people += 1;
        self.high += u64::from(p >= threshold);
        self.p += p;
        self.exposure += exposure;
    }
}

/// A headline figure now, and its change over the last 3 and 12 months; `null` where the guard withheld it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kpi {
    pub value: Figure<f64>,
    pub change_3m: Figure<f64>,
    pub change_12m: Figure<f64>,
}

impl Kpi {
    fn withheld() -> Kpi {
        Kpi { value: Figure::withheld(), change_3m: Figure::withheld(), change_12m: Figure::withheld() }
    }
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
    /// `null` when the region's high-risk people, or the others, would be 1..k−1, or when they are withheld so
    /// that such a region's cannot be recovered from the rest.
    pub high_risk_share: Figure<f64>,
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
    /// Withheld as a region's is.
    pub high_risk_share: Figure<f64>,
    pub medical_exposure: f64,
}

/// One month of the trend: people with each kind of event (guarded), and the medical cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrendPoint {
    pub month: String,
    pub missed_payment: Figure<u64>,
    pub overdraft: Figure<u64>,
    pub claim: Figure<u64>,
    pub medical_cost: Figure<f64>,
    pub suppressed: bool,
}

/// The noise of one family of figures: its ε and sensitivity, and each figure's 95 % half-width in the figure's
/// own units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Family {
    pub epsilon: f64,
    /// People (counts), probability (Σ p, in probability), dollars (exposure).
    pub people: f64,
    pub high_risk: f64,
    pub expected_distress: f64,
    pub medical_exposure: f64,
}

/// What a noisy executive view says about its noise.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DpRelease {
    pub mechanism: &'static str,
    /// What this release cost.
    pub epsilon: f64,
    pub exposure_bound: u64,
    pub regions: Family,
    pub credit_groups: Family,
    /// The headline figures, released on their own.
    pub kpis: Family,
    /// A change over 3 or 12 months: a headline figure less a noisy snapshot total.
    pub changes: Family,
    /// A month's count of people.
    pub trend_count: f64,
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
    /// `true` when every figure is withheld: the filtered population is below k, or the region or credit group
    /// it is filtered to is withheld in the unfiltered view (`withheldBecause` says which).
    pub suppressed: bool,
    /// Why figures of a filtered view are withheld that its own counts would allow: what the unfiltered view
    /// withholds stays withheld when filtered to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withheld_because: Option<String>,
    pub kpis: Kpis,
    pub regions: Vec<GuardedGroup<String, RegionStats>>,
    pub credit_groups: Vec<GuardedGroup<String, CreditStats>>,
    pub trends: Vec<TrendPoint>,
    /// Under differential privacy: the figures are noisy, and this says how much (ε and the 95 % intervals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dp: Option<DpRelease>,
}

impl Portfolio {
    /// The executive view at `threshold` over the people `filter` admits (computed once per distinct request).
    pub fn executive(&self, threshold: f64, filter: Filter, guard: &KGuard) -> Result<std::sync::Arc<Executive>> {
        check_threshold(threshold)?;
        self.cached((threshold.to_bits(), filter, guard.k(), None), || {
            let mut view = self.compute_executive(threshold, filter, guard);
            if filter.region.is_some() || filter.credit_group.is_some() {
                self.withhold_as_unfiltered(&mut view, threshold, filter, guard)?;
            }
            Ok(view)
        })
    }

    /// The view under `key` from the cache, or computed (with the cache unlocked meanwhile) and kept.
    pub(super) fn cached(
        &self,
        key: ViewKey,
        compute: impl FnOnce() -> Result<Executive>,
    ) -> Result<std::sync::Arc<Executive>> {
        if let Some(view) = self.executive_cache.lock().ok().and_then(|cache| cache.get(&key).cloned()) {
            return Ok(view);
        }
        let view = std::sync::Arc::new(compute()?);
        if let Ok(mut cache) = self.executive_cache.lock() {
            if cache.len() >= EXECUTIVE_CACHE {
                cache.clear();
            }
            cache.insert(key, view.clone());
        }
        Ok(view)
    }

    fn compute_executive(&self, threshold: f64, filter: Filter, guard: &KGuard) -> Executive {
        let raw = self.raw(threshold, filter, None);
        self.figures(threshold, raw, guard)
    }

    /// The sums a view rests on; with `exposure_bound`, each person's medical exposure counts up to it.
    pub(super) fn raw(&self, threshold: f64, filter: Filter, exposure_bound: Option<f64>) -> Raw {
        let mut totals = [Sums::default(); 3];
        let mut regions = vec![Sums::default(); REGIONS.len()];
        let mut credits = vec![Sums::default(); CREDIT_GROUP_NAMES.len()];
        let bound = {
            let b = exposure_bound.unwrap_or(f64::INFINITY);
            move |e: f64| e.min(b)
        };
        for i in 0..self.len() {
            let (r, c) = (self.region[i], self.credit[i]);
            if !filter.admits(r, c, self.age[i]) {
                continue;
            }
            for (s, snapshot) in self.snapshots.iter().enumerate() {
                totals[s].add(snapshot.p[i], bound(snapshot.exposure[i]), threshold);
            }
            let now = &self.snapshots[0];
            regions[r as usize].add(now.p[i], bound(now.exposure[i]), threshold);
            credits[c as usize].add(now.p[i], bound(now.exposure[i]), threshold);
        }
        let mut months = vec![[0.0f64; 4]; self.months.len()];
        for (month, r, c, a, values) in &self.trends {
            if filter.admits(*r, *c, *a) {
                for (s, v) in months[*month as usize].iter_mut().zip(values) {
                    *s += v;
                }
            }
        }
        let months = months.into_iter().map(|[m, o, c, cost]| ([m, o, c], Some(cost))).collect();
        Raw { totals, regions, credits, months }
    }

    /// The view's figures from its sums, every one through the guard.
    pub(super) fn figures(&self, threshold: f64, raw: Raw, guard: &KGuard) -> Executive {
        let Raw { totals, regions, credits, months } = raw;
        // Every figure leaves through the guard, from the counts it rests on: a count needs its group safe, a
        // high-risk count or share also the others of its group; a change of a count is a count.
        // The counts now and 3 and 12 months ago are one series: the changes shown reveal each count's difference
        // from the others, so no two of them may be 1..k−1 apart.
        let count_kpi = |raw: [u64; 3], total: u64| {
            let shown = guard.series(total, &raw);
            let group = guard.count(total);
            let change = |s: usize| match (shown[0].and(&group).get(), shown[s].get()) {
                (Some(now), Some(then)) => guard.statistic(total, now as f64 - then as f64),
                _ => Figure::withheld(),
            };
            Kpi { value: shown[0].and(&group).map(|c| c as f64), change_3m: change(1), change_12m: change(2) }
        };
        let statistic = |f: &dyn Fn(&Sums) -> f64| totals.map(|s| guard.statistic(s.people, f(&s)));
        let statistic_kpi = |v: [Figure<f64>; 3]| Kpi {
            value: v[0],
            change_3m: guard.change(&v[0], &v[1]),
            change_12m: guard.change(&v[0], &v[2]),
        };
        let people_now = totals[0].people;
        let high_count = count_kpi(totals.map(|s| s.high), people_now);
        let high_share = totals.map(|s| guard.share(s.high, s.people));
        // A share's change reveals what the count's change would.
        let share_change =
            |s: usize, count_change: &Figure<f64>| guard.change(&high_share[0], &high_share[s]).and(count_change);
        let high_risk_share = Kpi {
            value: high_share[0],
            change_3m: share_change(1, &high_count.change_3m),
            change_12m: share_change(2, &high_count.change_12m),
        };
        let kpis = Kpis {
            people: count_kpi(totals.map(|s| s.people), people_now),
            high_risk_count: high_count,
            high_risk_share,
            expected_distress: statistic_kpi(statistic(&|s| s.p)),
            mean_probability: statistic_kpi(statistic(&|s| s.p / s.people.max(1) as f64)),
            medical_exposure: statistic_kpi(statistic(&|s| s.exposure)),
        };
        let per = |s: &Sums| s.people.max(1) as f64;
        let total_exposure = totals[0].exposure.max(1e-9);
        let region_shares = guard.shares(&regions.iter().map(|s| (s.people, s.high)).collect::<Vec<_>>());
        let regions = guard.groups(
            REGIONS
                .iter()
                .zip(&regions)
                .zip(region_shares)
                .map(|((region, s), high_risk_share)| {
                    let stats = RegionStats {
                        name: region.name,
                        tile: region.tile,
                        mean_probability: s.p / per(s),
                        high_risk_share,
                        medical_exposure: s.exposure,
                        exposure_share: s.exposure / total_exposure,
                        exposure_per_person: s.exposure / per(s),
                    };
                    (region.code.to_owned(), s.people, stats)
                })
                .collect(),
        );
        let credit_groups = group_stats(&CREDIT_GROUP_NAMES, &credits, guard);
        Executive {
            threshold,
            model_version: self.artifact.version.clone(),
            k: guard.k(),
            snapshot_months: SNAPSHOT_MONTHS,
            suppressed: !guard.shows(totals[0].people),
            withheld_because: None,
            kpis,
            regions,
            credit_groups,
            trends: self.trends(months, totals[0].people, guard),
            dp: None,
        }
    }

    /// The people `filter` admits by age band, each band's statistics through the guard as a credit group's are
    /// (complementary suppression across the bands); withheld whole where the filtered executive view is.
    pub fn age_bands(
        &self,
        threshold: f64,
        filter: Filter,
        guard: &KGuard,
    ) -> Result<Vec<GuardedGroup<String, CreditStats>>> {
        check_threshold(threshold)?;
        let mut bands = vec![Sums::default(); AGE_BANDS.len()];
        for i in 0..self.len() {
            if filter.admits(self.region[i], self.credit[i], self.age[i]) {
                let now = &self.snapshots[0];
                bands[self.age[i] as usize].add(now.p[i], now.exposure[i], threshold);
            }
        }
        let mut groups = group_stats(&AGE_BANDS, &bands, guard);
        let view = self.executive(threshold, filter, guard)?;
        for group in groups.iter_mut() {
            if view.suppressed {
                *group = GuardedGroup { label: group.label.clone(), count: None, stats: None, suppressed: true };
            } else if !view.kpis.high_risk_share.value.is_shown()
                && let Some(stats) = group.stats.as_mut()
            {
                stats.high_risk_share = Figure::withheld();
            }
        }
        Ok(groups)
    }

    /// The monthly trend of `people` from its months' sums.
    fn trends(&self, months: Vec<([f64; 3], Option<f64>)>, people: u64, guard: &KGuard) -> Vec<TrendPoint> {
        let population = guard.count(people);
        self.months
            .iter()
            .zip(months)
            .map(|(month, ([missed, overdraft, claim], cost))| {
                // Each count is people with such an event among `people`: shown only if it and the others are
                // safe.
                let count = |n: f64| guard.part_count(n as u64, people).and(&population);
                let (missed, overdraft, claim) = (count(missed), count(overdraft), count(claim));
                TrendPoint {
                    month: month.clone(),
                    suppressed: !(missed.is_shown() && overdraft.is_shown() && claim.is_shown()),
                    missed_payment: missed,
                    overdraft,
                    claim,
                    medical_cost: cost.map_or_else(Figure::withheld, |cost| guard.statistic(people, cost)),
                }
            })
            .collect()
    }

    /// What the unfiltered view withholds stays withheld when the user filters to it: a region or credit group
    /// withheld there (to protect it, or a smaller one beside it) withholds the whole filtered view, and one
    /// whose high-risk share is withheld there withholds the filtered view's high-risk figures. Otherwise a
    /// filter would hand out the very cells the unfiltered view hides.
    fn withhold_as_unfiltered(
        &self,
        view: &mut Executive,
        threshold: f64,
        filter: Filter,
        guard: &KGuard,
    ) -> Result<()> {
        let unfiltered = self.executive(threshold, Filter::default(), guard)?;
        let mut rows: Vec<(&str, bool, bool)> = Vec::new();
        if let Some(r) = filter.region {
            let row = &unfiltered.regions[r as usize];
            rows.push((
                REGIONS[r as usize].name,
                row.suppressed,
                row.stats.as_ref().is_some_and(|s| s.high_risk_share.is_shown()),
            ));
        }
        if let Some(c) = filter.credit_group {
            let row = &unfiltered.credit_groups[c as usize];
            rows.push((
                CREDIT_GROUP_NAMES[c as usize],
                row.suppressed,
                row.stats.as_ref().is_some_and(|s| s.high_risk_share.is_shown()),
            ));
        }
        if let Some((name, _, _)) = rows.iter().find(|(_, suppressed, _)| *suppressed) {
            view.suppressed = true;
            view.withheld_because = Some(format!("{name} is withheld in the unfiltered view, so its figures are too"));
            view.kpis = Kpis {
                people: Kpi::withheld(),
                high_risk_count: Kpi::withheld(),
                high_risk_share: Kpi::withheld(),
                expected_distress: Kpi::withheld(),
                mean_probability: Kpi::withheld(),
                medical_exposure: Kpi::withheld(),
            };
            for group in view.regions.iter_mut() {
                *group = GuardedGroup { label: group.label.clone(), count: None, stats: None, suppressed: true };
            }
            for group in view.credit_groups.iter_mut() {
                *group = GuardedGroup { label: group.label.clone(), count: None, stats: None, suppressed: true };
            }
            for point in view.trends.iter_mut() {
                *point = TrendPoint {
                    month: point.month.clone(),
                    missed_payment: Figure::withheld(),
                    overdraft: Figure::withheld(),
                    claim: Figure::withheld(),
                    medical_cost: Figure::withheld(),
                    suppressed: true,
                };
            }
        } else if let Some((name, _, _)) = rows.iter().find(|(_, _, share_shown)| !share_shown) {
            view.withheld_because = Some(format!(
                "{name}'s high-risk share is withheld in the unfiltered view, so its high-risk figures are too"
            ));
            view.kpis.high_risk_count = Kpi::withheld();
            view.kpis.high_risk_share = Kpi::withheld();
            // The breakdown's parts would sum to the withheld count.
            for stats in view.regions.iter_mut().filter_map(|g| g.stats.as_mut()) {
                stats.high_risk_share = Figure::withheld();
            }
            for stats in view.credit_groups.iter_mut().filter_map(|g| g.stats.as_mut()) {
                stats.high_risk_share = Figure::withheld();
            }
        }
        Ok(())
    }
}
