//! The financial-distress risk model: pure, deterministic, inspectable. No I/O.
//!
//! - [`features`]: the clean room's indicators of a population (a polars frame) → the model's inputs;
//! - [`newton`]: L2 logistic regression by Newton/IRLS, a linfa `Fit` (linfa-logistic is its cross-check);
//! - [`train`]: split, standardise, fit, evaluate on the validation rows against the generator's truth, and
//!   build the [`Artifact`];
//! - [`Scorer`]: batch probabilities; [`explain`]: each feature's contribution and the top reasons in words;
//! - [`whatif`]: rescoring under shocked drivers; [`drift`]: PSI against the training population.
//!
//! The warehouse supplies populations; commands read and write artifacts and scores.

pub mod artifact;
pub mod drift;
pub mod explain;
pub mod features;
pub mod metrics;
pub mod newton;
pub mod whatif;

pub use artifact::{Artifact, Provenance};
pub use features::{Labelled, Population};

use crate::privacy::KGuard;
use artifact::{Convergence, DriftReference, FeatureEntry, Metrics, TrainingData};
use linfa::prelude::*;
use ndarray::{Array1, Array2, Axis, ShapeBuilder};
use newton::NewtonLogistic;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

/// Why the model could not be trained, loaded or applied; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "the population has no column `{column}`: the warehouse and this build disagree; reseed with `safehaven seed --force`"
    )]
    MissingColumn { column: String },
    #[error("column `{column}` is {found}, the model needs {expected}: reseed with `safehaven seed --force`")]
    ColumnType { column: String, expected: String, found: String },
    #[error("column `{column}` has {count} missing values: the clean room should never produce them; reseed")]
    NullValues { column: String, count: usize },
    #[error("feature {feature} is not a finite number for {masked_id}: check that person's indicators")]
    NotFinite { feature: &'static str, masked_id: String },
    #[error(
        "region {region} is unknown to the model (it was trained on another population): retrain with `safehaven train`"
    )]
    UnknownRegion { region: String },
    #[error("cannot train: {0}; seed a larger warehouse (`safehaven seed --customers 10000`)")]
    TooFew(String),
    #[error("cannot train: {0}")]
    Fit(#[from] newton::FitError),
    #[error("the model artifact is not usable: {0}; retrain with `safehaven train`")]
    Corrupt(String),
    #[error(
        "the model artifact has format {found}, this SafeHaven reads {}: retrain with `safehaven train`",
        artifact::FORMAT
    )]
    Format { found: String },
    #[error(
        "the model's features ({model}) differ from the features this SafeHaven computes ({computed}): retrain with `safehaven train`"
    )]
    FeatureMismatch { model: String, computed: String },
    #[error("{field}: {detail}")]
    Shock { field: &'static str, detail: String },
    #[error("computing features failed: {0}")]
    Polars(#[from] polars::prelude::PolarsError),
}

impl Error {
    /// Whether the user can fix this by changing what they passed or retraining (exit code 2), rather than a
    /// failure of the fit or of polars (1).
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Fit(newton::FitError::Params(_)) => true,
            Error::Fit(_) | Error::Polars(_) => false,
            _ => true,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Fewest rows in each split, and fewest events and non-events in each, to train at all.
pub const MIN_SPLIT_ROWS: usize = 200;
pub const MIN_SPLIT_EVENTS: usize = 20;

/// The salt of the train/validation split (public: the split is reproducible, not secret).
pub const SPLIT_SALT: &str = "safehaven-split-1";
/// Share of people in the validation split.
pub const VALIDATION_SHARE: f64 = 0.3;

/// The default high-risk threshold.
pub const DEFAULT_THRESHOLD: f64 = 0.2;

/// Drivers of the generator's true risk (directly, or through the hidden fragility they proxy) and the sign
/// their coefficient should have.
pub const EXPECTED_SIGNS: [(&str, i8); 7] = [
    ("log_income", -1),
    ("log_debt_to_income", 1),
    ("credit_score", -1),
    ("missed_payments_12m", 1),
    ("overdrafts_12m", 1),
    ("unemployed", 1),
    ("out_of_pocket_to_income", 1),
];

/// How to train.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub solver: NewtonLogistic,
    pub threshold: f64,
    pub guard: KGuard,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions { solver: NewtonLogistic::default(), threshold: DEFAULT_THRESHOLD, guard: KGuard::default() }
    }
}

/// Where training spent its time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    pub features: Duration,
    pub fit: Duration,
    pub evaluate: Duration,
}

/// SHA-256 over the feature names, then per row the feature values, the label and the split flag.
pub fn training_fingerprint(x: &Array2<f64>, label: &[bool], validation: &[bool]) -> String {
    let mut hasher = Sha256::new();
    for name in features::names() {
        hasher.update(name.as_bytes());
        hasher.update([0]);
    }
    for (i, row) in x.rows().into_iter().enumerate() {
        for v in row {
            hasher.update(v.to_le_bytes());
        }
        hasher.update([u8::from(label[i]), u8::from(validation[i])]);
    }
    hex::encode(hasher.finalize())
}

/// The rows in `mask`, column-major (the solver's fastest layout).
fn rows_where(x: &Array2<f64>, mask: &[bool]) -> Array2<f64> {
    let rows: Vec<usize> = (0..mask.len()).filter(|&i| mask[i]).collect();
    let mut out = Array2::<f64>::zeros((rows.len(), x.ncols()).f());
    for (j, mut column) in out.columns_mut().into_iter().enumerate() {
        let source = x.column(j);
        for (o, &i) in column.iter_mut().zip(&rows) {
            *o = source[i];
        }
    }
    out
}

fn pick<T: Copy>(values: &[T], mask: &[bool]) -> Vec<T> {
    values.iter().zip(mask).filter(|(_, m)| **m).map(|(v, _)| *v).collect()
}

/// The encoding fitted on the training rows, and the feature matrix of every row: exactly what [`train`] fits
/// on, and what `model export-training` writes.
pub fn training_matrix(data: &Labelled) -> Result<(features::Encoding, Array2<f64>)> {
    let train_mask: Vec<bool> = data.validation.iter().map(|v| !v).collect();
    let encoding = features::fit_encoding(&data.population, &train_mask)?;
    let x = features::matrix(&data.population, &encoding)?;
    Ok((encoding, x))
}

/// Trains, evaluates and seals a model on a labelled population.
pub fn train(data: &Labelled, provenance: Provenance, options: &TrainOptions) -> Result<(Artifact, Timings)> {
    let started = Instant::now();
    let n = data.population.len();
    assert!(data.label.len() == n && data.validation.len() == n && data.true_p.len() == n);
    let train_mask: Vec<bool> = data.validation.iter().map(|v| !v).collect();
    let count = |mask: &[bool], label: bool| (0..n).filter(|&i| mask[i] && data.label[i] == label).count();
    let (train_events, train_rest) = (count(&train_mask, true), count(&train_mask, false));
    let (validation_events, validation_rest) = (count(&data.validation, true), count(&data.validation, false));
    for (split, events, rest) in
        [("training", train_events, train_rest), ("validation", validation_events, validation_rest)]
    {
        if events + rest < MIN_SPLIT_ROWS || events < MIN_SPLIT_EVENTS || rest < MIN_SPLIT_EVENTS {
            return Err(Error::TooFew(format!(
                "the {split} split has {} people, {events} with distress and {rest} without; it needs at least \
                 {MIN_SPLIT_ROWS} people and {MIN_SPLIT_EVENTS} of each",
                events + rest
            )));
        }
    }
    let (encoding, x) = training_matrix(data)?;
    let fingerprint = training_fingerprint(&x, &data.label, &data.validation);
    let x_train = rows_where(&x, &train_mask);
    let mean = x_train.mean_axis(Axis(0)).expect("training rows are not empty");
    // A feature that is constant in training gets unit scale: its standardised value is 0 and so is its weight.
    let std = x_train.std_axis(Axis(0), 0.0).mapv(|s| if s > 1e-12 { s } else { 1.0 });
    let mut standardised = x_train;
    for (j, mut column) in standardised.columns_mut().into_iter().enumerate() {
        column.mapv_inplace(|v| (v - mean[j]) / std[j]);
    }
    let timings_features = started.elapsed();

    let started = Instant::now();
    let targets = Array1::from(pick(&data.label, &train_mask));
    let fit = options.solver.fit(&Dataset::new(standardised, targets))?;
    let timings_fit = started.elapsed();

    let started = Instant::now();
    let features: Vec<FeatureEntry> = features::FEATURES
        .iter()
        .enumerate()
        .map(|(j, f)| FeatureEntry {
            name: f.name.to_owned(),
            description: f.description.to_owned(),
            mean: mean[j],
            std: std[j],
            coefficient: fit.coefficients[j],
            expected_sign: EXPECTED_SIGNS.iter().find(|(name, _)| *name == f.name).map(|(_, s)| *s),
        })
        .collect();
    let scorer = Scorer::from_parts(&features, fit.intercept);
    let p = scorer.probabilities(&x);
    let metrics = evaluate(data, &p, options)?;
    let drift_reference = DriftReference {
        score: drift::Reference::from_values(&pick(&p, &train_mask)),
        features: features::FEATURES
            .iter()
            .enumerate()
            .map(|(j, f)| (f.name.to_owned(), drift::Reference::from_values(&pick(&x.column(j).to_vec(), &train_mask))))
            .collect(),
    };
    let artifact = Artifact {
        format: artifact::FORMAT.to_owned(),
        name: artifact::NAME.to_owned(),
        version: String::new(),
        target: "financial distress within 12 months of the observation date (bank.outcomes.distress_12m)".into(),
        provenance,
        training_data: TrainingData {
            fingerprint,
            rows: n as u64,
            train_rows: (train_events + train_rest) as u64,
            validation_rows: (validation_events + validation_rest) as u64,
            train_events: train_events as u64,
            validation_events: validation_events as u64,
            split_salt: SPLIT_SALT.to_owned(),
            validation_share: VALIDATION_SHARE,
        },
        solver: "newton-irls (L2, intercept unpenalised)".into(),
        hyper_parameters: options.solver,
        convergence: Convergence {
            iterations: fit.iterations,
            converged: fit.converged,
            gradient_max: fit.gradient_max,
            train_log_loss: fit.log_loss,
        },
        features,
        intercept: fit.intercept,
        encoding,
        threshold: options.threshold,
        metrics,
        drift_reference,
    };
    let timings = Timings { features: timings_features, fit: timings_fit, evaluate: started.elapsed() };
    Ok((artifact.seal(), timings))
}

/// The evaluation on the validation rows.
fn evaluate(data: &Labelled, p: &[f64], options: &TrainOptions) -> Result<Metrics> {
    let v = &data.validation;
    let (p, labels, true_p) = (pick(p, v), pick(&data.label, v), pick(&data.true_p, v));
    let auc = metrics::auc(&p, &labels).unwrap_or(0.5);
    let (ks, ks_threshold) = metrics::ks(&p, &labels);
    let (calibration, ece) = metrics::calibration(&p, &labels, 10, &options.guard);
    let regions = data.population.text("region")?;
    let age_bands = data.population.text("age_band")?;
    Ok(Metrics {
        auc,
        bayes_auc: metrics::auc(&true_p, &labels).unwrap_or(0.5),
        gini: 2.0 * auc - 1.0,
        ks,
        ks_threshold,
        brier: metrics::brier(&p, &labels),
        log_loss: metrics::log_loss(&p, &labels),
        ece,
        base_rate: labels.iter().filter(|&&l| l).count() as f64 / labels.len() as f64,
        calibration,
        thresholds: metrics::thresholds(&p, &labels, &metrics::CUTOFFS, &options.guard),
        roc: metrics::roc(&p, &labels, 100),
        fairness_by_region: metrics::fairness(&p, &labels, &pick(&regions, v), options.threshold, &options.guard),
        fairness_by_age_band: metrics::fairness(&p, &labels, &pick(&age_bands, v), options.threshold, &options.guard),
    })
}

/// Rows per parallel scoring chunk.
const SCORE_CHUNK: usize = 16_384;

/// Batch scoring on unstandardised features: the standardisation is folded into the weights once.
#[derive(Debug, Clone)]
pub struct Scorer {
    weights: Array1<f64>,
    bias: f64,
}

impl Scorer {
    pub fn new(artifact: &Artifact) -> Scorer {
        Scorer::from_parts(&artifact.features, artifact.intercept)
    }

    /// The weights on unstandardised features, and the bias: p = σ(bias + Σ wⱼ·xⱼ).
    pub fn parts(&self) -> (Vec<f64>, f64) {
        (self.weights.to_vec(), self.bias)
    }

    fn from_parts(features: &[FeatureEntry], intercept: f64) -> Scorer {
        let weights: Array1<f64> = features.iter().map(|f| f.coefficient / f.std).collect();
        let bias = intercept - features.iter().map(|f| f.coefficient * f.mean / f.std).sum::<f64>();
        Scorer { weights, bias }
    }

    /// The probability of distress for each row of `x` (rows × features, unstandardised). Each row's sum runs
    /// over the features in order whatever the matrix layout, so one person scored alone gets the same bits as
    /// in a batch.
    pub fn probabilities(&self, x: &Array2<f64>) -> Vec<f64> {
        let mut p = vec![0.0; x.nrows()];
        p.par_chunks_mut(SCORE_CHUNK).enumerate().for_each(|(c, out)| {
            let start = c * SCORE_CHUNK;
            out.fill(0.0);
            for (j, w) in self.weights.iter().enumerate() {
                let column = x.slice(ndarray::s![start..start + out.len(), j]);
                // Column-major input gives plain slices, which the compiler turns into a tight loop.
                match column.as_slice() {
                    Some(values) => out.iter_mut().zip(values).for_each(|(z, v)| *z += w * v),
                    None => out.iter_mut().zip(column).for_each(|(z, v)| *z += w * v),
                }
            }
            for z in out.iter_mut() {
                *z = newton::sigmoid(*z + self.bias);
            }
        });
        p
    }
}

/// Features and probabilities of a population under a model.
pub fn score(artifact: &Artifact, population: &Population) -> Result<(Array2<f64>, Vec<f64>)> {
    let x = features::matrix(population, &artifact.encoding)?;
    let p = Scorer::new(artifact).probabilities(&x);
    Ok((x, p))
}

/// The score in points: 600 at odds of 1:19 against distress (p = 0.05), 50 points to double the odds; higher
/// is safer.
pub fn points(p: f64) -> f64 {
    let p = p.clamp(1e-9, 1.0 - 1e-9);
    600.0 + 50.0 / std::f64::consts::LN_2 * (((1.0 - p) / p) / 19.0).ln()
}

/// PSI of a population's score and features against the training population.
pub fn drift(artifact: &Artifact, x: &Array2<f64>, p: &[f64]) -> Vec<drift::Psi> {
    let mut out = vec![drift::psi("score", &artifact.drift_reference.score, p)];
    for (j, f) in features::FEATURES.iter().enumerate() {
        if let Some(reference) = artifact.drift_reference.features.get(f.name) {
            out.push(drift::psi(f.name, reference, &x.column(j).to_vec()));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests;
