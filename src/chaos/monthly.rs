//! The monthly inner loop of a run, without rebuilding frames: the people's columns are read once, and each
//! month recomputes only the model inputs a shock can move (income, debt-to-income, unemployment, out-of-pocket
//! burden, medical cost ratio, denied claims) straight from them. Tests hold it to the reference path
//! ([`super::apply`] then [`crate::model::features::matrix`]) within 1e-9.
//!
//! On top of that, [`Events`] regenerates the dated events stress adds, month by month: missed payments and
//! overdrafts. A person's monthly rate is their own last-12-month rate (plus a small floor), and a month under
//! stress adds Poisson(rate × (μ − 1)) new events, where μ = (income fall by credit group)² × 3 on losing a job ×
//! (1 + 4 × rise in out-of-pocket burden), at most 4. Draws hash the person's masked ID, the month and the seed,
//! so they do not depend on row order. Events stay in the 12-month window for 12 months, so a recovery keeps
//! the missed payments made during the crisis for a year. Relief (μ < 1) erases no event already made.

use super::Error;
use super::scenario::{Driver, Scenario};
use crate::model::features::{self, INCOME_FLOOR};
use crate::model::whatif::UNEMPLOYED_INCOME_SHARE;
use crate::model::{self, Artifact, Population, whatif};
use ndarray::Array2;

/// A population prepared for monthly shocks.
pub struct Prepared {
    /// The unshocked feature matrix, kept for checking the fast path against the reference one.
    #[cfg_attr(not(test), allow(dead_code))]
    base: Array2<f64>,
    /// Everyone's unshocked probability (as `model::score` gives it).
    baseline: Vec<f64>,
    income: Vec<f64>,
    debt: Vec<f64>,
    cost: Vec<f64>,
    oop: Vec<f64>,
    claims: Vec<f64>,
    denied: Vec<f64>,
    unemployed: Vec<bool>,
    regional_median: Vec<f64>,
    /// Each person's region and credit group, as indices into `regions` and `credit_groups`.
    region: Vec<u16>,
    credit: Vec<u16>,
    regions: Vec<String>,
    credit_groups: Vec<String>,
    /// The log odds from the features no shock moves, per person (with the model's weights).
    fixed_z: Vec<f64>,
    weights: Vec<f64>,
    bias: f64,
    /// People who can lose a job, then people who can find one, each in the order they are picked.
    to_lose: Vec<usize>,
    to_gain: Vec<usize>,
    /// Each person's last-12-month missed payments and overdrafts, and a hash of their masked ID and the seed.
    missed: Vec<f64>,
    overdrafts: Vec<f64>,
    person: Vec<u64>,
    /// The model's weights on the two event counts (as counted, capped).
    event_weights: (f64, f64),
}

/// Caps of the event counts as the model reads them.
const MISSED_CAP: f64 = 6.0;
const OVERDRAFT_CAP: f64 = 12.0;
/// Monthly rates are a person's own last-12-month count over 12, plus these floors (so a clean record can
/// still see a first missed payment).
const MISSED_FLOOR: f64 = 0.2;
const OVERDRAFT_FLOOR: f64 = 0.3;
/// The stress multiplier's ceiling.
const MAX_STRESS: f64 = 4.0;

/// Events a run has regenerated: each person's extra missed payments and overdrafts in each of the last 12
/// months (a ring indexed by month), and the month they are up to.
pub struct Events {
    missed: Vec<[u8; 12]>,
    overdrafts: Vec<[u8; 12]>,
    month: u32,
}

/// One month's result.
pub struct MonthResult {
    pub p: Vec<f64>,
    pub costs: Vec<f64>,
    pub job_changes: u64,
    /// Missed payments and overdrafts added this month.
    pub extra_missed: u64,
    pub extra_overdrafts: u64,
}

/// A fixed uniform in [0, 1) from a hash.
fn uniform(h: u64) -> f64 {
    let mut z = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// A Poisson draw with mean `lambda` from the uniform `u` (inverse CDF; means here are small).
fn poisson(lambda: f64, u: f64) -> u8 {
    // e^−λ ≥ 1 − λ, so u ≤ 1 − λ is a zero without computing the exponential (most draws: rates are small).
    if lambda <= 0.0 || u <= 1.0 - lambda {
        return 0;
    }
    let mut p = (-lambda).exp();
    let (mut cdf, mut k) = (p, 0u8);
    while u > cdf && k < 30 {
        k += 1;
        p *= lambda / f64::from(k);
        cdf += p;
    }
    k
}

fn unique(values: &[String]) -> impl Iterator<Item = &str> {
    values.iter().map(String::as_str).collect::<std::collections::BTreeSet<_>>().into_iter()
}

/// The model inputs a shock can move.
const MOVING: [&str; 6] = [
    "log_income",
    "log_debt_to_income",
    "unemployed",
    "out_of_pocket_to_income",
    "medical_cost_ratio",
    "denied_claims_12m",
];

/// The column of a feature.
fn j(name: &str) -> usize {
    features::index(name).expect("a known feature")
}

impl Prepared {
    pub fn new(population: &Population, artifact: &Artifact, seed: u64) -> Result<Prepared, Error> {
        let base = features::matrix(population, &artifact.encoding)?;
        let index = |values: Vec<&str>| {
            let names: Vec<String> = values
                .iter()
                .copied()
                .collect::<std::collections::BTreeSet<&str>>()
                .into_iter()
                .map(str::to_owned)
                .collect();
            let at: Vec<u16> =
                values.iter().map(|v| names.binary_search_by(|n| n.as_str().cmp(v)).unwrap_or(0) as u16).collect();
            (names, at)
        };
        let (regions, region) = index(population.text("region")?);
        let (credit_groups, credit) = index(population.text("credit_group")?);
        let (weights, bias) = model::Scorer::new(artifact).parts();
        let moving = MOVING.map(j);
        // Column by column (the matrix is column-major), in feature order.
        let mut fixed_z = vec![0.0; base.nrows()];
        for (k, column) in base.columns().into_iter().enumerate() {
            if !moving.contains(&k) {
                fixed_z.iter_mut().zip(column).for_each(|(z, v)| *z += weights[k] * v);
            }
        }
        let employment = population.text("employment")?;
        // The picking order `pick_job_changes` uses: the eligible people by their hash rank.
        let ids = population.text("masked_id")?;
        let order = |eligible: &dyn Fn(&str) -> bool| -> Vec<usize> {
            let mut ranked: Vec<(u64, usize)> = (0..ids.len())
                .filter(|&i| eligible(employment[i]))
                .map(|i| (whatif::job_change_rank(ids[i], seed.wrapping_add(1)), i))
                .collect();
            ranked.sort_unstable();
            ranked.into_iter().map(|(_, i)| i).collect()
        };
        let baseline = model::Scorer::new(artifact).probabilities(&base);
        let mut prepared = Prepared {
            base,
            baseline,
            income: population.numbers("income")?,
            debt: population.numbers("debt")?,
            cost: population.numbers("medical_cost_12m")?,
            oop: population.numbers("out_of_pocket_12m")?,
            claims: population.numbers("claims_12m")?,
            denied: population.numbers("denied_claims_12m")?,
            unemployed: employment.iter().map(|e| *e == "unemployed").collect(),
            regional_median: features::regional_medians(population, &artifact.encoding)?,
            region: Vec::new(),
            credit: Vec::new(),
            regions: Vec::new(),
            credit_groups: Vec::new(),
            fixed_z: Vec::new(),
            weights: Vec::new(),
            bias: 0.0,
            to_lose: order(&|e| matches!(e, "employed" | "self_employed")),
            to_gain: order(&|e| e == "unemployed"),
            missed: population.numbers("missed_payments_12m")?,
            overdrafts: population.numbers("overdrafts_12m")?,
            person: ids.iter().map(|id| whatif::job_change_rank(id, seed ^ 0x5eed_e7e7)).collect(),
            event_weights: (0.0, 0.0),
        };
        (prepared.region, prepared.credit, prepared.regions, prepared.credit_groups) =
            (region, credit, regions, credit_groups);
        prepared.event_weights = (weights[j("missed_payments_12m")], weights[j("overdrafts_12m")]);
        (prepared.fixed_z, prepared.weights, prepared.bias) = (fixed_z, weights, bias);
        Ok(prepared)
    }

    /// The factors, job changes and denial share under `scenario` at `intensity`.
    fn shocks(&self, scenario: &Scenario, intensity: f64) -> (Vec<f64>, Vec<f64>, f64, Vec<usize>, bool) {
        let mut income = vec![1.0; self.credit_groups.len()];
        let mut medical = vec![1.0; self.regions.len()];
        let (mut points, mut denial) = (0.0, 0.0);
        let scale = |names: &[String], factors: &mut [f64], scope: &Option<Vec<String>>, f: f64| match scope {
            // A name listed twice is shocked once.
            Some(list) => unique(list).for_each(|name| {
                if let Ok(k) = names.binary_search_by(|n| n.as_str().cmp(name)) {
                    factors[k] *= f;
                }
            }),
            None => factors.iter_mut().for_each(|x| *x *= f),
        };
        for shock in &scenario.shocks {
            let f = 1.0 + shock.percent.unwrap_or(0.0) / 100.0 * intensity;
            match shock.driver {
                Driver::Unemployment => points += shock.points.unwrap_or(0.0) * intensity,
                Driver::Income => scale(&self.credit_groups, &mut income, &shock.credit_groups, f),
                Driver::MedicalCosts => scale(&self.regions, &mut medical, &shock.regions, f),
                Driver::ClaimDenialRate => denial += shock.points.unwrap_or(0.0) / 100.0 * intensity,
                Driver::HousePrices | Driver::DvIncidentRate => {}
            }
        }
        let n = self.income.len();
        let wanted = (points.abs() / 100.0 * n as f64).round() as usize;
        let changed = if points > 0.0 { &self.to_lose } else { &self.to_gain };
        let changed = if points == 0.0 { Vec::new() } else { changed[..wanted.min(changed.len())].to_vec() };
        (income, medical, denial, changed, points > 0.0)
    }

    /// The moving inputs of person `i`, in [`MOVING`] order, and their medical cost.
    #[allow(clippy::too_many_arguments)]
    fn moving(
        &self,
        i: usize,
        income: &[f64],
        medical: &[f64],
        denial: f64,
        job: f64,
        unemployed: bool,
    ) -> ([f64; 6], f64) {
        let floored = (self.income[i] * income[self.credit[i] as usize] * job).max(INCOME_FLOOR);
        let m = medical[self.region[i] as usize];
        let cost = self.cost[i] * m;
        let paid = self.oop[i] * m;
        let oop = paid + (cost - paid).max(0.0) * denial;
        let values = [
            floored.ln(),
            (self.debt[i] / floored).clamp(0.01, 5.0).ln(),
            f64::from(u8::from(unemployed)),
            (oop / floored).clamp(0.0, 1.0),
            (cost / self.regional_median[i]).clamp(0.0, 20.0),
            self.denied[i] + self.claims[i] * denial,
        ];
        (values, cost)
    }

    fn jobs(&self, changed: &[usize], lose: bool) -> (Vec<f64>, Vec<bool>) {
        let mut job = vec![1.0; self.income.len()];
        let mut unemployed = self.unemployed.clone();
        for &i in changed {
            job[i] = if lose { UNEMPLOYED_INCOME_SHARE } else { 1.0 / UNEMPLOYED_INCOME_SHARE };
            unemployed[i] = lose;
        }
        (job, unemployed)
    }

    /// Everyone's probability before any shock (the model on the unshocked features).
    pub fn baseline(&self) -> &[f64] {
        &self.baseline
    }

    /// People and the sum of `values` per region, in region order.
    pub fn by_region(&self, values: &[f64]) -> Vec<(String, u64, f64)> {
        let mut sums = vec![(0u64, 0.0); self.regions.len()];
        for (&r, v) in self.region.iter().zip(values) {
            let at = &mut sums[r as usize];
            at.0 += 1;
            at.1 += v;
        }
        self.regions.iter().cloned().zip(sums).map(|(name, (n, sum))| (name, n, sum)).collect()
    }

    /// No events regenerated yet.
    pub fn events(&self) -> Events {
        let n = self.income.len();
        Events { missed: vec![[0; 12]; n], overdrafts: vec![[0; 12]; n], month: 0 }
    }

    /// Probabilities under `scenario` at `intensity`, the people's medical costs, and how many changed employment,
    /// without regenerated events (what the reference path computes).
    #[cfg(test)]
    pub fn month(&self, scenario: &Scenario, intensity: f64) -> (Vec<f64>, Vec<f64>, u64) {
        let r = self.step(scenario, intensity, None);
        (r.p, r.costs, r.job_changes)
    }

    /// Month `month` of `scenario`: the events state is advanced month by month up to it (starting again from
    /// the first month when asked for an earlier one), and the month's result is returned.
    pub fn at(&self, scenario: &Scenario, month: u32, events: &mut Events) -> MonthResult {
        if events.month >= month {
            *events = self.events();
        }
        loop {
            let m = events.month + 1;
            let intensity = scenario.shape.intensity(m, scenario.horizon_months);
            let result = self.step(scenario, intensity, Some((m, &mut *events)));
            events.month = m;
            if m >= month {
                return result;
            }
        }
    }

    fn step(&self, scenario: &Scenario, intensity: f64, events: Option<(u32, &mut Events)>) -> MonthResult {
        use rayon::prelude::*;
        let (income, medical, denial, changed, lose) = self.shocks(scenario, intensity);
        let (job, unemployed) = self.jobs(&changed, lose);
        let moving = MOVING.map(j);
        let person = |i: usize, slots: Option<(&mut [u8; 12], &mut [u8; 12])>, month: u32| {
            let (values, cost) = self.moving(i, &income, &medical, denial, job[i], unemployed[i]);
            let mut z = self.fixed_z[i] + moving.iter().zip(values).map(|(&k, v)| self.weights[k] * v).sum::<f64>();
            let mut added = (0u64, 0u64);
            if let Some((missed, overdrafts)) = slots {
                let stress = self.stress(i, income[self.credit[i] as usize], job[i], values[3]);
                let slot = (month % 12) as usize;
                let draw = |count: f64, floor: f64, kind: u64| {
                    let rate = (count + floor) / 12.0 * (stress - 1.0).max(0.0);
                    if rate <= 0.0 {
                        0
                    } else {
                        poisson(rate, uniform(self.person[i] ^ (u64::from(month) << 40) ^ kind))
                    }
                };
                missed[slot] = draw(self.missed[i], MISSED_FLOOR, 1);
                overdrafts[slot] = draw(self.overdrafts[i], OVERDRAFT_FLOOR, 2);
                added = (u64::from(missed[slot]), u64::from(overdrafts[slot]));
                let extra = |ring: &[u8; 12]| f64::from(ring.iter().map(|&c| u32::from(c)).sum::<u32>());
                let moved = |base: f64, extra: f64, cap: f64| (base + extra).min(cap) - base.min(cap);
                z += self.event_weights.0 * moved(self.missed[i], extra(missed), MISSED_CAP)
                    + self.event_weights.1 * moved(self.overdrafts[i], extra(overdrafts), OVERDRAFT_CAP);
            }
            (crate::model::newton::sigmoid(z + self.bias), cost, added)
        };
        let n = self.income.len();
        let (mut p, mut costs) = (vec![0.0; n], vec![0.0; n]);
        let outputs = p.par_iter_mut().zip(costs.par_iter_mut());
        let sum = |a: (u64, u64), b: (u64, u64)| (a.0 + b.0, a.1 + b.1);
        let (extra_missed, extra_overdrafts) = match events {
            Some((month, state)) => outputs
                .zip(state.missed.par_iter_mut().zip(state.overdrafts.par_iter_mut()))
                .enumerate()
                .map(|(i, ((p, cost), (m, o)))| {
                    let (pi, c, added) = person(i, Some((m, o)), month);
                    (*p, *cost) = (pi, c);
                    added
                })
                .reduce(|| (0, 0), sum),
            None => outputs
                .enumerate()
                .map(|(i, (p, cost))| {
                    let (pi, c, added) = person(i, None, 0);
                    (*p, *cost) = (pi, c);
                    added
                })
                .reduce(|| (0, 0), sum),
        };
        MonthResult { p, costs, job_changes: changed.len() as u64, extra_missed, extra_overdrafts }
    }

    /// A person's stress multiplier: the income fall of their credit group, squared; 3× on losing a job; and the
    /// rise of their out-of-pocket burden (`burden`, shocked, against their own); at most [`MAX_STRESS`].
    fn stress(&self, i: usize, group_income: f64, job: f64, burden: f64) -> f64 {
        let fall = 1.0 / group_income.max(0.05);
        let lost = if job < 1.0 { 3.0 } else { 1.0 };
        let before = (self.oop[i] / self.income[i].max(INCOME_FLOOR)).clamp(0.0, 1.0);
        ((fall * fall) * lost * (1.0 + 4.0 * (burden - before).max(0.0))).min(MAX_STRESS)
    }

    /// The full feature matrix under `scenario` at `intensity` (for checking against the reference path).
    #[cfg(test)]
    pub fn matrix(&self, scenario: &Scenario, intensity: f64) -> (Array2<f64>, Vec<f64>, u64) {
        let (income, medical, denial, changed, lose) = self.shocks(scenario, intensity);
        let (job, unemployed) = self.jobs(&changed, lose);
        let mut x = self.base.clone();
        let mut costs = vec![0.0; self.income.len()];
        for (i, cost_out) in costs.iter_mut().enumerate() {
            let (values, cost) = self.moving(i, &income, &medical, denial, job[i], unemployed[i]);
            for (name, v) in MOVING.iter().zip(values) {
                x[[i, j(name)]] = v;
            }
            *cost_out = cost;
        }
        (x, costs, changed.len() as u64)
    }
}

#[cfg(test)]
mod tests;
