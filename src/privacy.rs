//! Privacy and security: nobody sees a person unless a human with the key, the role and a stated reason asks.
//!
//! - [`kanon`]: the k-anonymity guard every aggregate leaves through;
//! - [`masked`]: keyed-hash reference IDs (`SH-XXXX-XXXX`);
//! - [`keys`] and [`vault`]: age identities and the sealed PII vault;
//! - [`roles`]: roles, the role matrix, users and hashed tokens;
//! - [`audit`]: the hash-chained audit log.

pub mod audit;
pub mod dp;
pub mod kanon;
pub mod keys;
pub mod masked;
pub mod roles;
pub mod vault;

pub use kanon::{Figure, Guarded, GuardedCell, GuardedGroup, KGuard};

use std::io::Write;
use std::path::Path;

/// Writes a file readable only by its owner (mode 0600), atomically: a temporary file renamed into place.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
