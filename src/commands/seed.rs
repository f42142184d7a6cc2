//! `safehaven seed`: choose the recipient PII is sealed to, seed the installation's warehouse (in a child process
//! for `demo`, so the serving process never holds plaintext PII).

use super::now;
use crate::cli::{PopulationArgs, RecipientArg, SeedArgs};
use crate::config::{self, Appliance};
use crate::error::Error;
use crate::privacy::keys::{self, NewIdentity};
use crate::privacy::masked::Masker;
use crate::synth::Params;
use crate::text::thousands;
use crate::warehouse::{self, SeedOptions, SeedReport};
use age::x25519::Recipient;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

pub fn run(args: SeedArgs, out: &mut dyn Write) -> Result<(), Error> {
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

pub(super) fn seed_options(population: &PopulationArgs, force: bool) -> SeedOptions {
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
pub(super) fn seed_in_child(
    data_dir: &Path,
    population: &PopulationArgs,
    recipient: &RecipientArg,
) -> Result<(), Error> {
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
