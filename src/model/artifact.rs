//! The model artifact: everything needed to score, explain and audit a model, as versioned JSON.
//!
//! The artifact holds the feature names and order, standardisation, coefficients and intercept, the learned
//! encoding, hyper-parameters, convergence, the training data's fingerprint, the evaluation and the drift
//! reference. It has no timestamp: the same data and hyper-parameters give byte-identical JSON. Its version is
//! the model name and the first 12 hex digits of the SHA-256 of the artifact with an empty version, so a
//! changed byte anywhere is detected on load.

use super::drift::Reference;
use super::features::{self, Encoding};
use super::metrics::{CalibrationBin, Fairness, RocPoint, ThresholdRow};
use super::newton::NewtonLogistic;
use super::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The artifact format this build reads and writes.
pub const FORMAT: &str = "safehaven-model/1";

/// The model's name (and the prefix of its version).
pub const NAME: &str = "financial-distress";

/// The warehouse the model was trained on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub generator_version: i32,
    pub seed: u64,
    pub customers: u64,
    pub observation_date: String,
}

/// The training data: its size, split and fingerprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingData {
    /// SHA-256 over the feature names and, row by row, the feature values, the label and the split flag: the
    /// same as the Parquet file `model export-training` writes holds.
    pub fingerprint: String,
    pub rows: u64,
    pub train_rows: u64,
    pub validation_rows: u64,
    pub train_events: u64,
    pub validation_events: u64,
    /// How rows were split: a keyed hash of the person with this salt, this share to validation.
    pub split_salt: String,
    pub validation_share: f64,
}

/// How the solver ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Convergence {
    pub iterations: u32,
    pub converged: bool,
    pub gradient_max: f64,
    pub train_log_loss: f64,
}

/// One input: name, description, standardisation and coefficient (on the standardised input).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureEntry {
    pub name: String,
    pub description: String,
    pub mean: f64,
    pub std: f64,
    pub coefficient: f64,
    /// The sign the generator's risk formula implies, for drivers it uses; `None` for others.
    pub expected_sign: Option<i8>,
}

/// The evaluation on the validation rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub auc: f64,
    /// The AUC of the generator's true probabilities on the same rows: the ceiling.
    pub bayes_auc: f64,
    pub gini: f64,
    pub ks: f64,
    pub ks_threshold: f64,
    pub brier: f64,
    pub log_loss: f64,
    /// Expected calibration error over the calibration bins.
    pub ece: f64,
    pub base_rate: f64,
    pub calibration: Vec<CalibrationBin>,
    pub thresholds: Vec<ThresholdRow>,
    pub roc: Vec<RocPoint>,
    pub fairness_by_region: Fairness,
    pub fairness_by_age_band: Fairness,
}

/// A trained model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    pub format: String,
    pub name: String,
    pub version: String,
    /// What the model predicts.
    pub target: String,
    pub provenance: Provenance,
    pub training_data: TrainingData,
    pub solver: String,
    pub hyper_parameters: NewtonLogistic,
    pub convergence: Convergence,
    pub features: Vec<FeatureEntry>,
    pub intercept: f64,
    pub encoding: Encoding,
    /// The default high-risk threshold.
    pub threshold: f64,
    pub metrics: Metrics,
    /// Training-population deciles of the score and of each feature, for PSI.
    pub drift_reference: DriftReference,
}

/// Reference distributions for drift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReference {
    pub score: Reference,
    pub features: BTreeMap<String, Reference>,
}

fn digest(artifact: &Artifact) -> String {
    let mut unversioned = artifact.clone();
    unversioned.version = String::new();
    let json = serde_json::to_vec(&unversioned).expect("an artifact serialises");
    hex::encode(&Sha256::digest(&json)[..6])
}

impl Artifact {
    /// Sets the content-derived version.
    pub fn seal(mut self) -> Artifact {
        self.version = format!("{}@{}", self.name, digest(&self));
        self
    }

    /// Pretty JSON with a trailing newline: the bytes written to disk.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).expect("an artifact serialises");
        json.push('\n');
        json
    }

    /// Parses and checks an artifact: its format, its version against its content, and that its features are the
    /// ones this build computes, in the same order, with usable standardisation.
    pub fn from_json(json: &str) -> Result<Artifact> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| Error::Corrupt(e.to_string()))?;
        let format = value.get("format").and_then(|f| f.as_str()).unwrap_or("(none)");
        if format != FORMAT {
            return Err(Error::Format { found: format.to_owned() });
        }
        let artifact: Artifact = serde_json::from_value(value).map_err(|e| Error::Corrupt(e.to_string()))?;
        let expected = format!("{}@{}", artifact.name, digest(&artifact));
        if artifact.version != expected {
            return Err(Error::Corrupt(format!(
                "its content does not match its version {} (content hash gives {expected}): it was edited or damaged",
                artifact.version
            )));
        }
        let names: Vec<&str> = artifact.features.iter().map(|f| f.name.as_str()).collect();
        if names != features::names() {
            return Err(Error::FeatureMismatch { model: names.join(", "), computed: features::names().join(", ") });
        }
        for f in &artifact.features {
            if !(f.std > 0.0 && f.std.is_finite() && f.mean.is_finite() && f.coefficient.is_finite()) {
                return Err(Error::Corrupt(format!("feature {} has unusable standardisation or coefficient", f.name)));
            }
        }
        if !artifact.intercept.is_finite() || !(0.0..=1.0).contains(&artifact.threshold) {
            return Err(Error::Corrupt("the intercept or threshold is out of range".into()));
        }
        Ok(artifact)
    }

    /// Coefficients by feature name (on standardised inputs).
    pub fn coefficients(&self) -> BTreeMap<String, f64> {
        self.features.iter().map(|f| (f.name.clone(), f.coefficient)).collect()
    }
}

/// A coefficient's sign against the sign the generator implies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignCheck {
    pub feature: String,
    pub expected: i8,
    pub coefficient: f64,
    pub agrees: bool,
}

/// What `model show --json` prints and the model page reads: the evaluation at the top level, coefficients by
/// name, sign checks, and drift of a current population when one was given.
#[derive(Debug, Clone, Serialize)]
pub struct Report<'a> {
    pub version: &'a str,
    pub name: &'a str,
    pub target: &'a str,
    pub provenance: &'a Provenance,
    pub training_data: &'a TrainingData,
    pub solver: &'a str,
    pub hyper_parameters: &'a NewtonLogistic,
    pub convergence: &'a Convergence,
    pub threshold: f64,
    #[serde(flatten)]
    pub metrics: &'a Metrics,
    /// Coefficients on standardised inputs, by feature name.
    pub coefficients: BTreeMap<String, f64>,
    pub intercept: f64,
    pub features: &'a [FeatureEntry],
    pub sign_checks: Vec<SignCheck>,
    /// PSI against the training population; `None` when no population was compared.
    pub drift: Option<Vec<super::drift::Psi>>,
}

impl Artifact {
    pub fn report(&self, drift: Option<Vec<super::drift::Psi>>) -> Report<'_> {
        Report {
            version: &self.version,
            name: &self.name,
            target: &self.target,
            provenance: &self.provenance,
            training_data: &self.training_data,
            solver: &self.solver,
            hyper_parameters: &self.hyper_parameters,
            convergence: &self.convergence,
            threshold: self.threshold,
            metrics: &self.metrics,
            coefficients: self.coefficients(),
            intercept: self.intercept,
            features: &self.features,
            sign_checks: self
                .features
                .iter()
                .filter_map(|f| {
                    f.expected_sign.map(|expected| SignCheck {
                        feature: f.name.clone(),
                        expected,
                        coefficient: f.coefficient,
                        agrees: f.coefficient * f64::from(expected) > 0.0,
                    })
                })
                .collect(),
            drift,
        }
    }
}
