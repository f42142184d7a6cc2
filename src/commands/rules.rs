//! The routing rules commands: `rules check FILE`, `rules test FIXTURES.toml` and `rules explain SIGNAL.json`.
//! They read files only (no warehouse, no server): a rules file checked, a fixture file's cases run, one signal's
//! walk through the route tree.

use super::print_json;
use crate::cli::{RulesCheckArgs, RulesCommand, RulesExplainArgs, RulesTestArgs};
use crate::error::Error;
use crate::handoff::rules::{self, Facts, Route, Rules};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The data dir's rules file; without one, the built-in rules apply.
pub const RULES_FILE: &str = "routing.toml";

pub fn run(command: RulesCommand, out: &mut dyn Write) -> Result<(), Error> {
    match command {
        RulesCommand::Check(args) => check(args, out),
        RulesCommand::Test(args) => test(args, out),
        RulesCommand::Explain(args) => explain(args, out),
    }
}

fn read(path: &Path, what: &str) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::Usage(format!("cannot read {what} {}: {e}", path.display())))
}

fn parse_rules(path: &Path) -> Result<Rules, Error> {
    let text = read(path, "rules file")?;
    Rules::parse(&path.display().to_string(), &text).map_err(|e| Error::Usage(e.to_string()))
}

/// `file` if given, else `DATA_DIR/routing.toml` if there is one, else the built-in rules.
pub fn load_rules(file: Option<&Path>, data_dir: &Path) -> Result<Rules, Error> {
    match file {
        Some(file) => parse_rules(file),
        None if data_dir.join(RULES_FILE).is_file() => parse_rules(&data_dir.join(RULES_FILE)),
        None => Ok(Rules::builtin()),
    }
}

fn check(args: RulesCheckArgs, out: &mut dyn Write) -> Result<(), Error> {
    let rules = parse_rules(&args.file)?;
    if args.json {
        return print_json(out, &rules);
    }
    let routes = rules.root().walk().len();
    writeln!(out, "{}: ok: {} queues, {routes} routes", rules.file(), rules.queues().len())?;
    for queue in rules.queues() {
        let training = if queue.training { ", training" } else { "" };
        let webhooks =
            if queue.webhooks.is_empty() { String::new() } else { format!("; webhooks {}", queue.webhooks.join(", ")) };
        writeln!(out, "  queue {} ({}{training}{webhooks})", queue.name, queue.role.name())?;
    }
    print_tree(out, rules.root(), 1)?;
    let webhooks = rules.webhooks();
    if !webhooks.is_empty() {
        writeln!(out, "webhook destinations named: {} (each must be in appliance.toml)", webhooks.join(", "))?;
    }
    Ok(())
}

fn print_tree(out: &mut dyn Write, route: &Route, depth: usize) -> Result<(), Error> {
    let mut settings = vec![format!("→ {}", route.queue)];
    if route.urgency == rules::Urgency::High {
        settings.push("urgency high".into());
    }
    if let Some(e) = &route.escalation {
        let repeat = e.repeat_minutes.map_or(String::new(), |r| format!(", every {r} min after"));
        settings.push(format!("escalates after {} min to {}{repeat}", e.after_minutes, e.then.join(", ")));
    }
    if let Some(q) = &route.quiet_hours {
        settings.push(format!("quiet {}–{} {}", q.start.format("%H:%M"), q.end.format("%H:%M"), q.time_zone.name()));
    }
    if route.continues {
        settings.push("continue".into());
    }
    let matcher = if route.path == "root" { String::new() } else { format!(" [{}]", route.matcher) };
    writeln!(out, "{}{}{matcher} {}", "  ".repeat(depth), route.name, settings.join("; "))?;
    for child in &route.routes {
        print_tree(out, child, depth + 1)?;
    }
    Ok(())
}

fn test(args: RulesTestArgs, out: &mut dyn Write) -> Result<(), Error> {
    let text = read(&args.fixtures, "fixture file")?;
    let name = args.fixtures.display().to_string();
    let usage = |e: crate::text::located::ParseError| Error::Usage(e.to_string());
    let named: Option<PathBuf> = rules::fixtures_rules(&name, &text)
        .map_err(usage)?
        .map(|file| args.fixtures.parent().unwrap_or(Path::new("")).join(file));
    let rules = load_rules(args.rules.as_deref().or(named.as_deref()), &args.data_dir.data_dir)?;
    let outcomes = rules::run_fixtures(&rules, &name, &text).map_err(usage)?;
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    if args.json {
        print_json(out, &outcomes)?;
    } else {
        for outcome in &outcomes {
            writeln!(out, "{}  {}", if outcome.passed { "ok  " } else { "FAIL" }, outcome.name)?;
            for difference in &outcome.differences {
                writeln!(out, "        {difference}")?;
            }
        }
        writeln!(
            out,
            "{} cases against {}: {} passed, {failed} failed",
            outcomes.len(),
            rules.file(),
            outcomes.len() - failed
        )?;
    }
    if failed > 0 {
        let names: Vec<&str> = outcomes.iter().filter(|o| !o.passed).map(|o| o.name.as_str()).collect();
        return Err(Error::CheckFailed(format!(
            "{failed} of {} fixture cases failed: {}",
            outcomes.len(),
            names.join("; ")
        )));
    }
    Ok(())
}

fn explain(args: RulesExplainArgs, out: &mut dyn Write) -> Result<(), Error> {
    let text = read(&args.signal, "signal file")?;
    let name = args.signal.display().to_string();
    let facts: Facts = serde_json::from_str(&text).map_err(|e| {
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
        Error::Usage(format!("{name}:{}:{}: {message}", e.line(), e.column().max(1)))
    })?;
    facts.check().map_err(|e| Error::Usage(format!("{name}: {e}")))?;
    let rules = load_rules(args.rules.as_deref(), &args.data_dir.data_dir)?;
    let explanation = rules::explain(&rules, &facts, args.at.unwrap_or_else(chrono::Utc::now));
    if args.json {
        return print_json(out, &explanation);
    }
    write!(out, "{explanation}")?;
    Ok(())
}
