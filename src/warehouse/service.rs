//! The service database, `DATA_DIR/service.duckdb`: what the running server writes (stored assessments so far),
//! kept apart from the warehouse, which stays read-only so the CLI can read it while the server runs.

use super::{Error, Result, config, sql};
use duckdb::{AccessMode, Connection, Row};
use serde::Serialize;
use std::path::{Path, PathBuf};

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

/// A read-write handle on the service database. One server process holds it at a time.
pub struct Service {
    conn: Connection,
}

impl Service {
    /// Opens (creating if needed) the data dir's service database and applies its schema.
    pub fn open(data_dir: &Path) -> Result<Self> {
        let path: PathBuf = data_dir.join(FILE_NAME);
        let conn = Connection::open_with_flags(&path, config(AccessMode::ReadWrite)?).map_err(|e| {
            let detail = super::first_line(&e.to_string());
            if detail.contains("lock") {
                Error::Busy { path: path.clone() }
            } else {
                Error::Corrupt { path: path.clone(), detail }
            }
        })?;
        conn.execute_batch(sql::SERVICE_SCHEMA)?;
        Ok(Service { conn })
    }

    /// Another connection to the same database (for another thread or another app in this process).
    pub fn handle(&self) -> Result<Self> {
        Ok(Service { conn: self.conn.try_clone()? })
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

    /// Opens an alert for a stored assessment; returns its number.
    pub fn open_alert(&self, masked_id: &str, assessment_no: i64, reason: &str, level: &str, at: &str) -> Result<i64> {
        Ok(self.conn.query_row(
            sql::ALERT_OPEN,
            duckdb::params![masked_id, assessment_no, reason, level, at, at],
            |row| row.get(0),
        )?)
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

    /// Records a person's act on an alert.
    pub fn update_alert(&self, number: i64, status: &str, at: &str, by: &str, note: Option<&str>) -> Result<()> {
        self.conn.execute(sql::ALERT_UPDATE, duckdb::params![status, at, by, note, number])?;
        Ok(())
    }
}

/// A crisis alert as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub number: i64,
    pub masked_id: String,
    pub assessment_no: i64,
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
        reason: row.get(3)?,
        level: row.get(4)?,
        status: row.get(5)?,
        opened_at: row.get(6)?,
        updated_at: row.get(7)?,
        updated_by: row.get(8)?,
        note: row.get(9)?,
    })
}
