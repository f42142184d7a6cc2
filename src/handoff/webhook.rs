//! Webhooks as the Standard Webhooks specification (v1) has them: `webhook-id`, `webhook-timestamp` (Unix
//! seconds) and `webhook-signature: v1,<base64 HMAC-SHA-256 of "id.timestamp.body">`, keyed by a secret written
//! `whsec_<base64>`; what a receiver's answer means for the delivery (delivered, retry, gone); and the retry
//! schedule with jitter, `Retry-After` honoured.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// A destination's signing secret. Its `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    /// A secret as written: `whsec_` and the key in base64 (24 to 64 bytes).
    pub fn parse(text: &str) -> Result<Secret, String> {
        let key = text.trim().strip_prefix("whsec_").ok_or("a webhook secret starts with whsec_")?;
        let bytes = STANDARD.decode(key).map_err(|_| "a webhook secret is whsec_ and base64".to_owned())?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(format!("a webhook secret's key is 24 to 64 bytes; this one has {}", bytes.len()));
        }
        Ok(Secret(bytes))
    }

    /// A secret from fresh random bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Secret {
        Secret(bytes.to_vec())
    }

    /// The secret as written, `whsec_…`: to give the receiver's operator, once.
    pub fn expose(&self) -> String {
        format!("whsec_{}", STANDARD.encode(&self.0))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` header's value.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", STANDARD.encode(self.mac(id, timestamp, body).finalize().into_bytes()))
    }

    /// Whether any of a header's space-separated `v1,…` signatures is this secret's, compared in constant time.
    pub fn verify(&self, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
        header.split(' ').filter_map(|s| s.strip_prefix("v1,")).filter_map(|s| STANDARD.decode(s).ok()).any(|sig| {
            // `verify_slice` compares in constant time.
            self.mac(id, timestamp, body).verify_slice(&sig).is_ok()
        })
    }
}

/// What a receiver's answer means for a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx.
    Delivered,
    /// 410 Gone: the receiver asks not to be called again; the destination is disabled.
    Gone,
    /// Anything else (a redirect is not followed): try again later, after at least `Retry-After` if it said so.
    Retry { after: Option<Duration> },
}

impl Outcome {
    pub fn of(status: u16, retry_after: Option<Duration>) -> Outcome {
        match status {
            200..=299 => Outcome::Delivered,
            410 => Outcome::Gone,
            _ => Outcome::Retry { after: retry_after },
        }
    }
}

/// A `Retry-After` header: delay-seconds, or an HTTP date (after `now`, Unix seconds).
pub fn retry_after(header: &str, now: i64) -> Option<Duration> {
    let header = header.trim();
    if let Ok(seconds) = header.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(header).ok()?.timestamp();
    Some(Duration::from_secs(u64::try_from(at - now).unwrap_or(0)))
}

/// When to try again: the delays before each attempt after the first (Standard Webhooks' suggested schedule by
/// default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), each stretched or shrunk by up to a fifth at random so
/// many deliveries do not retry in step. After the last, the delivery is a dead letter.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub delays: Vec<Duration>,
}

/// The longest `Retry-After` honoured: a receiver cannot park a delivery for longer than a day.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

impl Default for Schedule {
    fn default() -> Self {
        let s = Duration::from_secs;
        Schedule { delays: vec![s(5), s(300), s(1800), s(7200), s(18_000), s(36_000), s(36_000)] }
    }
}

impl Schedule {
    /// The wait before attempt `attempts + 1`, after `attempts` failed ones; `None` when the schedule is spent.
    /// `unit` is a uniform draw in [0, 1) for the jitter; a `Retry-After` longer than the scheduled wait wins.
    pub fn next(&self, attempts: u32, unit: f64, retry_after: Option<Duration>) -> Option<Duration> {
        let base = *self.delays.get(usize::try_from(attempts).ok()?.checked_sub(1)?)?;
        let jittered = base.mul_f64(0.8 + 0.4 * unit.clamp(0.0, 1.0));
        Some(jittered.max(retry_after.unwrap_or_default().min(MAX_RETRY_AFTER)))
    }

    /// How many attempts in all, the first included.
    pub fn attempts(&self) -> u32 {
        u32::try_from(self.delays.len()).unwrap_or(u32::MAX).saturating_add(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The specification's own test vector (standard-webhooks, libraries/rust).
    #[test]
    fn signs_the_specifications_test_vector() {
        let secret = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let body = br#"{"email":"test@example.com","username":"test_user"}"#;
        let signature = secret.sign("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553, body);
        assert_eq!(signature, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
        assert!(secret.verify("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553, body, &signature));
        let several = format!("v1,Mm7xgUVICxZfQ3bgf0h0Dof65L/IFx+PnZvnDWPCX6Q= {signature}");
        assert!(secret.verify("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553, body, &several));
        assert!(!secret.verify("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367554, body, &signature));
        assert!(!secret.verify("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553, b"{}", &signature));
        assert!(!secret.verify(
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1649367553,
            body,
            "v1,R3PTzyfHASBKHH98a7yexTwaJ4yNIcGhFQc1yuN+BPU="
        ));
    }

    #[test]
    fn secrets_are_checked_and_never_printed() {
        assert!(Secret::parse("C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap_err().contains("whsec_"));
        assert!(Secret::parse("whsec_!!").unwrap_err().contains("base64"));
        assert!(Secret::parse("whsec_AAAA").unwrap_err().contains("24 to 64 bytes"));
        let secret = Secret::from_bytes([7; 32]);
        assert_eq!(Secret::parse(&secret.expose()).unwrap(), secret);
        assert_eq!(format!("{secret:?}"), "Secret(…)");
    }

    #[test]
    fn answers_and_retry_after() {
        assert_eq!(Outcome::of(204, None), Outcome::Delivered);
        assert_eq!(Outcome::of(410, None), Outcome::Gone);
        assert_eq!(Outcome::of(302, None), Outcome::Retry { after: None });
        assert_eq!(retry_after("120", 0), Some(Duration::from_secs(120)));
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z").unwrap().timestamp();
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::from_secs(60)));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now + 3600), Some(Duration::ZERO));
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn the_schedule_jitters_honours_retry_after_and_ends() {
        let schedule = Schedule::default();
        assert_eq!(schedule.attempts(), 8);
        assert_eq!(schedule.next(0, 0.5, None), None, "the first attempt is not a retry");
        assert_eq!(schedule.next(1, 0.5, None), Some(Duration::from_secs(5)));
        assert_eq!(schedule.next(1, 0.0, None), Some(Duration::from_secs(4)));
        assert_eq!(schedule.next(2, 1.0, None), Some(Duration::from_secs(360)));
        assert_eq!(schedule.next(1, 0.5, Some(Duration::from_secs(90))), Some(Duration::from_secs(90)));
        assert_eq!(schedule.next(1, 0.5, Some(Duration::from_secs(10 * 86_400))), Some(MAX_RETRY_AFTER));
        assert_eq!(schedule.next(8, 0.5, None), None, "spent: a dead letter");
    }
}
