//! What each command does: `run` dispatches, and each command's code lives in the file named for it.

use crate::cli::{AuditCommand, Cli, Command, GuardArgs, ModelCommand, UserCommand};
use crate::config::Appliance;
use crate::error::Error;
use crate::privacy::{KGuard, kanon};
use std::io::Write;
use std::path::Path;

mod access;
mod analyst;
pub mod bench;
mod chaos;
mod drill;
mod dv;
pub mod handoff;
mod modeling;
pub mod rules;
mod seed;
mod serve;
mod warehouse;

pub use modeling::{MODEL_FILE, load_model};
pub use seed::{default_identity_path, seed_installation};
pub use serve::DEMO_TOKENS_FILE;

/// Runs a parsed command, writing results to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<(), Error> {
    match cli.command {
        Command::Demo(args) => serve::demo(args, out),
        Command::Seed(args) => seed::run(args, out),
        Command::Info(args) => warehouse::info(args, out),
        Command::Serve(args) => serve::run(args, out),
        Command::Export(args) => warehouse::export(args, out),
        Command::Keygen(args) => access::keygen(args, out),
        Command::User(UserCommand::Add(args)) => access::user_add(args, out),
        Command::People(args) => access::people(args, out),
        Command::Reveal(args) => access::reveal(args, out),
        Command::Assess(args) => dv::assess(args, out),
        Command::Audit(AuditCommand::Verify(args)) => access::audit_verify(args, out),
        Command::Audit(AuditCommand::Show(args)) => access::audit_show(args, out),
        Command::Ask(args) => analyst::ask(args, out),
        Command::Brief(args) => analyst::brief(args, out),
        Command::Chaos(command) => chaos::run(command, out),
        Command::Drill(command) => drill::run(command, out),
        Command::Train(args) => modeling::run_train(args, out),
        Command::Model(ModelCommand::Show(args)) => modeling::run_show(args, out),
        Command::Model(ModelCommand::ExportTraining(args)) => modeling::run_export_training(args, out),
        Command::Model(ModelCommand::Drift(args)) => modeling::run_drift(args, out),
        Command::Score(args) => modeling::run_score(args, out),
        Command::Whatif(args) => modeling::run_whatif(args, out),
        Command::Handoff(command) => handoff::run(command, out),
        Command::Bench(command) => bench::run(command, out),
        Command::Rules(command) => rules::run(command, out),
    }
}

/// Writes `value` as pretty JSON and a newline: what every `--json` prints (the same serde type the API answers
/// with, where there is one).
fn print_json(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<(), Error> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

/// The k-anonymity guard for serving and for what the CLI shows: `--k`, else the config's k, else 11.
fn guard(data_dir: &Path, args: &GuardArgs) -> Result<KGuard, Error> {
    let k = args.k.or(Appliance::load(data_dir)?.k).unwrap_or(kanon::DEFAULT_K);
    Ok(KGuard::new(k)?)
}

/// A definition (`what`: scenario, drill) by preset name, or from a file by path; errors say which presets
/// there are and where a file is wrong.
fn load_definition<T>(
    name: &str,
    what: &str,
    presets: &[(&str, &str)],
    preset: fn(&str) -> Option<Result<T, crate::chaos::ParseError>>,
    parse: fn(&str, &str) -> Result<T, crate::chaos::ParseError>,
) -> Result<T, Error> {
    if let Some(parsed) = preset(name) {
        return parsed.map_err(|e| Error::Usage(e.to_string()));
    }
    let path = std::path::Path::new(name);
    let looks_like_a_file = name.ends_with(".toml") || name.contains('/');
    if looks_like_a_file && !path.is_file() {
        return Err(Error::Usage(format!("cannot read {what} file {name}: no such file")));
    }
    if !path.is_file() {
        let names: Vec<&str> = presets.iter().map(|(n, _)| *n).collect();
        return Err(Error::Usage(format!(
            "no {what} `{name}`: use a preset ({}) or the path of a .toml {what} file",
            names.join(", ")
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::Usage(format!("cannot read {name}: {e}")))?;
    parse(name, &text).map_err(|e| Error::Usage(e.to_string()))
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn open(data_dir: &Path) -> Result<crate::warehouse::Warehouse, Error> {
    Ok(crate::warehouse::Warehouse::open_read_only(&crate::warehouse::path_in(data_dir))?)
}

/// How long the CLI waits for the serving process to answer a command from the inbox (a drill's start builds
/// its timeline first).
const REPLY_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Hands a command (a drill's, or hand-off's export and outcomes) to the server at `url` through the data dir's
/// inbox and waits for its reply; a refusal is the user's to fix.
fn send_to_server(
    data_dir: &Path,
    command: &crate::warehouse::drill_log::Command,
    url: &str,
) -> Result<crate::warehouse::drill_log::Reply, Error> {
    let reply = crate::warehouse::drill_log::send(data_dir, command, REPLY_WAIT)?.ok_or_else(|| {
        Error::CheckFailed(format!(
            "the server at {url} did not answer within {} s: is it still starting? Try again, or check its log",
            REPLY_WAIT.as_secs()
        ))
    })?;
    if reply.ok { Ok(reply) } else { Err(Error::Usage(reply.message)) }
}
