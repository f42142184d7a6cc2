//! The chaos commands: `chaos run|list|show|drop`. A run reads the warehouse and the model, computes the
//! scenario on an in-memory copy of the population, and stores the result whole in `chaos.duckdb`.

use super::modeling::{MODEL_FILE, load_model};
use super::{guard, now, open};
use crate::chaos::{self, Scenario};
use crate::charts::thousands;
use crate::cli::{ChaosCommand, ChaosListArgs, ChaosRunArgs, ChaosRunIdArgs};
use crate::error::Error;
use crate::warehouse::runs::RunStore;
use std::io::Write;

/// A preset by name, or a scenario file by path.
pub fn load_scenario(name: &str) -> Result<Scenario, Error> {
    if let Some(parsed) = chaos::preset(name) {
        return parsed.map_err(|e| Error::Usage(e.to_string()));
    }
    let path = std::path::Path::new(name);
    let looks_like_a_file = name.ends_with(".toml") || name.contains('/');
    if looks_like_a_file && !path.is_file() {
        return Err(Error::Usage(format!("cannot read scenario file {name}: no such file")));
    }
    if !path.is_file() {
        let presets: Vec<&str> = chaos::PRESETS.iter().map(|(n, _)| *n).collect();
        return Err(Error::Usage(format!(
            "no scenario `{name}`: use a preset ({}) or the path of a .toml scenario file",
            presets.join(", ")
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::Usage(format!("cannot read {name}: {e}")))?;
    Scenario::parse(name, &text).map_err(|e| Error::Usage(e.to_string()))
}

fn print_json(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<(), Error> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

fn count(c: Option<u64>) -> String {
    c.map_or("suppressed".into(), thousands)
}

pub fn run(command: ChaosCommand, out: &mut dyn Write) -> Result<(), Error> {
    match command {
        ChaosCommand::Run(args) => run_scenario(args, out),
        ChaosCommand::List(args) => list(args, out),
        ChaosCommand::Show(args) => show(args, out),
        ChaosCommand::Drop(args) => {
            if RunStore::open(&args.data_dir.data_dir)?.drop_run(&args.run_id)? {
                writeln!(out, "dropped {}", args.run_id)?;
                Ok(())
            } else {
                Err(Error::NotFound(format!("no run {}: `safehaven chaos list` shows the runs", args.run_id)))
            }
        }
    }
}

fn run_scenario(args: ChaosRunArgs, out: &mut dyn Write) -> Result<(), Error> {
    let data_dir = &args.data_dir.data_dir;
    let mut scenario = load_scenario(&args.scenario)?;
    if let Some(shape) = &args.shape {
        scenario.shape = chaos::shape(&shape.to_lowercase())
            .ok_or_else(|| Error::Usage(format!("--shape: unknown shape `{shape}`; shapes: linear, v, u, w")))?;
    }
    let artifact = load_model(&args.model.model.clone().unwrap_or_else(|| data_dir.join(MODEL_FILE)))?;
    let guard = guard(data_dir, &args.guard)?;
    let store = RunStore::open(data_dir)?;
    let started = std::time::Instant::now();
    let warehouse = open(data_dir)?;
    let population = warehouse.population()?;
    let survivors = chaos::dv::DvInput {
        cases: warehouse.dv_cases(None)?,
        regions: warehouse.survivor_regions()?,
        as_of: warehouse.observation_date()?,
    };
    let load_seconds = started.elapsed().as_secs_f64();
    let result = chaos::run(&scenario, &artifact, &population, Some(&survivors), &guard).map_err(|e| match e {
        chaos::Error::Model(e) => Error::Model(e),
        other => Error::CheckFailed(other.to_string()),
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let (id, document) = store.store(&result, &now(), load_seconds, seconds - load_seconds)?;
    if args.json {
        return print_json(out, &document);
    }
    print_run(out, &id, &result, seconds)?;
    writeln!(
        out,
        "  time: {load_seconds:.1} s reading the population, {:.1} s applying, rescoring and aggregating",
        seconds - load_seconds
    )?;
    Ok(())
}

fn print_run(out: &mut dyn Write, id: &str, r: &chaos::RunResult, seconds: f64) -> Result<(), Error> {
    let d = &r.definition;
    writeln!(
        out,
        "{id}: {} ({:?} shape, {} months) on {} people in {seconds:.1} s",
        d.name,
        d.shape,
        d.horizon_months,
        thousands(r.people)
    )?;
    writeln!(out, "  {}", d.description)?;
    writeln!(out, "  source: {}", d.source)?;
    writeln!(
        out,
        "                      baseline      horizon (month {})   peak (month {})",
        d.horizon_months, r.peak_month
    )?;
    writeln!(
        out,
        "  high-risk (≥ {:.2})   {:>10}    {:>10}          {:>10}",
        r.threshold,
        count(r.baseline.high_risk_count),
        count(r.scenario.high_risk_count),
        count(r.peak.high_risk_count)
    )?;
    let n = |v: f64| thousands(v.round() as u64);
    writeln!(
        out,
        "  expected distress   {:>10}    {:>10}          {:>10}",
        n(r.baseline.expected_distress),
        n(r.scenario.expected_distress),
        n(r.peak.expected_distress)
    )?;
    writeln!(
        out,
        "  medical exposure    {:>10}    {:>10}          {:>10}",
        n(r.baseline.medical_exposure),
        n(r.scenario.medical_exposure),
        n(r.peak.medical_exposure)
    )?;
    if let Some(dv) = &r.dv {
        let level = |g: &crate::privacy::Guarded<&str>, name: &str| {
            g.cells.iter().find(|c| c.label == name).and_then(|c| c.count).map_or("suppressed".into(), thousands)
        };
        writeln!(
            out,
            "  DV assessments (month {}, {} extra incidents): critical {} → {}, high {} → {}",
            dv.month,
            thousands(dv.extra_incidents),
            level(&dv.baseline, "critical"),
            level(&dv.scenario, "critical"),
            level(&dv.baseline, "high"),
            level(&dv.scenario, "high")
        )?;
    }
    if !r.unmodelled.is_empty() {
        writeln!(out, "  recorded, not modelled yet: {}", r.unmodelled.join(", "))?;
    }
    writeln!(out, "  `safehaven chaos show {id} --json` has every month and region")?;
    Ok(())
}

fn list(args: ChaosListArgs, out: &mut dyn Write) -> Result<(), Error> {
    let runs = RunStore::open(&args.data_dir.data_dir)?.list()?;
    if args.json {
        return print_json(out, &runs);
    }
    if runs.is_empty() {
        writeln!(out, "no runs yet: `safehaven chaos run recession`")?;
    }
    for r in runs {
        writeln!(
            out,
            "{}  {:<14} {:<7} {}  {} people  {:.1} s",
            r.run_id,
            r.scenario,
            r.shape,
            r.created_at,
            thousands(r.people),
            r.seconds
        )?;
    }
    Ok(())
}

fn show(args: ChaosRunIdArgs, out: &mut dyn Write) -> Result<(), Error> {
    let document = RunStore::open(&args.data_dir.data_dir)?
        .get(&args.run_id)?
        .ok_or_else(|| Error::NotFound(format!("no run {}: `safehaven chaos list` shows the runs", args.run_id)))?;
    let value: serde_json::Value = serde_json::from_str(&document).map_err(std::io::Error::from)?;
    if args.json {
        return print_json(out, &value);
    }
    let f = |v: &serde_json::Value| v.as_f64().map_or("suppressed".into(), |x| thousands(x.round() as u64));
    writeln!(
        out,
        "{}: {} ({} people)",
        args.run_id,
        value["definition"]["name"].as_str().unwrap_or("?"),
        value["people"]
    )?;
    for key in ["baseline", "scenario", "peak"] {
        writeln!(
            out,
            "  {key:<9} high-risk {:>10}  expected distress {:>10}  medical exposure {:>14}",
            f(&value[key]["highRiskCount"]),
            f(&value[key]["expectedDistress"]),
            f(&value[key]["medicalExposure"])
        )?;
    }
    Ok(())
}
