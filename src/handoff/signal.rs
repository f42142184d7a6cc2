//! Signals and their outbox events. A signal is a crisis alert (`SH-A-0000012`, from the alert's number) or a case
//! flagged for review (`SH-C-7K2Q9XPM`, from the case's masked ID); its ID is the idempotency key everywhere
//! (Salesforce's External ID `SafeHaven_Signal_Id__c`, the webhook payload), so a re-import or a re-delivery
//! updates the record it made instead of making another. An event's payload is thin by construction: the types
//! below have no field that could hold a name, a contact, a narrative or a note.

use super::workflow::{ClosingReason, State};
use serde::{Deserialize, Serialize};

/// What a signal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignalKind {
    /// A DV crisis alert (a critical assessment, a screened-in LAP, a DASH referral).
    Alert,
    /// A financial-distress case flagged for review.
    Case,
}

impl SignalKind {
    pub fn name(self) -> &'static str {
        match self {
            SignalKind::Alert => "alert",
            SignalKind::Case => "case",
        }
    }
}

/// An alert's ID as the DV service shows it (`AL-0000012`).
pub fn alert_id(number: i64) -> String {
    format!("AL-{number:07}")
}

/// The number of an alert ID as written, if it is one.
pub fn parse_alert_id(id: &str) -> Option<i64> {
    id.strip_prefix("AL-").and_then(|n| n.parse().ok()).filter(|n| *n > 0)
}

/// A signal's stable ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SignalId(String);

impl SignalId {
    /// The signal of alert `number` (`AL-0000012` → `SH-A-0000012`).
    pub fn alert(number: i64) -> SignalId {
        SignalId(format!("SH-A-{number:07}"))
    }

    /// The signal of the case with this masked ID (`SH-7K2Q-9XPM` → `SH-C-7K2Q9XPM`).
    pub fn case(masked_id: &str) -> SignalId {
        SignalId(format!("SH-C-{}", masked_id.trim_start_matches("SH-").replace('-', "")))
    }

    /// A signal ID as written (e.g. in a CRM export), if it is one.
    pub fn parse(text: &str) -> Option<SignalId> {
        let text = text.trim();
        let valid = if let Some(n) = text.strip_prefix("SH-A-") {
            n.len() >= 7 && n.bytes().all(|b| b.is_ascii_digit()) && n.parse::<i64>().is_ok_and(|n| n > 0)
        } else if let Some(m) = text.strip_prefix("SH-C-") {
            m.len() == 8 && m.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        } else {
            false
        };
        valid.then(|| SignalId(text.to_owned()))
    }

    pub fn kind(&self) -> SignalKind {
        if self.0.starts_with("SH-A-") { SignalKind::Alert } else { SignalKind::Case }
    }

    /// The alert's number, for an alert's signal.
    pub fn alert_number(&self) -> Option<i64> {
        self.0.strip_prefix("SH-A-").and_then(|n| n.parse().ok())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SignalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What happened to a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// An alert was opened, or a case was flagged for review.
    Opened,
    Acknowledged,
    /// Nobody acknowledged it in time: the next queue of its route's chain was notified.
    Escalated,
    HandedOff,
    Closed,
}

impl EventKind {
    /// The event's type as published (`alert.opened`, `case.flagged`, `alert.handed_off`, …).
    pub fn type_name(self, kind: SignalKind) -> String {
        let event = match (self, kind) {
            (EventKind::Opened, SignalKind::Case) => "flagged",
            (EventKind::Opened, SignalKind::Alert) => "opened",
            (EventKind::Acknowledged, _) => "acknowledged",
            (EventKind::Escalated, _) => "escalated",
            (EventKind::HandedOff, _) => "handed_off",
            (EventKind::Closed, _) => "closed",
        };
        format!("{}.{event}", kind.name())
    }
}

/// An event's payload: the signal as it stood after the event. Nothing personal: a masked ID, never a name,
/// contact, narrative or free-text note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Payload {
    pub signal_id: SignalId,
    /// `alert.opened`, `case.flagged`, …
    #[serde(rename = "type")]
    pub type_name: String,
    pub kind: SignalKind,
    pub event: EventKind,
    pub masked_id: String,
    /// DV level (`low` … `critical`) of an alert; a case's level is `high` when its probability is at or above the
    /// model's threshold.
    pub level: Option<String>,
    /// DV patterns found by the assessment that opened the alert.
    pub patterns: Vec<String>,
    /// An alert's overall DV score (0–100), a case's probability of distress (0–1).
    pub score: Option<f64>,
    /// Against the survivor's previous assessment, or the case's probability 3 months earlier.
    pub score_change: Option<f64>,
    pub region: Option<String>,
    /// The DV scoring tables' version, or the model's.
    pub version: String,
    pub state: State,
    /// The queue it is in now, and the route that put it there.
    pub queue: String,
    pub route: String,
    /// The escalation step (1, 2, …) this event notified; none for other events.
    pub escalation_step: Option<u32>,
    pub closing_reason: Option<ClosingReason>,
    /// The CRM's record ID, once known.
    pub crm_id: Option<String>,
    /// Whether it arose in a crisis drill (drill traffic reaches training queues only).
    pub drill: bool,
    /// RFC 3339, UTC, milliseconds.
    pub opened_at: String,
    pub occurred_at: String,
}

/// An outbox event: its number (the cursor, in commit order) and payload.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub number: i64,
    pub payload: Payload,
}

impl Event {
    /// The event's ID, stable across retries and replays (the webhook's `webhook-id`, a Task's External ID).
    pub fn id(&self) -> String {
        format!("{}.{}", self.payload.signal_id, self.number)
    }

    /// The webhook body: Standard Webhooks' recommended `type`, `timestamp`, `data`.
    pub fn webhook_body(&self) -> String {
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(rename = "type")]
            type_name: &'a str,
            timestamp: &'a str,
            #[serde(rename = "eventId")]
            event_id: String,
            data: &'a Payload,
        }
        let body = Body {
            type_name: &self.payload.type_name,
            timestamp: &self.payload.occurred_at,
            event_id: self.id(),
            data: &self.payload,
        };
        serde_json::to_string(&body).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_ids_are_stable_and_parse_back() {
        let alert = SignalId::alert(12);
        assert_eq!(alert.as_str(), "SH-A-0000012");
        assert_eq!((alert.kind(), alert.alert_number()), (SignalKind::Alert, Some(12)));
        let case = SignalId::case("SH-7K2Q-9XPM");
        assert_eq!(case.as_str(), "SH-C-7K2Q9XPM");
        assert_eq!(case.kind(), SignalKind::Case);
        for good in ["SH-A-0000012", "SH-C-7K2Q9XPM", " SH-A-12345678 "] {
            assert!(SignalId::parse(good).is_some(), "{good}");
        }
        for bad in ["", "SH-A-12", "SH-A-0000000", "SH-C-7k2q9xpm", "SH-C-7K2Q", "AL-0000012", "SH-X-0000012"] {
            assert!(SignalId::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn event_types_name_the_kind() {
        assert_eq!(EventKind::Opened.type_name(SignalKind::Alert), "alert.opened");
        assert_eq!(EventKind::Opened.type_name(SignalKind::Case), "case.flagged");
        assert_eq!(EventKind::HandedOff.type_name(SignalKind::Case), "case.handed_off");
    }
}
