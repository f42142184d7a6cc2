//! Masked reference IDs: a keyed hash (HMAC-SHA-256 with a per-installation secret) of a person's internal key,
//! rendered as `SH-XXXX-XXXX` in Crockford base32.
//!
//! The secret lives in `DATA_DIR/installation.key` (mode 0600) and survives reseeding, so IDs are stable across
//! restarts and reseeds of one installation. Without the secret the IDs cannot be recomputed, so enumerating the
//! (small, sequential) key space reveals nothing; a plain hash would.

use crate::text::clip;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub const KEY_FILE: &str = "installation.key";
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// What a masked ID identifies; each kind hashes in its own domain, so the same key gives unrelated IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    Person,
    Survivor,
    /// A survivor created through the API, by the caller's external user ID.
    ExternalUser,
}

impl Domain {
    fn label(self) -> &'static [u8] {
        match self {
            Domain::Person => b"person",
            Domain::Survivor => b"survivor",
            Domain::ExternalUser => b"external-user",
        }
    }
}

/// A masked reference ID such as `SH-7K2Q-9XPM`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct MaskedId(String);

impl MaskedId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn from_bits(bits: u64) -> Self {
        let mut chars = [0u8; 8];
        for (i, c) in chars.iter_mut().enumerate() {
            *c = ALPHABET[((bits >> (35 - 5 * i)) & 31) as usize];
        }
        let s = std::str::from_utf8(&chars).expect("ascii alphabet");
        MaskedId(format!("SH-{}-{}", &s[..4], &s[4..]))
    }
}

impl fmt::Display for MaskedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A string that is not a masked ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a masked ID: expected the form SH-XXXX-XXXX (letters and digits), as listed by `safehaven people`"
)]
pub struct InvalidMaskedId(pub String);

impl FromStr for MaskedId {
    type Err = InvalidMaskedId;

    /// Accepts any case, and Crockford's look-alikes (I and L for 1, O for 0).
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidMaskedId(clip(input, 40));
        let upper = input.trim().to_ascii_uppercase();
        let rest = upper.strip_prefix("SH-").ok_or_else(invalid)?;
        let (a, b) = rest.split_once('-').ok_or_else(invalid)?;
        if a.len() != 4 || b.len() != 4 {
            return Err(invalid());
        }
        let mut out = String::with_capacity(12);
        out.push_str("SH-");
        for (i, ch) in a.chars().chain(b.chars()).enumerate() {
            if i == 4 {
                out.push('-');
            }
            let ch = match ch {
                'I' | 'L' => '1',
                'O' => '0',
                c => c,
            };
            if !ALPHABET.contains(&(ch as u8)) || !ch.is_ascii() {
                return Err(invalid());
            }
            out.push(ch);
        }
        Ok(MaskedId(out))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read the installation key {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error(
        "the installation key {path} is damaged (expected 64 hex digits): restore it from backup; without it masked IDs change"
    )]
    Damaged { path: PathBuf },
    #[error("cannot write the installation key {path}: {source}: choose another --data-dir or fix its permissions")]
    Write { path: PathBuf, source: std::io::Error },
}

/// Computes masked IDs with the installation's secret.
#[derive(Clone)]
pub struct Masker {
    key: [u8; 32],
}

impl fmt::Debug for Masker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Masker(…)")
    }
}

impl Masker {
    pub fn from_key(key: [u8; 32]) -> Self {
        Masker { key }
    }

    /// Loads the data dir's installation key, creating it (0600) on first use.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, Error> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim()).map_err(|_| Error::Damaged { path: path.clone() })?;
                let key: [u8; 32] = bytes.try_into().map_err(|_| Error::Damaged { path: path.clone() })?;
                Ok(Masker { key })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key)
                    .map_err(|e| Error::Write { path: path.clone(), source: std::io::Error::other(e.to_string()) })?;
                std::fs::create_dir_all(data_dir).map_err(|source| Error::Write { path: path.clone(), source })?;
                super::write_private(&path, format!("{}\n", hex::encode(key)).as_bytes())
                    .map_err(|source| Error::Write { path: path.clone(), source })?;
                Ok(Masker { key })
            }
            Err(source) => Err(Error::Read { path, source }),
        }
    }

    /// A key for another purpose (`purpose` names it), derived from the installation key: what seals the
    /// config file's secrets at rest.
    pub fn derived_key(&self, purpose: &str) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"safehaven derived key\0");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn bits(&self, domain: Domain, value: &[u8], attempt: u32) -> u64 {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(domain.label());
        mac.update(&[0]);
        mac.update(value);
        mac.update(&attempt.to_le_bytes());
        let digest = mac.finalize().into_bytes();
        let mut first = [0u8; 8];
        first[3..].copy_from_slice(&digest[..5]);
        u64::from_be_bytes(first)
    }

    /// The masked ID of one value; `attempt` > 0 only to step past a collision.
    pub fn mask(&self, domain: Domain, value: &[u8], attempt: u32) -> MaskedId {
        MaskedId::from_bits(self.bits(domain, value, attempt))
    }

    /// Masked IDs for keys `1..=n` of a domain, in key order, free of collisions: a key whose ID is taken steps to
    /// its next attempt (deterministically, since keys are visited in order).
    pub fn mask_keys(&self, domain: Domain, n: u64) -> Vec<MaskedId> {
        use rayon::prelude::*;
        // First attempts in parallel; then, in key order, a key whose ID is taken steps on.
        let first: Vec<MaskedId> =
            (1..=n as usize).into_par_iter().map(|key| self.mask(domain, &(key as u64).to_le_bytes(), 0)).collect();
        let mut seen = std::collections::HashSet::with_capacity(n as usize);
        first
            .into_iter()
            .zip(1..=n)
            .map(|(id, key)| {
                let mut id = id;
                let mut attempt = 0;
                while !seen.insert(id.clone()) {
                    attempt += 1;
                    id = self.mask(domain, &key.to_le_bytes(), attempt);
                }
                id
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_and_round_trip() {
        let masker = Masker::from_key([7; 32]);
        let id = masker.mask(Domain::Person, b"1", 0);
        assert!(id.as_str().starts_with("SH-") && id.as_str().len() == 12, "{id}");
        assert_eq!(id.as_str().parse::<MaskedId>().unwrap(), id);
        assert_eq!(id.as_str().to_lowercase().parse::<MaskedId>().unwrap(), id);
    }

    #[test]
    fn lookalikes_are_read_as_digits() {
        assert_eq!("sh-ilo0-1234".parse::<MaskedId>().unwrap().as_str(), "SH-1100-1234");
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in ["", "SH-", "SH-1234-567", "SH-1234-5678-9", "XX-1234-5678", "SH-12U4-5678", "SH-12é4-5678"] {
            assert!(bad.parse::<MaskedId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn keyed_domain_separated_and_stable() {
        let a = Masker::from_key([1; 32]);
        let b = Masker::from_key([2; 32]);
        assert_eq!(a.mask(Domain::Person, b"5", 0), a.mask(Domain::Person, b"5", 0));
        assert_ne!(a.mask(Domain::Person, b"5", 0), b.mask(Domain::Person, b"5", 0));
        assert_ne!(a.mask(Domain::Person, b"5", 0), a.mask(Domain::Survivor, b"5", 0));
    }

    #[test]
    fn mask_keys_has_no_collisions() {
        let ids = Masker::from_key([3; 32]).mask_keys(Domain::Person, 50_000);
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
    }
}
