//! The chaos engine's run store, `DATA_DIR/chaos.duckdb`: completed runs as JSON documents. Apart from the
//! warehouse (which a run only reads), and written one whole run per statement.

use super::{Error, Result, connect};
use duckdb::{AccessMode, Connection, params};
use serde::Serialize;
use std::path::Path;

/// The SQL this file runs, from `sql/chaos/`.
mod sql {
    pub const SCHEMA: &str = include_str!("../../sql/chaos/schema.sql");
    pub const INSERT: &str = include_str!("../../sql/chaos/insert.sql");
    pub const LIST: &str = include_str!("../../sql/chaos/list.sql");
    pub const GET: &str = include_str!("../../sql/chaos/get.sql");
    pub const DELETE: &str = include_str!("../../sql/chaos/delete.sql");
}

/// File name of the run store inside the data dir.
pub const FILE_NAME: &str = "chaos.duckdb";

/// A stored run, without its document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChaosRunSummary {
    pub run_id: String,
    pub scenario: String,
    pub shape: String,
    pub created_at: String,
    pub model_version: String,
    pub people: u64,
    pub seconds: f64,
}

pub struct ChaosRuns {
    conn: Connection,
}

impl ChaosRuns {
    /// Runs `work` on the data dir's run store, opened for it and closed after, one user at a time in this
    /// process: a server holds the file only while a request uses it, so the CLI's `chaos` commands work
    /// between requests.
    pub fn with<T, E: From<Error>>(
        data_dir: &Path,
        work: impl FnOnce(&ChaosRuns) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let store = ChaosRuns::open(data_dir)?;
        work(&store)
    }

    /// Opens (creating if needed) the data dir's run store.
    pub fn open(data_dir: &Path) -> Result<Self> {
        let conn = connect(&data_dir.join(FILE_NAME), AccessMode::ReadWrite)?;
        conn.execute_batch(sql::SCHEMA)?;
        Ok(ChaosRuns { conn })
    }

    /// Stores a completed run under a new ID; returns the ID and the stored document (the result with `runId`,
    /// `seconds`, `loadSeconds` — reading the population — and `engineSeconds` — applying, rescoring and
    /// aggregating).
    pub fn store(
        &self,
        result: &crate::chaos::RunResult,
        created_at: &str,
        load_seconds: f64,
        engine_seconds: f64,
    ) -> Result<(String, serde_json::Value)> {
        let mut nonce = [0u8; 3];
        getrandom::fill(&mut nonce).map_err(|e| Error::Frame(e.to_string()))?;
        let id = format!("CR-{}-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S"), hex::encode(nonce));
        let mut document = serde_json::to_value(result).map_err(|e| Error::Frame(e.to_string()))?;
        document["runId"] = serde_json::json!(id);
        document["seconds"] = serde_json::json!(load_seconds + engine_seconds);
        document["loadSeconds"] = serde_json::json!(load_seconds);
        document["engineSeconds"] = serde_json::json!(engine_seconds);
        let summary = ChaosRunSummary {
            run_id: id.clone(),
            scenario: result.definition.name.clone(),
            shape: format!("{:?}", result.definition.shape).to_lowercase(),
            created_at: created_at.to_owned(),
            model_version: result.model_version.clone(),
            people: result.people,
            seconds: load_seconds + engine_seconds,
        };
        self.insert(&summary, &document.to_string())?;
        Ok((id, document))
    }

    /// Stores a completed run, whole: one statement, so a reader sees the run or nothing of it.
    fn insert(&self, summary: &ChaosRunSummary, document: &str) -> Result<()> {
        self.conn.execute(
            sql::INSERT,
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
        )?;
        Ok(())
    }

    pub fn list(&self) -> Result<Vec<ChaosRunSummary>> {
        let mut stmt = self.conn.prepare(sql::LIST)?;
        let rows = stmt.query_map([], |row| {
            Ok(ChaosRunSummary {
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
        let mut stmt = self.conn.prepare(sql::GET)?;
        let mut rows = stmt.query([run_id])?;
        Ok(match rows.next()? {
            Some(row) => Some(row.get(0)?),
            None => None,
        })
    }

    /// Every stored run, newest first, as the analyst reads it (a document without the figures is left out).
    pub fn scenario_runs(&self) -> Result<Vec<crate::analyst::ScenarioRun>> {
        let mut out = Vec::new();
        for summary in self.list()? {
            let Some(text) = self.get(&summary.run_id)? else { continue };
            let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
            out.extend(crate::analyst::ScenarioRun::from_document(
                &summary.scenario,
                &summary.shape,
                &summary.created_at,
                &doc,
            ));
        }
        Ok(out)
    }

    /// Drops a run; `false` if there was none.
    pub fn drop_run(&self, run_id: &str) -> Result<bool> {
        Ok(self.conn.execute(sql::DELETE, [run_id])? > 0)
    }
}
