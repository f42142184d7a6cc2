//! `safehaven`: parse the command line, set up logging, run, and map the outcome to an exit code.

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    // clap prints usage errors itself and exits with code 2; --help and --version exit with 0.
    let cli = safehaven::cli::Cli::parse();
    let serving = matches!(cli.command, safehaven::cli::Command::Serve(_) | safehaven::cli::Command::Demo(_));
    safehaven::telemetry::init(if serving { "info" } else { "warn" });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match safehaven::commands::run(cli, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`safehaven info | head -1`) is not a failure.
        Err(safehaven::error::Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = out.flush();
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
