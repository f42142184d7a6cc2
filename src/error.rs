//! The top-level error of a command, and its exit code.

use crate::privacy::{audit, keys, masked, roles, vault};
use crate::warehouse::{drill_log, reveal};
use crate::{config, model, privacy, server, warehouse};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Warehouse(#[from] warehouse::Error),
    #[error(transparent)]
    Server(#[from] server::Error),
    #[error(transparent)]
    InvalidK(#[from] privacy::kanon::InvalidK),
    #[error(transparent)]
    Config(#[from] config::Error),
    #[error(transparent)]
    Privacy(#[from] privacy::dp::PolicyError),
    #[error(transparent)]
    Keys(#[from] keys::Error),
    #[error(transparent)]
    Vault(#[from] vault::Error),
    #[error(transparent)]
    Masked(#[from] masked::Error),
    #[error(transparent)]
    Roles(#[from] roles::Error),
    #[error(transparent)]
    Audit(#[from] audit::Error),
    #[error(transparent)]
    Reveal(#[from] reveal::Error),
    #[error(transparent)]
    Model(#[from] model::Error),
    #[error(transparent)]
    Analytics(#[from] crate::analytics::Error),
    #[error(transparent)]
    DrillLog(#[from] drill_log::Error),
    #[error("cannot write to {path}: {source}: choose another --data-dir or fix its permissions")]
    DataDir { path: PathBuf, source: std::io::Error },
    /// A child process failed; it has said why on stderr.
    #[error("{what} did not complete (its error is above)")]
    Child { what: &'static str, code: u8 },
    /// The input was wrong; the message says how.
    #[error("{0}")]
    Usage(String),
    /// Nothing matched what was asked for.
    #[error("{0}")]
    NotFound(String),
    /// A check failed (for example, the audit chain is broken).
    #[error("{0}")]
    CheckFailed(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// 2 when the user can fix it by changing their input, 1 when a check failed, nothing was found, or an
    /// operation failed.
    pub fn exit_code(&self) -> u8 {
        if let Error::Child { code, .. } = self {
            return *code;
        }
        // Each domain's error knows whether it is the user's to fix.
        let input = match self {
            Error::Warehouse(e) => e.is_input_error(),
            Error::Server(e) => e.is_input_error(),
            Error::Reveal(e) => e.is_input_error(),
            Error::Vault(e) => e.is_input_error(),
            Error::Model(e) => e.is_input_error(),
            Error::Analytics(crate::analytics::Error::Model(e)) => e.is_input_error(),
            Error::DrillLog(e) => e.is_input_error(),
            Error::Audit(_) | Error::CheckFailed(_) | Error::NotFound(_) | Error::Io(_) => false,
            _ => true,
        };
        if input { 2 } else { 1 }
    }
}
