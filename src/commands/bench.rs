//! `safehaven bench`: measurements printed for people (or as JSON), never asserted in tests.

mod analyst;
mod guard;
mod handoff;

use super::seed::seed_options;
use crate::cli::{BenchCommand, BenchTrainArgs};
use crate::error::Error;
use crate::model;
use crate::privacy::keys;
use crate::privacy::masked::Masker;
use crate::synth::Params;
use crate::text::thousands;
use crate::warehouse::{self, SeedOptions, Warehouse, reveal};
use serde::Serialize;
use std::io::Write;

/// The result of `bench seed`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedBench {
    pub customers: u64,
    pub threads: usize,
    pub rows: u64,
    pub wall_seconds: f64,
    pub rows_per_second: f64,
    pub peak_rss_mib: Option<f64>,
    /// Worker seconds spent serialising and encrypting PII, summed over threads (divide by threads for wall).
    pub sealing_worker_seconds: f64,
    /// Sealed vault bytes per PII record (age header, JSON and all).
    pub vault_bytes_per_record: f64,
    /// Reveal of one record (lookup, decrypt its chunk, parse), over random masked IDs.
    pub reveal_mean_ms: f64,
    pub reveal_p95_ms: f64,
}

/// Seeds a throw-away warehouse in a temporary directory and measures it.
pub fn seed(params: Params, threads: usize) -> Result<SeedBench, warehouse::Error> {
    let dir = std::env::temp_dir().join(format!("safehaven-bench-{}", std::process::id()));
    let options = SeedOptions { params, threads, force: true, progress: false };
    // A throw-away identity and installation key: the timings include masking and sealing.
    let identity = keys::NewIdentity::generate();
    let started = std::time::Instant::now();
    let masker = Masker::from_key(rand_key());
    let report = warehouse::seed_sealed(&dir, &options, &identity.recipient(), &masker);
    let wall = started.elapsed().as_secs_f64();
    let measured = report.and_then(|report| {
        let warehouse = Warehouse::open_read_only(&report.path)?;
        let stats = warehouse.vault_stats()?;
        Ok((report, stats, time_reveals(&warehouse, &identity)?))
    });
    let _ = std::fs::remove_dir_all(&dir);
    let (report, stats, (reveal_mean_ms, reveal_p95_ms)) = measured?;
    Ok(SeedBench {
        customers: params.customers,
        threads,
        rows: report.rows(),
        wall_seconds: wall,
        rows_per_second: report.rows() as f64 / wall.max(1e-9),
        peak_rss_mib: peak_rss_mib(),
        sealing_worker_seconds: report.sealing.as_secs_f64(),
        vault_bytes_per_record: stats.bytes as f64 / stats.records.max(1) as f64,
        reveal_mean_ms,
        reveal_p95_ms,
    })
}

fn rand_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("the OS provides randomness");
    key
}

/// Reveals 50 people (the first by masked ID, so spread at random over the population); returns mean and
/// 95th-percentile milliseconds.
fn time_reveals(warehouse: &Warehouse, identity: &keys::NewIdentity) -> warehouse::Result<(f64, f64)> {
    let identity = identity.secret();
    let ids: Vec<String> = warehouse.people(50)?.into_iter().map(|p| p.masked_id).collect();
    let times: Vec<f64> = ids
        .iter()
        .filter_map(|id| id.parse().ok())
        .map(|id| {
            let started = std::time::Instant::now();
            let revealed = reveal::reveal(warehouse, identity, &id);
            let ms = started.elapsed().as_secs_f64() * 1e3;
            revealed.map(|_| ms).unwrap_or(f64::NAN)
        })
        .collect();
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    Ok((mean, percentile(times, 0.95)))
}

impl SeedBench {
    pub fn print(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "customers     {}", thousands(self.customers))?;
        writeln!(out, "threads       {}", self.threads)?;
        writeln!(out, "rows          {}", thousands(self.rows))?;
        writeln!(out, "wall time     {:.2} s", self.wall_seconds)?;
        writeln!(out, "throughput    {} rows/s", thousands(self.rows_per_second.round() as u64))?;
        match self.peak_rss_mib {
            Some(mib) => writeln!(out, "peak RSS      {mib:.0} MiB"),
            None => writeln!(out, "peak RSS      unavailable on this platform"),
        }?;
        writeln!(
            out,
            "PII sealing   {:.2} worker-s (serialise + age encrypt, summed over threads)",
            self.sealing_worker_seconds
        )?;
        writeln!(out, "vault         {:.0} bytes per PII record", self.vault_bytes_per_record)?;
        writeln!(out, "reveal        {:.2} ms mean, {:.2} ms p95", self.reveal_mean_ms, self.reveal_p95_ms)
    }
}

/// Peak resident set size of this process (Linux `VmHWM`).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Which model benchmark to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelBench {
    Train,
    Score,
    Whatif,
}

/// The scikit-learn reference script, embedded so the bench runs from any directory.
const SKLEARN_SCRIPT: &str = include_str!("../../benches/train_sklearn.py");

/// What scikit-learn reported on the same matrix.
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct SklearnResult {
    pub fit_seconds: f64,
    pub iterations: u32,
    pub auc: f64,
}

/// The result of a model benchmark; fields a benchmark does not measure are `None`.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelBenchResult {
    pub rows: u64,
    pub features: usize,
    /// Seeding the throw-away warehouse (not part of any figure below).
    pub seed_seconds: Option<f64>,
    /// Reading the labelled population from the warehouse into polars.
    pub load_seconds: f64,
    pub feature_seconds: Option<f64>,
    pub fit_seconds: Option<f64>,
    pub iterations: Option<u32>,
    pub converged: Option<bool>,
    pub auc: Option<f64>,
    pub bayes_auc: Option<f64>,
    pub sklearn: Option<SklearnResult>,
    /// Why the scikit-learn comparison did not run.
    pub sklearn_unavailable: Option<String>,
    /// SafeHaven fit time / scikit-learn fit time (target ≤ 1.0).
    pub fit_time_ratio: Option<f64>,
    pub score_rows_per_second: Option<f64>,
    pub reasons_rows_per_second: Option<f64>,
    pub whatif_population_seconds: Option<f64>,
    pub whatif_person_ms: Option<f64>,
    pub peak_rss_mib: Option<f64>,
}

/// The `q` quantile of `values`: the value at rank ⌊n·q⌋ of the sorted list (NaN when there are none).
fn percentile(mut values: Vec<f64>, q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n => values[((n as f64 * q) as usize).min(n - 1)],
    }
}

fn error(e: impl std::fmt::Display) -> warehouse::Error {
    warehouse::Error::Frame(e.to_string())
}

/// Runs a model benchmark on `data_dir`'s warehouse, or on a throw-away one of `rows` customers.
pub fn model(
    which: ModelBench,
    rows: u64,
    seed: u64,
    data_dir: Option<&std::path::Path>,
) -> warehouse::Result<ModelBenchResult> {
    let temp = std::env::temp_dir().join(format!("safehaven-bench-model-{}", std::process::id()));
    let result = (|| {
        let mut result = ModelBenchResult::default();
        let path = match data_dir {
            Some(dir) => warehouse::path_in(dir),
            None => {
                let started = std::time::Instant::now();
                let options = SeedOptions {
                    params: Params { customers: rows, seed },
                    threads: crate::config::default_threads(),
                    force: true,
                    progress: false,
                };
                let identity = keys::NewIdentity::generate();
                let report =
                    warehouse::seed_sealed(&temp, &options, &identity.recipient(), &Masker::from_key(rand_key()))?;
                result.seed_seconds = Some(started.elapsed().as_secs_f64());
                report.path
            }
        };
        let warehouse = Warehouse::open_read_only(&path)?;
        let started = std::time::Instant::now();
        let data = warehouse.labelled(model::SPLIT_SALT, model::VALIDATION_SHARE)?;
        result.load_seconds = started.elapsed().as_secs_f64();
        result.rows = data.population.len() as u64;
        result.features = model::features::FEATURES.len();
        let (artifact, timings) =
            model::train(&data, warehouse.provenance()?, &model::TrainOptions::default()).map_err(error)?;
        match which {
            ModelBench::Train => {
                result.feature_seconds = Some(timings.features.as_secs_f64());
                result.fit_seconds = Some(timings.fit.as_secs_f64());
                result.iterations = Some(artifact.convergence.iterations);
                result.converged = Some(artifact.convergence.converged);
                result.auc = Some(artifact.metrics.auc);
                result.bayes_auc = Some(artifact.metrics.bayes_auc);
                match sklearn(&temp, &data, &artifact) {
                    Ok(sk) => {
                        result.fit_time_ratio = Some(timings.fit.as_secs_f64() / sk.fit_seconds);
                        result.sklearn = Some(sk);
                    }
                    Err(why) => result.sklearn_unavailable = Some(why),
                }
            }
            ModelBench::Score => {
                let started = std::time::Instant::now();
                let x = model::features::matrix(&data.population, &artifact.encoding).map_err(error)?;
                result.feature_seconds = Some(started.elapsed().as_secs_f64());
                let scorer = model::Scorer::new(&artifact);
                let runs: Vec<f64> = (0..7)
                    .map(|_| {
                        let started = std::time::Instant::now();
                        let p = scorer.probabilities(&x);
                        std::hint::black_box(&p);
                        started.elapsed().as_secs_f64()
                    })
                    .collect();
                result.score_rows_per_second = Some(x.nrows() as f64 / percentile(runs, 0.5));
                let started = std::time::Instant::now();
                let reasons: usize = {
                    use rayon::prelude::*;
                    (0..x.nrows())
                        .into_par_iter()
                        .map(|i| model::explain::top_reasons(&artifact, &x.row(i).to_vec()).len())
                        .sum()
                };
                std::hint::black_box(reasons);
                result.reasons_rows_per_second = Some(x.nrows() as f64 / started.elapsed().as_secs_f64());
            }
            ModelBench::Whatif => {
                let (_, baseline) = model::score(&artifact, &data.population).map_err(error)?;
                let shock = model::whatif::Shock {
                    medical_cost_pct: 30.0,
                    income_pct: -10.0,
                    unemployment_points: 3.0,
                    unemployed: false,
                };
                let guard = crate::privacy::KGuard::default();
                let runs = (0..5)
                    .map(|_| {
                        let started = std::time::Instant::now();
                        model::whatif::population(&artifact, &data.population, Some(&baseline), &shock, 0.2, &guard)
                            .map(|_| started.elapsed().as_secs_f64())
                    })
                    .collect::<Result<Vec<f64>, _>>()
                    .map_err(error)?;
                result.whatif_population_seconds = Some(percentile(runs, 0.5));
                let person_shock = model::whatif::Shock { medical_cost_pct: 30.0, ..Default::default() };
                let step = (data.population.len() / 200).max(1);
                let runs = (0..data.population.len())
                    .step_by(step)
                    .map(|i| {
                        let person = data.population.row(i);
                        let started = std::time::Instant::now();
                        model::whatif::person(&artifact, &person, &person_shock)
                            .map(|_| started.elapsed().as_secs_f64() * 1e3)
                    })
                    .collect::<Result<Vec<f64>, _>>()
                    .map_err(error)?;
                result.whatif_person_ms = Some(percentile(runs, 0.5));
            }
        }
        result.peak_rss_mib = peak_rss_mib();
        Ok(result)
    })();
    let _ = std::fs::remove_dir_all(&temp);
    result
}

/// Writes the training matrix to Parquet and runs the embedded scikit-learn script on it.
fn sklearn(dir: &std::path::Path, data: &model::Labelled, artifact: &model::Artifact) -> Result<SklearnResult, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let parquet = dir.join("training.parquet");
    let script = dir.join("train_sklearn.py");
    std::fs::write(&script, SKLEARN_SCRIPT).map_err(|e| e.to_string())?;
    let x = model::features::matrix(&data.population, &artifact.encoding).map_err(|e| e.to_string())?;
    let ids = data.population.text("masked_id").map_err(|e| e.to_string())?;
    warehouse::write_training_parquet(&parquet, &ids, &model::features::names(), &x, &data.label, &data.validation)
        .map_err(|e| e.to_string())?;
    let output = std::process::Command::new("python3")
        .arg(&script)
        .arg(&parquet)
        .arg(artifact.hyper_parameters.alpha.to_string())
        .output()
        .map_err(|e| format!("python3 not available ({e})"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let reason = serde_json::from_str::<serde_json::Value>(stdout.trim())
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or("failed").to_owned());
        return Err(reason);
    }
    serde_json::from_str(stdout.trim()).map_err(|e| format!("unexpected output from the script: {e}"))
}

impl ModelBenchResult {
    pub fn print(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "rows          {} × {} features", thousands(self.rows), self.features)?;
        if let Some(s) = self.seed_seconds {
            writeln!(out, "seed          {s:.2} s (throw-away warehouse; not part of the figures below)")?;
        }
        writeln!(out, "load          {:.2} s (warehouse → polars)", self.load_seconds)?;
        if let Some(s) = self.feature_seconds {
            writeln!(out, "features      {s:.3} s")?;
        }
        if let (Some(s), Some(i)) = (self.fit_seconds, self.iterations) {
            let converged = if self.converged == Some(true) { "converged" } else { "not converged" };
            writeln!(out, "fit           {s:.3} s ({i} Newton iterations, {converged})")?;
        }
        if let (Some(a), Some(b)) = (self.auc, self.bayes_auc) {
            writeln!(out, "AUC           {a:.4} (Bayes ceiling {b:.4})")?;
        }
        match (&self.sklearn, &self.sklearn_unavailable) {
            (Some(sk), _) => {
                writeln!(
                    out,
                    "scikit-learn  fit {:.3} s ({} lbfgs iterations), AUC {:.4}",
                    sk.fit_seconds, sk.iterations, sk.auc
                )?;
                if let (Some(ratio), Some(auc)) = (self.fit_time_ratio, self.auc) {
                    writeln!(out, "vs sklearn    {ratio:.2}× its fit time, AUC {:+.4}", auc - sk.auc)?;
                }
            }
            (None, Some(why)) => writeln!(out, "scikit-learn  not run: {why}")?,
            (None, None) => {}
        }
        if let Some(r) = self.score_rows_per_second {
            writeln!(out, "scoring       {} rows/s (batch, in-process, median of 7)", thousands(r.round() as u64))?;
        }
        if let Some(r) = self.reasons_rows_per_second {
            writeln!(out, "reasons       {} rows/s (top 3 in words)", thousands(r.round() as u64))?;
        }
        if let Some(s) = self.whatif_population_seconds {
            writeln!(
                out,
                "what-if       {s:.3} s for the population (+30 % medical, −10 % income, +3 pts unemployment)"
            )?;
        }
        if let Some(ms) = self.whatif_person_ms {
            writeln!(out, "what-if       {ms:.2} ms for one person (median of 200)")?;
        }
        match self.peak_rss_mib {
            Some(mib) => writeln!(out, "peak RSS      {mib:.0} MiB"),
            None => Ok(()),
        }
    }
}

/// `safehaven bench …`: runs one benchmark and prints its result.
pub fn run(command: BenchCommand, out: &mut dyn Write) -> Result<(), Error> {
    match command {
        BenchCommand::Train(args) => bench_model(ModelBench::Train, args, out),
        BenchCommand::Score(args) => bench_model(ModelBench::Score, args, out),
        BenchCommand::Whatif(args) => bench_model(ModelBench::Whatif, args, out),
        BenchCommand::Guard(args) => {
            let result = guard::run(&args.data_dir.data_dir)?;
            print_bench(out, args.json, &result, guard::GuardBench::print)
        }
        BenchCommand::Analyst(args) => {
            let result = analyst::run(&args.data_dir.data_dir)?;
            print_bench(out, args.json, &result, analyst::AnalystBench::print)
        }
        BenchCommand::Handoff(args) => handoff::run(args, out),
        BenchCommand::Seed(args) => {
            let options = seed_options(&args.population, true);
            let result = seed(options.params, options.threads)?;
            print_bench(out, args.json, &result, SeedBench::print)
        }
    }
}

fn bench_model(which: ModelBench, args: BenchTrainArgs, out: &mut dyn Write) -> Result<(), Error> {
    let result = model(which, args.rows, args.seed, args.data_dir.as_deref())?;
    print_bench(out, args.json, &result, ModelBenchResult::print)
}

/// Prints a benchmark result as JSON or as text.
fn print_bench<T: serde::Serialize>(
    out: &mut dyn Write,
    json: bool,
    result: &T,
    print: fn(&T, &mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    if json {
        super::print_json(out, result)?;
    } else {
        print(result, out)?;
    }
    Ok(())
}
