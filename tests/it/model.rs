//! The risk model end to end: the shipped default model is reproduced byte for byte, the quality bars hold on the
//! default warehouse (100,000 customers), the solver agrees with linfa-logistic, scores land in the warehouse,
//! what-if moves in the right direction, and bad input changes nothing.

use crate::support::{assert_exit, safehaven, seed_into, stderr, stdout};
use linfa::prelude::*;
use safehaven::model::{self, Artifact, features, newton::NewtonLogistic};
use safehaven::warehouse::{self, Warehouse};
use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;
use tempfile::TempDir;

/// The default demo warehouse: what the shipped model was trained on.
const DEFAULT_CUSTOMERS: u64 = 100_000;
const DEFAULT_SEED: u64 = 42;

const SHIPPED: &str = include_str!("../../models/financial-distress.json");

/// The default warehouse, trained and scored once per test run; tests only read it.
fn trained() -> &'static TempDir {
    static TRAINED: OnceLock<TempDir> = OnceLock::new();
    TRAINED.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        seed_into(dir.path(), DEFAULT_CUSTOMERS, DEFAULT_SEED, 2);
        let data_dir = dir.path().to_str().unwrap();
        assert_exit(&safehaven(&["train", "--data-dir", data_dir]), 0);
        assert_exit(&safehaven(&["score", "--data-dir", data_dir]), 0);
        dir
    })
}

fn artifact() -> Artifact {
    let json = std::fs::read_to_string(trained().path().join("model.json")).unwrap();
    Artifact::from_json(&json).unwrap()
}

fn open(dir: &Path) -> Warehouse {
    Warehouse::open_read_only(&warehouse::path_in(dir)).unwrap()
}

fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(output)))
}

#[test]
fn retraining_the_default_warehouse_reproduces_the_shipped_model() {
    let trained = std::fs::read_to_string(trained().path().join("model.json")).unwrap();
    assert!(
        trained == SHIPPED,
        "models/financial-distress.json is not what training on the default warehouse gives: retrain it with \
         `safehaven train --data-dir <default warehouse> --out models/financial-distress.json` and update the card"
    );
}

#[test]
fn the_model_card_describes_the_shipped_artifact() {
    let shipped = Artifact::from_json(SHIPPED).unwrap();
    let card = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/models/README.md")).unwrap();
    assert!(card.contains(&shipped.version), "models/README.md does not name {}", shipped.version);
    assert!(
        card.contains(&format!("{:.4}", shipped.metrics.auc))
            && card.contains(&format!("{:.4}", shipped.metrics.bayes_auc))
    );
}

#[test]
fn the_quality_bars_hold_on_the_default_warehouse() {
    let a = artifact();
    let m = &a.metrics;
    assert!(a.convergence.converged);
    assert!(m.bayes_auc - m.auc <= 0.01, "AUC {} vs Bayes {}", m.auc, m.bayes_auc);
    assert!(m.ece <= 0.02, "ECE {}", m.ece);
    assert!((m.gini - (2.0 * m.auc - 1.0)).abs() < 1e-12);
    let report = a.report(None);
    assert_eq!(report.sign_checks.len(), model::EXPECTED_SIGNS.len());
    for check in &report.sign_checks {
        assert!(check.agrees, "{} has coefficient {} against the generator's sign", check.feature, check.coefficient);
    }
}

#[test]
fn model_show_json_carries_the_evaluation() {
    let data_dir = trained().path().to_str().unwrap();
    let output = safehaven(&["model", "show", "--data-dir", data_dir, "--json"]);
    assert_exit(&output, 0);
    let v = json(&output);
    for key in ["auc", "bayes_auc", "gini", "ks", "brier", "log_loss", "ece", "version"] {
        assert!(v[key].is_number() || v[key].is_string(), "missing {key}");
    }
    let coefficients = v["coefficients"].as_object().unwrap();
    assert_eq!(coefficients.len(), features::FEATURES.len());
    assert!(coefficients["missed_payments_12m"].as_f64().unwrap() > 0.0);
    assert_eq!(v["calibration"].as_array().unwrap().len(), 10);
    assert_eq!(v["thresholds"].as_array().unwrap().len(), model::metrics::CUTOFFS.len());
    assert!(v["fairness_by_region"]["groups"].as_array().unwrap().len() >= 50);
    // The current population is the training population: no drift.
    let drift = v["drift"].as_array().unwrap();
    assert_eq!(drift.len(), 1 + features::FEATURES.len());
    assert!(drift.iter().all(|d| d["band"] == "stable"));
}

#[test]
fn newton_agrees_with_linfa_logistic_on_the_warehouse() {
    let warehouse = open(trained().path());
    let data = warehouse.labelled(model::SPLIT_SALT, model::VALIDATION_SHARE).unwrap();
    let train: Vec<bool> = data.validation.iter().map(|v| !v).collect();
    let encoding = features::fit_encoding(&data.population, &train).unwrap();
    let x = features::matrix(&data.population, &encoding).unwrap();
    // Fit both on the first 20,000 training rows, standardised.
    let rows: Vec<usize> = (0..x.nrows()).filter(|&i| train[i]).take(20_000).collect();
    let xs = x.select(ndarray::Axis(0), &rows);
    let mean = xs.mean_axis(ndarray::Axis(0)).unwrap();
    let std = xs.std_axis(ndarray::Axis(0), 0.0);
    let xs = (&xs - &mean) / &std;
    let y: ndarray::Array1<bool> = rows.iter().map(|&i| data.label[i]).collect();
    let ours = NewtonLogistic::default().fit(&Dataset::new(xs.clone(), y.clone())).unwrap();
    let theirs = linfa_logistic::LogisticRegression::default()
        .alpha(1.0)
        .max_iterations(2_000)
        .gradient_tolerance(1e-6)
        .fit(&Dataset::new(xs, y))
        .unwrap();
    // linfa-logistic's "positive" class is the more frequent label (no distress): flip its signs.
    assert!(!theirs.labels().pos.class);
    assert!((ours.intercept + theirs.intercept()).abs() < 2e-3, "{} vs {}", ours.intercept, -theirs.intercept());
    for (j, (a, b)) in ours.coefficients.iter().zip(theirs.params()).enumerate() {
        assert!((a + b).abs() < 2e-3, "{}: {a} vs {}", features::FEATURES[j].name, -b);
    }
}

#[test]
fn score_writes_everyone_with_the_model_version_and_reasons() {
    let a = artifact();
    let warehouse = open(trained().path());
    let run = warehouse.score_run().unwrap().expect("scored");
    assert_eq!(run.model_version, a.version);
    assert_eq!(run.people, DEFAULT_CUSTOMERS);
    let id = warehouse.people(1).unwrap().remove(0).masked_id;
    let stored = warehouse.stored_score(&id).unwrap().expect("a score");
    assert_eq!(stored.model_version, a.version);
    assert!((0.0..=1.0).contains(&stored.probability));
    // The stored score is the what-if baseline for the same person.
    let output = safehaven(&["whatif", &id, "--data-dir", trained().path().to_str().unwrap(), "--json"]);
    assert_exit(&output, 0);
    let v = json(&output);
    assert!((v["oldProbability"].as_f64().unwrap() - stored.probability).abs() < 1e-12);
    let words: Vec<&str> = v["oldReasons"].as_array().unwrap().iter().map(|r| r["text"].as_str().unwrap()).collect();
    assert_eq!(words, stored.reasons);
}

#[test]
fn population_what_if_moves_in_the_shocked_direction() {
    let data_dir = trained().path().to_str().unwrap();
    let run = |shock: &[&str]| {
        let mut args = vec!["whatif", "--all", "--data-dir", data_dir, "--json"];
        args.extend_from_slice(shock);
        let output = safehaven(&args);
        assert_exit(&output, 0);
        json(&output)
    };
    let recession = run(&["--income", "-10%", "--unemployment", "+3", "--medical-cost", "+20%"]);
    assert!(recession["highRiskChange"].as_i64().unwrap() > 0, "{recession}");
    assert!(recession["expectedDistressChange"].as_f64().unwrap() > 0.0);
    assert_eq!(recession["jobLosses"], 3_000);
    let boom = run(&["--income", "+20%"]);
    assert!(boom["highRiskChange"].as_i64().unwrap() < 0, "{boom}");
    let none = run(&[]);
    assert_eq!(none["highRiskChange"], 0);
}

#[test]
fn a_person_with_medical_costs_is_riskier_when_they_rise() {
    let warehouse = open(trained().path());
    let population = warehouse.population().unwrap();
    let costs = population.numbers("out_of_pocket_12m").unwrap();
    let i = costs.iter().position(|&c| c > 1_000.0).expect("someone with costs");
    let person = population.row(i);
    let a = artifact();
    let shock = model::whatif::Shock { medical_cost_pct: 30.0, ..Default::default() };
    let impact = model::whatif::person(&a, &person, &shock).unwrap();
    assert!(impact.new_probability > impact.old_probability, "{impact:?}");
}

#[test]
fn export_training_writes_the_matrix_the_model_was_trained_on() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("training.parquet");
    let output = safehaven(&[
        "model",
        "export-training",
        "--data-dir",
        trained().path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_exit(&output, 0);
    assert!(stdout(&output).contains(&artifact().training_data.fingerprint), "{}", stdout(&output));
    assert!(stdout(&output).contains("100,000 rows"));
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    assert!(!std::fs::read_dir(dir.path()).unwrap().flatten().any(|e| e.file_name().to_string_lossy().contains("tmp")));
}

/// A small warehouse of its own, trained and scored, for tests that write.
fn small_scored() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    seed_into(dir.path(), 5_000, 3, 2);
    let data_dir = dir.path().to_str().unwrap();
    assert_exit(&safehaven(&["train", "--data-dir", data_dir]), 0);
    assert_exit(&safehaven(&["score", "--data-dir", data_dir]), 0);
    dir
}

#[test]
fn a_model_that_does_not_fit_the_warehouse_writes_no_scores() {
    let dir = small_scored();
    let data_dir = dir.path().to_str().unwrap();
    let before = open(dir.path()).score_run().unwrap().unwrap();
    let model_file = dir.path().join("model.json");
    let good = std::fs::read_to_string(&model_file).unwrap();
    let a = Artifact::from_json(&good).unwrap();

    // A region the warehouse has but the model does not know.
    let mut other = a.clone();
    other.encoding.regional_medical_cost_median.remove("CA");
    let other_file = dir.path().join("other.json");
    std::fs::write(&other_file, other.seal().to_json()).unwrap();
    let output = safehaven(&["score", "--data-dir", data_dir, "--model", other_file.to_str().unwrap()]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("region CA is unknown to the model"), "{}", stderr(&output));

    // An edited, a truncated, and a foreign-format artifact.
    let mut edited: Value = serde_json::from_str(&good).unwrap();
    edited["intercept"] = serde_json::json!(0.5);
    let edited = serde_json::to_string_pretty(&edited).unwrap();
    let cases = [
        (edited, "edited or damaged"),
        (good[..good.len() / 3].to_owned(), "not usable"),
        (good.replace("safehaven-model/1", "safehaven-model/0"), "format safehaven-model/0"),
        ("{}".to_owned(), "format (none)"),
    ];
    for (text, message) in cases {
        std::fs::write(&other_file, text).unwrap();
        let output = safehaven(&["score", "--data-dir", data_dir, "--model", other_file.to_str().unwrap()]);
        assert_exit(&output, 2);
        assert!(stderr(&output).contains(message), "expected {message:?} in {}", stderr(&output));
    }
    let missing = safehaven(&["score", "--data-dir", data_dir, "--model", "/nonexistent/model.json"]);
    assert_exit(&missing, 2);
    assert!(stderr(&missing).contains("run `safehaven train` first"));
    assert_eq!(open(dir.path()).score_run().unwrap().unwrap(), before);
}

#[test]
fn scoring_a_warehouse_in_use_is_refused() {
    let dir = small_scored();
    let held = open(dir.path());
    let output = safehaven(&["score", "--data-dir", dir.path().to_str().unwrap()]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("in use by another SafeHaven process"), "{}", stderr(&output));
    drop(held);
}

#[test]
fn a_warehouse_too_small_to_learn_from_is_refused_with_counts() {
    let dir = tempfile::tempdir().unwrap();
    seed_into(dir.path(), 300, 1, 1);
    let output = safehaven(&["train", "--data-dir", dir.path().to_str().unwrap()]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("cannot train: the training split has"), "{}", stderr(&output));
    assert!(!dir.path().join("model.json").exists());
}

#[test]
fn what_if_input_errors_are_named() {
    let data_dir = trained().path().to_str().unwrap();
    let id = open(trained().path()).people(1).unwrap().remove(0).masked_id;
    let cases: [(&[&str], i32, &str); 5] = [
        (&["--medical-cost", "lots"], 2, "is not a percentage"),
        (&["--income", "-150%"], 2, "--income (percent): must be between -100 and 1000"),
        (&["--unemployment", "+3"], 2, "--unemployment is a population shock"),
        (&["--threshold", "0.2"], 2, "--all"),
        (&["--unemployed"], 0, ""),
    ];
    for (flags, code, message) in cases {
        let mut args = vec!["whatif", id.as_str(), "--data-dir", data_dir];
        args.extend_from_slice(flags);
        let output = safehaven(&args);
        assert_exit(&output, code);
        assert!(stderr(&output).contains(message), "{flags:?}: {}", stderr(&output));
    }
    let unknown = safehaven(&["whatif", "SH-0000-0000", "--data-dir", data_dir]);
    assert_exit(&unknown, 1);
    assert!(stderr(&unknown).contains("no bank customer with masked ID SH-0000-0000"));
}

#[test]
fn an_unconverged_fit_replaces_nothing_and_bad_flags_are_refused() {
    let dir = small_scored();
    let data_dir = dir.path().to_str().unwrap();
    let before = std::fs::read(dir.path().join("model.json")).unwrap();
    let output = safehaven(&["train", "--data-dir", data_dir, "--max-iterations", "1"]);
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("did not converge in 1 iterations; nothing was written"), "{}", stderr(&output));
    assert_eq!(std::fs::read(dir.path().join("model.json")).unwrap(), before);
    let output = safehaven(&["train", "--data-dir", data_dir, "--tolerance", "0"]);
    assert_exit(&output, 2);
    let output = safehaven(&["model", "drift", "--data-dir", data_dir, "--unemployed"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("--unemployed is for one person"));
    let output = safehaven(&["whatif", "--all", "--data-dir", data_dir, "--threshold", "-0.1"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("threshold: must be between 0 and 1"), "{}", stderr(&output));
    let out = dir.path().join("training.csv");
    let output = safehaven(&["model", "export-training", "--data-dir", data_dir, "--out", out.to_str().unwrap()]);
    assert_exit(&output, 2);
    assert!(!out.exists());
}

/// The derived cell the privacy review found: at threshold 0.3 on the default warehouse, Alaska's row showed its
/// people beside its high-risk share (here 205 and 0.039: eight people), a cell the same view suppressed when
/// filtered to Alaska. Now the share is withheld there (and one more with it, so it is not the total less the others), and
/// filtered to Alaska the high-risk figures are withheld too.
#[test]
fn alaska_at_threshold_0_3_shows_no_derived_small_cell() {
    use safehaven::analytics::Filter;
    let dir = trained();
    let warehouse = Warehouse::open_read_only(&warehouse::path_in(dir.path())).unwrap();
    let artifact = safehaven::commands::load_model(&dir.path().join("model.json")).unwrap();
    let portfolio = warehouse.portfolio(artifact).unwrap();
    let guard = safehaven::privacy::KGuard::default();
    let view = portfolio.executive(0.3, Filter::default(), &guard).unwrap();
    let alaska = view.regions.iter().find(|r| r.label == "AK").unwrap();
    assert_eq!(alaska.count, Some(205));
    assert_eq!(alaska.stats.as_ref().unwrap().high_risk_share.get(), None, "eight of 205 would show");
    let withheld =
        view.regions.iter().filter(|r| r.stats.as_ref().is_some_and(|s| !s.high_risk_share.is_shown())).count();
    assert!(withheld >= 2, "a lone withheld share is the total less the others");
    let filtered = portfolio.executive(0.3, portfolio.filter(Some("AK"), None, None).unwrap(), &guard).unwrap();
    assert_eq!(filtered.kpis.people.value.get(), Some(205.0));
    assert_eq!((filtered.kpis.high_risk_count.value.get(), filtered.kpis.high_risk_share.value.get()), (None, None));
}
