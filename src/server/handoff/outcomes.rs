//! What the CRM did with the signals it was handed, read back from a Salesforce export
//! (`SafeHaven_Signal_Id__c, Id, Status, IsClosed, ClosedDate`): the CRM's record ID is stored, and the signal moves
//! to handed_off, or to closed (reason `referred`: SafeHaven referred it, the CRM's team closed it). Unknown signal
//! IDs are reported and never created; a row that changes nothing writes nothing, so importing the same file twice
//! changes nothing the second time. Also the Salesforce export of the outbox, for `handoff export`.

use super::{Handoff, Move, transition};
use crate::handoff::salesforce::{self, Cursor};
use crate::handoff::signal::SignalId;
use crate::handoff::workflow::{Act, ClosingReason, State};
use crate::server::ApiError;
use crate::warehouse::service::Service;
use serde::Serialize;

/// The columns of an outcomes file: the signal ID column is the field map's External ID.
const COLUMNS: [&str; 4] = ["Id", "Status", "IsClosed", "ClosedDate"];

/// What an import did, row by row where it matters.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeReport {
    pub rows: usize,
    pub handed_off: usize,
    pub closed: usize,
    pub unchanged: usize,
    /// Rows whose signal ID SafeHaven never issued: `(line, what was written)`.
    pub unknown_signals: Vec<(usize, String)>,
    /// Rows that could not be read: `(line, why)`.
    pub rejected: Vec<(usize, String)>,
}

/// Reads and applies an outcomes file, in the caller's transaction. A file whose header is not the expected one
/// (an unknown or a missing column) is refused whole, with nothing changed.
pub fn import(
    handoff: &Handoff,
    service: &Service,
    file: &str,
    text: &str,
    actor: &str,
    at: &str,
) -> Result<OutcomeReport, ApiError> {
    let id_column = handoff.field_map.external_id.clone();
    let mut reader = ::csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| ApiError::Unprocessable(format!("{file}: the header cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
        .collect();
    let expected: Vec<&str> = std::iter::once(id_column.as_str()).chain(COLUMNS).collect();
    if let Some(unknown) = header.iter().find(|h| !expected.contains(&h.as_str())) {
        return Err(ApiError::Unprocessable(format!(
            "{file}:1: unknown column `{}`; an outcomes file has {} (export them from Salesforce's Case object); nothing was changed",
            crate::text::clip(unknown, 40),
            expected.join(", ")
        )));
    }
    if let Some(missing) = expected.iter().find(|e| !header.iter().any(|h| h == *e)) {
        return Err(ApiError::Unprocessable(format!(
            "{file}:1: column `{missing}` is missing; an outcomes file has {}; nothing was changed",
            expected.join(", ")
        )));
    }
    let column = |name: &str| header.iter().position(|h| h == name).unwrap_or_default();
    let (signal_col, id_col, closed_col, date_col) =
        (column(&id_column), column("Id"), column("IsClosed"), column("ClosedDate"));
    let mut report = OutcomeReport::default();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        report.rows += 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                report.rejected.push((line, format!("unreadable: {e}")));
                continue;
            }
        };
        let written = record.get(signal_col).unwrap_or_default();
        let Some(signal_id) = SignalId::parse(written) else {
            report.unknown_signals.push((line, crate::text::clip(written, 40)));
            continue;
        };
        let Some(signal) = service.signal(&signal_id)? else {
            report.unknown_signals.push((line, signal_id.to_string()));
            continue;
        };
        let crm_id = record.get(id_col).unwrap_or_default().trim().to_owned();
        if crm_id.is_empty()
            || crm_id.len() > 64
            || !crm_id.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
        {
            report.rejected.push((line, format!("Id `{}` is not a record ID", crate::text::clip(&crm_id, 30))));
            continue;
        }
        let is_closed = match record.get(closed_col).unwrap_or_default().trim().to_ascii_lowercase().as_str() {
            "true" | "1" => true,
            "false" | "0" | "" => false,
            other => {
                report
                    .rejected
                    .push((line, format!("IsClosed `{}` is not true or false", crate::text::clip(other, 20))));
                continue;
            }
        };
        let written_date = record.get(date_col).unwrap_or_default().trim();
        let closed_at = match written_date {
            "" => None,
            d => match chrono::DateTime::parse_from_rfc3339(d) {
                Ok(d) => Some(d.with_timezone(&chrono::Utc).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                Err(_) => {
                    report.rejected.push((
                        line,
                        format!(
                            "ClosedDate `{}` is not a datetime like 2026-12-01T10:00:00.000Z",
                            crate::text::clip(d, 30)
                        ),
                    ));
                    continue;
                }
            },
        };
        // A row about an earlier life of a signal (a case closed, then flagged again) is not this one's outcome.
        if closed_at.as_deref().is_some_and(|c| c < signal.payload.opened_at.as_str()) {
            report.unchanged += 1;
            continue;
        }
        let target = crate::handoff::workflow::outcome_state(is_closed);
        let state = signal.payload.state;
        let crm_known = signal.payload.crm_id.as_deref() == Some(crm_id.as_str());
        if state == State::Closed || (state == target && crm_known) {
            report.unchanged += 1;
            continue;
        }
        if state != State::HandedOff || !crm_known {
            let crm_id = Some(crm_id.clone());
            let m = Move { act: Act::HandOff, actor, at, reason: None, crm_id, escalation: None, note: None };
            transition(service, &signal_id, m)?;
            report.handed_off += 1;
        }
        if is_closed {
            let when = closed_at.as_deref().unwrap_or(at);
            let m = Move {
                act: Act::Close,
                actor,
                at: when,
                reason: Some(ClosingReason::Referred),
                crm_id: Some(crm_id.clone()),
                escalation: None,
                note: None,
            };
            transition(service, &signal_id, m)?;
            report.closed += 1;
        }
    }
    Ok(report)
}

/// The Salesforce files for the events after `since` up to `until` (the newest, by default).
pub fn export(
    handoff: &Handoff,
    service: &Service,
    since: i64,
    until: Option<i64>,
) -> Result<salesforce::Export, ApiError> {
    let last = service.last_event_no()?;
    let to = until.unwrap_or(last);
    if since < 0 || to < since {
        return Err(ApiError::Unprocessable(format!(
            "--since {since} --until {to}: the range must run forward from 0 (the outbox's newest event is {last})"
        )));
    }
    if to > last {
        return Err(ApiError::Unprocessable(format!(
            "--until {to} is past the outbox's newest event ({last}): nothing can be exported from the future"
        )));
    }
    let events = service.events(since, to, usize::MAX)?;
    Ok(salesforce::export(&events, &handoff.field_map, Cursor { from: since, to }))
}

/// Exports the range into `dir` (created if needed): each file written whole and renamed into place, the
/// manifest last, so a reader that finds the manifest finds the files it names. Audited after it is written.
pub fn export_to(
    handoff: &Handoff,
    service: &Service,
    audit: &crate::privacy::audit::AuditLog,
    dir: &std::path::Path,
    since: i64,
    until: Option<i64>,
    actor: &str,
) -> Result<salesforce::Manifest, ApiError> {
    let export = export(handoff, service, since, until)?;
    let unwritable = |e: std::io::Error| {
        ApiError::Unprocessable(format!("cannot write to {}: {e}: choose another --out", dir.display()))
    };
    std::fs::create_dir_all(dir).map_err(unwritable)?;
    let manifest = serde_json::to_vec_pretty(&export.manifest).map_err(ApiError::internal)?;
    let manifest = [manifest, b"\n".to_vec()].concat();
    for (name, bytes) in export.files.iter().map(|(n, b)| (n.as_str(), b)).chain([("manifest.json", &manifest)]) {
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, dir.join(name))).map_err(unwritable)?;
    }
    let m = &export.manifest;
    let event = crate::privacy::audit::Event {
        actor: actor.to_owned(),
        action: "handoff.export".into(),
        subject: format!("events {}..={}", m.cursor.from + 1, m.cursor.to),
        reason: m
            .files
            .iter()
            .map(|f| format!("{} {} rows sha256 {}", f.file, f.rows, f.sha256))
            .collect::<Vec<_>>()
            .join("; "),
    };
    let at = super::now();
    audit.append(event, at).map_err(ApiError::internal)?;
    Ok(export.manifest)
}
