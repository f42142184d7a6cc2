//! Roles, permissions and the one role matrix; users and their hashed bearer tokens.
//!
//! A token is 32 random bytes, shown once; the data dir keeps only its SHA-256 (tokens are high-entropy, so a
//! fast hash is enough). `users.json` is replaced atomically on every change.

use crate::text::clip;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub const USERS_FILE: &str = "users.json";

/// Who someone is to SafeHaven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Executive,
    Analyst,
    Investigator,
    Advocate,
    Trainer,
    Admin,
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Permission {
    /// Population aggregates, through the k-anonymity guard.
    Aggregates,
    /// Lists of cases by masked ID.
    CaseList,
    /// One case's masked detail.
    CaseDetail,
    /// The model page: evaluation, coefficients, fairness, drift.
    Model,
    /// The DV service: survivors, incidents, assessments, alerts.
    DvService,
    /// Running scenarios and drills (start, pause, stop, debrief).
    Drills,
    /// Following a live drill and acting in it (each action also needs the permission its target needs).
    Participate,
    /// Users and configuration.
    Admin,
}

impl Permission {
    pub const ALL: [Permission; 8] = [
        Permission::Aggregates,
        Permission::CaseList,
        Permission::CaseDetail,
        Permission::Model,
        Permission::DvService,
        Permission::Drills,
        Permission::Participate,
        Permission::Admin,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            Permission::Aggregates => "aggregates",
            Permission::CaseList => "masked case lists",
            Permission::CaseDetail => "masked case detail",
            Permission::Model => "the model page",
            Permission::DvService => "DV service",
            Permission::Drills => "scenarios and drills",
            Permission::Participate => "live drills",
            Permission::Admin => "administration",
        }
    }
}

impl Role {
    pub const ALL: [Role; 6] =
        [Role::Executive, Role::Analyst, Role::Investigator, Role::Advocate, Role::Trainer, Role::Admin];

    pub fn name(self) -> &'static str {
        match self {
            Role::Executive => "executive",
            Role::Analyst => "analyst",
            Role::Investigator => "investigator",
            Role::Advocate => "advocate",
            Role::Trainer => "trainer",
            Role::Admin => "admin",
        }
    }

    /// The role matrix: the one place that says which role may do what.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Executive => &[Aggregates, Participate],
            Role::Analyst => &[Aggregates, CaseList, Model, Participate],
            Role::Investigator => &[Aggregates, CaseList, CaseDetail, Model, Participate],
            Role::Advocate => &[DvService, Participate],
            Role::Trainer => &[Aggregates, Drills, Participate],
            Role::Admin => &[Aggregates, CaseList, CaseDetail, Model, DvService, Drills, Participate, Admin],
        }
    }

    pub fn may(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.name().eq_ignore_ascii_case(s.trim())).ok_or_else(|| {
            format!("unknown role `{s}`; roles: {}", Role::ALL.iter().map(|r| r.name()).collect::<Vec<_>>().join(", "))
        })
    }
}

/// The role matrix as a Markdown table (rendered into ARCHITECTURE.md; a test keeps them in step).
pub fn matrix_markdown() -> String {
    let mut out = String::from("| role |");
    for p in Permission::ALL {
        out.push_str(&format!(" {} |", p.describe()));
    }
    out.push_str("\n| --- |");
    for _ in Permission::ALL {
        out.push_str(" :-: |");
    }
    out.push('\n');
    for role in Role::ALL {
        out.push_str(&format!("| `{}` |", role.name()));
        for p in Permission::ALL {
            out.push_str(if role.may(p) { " ✓ |" } else { "   |" });
        }
        out.push('\n');
    }
    out
}

/// A user as stored: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub token_sha256: String,
    pub created: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("a user named `{0}` already exists; choose another name")]
    Exists(String),
    #[error("user names are 1–64 letters, digits, dots, dashes or underscores; got `{0}`")]
    BadName(String),
    #[error("cannot read {path}: {detail}: fix or remove the file")]
    Read { path: PathBuf, detail: String },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// The users of one data dir.
#[derive(Debug, Clone)]
pub struct Users {
    path: PathBuf,
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

impl Users {
    pub fn new(data_dir: &Path) -> Self {
        Users { path: data_dir.join(USERS_FILE) }
    }

    pub fn list(&self) -> Result<Vec<User>, Error> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| Error::Read { path: self.path.clone(), detail: e.to_string() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(Error::Read { path: self.path.clone(), detail: e.to_string() }),
        }
    }

    /// Adds a user and returns their new token (shown once, stored hashed).
    pub fn add(&self, name: &str, role: Role, created: String) -> Result<String, Error> {
        if !valid_name(name) {
            return Err(Error::BadName(clip(name, 80)));
        }
        let mut users = self.list()?;
        if users.iter().any(|u| u.name == name) {
            return Err(Error::Exists(name.to_owned()));
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| Error::Write { path: self.path.clone(), source: std::io::Error::other(e.to_string()) })?;
        let token = format!("sh_{}", hex::encode(bytes));
        users.push(User { name: name.to_owned(), role, token_sha256: token_hash(&token), created });
        let json = serde_json::to_vec_pretty(&users).expect("users serialise");
        super::write_private(&self.path, &json).map_err(|source| Error::Write { path: self.path.clone(), source })?;
        Ok(token)
    }

    /// The user a bearer token belongs to.
    pub fn authenticate(&self, token: &str) -> Result<Option<User>, Error> {
        let hash = token_hash(token);
        Ok(self.list()?.into_iter().find(|u| constant_time_eq(u.token_sha256.as_bytes(), hash.as_bytes())))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_may_everything_and_executive_only_aggregates_and_drills() {
        assert!(Permission::ALL.iter().all(|p| Role::Admin.may(*p)));
        assert_eq!(Role::Executive.permissions(), &[Permission::Aggregates, Permission::Participate]);
        assert!(Role::ALL.iter().all(|r| r.may(Permission::Participate)), "everyone may join a drill");
        assert!(!Role::Advocate.may(Permission::Aggregates));
    }

    #[test]
    fn roles_parse_by_name() {
        assert_eq!("Investigator".parse::<Role>(), Ok(Role::Investigator));
        assert!("root".parse::<Role>().unwrap_err().contains("executive, analyst"));
    }

    #[test]
    fn users_are_stored_hashed_and_authenticate() {
        let dir = tempfile::tempdir().unwrap();
        let users = Users::new(dir.path());
        let token = users.add("ana", Role::Analyst, "t".into()).unwrap();
        let stored = std::fs::read_to_string(dir.path().join(USERS_FILE)).unwrap();
        assert!(!stored.contains(&token));
        assert_eq!(users.authenticate(&token).unwrap().map(|u| u.role), Some(Role::Analyst));
        assert_eq!(users.authenticate("sh_wrong").unwrap(), None);
        assert!(matches!(users.add("ana", Role::Admin, "t".into()), Err(Error::Exists(_))));
        assert!(matches!(users.add("bad name", Role::Admin, "t".into()), Err(Error::BadName(_))));
    }
}
