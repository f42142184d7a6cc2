//! The executive view under differential privacy: the same sums as the exact view, each released with discrete
//! Laplace noise (`privacy::dp`), then through the k-guard as ever (guarding noisy figures is post-processing and
//! costs nothing). Pure: the noise comes from the release's seed, handed in.
//!
//! How one release's ε is split (sequential composition over the families, parallel within each breakdown, since
//! every person is in one region and one credit group):
//!
//! | family | figures | share of ε | sensitivity |
//! | --- | --- | --- | --- |
//! | headline | people, high-risk people, Σ probability, Σ medical exposure now | 25 %, a quarter each | 1, 1, 10⁶ (one probability, in millionths), the exposure bound |
//! | snapshots | the same four totals 3 and 12 months ago | 15 %, an eighth each | as the headline |
//! | regions | the four per region | 20 %, a quarter each | as the headline |
//! | credit groups | the four per credit group | 15 %, a quarter each | as the headline |
//! | trends | people with a missed payment, an overdraft, a claim, per month | 25 %, a third each | the months (one person may be in every month) |
//!
//! Means and shares are ratios of the noisy sums (post-processing, no extra ε); so are changes (a headline figure
//! less its snapshot). The headline is released on its own rather than summed from the regions, whose noise would
//! add up (√51 times a region's). Each person's medical exposure counts up to [`EXPOSURE_BOUND`] (medical costs are
//! heavy-tailed: on the default warehouse the bound trims 8 % of the total); the trend's medical cost (summed per
//! cell before the view sees it, so its contributions cannot be bounded) is withheld.

use super::executive::{DpRelease, Family, Raw, Sums};
use super::{Executive, Filter, Portfolio, Result, check_threshold};
use crate::privacy::KGuard;
use crate::privacy::dp::{Noise, Share};
use std::sync::Arc;

/// Each person's medical exposure over 12 months counts up to this (dollars) in a noisy sum.
pub const EXPOSURE_BOUND: u64 = 100_000;
/// Probabilities are released in millionths: one person moves a sum of probabilities by at most this.
const P_UNITS: f64 = 1e6;

struct Shares {
    count: Share,
    p: Share,
    exposure: Share,
}

impl Shares {
    fn new(epsilon: f64) -> Shares {
        Shares {
            count: Share::new(epsilon, 1),
            p: Share::new(epsilon, P_UNITS as u64),
            exposure: Share::new(epsilon, EXPOSURE_BOUND),
        }
    }

    /// Noisy sums of one group, made fit to show (post-processing): counts whole and at least 0, the high-risk
    /// people at most the people, the sum of probabilities at most one per person.
    fn release(&self, s: &Sums, noise: &mut Noise) -> Sums {
        let mut noisy = |value: i64, share: &Share| noise.release(value, share.sensitivity, share.epsilon).max(0);
        let people = noisy(s.people as i64, &self.count) as u64;
        let high = (noisy(s.high as i64, &self.count) as u64).min(people);
        let p = (noisy((s.p * P_UNITS).round() as i64, &self.p) as f64 / P_UNITS).min(people as f64);
        let exposure = noisy(s.exposure.round() as i64, &self.exposure) as f64;
        Sums { people, high, p, exposure }
    }

    fn family(&self) -> Family {
        let one = |share: &Share| share.interval95 as f64;
        Family {
            epsilon: self.count.epsilon * 2.0 + self.p.epsilon + self.exposure.epsilon,
            people: one(&self.count),
            high_risk: one(&self.count),
            expected_distress: one(&self.p) / P_UNITS,
            medical_exposure: one(&self.exposure),
        }
    }
}

impl Portfolio {
    /// The executive view released with `epsilon` of differential privacy, its noise drawn from the release's
    /// `seed`: the same seed gives the same view (computed once, then kept while the server runs).
    pub fn executive_dp(
        &self,
        threshold: f64,
        filter: Filter,
        guard: &KGuard,
        seed: [u8; 32],
        epsilon: f64,
    ) -> Result<Arc<Executive>> {
        check_threshold(threshold)?;
        self.cached((threshold.to_bits(), filter, guard.k(), Some(seed)), || {
            Ok(self.noisy_executive(threshold, filter, guard, &mut Noise::from_seed(seed), epsilon))
        })
    }

    fn noisy_executive(
        &self,
        threshold: f64,
        filter: Filter,
        guard: &KGuard,
        noise: &mut Noise,
        epsilon: f64,
    ) -> Executive {
        let raw = self.raw(threshold, filter, Some(EXPOSURE_BOUND as f64));
        let totals = Shares::new(epsilon * 0.25 / 4.0);
        let snapshots = Shares::new(epsilon * 0.15 / 8.0);
        let regions = Shares::new(epsilon * 0.20 / 4.0);
        let credits = Shares::new(epsilon * 0.15 / 4.0);
        let trend = Share::new(epsilon * 0.25 / 3.0, raw.months.len().max(1) as u64);
        // A group the filter leaves out is empty whatever the data: released as it is, without noise.
        let release = |shares: &Shares, s: &Sums, admitted: bool, noise: &mut Noise| {
            if admitted { shares.release(s, noise) } else { Sums::default() }
        };
        let noisy_regions: Vec<Sums> = (0..raw.regions.len())
            .map(|r| release(&regions, &raw.regions[r], filter.region.is_none_or(|f| f as usize == r), noise))
            .collect();
        let noisy_credits: Vec<Sums> = (0..raw.credits.len())
            .map(|c| release(&credits, &raw.credits[c], filter.credit_group.is_none_or(|f| f as usize == c), noise))
            .collect();
        // The headline figures are released on their own (not summed from the regions, whose noise would add up).
        let now = totals.release(&raw.totals[0], noise);
        let then = [snapshots.release(&raw.totals[1], noise), snapshots.release(&raw.totals[2], noise)];
        let months = raw
            .months
            .iter()
            .map(|(counts, _)| {
                let counts =
                    counts.map(|c| noise.release(c.round() as i64, trend.sensitivity, trend.epsilon).max(0) as f64);
                (counts, None)
            })
            .collect();
        let noisy = Raw { totals: [now, then[0], then[1]], regions: noisy_regions, credits: noisy_credits, months };
        let mut view = self.figures(threshold, noisy, guard);
        let headline = totals.family();
        let snapshot = snapshots.family();
        let change = |a: f64, b: f64| (a * a + b * b).sqrt();
        view.dp = Some(DpRelease {
            mechanism: crate::privacy::dp::MECHANISM,
            epsilon,
            exposure_bound: EXPOSURE_BOUND,
            regions: regions.family(),
            credit_groups: credits.family(),
            kpis: headline,
            changes: Family {
                epsilon: snapshot.epsilon,
                people: change(headline.people, snapshot.people),
                high_risk: change(headline.high_risk, snapshot.high_risk),
                expected_distress: change(headline.expected_distress, snapshot.expected_distress),
                medical_exposure: change(headline.medical_exposure, snapshot.medical_exposure),
            },
            trend_count: trend.interval95 as f64,
        });
        view
    }
}
