//! The k-anonymity guard: the one place where counts become visible.
//!
//! A cell whose count is 1..k−1 is suppressed (primary suppression). Because a response also shows the total,
//! a single suppressed cell could be recovered as total − visible cells, so further cells are suppressed
//! (complementary suppression), smallest first, until at least two cells are suppressed and together they hold
//! at least k people: no suppressed cell, and no sum of them, can then be pinned to 1..k−1. A total below k
//! suppresses everything. Zero cells stay visible: a zero discloses no one.
//!
//! Derived cells follow the same rule. A share, rate or count of people with a property among a group (the
//! high-risk share of a region, the flag rate of an age band, a calibration bin's observed rate) reveals two
//! counts — the people with the property and the rest of the group — so it shows only when both are 0 or at
//! least k; across a breakdown the hidden parts are complemented like cells, so none is recovered from the
//! siblings and the total ([`KGuard::shares`]). A change of a count between two snapshots is itself a count
//! ([`KGuard::count_change`]). Every such figure is a [`Figure`], which only the guard makes, from the counts it
//! rests on: a view cannot show one without saying what it counts.
//!
//! Known limit: suppression sees one response at a time; two overlapping queries can still be differenced
//! (`privacy::dp` answers that, when an installation turns it on).

use serde::Serialize;

/// The default minimum group size (CMS cell-size rule: no cell of 1–10).
pub const DEFAULT_K: u64 = 11;

/// A k-anonymity guard with a fixed k ≥ 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KGuard {
    k: u64,
}

/// A k below 2 protects no one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("k must be at least 2 (got {0}); the default is {DEFAULT_K}")]
pub struct InvalidK(pub u64);

impl Default for KGuard {
    fn default() -> Self {
        KGuard { k: DEFAULT_K }
    }
}

/// A figure after the guard: the number, or `None` (JSON `null`) when showing it would reveal a group of 1..k−1
/// people. Made only by [`KGuard`]'s methods, from the counts the figure rests on (or [`Figure::withheld`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Figure<T>(Option<T>);

impl<T: Copy> Figure<T> {
    /// The figure, if the guard lets it show.
    pub fn get(self) -> Option<T> {
        self.0
    }
}

impl<T> Figure<T> {
    /// A figure nobody may see: withholding is always safe.
    pub fn withheld() -> Self {
        Figure(None)
    }

    pub fn is_shown(&self) -> bool {
        self.0.is_some()
    }

    /// The same figure in other units (a share as a percentage, a sum as a mean of a known group size): what
    /// was safe to show stays safe.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Figure<U> {
        Figure(self.0.map(f))
    }

    /// The figure formatted, or `default` when it is withheld.
    pub fn map_or<U>(self, default: U, f: impl FnOnce(T) -> U) -> U {
        self.0.map_or(default, f)
    }

    /// Shown only if `other` is shown too (a figure that also reveals what `other` would).
    pub fn and<U>(self, other: &Figure<U>) -> Figure<T> {
        Figure(self.0.filter(|_| other.is_shown()))
    }
}

/// One cell of a guarded breakdown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GuardedCell<L> {
    pub label: L,
    /// `None` (JSON `null`) when suppressed.
    pub count: Option<u64>,
    pub suppressed: bool,
}

/// A breakdown after the guard: cells in their original order, and the total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Guarded<L> {
    pub k: u64,
    pub cells: Vec<GuardedCell<L>>,
    /// `None` when the whole population is below k.
    pub total: Option<u64>,
}

impl KGuard {
    pub fn new(k: u64) -> Result<Self, InvalidK> {
        if k < 2 { Err(InvalidK(k)) } else { Ok(KGuard { k }) }
    }

    pub fn k(&self) -> u64 {
        self.k
    }

    /// Which cells of a breakdown to suppress (primary, then complementary), and whether the total may show.
    pub fn suppression(&self, counts: &[u64]) -> (Vec<bool>, bool) {
        let total: u64 = counts.iter().sum();
        let small = |c: &u64| (1..self.k).contains(c);
        let mut suppressed: Vec<bool> = counts.iter().map(small).collect();
        if small(&total) {
            suppressed.iter_mut().for_each(|s| *s = true);
        }
        loop {
            let hidden: Vec<u64> = counts.iter().zip(&suppressed).filter(|(_, s)| **s).map(|(c, _)| *c).collect();
            if hidden.is_empty() || (hidden.len() >= 2 && hidden.iter().sum::<u64>() >= self.k) {
                break;
            }
            // Next complementary cell: the smallest visible non-zero one.
            let next = (0..counts.len()).filter(|&i| !suppressed[i] && counts[i] > 0).min_by_key(|&i| (counts[i], i));
            match next {
                Some(i) => suppressed[i] = true,
                None => break,
            }
        }
        (suppressed, !small(&total))
    }

    /// Guards a one-way breakdown of counts that is shown together with its total.
    pub fn counts<L>(&self, cells: Vec<(L, u64)>) -> Guarded<L> {
        let counts: Vec<u64> = cells.iter().map(|(_, c)| *c).collect();
        let (suppressed, total_visible) = self.suppression(&counts);
        Guarded {
            k: self.k,
            cells: cells
                .into_iter()
                .zip(suppressed)
                .map(|((label, count), s)| GuardedCell { label, count: (!s).then_some(count), suppressed: s })
                .collect(),
            total: total_visible.then_some(counts.iter().sum()),
        }
    }

    /// Whether a group of `count` people may be shown at all (0 or at least k).
    pub fn shows(&self, count: u64) -> bool {
        !(1..self.k).contains(&count)
    }

    /// A count of people with some property among `total` (a share, a rate, or a count shown beside its total,
    /// which reveals the complement too): `None` when the count or its complement is 1..k−1.
    pub fn part(&self, count: u64, total: u64) -> Option<u64> {
        self.counts(vec![((), count), ((), total.saturating_sub(count))]).cells[0].count
    }

    /// A count of people: shown if it is 0 or at least k.
    pub fn count(&self, n: u64) -> Figure<u64> {
        Figure(self.shows(n).then_some(n))
    }

    /// A statistic of a group of `people` (a sum or a mean of amounts or probabilities, not a count of people):
    /// shown when the group may be.
    pub fn statistic(&self, people: u64, value: f64) -> Figure<f64> {
        Figure(self.shows(people).then_some(value))
    }

    /// The share of a group of `total` people that has some property (`count` of them): shown only when the count
    /// and the rest of the group are both safe. A group of no one has no share.
    pub fn share(&self, count: u64, total: u64) -> Figure<f64> {
        Figure(self.part(count, total).filter(|_| total > 0).map(|c| c as f64 / total as f64))
    }

    /// `count` people with a property among `total`, as a count: shown when the count and the rest are safe.
    pub fn part_count(&self, count: u64, total: u64) -> Figure<u64> {
        Figure(self.part(count, total))
    }

    /// The change of a count between two snapshots (`then` → `now`), given both as figures: a difference of two
    /// counts is a count of the people who moved, so it shows only when both show and it is 0 or at least k.
    pub fn count_change(&self, now: &Figure<u64>, then: &Figure<u64>) -> Figure<f64> {
        match (now.0, then.0) {
            (Some(a), Some(b)) if self.shows(a.abs_diff(b)) => Figure(Some(a as f64 - b as f64)),
            _ => Figure(None),
        }
    }

    /// Counts of people with a property in one group of `total` people, at several times or under several
    /// scenarios (a baseline, then months): each shown count reveals its difference from every other shown one, so
    /// a count shows only when it and the rest of the group are safe and it differs from every count shown before
    /// it by 0 or at least k.
    pub fn series(&self, total: u64, counts: &[u64]) -> Vec<Figure<u64>> {
        let mut shown: Vec<u64> = Vec::new();
        counts
            .iter()
            .map(|&count| {
                let safe = self.part(count, total).is_some() && shown.iter().all(|&s| self.shows(s.abs_diff(count)));
                if safe {
                    shown.push(count);
                }
                Figure(safe.then_some(count))
            })
            .collect()
    }

    /// The change of a statistic (a sum, a mean) between two snapshots: shown when both are.
    pub fn change(&self, now: &Figure<f64>, then: &Figure<f64>) -> Figure<f64> {
        Figure(now.0.zip(then.0).map(|(a, b)| a - b))
    }

    /// Which groups' parts to withhold in a breakdown of groups of `people`, each with `part` of them having a
    /// property (high risk, flagged, an event), shown beside the groups' counts and the totals: a group suppressed
    /// by [`KGuard::suppression`]; a part whose count, or whose rest of the group, is 1..k−1; and then further
    /// parts, smallest first (complementary suppression), until the withheld parts are none, or at least two whose
    /// parts and whose rests each sum to 0 or at least k — so no withheld part is recovered from its siblings and
    /// the totals.
    pub fn part_suppression(&self, groups: &[(u64, u64)]) -> Vec<bool> {
        let people: Vec<u64> = groups.iter().map(|g| g.0).collect();
        let (groups_hidden, _) = self.suppression(&people);
        let small = |c: u64| (1..self.k).contains(&c);
        let rest = |(n, h): (u64, u64)| n.saturating_sub(h);
        let mut hidden: Vec<bool> =
            groups.iter().zip(&groups_hidden).map(|(&(n, h), &g)| g || small(h) || small(rest((n, h)))).collect();
        loop {
            let withheld: Vec<(u64, u64)> =
                groups.iter().zip(&hidden).filter(|(_, h)| **h).map(|(&(n, h), _)| (h, rest((n, h)))).collect();
            let (parts, rests): (u64, u64) = withheld.iter().fold((0, 0), |(a, b), &(p, r)| (a + p, b + r));
            let short_parts = small(parts);
            let short_rests = small(rests);
            if withheld.is_empty() || (withheld.len() >= 2 && !short_parts && !short_rests) {
                break;
            }
            // The next part to withhold: the smallest non-zero one on the side that is short (either, when one
            // withheld part stands alone).
            let key = |&(n, h): &(u64, u64)| match (short_parts, short_rests) {
                (true, _) => h,
                (false, true) => rest((n, h)),
                (false, false) => h.min(rest((n, h))),
            };
            let next = (0..groups.len())
                .filter(|&i| !hidden[i] && key(&groups[i]) > 0)
                .min_by_key(|&i| (key(&groups[i]), i))
                .or_else(|| (0..groups.len()).find(|&i| !hidden[i]));
            match next {
                Some(i) => hidden[i] = true,
                None => break,
            }
        }
        hidden
    }

    /// A nested series of counts out of `total` people: those at or above each of a rising list of cut-offs
    /// (`cumulative`, so non-increasing). Two shown counts reveal the people between their cut-offs, so, from the
    /// top down, a count shows only when it, the rest of the `total`, and the people between it and the next
    /// shown count above are each 0 or at least k.
    pub fn nested(&self, total: u64, cumulative: &[u64]) -> Vec<Figure<u64>> {
        let mut shown = vec![Figure(None); cumulative.len()];
        let mut above = 0u64;
        for (i, &count) in cumulative.iter().enumerate().rev() {
            let between = count.saturating_sub(above);
            if self.shows(count) && self.shows(total.saturating_sub(count)) && self.shows(between) {
                shown[i] = Figure(Some(count));
                above = count;
            }
        }
        shown
    }

    /// The shares of a breakdown (`part` of `people` in each group), through [`KGuard::part_suppression`].
    pub fn shares(&self, groups: &[(u64, u64)]) -> Vec<Figure<f64>> {
        self.part_suppression(groups)
            .into_iter()
            .zip(groups)
            .map(|(hidden, &(n, h))| Figure((!hidden && n > 0).then(|| h as f64 / n as f64)))
            .collect()
    }

    /// Guards a breakdown whose cells also carry statistics (means, rates, sums): a suppressed cell's
    /// statistics are suppressed with its count.
    pub fn groups<L, T>(&self, cells: Vec<(L, u64, T)>) -> Vec<GuardedGroup<L, T>> {
        let counts: Vec<u64> = cells.iter().map(|(_, c, _)| *c).collect();
        let (suppressed, _) = self.suppression(&counts);
        cells
            .into_iter()
            .zip(suppressed)
            .map(|((label, count, stats), s)| GuardedGroup {
                label,
                count: (!s).then_some(count),
                stats: (!s).then_some(stats),
                suppressed: s,
            })
            .collect()
    }
}

/// One group of a guarded breakdown with statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GuardedGroup<L, T> {
    pub label: L,
    pub count: Option<u64>,
    /// `None` (JSON `null`) when suppressed: a mean or rate of a small group discloses as much as its count.
    pub stats: Option<T>,
    pub suppressed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(k: u64, counts: &[u64]) -> Vec<Option<u64>> {
        let cells = counts.iter().enumerate().map(|(i, &c)| (i, c)).collect();
        KGuard::new(k).unwrap().counts(cells).cells.into_iter().map(|c| c.count).collect()
    }

    #[test]
    fn a_part_needs_itself_and_its_complement_safe() {
        let guard = KGuard::default();
        assert_eq!(guard.part(20, 100), Some(20));
        assert_eq!(guard.part(3, 100), None);
        assert_eq!(guard.part(95, 100), None);
        assert_eq!(guard.part(0, 100), Some(0));
        assert_eq!(guard.part(0, 5), None);
        assert!(guard.shows(0) && guard.shows(11) && !guard.shows(10));
    }

    #[test]
    fn large_cells_pass_and_zero_stays_visible() {
        assert_eq!(guard(11, &[20, 0, 30]), vec![Some(20), Some(0), Some(30)]);
    }

    #[test]
    fn a_lone_small_cell_takes_the_smallest_other_with_it() {
        assert_eq!(guard(11, &[5, 40, 12, 100]), vec![None, Some(40), None, Some(100)]);
    }

    #[test]
    fn two_small_cells_summing_below_k_take_a_third() {
        assert_eq!(guard(11, &[3, 4, 50, 60]), vec![None, None, None, Some(60)]);
    }

    #[test]
    fn a_small_total_hides_everything() {
        let guarded = KGuard::new(11).unwrap().counts(vec![("a", 3), ("b", 4)]);
        assert_eq!(guarded.total, None);
        assert!(guarded.cells.iter().all(|c| c.suppressed && c.count.is_none()));
    }

    #[test]
    fn statistics_are_suppressed_with_their_counts() {
        let groups = KGuard::default().groups(vec![("a", 5, 0.9), ("b", 40, 0.1), ("c", 60, 0.2)]);
        assert_eq!(groups[0].stats, None);
        assert_eq!(groups[1].stats, None, "complementary suppression hides the smallest other group too");
        assert_eq!(groups[2].stats, Some(0.2));
    }

    #[test]
    fn a_share_needs_its_count_and_the_rest_of_its_group_safe() {
        let guard = KGuard::default();
        // Alaska at threshold 0.3 on the default warehouse: 226 people, 6 of them high-risk.
        assert_eq!(guard.share(6, 226).get(), None);
        assert_eq!(guard.share(20, 226).get(), Some(20.0 / 226.0));
        assert_eq!(guard.share(0, 226).get(), Some(0.0));
        assert_eq!(guard.share(0, 0).get(), None);
        assert_eq!(guard.share(220, 226).get(), None, "the rest, six people, would show");
    }

    #[test]
    fn a_change_of_a_count_is_a_count() {
        let guard = KGuard::default();
        let c = |n| guard.count(n);
        assert_eq!(guard.count_change(&c(120), &c(114)).get(), None, "six people moved");
        assert_eq!(guard.count_change(&c(120), &c(100)).get(), Some(20.0));
        assert_eq!(guard.count_change(&c(100), &c(100)).get(), Some(0.0));
        assert_eq!(guard.count_change(&c(5), &c(100)).get(), None);
    }

    #[test]
    fn withheld_shares_are_complemented_across_the_breakdown() {
        let guard = KGuard::default();
        // Region 0's share is primary (6 of 226); alone it would be total − the others: one more goes with it.
        let groups = [(226, 6), (1_000, 40), (2_000, 300), (5_000, 900)];
        let hidden = guard.part_suppression(&groups);
        assert_eq!(hidden, vec![true, true, false, false]);
        let shares = guard.shares(&groups);
        assert!(shares[0].get().is_none() && shares[1].get().is_none() && shares[3].get().is_some());
        // Parts of 3 and 4 together are still below k: a third is withheld.
        let hidden = guard.part_suppression(&[(100, 3), (100, 4), (100, 50), (100, 60)]);
        assert_eq!(hidden, vec![true, true, true, false]);
    }

    /// Property: over random breakdowns, every shown share rests on a safe count and a safe rest, and the withheld
    /// parts (and rests) can neither be a single one nor sum to 1..k−1, so none is recovered from the totals.
    #[test]
    fn property_no_derived_small_cell() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(13);
        for _ in 0..3000 {
            let k = rng.random_range(2..20u64);
            let groups: Vec<(u64, u64)> = (0..rng.random_range(1..10usize))
                .map(|_| {
                    let n = if rng.random_bool(0.2) { rng.random_range(0..k) } else { rng.random_range(0..400) };
                    let h = if rng.random_bool(0.3) { rng.random_range(0..=n.min(k)) } else { rng.random_range(0..=n) };
                    (n, h)
                })
                .collect();
            let guard = KGuard::new(k).unwrap();
            let hidden = guard.part_suppression(&groups);
            let small = |c: u64| (1..k).contains(&c);
            for (&(n, h), &hid) in groups.iter().zip(&hidden) {
                if !hid {
                    assert!(!small(n) && !small(h) && !small(n - h), "shown share of {h}/{n} with k={k}: {groups:?}");
                }
            }
            let withheld: Vec<(u64, u64)> =
                groups.iter().zip(&hidden).filter(|(_, h)| **h).map(|(&(n, h), _)| (h, n - h)).collect();
            // A lone group's withheld part is its breakdown's total, which is then small and withheld too.
            if withheld.len() == 1 && groups.len() > 1 {
                panic!("a single withheld part is derivable: {groups:?} k={k}");
            }
            if withheld.len() >= 2 && withheld.len() < groups.len() {
                let (p, r) = withheld.iter().fold((0, 0), |(a, b), &(x, y)| (a + x, b + y));
                assert!(!small(p) && !small(r), "withheld parts {p} / rests {r} below k in {groups:?}");
            }
        }
    }

    #[test]
    fn a_series_shows_no_two_counts_a_few_apart() {
        let guard = KGuard::default();
        let shown: Vec<Option<u64>> =
            guard.series(10_000, &[500, 505, 530, 531, 600]).into_iter().map(Figure::get).collect();
        assert_eq!(shown, vec![Some(500), None, Some(530), None, Some(600)]);
    }

    #[test]
    fn a_nested_series_never_shows_a_small_band() {
        let guard = KGuard::default();
        // 1,000 people: 300 at or above the first cut-off, 296 above the second (4 between), 120, 5.
        let shown: Vec<Option<u64>> = guard.nested(1_000, &[300, 296, 120, 5]).into_iter().map(Figure::get).collect();
        assert_eq!(shown, vec![None, Some(296), Some(120), None]);
    }

    #[test]
    fn k_below_two_is_refused() {
        assert_eq!(KGuard::new(1), Err(InvalidK(1)));
        assert!(KGuard::new(2).is_ok());
    }

    /// Property: over many random breakdowns, nothing visible is below k, and no suppressed cell can be pinned
    /// to 1..k−1 from the total and the visible cells.
    #[test]
    fn property_no_small_cell_visible_or_derivable() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for _ in 0..2000 {
            let k = rng.random_range(2..20u64);
            let n = rng.random_range(1..12usize);
            let counts: Vec<u64> = (0..n)
                .map(|_| if rng.random_bool(0.4) { rng.random_range(0..k) } else { rng.random_range(0..200) })
                .collect();
            let guarded = KGuard::new(k).unwrap().counts(counts.iter().copied().enumerate().collect());
            for cell in &guarded.cells {
                if let Some(c) = cell.count {
                    assert!(c == 0 || c >= k, "visible {c} < k={k} in {counts:?}");
                }
            }
            let hidden: Vec<u64> = guarded.cells.iter().filter(|c| c.suppressed).map(|c| counts[c.label]).collect();
            if let Some(total) = guarded.total {
                let visible: u64 = guarded.cells.iter().filter_map(|c| c.count).sum();
                let residual = total - visible;
                match hidden.len() {
                    0 => {}
                    1 => panic!("a single suppressed cell is derivable: {counts:?} k={k}"),
                    _ => assert!(residual == 0 || residual >= k, "suppressed sum {residual} < k in {counts:?}"),
                }
            }
        }
    }
}
