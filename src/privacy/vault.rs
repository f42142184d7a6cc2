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

/// How a sealed setting starts in the config file.
pub const SEALED_SETTING: &str = "sealed:";

fn passphrase(key: &[u8; 32]) -> age::secrecy::SecretString {
    age::secrecy::SecretString::from(hex::encode(key))
}

/// Seals a setting's secret (a webhook's signing key) under `key`, derived from the installation key, for the
/// config file: `sealed:` and base64 of an age message. The passphrase is 256 random bits, so a small scrypt work
/// factor costs nothing in strength.
pub fn seal_setting(key: &[u8; 32], plaintext: &str) -> Result<String, Error> {
    use base64::Engine;
    let mut recipient = age::scrypt::Recipient::new(passphrase(key));
    recipient.set_work_factor(10);
    let sealed = age::encrypt(&recipient, plaintext.as_bytes()).map_err(|e| Error::Encrypt(e.to_string()))?;
    Ok(format!("{SEALED_SETTING}{}", base64::engine::general_purpose::STANDARD.encode(sealed)))
}

/// Opens a sealed setting with the installation's derived `key`.
pub fn open_setting(key: &[u8; 32], sealed: &str) -> Result<String, Error> {
    use base64::Engine;
    let text =
        sealed.trim().strip_prefix(SEALED_SETTING).ok_or_else(|| Error::Damaged("not a sealed setting".into()))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| Error::Damaged("a sealed setting is base64".into()))?;
    stanza_count(&bytes)?;
    let mut identity = age::scrypt::Identity::new(passphrase(key));
    identity.set_max_work_factor(12);
    let mut plain = age::decrypt(&identity, &bytes).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys | age::DecryptError::DecryptionFailed => Error::WrongIdentity {
            hint: ": it was sealed by another installation (another installation.key); seal it again here".into(),
        },
        other => Error::Damaged(other.to_string()),
    })?;
    let text = String::from_utf8(plain.clone()).map_err(|_| Error::Damaged("a sealed setting is text".into()));
    plain.zeroize();
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_sealed_under_the_installation_key() {
        let sealed = seal_setting(&[1; 32], "whsec_abc").unwrap();
        assert!(sealed.starts_with(SEALED_SETTING) && !sealed.contains("abc"));
        assert_eq!(open_setting(&[1; 32], &sealed).unwrap(), "whsec_abc");
        assert!(matches!(open_setting(&[2; 32], &sealed), Err(Error::WrongIdentity { .. })));
        assert!(matches!(open_setting(&[1; 32], "whsec_abc"), Err(Error::Damaged(_))));
    }

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
