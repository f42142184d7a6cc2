//! Logging: `tracing` to stderr (results go to stdout). Never log PII: log masked IDs, counts and causes.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Installs the subscriber with `default` as the filter unless the environment sets one.
pub fn init(default: &str) {
    let filter =
        crate::config::log_filter().and_then(|f| EnvFilter::try_new(f).ok()).unwrap_or_else(|| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}
