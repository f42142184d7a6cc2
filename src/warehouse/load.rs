//! `safehaven seed`: generate the synthetic population in parallel and load it with DuckDB's Arrow appender.
//!
//! The warehouse is built in a temporary file beside the final one and renamed into place only when complete,
//! so a kill at any moment leaves the previous warehouse (or none), never a half-seeded one.

use super::{Error, Result, SCHEMA_VERSION, config, path_in};
use crate::catalog::Table;
use crate::privacy::masked::{Domain, Masker};
use crate::privacy::vault::Sealer;
use crate::synth::{self, Batch, Column, Params};
use age::x25519::Recipient;
use duckdb::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int16Array, Int32Array, Int64Array, StringArray,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::{AccessMode, Appender, Connection, params};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The SQL this file runs, from `sql/seed/`.
mod sql {
    pub const SCHEMA: &str = include_str!("../../sql/seed/schema.sql");
    pub const META_INSERT: &str = include_str!("../../sql/seed/meta_insert.sql");
    pub const CHECKPOINT: &str = include_str!("../../sql/seed/checkpoint.sql");
    pub const PRIVACY_SCHEMA: &str = include_str!("../../sql/seed/privacy_schema.sql");
    pub const PRIVACY_INDEX: &str = include_str!("../../sql/seed/privacy_index.sql");
    pub const CLEANROOM: &str = include_str!("../../sql/seed/cleanroom.sql");
    pub const RECIPIENT_INSERT: &str = include_str!("../../sql/seed/recipient_insert.sql");
    pub const VAULT_INSERT: &str = include_str!("../../sql/seed/vault_insert.sql");
    pub const VAULT_FILE_INSERT: &str = include_str!("../../sql/seed/vault_file_insert.sql");
}

/// Largest population `seed` accepts.
pub const MAX_CUSTOMERS: u64 = 50_000_000;

/// How to seed.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub params: Params,
    /// Worker threads for generation (and DuckDB); the result does not depend on it.
    pub threads: usize,
    /// Replace an existing warehouse.
    pub force: bool,
    /// Draw a progress bar (only ever on a terminal).
    pub progress: bool,
}

/// What seeding produced.
#[derive(Debug, Clone)]
pub struct SeedReport {
    pub path: PathBuf,
    pub tables: Vec<(Table, u64)>,
    pub elapsed: Duration,
    /// Worker time spent serialising and encrypting PII (summed over threads).
    pub sealing: Duration,
}

impl SeedReport {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// What seeding needs from privacy: where PII is sealed to, and the masked IDs.
struct SeedPrivacy<'a> {
    /// The age recipient, recorded in the warehouse.
    recipient: String,
    /// Seals each chunk's serialised PII (and zeroes the plaintext).
    sealer: &'a Sealer,
    /// The masked ID of person key `i + 1`, for every person (customers and insurer-only members).
    person_ids: Vec<String>,
    /// The masked ID of survivor key `i + 1`.
    survivor_ids: Vec<String>,
}

/// One chunk's PII, sealed.
struct Sealed {
    kind: &'static str,
    first_key: i64,
    last_key: i64,
    records: usize,
    ciphertext: Vec<u8>,
}

/// Records per sealed message: small enough that a reveal decrypts little, large enough that the X25519
/// cost per record is negligible.
pub const SEAL_RECORDS: usize = 1024;

/// Seals a chunk's PII in messages of up to [`SEAL_RECORDS`] records.
fn seal_pii(pii: &synth::Pii, sealer: &Sealer) -> std::result::Result<Vec<Sealed>, String> {
    let mut sealed = Vec::new();
    for part in pii.slices(SEAL_RECORDS) {
        let Some((first_key, last_key)) = part.key_range() else { continue };
        let plaintext = serde_json::to_vec(&part).map_err(|e| e.to_string())?;
        let ciphertext = sealer.seal(plaintext).map_err(|e| e.to_string())?;
        sealed.push(Sealed { kind: part.kind(), first_key, last_key, records: part.len(), ciphertext });
    }
    Ok(sealed)
}

/// Seeds `data_dir` with every person's ID masked by `masker` and all PII sealed to `recipient`.
pub fn seed_sealed(
    data_dir: &Path,
    options: &SeedOptions,
    recipient: &Recipient,
    masker: &Masker,
) -> Result<SeedReport> {
    let params = options.params;
    let masked = |domain, n| masker.mask_keys(domain, n).into_iter().map(|m| m.to_string()).collect();
    let privacy = SeedPrivacy {
        recipient: recipient.to_string(),
        sealer: &Sealer::new(recipient.clone()),
        person_ids: masked(Domain::Person, params.universe()),
        survivor_ids: masked(Domain::Survivor, params.survivors()),
    };
    seed(data_dir, options, &privacy)
}

/// Builds a new warehouse in `data_dir` and returns what was loaded.
fn seed(data_dir: &Path, options: &SeedOptions, privacy: &SeedPrivacy<'_>) -> Result<SeedReport> {
    let started = Instant::now();
    let customers = options.params.customers;
    if !(1..=MAX_CUSTOMERS).contains(&customers) {
        return Err(Error::OutOfRange { what: "--customers", min: 1, max: MAX_CUSTOMERS, got: customers });
    }
    let path = path_in(data_dir);
    if path.exists() && !options.force {
        return Err(Error::Exists { path });
    }
    let params = options.params;
    if privacy.person_ids.len() as u64 != params.universe() || privacy.survivor_ids.len() as u64 != params.survivors() {
        return Err(Error::Seed("masked IDs do not match the population size".into()));
    }
    fs::create_dir_all(data_dir).map_err(|source| Error::Unwritable { path: data_dir.to_owned(), source })?;
    // The data dir holds DV metadata and the installation key: only its owner may list or read it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(data_dir, fs::Permissions::from_mode(0o700))
            .map_err(|source| Error::Unwritable { path: data_dir.to_owned(), source })?;
    }
    remove_stale_temporaries(data_dir);
    let pid = std::process::id();
    let tmp = data_dir.join(format!(".{}.seeding-{pid}", super::FILE_NAME));
    // The vault file gets a fresh name per seed, so the old warehouse keeps its own vault until the new
    // warehouse replaces it: a kill at any moment leaves a matching pair.
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(|e| Error::Seed(format!("no randomness for the vault name: {e}")))?;
    let vault_name = format!("vault-{}.bin", hex::encode(nonce));
    let vault_tmp = data_dir.join(format!(".{vault_name}.seeding-{pid}"));
    let result = build(&tmp, &vault_tmp, &vault_name, options, privacy);
    let (tables, sealing) = match result {
        Ok(built) => built,
        Err(e) => {
            remove_database_files(&tmp);
            let _ = fs::remove_file(&vault_tmp);
            return Err(e);
        }
    };
    let vault_path = data_dir.join(&vault_name);
    let installed = fs::rename(&vault_tmp, &vault_path).and_then(|()| fs::rename(&tmp, &path));
    if let Err(source) = installed {
        remove_database_files(&tmp);
        let _ = fs::remove_file(&vault_tmp);
        let _ = fs::remove_file(&vault_path);
        return Err(Error::Unwritable { path: path.clone(), source });
    }
    if let Ok(dir) = fs::File::open(data_dir) {
        let _ = dir.sync_all();
    }
    remove_other_vaults(data_dir, &vault_name);
    Ok(SeedReport { path, tables, elapsed: started.elapsed(), sealing })
}

/// Removes vault files that no longer belong to the warehouse.
fn remove_other_vaults(data_dir: &Path, keep: &str) {
    let Ok(entries) = fs::read_dir(data_dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("vault-") && name.ends_with(".bin") && name != keep {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Appends sealed chunks to the vault file, tracking offsets.
struct VaultWriter {
    file: std::io::BufWriter<fs::File>,
    offset: u64,
}

fn build(
    tmp: &Path,
    vault_tmp: &Path,
    vault_name: &str,
    options: &SeedOptions,
    privacy: &SeedPrivacy<'_>,
) -> Result<(Vec<(Table, u64)>, Duration)> {
    remove_database_files(tmp);
    let vault_file =
        fs::File::create(vault_tmp).map_err(|source| Error::Unwritable { path: vault_tmp.to_owned(), source })?;
    let mut vault = VaultWriter { file: std::io::BufWriter::with_capacity(1 << 20, vault_file), offset: 0 };
    // Probe writability with a plain file first: DuckDB's own message for this is obscure.
    fs::write(tmp, b"").map_err(|source| Error::Unwritable { path: tmp.to_owned(), source })?;
    fs::remove_file(tmp).map_err(|source| Error::Unwritable { path: tmp.to_owned(), source })?;

    let threads = options.threads.max(1);
    let conn = Connection::open_with_flags(tmp, config(AccessMode::ReadWrite)?.threads(threads as i64)?)?;
    let phase = Instant::now();
    conn.execute_batch(sql::SCHEMA)?;
    conn.execute_batch(sql::PRIVACY_SCHEMA)?;
    let (counts, sealing) = load(&conn, options, threads, privacy.sealer, &mut vault)?;
    let vault_file = vault
        .file
        .into_inner()
        .map_err(|e| Error::Unwritable { path: vault_tmp.to_owned(), source: e.into_error() })?;
    vault_file.sync_all().map_err(|source| Error::Unwritable { path: vault_tmp.to_owned(), source })?;
    conn.execute(sql::VAULT_FILE_INSERT, [vault_name])?;
    tracing::debug!(elapsed = ?phase.elapsed(), "generated, sealed and loaded");
    conn.execute(sql::RECIPIENT_INSERT, [&privacy.recipient])?;
    append_ids(&conn, "person_ids", &privacy.person_ids)?;
    append_ids(&conn, "survivor_ids", &privacy.survivor_ids)?;
    tracing::debug!(elapsed = ?phase.elapsed(), "masked IDs loaded");
    conn.execute_batch(sql::PRIVACY_INDEX)?;
    tracing::debug!(elapsed = ?phase.elapsed(), "masked IDs indexed");
    conn.execute_batch(sql::CLEANROOM)?;
    let p = options.params;
    conn.execute(
        sql::META_INSERT,
        params![
            SCHEMA_VERSION,
            synth::GENERATOR_VERSION,
            p.seed,
            p.customers,
            p.survivors(),
            synth::observation_date().to_string()
        ],
    )?;
    conn.execute_batch(sql::CHECKPOINT)?;
    tracing::debug!(elapsed = ?phase.elapsed(), "checkpointed");
    conn.close().map_err(|(_, e)| Error::Db(e))?;
    let sync = || fs::File::open(tmp)?.sync_all();
    sync().map_err(|source| Error::Unwritable { path: tmp.to_owned(), source })?;
    Ok((Table::ALL.into_iter().map(|t| (t, counts.get(&t).copied().unwrap_or(0))).collect(), sealing))
}

/// Generates chunks on a pool of `threads` workers, a window at a time, and appends them in chunk order.
/// Appends masked IDs for keys `1..=ids.len()` to `privacy.<table>`.
fn append_ids(conn: &Connection, table: &str, ids: &[String]) -> Result<()> {
    let mut appender = conn.appender_to_db(table, "privacy")?;
    for (n, slice) in ids.chunks(1 << 16).enumerate() {
        let first = (n << 16) as i64 + 1;
        let keys: Vec<i64> = (first..first + slice.len() as i64).collect();
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("key", DataType::Int64, false),
                Field::new("masked_id", DataType::Utf8, false),
            ])),
            vec![Arc::new(Int64Array::from(keys)), Arc::new(StringArray::from_iter_values(slice))],
        )
        .map_err(|e| Error::Seed(format!("privacy.{table}: {e}")))?;
        appender.append_record_batch(batch)?;
    }
    appender.flush()?;
    Ok(())
}

type Generated = (Vec<Batch>, std::result::Result<Vec<Sealed>, String>);

fn load(
    conn: &Connection,
    options: &SeedOptions,
    threads: usize,
    sealer: &Sealer,
    vault_file: &mut VaultWriter,
) -> Result<(BTreeMap<Table, u64>, Duration)> {
    let sealing_total = std::sync::atomic::AtomicU64::new(0);
    let sealing_nanos = &sealing_total;
    let params = options.params;
    let total = params.chunk_count();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("synth-{i}"))
        .build()
        .map_err(|e| Error::Seed(format!("cannot start generator threads: {e}")))?;
    let bar = if options.progress { ProgressBar::new(total) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{spinner} seeding {bar:30} {pos}/{len} chunks, {elapsed} (eta {eta})")
            .expect("valid template"),
    );

    let mut appenders: BTreeMap<Table, Appender<'_>> = BTreeMap::new();
    for table in Table::ALL {
        let (schema, name) = table.name().split_once('.').expect("qualified name");
        appenders.insert(table, conn.appender_to_db(name, schema)?);
    }
    let mut counts = BTreeMap::new();
    let window = (threads as u64 * 2).max(2);
    let mut vault = conn.prepare(sql::VAULT_INSERT)?;
    let vault_file = &mut *vault_file;
    let mut chunk_id = 0i64;
    let (sender, receiver) = mpsc::sync_channel::<Vec<Generated>>(1);
    std::thread::scope(|scope| -> Result<()> {
        scope.spawn(move || {
            let mut start = 0;
            while start < total {
                let end = (start + window).min(total);
                // Each worker generates a chunk and seals its PII at once: plaintext never leaves the worker.
                let chunks: Vec<Generated> = pool.install(|| {
                    (start as usize..end as usize)
                        .into_par_iter()
                        .map(|i| {
                            let chunk = synth::chunk(&params, i as u64);
                            let started = Instant::now();
                            let sealed = seal_pii(&chunk.pii, sealer);
                            let nanos = started.elapsed().as_nanos() as u64;
                            sealing_nanos.fetch_add(nanos, std::sync::atomic::Ordering::Relaxed);
                            (chunk.batches, sealed)
                        })
                        .collect()
                });
                if sender.send(chunks).is_err() {
                    return;
                }
                start = end;
            }
        });
        for chunks in receiver {
            let generated = chunks.len() as u64;
            for (batches, sealed) in chunks {
                for s in sealed.map_err(|e| Error::Seed(format!("sealing PII failed: {e}")))? {
                    let length = s.ciphertext.len() as u64;
                    std::io::Write::write_all(&mut vault_file.file, &s.ciphertext)
                        .map_err(|e| Error::Seed(format!("cannot write the vault file: {e}")))?;
                    vault.execute(params![
                        chunk_id,
                        s.kind,
                        s.first_key,
                        s.last_key,
                        s.records as i64,
                        vault_file.offset as i64,
                        length as i64
                    ])?;
                    vault_file.offset += length;
                    chunk_id += 1;
                }
                for batch in batches {
                    let rows = batch.rows() as u64;
                    if rows == 0 {
                        continue;
                    }
                    let table = batch.table;
                    let appender = appenders.get_mut(&table).expect("an appender per table");
                    appender.append_record_batch(record_batch(batch)?)?;
                    *counts.entry(table).or_insert(0) += rows;
                }
            }
            bar.inc(generated);
        }
        Ok(())
    })?;
    for (_, mut appender) in appenders {
        appender.flush()?;
    }
    drop(vault);
    bar.finish_and_clear();
    Ok((counts, Duration::from_nanos(sealing_total.into_inner())))
}

/// Converts a generated batch into an Arrow record batch with the same column order.
fn record_batch(batch: Batch) -> Result<RecordBatch> {
    let mut fields = Vec::with_capacity(batch.columns.len());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(batch.columns.len());
    for (name, column) in batch.columns {
        let (data_type, array): (DataType, ArrayRef) = match column {
            Column::I64(v) => (DataType::Int64, Arc::new(Int64Array::from(v))),
            Column::I32(v) => (DataType::Int32, Arc::new(Int32Array::from(v))),
            Column::I16(v) => (DataType::Int16, Arc::new(Int16Array::from(v))),
            Column::F64(v) => (DataType::Float64, Arc::new(Float64Array::from(v))),
            Column::Bool(v) => (DataType::Boolean, Arc::new(BooleanArray::from(v))),
            Column::Str(v) => (DataType::Utf8, Arc::new(StringArray::from_iter_values(v))),
            Column::Date(v) => (DataType::Date32, Arc::new(Date32Array::from(v))),
        };
        fields.push(Field::new(name, data_type, false));
        arrays.push(array);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
        .map_err(|e| Error::Seed(format!("{}: {e}", batch.table)))
}

fn remove_database_files(path: &Path) {
    let _ = fs::remove_file(path);
    let mut wal = path.as_os_str().to_owned();
    wal.push(".wal");
    let _ = fs::remove_file(PathBuf::from(wal));
}

/// Removes temporary files of seeds that were killed (their process no longer runs).
fn remove_stale_temporaries(data_dir: &Path) {
    let Ok(entries) = fs::read_dir(data_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((_, rest)) = name.split_once(".seeding-").filter(|_| name.starts_with('.')) else {
            continue;
        };
        let pid = rest.trim_end_matches(".wal");
        let alive = pid.parse::<u32>().is_ok_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let _ = fs::remove_file(entry.path());
        }
    }
}
