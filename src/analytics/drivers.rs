//! What moved the risk between two snapshots: the change in the mean log-odds of the people a filter admits,
//! attributed to the model's inputs. The model is linear in its (standardised) inputs, so the change in mean
//! log-odds is exactly the sum over inputs of coefficient × change in the input's mean: an association the model
//! has learnt, not a cause. The means come from per-cell sums kept for each snapshot, so a filter costs a pass
//! over some 1,500 cells, not over the population.

use super::{Filter, Portfolio};
use crate::catalog::{AGE_BANDS, CREDIT_GROUP_NAMES, REGIONS};
use crate::privacy::{Figure, KGuard};
use ndarray::Array2;
use serde::Serialize;

const CELLS: usize = REGIONS.len() * CREDIT_GROUP_NAMES.len() * AGE_BANDS.len();

fn cell(region: u8, credit: u8, age: u8) -> usize {
    (region as usize * CREDIT_GROUP_NAMES.len() + credit as usize) * AGE_BANDS.len() + age as usize
}

/// The people and the sum of every input in each (region, credit group, age band) cell, as of one snapshot.
pub(super) struct CellSums {
    people: Vec<u64>,
    /// `cell * features + feature`.
    sums: Vec<f64>,
    features: usize,
}

impl CellSums {
    pub(super) fn of(x: &Array2<f64>, region: &[u8], credit: &[u8], age: &[u8]) -> CellSums {
        let features = x.ncols();
        let mut people = vec![0u64; CELLS];
        let mut sums = vec![0.0; CELLS * features];
        for (i, row) in x.rows().into_iter().enumerate() {
            let c = cell(region[i], credit[i], age[i]);
            people[c] += 1;
            for (s, v) in sums[c * features..(c + 1) * features].iter_mut().zip(row) {
                *s += v;
            }
        }
        CellSums { people, sums, features }
    }

    /// The people a filter admits and the mean of each input over them.
    fn means(&self, filter: Filter) -> (u64, Vec<f64>) {
        let mut people = 0;
        let mut sums = vec![0.0; self.features];
        for r in 0..REGIONS.len() as u8 {
            for c in 0..CREDIT_GROUP_NAMES.len() as u8 {
                for a in 0..AGE_BANDS.len() as u8 {
                    if !filter.admits(r, c, a) {
                        continue;
                    }
                    let k = cell(r, c, a);
                    people += self.people[k];
                    for (s, v) in sums.iter_mut().zip(&self.sums[k * self.features..(k + 1) * self.features]) {
                        *s += v;
                    }
                }
            }
        }
        let n = people.max(1) as f64;
        (people, sums.into_iter().map(|s| s / n).collect())
    }
}

/// One input's part in a change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub feature: String,
    pub description: String,
    /// The input's mean then and now, in the input's own units.
    pub mean_then: f64,
    pub mean_now: f64,
    /// Coefficient × change in mean: this input's part of the change in mean log-odds.
    pub contribution: f64,
}

/// The change in mean log-odds between two snapshots and its attribution; withheld where the group is below k.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drivers {
    /// Months before the observation date of the earlier snapshot.
    pub months_ago: u32,
    pub mean_log_odds_then: Figure<f64>,
    pub mean_log_odds_now: Figure<f64>,
    pub change: Figure<f64>,
    /// Largest contribution first; empty when withheld.
    pub inputs: Vec<Driver>,
}

impl Portfolio {
    /// What moved the mean log-odds of `filter`'s people between `months_ago` (3 or 12) and now.
    pub fn drivers(&self, filter: Filter, months_ago: u32, guard: &KGuard) -> Option<Drivers> {
        let then = super::SNAPSHOT_MONTHS.iter().position(|m| *m == months_ago).filter(|&s| s > 0)?;
        let (people_now, now) = self.inputs[0].means(filter);
        let (people_then, before) = self.inputs[then].means(filter);
        let artifact = &self.artifact;
        let log_odds = |means: &[f64]| {
            artifact.intercept
                + artifact.features.iter().zip(means).map(|(f, m)| f.coefficient * (m - f.mean) / f.std).sum::<f64>()
        };
        let (lo_now, lo_then) =
            (guard.statistic(people_now, log_odds(&now)), guard.statistic(people_then, log_odds(&before)));
        let change = guard.change(&lo_now, &lo_then);
        let mut inputs: Vec<Driver> = if change.is_shown() {
            artifact
                .features
                .iter()
                .zip(now.iter().zip(&before))
                .map(|(f, (now, then))| Driver {
                    feature: f.name.clone(),
                    description: f.description.clone(),
                    mean_then: *then,
                    mean_now: *now,
                    contribution: f.coefficient * (now - then) / f.std,
                })
                .collect()
        } else {
            Vec::new()
        };
        inputs.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()).then(a.feature.cmp(&b.feature)));
        Some(Drivers { months_ago, mean_log_odds_then: lo_then, mean_log_odds_now: lo_now, change, inputs })
    }
}

/// How one region's or credit group's high-risk share moved over a year.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mover {
    /// `region` or `credit_group`.
    pub dimension: &'static str,
    /// The region's code or the credit group's name.
    pub key: String,
    pub share_now: f64,
    pub share_then: f64,
    /// Points of share (0.01 is one percentage point).
    pub change: f64,
}

impl Portfolio {
    /// The regions' and credit groups' high-risk shares now and `months_ago` (3 or 12) earlier, for the groups whose
    /// share and count change the guard lets through (and whose share the unfiltered executive view shows), in
    /// the catalogue's order.
    pub fn movers(&self, threshold: f64, months_ago: u32, guard: &KGuard) -> super::Result<Vec<Mover>> {
        let then = super::SNAPSHOT_MONTHS.iter().position(|m| *m == months_ago).filter(|&s| s > 0).unwrap_or(2);
        let view = self.executive(threshold, Filter::default(), guard)?;
        // (people, high-risk now, 3 and 12 months ago) per region and per credit group.
        let mut regions = vec![(0u64, [0u64; 3]); REGIONS.len()];
        let mut credits = vec![(0u64, [0u64; 3]); CREDIT_GROUP_NAMES.len()];
        for i in 0..self.len() {
            for (cells, g) in [(&mut regions, self.region[i]), (&mut credits, self.credit[i])] {
                let c = &mut cells[g as usize];
                c.0 += 1;
                for (s, snapshot) in self.snapshots.iter().enumerate() {
                    c.1[s] += u64::from(snapshot.p[i] >= threshold);
                }
            }
        }
        let mut out = Vec::new();
        let shown_now = |d: &str, g: usize| match d {
            "region" => view.regions[g].stats.as_ref().is_some_and(|s| s.high_risk_share.is_shown()),
            _ => view.credit_groups[g].stats.as_ref().is_some_and(|s| s.high_risk_share.is_shown()),
        };
        for (dimension, cells, keys) in [
            ("region", &regions, REGIONS.iter().map(|r| r.code).collect::<Vec<_>>()),
            ("credit_group", &credits, CREDIT_GROUP_NAMES.to_vec()),
        ] {
            for (g, &(people, high)) in cells.iter().enumerate() {
                // The three counts are one series, as the executive view's filtered to this group: no two of them
                // may be 1..k−1 apart, or the change would reveal the few who moved.
                let series = guard.series(people, &high);
                let (a, b) =
                    (guard.share(high[0], people).and(&series[0]), guard.share(high[then], people).and(&series[then]));
                let all_shown = series.iter().all(|s| s.is_shown()) && guard.shows(people);
                if let (Some(a), Some(b), true, true) = (a.get(), b.get(), all_shown, shown_now(dimension, g)) {
                    out.push(Mover { dimension, key: keys[g].to_owned(), share_now: a, share_then: b, change: a - b });
                }
            }
        }
        Ok(out)
    }
}
