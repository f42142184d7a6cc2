//! The chaos commands: `chaos run|list|show|drop`. A run reads the warehouse and the model, computes the
//! scenario on an in-memory copy of the population, and stores the result whole in `chaos.duckdb`.

use super::modeling::{MODEL_FILE, load_model};
use super::{guard, load_definition, now, open, print_json};
use crate::chaos::{self, Scenario};
use crate::cli::{ChaosCommand, ChaosRunArgs, ChaosRunIdArgs, ListArgs};
use crate::error::Error;
use crate::text::thousands;
use crate::warehouse::chaos_runs::ChaosRuns;
use std::io::Write;

/// A preset by name, or a scenario file by path.
pub fn load_scenario(name: &str) -> Result<Scenario, Error> {
    load_definition(name, "scenario", &chaos::PRESETS, chaos::preset, Scenario::parse)
}

pub fn run(command: ChaosCommand, out: &mut dyn Write) -> Result<(), Error> {
    match command {
        ChaosCommand::Run(args) => run_scenario(args, out),
        ChaosCommand::List(args) => list(args, out),
        ChaosCommand::Show(args) => show(args, out),
        ChaosCommand::Drop(args) => {
            if ChaosRuns::open(&args.data_dir.data_dir)?.drop_run(&args.run_id)? {
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
        scenario.shape = chaos::shape(shape)
            .ok_or_else(|| Error::Usage(format!("--shape: unknown shape `{shape}`; shapes: linear, v, u, w")))?;
    }
    let artifact = load_model(&args.model.model.clone().unwrap_or_else(|| data_dir.join(MODEL_FILE)))?;
    let guard = guard(data_dir, &args.guard)?;
    let store = ChaosRuns::open(data_dir)?;
    let started = std::time::Instant::now();
    let warehouse = open(data_dir)?;
    let population = warehouse.population()?;
    let survivors = warehouse.dv_input()?;
    let load_seconds = started.elapsed().as_secs_f64();
    let result = chaos::run(&scenario, &artifact, &population, Some(&survivors), &guard)?;
    let seconds = started.elapsed().as_secs_f64();
    let (_, document) = store.store(&result, &now(), load_seconds, seconds - load_seconds)?;
    if args.json {
        return print_json(out, &document);
    }
    print_run(out, &document)
}

/// Prints a stored run document (as `chaos run` and `chaos show` do).
fn print_run(out: &mut dyn Write, run: &serde_json::Value) -> Result<(), Error> {
    let d = &run["definition"];
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("?").to_owned();
    let number = |v: &serde_json::Value| v.as_f64().map_or("suppressed".into(), |x| thousands(x.round() as u64));
    writeln!(
        out,
        "{}: {} ({} shape, {} months) on {} people in {:.1} s",
        text(&run["runId"]),
        text(&d["name"]),
        text(&d["shape"]),
        d["horizonMonths"],
        number(&run["people"]),
        run["seconds"].as_f64().unwrap_or(0.0)
    )?;
    writeln!(out, "  {}", text(&d["description"]))?;
    writeln!(out, "  source: {}", text(&d["source"]))?;
    let horizon = format!("horizon (month {})", d["horizonMonths"]);
    let peak = format!("peak (month {})", run["peakMonth"]);
    writeln!(out, "  {:<20}{:>16}{:>22}{:>18}", "", "baseline", horizon, peak)?;
    let threshold = format!("high-risk (>= {:.2})", run["threshold"].as_f64().unwrap_or(0.0));
    for (label, key) in [
        (threshold.as_str(), "highRiskCount"),
        ("expected distress", "expectedDistress"),
        ("medical exposure", "medicalExposure"),
    ] {
        writeln!(
            out,
            "  {label:<20}{:>16}{:>22}{:>18}",
            number(&run["baseline"][key]),
            number(&run["scenario"][key]),
            number(&run["peak"][key])
        )?;
    }
    let dv = &run["dv"];
    if dv.is_object() {
        let level = |side: &str, name: &str| {
            dv[side]["cells"]
                .as_array()
                .and_then(|cells| cells.iter().find(|c| c["label"] == name))
                .map_or("suppressed".into(), |c| number(&c["count"]))
        };
        writeln!(
            out,
            "  DV assessments (month {}, {} extra incidents): critical {} -> {}, high {} -> {}",
            dv["month"],
            number(&dv["extraIncidents"]),
            level("baseline", "critical"),
            level("scenario", "critical"),
            level("baseline", "high"),
            level("scenario", "high")
        )?;
    }
    let added = |key: &str| -> u64 {
        run["months"].as_array().map_or(0, |months| months.iter().filter_map(|m| m[key].as_u64()).sum())
    };
    writeln!(
        out,
        "  regenerated events: {} missed payments and {} overdrafts added by stress over the run (months below k withheld)",
        thousands(added("extraMissedPayments")),
        thousands(added("extraOverdrafts"))
    )?;
    let unmodelled: Vec<String> =
        run["unmodelled"].as_array().map(|a| a.iter().map(text).collect()).unwrap_or_default();
    if !unmodelled.is_empty() {
        writeln!(out, "  recorded, not modelled yet: {}", unmodelled.join(", "))?;
    }
    writeln!(
        out,
        "  time: {:.1} s reading the population, {:.1} s applying, rescoring and aggregating",
        run["loadSeconds"].as_f64().unwrap_or(0.0),
        run["engineSeconds"].as_f64().unwrap_or(0.0)
    )?;
    writeln!(out, "  `safehaven chaos show {} --json` has every month and region", text(&run["runId"]))?;
    Ok(())
}

fn list(args: ListArgs, out: &mut dyn Write) -> Result<(), Error> {
    let runs = ChaosRuns::open(&args.data_dir.data_dir)?.list()?;
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
    let document = ChaosRuns::open(&args.data_dir.data_dir)?
        .get(&args.run_id)?
        .ok_or_else(|| Error::NotFound(format!("no run {}: `safehaven chaos list` shows the runs", args.run_id)))?;
    let value: serde_json::Value = serde_json::from_str(&document).map_err(std::io::Error::from)?;
    if args.json {
        return print_json(out, &value);
    }
    print_run(out, &value)
}
