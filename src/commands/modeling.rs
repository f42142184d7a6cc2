//! The model commands: `train`, `model show|export-training|drift`, `score`, `whatif`, and the model steps of
//! `demo`. Glue between the warehouse (populations in, scores out), the pure model, and files.

use super::{guard, now, open, print_json};
use crate::cli::{DriftArgs, ExportTrainingArgs, ModelShowArgs, ScoreArgs, TrainArgs, WhatifArgs};
use crate::error::Error;
use crate::model::whatif::{self, Shock};
use crate::model::{self, Artifact, TrainOptions, drift, explain};
use crate::privacy::{KGuard, write_private};
use crate::text::thousands;
use crate::warehouse::{self, ScoreRow, Warehouse};
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The model artifact's file in the data dir.
pub const MODEL_FILE: &str = "model.json";

fn model_path(data_dir: &Path, model: &Option<PathBuf>) -> PathBuf {
    model.clone().unwrap_or_else(|| data_dir.join(MODEL_FILE))
}

/// Reads and checks a model artifact.
pub fn load_model(path: &Path) -> Result<Artifact, Error> {
    let json = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            Error::Usage(format!("no model at {}: run `safehaven train` first", path.display()))
        }
        _ => Error::Usage(format!("cannot read the model at {}: {e}", path.display())),
    })?;
    Artifact::from_json(&json).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))
}

/// Trains on the data dir's warehouse and writes `model.json` (and `out`, if given).
pub fn train(data_dir: &Path, options: &TrainOptions, out: Option<&Path>) -> Result<(Artifact, f64), Error> {
    let warehouse = open(data_dir)?;
    let started = Instant::now();
    let data = warehouse.labelled(model::SPLIT_SALT, model::VALIDATION_SHARE)?;
    let (artifact, _) = model::train(&data, warehouse.provenance()?, options)?;
    let seconds = started.elapsed().as_secs_f64();
    if !artifact.convergence.converged {
        return Err(Error::CheckFailed(format!(
            "the solver did not converge in {} iterations; nothing was written: raise --max-iterations (or --tolerance)",
            artifact.convergence.iterations
        )));
    }
    let json = artifact.to_json();
    for path in std::iter::once(data_dir.join(MODEL_FILE)).chain(out.map(Path::to_owned)) {
        write_private(&path, json.as_bytes()).map_err(|source| Error::DataDir { path: path.clone(), source })?;
    }
    Ok((artifact, seconds))
}

fn print_summary(out: &mut dyn Write, artifact: &Artifact) -> Result<(), Error> {
    let m = &artifact.metrics;
    let t = &artifact.training_data;
    let c = &artifact.convergence;
    writeln!(
        out,
        "{}: {} training and {} validation people; {} Newton iteration{}, {}",
        artifact.version,
        thousands(t.train_rows),
        thousands(t.validation_rows),
        c.iterations,
        if c.iterations == 1 { "" } else { "s" },
        if c.converged { "converged" } else { "NOT converged (raise --max-iterations)" }
    )?;
    writeln!(
        out,
        "validation AUC {:.4} (Bayes ceiling {:.4}, gap {:.4}), Gini {:.3}, KS {:.3}, Brier {:.4}, log loss {:.4}, ECE {:.4}",
        m.auc,
        m.bayes_auc,
        m.bayes_auc - m.auc,
        m.gini,
        m.ks,
        m.brier,
        m.log_loss,
        m.ece
    )?;
    Ok(())
}

pub fn run_train(args: TrainArgs, out: &mut dyn Write) -> Result<(), Error> {
    let data_dir = &args.data_dir.data_dir;
    if !(0.0..=1.0).contains(&args.threshold) {
        return Err(Error::Usage(format!("--threshold must be between 0 and 1, got {}", args.threshold)));
    }
    let options = TrainOptions {
        solver: model::newton::NewtonLogistic {
            alpha: args.alpha,
            max_iterations: args.max_iterations,
            tolerance: args.tolerance,
        },
        threshold: args.threshold,
        guard: guard(data_dir, &args.guard)?,
    };
    let (artifact, seconds) = train(data_dir, &options, args.out.as_deref())?;
    if args.json {
        return print_json(out, &artifact.report(None));
    }
    print_summary(out, &artifact)?;
    writeln!(out, "trained in {seconds:.2} s; wrote {}", data_dir.join(MODEL_FILE).display())?;
    if let Some(path) = &args.out {
        writeln!(out, "and {}", path.display())?;
    }
    if !artifact.convergence.converged {
        eprintln!(
            "warning: the solver stopped at --max-iterations before converging; the model may be off its optimum"
        );
    }
    Ok(())
}

/// Drift of the warehouse's current population, if it can be scored with this model.
fn current_drift(artifact: &Artifact, warehouse: &Warehouse, shock: &Shock) -> Result<Vec<drift::Psi>, Error> {
    let population = warehouse.population()?;
    let (population, _) = whatif::apply(&population, shock)?;
    let (x, p) = model::score(artifact, &population)?;
    Ok(model::drift(artifact, &x, &p))
}

pub fn run_show(args: ModelShowArgs, out: &mut dyn Write) -> Result<(), Error> {
    let data_dir = &args.data_dir.data_dir;
    let artifact = load_model(&model_path(data_dir, &args.model.model))?;
    let drift = match open(data_dir) {
        Ok(warehouse) => Some(current_drift(&artifact, &warehouse, &Shock::default())?),
        Err(_) => None,
    };
    if args.json {
        return print_json(out, &artifact.report(drift));
    }
    print_summary(out, &artifact)?;
    let p = &artifact.provenance;
    writeln!(
        out,
        "trained on generator v{} seed {} ({} customers, observed {}); data fingerprint {}",
        p.generator_version,
        p.seed,
        thousands(p.customers),
        p.observation_date,
        &artifact.training_data.fingerprint[..16]
    )?;
    writeln!(out, "\ncoefficients (standardised inputs; intercept {:+.4}):", artifact.intercept)?;
    for f in &artifact.features {
        let check = match f.expected_sign {
            Some(s) if f.coefficient * f64::from(s) > 0.0 => "sign as expected",
            Some(_) => "SIGN AGAINST EXPECTATION",
            None => "",
        };
        writeln!(out, "  {:<26} {:+.4}  {check}", f.name, f.coefficient)?;
    }
    writeln!(out, "\nthreshold  flagged  precision  recall")?;
    for row in &artifact.metrics.thresholds {
        let shown = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map_or("withheld".to_owned(), f);
        let flagged = shown(row.share_flagged.get(), &|s| format!("{:.1} %", 100.0 * s));
        let precision = shown(row.precision.get(), &|p| format!("{p:.3}"));
        let recall = shown(row.recall.get(), &|r| format!("{r:.3}"));
        writeln!(out, "  {:.2}     {flagged:>8}  {precision:>9}  {recall:>8}", row.threshold)?;
    }
    writeln!(out, "\ncalibration (deciles of predicted probability)")?;
    for bin in &artifact.metrics.calibration {
        match (bin.mean_predicted, bin.observed_rate.get()) {
            (Some(p), Some(o)) => writeln!(out, "  bin {:>2}: predicted {:.4}  observed {:.4}", bin.bin + 1, p, o)?,
            _ => writeln!(out, "  bin {:>2}: suppressed (fewer than k people)", bin.bin + 1)?,
        }
    }
    let m = &artifact.metrics;
    let gap = |g: Option<f64>| g.map_or("-".to_owned(), |g| format!("{g:.3}"));
    writeln!(
        out,
        "\nfairness at threshold {:.2}: AUC gap across regions {}, age bands {}; flag-rate gap across regions {}, age bands {}",
        artifact.threshold,
        gap(m.fairness_by_region.auc_gap),
        gap(m.fairness_by_age_band.auc_gap),
        gap(m.fairness_by_region.flag_rate_gap),
        gap(m.fairness_by_age_band.flag_rate_gap)
    )?;
    if let Some(drift) = drift {
        writeln!(out)?;
        print_drift(out, "current population vs training", &drift)?;
    }
    Ok(())
}

fn print_drift(out: &mut dyn Write, title: &str, drift: &[drift::Psi]) -> Result<(), Error> {
    writeln!(out, "PSI, {title} (< 0.10 stable, 0.10–0.25 investigate, ≥ 0.25 significant):")?;
    for psi in drift {
        writeln!(out, "  {:<26} {:.4}  {}", psi.name, psi.psi, psi.band.describe())?;
    }
    Ok(())
}

pub fn run_export_training(args: ExportTrainingArgs, out: &mut dyn Write) -> Result<(), Error> {
    if args.out.extension().and_then(|e| e.to_str()) != Some("parquet") {
        return Err(Error::Usage(format!(
            "--out {}: the training matrix is written as Parquet; name the file *.parquet",
            args.out.display()
        )));
    }
    let warehouse = open(&args.data_dir.data_dir)?;
    let data = warehouse.labelled(model::SPLIT_SALT, model::VALIDATION_SHARE)?;
    let (_, x) = model::training_matrix(&data)?;
    let ids = data.population.text("masked_id")?;
    let rows = warehouse::write_training_parquet(
        &args.out,
        &ids,
        &model::features::names(),
        &x,
        &data.label,
        &data.validation,
    )?;
    writeln!(
        out,
        "wrote {} rows ({} features, label, validation flag) to {}; fingerprint {}",
        thousands(rows),
        x.ncols(),
        args.out.display(),
        model::training_fingerprint(&x, &data.label, &data.validation)
    )?;
    Ok(())
}

/// A shock's range error in the words of the command line (`--medical-cost`, not `medicalCostPct`).
fn check_shock(shock: &Shock) -> Result<(), Error> {
    shock.validate().map_err(|e| {
        let text = e.to_string();
        let flags = [
            ("medicalCostPct", "--medical-cost (percent)"),
            ("incomePct", "--income (percent)"),
            ("unemploymentPoints", "--unemployment (points)"),
        ];
        Error::Usage(flags.iter().fold(text, |t, (field, flag)| t.replace(field, flag)))
    })
}

pub fn run_drift(args: DriftArgs, out: &mut dyn Write) -> Result<(), Error> {
    let data_dir = &args.data_dir.data_dir;
    let artifact = load_model(&model_path(data_dir, &args.model.model))?;
    let shock = args.shock.shock();
    if shock.unemployed {
        return Err(Error::Usage(
            "--unemployed is for one person (`whatif MASKED_ID`): use --unemployment POINTS".into(),
        ));
    }
    check_shock(&shock)?;
    let drift = current_drift(&artifact, &open(data_dir)?, &shock)?;
    if args.json {
        return print_json(out, &drift);
    }
    let title = if shock.is_none() { "current population vs training" } else { "shocked population vs training" };
    print_drift(out, title, &drift)
}

/// Scores everyone with `artifact` and replaces `model.scores`. Nothing is written if any feature fails.
pub fn score(data_dir: &Path, artifact: &Artifact, guard: &KGuard) -> Result<whatif::Outcome, Error> {
    let warehouse = Warehouse::open_for_scores(&warehouse::path_in(data_dir))?;
    let population = warehouse.population()?;
    let current = warehouse.provenance()?;
    if current != artifact.provenance {
        eprintln!(
            "note: {} was trained on seed {} ({} customers); this warehouse is seed {} ({} customers)",
            artifact.version,
            artifact.provenance.seed,
            thousands(artifact.provenance.customers),
            current.seed,
            thousands(current.customers)
        );
    }
    let (x, p) = model::score(artifact, &population)?;
    let ids = population.text("masked_id")?;
    let rows: Vec<ScoreRow> = (0..p.len())
        .into_par_iter()
        .map(|i| {
            let row = x.row(i).to_vec();
            ScoreRow {
                masked_id: ids[i].to_owned(),
                probability: p[i],
                points: model::points(p[i]),
                reasons: explain::top_reasons(artifact, &row).into_iter().map(|r| r.text).collect(),
            }
        })
        .collect();
    warehouse.write_scores(&rows, &artifact.version, artifact.threshold, &now())?;
    Ok(whatif::Outcome::of(&p, artifact.threshold, guard))
}

pub fn run_score(args: ScoreArgs, out: &mut dyn Write) -> Result<(), Error> {
    let data_dir = &args.data_dir.data_dir;
    let artifact = load_model(&model_path(data_dir, &args.model.model))?;
    let guard = guard(data_dir, &args.guard)?;
    let started = Instant::now();
    let outcome = score(data_dir, &artifact, &guard)?;
    if args.json {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Scored<'a> {
            model_version: &'a str,
            threshold: f64,
            #[serde(flatten)]
            outcome: whatif::Outcome,
            seconds: f64,
        }
        let seconds = started.elapsed().as_secs_f64();
        return print_json(
            out,
            &Scored { model_version: &artifact.version, threshold: artifact.threshold, outcome, seconds },
        );
    }
    print_outcome(out, &format!("scored with {}", artifact.version), &outcome, artifact.threshold)?;
    writeln!(out, "wrote model.scores in {:.1} s", started.elapsed().as_secs_f64())?;
    Ok(())
}

fn print_outcome(out: &mut dyn Write, title: &str, o: &whatif::Outcome, threshold: f64) -> Result<(), Error> {
    let high = o.high_risk_count.map_or("suppressed (fewer than k)".to_owned(), thousands);
    writeln!(
        out,
        "{title}: {} people, {high} at or above {threshold:.2}, expected distress {}, mean probability {:.4}",
        thousands(o.people),
        thousands(o.expected_distress.round() as u64),
        o.mean_probability
    )?;
    Ok(())
}

pub fn run_whatif(args: WhatifArgs, out: &mut dyn Write) -> Result<(), Error> {
    let data_dir = &args.data_dir.data_dir;
    let artifact = load_model(&model_path(data_dir, &args.model.model))?;
    let shock = args.shock.shock();
    check_shock(&shock)?;
    let warehouse = open(data_dir)?;
    if let Some(masked_id) = &args.masked_id {
        if args.threshold.is_some() {
            return Err(Error::Usage("--threshold counts high-risk people: use it with --all".into()));
        }
        if shock.unemployment_points > 0.0 {
            return Err(Error::Usage(
                "--unemployment is a population shock: use it with --all, or --unemployed for one person".into(),
            ));
        }
        let person = warehouse
            .person(masked_id.as_str())?
            .ok_or_else(|| Error::NotFound(format!("no bank customer with masked ID {masked_id}")))?;
        let impact = whatif::person(&artifact, &person, &shock)?;
        if args.json {
            return print_json(out, &impact);
        }
        writeln!(
            out,
            "{}: probability {:.4} → {:.4} ({:+.4})",
            impact.masked_id, impact.old_probability, impact.new_probability, impact.change
        )?;
        for (title, reasons) in [("before", &impact.old_reasons), ("after", &impact.new_reasons)] {
            let words: Vec<&str> = reasons.iter().map(|r| r.text.as_str()).collect();
            writeln!(
                out,
                "  top reasons {title}: {}",
                if words.is_empty() { "none".into() } else { words.join("; ") }
            )?;
        }
        return Ok(());
    }
    if shock.unemployed {
        return Err(Error::Usage("--unemployed is for one person: use --unemployment POINTS with --all".into()));
    }
    let threshold = args.threshold.unwrap_or(artifact.threshold);
    let guard = guard(data_dir, &args.guard)?;
    let population = warehouse.population()?;
    let (impact, _) = whatif::population(&artifact, &population, None, &shock, threshold, &guard)?;
    if args.json {
        return print_json(out, &impact);
    }
    print_outcome(out, "baseline", &impact.baseline, threshold)?;
    print_outcome(out, "scenario", &impact.scenario, threshold)?;
    let change = impact.high_risk_change.map_or("suppressed".to_owned(), |c| format!("{c:+}"));
    writeln!(
        out,
        "high-risk change {change}; expected distress {:+.0}; {} job losses; score PSI against the training population {:.4} ({})",
        impact.expected_distress_change,
        impact.job_losses.map_or("withheld (fewer than k)".to_owned(), thousands),
        impact.score_psi.psi,
        impact.score_psi.band.describe()
    )?;
    Ok(())
}

/// `demo`'s model step: train if the data dir has no model for this warehouse, and score if the scores are
/// missing or from another model.
pub fn ensure_scored(data_dir: &Path, guard: &KGuard, out: &mut dyn Write) -> Result<(), Error> {
    let path = data_dir.join(MODEL_FILE);
    let current = open(data_dir)?.provenance()?;
    let existing = match load_model(&path) {
        Ok(artifact) if artifact.provenance == current => Some(artifact),
        Ok(_) => None,
        Err(e) if path.exists() => {
            eprintln!("Retraining: {e}");
            None
        }
        Err(_) => None,
    };
    let artifact = match existing {
        Some(artifact) => artifact,
        None => {
            eprintln!("Training the risk model on this warehouse…");
            let options = TrainOptions { guard: *guard, ..TrainOptions::default() };
            match train(data_dir, &options, None) {
                Ok((artifact, seconds)) => {
                    print_summary(out, &artifact)?;
                    writeln!(out, "trained in {seconds:.1} s")?;
                    artifact
                }
                // A warehouse too small to learn from still serves its other views.
                Err(Error::Model(e @ model::Error::TooFew(_))) => {
                    eprintln!("No risk model: {e}");
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
    };
    let scored = open(data_dir)?.score_run()?;
    if scored.is_none_or(|run| run.model_version != artifact.version) {
        eprintln!("Scoring everyone with {}…", artifact.version);
        let outcome = score(data_dir, &artifact, guard)?;
        print_outcome(out, "scored", &outcome, artifact.threshold)?;
    }
    Ok(())
}
