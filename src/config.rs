//! The only place environment variables and the appliance's config file are read.
//!
//! `DATA_DIR/appliance.toml` holds the installation's settings: the age recipient that PII is sealed to (public;
//! the identity never lives in the data dir) and the k of the k-anonymity guard.

// The one place that may (clippy.toml disallows it everywhere else).
#![allow(clippy::disallowed_methods)]

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const CONFIG_FILE: &str = "appliance.toml";

/// Log filter: `SAFEHAVEN_LOG`, else `RUST_LOG`, in `tracing` env-filter syntax.
pub fn log_filter() -> Option<String> {
    std::env::var("SAFEHAVEN_LOG").ok().or_else(|| std::env::var("RUST_LOG").ok())
}

/// The recipient from `SAFEHAVEN_RECIPIENT`, if set.
pub fn recipient_from_env() -> Option<String> {
    std::env::var("SAFEHAVEN_RECIPIENT").ok().filter(|r| !r.trim().is_empty())
}

/// Who is at the keyboard, for the audit log: the OS user.
pub fn operator() -> String {
    std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into())
}

/// Worker threads to use when none are given: the machine's available parallelism.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// The installation's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Appliance {
    /// The age recipient (`age1…`) that PII is sealed to.
    pub recipient: Option<String>,
    /// Minimum group size of the k-anonymity guard (default 11, at least 2).
    pub k: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {detail}: fix the file (keys: recipient, k) or remove it")]
    Read { path: PathBuf, detail: String },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

impl Appliance {
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(CONFIG_FILE)
    }

    /// Reads the data dir's config; a missing file is the default.
    pub fn load(data_dir: &Path) -> Result<Self, Error> {
        let path = Self::path(data_dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| Error::Read { path, detail: e.to_string() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(Error::Read { path, detail: e.to_string() }),
        }
    }

    /// Writes the config atomically.
    pub fn save(&self, data_dir: &Path) -> Result<(), Error> {
        let path = Self::path(data_dir);
        let text = format!(
            "# SafeHaven appliance settings.\n{}",
            toml::to_string_pretty(self).expect("plain settings serialise")
        );
        let tmp = data_dir.join(format!(".{CONFIG_FILE}.tmp-{}", std::process::id()));
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| Error::Write { path, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_round_trips_and_rejects_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Appliance::load(dir.path()).unwrap(), Appliance::default());
        let config = Appliance { recipient: Some("age1xyz".into()), k: Some(5) };
        config.save(dir.path()).unwrap();
        assert_eq!(Appliance::load(dir.path()).unwrap(), config);
        std::fs::write(Appliance::path(dir.path()), "kk = 3\n").unwrap();
        assert!(Appliance::load(dir.path()).is_err());
    }
}
