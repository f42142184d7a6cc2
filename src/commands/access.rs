//! Who may see what: `keygen`, `user add`, `people`, `reveal` (the one way from a masked ID to a person, audited
//! first) and `audit verify|show`.

use super::{now, open, print_json};
use crate::cli::{AuditShowArgs, DataDirArg, KeygenArgs, PeopleArgs, RevealArgs, UserAddArgs};
use crate::config;
use crate::error::Error;
use crate::privacy::audit::{AuditLog, Event};
use crate::privacy::keys::{self, NewIdentity};
use crate::privacy::roles::{Role, Users};
use crate::warehouse::{self, reveal};
use std::io::Write;
use std::path::Path;

pub fn keygen(args: KeygenArgs, out: &mut dyn Write) -> Result<(), Error> {
    let identity = NewIdentity::generate();
    identity.write(&args.out, &now())?;
    writeln!(out, "{}", identity.recipient())?;
    eprintln!("Wrote the identity to {} (mode 0600). Keep it off the data dir and back it up.", args.out.display());
    Ok(())
}

pub fn user_add(args: UserAddArgs, out: &mut dyn Write) -> Result<(), Error> {
    let data_dir = &args.data_dir.data_dir;
    open(data_dir)?;
    let token = add_user(data_dir, &args.name, args.role)?;
    writeln!(out, "{token}")?;
    eprintln!("Added {} as {}. The token above is shown once; only its hash is stored.", args.name, args.role);
    Ok(())
}

pub fn people(args: PeopleArgs, out: &mut dyn Write) -> Result<(), Error> {
    let people = open(&args.data_dir.data_dir)?.people(args.limit)?;
    if args.json {
        print_json(out, &people)?;
    } else {
        writeln!(out, "masked id     region  age     employment     credit         insurer")?;
        for p in &people {
            writeln!(
                out,
                "{:<14}{:<8}{:<8}{:<15}{:<15}{}",
                p.masked_id,
                p.region,
                p.age_band,
                p.employment,
                p.credit_group,
                if p.insurer_member { "member" } else { "-" }
            )?;
        }
    }
    Ok(())
}

pub fn reveal(args: RevealArgs, out: &mut dyn Write) -> Result<(), Error> {
    let reason = args.reason.trim();
    if reason.is_empty() {
        return Err(Error::Usage(
            "a reason is required: say why you need to see this person (it is written to the audit log)".into(),
        ));
    }
    let data_dir = &args.data_dir.data_dir;
    let identity = keys::read_identity(&args.identity)?;
    let warehouse = open(data_dir)?;
    let revealed = match reveal::reveal(&warehouse, &identity, &args.masked_id) {
        // Not a synthetic person: perhaps a survivor created through the API.
        Err(reveal::Error::UnknownId(id)) => match warehouse::service::Service::open_read_only(data_dir) {
            Ok(Some(service)) => reveal::reveal_api(&service, &identity, &args.masked_id)?,
            Ok(None) => return Err(reveal::Error::UnknownId(id).into()),
            Err(busy) => {
                return Err(Error::NotFound(format!(
                    "no customer or synthetic survivor has masked ID {id}; survivors created through the API cannot be checked now: {busy}"
                )));
            }
        },
        other => other?,
    };
    // The act is recorded before anything is shown; no PII goes into the log.
    let event = Event {
        actor: config::operator(),
        action: "reveal".into(),
        subject: revealed.masked_id.clone(),
        reason: reason.to_owned(),
    };
    AuditLog::new(data_dir).append(event, now())?;
    if args.json {
        print_json(out, &revealed)?;
    } else {
        writeln!(out, "masked id  {}", revealed.masked_id)?;
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        writeln!(out, "name       {}", show(&revealed.name))?;
        writeln!(out, "email      {}", show(&revealed.email))?;
        writeln!(out, "phone      {}", show(&revealed.phone))?;
        writeln!(out, "address    {}", show(&revealed.address))?;
        for n in revealed.narratives.iter().flatten() {
            writeln!(out, "incident {}: {}", n.incident_id, n.text)?;
        }
    }
    Ok(())
}

pub fn audit_verify(args: DataDirArg, out: &mut dyn Write) -> Result<(), Error> {
    let log = AuditLog::new(&args.data_dir);
    match log.verify()? {
        Ok(n) => {
            writeln!(out, "audit log intact: {n} entries ({})", log.path().display())?;
            Ok(())
        }
        Err(broken) => Err(Error::CheckFailed(format!(
            "audit log {} is broken at line {}: {}",
            log.path().display(),
            broken.line,
            broken.problem
        ))),
    }
}

pub fn audit_show(args: AuditShowArgs, out: &mut dyn Write) -> Result<(), Error> {
    let log = AuditLog::new(&args.data_dir.data_dir);
    if let Err(broken) = log.verify()? {
        eprintln!(
            "warning: the audit log is broken at line {} ({}); unreadable lines are not shown. Run `safehaven audit verify`.",
            broken.line, broken.problem
        );
    }
    for entry in log.entries()? {
        if args.json {
            writeln!(out, "{}", serde_json::to_string(&entry).map_err(std::io::Error::from)?)?;
        } else {
            writeln!(
                out,
                "{:>5}  {}  {:<12} {:<10} {:<14} {}",
                entry.seq, entry.time, entry.actor, entry.action, entry.subject, entry.reason
            )?;
        }
    }
    Ok(())
}

pub(super) fn add_user(data_dir: &Path, name: &str, role: Role) -> Result<String, Error> {
    let token = Users::new(data_dir).add(name, role, now())?;
    let event = Event {
        actor: config::operator(),
        action: "user.add".into(),
        subject: name.into(),
        reason: format!("role {role}"),
    };
    AuditLog::new(data_dir).append(event, now())?;
    Ok(token)
}
