//! The analytics on a small synthetic portfolio: thresholds, suppression, filters, paging, case pages and what-if.

use super::*;
use crate::model::features::tests::population;
use crate::model::whatif::Shock;
use crate::privacy::KGuard;

fn portfolio(n: usize) -> Portfolio {
    let artifact = crate::model::tests::small_model();
    let now = population(n);
    // Three months ago everyone had fewer missed payments.
    let then = now.with_columns(vec![polars::prelude::col("missed_payments_12m") * polars::prelude::lit(0.5)]).unwrap();
    let trends = vec![TrendRow {
        month: "2025-12".into(),
        region: "CA".into(),
        credit_group: "prime".into(),
        age_band: "18-24".into(),
        missed_payment: 20,
        overdraft: 3,
        claim: 30,
        medical_cost: 1000.0,
    }];
    Portfolio::build(artifact, now, [then.clone(), then], trends).unwrap()
}

#[test]
fn a_higher_threshold_flags_fewer_people() {
    let p = portfolio(600);
    let guard = KGuard::default();
    let low = p.executive(0.1, Filter::default(), &guard).unwrap();
    let high = p.executive(0.3, Filter::default(), &guard).unwrap();
    assert_eq!(low.kpis.people.value.get(), Some(600.0));
    assert!(low.kpis.high_risk_count.value.get().unwrap() > high.kpis.high_risk_count.value.get().unwrap());
    // Nearly everyone flagged: the few not flagged would be derivable, so the count is withheld.
    let all = p.executive(0.0, Filter::default(), &guard).unwrap();
    assert_eq!(all.kpis.high_risk_count.value.get(), Some(600.0));
    // Missed payments doubled over three months: risk rose.
    assert!(low.kpis.expected_distress.change_3m.get().unwrap() > 0.0);
    assert_eq!(low.kpis.expected_distress, high.kpis.expected_distress);
}

#[test]
fn small_groups_are_suppressed_not_zero() {
    let p = portfolio(600);
    let guard = KGuard::default();
    let view = p.executive(0.2, Filter::default(), &guard).unwrap();
    let ca = view.regions.iter().find(|r| r.label == "CA").unwrap();
    assert_eq!(ca.count, Some(200));
    let wy = view.regions.iter().find(|r| r.label == "WY").unwrap();
    assert_eq!((wy.count, wy.suppressed), (Some(0), false));
    // One cell of 20 missed payments among 200 CA/prime/18-24 people: visible only with the right filter.
    let filtered = p.filter(Some("CA"), None, Some("18-24")).unwrap();
    let view = p.executive(0.2, filtered, &guard).unwrap();
    assert_eq!(view.kpis.people.value.get(), Some(100.0));
    assert_eq!(view.trends[0].missed_payment.get(), Some(20));
    // Ten people: everything withheld.
    let small = portfolio(60);
    let view = small.executive(0.2, small.filter(Some("CA"), None, Some("18-24")).unwrap(), &guard).unwrap();
    assert!(
        view.suppressed && view.kpis.people.value.get().is_none() && view.kpis.mean_probability.value.get().is_none()
    );
}

#[test]
fn unknown_filter_values_name_the_parameter() {
    let p = portfolio(60);
    let err = p.filter(None, Some("platinum"), None).unwrap_err();
    assert!(err.to_string().starts_with("creditGroup: unknown value `platinum`"), "{err}");
    assert!(p.executive(1.5, Filter::default(), &KGuard::default()).unwrap_err().to_string().starts_with("threshold"));
}

#[test]
fn cases_come_highest_risk_first_and_page() {
    let p = portfolio(300);
    let page = p
        .cases(
            CaseQuery { filter: Filter::default(), indicator: None, threshold: 0.2, offset: 0, limit: 10 },
            &KGuard::default(),
        )
        .unwrap();
    assert_eq!((page.total.get().unwrap(), page.cases.len()), (300, 10));
    assert!(page.cases.windows(2).all(|w| w[0].probability >= w[1].probability));
    let next = p
        .cases(
            CaseQuery { filter: Filter::default(), indicator: None, threshold: 0.2, offset: 10, limit: 10 },
            &KGuard::default(),
        )
        .unwrap();
    assert!(next.cases[0].probability <= page.cases[9].probability);
    let unemployed = p
        .cases(
            CaseQuery {
                filter: Filter::default(),
                indicator: Some(Indicator::Unemployed),
                threshold: 0.2,
                offset: 0,
                limit: 200,
            },
            &KGuard::default(),
        )
        .unwrap();
    assert_eq!(unemployed.total.get().unwrap(), 300 / 7 + 1);
    assert!(
        p.cases(
            CaseQuery { filter: Filter::default(), indicator: None, threshold: 0.2, offset: 300, limit: 10 },
            &KGuard::default()
        )
        .unwrap_err()
        .to_string()
        .starts_with("offset")
    );
    assert!(
        p.cases(
            CaseQuery { filter: Filter::default(), indicator: None, threshold: 0.2, offset: 0, limit: 0 },
            &KGuard::default()
        )
        .unwrap_err()
        .to_string()
        .starts_with("limit")
    );
}

#[test]
fn a_case_page_and_its_what_if() {
    let p = portfolio(60);
    let id = "SH-TEST-0004";
    let case = p.case(id, 0.2).unwrap().unwrap();
    assert_eq!(case.row.masked_id, id);
    assert!(case.probability_3m_ago.unwrap() < case.row.probability);
    let impact = p.what_if(id, &Shock { income_pct: -50.0, ..Default::default() }).unwrap().unwrap();
    assert!((impact.old_probability - case.row.probability).abs() < 1e-12);
    assert!(impact.new_probability > impact.old_probability);
    assert!(p.case("SH-NONE-0000", 0.2).unwrap().is_none());
    let err = p.what_if(id, &Shock { unemployment_points: 3.0, ..Default::default() }).unwrap_err();
    assert!(err.to_string().starts_with("unemploymentPoints"));
}
