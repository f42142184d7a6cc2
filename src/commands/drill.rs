//! The drill commands: `drill start|pause|resume|stop|list|report`. Drills run in the serving process; these
//! commands hand it their requests through the data dir's inbox, or serve the dashboard themselves when no
//! server serves the data dir. `drill report` works on the logs alone (and with `--replay`, on the warehouse
//! and the model too), so it needs no server.

use super::modeling::{MODEL_FILE, load_model};
use super::serve::serve;
use super::{guard, load_definition};
use super::{open, print_json};
use crate::chaos::drill::{self, Drill};
use crate::cli::{DataDirOnly, DrillCommand, DrillReportArgs, DrillStartArgs, ListArgs};
use crate::error::Error;
use crate::warehouse::drill_log::{self as store, Command};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// A preset by name, or a drill file by path.
pub fn load_drill(name: &str) -> Result<Drill, Error> {
    load_definition(name, "drill", &drill::PRESETS, drill::preset, Drill::parse)
}

pub fn run(command: DrillCommand, out: &mut dyn Write) -> Result<(), Error> {
    match command {
        DrillCommand::Start(args) => start(args, out),
        DrillCommand::Pause(args) => control(args, Command::Pause, out),
        DrillCommand::Resume(args) => control(args, Command::Resume, out),
        DrillCommand::Stop(args) => control(args, Command::Stop, out),
        DrillCommand::List(args) => list(args, out),
        DrillCommand::Report(args) => report(args, out),
    }
}

fn start(args: DrillStartArgs, out: &mut dyn Write) -> Result<(), Error> {
    let data_dir = &args.data_dir.data_dir;
    let mut drill = load_drill(&args.drill)?;
    if let Some(speed) = args.days_per_minute {
        drill.days_per_minute =
            drill::check_speed(speed).map_err(|why| Error::Usage(format!("--days-per-minute: {why}")))?;
    }
    let command = Command::Start { drill: drill.clone() };
    if let Some(url) = store::running_server(data_dir)? {
        if args.listen.port != crate::cli::DEFAULT_PORT || !args.listen.bind.is_loopback() || args.guard.k.is_some() {
            eprintln!(
                "note: a server already serves {}: --port, --bind and --k are its own, not this command's",
                data_dir.display()
            );
        }
        let reply = super::send_to_server(data_dir, &command, &url)?;
        writeln!(out, "{}", reply.message)?;
        writeln!(
            out,
            "{} at {} drill days per minute ({:.1} minutes); participants follow it on the dashboard's Drill view: {url}",
            drill.name,
            drill.days_per_minute,
            drill.wall_seconds() / 60.0
        )?;
        return Ok(());
    }
    // No server: this command serves, with the drill queued for when the analytics are ready.
    let warehouse = open(data_dir)?;
    let model = data_dir.join(MODEL_FILE);
    load_model(&model).map_err(|e| Error::Usage(format!("a drill needs the risk model: {e}")))?;
    let guard = guard(data_dir, &args.guard)?;
    let reply_to = store::post(data_dir, &command)?;
    writeln!(
        out,
        "Drill {} ({:.1} minutes at {} drill days per minute) starts as soon as the analytics are loaded.",
        drill.name,
        drill.wall_seconds() / 60.0,
        drill.days_per_minute
    )?;
    let waiting = reply_to.clone();
    std::thread::spawn(move || {
        // On stderr: stdout is held by the serving command for its URL.
        match store::wait(&waiting, Duration::from_secs(600)) {
            Ok(Some(reply)) if reply.ok => eprintln!(
                "{}: open the dashboard's Drill view to follow it (Ctrl-C stops the drill and the server)",
                reply.message
            ),
            Ok(Some(reply)) => eprintln!("error: the drill did not start: {}", reply.message),
            _ => {}
        }
    });
    let served = serve(data_dir, warehouse, guard, &args.listen, None, out);
    if served.is_err() {
        // The server never took it: withdraw it, so a later server does not start a drill nobody asked of it.
        let _ = std::fs::remove_file(reply_to.with_extension("cmd"));
    }
    served
}

/// Sends a command to the serving process and returns its reply; a refusal is the error it gives.
fn control(args: DataDirOnly, command: Command, out: &mut dyn Write) -> Result<(), Error> {
    let data_dir = &args.data_dir.data_dir;
    let url = store::running_server(data_dir)?.ok_or_else(|| {
        Error::NotFound(format!(
            "no drill is running: no SafeHaven server serves {} (`safehaven drill list` shows past runs)",
            data_dir.display()
        ))
    })?;
    let reply = super::send_to_server(data_dir, &command, &url)?;
    writeln!(out, "{}", reply.message)?;
    Ok(())
}

fn list(args: ListArgs, out: &mut dyn Write) -> Result<(), Error> {
    let data_dir = &args.data_dir.data_dir;
    let live = store::active_run(data_dir)?;
    let runs = store::list(data_dir, live.as_deref())?;
    let presets = drill::preset_summaries();
    if args.json {
        return print_json(out, &serde_json::json!({ "drills": presets, "runs": runs, "live": live }));
    }
    writeln!(out, "Drills:")?;
    for d in &presets {
        writeln!(
            out,
            "  {:<14} {:>2} events, {:.0} drill days, {:.1} min at {} days/min  {}",
            d.name,
            d.events,
            d.duration_days,
            d.wall_minutes,
            d.days_per_minute,
            d.scenario.as_deref().map_or(String::new(), |s| format!("(scenario {s})"))
        )?;
    }
    writeln!(out, "Runs:")?;
    if runs.is_empty() {
        writeln!(out, "  none yet: `safehaven drill start winter_surge`")?;
    }
    for r in runs {
        writeln!(
            out,
            "  {}  {:<14} {:<11} day {:>6.2}  {} events, {} actions  started {}",
            r.run_id, r.drill, r.status, r.day, r.events, r.actions, r.started
        )?;
    }
    Ok(())
}

fn report(args: DrillReportArgs, out: &mut dyn Write) -> Result<(), Error> {
    let data_dir = &args.data_dir.data_dir;
    store::check_run_id(&args.run_id).map_err(|e| Error::Usage(e.to_string()))?;
    let log = store::read(data_dir, &args.run_id)?.ok_or_else(|| {
        Error::NotFound(format!("no drill run {}: `safehaven drill list` shows the runs", args.run_id))
    })?;
    if store::active_run(data_dir)?.as_deref() == Some(args.run_id.as_str()) && !drill::ended(&log) {
        return Err(Error::Usage(format!(
            "drill {} is still running: its debrief is ready when it finishes or is stopped (`safehaven drill stop`)",
            args.run_id
        )));
    }
    let log = if args.replay { replayed(data_dir, &log, &args, out)? } else { log };
    let report =
        drill::report(&log).ok_or_else(|| Error::CheckFailed(format!("drill log {} has no start", args.run_id)))?;
    let html = crate::charts::drill::report_html(&report).map_err(|e| Error::CheckFailed(e.to_string()))?;
    let json = serde_json::to_string_pretty(&report).map_err(std::io::Error::from)? + "\n";
    let dir = args.out.clone().unwrap_or_else(|| data_dir.join(store::DIR).join("reports"));
    std::fs::create_dir_all(&dir).map_err(|source| Error::DataDir { path: dir.clone(), source })?;
    for (ext, body) in [("html", html.as_bytes()), ("json", json.as_bytes())] {
        let path = dir.join(format!("{}.{ext}", args.run_id));
        crate::privacy::write_private(&path, body).map_err(|source| Error::DataDir { path: path.clone(), source })?;
    }
    if args.json {
        out.write_all(json.as_bytes())?;
        return Ok(());
    }
    let t = &report.totals;
    writeln!(
        out,
        "{} ({}): {} on drill day {:.2}; {} events, {} cases and alerts: {} on time, {} late, {} missed, {} open; {} actions",
        report.run_id,
        report.drill,
        report.status,
        report.ended_day,
        t.events,
        t.items,
        t.on_time,
        t.late,
        t.missed,
        t.open,
        t.actions
    )?;
    writeln!(out, "wrote {}", dir.join(format!("{}.html", args.run_id)).display())?;
    writeln!(out, "wrote {}", dir.join(format!("{}.json", args.run_id)).display())?;
    Ok(())
}

/// The log rebuilt from the drill's definition, seed and data, with the logged actions; an error if it differs
/// from the log.
fn replayed(
    data_dir: &Path,
    log: &[drill::Line],
    args: &DrillReportArgs,
    out: &mut dyn Write,
) -> Result<Vec<drill::Line>, Error> {
    let Some(drill::Line { entry: drill::Entry::Start { drill, model_version, k, .. }, .. }) = log.first() else {
        return Err(Error::CheckFailed(format!("drill log {} has no start", args.run_id)));
    };
    let artifact = load_model(&data_dir.join(MODEL_FILE))?;
    if &artifact.version != model_version {
        return Err(Error::CheckFailed(format!(
            "the drill ran with model {model_version} and the data dir now has {}: a replay needs the same model",
            artifact.version
        )));
    }
    // The k the run used, so suppressed counts replay as they were.
    let guard = match k {
        Some(k) => crate::privacy::KGuard::new(*k)?,
        None => guard(data_dir, &args.guard)?,
    };
    let warehouse = open(data_dir)?;
    let population = warehouse.population()?;
    let ids: Vec<String> = population.text("masked_id")?.into_iter().map(str::to_owned).collect();
    let survivors = warehouse.dv_input()?;
    let world =
        drill::World { artifact: &artifact, population: &population, ids: &ids, survivors: &survivors, guard: &guard };
    let timeline = drill::timeline(drill, &world).map_err(|e| Error::CheckFailed(e.to_string()))?;
    let replay = drill::replay(log, &timeline);
    let differs = replay.iter().zip(log).position(|(a, b)| a != b);
    if let Some(at) = differs.or((replay.len() != log.len()).then_some(replay.len().min(log.len()))) {
        let what = |line: Option<&drill::Line>| match line.map(|l| &l.entry) {
            Some(drill::Entry::Event { event }) => {
                format!("event {} ({}) on day {}", event.index, event.title, event.day)
            }
            Some(other) => {
                let kind = serde_json::to_value(other).ok().and_then(|v| v["entry"].as_str().map(str::to_owned));
                format!("a {} line", kind.unwrap_or_default())
            }
            None => "nothing".into(),
        };
        let difference = match (log.get(at), replay.get(at)) {
            (Some(a), Some(b)) if std::mem::discriminant(&a.entry) == std::mem::discriminant(&b.entry) => {
                let (a, b) = (serde_json::to_value(a).unwrap_or_default(), serde_json::to_value(b).unwrap_or_default());
                let fields = |v: &serde_json::Value| v.get("event").cloned().unwrap_or_else(|| v.clone());
                let (a, b) = (fields(&a), fields(&b));
                let differing: Vec<String> = a
                    .as_object()
                    .map(|m| m.iter().filter(|(k, v)| b.get(k.as_str()) != Some(*v)).map(|(k, _)| k.clone()).collect())
                    .unwrap_or_default();
                format!("{} differs in {}", what(log.get(at)), differing.join(", "))
            }
            (a, b) => format!("the log has {}, the replay {}", what(a), what(b)),
        };
        return Err(Error::CheckFailed(format!(
            "the replay differs from drill log {} at line {}: {difference}; the drill definition, the warehouse or the model changed since it ran, or the log was edited",
            args.run_id,
            at + 1,
        )));
    }
    let events = replay.iter().filter(|l| matches!(l.entry, drill::Entry::Event { .. })).count();
    let actions = replay.iter().filter(|l| matches!(l.entry, drill::Entry::Action { .. })).count();
    let note = format!(
        "replay matches the log: {events} events rebuilt from the drill and seed, {actions} actions re-applied"
    );
    if args.json {
        eprintln!("{note}");
    } else {
        writeln!(out, "{note}")?;
    }
    Ok(replay)
}
