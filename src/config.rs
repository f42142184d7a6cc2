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
    /// Hand-off to the CRM: webhook destinations, the networks they may be on, the Salesforce field map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<HandoffSettings>,
}

/// `[handoff]`: where signals go beyond SafeHaven. Webhooks are off until a `[[handoff.webhook]]` is configured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoffSettings {
    /// Networks webhooks may reach besides loopback, as CIDRs (`10.20.0.0/16`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_networks: Vec<String>,
    #[serde(default, rename = "webhook", skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<WebhookSettings>,
    /// How signals land in Salesforce: picklist values and custom field names (defaults in README.md's "Hand-off to the CRM").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salesforce: Option<crate::handoff::salesforce::FieldMap>,
}

/// `[[handoff.webhook]]`: one receiver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// How deliveries, metrics and routing.toml's queues name it: `[a-z0-9_-]+`.
    pub name: String,
    /// Plain HTTP on loopback or an allowed network.
    pub url: String,
    /// The signing secret, sealed (`sealed:…`, written by `safehaven handoff webhook add`); never plaintext.
    pub secret: String,
    /// The queues whose events it receives [default: every queue].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queues: Option<Vec<String>>,
    /// Seconds to wait before each retry [default: 5, 300, 1800, 7200, 18000, 36000, 36000].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_seconds: Option<Vec<f64>>,
    /// How long one attempt may take [default 10].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<f64>,
}

/// A webhook destination, checked and ready: its receiver, its opened secret, which queues it takes, when to retry.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub name: String,
    pub target: crate::egress::WebhookTarget,
    pub secret: crate::handoff::webhook::Secret,
    pub queues: Option<Vec<String>>,
    pub schedule: crate::handoff::webhook::Schedule,
    pub timeout: std::time::Duration,
}

impl WebhookSettings {
    /// Checks the destination and opens its secret with the installation's derived `key`; the error says what
    /// to fix.
    pub fn resolve(&self, allowed: &crate::egress::AllowedNetworks, key: &[u8; 32]) -> Result<Webhook, String> {
        use crate::handoff::webhook::{Schedule, Secret};
        let name = &self.name;
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-".contains(c)) {
            return Err(format!("[[handoff.webhook]] name `{}`: use a-z, 0-9, _ and -", crate::text::clip(name, 40)));
        }
        let target = crate::egress::WebhookTarget::new(name, &self.url, allowed)?;
        if !self.secret.starts_with(crate::privacy::vault::SEALED_SETTING) {
            return Err(format!(
                "webhook `{name}`: the secret is not sealed; never write it in plaintext: run `safehaven handoff webhook add --name {name} --url {} --secret-stdin` to seal it",
                self.url
            ));
        }
        let opened = crate::privacy::vault::open_setting(key, &self.secret)
            .map_err(|e| format!("webhook `{name}`: the secret: {e}"))?;
        let secret = Secret::parse(&opened).map_err(|e| format!("webhook `{name}`: {e}"))?;
        let schedule = match &self.retry_seconds {
            None => Schedule::default(),
            Some(delays) => {
                if delays.len() > 20 || delays.iter().any(|d| !d.is_finite() || *d < 0.0 || *d > 86_400.0) {
                    return Err(format!("webhook `{name}`: retry_seconds: at most 20 waits, each 0 to 86400 seconds"));
                }
                Schedule { delays: delays.iter().map(|d| std::time::Duration::from_secs_f64(*d)).collect() }
            }
        };
        let timeout = self.timeout_seconds.unwrap_or(10.0);
        if !(0.1..=60.0).contains(&timeout) {
            return Err(format!("webhook `{name}`: timeout_seconds must be 0.1 to 60, got {timeout}"));
        }
        Ok(Webhook {
            name: name.clone(),
            target,
            secret,
            queues: self.queues.clone(),
            schedule,
            timeout: std::time::Duration::from_secs_f64(timeout),
        })
    }
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

    /// The configured webhook destinations, checked (URL, network, sealed secret, retries) with the
    /// installation's key for sealed settings; an error names the destination and what to fix.
    pub fn webhooks(&self, key: &[u8; 32]) -> Result<Vec<Webhook>, String> {
        let Some(handoff) = &self.handoff else { return Ok(Vec::new()) };
        let allowed = crate::egress::AllowedNetworks::parse(&handoff.allowed_networks)?;
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for settings in &handoff.webhooks {
            if !seen.insert(settings.name.clone()) {
                return Err(format!("[[handoff.webhook]] `{}` is configured twice", settings.name));
            }
            out.push(settings.resolve(&allowed, key)?);
        }
        Ok(out)
    }

    /// The Salesforce field map: `[handoff.salesforce]`, checked, or the defaults.
    pub fn field_map(&self) -> Result<crate::handoff::salesforce::FieldMap, String> {
        let map = self.handoff.as_ref().and_then(|h| h.salesforce.clone()).unwrap_or_default();
        map.check()?;
        Ok(map)
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
        "cannot read {path}: {detail}: fix the file (keys: recipient, k, [privacy], [analyst], [handoff], [[handoff.webhook]], [handoff.salesforce]) or remove it"
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
        let config = Appliance { recipient: Some("age1xyz".into()), k: Some(5), ..Appliance::default() };
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
