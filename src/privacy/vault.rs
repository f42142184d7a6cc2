//! The PII vault: identities and narratives sealed with age, one message per chunk of records.
//!
//! Per-field encryption would cost one X25519 operation and ~200 bytes per value; one message per chunk of
//! 1,024 records costs one per chunk. Survivors created through the API are sealed one record
//! per message, as they arrive. Plaintext exists only in the generating worker, between serialisation
//! and sealing, and is zeroed after. Opening caps the number of header stanzas, so a crafted ciphertext cannot
//! make us run unbounded key agreements.

use age::x25519::{Identity, Recipient};
use zeroize::Zeroize;

/// More stanzas than this in a header is not one of ours.
pub const MAX_STANZAS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("encryption failed: {0}")]
    Encrypt(String),
    #[error("this identity cannot open the vault: it does not match the recipient the data was sealed to{hint}")]
    WrongIdentity { hint: String },
    #[error("vault record is damaged or not an age message: {0}")]
    Damaged(String),
    #[error("vault record has {0} header stanzas (at most {MAX_STANZAS} accepted): refusing to process it")]
    TooManyStanzas(usize),
}

impl Error {
    /// Whether the user can fix this (the wrong identity, a damaged record to restore) (exit code 2), rather than
    /// encryption failing (1).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Error::Encrypt(_))
    }
}

/// Seals plaintext to the installation's recipient.
#[derive(Clone)]
pub struct Sealer {
    recipient: Recipient,
}

impl Sealer {
    pub fn new(recipient: Recipient) -> Self {
        Sealer { recipient }
    }

    /// Encrypts `plaintext` and zeroes it.
    pub fn seal(&self, mut plaintext: Vec<u8>) -> Result<Vec<u8>, Error> {
        let sealed = age::encrypt(&self.recipient, &plaintext).map_err(|e| Error::Encrypt(e.to_string()));
        plaintext.zeroize();
        sealed
    }
}

/// Counts the stanzas of an age (binary format) header without decrypting anything.
pub fn stanza_count(ciphertext: &[u8]) -> Result<usize, Error> {
    const MAGIC: &[u8] = b"age-encryption.org/v1\n";
    if !ciphertext.starts_with(MAGIC) {
        return Err(Error::Damaged("missing age header".into()));
    }
    let mut count = 0;
    for line in ciphertext[MAGIC.len()..].split(|&b| b == b'\n') {
        if line.starts_with(b"---") {
            return Ok(count);
        }
        if line.starts_with(b"-> ") {
            count += 1;
            if count > MAX_STANZAS {
                return Err(Error::TooManyStanzas(count));
            }
        }
    }
    Err(Error::Damaged("header does not end".into()))
}

/// Decrypts a vault record with `identity`, after checking its header.
pub fn open(identity: &Identity, ciphertext: &[u8], recipient_hint: Option<&str>) -> Result<Vec<u8>, Error> {
    stanza_count(ciphertext)?;
    age::decrypt(identity, ciphertext).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys => Error::WrongIdentity {
            hint: recipient_hint
                .map(|r| format!(" ({r}): use the identity file printed when the warehouse was seeded"))
                .unwrap_or_default(),
        },
        other => Error::Damaged(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip() {
        let identity = Identity::generate();
        let sealed = Sealer::new(identity.to_public()).seal(b"secret record".to_vec()).unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert!(stanza_count(&sealed).unwrap() <= 2);
        assert_eq!(open(&identity, &sealed, None).unwrap(), b"secret record");
    }

    #[test]
    fn wrong_identity_is_a_clear_error() {
        let sealed = Sealer::new(Identity::generate().to_public()).seal(b"x".to_vec()).unwrap();
        let err = open(&Identity::generate(), &sealed, Some("age1abc")).unwrap_err();
        assert!(matches!(err, Error::WrongIdentity { .. }), "{err}");
    }

    #[test]
    fn crafted_headers_are_refused_before_decryption() {
        let mut crafted = b"age-encryption.org/v1\n".to_vec();
        for _ in 0..20 {
            crafted.extend_from_slice(b"-> X25519 AAAA\nAAAA\n");
        }
        crafted.extend_from_slice(b"--- AAAA\n");
        assert!(matches!(stanza_count(&crafted), Err(Error::TooManyStanzas(_))));
        assert!(matches!(stanza_count(b"not age"), Err(Error::Damaged(_))));
    }
}
