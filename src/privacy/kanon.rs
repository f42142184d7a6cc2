//! The k-anonymity guard: the one place where counts become visible.
//!
//! A cell whose count is 1..k−1 is suppressed (primary suppression). Because a response also shows the total,
//! a single suppressed cell could be recovered as total − visible cells, so further cells are suppressed
//! (complementary suppression), smallest first, until at least two cells are suppressed and together they hold
//! at least k people: no suppressed cell, and no sum of them, can then be pinned to 1..k−1. A total below k
//! suppresses everything. Zero cells stay visible: a zero discloses no one.
//!
//! Known limit: the guard sees one response at a time; two overlapping queries can still be differenced.

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

    /// Guards a one-way breakdown of counts that is shown together with its total.
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
