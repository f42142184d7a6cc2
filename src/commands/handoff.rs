//! `safehaven handoff …`: the Salesforce files of the outbox (`export`), the CRM's outcomes read back
//! (`import-outcomes`), webhook destinations added with their secret sealed (`webhook add`); and the server's
//! hand-off settings, loaded and checked at start (`load`). While a server holds the service database, `export`
//! and `import-outcomes` are handed to it through the data dir's inbox.

use crate::cli::{HandoffCommand, HandoffExportArgs, HandoffOutcomesArgs, WebhookAddArgs, WebhookCommand};
use crate::config::{Appliance, WebhookSettings};
use crate::error::Error;
use crate::privacy::masked::Masker;
use crate::server::Handoff;
use crate::server::handoff::{apply_outcomes, outcomes};
use crate::warehouse::drill_log::{self, Command};
use crate::warehouse::service::Service;
use std::io::Write;
use std::path::Path;

/// What the installation key is stretched into for the config file's sealed secrets.
const SECRETS_PURPOSE: &str = "handoff-secrets";

pub fn run(command: HandoffCommand, out: &mut dyn Write) -> Result<(), Error> {
    match command {
        HandoffCommand::Export(args) => export(args, out),
        HandoffCommand::ImportOutcomes(args) => import_outcomes(args, out),
        HandoffCommand::Webhook(WebhookCommand::Add(args)) => webhook_add(args, out),
    }
}

/// The server's hand-off settings, checked before it listens: the routing rules, the webhook destinations (URL
/// on an allowed network, secret sealed and opened) and the field map. Any error is the operator's to fix (exit 2).
pub fn load(data_dir: &Path, masker: &Masker) -> Result<Handoff, Error> {
    let appliance = Appliance::load(data_dir)?;
    let rules = super::rules::load_rules(None, data_dir)?;
    let source = rules.file().to_owned();
    let webhooks = appliance.webhooks(&masker.derived_key(SECRETS_PURPOSE)).map_err(Error::Usage)?;
    for name in rules.webhooks() {
        if !webhooks.iter().any(|w| w.name == name) {
            return Err(Error::Usage(format!(
                "{source} sends to webhook `{name}`, which appliance.toml does not configure: add it with `safehaven handoff webhook add --name {name} --url …`"
            )));
        }
    }
    for webhook in &webhooks {
        if let Some(unknown) = webhook.queues.iter().flatten().find(|q| rules.queue(q).is_none()) {
            let known: Vec<&str> = rules.queues().iter().map(|q| q.name.as_str()).collect();
            return Err(Error::Usage(format!(
                "webhook `{}` takes queue `{unknown}`, which {source} does not have; its queues are {}",
                webhook.name,
                known.join(", ")
            )));
        }
    }
    let field_map = appliance.field_map().map_err(Error::Usage)?;
    Ok(Handoff::new(rules, webhooks, field_map))
}

/// Hand-off for the CLI's own use: rules and field map, no webhooks (the CLI never sends).
fn offline(data_dir: &Path) -> Result<Handoff, Error> {
    let rules = super::rules::load_rules(None, data_dir)?;
    let field_map = Appliance::load(data_dir)?.field_map().map_err(Error::Usage)?;
    Ok(Handoff::new(rules, Vec::new(), field_map))
}

/// Hands a command to the server holding the data dir, if one does; its reply's message, or the error.
fn via_server(data_dir: &Path, command: &Command) -> Result<Option<serde_json::Value>, Error> {
    let Some(url) = drill_log::running_server(data_dir)? else { return Ok(None) };
    let reply = super::send_to_server(data_dir, command, &url)?;
    serde_json::from_str(&reply.message).map(Some).map_err(|e| Error::CheckFailed(format!("the server's answer: {e}")))
}

fn api(e: crate::server::ApiError) -> Error {
    Error::Usage(e.message())
}

fn export(args: HandoffExportArgs, out: &mut dyn Write) -> Result<(), Error> {
    let data_dir = &args.data_dir.data_dir;
    let handoff = offline(data_dir)?;
    let actor = crate::config::operator();
    let dir = std::path::absolute(&args.out).map_err(|e| Error::Usage(format!("--out {}: {e}", args.out.display())))?;
    let command =
        Command::HandoffExport { out: dir.clone(), since: args.since, until: args.until, actor: actor.clone() };
    let manifest = match via_server(data_dir, &command)? {
        Some(manifest) => manifest,
        None => {
            let audit = crate::privacy::audit::AuditLog::new(data_dir);
            let service = Service::open(data_dir)?;
            let manifest =
                outcomes::export_to(&handoff, &service, &audit, &dir, args.since, args.until, &actor).map_err(api)?;
            serde_json::to_value(manifest).map_err(std::io::Error::from)?
        }
    };
    if args.json {
        return super::print_json(out, &manifest);
    }
    writeln!(
        out,
        "Wrote {} (events {}..={}):",
        dir.display(),
        manifest["cursor"]["from"].as_i64().unwrap_or(0) + 1,
        manifest["cursor"]["to"]
    )?;
    for file in manifest["files"].as_array().into_iter().flatten() {
        writeln!(
            out,
            "  {:<10} {:>6} rows  sha256 {}",
            file["file"].as_str().unwrap_or("?"),
            file["rows"],
            file["sha256"].as_str().unwrap_or("?")
        )?;
    }
    writeln!(out, "  manifest.json: the Bulk API 2.0 job for each file (upsert on its External ID)")?;
    writeln!(out, "Next time: safehaven handoff export --out DIR --since {}", manifest["nextSince"])?;
    Ok(())
}

fn import_outcomes(args: HandoffOutcomesArgs, out: &mut dyn Write) -> Result<(), Error> {
    let data_dir = &args.data_dir.data_dir;
    let file = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).map_err(|e| Error::Usage(format!("cannot read {file}: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::Usage(format!("{file} is not UTF-8: export it from Salesforce as UTF-8 CSV")))?;
    let actor = crate::config::operator();
    let command = Command::HandoffOutcomes { file: file.clone(), text: text.clone(), actor: actor.clone() };
    let report = match via_server(data_dir, &command)? {
        Some(report) => report,
        None => {
            let handoff = offline(data_dir)?;
            let audit = crate::privacy::audit::AuditLog::new(data_dir);
            let service = Service::open(data_dir)?;
            let report = service
                .transaction(|service| apply_outcomes(&handoff, service, &audit, &file, &text, &actor))
                .map_err(api)?;
            serde_json::to_value(report).map_err(std::io::Error::from)?
        }
    };
    if args.json {
        super::print_json(out, &report)?;
    } else {
        writeln!(
            out,
            "{file}: {} rows; {} handed off, {} closed, {} unchanged",
            report["rows"], report["handedOff"], report["closed"], report["unchanged"]
        )?;
        for (what, label) in [("unknownSignals", "unknown signal ID (nothing created)"), ("rejected", "not applied")] {
            for entry in report[what].as_array().into_iter().flatten() {
                writeln!(out, "  {file}:{}: {label}: {}", entry[0], entry[1].as_str().unwrap_or("?"))?;
            }
        }
    }
    let problems =
        report["unknownSignals"].as_array().map_or(0, Vec::len) + report["rejected"].as_array().map_or(0, Vec::len);
    if problems > 0 {
        return Err(Error::Usage(format!("{file}: {problems} rows were not applied (listed above); the others were")));
    }
    Ok(())
}

fn webhook_add(args: WebhookAddArgs, out: &mut dyn Write) -> Result<(), Error> {
    use crate::handoff::webhook::Secret;
    let data_dir = &args.data_dir.data_dir;
    let mut appliance = Appliance::load(data_dir)?;
    let secret = if args.secret_stdin {
        let mut text = String::new();
        std::io::stdin().read_line(&mut text)?;
        Secret::parse(text.trim()).map_err(|e| Error::Usage(format!("the secret on stdin: {e}")))?
    } else {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        Secret::from_bytes(bytes)
    };
    let masker = Masker::load_or_create(data_dir)?;
    let key = masker.derived_key(SECRETS_PURPOSE);
    let settings = WebhookSettings {
        name: args.name.clone(),
        url: args.url.clone(),
        secret: crate::privacy::vault::seal_setting(&key, &secret.expose())?,
        queues: args.queues.clone(),
        retry_seconds: None,
        timeout_seconds: None,
    };
    let mut handoff = appliance.handoff.clone().unwrap_or_default();
    if handoff.webhooks.iter().any(|w| w.name == args.name) {
        return Err(Error::Usage(format!(
            "webhook `{}` exists already in appliance.toml: remove it there first",
            args.name
        )));
    }
    handoff.webhooks.push(settings);
    appliance.handoff = Some(handoff);
    // Checked as the server will check it, before anything is written.
    appliance.webhooks(&key).map_err(Error::Usage)?;
    appliance.save(data_dir)?;
    eprintln!(
        "Added webhook `{}` → {} (secret sealed in appliance.toml). Give its receiver this signing secret; it is not shown again:",
        args.name, args.url
    );
    if !args.secret_stdin {
        writeln!(out, "{}", secret.expose())?;
    }
    Ok(())
}
