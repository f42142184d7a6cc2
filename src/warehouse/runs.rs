//! The chaos engine's run store, `DATA_DIR/chaos.duckdb`: completed runs as JSON documents. Apart from the
//! warehouse (which a run only reads), and written one whole run per transaction.

use super::{Error, Result, config, first_line, sql};
use duckdb::{AccessMode, Connection, params};
use serde::Serialize;
use std::path::Path;

/// File name of the run store inside the data dir.
pub const FILE_NAME: &str = "chaos.duckdb";

/// A stored run, without its document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    pub run_id: String,
    pub scenario: String,
    pub shape: String,
    pub created_at: String,
    pub model_version: String,
    pub people: u64,
    pub seconds: f64,
}

pub struct RunStore {
    conn: Connection,
}

impl RunStore {
    /// Opens (creating if needed) the data dir's run store.
    pub fn open(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(FILE_NAME);
        let conn = Connection::open_with_flags(&path, config(AccessMode::ReadWrite)?).map_err(|e| {
            let detail = first_line(&e.to_string());
            if detail.contains("lock") {
                Error::Busy { path: path.clone() }
            } else {
                Error::Corrupt { path: path.clone(), detail }
            }
        })?;
        conn.execute_batch(sql::CHAOS_SCHEMA)?;
        Ok(RunStore { conn })
    }

    /// Stores a completed run.
    pub fn insert(&self, summary: &RunSummary, document: &str) -> Result<()> {
        self.conn.execute_batch(sql::BEGIN)?;
        let inserted = self.conn.execute(
            sql::CHAOS_INSERT,
            params![
                summary.run_id,
                summary.scenario,
                summary.shape,
                summary.created_at,
                summary.model_version,
                summary.people as i64,
                summary.seconds,
                document
            ],
        );
        match inserted {
            Ok(_) => Ok(self.conn.execute_batch(sql::COMMIT)?),
            Err(e) => {
                let _ = self.conn.execute_batch(sql::ROLLBACK);
                Err(e.into())
            }
        }
    }

    pub fn list(&self) -> Result<Vec<RunSummary>> {
        let mut stmt = self.conn.prepare(sql::CHAOS_LIST)?;
        let rows = stmt.query_map([], |row| {
            Ok(RunSummary {
                run_id: row.get(0)?,
                scenario: row.get(1)?,
                shape: row.get(2)?,
                created_at: row.get(3)?,
                model_version: row.get(4)?,
                people: row.get::<_, i64>(5)? as u64,
                seconds: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// One run's JSON document.
    pub fn get(&self, run_id: &str) -> Result<Option<String>> {
        let mut stmt = self.conn.prepare(sql::CHAOS_GET)?;
        let mut rows = stmt.query([run_id])?;
        Ok(match rows.next()? {
            Some(row) => Some(row.get(0)?),
            None => None,
        })
    }

    /// Drops a run; `false` if there was none.
    pub fn drop_run(&self, run_id: &str) -> Result<bool> {
        Ok(self.conn.execute(sql::CHAOS_DELETE, [run_id])? > 0)
    }
}
