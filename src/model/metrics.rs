//! How well probabilities rank and calibrate against outcomes: AUC, Gini, KS, Brier, log loss, calibration bins
//! and ECE, a threshold table, a ROC curve for charts, and per-group breakdowns for fairness gaps.

use crate::privacy::{Figure, KGuard};
use serde::{Deserialize, Serialize};

/// Cut-offs of the threshold table.
pub const CUTOFFS: [f64; 10] = [0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50];

/// Fewer events or non-events than this in a group and its AUC is not estimated.
pub const MIN_EVENTS_FOR_AUC: usize = 30;

/// Row indices ordered by score, descending; ties keep row order.
fn order_desc(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order
}

/// Area under the ROC curve (ties count half); `None` without both classes.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let order = order_desc(scores);
    // For each positive, count negatives scored strictly below it, and half of those tied with it.
    let mut negatives_above = 0.0;
    let mut wins = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        let (mut pos, mut neg) = (0.0, 0.0);
        while j < order.len() && scores[order[j]] == scores[order[i]] {
            if labels[order[j]] {
                pos += 1.0
            } else {
                neg += 1.0
            }
            j += 1;
        }
        wins += pos * (negatives as f64 - negatives_above - neg) + 0.5 * pos * neg;
        negatives_above += neg;
        i = j;
    }
    Some(wins / (positives as f64 * negatives as f64))
}

/// One point of a ROC curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    pub threshold: f64,
    pub fpr: f64,
    pub tpr: f64,
}

/// The ROC curve at every distinct score, from the highest: (threshold, FPR, TPR) after all rows at or above it.
fn cumulative(scores: &[f64], labels: &[bool]) -> Vec<RocPoint> {
    let order = order_desc(scores);
    let positives = labels.iter().filter(|&&l| l).count().max(1) as f64;
    let negatives = (labels.len() - labels.iter().filter(|&&l| l).count()).max(1) as f64;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut curve = Vec::new();
    for (rank, &i) in order.iter().enumerate() {
        if labels[i] {
            tp += 1.0
        } else {
            fp += 1.0
        }
        let last_of_tie = rank + 1 == order.len() || scores[order[rank + 1]] != scores[i];
        if last_of_tie {
            curve.push(RocPoint { threshold: scores[i], fpr: fp / negatives, tpr: tp / positives });
        }
    }
    curve
}

/// The ROC curve at about `points` evenly spaced thresholds, from (0, 0) to (1, 1), for charts.
pub fn roc(scores: &[f64], labels: &[bool], points: usize) -> Vec<RocPoint> {
    let full = cumulative(scores, labels);
    let step = (full.len() / points.max(1)).max(1);
    let mut curve = vec![RocPoint { threshold: 1.0, fpr: 0.0, tpr: 0.0 }];
    curve.extend(full.iter().enumerate().filter(|(k, _)| (k + 1) % step == 0 || k + 1 == full.len()).map(|(_, p)| *p));
    curve
}

/// Kolmogorov–Smirnov statistic: the largest gap between the cumulative score distributions of events and
/// non-events (TPR − FPR), with the score where it occurs.
pub fn ks(scores: &[f64], labels: &[bool]) -> (f64, f64) {
    cumulative(scores, labels)
        .iter()
        .fold((0.0, 1.0), |best, p| if p.tpr - p.fpr > best.0 { (p.tpr - p.fpr, p.threshold) } else { best })
}

/// Mean squared error of the probabilities.
pub fn brier(p: &[f64], labels: &[bool]) -> f64 {
    p.iter().zip(labels).map(|(p, &l)| (p - f64::from(u8::from(l))).powi(2)).sum::<f64>() / p.len().max(1) as f64
}

/// Mean negative log likelihood (probabilities clipped to [1e-15, 1 − 1e-15]).
pub fn log_loss(p: &[f64], labels: &[bool]) -> f64 {
    p.iter()
        .zip(labels)
        .map(|(p, &l)| {
            let p = p.clamp(1e-15, 1.0 - 1e-15);
            if l { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum::<f64>()
        / p.len().max(1) as f64
}

/// One bin of the reliability diagram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    pub bin: u32,
    /// Lowest and highest predicted probability in the bin.
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    /// `None` when the k-anonymity guard suppressed the bin.
    pub count: Option<u64>,
    pub mean_predicted: Option<f64>,
    /// The bin's events over its rows: withheld when the events or the non-events are 1..k−1, or to keep such
    /// a bin's from being recovered from the others and the total.
    pub observed_rate: Figure<f64>,
    pub suppressed: bool,
}

/// Calibration in `bins` bins of equal size by predicted probability (deciles for 10), and the expected
/// calibration error: the count-weighted mean |predicted − observed| over bins.
pub fn calibration(p: &[f64], labels: &[bool], bins: usize, guard: &KGuard) -> (Vec<CalibrationBin>, f64) {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut cells = Vec::with_capacity(bins);
    let mut ece = 0.0;
    for b in 0..bins {
        let rows = &order[b * order.len() / bins..(b + 1) * order.len() / bins];
        if rows.is_empty() {
            continue;
        }
        let n = rows.len() as f64;
        let predicted = rows.iter().map(|&i| p[i]).sum::<f64>() / n;
        let observed = rows.iter().filter(|&&i| labels[i]).count() as f64 / n;
        ece += n / p.len() as f64 * (predicted - observed).abs();
        let bounds = (p[rows[0]], p[rows[rows.len() - 1]]);
        let events = rows.iter().filter(|&&i| labels[i]).count() as u64;
        let _ = observed;
        cells.push((b as u32, rows.len() as u64, (bounds, predicted, events)));
    }
    // The observed rates reveal the bins' events: through the guard as the shares of a breakdown.
    let rates = guard.shares(&cells.iter().map(|(_, n, s)| (*n, s.2)).collect::<Vec<_>>());
    let guarded = guard.groups(cells);
    let bins = guarded
        .into_iter()
        .zip(rates)
        .map(|(g, observed_rate)| {
            let stats = g.stats;
            CalibrationBin {
                bin: g.label,
                lower: stats.map(|s| s.0.0),
                upper: stats.map(|s| s.0.1),
                count: g.count,
                mean_predicted: stats.map(|s| s.1),
                observed_rate,
                suppressed: g.suppressed,
            }
        })
        .collect();
    (bins, ece)
}

/// One row of the threshold table. Its figures rest on nested counts (people, events and non-events at or above
/// each cut-off), which the guard lets show only where no band between two cut-offs is 1..k−1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdRow {
    pub threshold: f64,
    /// Share of people at or above the threshold.
    pub share_flagged: Figure<f64>,
    /// Events among the flagged; `null` when no one is flagged, or when it is withheld.
    pub precision: Figure<f64>,
    /// Flagged among the events.
    pub recall: Figure<f64>,
}

/// Precision, recall and share flagged at each cut-off (rising), through the guard.
pub fn thresholds(p: &[f64], labels: &[bool], cutoffs: &[f64], guard: &KGuard) -> Vec<ThresholdRow> {
    let events = labels.iter().filter(|&&l| l).count() as u64;
    let (n, non_events) = (p.len() as u64, p.len() as u64 - events);
    let flagged: Vec<u64> = cutoffs.iter().map(|&t| p.iter().filter(|&&p| p >= t).count() as u64).collect();
    let hits: Vec<u64> =
        cutoffs.iter().map(|&t| p.iter().zip(labels).filter(|&(&p, &l)| p >= t && l).count() as u64).collect();
    let misses: Vec<u64> = flagged.iter().zip(&hits).map(|(f, h)| f - h).collect();
    let (flagged_shown, hits_shown, misses_shown) =
        (guard.nested(n, &flagged), guard.nested(events, &hits), guard.nested(non_events, &misses));
    (0..cutoffs.len())
        .map(|i| {
            let over = |count: &Figure<u64>, total: u64| count.map(|c| c as f64 / total.max(1) as f64);
            ThresholdRow {
                threshold: cutoffs[i],
                share_flagged: over(&flagged_shown[i], n),
                precision: hits_shown[i]
                    .and(&misses_shown[i])
                    .and(&flagged_shown[i])
                    .map(|h| (flagged[i] > 0).then(|| h as f64 / flagged[i] as f64))
                    .get()
                    .flatten()
                    .map_or_else(Figure::withheld, |v| guard.statistic(n, v)),
                recall: over(&hits_shown[i], events),
            }
        })
        .collect()
}

/// How the model does in one group (a region, an age band).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupStats {
    /// `None` with fewer than [`MIN_EVENTS_FOR_AUC`] events or non-events.
    pub auc: Option<f64>,
    /// `null` when the people flagged, or those not flagged, number 1..k−1 (the rate would reveal them), or when
    /// it is withheld so that such a group's cannot be recovered from the others.
    pub flag_rate: Figure<f64>,
    /// Withheld as the flag rate is, for events.
    pub observed_rate: Figure<f64>,
    pub mean_predicted: f64,
}

/// Groups smaller than this do not enter the fairness gaps (their rates are too noisy to compare).
pub const MIN_GROUP_FOR_GAPS: u64 = 100;

/// One group of a fairness breakdown; statistics are `None` when the k-anonymity guard suppressed the group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    pub group: String,
    pub count: Option<u64>,
    #[serde(flatten)]
    pub stats: Option<GroupStats>,
    pub suppressed: bool,
}

/// A fairness breakdown: each group's AUC and flag rate at the threshold, and the largest gaps between the
/// groups that have them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fairness {
    pub groups: Vec<GroupRow>,
    pub auc_gap: Option<f64>,
    pub flag_rate_gap: Option<f64>,
}

/// Breaks the metrics down by `group` (one label per row), in label order.
pub fn fairness(p: &[f64], labels: &[bool], group: &[&str], threshold: f64, guard: &KGuard) -> Fairness {
    let mut names: Vec<&str> = group.to_vec();
    names.sort_unstable();
    names.dedup();
    let measured: Vec<(usize, usize, usize, Option<f64>, f64)> = names
        .iter()
        .map(|&name| {
            let rows: Vec<usize> = (0..p.len()).filter(|&i| group[i] == name).collect();
            let gp: Vec<f64> = rows.iter().map(|&i| p[i]).collect();
            let gl: Vec<bool> = rows.iter().map(|&i| labels[i]).collect();
            let events = gl.iter().filter(|&&l| l).count();
            let enough = events >= MIN_EVENTS_FOR_AUC && gl.len() - events >= MIN_EVENTS_FOR_AUC;
            let flagged = gp.iter().filter(|&&p| p >= threshold).count();
            let mean = gp.iter().sum::<f64>() / rows.len().max(1) as f64;
            (rows.len(), flagged, events, if enough { auc(&gp, &gl) } else { None }, mean)
        })
        .collect();
    // A rate is a count over the group: the guard shows it as a breakdown's share.
    let flag_rates = guard.shares(&measured.iter().map(|m| (m.0 as u64, m.1 as u64)).collect::<Vec<_>>());
    let observed_rates = guard.shares(&measured.iter().map(|m| (m.0 as u64, m.2 as u64)).collect::<Vec<_>>());
    let cells = names
        .iter()
        .zip(measured)
        .zip(flag_rates.into_iter().zip(observed_rates))
        .map(|((&name, (n, _, _, auc, mean_predicted)), (flag_rate, observed_rate))| {
            (name.to_owned(), n as u64, GroupStats { auc, flag_rate, observed_rate, mean_predicted })
        })
        .collect();
    let groups: Vec<GroupRow> = guard
        .groups(cells)
        .into_iter()
        .map(|g| GroupRow { group: g.label, count: g.count, stats: g.stats, suppressed: g.suppressed })
        .collect();
    let gap = |values: Vec<f64>| {
        (values.len() >= 2)
            .then(|| values.iter().cloned().fold(f64::MIN, f64::max) - values.iter().cloned().fold(f64::MAX, f64::min))
    };
    let aucs = groups.iter().filter_map(|g| g.stats.as_ref().and_then(|s| s.auc)).collect();
    let flags = groups
        .iter()
        .filter(|g| g.count.is_some_and(|n| n >= MIN_GROUP_FOR_GAPS))
        .filter_map(|g| g.stats.as_ref().and_then(|s| s.flag_rate.get()))
        .collect();
    Fairness { auc_gap: gap(aucs), flag_rate_gap: gap(flags), groups }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_perfect_random_and_inverted_rankings() {
        let labels = [false, false, true, true];
        assert_eq!(auc(&[0.1, 0.2, 0.8, 0.9], &labels), Some(1.0));
        assert_eq!(auc(&[0.9, 0.8, 0.2, 0.1], &labels), Some(0.0));
        assert_eq!(auc(&[0.5; 4], &labels), Some(0.5));
        assert_eq!(auc(&[0.1, 0.2], &[true, true]), None);
    }

    #[test]
    fn auc_counts_ties_as_half() {
        // Positive at 0.5 ties one negative and beats another: (1 + 0.5) / 2.
        assert_eq!(auc(&[0.5, 0.5, 0.1], &[true, false, false]), Some(0.75));
    }

    #[test]
    fn ks_brier_and_log_loss_on_a_small_case() {
        let p = [0.9, 0.8, 0.3, 0.1];
        let labels = [true, true, false, false];
        assert_eq!(ks(&p, &labels), (1.0, 0.8));
        assert!((brier(&p, &labels) - (0.01 + 0.04 + 0.09 + 0.01) / 4.0).abs() < 1e-12);
        let expected = -(0.9f64.ln() + 0.8f64.ln() + 0.7f64.ln() + 0.9f64.ln()) / 4.0;
        assert!((log_loss(&p, &labels) - expected).abs() < 1e-12);
    }

    #[test]
    fn calibration_of_calibrated_probabilities_has_small_error() {
        // 1,000 people at each of 10 probabilities, with exactly that share of events.
        let mut p = Vec::new();
        let mut labels = Vec::new();
        for b in 0..10 {
            for i in 0..1000 {
                p.push(0.05 + 0.1 * b as f64);
                labels.push(i < 50 + 100 * b);
            }
        }
        let (bins, ece) = calibration(&p, &labels, 10, &KGuard::default());
        assert_eq!(bins.len(), 10);
        assert!(ece < 1e-9, "{ece}");
        assert!((bins[3].observed_rate.get().unwrap() - 0.35).abs() < 1e-9);
    }

    #[test]
    fn threshold_table_counts_precision_and_recall() {
        let p: Vec<f64> = (0..400).map(|i| i as f64 / 400.0).collect();
        let labels: Vec<bool> = (0..400).map(|i| i % 2 == 0).collect();
        let guard = KGuard::default();
        let rows = thresholds(&p, &labels, &[0.5], &guard);
        let got = (rows[0].share_flagged.get(), rows[0].precision.get(), rows[0].recall.get());
        assert_eq!(got, (Some(0.5), Some(0.5), Some(0.5)));
        // Four people between 0.99 and 0.995: the two rows together would show them; the lower one is withheld.
        let rows = thresholds(&p, &labels, &[0.99, 0.995], &guard);
        assert!(rows[0].share_flagged.get().is_none(), "{rows:?}");
    }

    #[test]
    fn small_groups_are_suppressed_in_fairness() {
        let n = 100;
        let p: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
        let labels: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
        let group: Vec<&str> = (0..n)
            .map(|i| {
                if i < 5 {
                    "tiny"
                } else if i < 50 {
                    "a"
                } else {
                    "b"
                }
            })
            .collect();
        let fairness = fairness(&p, &labels, &group, 0.5, &KGuard::default());
        let tiny = fairness.groups.iter().find(|g| g.group == "tiny").unwrap();
        assert!(tiny.suppressed && tiny.stats.is_none() && tiny.count.is_none());
        // Complementary suppression hides a second group too; the visible one keeps its statistics.
        assert_eq!(fairness.groups.iter().filter(|g| g.suppressed).count(), 2);
    }
}
