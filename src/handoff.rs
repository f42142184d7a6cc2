//! Hand-off of SafeHaven's signals to the CRM, and their routing, pure (no I/O). A signal is a crisis alert or a
//! case flagged for review; every human act on it (opened, acknowledged, escalated, handed off, closed) becomes an
//! outbox event with a thin payload that carries nothing personal (`signal`). The workflow's states, closing
//! reasons and SLA clocks are `workflow`; the Salesforce Bulk API 2.0 files and their manifest `salesforce`; the
//! Standard Webhooks signature and the retry schedule `webhook`; the routing tree, escalation chains and quiet
//! hours of `routing.toml` `rules`. Storing events is the warehouse's job, sending them the egress module's.

pub mod rules;
pub mod salesforce;
pub mod signal;
pub mod webhook;
pub mod workflow;

pub use signal::{EventKind, Payload, SignalId, SignalKind};
pub use workflow::{ClosingReason, State};
