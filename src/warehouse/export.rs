//! `safehaven export`: one non-sensitive table to CSV or Parquet, written atomically.

use super::{Error, Result, Warehouse};
use crate::catalog::Table;
use crate::text::clip;
use std::fs;
use std::path::{Path, PathBuf};

/// The SQL this file runs, from `sql/warehouse/`.
mod sql {
    pub const EXPORT: &str = include_str!("../../sql/warehouse/export.sql");
}

/// File format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Parquet,
}

impl ExportFormat {
    fn copy_options(self) -> &'static str {
        match self {
            ExportFormat::Csv => "FORMAT csv, HEADER true",
            ExportFormat::Parquet => "FORMAT parquet",
        }
    }
}

/// Parses an exportable table name, or explains which names are valid.
pub fn exportable_table(name: &str) -> Result<Table> {
    let valid = Table::exportable_tables().map(Table::name).collect::<Vec<_>>().join(", ");
    match Table::parse(name) {
        Some(table) if table.exportable() => Ok(table),
        Some(table) => Err(Error::NotExportable { name: table.name().to_owned(), valid }),
        None => Err(Error::UnknownTable { name: clip(name, 80), valid }),
    }
}

/// Writes `table` to `out`, replacing it only once the new file is complete. Returns the rows written.
pub fn export(warehouse: &Warehouse, table: Table, format: ExportFormat, out: &Path) -> Result<u64> {
    if !table.exportable() {
        return Err(exportable_table(table.name()).unwrap_err());
    }
    let tmp = staging_path(out)?;
    let literal = path_literal(&tmp);
    let statement = sql::EXPORT
        .replace("{table}", table.name())
        .replace("{exclude}", &table.internal_keys().join(", "))
        .replace("{path}", &literal)
        .replace("{options}", format.copy_options());
    let result = warehouse.conn.execute(&statement, []);
    let rows = match result {
        Ok(_) => warehouse.table_rows(table)?,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(Error::Output { path: out.to_owned(), source: std::io::Error::other(e.to_string()) });
        }
    };
    fs::rename(&tmp, out).map_err(|source| {
        let _ = fs::remove_file(&tmp);
        Error::Output { path: out.to_owned(), source }
    })?;
    Ok(rows)
}

/// A temporary path next to `out` to write to before renaming into place; checks that `out` is a file path in an
/// existing directory.
pub(super) fn staging_path(out: &Path) -> Result<PathBuf> {
    let file_name = out.file_name().ok_or_else(|| Error::Output {
        path: out.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path"),
    })?;
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => Path::new(".").to_owned(),
    };
    if !dir.is_dir() {
        return Err(Error::Output {
            path: out.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("directory {} does not exist", dir.display()),
            ),
        });
    }
    let tmp = dir.join(format!(".{}.tmp-{}", file_name.to_string_lossy(), std::process::id()));
    Ok(tmp)
}

/// `path` as a quoted SQL string literal.
pub(super) fn path_literal(path: &Path) -> String {
    format!("'{}'", path.to_string_lossy().replace('\'', "''"))
}
