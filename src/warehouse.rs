//! The DuckDB warehouse: the only module that imports `duckdb`.
//!
//! A warehouse is one file, `DATA_DIR/warehouse.duckdb`, created whole by [`seed_sealed`] (written to a temporary file
//! and renamed into place when complete) and opened read-only by everything else. Every SQL string it runs lives
//! in `sql/` and is embedded at compile time. Extension auto-install and auto-load are off, so DuckDB never
//! reaches for the network.

mod analyst;
pub mod chaos_runs;
pub mod drill_log;
mod dv;
pub mod export;
mod fingerprint;
mod load;
pub mod modeling;
pub mod reveal;
pub mod service;

pub use dv::DvCase;
pub use export::{ExportFormat, export};
pub use load::{SeedOptions, SeedReport, seed_sealed};
pub use modeling::{ScoreRow, ScoreRun, StoredScore, table_parquet, write_training_parquet};
pub use reveal::{RecordKind, VaultStats};

use crate::catalog::Table;
use duckdb::{AccessMode, Config, Connection};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Version of `sql/seed/schema.sql`; a warehouse with another version must be reseeded.
pub const SCHEMA_VERSION: i32 = 3;
/// File name of the warehouse inside the data dir.
pub const FILE_NAME: &str = "warehouse.duckdb";

/// The SQL this file runs, from `sql/warehouse/`.
mod sql {
    pub const META_SELECT: &str = include_str!("../sql/warehouse/meta_select.sql");
    pub const POPULATION_BY_REGION: &str = include_str!("../sql/warehouse/population_by_region.sql");
    pub const TABLE_COLUMNS: &str = include_str!("../sql/warehouse/table_columns.sql");
    pub const TABLE_COUNT: &str = include_str!("../sql/warehouse/table_count.sql");
    pub const PEOPLE_LIST: &str = include_str!("../sql/warehouse/people_list.sql");
}

/// What can go wrong with a warehouse; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no warehouse at {path}: run `safehaven seed --data-dir {dir}` (or `safehaven demo`) first", path = .path.display(), dir = parent(.path))]
    NotFound { path: PathBuf },
    #[error(
        "{path} is not a readable DuckDB database ({detail}); it was left untouched: move it away, or replace it with `safehaven seed --force`"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "{path} is a DuckDB database but not a SafeHaven warehouse of schema version {SCHEMA_VERSION} ({detail}): reseed with `safehaven seed --force`"
    )]
    NotSafeHaven { path: PathBuf, detail: String },
    #[error(
        "{path} is in use by another SafeHaven process (a running server, or a command reading it): stop it first, or use another --data-dir"
    )]
    Busy { path: PathBuf },
    #[error(
        "{path} is a service database of schema version {found}, and this build needs version {needed}: move it and service-vault.bin aside (the build that wrote them can still read them), then start the server again"
    )]
    OldService { path: PathBuf, found: i32, needed: i32 },
    #[error("a warehouse already exists at {path}: pass --force to replace it, or choose another --data-dir")]
    Exists { path: PathBuf },
    #[error("cannot write to {path}: {source}: choose another --data-dir or fix its permissions")]
    Unwritable { path: PathBuf, source: std::io::Error },
    #[error("{what} must be between {min} and {max}, got {got}")]
    OutOfRange { what: &'static str, min: u64, max: u64, got: u64 },
    #[error("unknown table `{name}`; tables that can be exported: {valid}")]
    UnknownTable { name: String, valid: String },
    #[error("`{name}` stays inside the appliance (sensitive or ground truth); tables that can be exported: {valid}")]
    NotExportable { name: String, valid: String },
    #[error("cannot write {path}: {source}")]
    Output { path: PathBuf, source: std::io::Error },
    #[error("warehouse query failed: {0}")]
    Db(#[from] duckdb::Error),
    #[error("seeding failed: {0}")]
    Seed(String),
    #[error("reading model data failed: {0}")]
    Frame(String),
    #[error("the model does not fit this warehouse ({0}): retrain with `safehaven train`, then restart the server")]
    ModelMismatch(String),
}

impl Error {
    /// Whether the user can fix this by changing what they passed (exit code 2) rather than a failure (1).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Error::Db(_) | Error::Seed(_) | Error::Frame(_))
    }
}

fn parent(path: &Path) -> String {
    path.parent().map_or_else(|| ".".into(), |p| p.display().to_string())
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The warehouse path inside a data dir.
pub fn path_in(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

/// How the warehouse was generated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Generation {
    pub schema_version: i32,
    pub generator_version: i32,
    pub seed: u64,
    pub customers: u64,
    pub survivors: u64,
    pub observation_date: String,
}

/// Rows in one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableRows {
    pub name: &'static str,
    pub rows: u64,
}

/// What `safehaven info` reports: generation parameters, row counts and the content fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    pub generation: Generation,
    pub tables: Vec<TableRows>,
    /// SHA-256 over every table's row count and order-independent content digest.
    pub fingerprint: String,
}

/// An open warehouse.
pub struct Warehouse {
    conn: Connection,
    path: PathBuf,
}

fn config(access: AccessMode) -> Result<Config> {
    Ok(Config::default()
        .access_mode(access)?
        .enable_autoload_extension(false)?
        .with("autoinstall_known_extensions", "false")?)
}

/// Opens a SafeHaven database file (warehouse, service, run store): a lock held by another process is `Busy`
/// (a running server, or a command using it), any other failure `Corrupt`.
fn connect(path: &Path, access: AccessMode) -> Result<Connection> {
    Connection::open_with_flags(path, config(access)?).map_err(|e| {
        let detail = first_line(&e.to_string());
        if detail.contains("Could not set lock") {
            Error::Busy { path: path.to_owned() }
        } else {
            Error::Corrupt { path: path.to_owned(), detail }
        }
    })
}

impl Warehouse {
    /// Opens an existing warehouse read-only and checks that it is a SafeHaven warehouse of this version.
    pub fn open_read_only(path: &Path) -> Result<Self> {
        Warehouse::open(path, AccessMode::ReadOnly)
    }

    /// Opens an existing warehouse to write model scores; `Busy` while another process (a server) has it open.
    pub fn open_for_scores(path: &Path) -> Result<Self> {
        Warehouse::open(path, AccessMode::ReadWrite)
    }

    fn open(path: &Path, access: AccessMode) -> Result<Self> {
        if !path.is_file() {
            return Err(Error::NotFound { path: path.to_owned() });
        }
        let conn = connect(path, access)?;
        let warehouse = Warehouse { conn, path: path.to_owned() };
        let generation = warehouse
            .generation()
            .map_err(|e| Error::NotSafeHaven { path: path.to_owned(), detail: first_line(&e.to_string()) })?;
        if generation.schema_version != SCHEMA_VERSION {
            return Err(Error::NotSafeHaven {
                path: path.to_owned(),
                detail: format!("found schema version {}", generation.schema_version),
            });
        }
        Ok(warehouse)
    }

    /// The file this warehouse lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Another handle on the same database, for use on another thread.
    pub fn handle(&self) -> Result<Self> {
        Ok(Warehouse { conn: self.conn.try_clone()?, path: self.path.clone() })
    }

    /// How the warehouse was generated.
    pub fn generation(&self) -> Result<Generation> {
        Ok(self.conn.query_row(sql::META_SELECT, [], |row| {
            Ok(Generation {
                schema_version: row.get(0)?,
                generator_version: row.get(1)?,
                seed: row.get(2)?,
                customers: row.get(3)?,
                survivors: row.get(4)?,
                observation_date: row.get(5)?,
            })
        })?)
    }

    /// The observation date: the end of the history and the start of the outcome window.
    pub fn observation_date(&self) -> Result<chrono::NaiveDate> {
        let generation = self.generation()?;
        generation.observation_date.parse().map_err(|_| Error::NotSafeHaven {
            path: self.path.clone(),
            detail: format!("observation date {:?} is not a date", generation.observation_date),
        })
    }

    /// Generation parameters, row counts and fingerprint.
    pub fn info(&self) -> Result<Info> {
        let digests = fingerprint::table_digests(&self.conn)?;
        Ok(Info {
            generation: self.generation()?,
            tables: digests.iter().map(|d| TableRows { name: d.table.name(), rows: d.rows }).collect(),
            fingerprint: fingerprint::combine(&digests),
        })
    }

    /// Bank customers per region (postal code), in code order. Raw counts: pass them through the k-anonymity guard
    /// before showing them.
    pub fn population_by_region(&self) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare(sql::POPULATION_BY_REGION)?;
        let rows = stmt.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every (table, column) of the data schemas, in column order.
    pub fn columns(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare(sql::TABLE_COLUMNS)?;
        let rows = stmt.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Rows in one table.
    pub fn table_rows(&self, table: Table) -> Result<u64> {
        let query = sql::TABLE_COUNT.replace("{table}", table.name());
        Ok(self.conn.query_row(&query, [], |row| row.get::<_, i64>(0))? as u64)
    }
}

/// A person as `safehaven people` lists them: masked ID and non-identifying attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonSummary {
    pub masked_id: String,
    pub region: String,
    pub age_band: String,
    pub employment: String,
    pub credit_group: String,
    pub insurer_member: bool,
}

impl Warehouse {
    /// The first `limit` people by masked ID, from the clean room.
    pub fn people(&self, limit: u64) -> Result<Vec<PersonSummary>> {
        let mut stmt = self.conn.prepare(sql::PEOPLE_LIST)?;
        let rows = stmt.query_map([limit as i64], |row| {
            Ok(PersonSummary {
                masked_id: row.get(0)?,
                region: row.get(1)?,
                age_band: row.get(2)?,
                employment: row.get(3)?,
                credit_group: row.get(4)?,
                insurer_member: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or_default().trim().to_owned()
}
