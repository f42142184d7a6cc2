//! The k-anonymity guard's second line, tried as a careful analyst would: over random filters, thresholds and
//! views, no count shown is 1..k−1, no count derived from what is shown (a share times its group, the rest of a
//! group, a change between snapshots, the difference of two counts of one series) is 1..k−1, and no withheld part
//! is recovered from its siblings and the totals. Filtered views withhold what the unfiltered view withholds.

use crate::support::{shared_portfolio, token};
use axum::http::StatusCode;
use rand::{RngExt, SeedableRng};
use safehaven::analytics::{CaseQuery, Executive, Filter, Indicator};
use safehaven::catalog::{AGE_BANDS, CREDIT_GROUP_NAMES, REGIONS};
use safehaven::privacy::KGuard;
use safehaven::privacy::roles::Role;

/// Whether `n` people would be a small cell.
fn small(n: i64, k: u64) -> bool {
    (1..k as i64).contains(&n.abs())
}

/// A share times its group, as the count an analyst would compute from them.
fn times(share: f64, people: u64) -> i64 {
    (share * people as f64).round() as i64
}

/// Every count the view shows or lets an analyst derive, checked against k; returns how many were checked.
fn check_executive(view: &Executive, k: u64, what: &str) -> usize {
    let mut checked = 0;
    let mut ok = |n: i64, label: &str| {
        checked += 1;
        assert!(!small(n, k), "{what}: {label} = {n} is a small cell (k = {k})");
    };
    let kpis = &view.kpis;
    let people = kpis.people.value.get();
    if let Some(people) = people {
        ok(people as i64, "people");
    }
    if let (Some(h), Some(people)) = (kpis.high_risk_count.value.get(), people) {
        ok(h as i64, "high-risk count");
        ok(people as i64 - h as i64, "the others");
    }
    if let (Some(share), Some(people)) = (kpis.high_risk_share.value.get(), people) {
        ok(times(share, people as u64), "share × people");
        ok(people as i64 - times(share, people as u64), "people − share × people");
    }
    let changes = [kpis.high_risk_count.change_3m.get(), kpis.high_risk_count.change_12m.get()];
    for change in changes.iter().flatten() {
        ok(*change as i64, "change of the high-risk count");
    }
    if let (Some(a), Some(b)) = (changes[0], changes[1]) {
        ok((a - b) as i64, "difference of the 3- and 12-month changes");
    }
    if let (Some(h), Some(people)) = (kpis.high_risk_count.value.get(), people) {
        for change in changes.iter().flatten() {
            let then = h as i64 - *change as i64;
            ok(then, "high-risk count then");
            ok(people as i64 - then, "the others then");
        }
    }
    // Breakdowns: each shown share and its rest, and what the withheld ones add up to.
    let total_high = kpis.high_risk_count.value.get().map(|h| h as i64);
    let breakdowns: [Vec<(Option<u64>, Option<f64>)>; 2] = [
        view.regions.iter().map(|g| (g.count, g.stats.as_ref().and_then(|s| s.high_risk_share.get()))).collect(),
        view.credit_groups.iter().map(|g| (g.count, g.stats.as_ref().and_then(|s| s.high_risk_share.get()))).collect(),
    ];
    for rows in &breakdowns {
        for (count, share) in rows {
            if let Some(count) = count {
                ok(*count as i64, "a group's people");
                if let Some(share) = share {
                    ok(times(*share, *count), "a group's high-risk people");
                    ok(*count as i64 - times(*share, *count), "a group's others");
                }
            }
        }
        let withheld = rows.iter().filter(|(c, s)| c.is_some_and(|c| c > 0) && s.is_none() || c.is_none()).count();
        if let (Some(total_high), Some(people)) = (total_high, people) {
            let shown_high: i64 = rows.iter().filter_map(|(c, s)| Some(times((*s)?, (*c)?))).sum();
            let shown_people: i64 =
                rows.iter().filter(|(_, s)| s.is_some()).filter_map(|(c, _)| c.map(|c| c as i64)).sum();
            let (residual_high, residual_people) = (total_high - shown_high, people as i64 - shown_people);
            assert_ne!(withheld, 1, "{what}: a single withheld part is total − the others");
            ok(residual_high, "withheld groups' high-risk people");
            ok(residual_people - residual_high, "withheld groups' others");
        }
    }
    for point in &view.trends {
        for count in [point.missed_payment, point.overdraft, point.claim].iter().filter_map(|c| c.get()) {
            ok(count as i64, "a month's count");
            if let Some(people) = people {
                ok(people as i64 - count as i64, "a month's others");
            }
        }
    }
    checked
}

#[test]
fn no_small_cell_is_shown_or_derivable_over_random_filters_and_thresholds() {
    let portfolio = shared_portfolio();
    let guard = KGuard::default();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let mut checked = 0;
    for _ in 0..200 {
        let threshold = (rng.random_range(5..60) as f64) / 100.0;
        let pick = |rng: &mut rand_chacha::ChaCha8Rng, names: &[&'static str]| {
            rng.random_bool(0.4).then(|| names[rng.random_range(0..names.len())])
        };
        let codes: Vec<&str> = REGIONS.iter().map(|r| r.code).collect();
        let (region, credit, age) =
            (pick(&mut rng, &codes), pick(&mut rng, &CREDIT_GROUP_NAMES), pick(&mut rng, &AGE_BANDS));
        let filter = portfolio.filter(region, credit, age).unwrap();
        let view = portfolio.executive(threshold, filter, &guard).unwrap();
        checked += check_executive(&view, guard.k(), &format!("t={threshold} {region:?} {credit:?} {age:?}"));
        // A case list's total is a count too.
        let indicator = rng.random_bool(0.5).then(|| Indicator::ALL[rng.random_range(0..6)].1);
        let query = CaseQuery { filter, indicator, threshold, offset: 0, limit: 10 };
        if let Some(total) = portfolio.cases(query, &guard).unwrap().total.get() {
            assert!(!small(total as i64, guard.k()), "a case list of {total}");
        }
    }
    assert!(checked > 2_000, "{checked} figures checked");
}

#[test]
fn a_filtered_view_withholds_what_the_unfiltered_view_withholds() {
    let portfolio = shared_portfolio();
    let guard = KGuard::default();
    for threshold in [0.1, 0.2, 0.3, 0.45] {
        let all = portfolio.executive(threshold, Filter::default(), &guard).unwrap();
        for (r, row) in all.regions.iter().enumerate() {
            let filtered = portfolio
                .executive(threshold, portfolio.filter(Some(REGIONS[r].code), None, None).unwrap(), &guard)
                .unwrap();
            if row.suppressed {
                assert!(
                    filtered.suppressed && filtered.kpis.people.value.get().is_none(),
                    "{} at {threshold}",
                    row.label
                );
            } else if row.stats.as_ref().is_some_and(|s| !s.high_risk_share.is_shown()) {
                assert!(filtered.kpis.high_risk_count.value.get().is_none(), "{} at {threshold}", row.label);
                assert!(filtered.withheld_because.is_some());
            }
        }
        for (c, row) in all.credit_groups.iter().enumerate() {
            let filtered = portfolio
                .executive(threshold, portfolio.filter(None, Some(CREDIT_GROUP_NAMES[c]), None).unwrap(), &guard)
                .unwrap();
            if row.stats.as_ref().is_some_and(|s| !s.high_risk_share.is_shown()) || row.suppressed {
                assert!(filtered.kpis.high_risk_count.value.get().is_none(), "{} at {threshold}", row.label);
            }
        }
    }
}

#[test]
fn the_model_page_shows_no_derivable_small_cell() {
    let artifact = shared_portfolio().artifact().clone();
    let k = KGuard::default().k();
    let m = &artifact.metrics;
    for fairness in [&m.fairness_by_region, &m.fairness_by_age_band] {
        let rows: Vec<_> = fairness.groups.iter().filter_map(|g| Some((g.count?, g.stats.as_ref()?))).collect();
        for (n, stats) in &rows {
            for rate in [stats.flag_rate.get(), stats.observed_rate.get()].into_iter().flatten() {
                assert!(!small(times(rate, *n), k) && !small(*n as i64 - times(rate, *n), k), "rate {rate} of {n}");
            }
        }
        let withheld =
            fairness.groups.iter().filter(|g| g.stats.as_ref().is_none_or(|s| !s.observed_rate.is_shown())).count();
        assert_ne!(withheld, 1, "one withheld observed rate is the total's events − the others'");
    }
    for bin in &m.calibration {
        if let (Some(n), Some(rate)) = (bin.count, bin.observed_rate.get()) {
            assert!(!small(times(rate, n), k) && !small(n as i64 - times(rate, n), k));
        }
    }
    let n = artifact.training_data.validation_rows;
    let shown: Vec<i64> = m.thresholds.iter().filter_map(|t| t.share_flagged.get()).map(|s| times(s, n)).collect();
    for pair in shown.windows(2) {
        assert!(!small(pair[0] - pair[1], k), "two shown rows {pair:?} reveal the people between their cut-offs");
    }
}

#[test]
fn a_drills_shock_counts_are_one_series() {
    let winter = safehaven::chaos::drill::preset("winter_surge").unwrap().unwrap();
    let k = KGuard::default().k();
    let timeline = crate::drill::timeline_of(&winter);
    let mut shown: Vec<u64> = Vec::new();
    for figures in timeline.iter().filter_map(|e| e.figures.as_ref()) {
        shown.extend(figures.baseline_high_risk_count.get());
        shown.extend(figures.high_risk_count.get());
    }
    shown.sort_unstable();
    shown.dedup();
    for (i, a) in shown.iter().enumerate() {
        assert!(!small(*a as i64, k));
        for b in &shown[i + 1..] {
            assert!(!small(*b as i64 - *a as i64, k), "{a} and {b} are shown in one drill");
        }
    }
}

#[tokio::test]
async fn the_api_and_its_exports_show_the_guarded_figures() {
    use crate::support::http::call_as;
    use axum::http::Method;
    let (status, _, csv) =
        call_as(Some(token(Role::Executive)), Method::GET, "/api/v1/export/executive/regions.csv?threshold=0.3").await;
    assert_eq!(status, StatusCode::OK);
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        if let (Ok(people), Ok(share)) = (cells[1].parse::<u64>(), cells[4].parse::<f64>()) {
            let high = times(share, people);
            assert!(!small(high, 11) && !small(people as i64 - high, 11), "{line}");
        }
    }
}
