//! What the model reads from and writes to the warehouse: populations as polars frames (through Arrow), the
//! labelled training rows, the `model.scores` table, and the training matrix as Parquet.
//!
//! Scores are written in one transaction into a fresh table that replaces the old one only at commit: a
//! reader sees the old scores or the new, never a mix, and a killed `score` leaves the old ones.

use super::{Error, Result, Warehouse};
use crate::analytics::{self, Portfolio};
use crate::model::{self, Labelled, Population};
use duckdb::arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, StringArray};
use duckdb::arrow::compute::cast;
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::{Connection, params};
use polars::prelude::{Column, DataFrame, Series};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

/// The SQL this file runs, from `sql/model/`.
mod sql {
    pub const POPULATION: &str = include_str!("../../sql/model/population.sql");
    pub const PERSON: &str = include_str!("../../sql/model/person.sql");
    pub const LABELLED: &str = include_str!("../../sql/model/labelled.sql");
    pub const SCORES_SCHEMA: &str = include_str!("../../sql/model/scores_schema.sql");
    pub const SCORES_SWAP: &str = include_str!("../../sql/model/scores_swap.sql");
    pub const SCORES_EXIST: &str = include_str!("../../sql/model/scores_exist.sql");
    pub const SCORE_ONE: &str = include_str!("../../sql/model/score_one.sql");
    pub const SCORE_RUN: &str = include_str!("../../sql/model/score_run.sql");
    pub const SCORE_RUN_INSERT: &str = include_str!("../../sql/model/score_run_insert.sql");
    pub const TRAINING_TABLE: &str = include_str!("../../sql/model/training_table.sql");
    pub const TREND_CUBE: &str = include_str!("../../sql/model/trend_cube.sql");
    pub const TABLE_COPY: &str = include_str!("../../sql/model/table_copy.sql");
    pub const VIEW_TABLE: &str = include_str!("../../sql/model/view_table.sql");
}

/// One person's score, as `safehaven score` writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRow {
    pub masked_id: String,
    pub probability: f64,
    pub points: f64,
    pub reasons: Vec<String>,
}

/// The scoring run behind `model.scores`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreRun {
    pub model_version: String,
    pub threshold: f64,
    pub people: u64,
    pub scored_at: String,
}

/// One person's stored score.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredScore {
    pub probability: f64,
    pub points: f64,
    pub high_risk: bool,
    pub model_version: String,
    pub reasons: Vec<String>,
}

impl Warehouse {
    /// The warehouse a model trained on it records as its provenance.
    pub fn provenance(&self) -> Result<model::Provenance> {
        let g = self.generation()?;
        Ok(model::Provenance {
            generator_version: g.generator_version,
            seed: g.seed,
            customers: g.customers,
            observation_date: g.observation_date,
        })
    }
}

fn frame_error(e: impl std::fmt::Display) -> Error {
    Error::Frame(e.to_string())
}

/// Appends one Arrow column to a polars column of the same name (strings, doubles, booleans).
fn to_polars(name: &str, array: &ArrayRef) -> Result<Column> {
    let column = match array.data_type() {
        DataType::Float64 => {
            let a = array.as_any().downcast_ref::<Float64Array>().expect("a Float64 array");
            Column::new(name.into(), a.iter().collect::<Vec<Option<f64>>>())
        }
        DataType::Boolean => {
            let a = array.as_any().downcast_ref::<BooleanArray>().expect("a Boolean array");
            Column::new(name.into(), a.iter().collect::<Vec<Option<bool>>>())
        }
        _ => {
            let utf8 = cast(array, &DataType::Utf8).map_err(frame_error)?;
            let a = utf8.as_any().downcast_ref::<StringArray>().expect("a Utf8 array");
            Column::new(name.into(), a.iter().collect::<Vec<Option<&str>>>())
        }
    };
    Ok(column)
}

/// Runs a query and gathers its Arrow batches into one polars frame.
fn query_frame(conn: &Connection, query: &str, params: &[&dyn duckdb::ToSql]) -> Result<DataFrame> {
    let mut stmt = conn.prepare(query)?;
    let mut frame: Option<DataFrame> = None;
    for batch in stmt.query_arrow(params)? {
        let schema = batch.schema();
        let columns = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(field, array)| to_polars(field.name(), array))
            .collect::<Result<Vec<_>>>()?;
        let part = DataFrame::new(batch.num_rows(), columns).map_err(frame_error)?;
        match frame.as_mut() {
            Some(frame) => {
                frame.vstack_mut(&part).map_err(frame_error)?;
            }
            None => frame = Some(part),
        }
    }
    let mut frame = match frame {
        Some(frame) => frame,
        // No batches: an empty frame with the query's columns.
        None => {
            let columns =
                stmt.column_names().into_iter().map(|name| Column::new(name.into(), Vec::<f64>::new())).collect();
            DataFrame::new(0, columns).map_err(frame_error)?
        }
    };
    frame.rechunk_mut();
    Ok(frame)
}

fn model_error(e: model::Error) -> Error {
    Error::Frame(e.to_string())
}

impl Warehouse {
    /// The population query with its window ending at `as_of`.
    fn population_query(&self, as_of: Option<chrono::NaiveDate>) -> Result<String> {
        let as_of = match as_of {
            Some(date) => date,
            None => self.observation_date()?,
        };
        Ok(sql::POPULATION.replace("{as_of}", &as_of.format("%Y-%m-%d").to_string()))
    }

    /// Every bank customer's clean-room indicators, as the model reads them, as of the observation date.
    pub fn population(&self) -> Result<Population> {
        self.population_as_of(None)
    }

    /// Every bank customer's indicators over the 12 months up to `as_of` (default: the observation date), for
    /// comparing the population now with the population months ago.
    pub fn population_as_of(&self, as_of: Option<chrono::NaiveDate>) -> Result<Population> {
        let frame = query_frame(&self.conn, &self.population_query(as_of)?, &[])?;
        Population::new(frame).map_err(model_error)
    }

    /// The monthly trend cube of the executive view (raw counts: guard them before showing).
    pub fn trend_cube(&self) -> Result<Vec<analytics::TrendRow>> {
        let mut stmt = self.conn.prepare(sql::TREND_CUBE)?;
        let rows = stmt.query_map([], |row| {
            Ok(crate::analytics::TrendRow {
                month: row.get(0)?,
                region: row.get(1)?,
                credit_group: row.get(2)?,
                age_band: row.get(3)?,
                missed_payment: row.get::<_, i64>(4)? as u64,
                overdraft: row.get::<_, i64>(5)? as u64,
                claim: row.get::<_, i64>(6)? as u64,
                medical_cost: row.get(7)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The dashboard's portfolio: the population now and 3 and 12 months earlier, scored with `artifact`, and the
    /// trend cube.
    pub fn portfolio(&self, artifact: model::Artifact) -> Result<Portfolio> {
        let observed = self.observation_date()?;
        let earlier = |months: u32| observed.checked_sub_months(chrono::Months::new(months));
        let now = self.population_as_of(Some(observed))?;
        let history = [
            self.population_as_of(earlier(analytics::SNAPSHOT_MONTHS[1]))?,
            self.population_as_of(earlier(analytics::SNAPSHOT_MONTHS[2]))?,
        ];
        let trends = self.trend_cube()?;
        Portfolio::build(artifact, now, history, trends).map_err(|e| Error::ModelMismatch(e.to_string()))
    }

    /// One bank customer's indicators, by masked ID; `None` if no customer has it.
    pub fn person(&self, masked_id: &str) -> Result<Option<Population>> {
        let query = sql::PERSON.replace("{population}", &self.population_query(None)?);
        let frame = query_frame(&self.conn, &query, &[&masked_id])?;
        if frame.height() == 0 {
            return Ok(None);
        }
        Population::new(frame).map(Some).map_err(model_error)
    }

    /// The training rows: the population with its outcome, its split flag and the true probability, in person
    /// order. The split is a hash of the person key salted with `salt`, `share` of people to validation.
    pub fn labelled(&self, salt: &str, share: f64) -> Result<Labelled> {
        let query = sql::LABELLED.replace("{population}", &self.population_query(None)?);
        let per_mille = (share * 1000.0).round() as i64;
        let mut frame = query_frame(&self.conn, &query, &[&salt, &per_mille])?;
        let take = |frame: &mut DataFrame, name: &str| -> Result<Series> {
            let column = frame.drop_in_place(name).map_err(frame_error)?;
            Ok(column.as_materialized_series().clone())
        };
        let label = take(&mut frame, "label")?;
        let validation = take(&mut frame, "validation")?;
        let true_p = take(&mut frame, "true_p")?;
        let bools = |s: &Series| -> Result<Vec<bool>> {
            Ok(s.bool().map_err(frame_error)?.iter().map(|v| v.unwrap_or(false)).collect())
        };
        Ok(Labelled {
            label: bools(&label)?,
            validation: bools(&validation)?,
            true_p: true_p.f64().map_err(frame_error)?.iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
            population: Population::new(frame).map_err(model_error)?,
        })
    }

    /// The run behind the current scores, if `safehaven score` has run on this warehouse.
    pub fn score_run(&self) -> Result<Option<ScoreRun>> {
        let exists: i64 = self.conn.query_row(sql::SCORES_EXIST, [], |row| row.get(0))?;
        if exists == 0 {
            return Ok(None);
        }
        let run = self.conn.query_row(sql::SCORE_RUN, [], |row| {
            Ok(ScoreRun {
                model_version: row.get(0)?,
                threshold: row.get(1)?,
                people: row.get::<_, i64>(2)? as u64,
                scored_at: row.get(3)?,
            })
        });
        match run {
            Ok(run) => Ok(Some(run)),
            Err(duckdb::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// One person's stored score; `None` if they have none (or nothing was scored yet).
    pub fn stored_score(&self, masked_id: &str) -> Result<Option<StoredScore>> {
        if self.score_run()?.is_none() {
            return Ok(None);
        }
        let mut stmt = self.conn.prepare(sql::SCORE_ONE)?;
        let mut rows = stmt.query_map([masked_id], |row| {
            let reasons: Vec<Option<String>> = vec![row.get(4)?, row.get(5)?, row.get(6)?];
            Ok(StoredScore {
                probability: row.get(0)?,
                points: row.get(1)?,
                high_risk: row.get(2)?,
                model_version: row.get(3)?,
                reasons: reasons.into_iter().flatten().collect(),
            })
        })?;
        Ok(rows.next().transpose()?)
    }

    /// Replaces `model.scores` with `rows`, tagged with the model version, in one transaction.
    pub fn write_scores(&self, rows: &[ScoreRow], model_version: &str, threshold: f64, scored_at: &str) -> Result<()> {
        // Rolled back when dropped: an error (or a panic) part-way leaves the old scores.
        let transaction = self.conn.unchecked_transaction()?;
        self.write_scores_in_transaction(rows, model_version, threshold, scored_at)?;
        Ok(transaction.commit()?)
    }

    fn write_scores_in_transaction(
        &self,
        rows: &[ScoreRow],
        model_version: &str,
        threshold: f64,
        scored_at: &str,
    ) -> Result<()> {
        self.conn.execute_batch(sql::SCORES_SCHEMA)?;
        let mut appender = self.conn.appender_to_db("scores_next", "model")?;
        for chunk in rows.chunks(65_536) {
            let reason = |i: usize| -> ArrayRef {
                Arc::new(chunk.iter().map(|r| r.reasons.get(i).map(String::as_str)).collect::<StringArray>())
            };
            let columns: Vec<ArrayRef> = vec![
                Arc::new(chunk.iter().map(|r| Some(r.masked_id.as_str())).collect::<StringArray>()),
                Arc::new(Float64Array::from_iter_values(chunk.iter().map(|r| r.probability))),
                Arc::new(Float64Array::from_iter_values(chunk.iter().map(|r| r.points.round()))),
                Arc::new(BooleanArray::from_iter(chunk.iter().map(|r| Some(r.probability >= threshold)))),
                reason(0),
                reason(1),
                reason(2),
                Arc::new(StringArray::from_iter_values(std::iter::repeat_n(model_version, chunk.len()))),
            ];
            let fields = [
                "masked_id",
                "probability",
                "points",
                "high_risk",
                "reason_1",
                "reason_2",
                "reason_3",
                "model_version",
            ]
            .iter()
            .zip(&columns)
            .map(|(name, c)| Field::new(*name, c.data_type().clone(), true))
            .collect::<Vec<_>>();
            let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(frame_error)?;
            appender.append_record_batch(batch)?;
        }
        appender.flush()?;
        drop(appender);
        self.conn.execute_batch(sql::SCORES_SWAP)?;
        self.conn.execute(sql::SCORE_RUN_INSERT, params![model_version, threshold, rows.len() as i64, scored_at])?;
        Ok(())
    }
}

/// Writes a training matrix to Parquet through an in-memory DuckDB: masked ID, the features (named as in the
/// artifact), the label and the split flag. Written to a temporary file and renamed, so a failed write leaves
/// nothing behind.
pub fn write_training_parquet(
    path: &Path,
    masked_ids: &[&str],
    names: &[&str],
    x: &ndarray::Array2<f64>,
    label: &[bool],
    validation: &[bool],
) -> Result<u64> {
    let tmp = super::export::staging_path(path)?;
    let conn = Connection::open_in_memory_with_flags(super::config(duckdb::AccessMode::Automatic)?)?;
    let features: Vec<String> = names.iter().map(|n| format!("\"{n}\" DOUBLE NOT NULL")).collect();
    conn.execute_batch(&sql::TRAINING_TABLE.replace("{features}", &features.join(", ")))?;
    let mut appender = conn.appender("training")?;
    let n = x.nrows();
    for start in (0..n).step_by(65_536) {
        let end = (start + 65_536).min(n);
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(StringArray::from_iter_values(&masked_ids[start..end]))];
        let mut fields = vec![Field::new("masked_id", DataType::Utf8, false)];
        for (j, name) in names.iter().enumerate() {
            let column = x.slice(ndarray::s![start..end, j]);
            arrays.push(Arc::new(Float64Array::from_iter_values(column.iter().copied())));
            fields.push(Field::new(*name, DataType::Float64, false));
        }
        arrays.push(Arc::new(BooleanArray::from(label[start..end].to_vec())));
        fields.push(Field::new("label", DataType::Boolean, false));
        arrays.push(Arc::new(BooleanArray::from(validation[start..end].to_vec())));
        fields.push(Field::new("validation", DataType::Boolean, false));
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(frame_error)?;
        appender.append_record_batch(batch)?;
    }
    appender.flush()?;
    drop(appender);
    let copy = sql::TABLE_COPY.replace("{table}", "training").replace("{path}", &super::export::path_literal(&tmp));
    if let Err(e) = conn.execute_batch(&copy) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Output { path: path.to_owned(), source: std::io::Error::other(e.to_string()) });
    }
    std::fs::rename(&tmp, path).map_err(|source| Error::Output { path: path.to_owned(), source })?;
    Ok(n as u64)
}

/// A dashboard table view as Parquet bytes, through an in-memory DuckDB and a temporary file (removed after).
pub fn table_parquet(view: &crate::analytics::TableView) -> Result<Vec<u8>> {
    use crate::analytics::Cell;
    use duckdb::types::Value;
    let conn = Connection::open_in_memory_with_flags(super::config(duckdb::AccessMode::Automatic)?)?;
    let numeric = |j: usize| view.rows.iter().any(|r| matches!(r[j], Cell::Number(_)));
    let columns: Vec<String> = view
        .columns
        .iter()
        .enumerate()
        .map(|(j, name)| format!("\"{name}\" {}", if numeric(j) { "DOUBLE" } else { "VARCHAR" }))
        .collect();
    conn.execute_batch(&sql::VIEW_TABLE.replace("{table}", view.name).replace("{columns}", &columns.join(", ")))?;
    {
        let mut appender = conn.appender(view.name)?;
        for row in &view.rows {
            let values: Vec<Value> = row
                .iter()
                .map(|cell| match cell {
                    Cell::Text(t) => Value::Text(t.clone()),
                    Cell::Number(Some(v)) => Value::Double(*v),
                    Cell::Number(None) => Value::Null,
                })
                .collect();
            appender.append_row(duckdb::appender_params_from_iter(values))?;
        }
        appender.flush()?;
    }
    let dir = tempfile_dir()?;
    let path = dir.join(format!("{}.parquet", view.name));
    let copy = sql::TABLE_COPY.replace("{table}", view.name).replace("{path}", &super::export::path_literal(&path));
    let written = conn
        .execute_batch(&copy)
        .map_err(Error::from)
        .and_then(|()| std::fs::read(&path).map_err(|source| Error::Output { path: path.clone(), source }));
    let _ = std::fs::remove_dir_all(&dir);
    written
}

/// A fresh private directory for one export.
fn tempfile_dir() -> Result<std::path::PathBuf> {
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(|e| Error::Frame(e.to_string()))?;
    let dir = std::env::temp_dir().join(format!("safehaven-export-{}", hex::encode(nonce)));
    std::fs::create_dir(&dir).map_err(|source| Error::Output { path: dir.clone(), source })?;
    Ok(dir)
}
