//! The content fingerprint: a hash over the warehouse's logical content, stable across runs and machines.
//!
//! Each table contributes its row count and the XOR of its rows' MD5 (computed by DuckDB over the row's text
//! form), so physical row order, block layout and thread count do not matter; the table digests are then hashed
//! in catalog order with SHA-256.

use super::Result;
use crate::catalog::Table;
use duckdb::Connection;
use sha2::{Digest, Sha256};

/// The SQL this file runs, from `sql/warehouse/`.
mod sql {
    pub const TABLE_DIGEST: &str = include_str!("../../sql/warehouse/table_digest.sql");
}

/// One table's digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDigest {
    pub table: Table,
    pub rows: u64,
    pub xor_md5: String,
}

pub fn digest(conn: &Connection, table: Table) -> Result<TableDigest> {
    let query = sql::TABLE_DIGEST.replace("{table}", table.name());
    let (rows, xor_md5) =
        conn.query_row(&query, [], |row| Ok((row.get::<_, i64>(0)? as u64, row.get::<_, String>(1)?)))?;
    Ok(TableDigest { table, rows, xor_md5 })
}

pub fn table_digests(conn: &Connection) -> Result<Vec<TableDigest>> {
    Table::ALL.into_iter().map(|table| digest(conn, table)).collect()
}

pub fn combine(digests: &[TableDigest]) -> String {
    let mut hasher = Sha256::new();
    for d in digests {
        hasher.update(format!("{}\t{}\t{}\n", d.table.name(), d.rows, d.xor_md5));
    }
    hex::encode(hasher.finalize())
}
