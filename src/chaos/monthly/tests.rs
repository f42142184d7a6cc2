//! The monthly loop held to the polars reference path, and its event draws.

use super::*;
use crate::chaos::scenario::Shape;
use crate::model::features::tests::population;

#[test]
fn stress_regenerates_missed_payments_that_outlast_the_shock() {
    let artifact = crate::model::tests::small_model();
    let pop = population(2000);
    let mut scenario = Scenario::parse("r", include_str!("../../../scenarios/recession.toml")).unwrap();
    scenario.shape = Shape::V;
    scenario.horizon_months = 12;
    let prepared = Prepared::new(&pop, &artifact, scenario.seed).unwrap();
    let mut events = prepared.events();
    let (baseline, _, _) = prepared.month(&scenario, 0.0);
    let totals: Vec<u64> = (1..=12).map(|m| prepared.at(&scenario, m, &mut events).extra_missed).collect();
    assert!(totals[5] > 0, "the peak adds missed payments: {totals:?}");
    assert_eq!(totals[11], 0, "no stress at the end of a V, no new events");
    // The shock is over at month 12, but the events it caused are still on the record.
    let end = prepared.at(&scenario, 12, &mut prepared.events());
    assert!(end.p.iter().zip(&baseline).any(|(a, b)| a != b), "missed payments outlast the shock");
    // The same scenario and seed draw the same events; no stress, no events.
    let again = prepared.at(&scenario, 12, &mut prepared.events());
    assert_eq!(again.p, end.p);
    let mut calm = scenario.clone();
    calm.shocks.retain(|s| s.driver == Driver::HousePrices);
    assert_eq!(prepared.at(&calm, 12, &mut prepared.events()).p, baseline);
}

#[test]
fn the_fast_path_matches_the_reference_path() {
    let artifact = crate::model::tests::small_model();
    let pop = population(700);
    for (name, text) in [
        ("recession", include_str!("../../../scenarios/recession.toml")),
        ("health_crisis", include_str!("../../../scenarios/health_crisis.toml")),
        ("market_boom", include_str!("../../../scenarios/market_boom.toml")),
    ] {
        let mut scenario = Scenario::parse(name, text).unwrap();
        // The unit-test population lives in CA, TX and NY: put a regional shock where it has people.
        for shock in &mut scenario.shocks {
            if let Some(regions) = &mut shock.regions {
                regions.push("NY".into());
                regions.push("TX".into());
            }
        }
        scenario.shape = Shape::Linear;
        let prepared = Prepared::new(&pop, &artifact, scenario.seed).unwrap();
        for intensity in [0.0, 0.37, 1.0] {
            let (fast, costs, changed) = prepared.matrix(&scenario, intensity);
            let (p, _, _) = prepared.month(&scenario, intensity);
            let p_reference = crate::model::Scorer::new(&artifact).probabilities(&fast);
            assert!(p.iter().zip(&p_reference).all(|(a, b)| (a - b).abs() < 1e-12));
            let (shocked, expected_changed) = crate::chaos::apply(&pop, &scenario, intensity).unwrap();
            let reference = features::matrix(&shocked, &artifact.encoding).unwrap();
            assert_eq!(changed, expected_changed, "{name} at {intensity}");
            for ((at, a), b) in fast.indexed_iter().zip(reference.iter()) {
                let feature = features::FEATURES[at.1].name;
                assert!((a - b).abs() < 1e-9, "{name} at {intensity}, row {}, {feature}: {a} vs {b}", at.0);
            }
            let reference_costs = shocked.numbers("medical_cost_12m").unwrap();
            assert!(costs.iter().zip(&reference_costs).all(|(a, b)| (a - b).abs() < 1e-6));
        }
    }
}
