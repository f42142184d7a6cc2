//! How well probabilities rank and calibrate against outcomes: AUC, Gini, KS, Brier, log loss, calibration bins
//! and ECE, a threshold table, a ROC curve for charts, and per-group breakdowns for fairness gaps.

use crate::privacy::KGuard;
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
    pub observed_rate: Option<f64>,
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
        // The observed rate reveals the bin's events: withheld when they, or the non-events, are 1..k−1.
        let events = rows.iter().filter(|&&i| labels[i]).count() as u64;
        let observed = guard.part(events, rows.len() as u64).map(|_| observed);
        cells.push((b as u32, rows.len() as u64, (bounds, predicted, observed)));
    }
    let guarded = guard.groups(cells);
    let bins = guarded
        .into_iter()
        .map(|g| {
            let stats = g.stats;
            CalibrationBin {
                bin: g.label,
                lower: stats.map(|s| s.0.0),
                upper: stats.map(|s| s.0.1),
                count: g.count,
                mean_predicted: stats.map(|s| s.1),
                observed_rate: stats.and_then(|s| s.2),
                suppressed: g.suppressed,
            }
        })
        .collect();
    (bins, ece)
}

/// One row of the threshold table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdRow {
    pub threshold: f64,
    /// Share of people at or above the threshold.
    pub share_flagged: f64,
    /// Events among the flagged; `None` when no one is flagged.
    pub precision: Option<f64>,
    /// Flagged among the events.
    pub recall: f64,
}

/// Precision, recall and share flagged at each cut-off.
pub fn thresholds(p: &[f64], labels: &[bool], cutoffs: &[f64]) -> Vec<ThresholdRow> {
    let events = labels.iter().filter(|&&l| l).count().max(1) as f64;
    cutoffs
        .iter()
        .map(|&t| {
            let flagged = p.iter().filter(|&&p| p >= t).count();
            let hits = p.iter().zip(labels).filter(|&(&p, &l)| p >= t && l).count();
            ThresholdRow {
                threshold: t,
                share_flagged: flagged as f64 / p.len().max(1) as f64,
                precision: (flagged > 0).then(|| hits as f64 / flagged as f64),
                recall: hits as f64 / events,
            }
        })
        .collect()
}

/// How the model does in one group (a region, an age band).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupStats {
    /// `None` with fewer than [`MIN_EVENTS_FOR_AUC`] events or non-events.
    pub auc: Option<f64>,
    /// `None` when the people flagged, or those not flagged, number 1..k−1: the rate would reveal them.
    pub flag_rate: Option<f64>,
    /// `None` when the events, or the non-events, number 1..k−1.
    pub observed_rate: Option<f64>,
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
    let cells = names
        .iter()
        .map(|&name| {
            let rows: Vec<usize> = (0..p.len()).filter(|&i| group[i] == name).collect();
            let gp: Vec<f64> = rows.iter().map(|&i| p[i]).collect();
            let gl: Vec<bool> = rows.iter().map(|&i| labels[i]).collect();
            let events = gl.iter().filter(|&&l| l).count();
            let n = rows.len() as f64;
            let enough = events >= MIN_EVENTS_FOR_AUC && gl.len() - events >= MIN_EVENTS_FOR_AUC;
            let flagged = gp.iter().filter(|&&p| p >= threshold).count();
            // A rate is a count over the group: shown only if the count and its complement are safe.
            let safe = |count: usize| guard.part(count as u64, rows.len() as u64).is_some();
            let stats = GroupStats {
                auc: if enough { auc(&gp, &gl) } else { None },
                flag_rate: safe(flagged).then(|| flagged as f64 / n),
                observed_rate: safe(events).then(|| events as f64 / n),
                mean_predicted: gp.iter().sum::<f64>() / n,
            };
            (name.to_owned(), rows.len() as u64, stats)
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
        .filter_map(|g| g.stats.as_ref().and_then(|s| s.flag_rate))
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
        assert!((bins[3].observed_rate.unwrap() - 0.35).abs() < 1e-9);
    }

    #[test]
    fn threshold_table_counts_precision_and_recall() {
        let rows = thresholds(&[0.9, 0.6, 0.4, 0.1], &[true, false, true, false], &[0.5]);
        assert_eq!(rows[0], ThresholdRow { threshold: 0.5, share_flagged: 0.5, precision: Some(0.5), recall: 0.5 });
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
