//! What each command does: thin glue between the CLI and the modules.

use crate::text::thousands;
use crate::cli::{
    AuditCommand, BenchCommand, BenchTrainArgs, Cli, Command, GuardArgs, ListenArgs, ModelCommand, PopulationArgs,
    RecipientArg, UserCommand,
};
use crate::config::{self, Appliance};
use crate::error::Error;
use crate::privacy::audit::{AuditLog, Event};
use crate::privacy::keys::{self, NewIdentity};
use crate::privacy::masked::{Domain, Masker};
use crate::privacy::roles::{Role, Users};
use crate::privacy::vault::Sealer;
use crate::privacy::{KGuard, kanon};
use crate::synth::Params;
use crate::warehouse::{self, SeedOptions, SeedReport, Warehouse, reveal};
use crate::{dv, server};
use age::x25519::Recipient;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

pub mod bench;
mod chaos;
mod drill;
mod modeling;

pub use modeling::{MODEL_FILE, load_model};

/// File in the data dir where `demo` writes the demo users' tokens (mode 0600).
pub const DEMO_TOKENS_FILE: &str = "demo-tokens.txt";

/// Runs a parsed command, writing results to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<(), Error> {
    match cli.command {
        Command::Seed(args) => {
            let data_dir = &args.data_dir.data_dir;
            let report = seed(data_dir, &args.population, &args.recipient, args.force)?;
            writeln!(
                out,
                "seeded {} ({} rows) in {:.1} s",
                report.path.display(),
                thousands(report.rows()),
                report.elapsed.as_secs_f64()
            )?;
            Ok(())
        }
        Command::Info(args) => {
            let warehouse = open(&args.data_dir.data_dir)?;
            let info = warehouse.info()?;
            if args.json {
                serde_json::to_writer_pretty(&mut *out, &info).map_err(std::io::Error::from)?;
                writeln!(out)?;
            } else {
                print_info(out, warehouse.path(), &info)?;
            }
            Ok(())
        }
        Command::Serve(args) => {
            let data_dir = &args.data_dir.data_dir;
            let warehouse = open(data_dir)?;
            let guard = guard(data_dir, &args.guard)?;
            serve(data_dir, warehouse, guard, &args.listen, out)
        }
        Command::Demo(args) => {
            let data_dir = &args.data_dir.data_dir;
            let path = warehouse::path_in(data_dir);
            if !path.exists() {
                eprintln!(
                    "No warehouse in {}: seeding {} synthetic customers (seed {}); later runs reuse it.",
                    data_dir.display(),
                    thousands(args.population.customers),
                    args.population.seed
                );
                seed_in_child(data_dir, &args.population, &args.recipient)?;
            }
            let warehouse = Warehouse::open_read_only(&path)?;
            let generation = warehouse.generation()?;
            if generation.seed != args.population.seed || generation.customers != args.population.customers {
                eprintln!(
                    "Using the existing warehouse in {} (seed {}, {} customers); run `safehaven seed --force` to regenerate it.",
                    data_dir.display(),
                    generation.seed,
                    thousands(generation.customers)
                );
            }
            let guard = guard(data_dir, &args.guard)?;
            drop(warehouse);
            modeling::ensure_scored(data_dir, &guard, out)?;
            let warehouse = Warehouse::open_read_only(&path)?;
            match demo_users(data_dir)? {
                Some(tokens) => writeln!(out, "Sign in with a token from {} (one user per role).", tokens.display())?,
                None => writeln!(
                    out,
                    "The demo users' tokens file is gone and tokens cannot be shown again: add a user with `safehaven user add NAME --role ROLE`."
                )?,
            }
            serve(data_dir, warehouse, guard, &args.listen, out)
        }
        Command::Export(args) => {
            let table = warehouse::export::exportable_table(&args.table)?;
            let warehouse = open(&args.data_dir.data_dir)?;
            let rows = warehouse::export(&warehouse, table, args.format, &args.out)?;
            writeln!(out, "wrote {} rows of {} to {}", thousands(rows), table, args.out.display())?;
            Ok(())
        }
        Command::Keygen(args) => {
            let identity = NewIdentity::generate();
            identity.write(&args.out, &now())?;
            writeln!(out, "{}", identity.recipient())?;
            eprintln!(
                "Wrote the identity to {} (mode 0600). Keep it off the data dir and back it up.",
                args.out.display()
            );
            Ok(())
        }
        Command::User(UserCommand::Add(args)) => {
            let data_dir = &args.data_dir.data_dir;
            open(data_dir)?;
            let token = add_user(data_dir, &args.name, args.role)?;
            writeln!(out, "{token}")?;
            eprintln!("Added {} as {}. The token above is shown once; only its hash is stored.", args.name, args.role);
            Ok(())
        }
        Command::People(args) => {
            let people = open(&args.data_dir.data_dir)?.people(args.limit)?;
            if args.json {
                serde_json::to_writer_pretty(&mut *out, &people).map_err(std::io::Error::from)?;
                writeln!(out)?;
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
        Command::Reveal(args) => {
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
                serde_json::to_writer_pretty(&mut *out, &revealed).map_err(std::io::Error::from)?;
                writeln!(out)?;
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
        Command::Assess(args) => assess(args, out),
        Command::Audit(AuditCommand::Verify(args)) => {
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
        Command::Audit(AuditCommand::Show(args)) => {
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
        Command::Chaos(command) => chaos::run(command, out),
        Command::Drill(command) => drill::run(command, out),
        Command::Train(args) => modeling::run_train(args, out),
        Command::Model(ModelCommand::Show(args)) => modeling::run_show(args, out),
        Command::Model(ModelCommand::ExportTraining(args)) => modeling::run_export_training(args, out),
        Command::Model(ModelCommand::Drift(args)) => modeling::run_drift(args, out),
        Command::Score(args) => modeling::run_score(args, out),
        Command::Whatif(args) => modeling::run_whatif(args, out),
        Command::Bench(BenchCommand::Train(args)) => bench_model(bench::ModelBench::Train, args, out),
        Command::Bench(BenchCommand::Score(args)) => bench_model(bench::ModelBench::Score, args, out),
        Command::Bench(BenchCommand::Whatif(args)) => bench_model(bench::ModelBench::Whatif, args, out),
        Command::Bench(BenchCommand::Seed(args)) => {
            let options = seed_options(&args.population, true);
            let result = bench::seed(options.params, options.threads)?;
            print_bench(out, args.json, &result, bench::SeedBench::print)
        }
    }
}

fn assess(args: crate::cli::AssessArgs, out: &mut dyn Write) -> Result<(), Error> {
    use rayon::prelude::*;
    let warehouse = open(&args.data_dir.data_dir)?;
    let as_of = match args.as_of {
        Some(date) => date,
        None => warehouse
            .generation()?
            .observation_date
            .parse()
            .map_err(|_| Error::Usage("warehouse has no observation date: pass --as-of".into()))?,
    };
    let data_dir = &args.data_dir.data_dir;
    let started = std::time::Instant::now();
    // Survivors created through the API live in the service database, which a running server holds.
    let service = warehouse::service::Service::open_read_only(data_dir);
    // Synthetic survivors are assessed as of the warehouse's observation date, API survivors as of today
    // (as the server does), unless --as-of says otherwise.
    let api_as_of = args.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let mut api_ids = std::collections::HashSet::new();
    let cases = match &args.user_id {
        Some(user) => {
            let external =
                Masker::load_or_create(data_dir)?.mask(Domain::ExternalUser, user.trim().as_bytes(), 0).to_string();
            let api_case = match &service {
                Ok(Some(service)) => service.dv_case(&external)?,
                _ => None,
            };
            match api_case {
                Some(case) => {
                    api_ids.insert(case.0.clone());
                    vec![case]
                }
                None => {
                    let synthetic = user.parse::<crate::privacy::masked::MaskedId>().ok().map(|m| m.to_string());
                    let cases = match &synthetic {
                        Some(id) => warehouse.dv_cases(Some(id))?,
                        None => Vec::new(),
                    };
                    if cases.is_empty() {
                        if let Err(busy) = service {
                            return Err(Error::Usage(format!(
                                "{user} is not a synthetic survivor, and API survivors cannot be read now: {busy}; or use POST /api/v1/risk-assessment/create"
                            )));
                        }
                        return Err(Error::NotFound(format!("no survivor with userId {user}")));
                    }
                    cases
                }
            }
        }
        None => {
            let mut cases = warehouse.dv_cases(None)?;
            match service {
                Ok(Some(service)) => {
                    let api = service.dv_cases()?;
                    api_ids.extend(api.iter().map(|c| c.0.clone()));
                    cases.extend(api);
                }
                Ok(None) => {}
                Err(busy) => eprintln!("API survivors are not included: {busy}"),
            }
            cases
        }
    };
    let assessed: Vec<(String, dv::Assessment)> = cases
        .par_iter()
        .map(|(id, profile, incidents)| {
            let day = if api_ids.contains(id) { api_as_of } else { as_of };
            (id.clone(), dv::assess(profile, incidents, day))
        })
        .collect();
    let elapsed = started.elapsed();
    if args.json {
        let docs: Vec<serde_json::Value> = assessed
            .iter()
            .map(|(id, a)| {
                let guidance = dv::guidance::guidance(a, dv::guidance::Locale::default());
                serde_json::json!({ "maskedId": id, "level": a.level, "assessment": a, "guidance": guidance })
            })
            .collect();
        let doc = if args.all { serde_json::Value::Array(docs) } else { docs.into_iter().next().unwrap_or_default() };
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::from)?;
        writeln!(out)?;
        return Ok(());
    }
    if !args.all {
        let (id, a) = &assessed[0];
        return print_assessment(out, id, a);
    }
    // Counts by level leave through the k-anonymity guard like every other aggregate.
    let levels = [dv::Level::Critical, dv::Level::High, dv::Level::Moderate, dv::Level::Low];
    let counts = KGuard::default().counts(
        levels.iter().map(|l| (l.name(), assessed.iter().filter(|(_, a)| a.level == *l).count() as u64)).collect(),
    );
    let shown: Vec<String> = counts
        .cells
        .iter()
        .map(|c| format!("{} {}", c.label, c.count.map_or_else(|| "suppressed".to_owned(), thousands)))
        .collect();
    writeln!(
        out,
        "assessed {} survivors as of {as_of} in {} ms: {}",
        thousands(assessed.len() as u64),
        elapsed.as_millis(),
        shown.join(", ")
    )?;
    let mut top: Vec<&(String, dv::Assessment)> = assessed.iter().collect();
    top.sort_by(|a, b| b.1.scores.overall.total_cmp(&a.1.scores.overall).then(a.0.cmp(&b.0)));
    writeln!(out, "\nhighest scores:")?;
    for (id, a) in top.into_iter().take(10) {
        let patterns: Vec<&str> = a.patterns.iter().map(|p| p.pattern.name()).collect();
        writeln!(out, "  {id}  {:>6.2}  {:<9} {}", a.scores.overall, a.level.name(), patterns.join(", "))?;
    }
    Ok(())
}

fn print_assessment(out: &mut dyn Write, id: &str, a: &dv::Assessment) -> Result<(), Error> {
    let s = &a.scores;
    writeln!(out, "survivor     {id} (as of {})", a.as_of)?;
    writeln!(out, "level        {} (overall {:.2})", a.level.name(), s.overall)?;
    writeln!(
        out,
        "components   lethality {}, frequency {}, escalation {}, isolation {}",
        s.lethality, s.frequency, s.escalation, s.isolation
    )?;
    let st = &a.statistics;
    writeln!(
        out,
        "incidents    {} in all, {} in 30 days, {} in 90 days, last {} days ago",
        st.total_incidents,
        st.incidents_last_30_days,
        st.incidents_last_90_days,
        st.days_since_last_incident.map_or_else(|| "-".into(), |d| d.to_string())
    )?;
    writeln!(out, "confidence   {} / 100 (tables {})", a.confidence, a.tables_version)?;
    for p in &a.patterns {
        let evidence: Vec<String> = p.evidence.iter().map(|e| e.to_string()).collect();
        writeln!(out, "pattern      {}: {} (incidents {})", p.pattern.name(), p.rule, evidence.join(", "))?;
    }
    let g = dv::guidance::guidance(a, dv::guidance::Locale::default());
    writeln!(out, "\n{}\n", g.summary)?;
    for (n, r) in g.recommendations.iter().enumerate() {
        writeln!(out, "{}. {r}", n + 1)?;
    }
    writeln!(out)?;
    for r in &g.crisis_resources {
        writeln!(out, "{}: {} ({}), {}", r.name, r.contact, r.hours, r.description)?;
    }
    Ok(())
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn open(data_dir: &Path) -> Result<Warehouse, Error> {
    Ok(Warehouse::open_read_only(&warehouse::path_in(data_dir))?)
}

fn seed_options(population: &PopulationArgs, force: bool) -> SeedOptions {
    SeedOptions {
        params: Params { customers: population.customers, seed: population.seed },
        threads: population.threads.map_or_else(config::default_threads, |t| t as usize),
        force,
        progress: std::io::stderr().is_terminal(),
    }
}

/// The identity file `seed` creates when no recipient is given: next to the data dir, never inside it.
pub fn default_identity_path(data_dir: &Path) -> PathBuf {
    let name = data_dir.file_name().map_or_else(|| "safehaven-data".into(), |n| n.to_string_lossy().into_owned());
    let parent = data_dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.join(format!("{name}.identity.txt"))
}

/// Seeds with PII sealed to the chosen recipient: `--recipient`, else `SAFEHAVEN_RECIPIENT`, else the
/// installation's, else a new identity written next to the data dir.
fn seed(
    data_dir: &Path,
    population: &PopulationArgs,
    recipient: &RecipientArg,
    force: bool,
) -> Result<SeedReport, Error> {
    let options = seed_options(population, force);
    let path = warehouse::path_in(data_dir);
    if path.exists() && !force {
        return Err(warehouse::Error::Exists { path }.into());
    }
    let explicit = recipient.recipient.clone().or_else(config::recipient_from_env);
    let explicit = explicit.as_deref().map(keys::parse_recipient).transpose()?;
    std::fs::create_dir_all(data_dir).map_err(|source| Error::DataDir { path: data_dir.to_owned(), source })?;
    let mut appliance = Appliance::load(data_dir)?;
    let chosen = match explicit {
        Some(r) => Some(r),
        None => appliance.recipient.as_deref().map(keys::parse_recipient).transpose()?,
    };
    let recipient = match chosen {
        Some(r) => r,
        None => {
            let identity_path = default_identity_path(data_dir);
            if identity_path.exists() {
                let identity = keys::read_identity(&identity_path)?;
                eprintln!("Sealing PII to the identity in {}.", identity_path.display());
                identity.to_public()
            } else {
                let identity = NewIdentity::generate();
                identity.write(&identity_path, &now())?;
                eprintln!(
                    "Generated an age identity at {} (mode 0600): it is the only key that can reveal PII. Keep it safe, away from the data dir.",
                    identity_path.display()
                );
                identity.recipient()
            }
        }
    };
    if data_dir.join(warehouse::service::FILE_NAME).exists() {
        eprintln!(
            "Note: the service data in {} (survivors created through the API, stored assessments and alerts) is kept as it is; assessments and alerts of synthetic survivors refer to the previous population.",
            data_dir.display()
        );
    }
    let report = seed_installation(data_dir, &options, &recipient)?;
    appliance.recipient = Some(recipient.to_string());
    appliance.save(data_dir)?;
    Ok(report)
}

/// Seeds `data_dir` with PII sealed to `recipient` and person IDs masked with the installation's key
/// (created on first use).
pub fn seed_installation(data_dir: &Path, options: &SeedOptions, recipient: &Recipient) -> Result<SeedReport, Error> {
    let path = warehouse::path_in(data_dir);
    if path.exists() && !options.force {
        return Err(warehouse::Error::Exists { path }.into());
    }
    std::fs::create_dir_all(data_dir).map_err(|source| Error::DataDir { path: data_dir.to_owned(), source })?;
    let masker = Masker::load_or_create(data_dir)?;
    Ok(warehouse::seed_sealed(data_dir, options, recipient, &masker)?)
}

/// Seeds in a child process, so that the serving process never holds the generated population's plaintext PII,
/// even freed.
fn seed_in_child(data_dir: &Path, population: &PopulationArgs, recipient: &RecipientArg) -> Result<(), Error> {
    use std::os::fd::AsFd;
    let mut command = std::process::Command::new(std::env::current_exe()?);
    command.arg("seed").arg("--data-dir").arg(data_dir).args([
        "--customers",
        &population.customers.to_string(),
        "--seed",
        &population.seed.to_string(),
    ]);
    if let Some(threads) = population.threads {
        command.args(["--threads", &threads.to_string()]);
    }
    if let Some(r) = &recipient.recipient {
        command.args(["--recipient", r]);
    }
    // The child's report goes to our stderr: stdout stays for the URL.
    let status = command.stdout(std::io::stderr().as_fd().try_clone_to_owned()?).status()?;
    match status.code() {
        Some(0) => Ok(()),
        code => Err(Error::Child { what: "seeding", code: code.unwrap_or(1).clamp(1, 255) as u8 }),
    }
}

/// The guard for serving: `--k`, else the config's k, else 11.
fn guard(data_dir: &Path, args: &GuardArgs) -> Result<KGuard, Error> {
    let k = args.k.or(Appliance::load(data_dir)?.k).unwrap_or(kanon::DEFAULT_K);
    Ok(KGuard::new(k)?)
}

fn add_user(data_dir: &Path, name: &str, role: Role) -> Result<String, Error> {
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

/// Creates one user per role on the first demo and writes their tokens to a 0600 file; returns its path, or
/// `None` when the demo users exist but their tokens file is gone (tokens are shown once and cannot be recovered).
fn demo_users(data_dir: &Path) -> Result<Option<PathBuf>, Error> {
    let path = data_dir.join(DEMO_TOKENS_FILE);
    let existing = Users::new(data_dir).list()?;
    if path.exists() && !existing.is_empty() {
        return Ok(Some(path));
    }
    if Role::ALL.iter().all(|role| existing.iter().any(|u| u.name == format!("demo-{role}"))) {
        return Ok(None);
    }
    let mut text =
        String::from("# Demo users: role, user name, bearer token. Paste a token into the dashboard's sign-in.\n");
    for role in Role::ALL {
        let name = format!("demo-{role}");
        if existing.iter().any(|u| u.name == name) {
            continue;
        }
        let token = add_user(data_dir, &name, role)?;
        text.push_str(&format!("{role}\t{name}\t{token}\n"));
    }
    crate::privacy::write_private(&path, text.as_bytes())
        .map_err(|source| Error::DataDir { path: path.clone(), source })?;
    Ok(Some(path))
}

fn serve(
    data_dir: &Path,
    warehouse: Warehouse,
    guard: KGuard,
    listen: &ListenArgs,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = server::bind(listen.bind, listen.port, listen.allow_remote).await?;
        let addr = listener.local_addr()?;
        // Held while serving: tells the CLI's drill commands that this process serves the data dir.
        let _serving = match warehouse::drills::lock_server(data_dir, &format!("http://{addr}/"))? {
            Ok(lock) => lock,
            Err(url) => {
                return Err(Error::Usage(format!(
                    "{} is in use by another SafeHaven process (a server at {url}): stop it first, or use another --data-dir",
                    data_dir.display()
                )));
            }
        };
        let service = warehouse::service::Service::open(data_dir)?;
        let masker = Masker::load_or_create(data_dir)?;
        let sealer = match Appliance::load(data_dir)?.recipient {
            Some(r) => Some(Sealer::new(keys::parse_recipient(&r)?)),
            None => None,
        };
        tracing::info!(%addr, k = guard.k(), "listening");
        let artifact = load_model(&data_dir.join(MODEL_FILE));
        let analytics = match &artifact {
            Ok(_) => server::Analytics::Loading,
            Err(e) => {
                server::Analytics::Unavailable(format!("no risk model for the dashboard: {e}; then restart the server"))
            }
        };
        let state = server::AppState::new(warehouse, service, guard, data_dir, masker, sealer, analytics);
        if let Ok(artifact) = artifact {
            state.load_analytics(artifact);
        }
        // The URL is printed only once everything the server needs is open.
        writeln!(out, "SafeHaven is serving http://{addr}/ (Ctrl-C to stop)")?;
        out.flush()?;
        server::serve(listener, state).await?;
        Ok::<(), Error>(())
    })
}

fn print_info(out: &mut dyn Write, path: &Path, info: &warehouse::Info) -> std::io::Result<()> {
    let g = &info.generation;
    writeln!(out, "warehouse    {}", path.display())?;
    writeln!(
        out,
        "generated    seed {}, {} customers, {} survivors, observed {} (generator v{}, schema v{})",
        g.seed,
        thousands(g.customers),
        thousands(g.survivors),
        g.observation_date,
        g.generator_version,
        g.schema_version
    )?;
    writeln!(out, "fingerprint  {}", info.fingerprint)?;
    writeln!(out)?;
    writeln!(out, "{:<22}{:>14}", "table", "rows")?;
    for t in &info.tables {
        writeln!(out, "{:<22}{:>14}", t.name, thousands(t.rows))?;
    }
    Ok(())
}

fn bench_model(which: bench::ModelBench, args: BenchTrainArgs, out: &mut dyn Write) -> Result<(), Error> {
    let result = bench::model(which, args.rows, args.seed, args.data_dir.as_deref())?;
    print_bench(out, args.json, &result, bench::ModelBenchResult::print)
}

/// Prints a benchmark result as JSON or as text.
fn print_bench<T: serde::Serialize>(
    out: &mut dyn Write,
    json: bool,
    result: &T,
    print: fn(&T, &mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    if json {
        serde_json::to_writer_pretty(&mut *out, result).map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        print(result, out)?;
    }
    Ok(())
}
