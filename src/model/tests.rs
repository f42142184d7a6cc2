//! The model on small synthetic populations: training against the generator's signs, scoring, points; and the
//! small model other modules' tests share.

use super::*;

/// A model trained on the unit-test population, with outcomes that follow missed payments and income.
pub fn small_model() -> Artifact {
    let n = 3_000;
    let population = features::tests::population(n);
    let missed = population.numbers("missed_payments_12m").unwrap();
    let data = Labelled {
        label: (0..n).map(|i| ((i * 7_919 % 100) as f64) < 5.0 + 8.0 * missed[i]).collect(),
        validation: (0..n).map(|i| i % 3 == 0).collect(),
        true_p: (0..n).map(|i| 0.05 + 0.08 * missed[i]).collect(),
        population,
    };
    let provenance =
        Provenance { generator_version: 2, seed: 1, customers: n as u64, observation_date: "2025-12-31".into() };
    train(&data, provenance, &TrainOptions::default()).unwrap().0
}

#[test]
fn the_artifact_round_trips_through_json() {
    let artifact = small_model();
    assert!(artifact.version.starts_with("financial-distress@"));
    let json = artifact.to_json();
    assert_eq!(Artifact::from_json(&json).unwrap(), artifact);
    assert_eq!(Artifact::from_json(&json).unwrap().to_json(), json);
}

#[test]
fn an_edited_artifact_is_detected() {
    let artifact = small_model();
    let json = artifact.to_json();
    let needle = format!("\"intercept\": {}", serde_json::to_string(&artifact.intercept).unwrap());
    let edited = json.replace(&needle, "\"intercept\": 0.5");
    assert_ne!(edited, json);
    let err = Artifact::from_json(&edited).unwrap_err();
    assert!(err.to_string().contains("edited or damaged"), "{err}");
    let err = Artifact::from_json(&json[..json.len() / 2]).unwrap_err();
    assert!(matches!(err, Error::Corrupt(_)), "{err}");
}

#[test]
fn another_format_or_feature_set_is_refused() {
    let artifact = small_model();
    let other = artifact.to_json().replace(artifact::FORMAT, "safehaven-model/99");
    assert!(matches!(Artifact::from_json(&other), Err(Error::Format { .. })));
    let mut fewer = artifact.clone();
    fewer.features.pop();
    let err = Artifact::from_json(&fewer.seal().to_json()).unwrap_err();
    assert!(matches!(err, Error::FeatureMismatch { .. }), "{err}");
}

#[test]
fn scoring_folds_standardisation_into_the_weights() {
    let artifact = small_model();
    let population = features::tests::population(50);
    let (x, p) = score(&artifact, &population).unwrap();
    for (i, row) in x.rows().into_iter().enumerate() {
        let z: f64 = artifact.intercept
            + artifact.features.iter().zip(row).map(|(f, v)| f.coefficient * (v - f.mean) / f.std).sum::<f64>();
        assert!((newton::sigmoid(z) - p[i]).abs() < 1e-12);
        let contributions: f64 = explain::contributions(&artifact, &row.to_vec()).iter().sum();
        assert!((artifact.intercept + contributions - z).abs() < 1e-9);
    }
}

#[test]
fn reasons_are_positive_contributions_in_words() {
    let artifact = small_model();
    let population = features::tests::population(50);
    let (x, _) = score(&artifact, &population).unwrap();
    // Row 4 has 4 missed payments (i % 5), the strongest driver of this model.
    let reasons = explain::top_reasons(&artifact, &x.row(4).to_vec());
    assert!(reasons.len() <= explain::TOP_REASONS);
    assert!(reasons.iter().all(|r| r.contribution > 0.0));
    assert_eq!(reasons[0].text, "4 missed payments in 12 months");
}

#[test]
fn points_follow_the_scaling_convention() {
    assert!((points(0.05) - 600.0).abs() < 1e-9);
    // Doubling the odds against distress adds 50 points.
    let odds = 19.0 * 2.0;
    assert!((points(1.0 / (1.0 + odds)) - 650.0).abs() < 1e-9);
}

#[test]
fn too_small_a_training_set_is_refused_with_its_counts() {
    let population = features::tests::population(100);
    let data = Labelled {
        label: (0..100).map(|i| i % 2 == 0).collect(),
        validation: (0..100).map(|i| i % 3 == 0).collect(),
        true_p: vec![0.5; 100],
        population,
    };
    let provenance =
        Provenance { generator_version: 2, seed: 1, customers: 100, observation_date: "2025-12-31".into() };
    let err = train(&data, provenance, &TrainOptions::default()).unwrap_err();
    assert!(matches!(err, Error::TooFew(_)) && err.to_string().contains("at least 200"), "{err}");
}

#[test]
fn a_single_class_is_refused() {
    let population = features::tests::population(1_000);
    let data = Labelled {
        label: vec![false; 1_000],
        validation: (0..1_000).map(|i| i % 3 == 0).collect(),
        true_p: vec![0.1; 1_000],
        population,
    };
    let provenance =
        Provenance { generator_version: 2, seed: 1, customers: 1_000, observation_date: "2025-12-31".into() };
    let err = train(&data, provenance, &TrainOptions::default()).unwrap_err();
    assert!(err.to_string().contains("0 with distress"), "{err}");
}
