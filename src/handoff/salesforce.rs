//! Salesforce files from outbox events, in Bulk API 2.0 form: `Case.csv` (one row per signal, its state after the
//! range's last event about it) and `Task.csv` (a follow-up task per escalation and per hand-off), UTF-8, LF, a
//! header of field API names, datetimes as `yyyy-MM-ddTHH:mm:ss.SSSZ`, `#N/A` only to clear a field SafeHaven
//! owns; and `manifest.json` with each file's ingest job body (`object`, `externalIdFieldName`, `operation:
//! upsert`), row count and SHA-256, and the cursor range. Rows are upserts on the signal's (or the event's) ID,
//! so loading a file twice updates what the first load made. The same events and field map give the same bytes.
//!
//! Every org's picklists differ, so the field map (`[handoff.salesforce]` in `appliance.toml`) names the values
//! and the custom fields; [`FieldMap::default`] is what README.md's "Hand-off to the CRM" documents.

use super::signal::{Event, EventKind, Payload, SignalKind};
use super::workflow::State;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// How SafeHaven's fields land in the org: picklist values and custom field API names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FieldMap {
    /// The Case's External ID field: the signal ID.
    pub external_id: String,
    /// The Task's External ID field: the event ID.
    pub task_external_id: String,
    /// The Task column that relates it to its Case by the Case's External ID (Task.WhatId is polymorphic, hence
    /// `ObjectType:RelationshipName.IndexedFieldName`).
    pub task_case: String,
    /// `Case.Origin`.
    pub origin: String,
    /// `Case.Type` by signal kind.
    pub case_type_alert: String,
    pub case_type_case: String,
    /// `Case.Priority` (and `Task.Priority`) by level: `critical`, `high`, `moderate`, `low`.
    pub priority: BTreeMap<String, String>,
    /// `Case.Status` by state: `open`, `acknowledged`, `handed_off`, `closed`.
    pub status: BTreeMap<String, String>,
    /// `Task.Status` of a new follow-up task.
    pub task_status: String,
    /// Custom fields SafeHaven owns (and so may clear with `#N/A`).
    pub fields: CustomFields,
}

/// API names of the custom fields SafeHaven fills.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CustomFields {
    pub masked_id: String,
    pub kind: String,
    pub level: String,
    pub patterns: String,
    pub score: String,
    pub score_change: String,
    pub region: String,
    pub version: String,
    pub queue: String,
    pub state: String,
    pub closing_reason: String,
    pub drill: String,
    pub opened_at: String,
    pub updated_at: String,
    pub last_event: String,
}

impl Default for CustomFields {
    fn default() -> Self {
        let f = |name: &str| format!("SafeHaven_{name}__c");
        CustomFields {
            masked_id: f("Masked_Id"),
            kind: f("Kind"),
            level: f("Level"),
            patterns: f("Patterns"),
            score: f("Score"),
            score_change: f("Score_Change"),
            region: f("Region"),
            version: f("Version"),
            queue: f("Queue"),
            state: f("State"),
            closing_reason: f("Closing_Reason"),
            drill: f("Drill"),
            opened_at: f("Opened_At"),
            updated_at: f("Updated_At"),
            last_event: f("Last_Event_Id"),
        }
    }
}

impl Default for FieldMap {
    fn default() -> Self {
        let map = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        FieldMap {
            external_id: "SafeHaven_Signal_Id__c".into(),
            task_external_id: "SafeHaven_Event_Id__c".into(),
            task_case: "Case:What.SafeHaven_Signal_Id__c".into(),
            origin: "SafeHaven".into(),
            case_type_alert: "Crisis Alert".into(),
            case_type_case: "Financial Distress".into(),
            priority: map(&[("critical", "High"), ("high", "High"), ("moderate", "Medium"), ("low", "Low")]),
            status: map(&[
                ("open", "New"),
                ("acknowledged", "Working"),
                ("handed_off", "Escalated"),
                ("closed", "Closed"),
            ]),
            task_status: "Not Started".into(),
            fields: CustomFields::default(),
        }
    }
}

/// Clears a field SafeHaven owns on upsert (an empty value would leave it unchanged).
const CLEAR: &str = "#N/A";

impl FieldMap {
    /// Every value is set, and no name or value could break a CSV header or row.
    pub fn check(&self) -> Result<(), String> {
        let f = &self.fields;
        let names = [
            ("external_id", &self.external_id),
            ("task_external_id", &self.task_external_id),
            ("task_case", &self.task_case),
            ("fields.masked_id", &f.masked_id),
            ("fields.kind", &f.kind),
            ("fields.level", &f.level),
            ("fields.patterns", &f.patterns),
            ("fields.score", &f.score),
            ("fields.score_change", &f.score_change),
            ("fields.region", &f.region),
            ("fields.version", &f.version),
            ("fields.queue", &f.queue),
            ("fields.state", &f.state),
            ("fields.closing_reason", &f.closing_reason),
            ("fields.drill", &f.drill),
            ("fields.opened_at", &f.opened_at),
            ("fields.updated_at", &f.updated_at),
            ("fields.last_event", &f.last_event),
        ];
        for (key, name) in names {
            let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.:".contains(c));
            if !ok {
                return Err(format!(
                    "[handoff.salesforce] {key} = `{name}` is not a field API name (letters, digits, _)"
                ));
            }
        }
        for (table, keys) in
            [("priority", &["critical", "high", "moderate", "low"][..]), ("status", &State::ALL.map(State::name)[..])]
        {
            let values = if table == "priority" { &self.priority } else { &self.status };
            for key in keys {
                if values.get(*key).is_none_or(|v| v.trim().is_empty()) {
                    return Err(format!("[handoff.salesforce.{table}] needs a value for `{key}`"));
                }
            }
            if let Some(extra) = values.keys().find(|k| !keys.contains(&k.as_str())) {
                return Err(format!("[handoff.salesforce.{table}] has `{extra}`; the keys are {}", keys.join(", ")));
            }
        }
        let values = [&self.origin, &self.case_type_alert, &self.case_type_case, &self.task_status];
        if let Some(bad) = values
            .into_iter()
            .chain(self.priority.values())
            .chain(self.status.values())
            .find(|v| v.contains(['\n', '\r']))
        {
            return Err(format!("[handoff.salesforce] a picklist value spans lines: `{}`", crate::text::clip(bad, 40)));
        }
        Ok(())
    }

    fn priority(&self, p: &Payload) -> String {
        let level = p.level.as_deref().unwrap_or("moderate");
        self.priority.get(level).cloned().unwrap_or_default()
    }
}

/// One file of an export, with its ingest job.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileEntry {
    pub file: String,
    pub rows: usize,
    pub sha256: String,
    /// The body of the Bulk API 2.0 ingest job to create for this file.
    pub job: Job,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub object: String,
    pub external_id_field_name: String,
    pub content_type: &'static str,
    pub operation: &'static str,
    pub line_ending: &'static str,
    pub column_delimiter: &'static str,
}

/// The cursor range an export covers: events after `from` up to and including `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cursor {
    pub from: i64,
    pub to: i64,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: &'static str,
    pub cursor: Cursor,
    pub events: usize,
    pub files: Vec<FileEntry>,
    /// Pass `--since` this to export what came after.
    pub next_since: i64,
}

/// An export: each file's name and bytes, and the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    pub files: Vec<(String, Vec<u8>)>,
    pub manifest: Manifest,
}

fn datetime(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_else(|_| CLEAR.to_owned())
}

fn number(value: Option<f64>) -> String {
    value.filter(|v| v.is_finite()).map_or_else(|| CLEAR.to_owned(), |v| format!("{}", (v * 1e6).round() / 1e6))
}

fn owned(value: Option<&str>) -> String {
    value.filter(|v| !v.is_empty()).map_or_else(|| CLEAR.to_owned(), str::to_owned)
}

fn csv(header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut writer = ::csv::WriterBuilder::new().terminator(::csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = writer.write_record(header);
    for row in rows {
        let _ = writer.write_record(row);
    }
    writer.into_inner().unwrap_or_default()
}

fn job(object: &str, external_id: &str) -> Job {
    Job {
        object: object.to_owned(),
        external_id_field_name: external_id.to_owned(),
        content_type: "CSV",
        operation: "upsert",
        line_ending: "LF",
        column_delimiter: "COMMA",
    }
}

fn entry(file: &str, bytes: &[u8], rows: usize, job: Job) -> FileEntry {
    FileEntry { file: file.to_owned(), rows, sha256: hex::encode(Sha256::digest(bytes)), job }
}

/// The files for the events in `cursor` (in event order; those outside it are ignored).
pub fn export(events: &[Event], map: &FieldMap, cursor: Cursor) -> Export {
    let events: Vec<&Event> = events.iter().filter(|e| e.number > cursor.from && e.number <= cursor.to).collect();
    let f = &map.fields;
    // Cases: the last event in range of each signal, in signal-ID order.
    let mut last: BTreeMap<&str, &Event> = BTreeMap::new();
    for event in &events {
        last.insert(event.payload.signal_id.as_str(), event);
    }
    let case_header: Vec<String> = [
        map.external_id.as_str(),
        "Subject",
        "Origin",
        "Type",
        "Priority",
        "Status",
        &f.masked_id,
        &f.kind,
        &f.level,
        &f.patterns,
        &f.score,
        &f.score_change,
        &f.region,
        &f.version,
        &f.queue,
        &f.state,
        &f.closing_reason,
        &f.drill,
        &f.opened_at,
        &f.updated_at,
        &f.last_event,
    ]
    .map(str::to_owned)
    .to_vec();
    let case_rows: Vec<Vec<String>> = last
        .values()
        .map(|event| {
            let p = &event.payload;
            let (noun, case_type) = match p.kind {
                SignalKind::Alert => ("crisis alert", &map.case_type_alert),
                SignalKind::Case => ("case for review", &map.case_type_case),
            };
            vec![
                p.signal_id.to_string(),
                format!("SafeHaven {noun} {}", p.signal_id),
                map.origin.clone(),
                case_type.clone(),
                map.priority(p),
                map.status.get(p.state.name()).cloned().unwrap_or_default(),
                p.masked_id.clone(),
                p.kind.name().to_owned(),
                owned(p.level.as_deref()),
                if p.patterns.is_empty() { CLEAR.to_owned() } else { p.patterns.join(";") },
                number(p.score),
                number(p.score_change),
                owned(p.region.as_deref()),
                p.version.clone(),
                p.queue.clone(),
                p.state.name().to_owned(),
                owned(p.closing_reason.map(|r| r.name())),
                p.drill.to_string(),
                datetime(&p.opened_at),
                datetime(&p.occurred_at),
                event.id(),
            ]
        })
        .collect();
    let task_header: Vec<String> =
        [map.task_external_id.as_str(), &map.task_case, "Subject", "Status", "Priority", "ActivityDate", &f.queue]
            .map(str::to_owned)
            .to_vec();
    let task_rows: Vec<Vec<String>> = events
        .iter()
        .filter_map(|event| {
            let p = &event.payload;
            let subject = match p.event {
                EventKind::Escalated => format!(
                    "Unacknowledged: {} escalated to {} (step {})",
                    p.signal_id,
                    p.queue,
                    p.escalation_step.unwrap_or(1)
                ),
                EventKind::HandedOff => format!("Follow up the hand-off of {}", p.signal_id),
                _ => return None,
            };
            Some(vec![
                event.id(),
                p.signal_id.to_string(),
                subject,
                map.task_status.clone(),
                map.priority(p),
                p.occurred_at.get(..10).unwrap_or_default().to_owned(),
                p.queue.clone(),
            ])
        })
        .collect();
    let case_csv = csv(&case_header, &case_rows);
    let task_csv = csv(&task_header, &task_rows);
    let files = vec![
        entry("Case.csv", &case_csv, case_rows.len(), job("Case", &map.external_id)),
        entry("Task.csv", &task_csv, task_rows.len(), job("Task", &map.task_external_id)),
    ];
    let manifest =
        Manifest { format: "salesforce-bulk-api-2.0", cursor, events: events.len(), files, next_since: cursor.to };
    Export { files: vec![("Case.csv".into(), case_csv), ("Task.csv".into(), task_csv)], manifest }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handoff::signal::SignalId;
    use crate::handoff::workflow::ClosingReason;

    fn payload(signal: SignalId, event: EventKind, state: State, at: &str) -> Payload {
        Payload {
            type_name: event.type_name(signal.kind()),
            kind: signal.kind(),
            signal_id: signal,
            event,
            masked_id: "SH-7K2Q-9XPM".into(),
            level: Some("critical".into()),
            patterns: vec!["strangulation_choking".into(), "threats_to_kill".into()],
            score: Some(81.5),
            score_change: None,
            region: Some("Ohio".into()),
            version: "dv-scoring-2026.11-1".into(),
            state,
            queue: "crisis".into(),
            route: "root/critical".into(),
            escalation_step: (event == EventKind::Escalated).then_some(1),
            closing_reason: (state == State::Closed).then_some(ClosingReason::Referred),
            crm_id: None,
            drill: false,
            opened_at: "2026-12-01T09:00:00Z".into(),
            occurred_at: at.into(),
        }
    }

    fn events() -> Vec<Event> {
        let a = SignalId::alert(3);
        vec![
            Event { number: 1, payload: payload(a.clone(), EventKind::Opened, State::Open, "2026-12-01T09:00:00Z") },
            Event {
                number: 2,
                payload: payload(a.clone(), EventKind::Escalated, State::Open, "2026-12-01T09:15:00.5Z"),
            },
            Event { number: 3, payload: payload(a, EventKind::Closed, State::Closed, "2026-12-01T10:00:00Z") },
        ]
    }

    #[test]
    fn case_and_task_files_are_bulk_api_csv() {
        let export = export(&events(), &FieldMap::default(), Cursor { from: 0, to: 3 });
        let case = String::from_utf8(export.files[0].1.clone()).unwrap();
        assert!(!case.contains('\r'), "LF only");
        let mut reader = ::csv::Reader::from_reader(case.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(&header[..6], ["SafeHaven_Signal_Id__c", "Subject", "Origin", "Type", "Priority", "Status"]);
        let rows: Vec<::csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1, "one row per signal: its last state in the range");
        let row: BTreeMap<&str, &str> = header.iter().map(String::as_str).zip(rows[0].iter()).collect();
        assert_eq!(row["Status"], "Closed");
        assert_eq!(row["Priority"], "High");
        assert_eq!(row["SafeHaven_Score_Change__c"], "#N/A", "a field SafeHaven owns is cleared");
        assert_eq!(row["SafeHaven_Patterns__c"], "strangulation_choking;threats_to_kill");
        assert_eq!(row["SafeHaven_Updated_At__c"], "2026-12-01T10:00:00.000Z");
        assert_eq!(row["SafeHaven_Closing_Reason__c"], "referred");
        let task = String::from_utf8(export.files[1].1.clone()).unwrap();
        assert_eq!(task.lines().count(), 2, "one follow-up task, for the escalation:\n{task}");
        assert!(task.starts_with("SafeHaven_Event_Id__c,Case:What.SafeHaven_Signal_Id__c,"));
        assert!(task.contains("SH-A-0000003.2,SH-A-0000003,Unacknowledged: SH-A-0000003 escalated to crisis (step 1)"));
        let m = &export.manifest;
        assert_eq!((m.events, m.files[0].rows, m.files[1].rows, m.next_since), (3, 1, 1, 3));
        assert_eq!(m.files[0].sha256, hex::encode(Sha256::digest(&export.files[0].1)));
        assert_eq!(
            (m.files[0].job.operation, m.files[0].job.external_id_field_name.as_str()),
            ("upsert", "SafeHaven_Signal_Id__c")
        );
    }

    #[test]
    fn a_range_exports_the_same_bytes_and_only_its_events() {
        let map = FieldMap::default();
        assert_eq!(
            export(&events(), &map, Cursor { from: 0, to: 2 }),
            export(&events(), &map, Cursor { from: 0, to: 2 })
        );
        let later = export(&events(), &map, Cursor { from: 2, to: 3 });
        assert_eq!(later.manifest.events, 1);
        assert!(String::from_utf8(later.files[1].1.clone()).unwrap().lines().count() == 1, "no task in (2, 3]");
    }

    #[test]
    fn the_field_map_is_checked() {
        assert_eq!(FieldMap::default().check(), Ok(()));
        let mut map = FieldMap::default();
        map.priority.remove("low");
        assert!(map.check().unwrap_err().contains("needs a value for `low`"));
        let mut map = FieldMap::default();
        map.fields.score = "Score, Total".into();
        assert!(map.check().unwrap_err().contains("fields.score"));
        let mut map = FieldMap::default();
        map.status.insert("escalated".into(), "Escalated".into());
        assert!(map.check().unwrap_err().contains("`escalated`"));
    }
}
