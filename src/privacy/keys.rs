//! age X25519 keys: generating an identity file, reading one, parsing recipients.
//!
//! The identity (secret key) never enters the data dir or the server: only the CLI's `reveal` reads it. The
//! warehouse and the appliance config keep the recipient (public key) only.

use crate::text::clip;
use age::secrecy::ExposeSecret;
use age::x25519::{Identity, Recipient};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path} already exists; keys are never overwritten: choose another --out, or move the old file away first")]
    Exists { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("identity file {path} not found: pass the file `safehaven keygen` (or the first `seed`) wrote")]
    NotFound { path: PathBuf },
    #[error("cannot read identity file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} holds no age identity (a line starting AGE-SECRET-KEY-1): is it the right file?")]
    Malformed { path: PathBuf },
    #[error(
        "`{0}` is not an age recipient: expected a public key starting with age1 (as printed by `safehaven keygen`)"
    )]
    BadRecipient(String),
}

/// A freshly generated identity, for writing once.
pub struct NewIdentity {
    identity: Identity,
}

impl NewIdentity {
    pub fn generate() -> Self {
        NewIdentity { identity: Identity::generate() }
    }

    pub fn recipient(&self) -> Recipient {
        self.identity.to_public()
    }

    /// The secret key itself, for use in this process (benchmarks, tests).
    pub fn secret(&self) -> &Identity {
        &self.identity
    }

    /// Writes the identity to `path` with mode 0600, refusing to overwrite anything.
    pub fn write(&self, path: &Path, created: &str) -> Result<(), Error> {
        if path.exists() {
            return Err(Error::Exists { path: path.to_owned() });
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let write_err = |source| Error::Write { path: path.to_owned(), source };
        let mut file = options.open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Error::Exists { path: path.to_owned() },
            _ => write_err(e),
        })?;
        let secret = self.identity.to_string();
        let text = format!("# created: {created}\n# public key: {}\n{}\n", self.recipient(), secret.expose_secret());
        file.write_all(text.as_bytes()).map_err(write_err)?;
        file.sync_all().map_err(write_err)
    }
}

/// Reads the first X25519 identity from an age identity file.
pub fn read_identity(path: &Path) -> Result<Identity, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound { path: path.to_owned() },
        _ => Error::Read { path: path.to_owned(), source },
    })?;
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .and_then(|l| l.parse::<Identity>().ok())
        .ok_or_else(|| Error::Malformed { path: path.to_owned() })
}

pub fn parse_recipient(text: &str) -> Result<Recipient, Error> {
    text.trim().parse::<Recipient>().map_err(|_| Error::BadRecipient(clip(text, 80)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_identity_reads_back_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("id.txt");
        let new = NewIdentity::generate();
        new.write(&path, "now").unwrap();
        let read = read_identity(&path).unwrap();
        assert_eq!(read.to_public().to_string(), new.recipient().to_string());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(matches!(new.write(&path, "again"), Err(Error::Exists { .. })));
    }

    #[test]
    fn malformed_files_and_recipients_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk.txt");
        std::fs::write(&path, "hello\n").unwrap();
        assert!(matches!(read_identity(&path), Err(Error::Malformed { .. })));
        assert!(matches!(read_identity(&dir.path().join("none")), Err(Error::NotFound { .. })));
        assert!(parse_recipient("age1nope").is_err());
        let good = NewIdentity::generate().recipient().to_string();
        assert!(parse_recipient(&good).is_ok());
    }
}
