//! `safehaven serve` and `safehaven demo`: the demo users, and the server on its listener.

use super::access::add_user;
use super::modeling::{self, MODEL_FILE, load_model};
use super::seed::seed_in_child;
use super::{guard, open};
use crate::cli::{DemoArgs, ListenArgs, ServeArgs};
use crate::config::Appliance;
use crate::error::Error;
use crate::privacy::masked::Masker;
use crate::privacy::roles::{Role, Users};
use crate::privacy::vault::Sealer;
use crate::privacy::{KGuard, keys};
use crate::server;
use crate::text::thousands;
use crate::warehouse::{self, Warehouse};
use std::io::Write;
use std::path::{Path, PathBuf};

/// File in the data dir where `demo` writes the demo users' tokens (mode 0600).
pub const DEMO_TOKENS_FILE: &str = "demo-tokens.txt";

pub fn run(args: ServeArgs, out: &mut dyn Write) -> Result<(), Error> {
    let data_dir = &args.data_dir.data_dir;
    let warehouse = open(data_dir)?;
    let guard = guard(data_dir, &args.guard)?;
    let llm = llm_endpoint(data_dir, &args.llm)?;
    serve(data_dir, warehouse, guard, &args.listen, llm, out)
}

/// The language model the analyst may use to reword its answers, checked at start: only a loopback endpoint.
pub(super) fn llm_endpoint(
    data_dir: &Path,
    args: &crate::cli::LlmArgs,
) -> Result<Option<crate::egress::LlmEndpoint>, Error> {
    Appliance::load(data_dir)?.llm_endpoint(args.llm_endpoint.as_deref()).map_err(Error::Usage)
}

pub fn demo(args: DemoArgs, out: &mut dyn Write) -> Result<(), Error> {
    let data_dir = &args.data_dir.data_dir;
    // A wrong privacy or language-model setting is refused before anything is seeded or trained.
    privacy_policy(data_dir)?;
    let llm = llm_endpoint(data_dir, &args.llm)?;
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
    serve(data_dir, warehouse, guard, &args.listen, llm, out)
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

/// The installation's differential-privacy policy (`[privacy]` in appliance.toml), checked: `None` when views
/// are protected by suppression alone.
fn privacy_policy(data_dir: &Path) -> Result<Option<crate::privacy::dp::Policy>, Error> {
    Ok(Appliance::load(data_dir)?.dp_policy()?)
}

pub(super) fn serve(
    data_dir: &Path,
    warehouse: Warehouse,
    guard: KGuard,
    listen: &ListenArgs,
    llm: Option<crate::egress::LlmEndpoint>,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let dp = privacy_policy(data_dir)?;
    // Hand-off's rules and webhooks are checked before anything listens: a wrong one is refused at start.
    let handoff = super::handoff::load(data_dir, &Masker::load_or_create(data_dir)?)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = server::bind(listen.bind, listen.port, listen.allow_remote).await?;
        let addr = listener.local_addr()?;
        // Held while serving: tells the CLI's drill commands that this process serves the data dir.
        let _serving = match warehouse::drill_log::lock_server(data_dir, &format!("http://{addr}/"))? {
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
        match dp {
            Some(p) => tracing::info!(%addr, k = guard.k(), epsilon_per_day = p.epsilon_per_day, epsilon_per_release = p.epsilon_per_release, "listening; aggregate views under differential privacy"),
            None => tracing::info!(%addr, k = guard.k(), "listening; aggregate views under suppression"),
        }
        let artifact = load_model(&data_dir.join(MODEL_FILE));
        let analytics = match &artifact {
            Ok(_) => server::Analytics::Loading,
            Err(e) => {
                server::Analytics::Unavailable(format!("no risk model for the dashboard: {e}; then restart the server"))
            }
        };
        let mut state = server::AppState::new(warehouse, service, guard, data_dir, masker, sealer, analytics);
        if let Some(policy) = dp {
            state = state.with_dp(policy);
        }
        if let Some(endpoint) = llm {
            tracing::info!(endpoint = endpoint.url(), "the analyst may have its answers reworded by a local language model");
            state = state.with_llm(endpoint);
        }
        if !handoff.webhooks.is_empty() {
            let names: Vec<&str> = handoff.webhooks.iter().map(|w| w.name.as_str()).collect();
            tracing::info!(webhooks = ?names, rules = %handoff.rules.file(), "hand-off webhooks configured");
        }
        state = state.with_handoff(handoff);
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
