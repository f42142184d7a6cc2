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
    assert_eq!(low.kpis.people.value, Some(600.0));
    assert!(low.kpis.high_risk_count.value.unwrap() > high.kpis.high_risk_count.value.unwrap());
    // Nearly everyone flagged: the few not flagged would be derivable, so the count is withheld.
    let all = p.executive(0.0, Filter::default(), &guard).unwrap();
    assert_eq!(all.kpis.high_risk_count.value, Some(600.0));
    // Missed payments doubled over three months: risk rose.
    assert!(low.kpis.expected_distress.change_3m.unwrap() > 0.0);
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
    assert_eq!(view.kpis.people.value, Some(100.0));
    assert_eq!(view.trends[0].missed_payment, Some(20));
    // Ten people: everything withheld.
    let small = portfolio(60);
    let view = small.executive(0.2, small.filter(Some("CA"), None, Some("18-24")).unwrap(), &guard).unwrap();
    assert!(view.suppressed && view.kpis.people.value.is_none() && view.kpis.mean_probability.value.is_none());
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
    let page = p.cases(Filter::default(), None, 0.2, 0, 10).unwrap();
    assert_eq!((page.total, page.cases.len()), (300, 10));
    assert!(page.cases.windows(2).all(|w| w[0].probability >= w[1].probability));
    let next = p.cases(Filter::default(), None, 0.2, 10, 10).unwrap();
    assert!(next.cases[0].probability <= page.cases[9].probability);
    let unemployed = p.cases(Filter::default(), Some(Indicator::Unemployed), 0.2, 0, 200).unwrap();
    assert_eq!(unemployed.total, 300 / 7 + 1);
    assert!(p.cases(Filter::default(), None, 0.2, 300, 10).unwrap_err().to_string().starts_with("offset"));
    assert!(p.cases(Filter::default(), None, 0.2, 0, 0).unwrap_err().to_string().starts_with("limit"));
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
