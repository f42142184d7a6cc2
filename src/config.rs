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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Appliance {
    /// The age recipient (`age1…`) that PII is sealed to.
    pub recipient: Option<String>,
    /// Minimum group size of the k-anonymity guard (default 11, at least 2).
    pub k: Option<u64>,
    /// How aggregates are protected beyond the k-guard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy: Option<PrivacySettings>,
    /// The offline analyst's settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analyst: Option<AnalystSettings>,
}

/// `[analyst]`: an optional local language model that may reword the analyst's templated answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalystSettings {
    /// An OpenAI-compatible chat endpoint on a loopback address, e.g. `http://127.0.0.1:8080/v1`.
    pub llm_endpoint: Option<String>,
    /// The model name sent to it [default: "local"].
    pub llm_model: Option<String>,
}

/// `[privacy]`: the k-guard alone (`mode = "suppress"`, the default), or with differential privacy too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    pub mode: PrivacyMode,
    /// Each user's budget per UTC day (`dp` only).
    pub epsilon_per_day: Option<f64>,
    /// What one new release of a view costs [default 0.5] (`dp` only).
    pub epsilon_per_release: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrivacyMode {
    Suppress,
    Dp,
}

impl Appliance {
    /// The language-model endpoint: `flag` if given, else `[analyst] llm_endpoint`; refused unless on loopback.
    pub fn llm_endpoint(&self, flag: Option<&str>) -> Result<Option<crate::egress::LlmEndpoint>, String> {
        let settings = self.analyst.clone().unwrap_or_default();
        match flag.or(settings.llm_endpoint.as_deref()) {
            Some(url) => crate::egress::LlmEndpoint::loopback(url, settings.llm_model.as_deref()).map(Some),
            None => Ok(None),
        }
    }

    /// The differential-privacy policy, when `[privacy] mode = "dp"`; its values are checked.
    pub fn dp_policy(&self) -> Result<Option<crate::privacy::dp::Policy>, crate::privacy::dp::PolicyError> {
        use crate::privacy::dp::{DEFAULT_EPSILON_PER_RELEASE, Policy, PolicyError};
        match &self.privacy {
            Some(PrivacySettings { mode: PrivacyMode::Dp, epsilon_per_day, epsilon_per_release }) => {
                let per_day = epsilon_per_day.ok_or(PolicyError::Missing)?;
                Policy::new(per_day, epsilon_per_release.unwrap_or(DEFAULT_EPSILON_PER_RELEASE.min(per_day))).map(Some)
            }
            _ => Ok(None),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "cannot read {path}: {detail}: fix the file (keys: recipient, k, [privacy] mode, epsilon_per_day, epsilon_per_release) or remove it"
    )]
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
        let config = Appliance { recipient: Some("age1xyz".into()), k: Some(5), privacy: None, analyst: None };
        config.save(dir.path()).unwrap();
        assert_eq!(Appliance::load(dir.path()).unwrap(), config);
        std::fs::write(Appliance::path(dir.path()), "kk = 3\n").unwrap();
        assert!(Appliance::load(dir.path()).is_err());
    }

    #[test]
    fn a_dp_policy_is_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let write = |text: &str| std::fs::write(Appliance::path(dir.path()), text).unwrap();
        write("[privacy]\nmode = \"dp\"\nepsilon_per_day = 2.0\n");
        let policy = Appliance::load(dir.path()).unwrap().dp_policy().unwrap().unwrap();
        assert_eq!((policy.epsilon_per_day, policy.epsilon_per_release), (2.0, 0.5));
        write("[privacy]\nmode = \"suppress\"\n");
        assert_eq!(Appliance::load(dir.path()).unwrap().dp_policy().unwrap(), None);
        for bad in [
            "mode = \"dp\"\n",
            "mode = \"dp\"\nepsilon_per_day = 0\n",
            "mode = \"dp\"\nepsilon_per_day = 500\n",
            "mode = \"dp\"\nepsilon_per_day = 1\nepsilon_per_release = 3\n",
        ] {
            write(&format!("[privacy]\n{bad}"));
            assert!(Appliance::load(dir.path()).unwrap().dp_policy().is_err(), "{bad}");
        }
        write("[privacy]\nmode = \"noise\"\n");
        assert!(Appliance::load(dir.path()).is_err());
    }
}
