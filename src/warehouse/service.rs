//! The service database, `DATA_DIR/service.duckdb`: what the running server writes (survivors and incidents
//! created through the API, stored assessments and screens, crisis alerts), kept apart from the warehouse, which
//! stays read-only so the CLI can read it while the server runs. The sealed PII of API survivors goes to
//! `service-vault.bin` beside it. While a server holds the database, the CLI cannot read it.

mod ledger;
mod outbox;

pub use ledger::ReleaseKey;
pub use outbox::{Delivery, Destination, Signal};

use super::{Error, Result};
use duckdb::{AccessMode, Connection, Row};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The SQL this file runs, from `sql/service/`.
mod sql {
    pub const VERSION: &str = include_str!("../../sql/service/version.sql");
    pub const VERSION_GET: &str = include_str!("../../sql/service/version_get.sql");
    pub const VERSION_SET: &str = include_str!("../../sql/service/version_set.sql");
    pub const SCHEMA: &str = include_str!("../../sql/service/schema.sql");
    pub const ASSESSMENT_INSERT: &str = include_str!("../../sql/service/assessment_insert.sql");
    pub const ASSESSMENT_LATEST: &str = include_str!("../../sql/service/assessment_latest.sql");
    pub const ASSESSMENT_NEXT: &str = include_str!("../../sql/service/assessment_next.sql");
    pub const SURVIVOR_INSERT: &str = include_str!("../../sql/service/survivor_insert.sql");
    pub const SURVIVOR_GET: &str = include_str!("../../sql/service/survivor_get.sql");
    pub const INCIDENT_INSERT: &str = include_str!("../../sql/service/incident_insert.sql");
    pub const INCIDENTS_GET: &str = include_str!("../../sql/service/incidents_get.sql");
    pub const VAULT_INSERT: &str = include_str!("../../sql/service/vault_insert.sql");
    pub const HAS_SURVIVORS: &str = include_str!("../../sql/service/has_survivors.sql");
    pub const SURVIVOR_REGION: &str = include_str!("../../sql/service/survivor_region.sql");
    pub const SURVIVOR_IDS: &str = include_str!("../../sql/service/survivor_ids.sql");
    pub const VAULT_RECORDS: &str = include_str!("../../sql/service/vault_records.sql");
    pub const VAULT_END: &str = include_str!("../../sql/service/vault_end.sql");
    pub const SCREEN_INSERT: &str = include_str!("../../sql/service/screen_insert.sql");
    pub const SCREEN_LATEST: &str = include_str!("../../sql/service/screen_latest.sql");
    pub const ALERT_OPEN: &str = include_str!("../../sql/service/alert_open.sql");
    pub const ALERT_OPEN_FOR: &str = include_str!("../../sql/service/alert_open_for.sql");
    pub const ALERT_LIST: &str = include_str!("../../sql/service/alert_list.sql");
    pub const ALERT_GET: &str = include_str!("../../sql/service/alert_get.sql");
    pub const ALERT_UPDATE: &str = include_str!("../../sql/service/alert_update.sql");
    pub const FLAG_INSERT: &str = include_str!("../../sql/service/flag_insert.sql");
    pub const FLAG_LIST: &str = include_str!("../../sql/service/flag_list.sql");
}

pub const FILE_NAME: &str = "service.duckdb";

/// One assessment as stored: its number, whose it is, when, and the document as served.
pub struct StoredAssessment<'a> {
    pub number: i64,
    pub masked_id: &'a str,
    pub as_of: &'a str,
    pub created_at: &'a str,
    pub level: &'a str,
    pub overall: f64,
    pub document: &'a str,
}

pub const VAULT_FILE: &str = "service-vault.bin";
/// Version of `sql/service/schema.sql`; a service database of another version is refused, never altered.
pub const SCHEMA_VERSION: i32 = 1;

/// A read-write handle on the service database. One server process holds it at a time.
pub struct Service {
    conn: Connection,
    dir: PathBuf,
}

/// One sealed record of an API survivor: its contact details, or one incident's narrative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedRecord {
    /// `survivor` or `narrative`.
    pub kind: String,
    /// The incident a narrative belongs to.
    pub incident_no: Option<i64>,
    pub ciphertext: Vec<u8>,
}

/// A survivor created through the API: metadata only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSurvivor {
    pub region: &'static str,
    pub profile: crate::dv::Profile,
}

/// Connects to the service database; a lock held by another process means a server is using it.
fn connect(data_dir: &Path, access: AccessMode) -> Result<Connection> {
    super::connect(&data_dir.join(FILE_NAME), access)
}

impl Service {
    /// Opens (creating if needed) the data dir's service database and applies its schema.
    pub fn open(data_dir: &Path) -> Result<Self> {
        let conn = connect(data_dir, AccessMode::ReadWrite)?;
        let (has_meta, tables): (i64, i64) = conn.query_row(sql::VERSION, [], |row| Ok((row.get(0)?, row.get(1)?)))?;
        // A new database has no tables; one from before versions were recorded has tables but no svc.meta.
        let version: Option<i32> = match (has_meta, tables) {
            (0, 0) => None,
            (0, _) => Some(0),
            _ => conn.query_row(sql::VERSION_GET, [], |row| row.get::<_, Option<i32>>(0))?.or(Some(0)),
        };
        if let Some(found) = version.filter(|v| *v != SCHEMA_VERSION) {
            return Err(Error::OldService { path: data_dir.join(FILE_NAME), found, needed: SCHEMA_VERSION });
        }
        conn.execute_batch(sql::SCHEMA)?;
        conn.execute_batch(sql::VERSION_SET)?;
        Ok(Service { conn, dir: data_dir.to_owned() })
    }

    /// Opens the service database read-only, for the CLI: `None` if no server ever ran here (or none that could
    /// hold API survivors); `Busy` while a server holds it.
    pub fn open_read_only(data_dir: &Path) -> Result<Option<Self>> {
        let path: PathBuf = data_dir.join(FILE_NAME);
        if !path.is_file() {
            return Ok(None);
        }
        let conn = connect(data_dir, AccessMode::ReadOnly)?;
        let tables: i64 = conn.query_row(sql::HAS_SURVIVORS, [], |row| row.get(0))?;
        Ok((tables > 0).then(|| Service { conn, dir: data_dir.to_owned() }))
    }

    /// Every API survivor's case.
    pub fn dv_cases(&self) -> Result<Vec<super::DvCase>> {
        let mut stmt = self.conn.prepare(sql::SURVIVOR_IDS)?;
        let ids: Vec<String> = stmt.query_map([], |row| row.get(0))?.collect::<std::result::Result<_, _>>()?;
        let mut cases = Vec::with_capacity(ids.len());
        for id in ids {
            cases.extend(self.dv_case(&id)?);
        }
        Ok(cases)
    }

    /// Runs `work` in one transaction: everything it wrote is committed together, or (on any error) nothing is.
    pub fn transaction<T, E>(&self, work: impl FnOnce(&Self) -> std::result::Result<T, E>) -> std::result::Result<T, E>
    where
        E: From<Error>,
    {
        // Rolled back when dropped: an error (or a panic) in `work` leaves nothing of it behind.
        let transaction = self.conn.unchecked_transaction().map_err(|e| E::from(e.into()))?;
        let value = work(self)?;
        transaction.commit().map_err(|e| E::from(e.into()))?;
        Ok(value)
    }

    /// Another connection to the same database (for another thread or another app in this process).
    pub fn handle(&self) -> Result<Self> {
        Ok(Service { conn: self.conn.try_clone()?, dir: self.dir.clone() })
    }

    /// The number the next stored assessment gets.
    pub fn next_assessment_no(&self) -> Result<i64> {
        Ok(self.conn.query_row(sql::ASSESSMENT_NEXT, [], |row| row.get(0))?)
    }

    /// Stores an assessment document.
    pub fn store_assessment(&self, a: &StoredAssessment<'_>) -> Result<()> {
        self.conn.execute(
            sql::ASSESSMENT_INSERT,
            duckdb::params![a.number, a.masked_id, a.as_of, a.created_at, a.level, a.overall, a.document],
        )?;
        Ok(())
    }

    /// The latest stored assessment of a survivor: its number and document.
    pub fn latest_assessment(&self, masked_id: &str) -> Result<Option<(i64, String)>> {
        let mut stmt = self.conn.prepare_cached(sql::ASSESSMENT_LATEST)?;
        let mut rows = stmt.query([masked_id])?;
        match rows.next()? {
            Some(row) => Ok(Some((row.get(0)?, row.get(1)?))),
            None => Ok(None),
        }
    }

    /// An API survivor's region.
    pub fn survivor_region(&self, masked_id: &str) -> Result<Option<String>> {
        let mut stmt = self.conn.prepare_cached(sql::SURVIVOR_REGION)?;
        let mut rows = stmt.query([masked_id])?;
        Ok(match rows.next()? {
            Some(row) => Some(row.get(0)?),
            None => None,
        })
    }

    /// Whether an API survivor exists.
    pub fn has_survivor(&self, masked_id: &str) -> Result<bool> {
        let mut stmt = self.conn.prepare_cached(sql::SURVIVOR_GET)?;
        Ok(stmt.query([masked_id])?.next()?.is_some())
    }

    /// Appends a sealed record to the service vault file and records where it lies. The bytes are written
    /// (and synced) before the index row, so a failure leaves no row pointing at nothing.
    pub fn append_sealed(&self, masked_id: &str, kind: &str, incident_no: Option<i64>, sealed: &[u8]) -> Result<()> {
        use std::io::Write;
        let offset: i64 = self.conn.query_row(sql::VAULT_END, [], |row| row.get(0))?;
        let path = self.dir.join(VAULT_FILE);
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::OpenOptions::new().create(true).write(true).truncate(false).open(&path)?;
            std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(offset as u64))?;
            file.write_all(sealed)?;
            file.sync_all()
        };
        write().map_err(|source| Error::Unwritable { path: path.clone(), source })?;
        self.conn
            .execute(sql::VAULT_INSERT, duckdb::params![masked_id, kind, incident_no, offset, sealed.len() as i64])?;
        Ok(())
    }

    /// An API survivor's sealed records, in the order they were added.
    pub fn sealed_records(&self, masked_id: &str) -> Result<Vec<SealedRecord>> {
        use std::io::{Read, Seek, SeekFrom};
        let mut stmt = self.conn.prepare(sql::VAULT_RECORDS)?;
        let rows: Vec<(String, Option<i64>, i64, i64)> = stmt
            .query_map([masked_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?
            .collect::<std::result::Result<_, _>>()?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let path = self.dir.join(VAULT_FILE);
        let unreadable =
            |e: std::io::Error| Error::Corrupt { path: path.clone(), detail: format!("vault file unreadable: {e}") };
        let mut file = std::fs::File::open(&path).map_err(unreadable)?;
        let mut out = Vec::with_capacity(rows.len());
        for (kind, incident_no, offset, length) in rows {
            let mut bytes = vec![0u8; length as usize];
            file.seek(SeekFrom::Start(offset as u64)).and_then(|_| file.read_exact(&mut bytes)).map_err(unreadable)?;
            out.push(SealedRecord { kind, incident_no, ciphertext: bytes });
        }
        Ok(out)
    }

    /// Stores a new API survivor.
    pub fn add_survivor(&self, masked_id: &str, survivor: &NewSurvivor, created_at: &str) -> Result<()> {
        let p = &survivor.profile;
        let name = |v: &dyn erased::Name| v.api_name();
        self.conn.execute(
            sql::SURVIVOR_INSERT,
            duckdb::params![
                masked_id,
                survivor.region,
                p.employed,
                name(&p.immigration_status),
                p.has_children,
                name(&p.support_network),
                p.pregnant,
                p.recent_separation,
                p.perpetrator_has_weapons,
                name(&p.restraining_order),
                created_at
            ],
        )?;
        Ok(())
    }

    /// Stores an incident of an API survivor; returns its number within the survivor's record.
    pub fn add_incident(&self, masked_id: &str, i: &crate::dv::Incident, created_at: &str) -> Result<i64> {
        use crate::dv::IncidentType as T;
        let weapon = erased::Name::api_name(&i.weapon_type);
        Ok(self.conn.query_row(
            sql::INCIDENT_INSERT,
            duckdb::params![
                masked_id,
                i.date.to_string(),
                i.has(T::Physical),
                i.has(T::Verbal),
                i.has(T::Sexual),
                i.has(T::Financial),
                i.has(T::Stalking),
                i.severity as i16,
                i.strangulation,
                i.weapon_used,
                weapon,
                i.threats_to_kill,
                i.police_involved,
                i.medical_attention,
                i.perpetrator_relationship,
                i.substance_use,
                i.extreme_jealousy,
                i.controlling_behavior,
                created_at,
                masked_id
            ],
            |row| row.get(0),
        )?)
    }

    /// An API survivor's case for the DV engine, read by the same code as the warehouse's.
    pub fn dv_case(&self, masked_id: &str) -> Result<Option<super::DvCase>> {
        let path = self.dir.join(FILE_NAME);
        let mut stmt = self.conn.prepare_cached(sql::SURVIVOR_GET)?;
        let mut rows = stmt.query([masked_id])?;
        let Some(row) = rows.next()? else { return Ok(None) };
        let (id, profile) = super::dv::profile_from_row(row, &path)?;
        let mut stmt = self.conn.prepare_cached(sql::INCIDENTS_GET)?;
        let mut rows = stmt.query([masked_id])?;
        let mut incidents = Vec::new();
        while let Some(row) = rows.next()? {
            incidents.push(super::dv::incident_from_row(row, &path)?.1);
        }
        Ok(Some((id, profile, incidents)))
    }

    /// The survivor's unresolved alert for `reason`, if one is still open or acknowledged.
    pub fn unresolved_alert(&self, masked_id: &str, reason: &str) -> Result<Option<i64>> {
        let mut stmt = self.conn.prepare_cached(sql::ALERT_OPEN_FOR)?;
        let mut rows = stmt.query([masked_id, reason])?;
        match rows.next()? {
            Some(row) => Ok(Some(row.get(0)?)),
            None => Ok(None),
        }
    }

    /// Opens an alert for what a stored assessment or screen found; returns its number.
    pub fn open_alert(&self, masked_id: &str, source: AlertSource, reason: &str, level: &str, at: &str) -> Result<i64> {
        let (assessment_no, screen_no) = match source {
            AlertSource::Assessment(n) => (Some(n), None),
            AlertSource::Screen(n) => (None, Some(n)),
        };
        Ok(self.conn.query_row(
            sql::ALERT_OPEN,
            duckdb::params![masked_id, assessment_no, screen_no, reason, level, at, at],
            |row| row.get(0),
        )?)
    }

    /// Stores a screen's outcome against a survivor; returns its number.
    pub fn store_screen(&self, masked_id: &str, kind: &str, created_at: &str, document: &str) -> Result<i64> {
        Ok(self
            .conn
            .query_row(sql::SCREEN_INSERT, duckdb::params![masked_id, kind, created_at, document], |row| row.get(0))?)
    }

    /// The latest LAP and DASH stored against a survivor: (kind, number, document).
    pub fn latest_screens(&self, masked_id: &str) -> Result<Vec<(String, i64, String)>> {
        let mut stmt = self.conn.prepare_cached(sql::SCREEN_LATEST)?;
        let rows = stmt.query_map([masked_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Alerts, newest first (at most 500): all, or those with `status`.
    pub fn alerts(&self, status: Option<&str>) -> Result<Vec<Alert>> {
        let mut stmt = self.conn.prepare_cached(sql::ALERT_LIST)?;
        let rows = stmt.query_map(duckdb::params![status, status], alert_from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    pub fn alert(&self, number: i64) -> Result<Option<Alert>> {
        let mut stmt = self.conn.prepare_cached(sql::ALERT_GET)?;
        let mut rows = stmt.query([number])?;
        match rows.next()? {
            Some(row) => Ok(Some(alert_from_row(row)?)),
            None => Ok(None),
        }
    }

    /// Flags a case for review; returns the flag's number.
    pub fn flag_case(&self, masked_id: &str, actor: &str, reason: &str, at: &str) -> Result<i64> {
        Ok(self.conn.query_row(sql::FLAG_INSERT, duckdb::params![masked_id, actor, reason, at], |row| row.get(0))?)
    }

    /// A case's review flags, oldest first.
    pub fn case_flags(&self, masked_id: &str) -> Result<Vec<CaseFlag>> {
        let mut stmt = self.conn.prepare_cached(sql::FLAG_LIST)?;
        let rows = stmt.query_map([masked_id], |row| {
            Ok(CaseFlag { number: row.get(0)?, actor: row.get(1)?, reason: row.get(2)?, created_at: row.get(3)? })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Records a person's act on an alert.
    pub fn update_alert(&self, number: i64, status: &str, at: &str, by: &str, note: Option<&str>) -> Result<()> {
        self.conn.execute(sql::ALERT_UPDATE, duckdb::params![status, at, by, note, number])?;
        Ok(())
    }
}

/// What opened an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertSource {
    Assessment(i64),
    Screen(i64),
}

/// A case's flag for review.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseFlag {
    pub number: i64,
    pub actor: String,
    pub reason: String,
    pub created_at: String,
}

/// A crisis alert as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub number: i64,
    pub masked_id: String,
    pub assessment_no: Option<i64>,
    pub screen_no: Option<i64>,
    pub reason: String,
    pub level: String,
    pub status: String,
    pub opened_at: String,
    pub updated_at: String,
    pub updated_by: Option<String>,
    pub note: Option<String>,
}

fn alert_from_row(row: &Row<'_>) -> duckdb::Result<Alert> {
    Ok(Alert {
        number: row.get(0)?,
        masked_id: row.get(1)?,
        assessment_no: row.get(2)?,
        screen_no: row.get(3)?,
        reason: row.get(4)?,
        level: row.get(5)?,
        status: row.get(6)?,
        opened_at: row.get(7)?,
        updated_at: row.get(8)?,
        updated_by: row.get(9)?,
        note: row.get(10)?,
    })
}

/// The API spelling of the DV enums (`undocumented`, `firearm`, …), as stored.
mod erased {
    pub trait Name {
        fn api_name(&self) -> String;
    }

    impl<T: serde::Serialize> Name for T {
        fn api_name(&self) -> String {
            serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
        }
    }
}
