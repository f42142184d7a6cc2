//! Reveal: the one way from a masked ID back to a person, for a human with the identity and a reason. It joins
//! the warehouse's and the service database's lookups with the vault's decryption.

use super::service::Service;
use super::{Error as WarehouseError, Result as WarehouseResult, Warehouse};
use crate::privacy::keys;
use crate::privacy::masked::MaskedId;
use crate::privacy::vault;
use crate::synth::{Narrative, Pii};
use age::x25519::Identity;
use serde::Serialize;
use std::path::Path;
use zeroize::Zeroize;

/// The SQL this file runs, from `sql/warehouse/`.
mod sql {
    pub const RECIPIENT_SELECT: &str = include_str!("../../sql/warehouse/recipient_select.sql");
    pub const VAULT_LOCATE: &str = include_str!("../../sql/warehouse/vault_locate.sql");
    pub const VAULT_STATS: &str = include_str!("../../sql/warehouse/vault_stats.sql");
    pub const RESOLVE_MASKED: &str = include_str!("../../sql/warehouse/resolve_masked.sql");
}

/// Which vault a record lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    People,
    Survivors,
}

impl RecordKind {
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::People => "people",
            RecordKind::Survivors => "survivors",
        }
    }
}

/// Size of the sealed vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultStats {
    pub chunks: u64,
    pub records: u64,
    pub bytes: u64,
}

impl Warehouse {
    /// The age recipient this warehouse's PII is sealed to.
    pub fn recipient(&self) -> WarehouseResult<String> {
        Ok(self.conn.query_row(sql::RECIPIENT_SELECT, [], |row| row.get(0))?)
    }

    /// The record a masked ID names, if any.
    pub fn resolve(&self, masked_id: &str) -> WarehouseResult<Option<(RecordKind, i64)>> {
        let mut stmt = self.conn.prepare_cached(sql::RESOLVE_MASKED)?;
        let mut rows = stmt.query(duckdb::params![masked_id, masked_id])?;
        let Some(row) = rows.next()? else { return Ok(None) };
        let kind: String = row.get(0)?;
        let kind = if kind == "people" { RecordKind::People } else { RecordKind::Survivors };
        Ok(Some((kind, row.get(1)?)))
    }

    /// The sealed chunk that holds record `key` of `kind`, read from the vault file beside the warehouse.
    pub fn sealed_chunk(&self, kind: RecordKind, key: i64) -> WarehouseResult<Option<Vec<u8>>> {
        let mut locate = self.conn.prepare_cached(sql::VAULT_LOCATE)?;
        let mut rows = locate.query(duckdb::params![kind.name(), key])?;
        let Some(row) = rows.next()? else { return Ok(None) };
        let (name, offset, length): (String, i64, i64) = (row.get(0)?, row.get(1)?, row.get(2)?);
        let path = self.path.parent().unwrap_or(Path::new(".")).join(name);
        let read = || -> std::io::Result<Vec<u8>> {
            use std::io::{Read, Seek, SeekFrom};
            let mut file = std::fs::File::open(&path)?;
            file.seek(SeekFrom::Start(offset as u64))?;
            let mut bytes = vec![0u8; length as usize];
            file.read_exact(&mut bytes)?;
            Ok(bytes)
        };
        read()
            .map(Some)
            .map_err(|e| WarehouseError::Corrupt { path: path.clone(), detail: format!("vault file unreadable: {e}") })
    }

    pub fn vault_stats(&self) -> WarehouseResult<VaultStats> {
        Ok(self.conn.query_row(sql::VAULT_STATS, [], |row| {
            Ok(VaultStats {
                chunks: row.get::<_, i64>(0)? as u64,
                records: row.get::<_, i64>(1)? as u64,
                bytes: row.get::<_, i64>(2)? as u64,
            })
        })?)
    }
}

/// A revealed person. Printed once, to the person who asked; never logged or stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Revealed {
    pub masked_id: String,
    pub kind: RecordKind,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// A survivor's own incident narratives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub narratives: Option<Vec<Narrative>>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no person or survivor has masked ID {0}: check it with `safehaven people`")]
    UnknownId(String),
    #[error(transparent)]
    Keys(#[from] keys::Error),
    #[error(transparent)]
    Vault(#[from] vault::Error),
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error("vault record for {0} is missing: the warehouse is damaged; reseed it")]
    Missing(String),
}

impl Error {
    /// Whether the user can fix this by changing what they passed (exit code 2); an unknown ID or a missing record
    /// is "nothing found" (1).
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::UnknownId(_) | Error::Missing(_) => false,
            Error::Warehouse(e) => e.is_input_error(),
            Error::Vault(_) => true,
            Error::Keys(_) => true,
        }
    }
}

/// Decrypts the vault chunk holding `masked_id` and returns that one record.
pub fn reveal(warehouse: &Warehouse, identity: &Identity, masked_id: &MaskedId) -> Result<Revealed, Error> {
    let (kind, key) = warehouse.resolve(masked_id.as_str())?.ok_or_else(|| Error::UnknownId(masked_id.to_string()))?;
    let sealed = warehouse.sealed_chunk(kind, key)?.ok_or_else(|| Error::Missing(masked_id.to_string()))?;
    let mut plaintext = vault::open(identity, &sealed, None).map_err(|e| match e {
        // Name the recipient the data was sealed to, looked up only when it is needed.
        vault::Error::WrongIdentity { .. } => {
            let recipient = warehouse.recipient().ok();
            vault::open(identity, &sealed, recipient.as_deref()).err().unwrap_or(e)
        }
        other => other,
    })?;
    let parsed: Result<Pii, _> = serde_json::from_slice(&plaintext);
    plaintext.zeroize();
    let pii = parsed.map_err(|e| vault::Error::Damaged(e.to_string()))?;
    let masked = masked_id.to_string();
    let found = match pii {
        Pii::People(records) => records.into_iter().find(|r| r.key == key).map(|r| (r, None)),
        Pii::Survivors(records) => {
            records.into_iter().find(|r| r.identity.key == key).map(|r| (r.identity, Some(r.narratives)))
        }
    };
    let (identity, narratives) = found.ok_or_else(|| Error::Missing(masked.clone()))?;
    Ok(Revealed {
        masked_id: masked,
        kind,
        name: Some(identity.name),
        email: Some(identity.email),
        phone: Some(identity.phone),
        address: Some(identity.address),
        narratives,
    })
}

/// Reveals a survivor created through the API: its sealed contact details and narratives.
pub fn reveal_api(service: &Service, identity: &Identity, masked_id: &MaskedId) -> Result<Revealed, Error> {
    let records = service.sealed_records(masked_id.as_str())?;
    if records.is_empty() && !service.has_survivor(masked_id.as_str())? {
        return Err(Error::UnknownId(masked_id.to_string()));
    }
    let mut revealed = Revealed {
        masked_id: masked_id.to_string(),
        kind: RecordKind::Survivors,
        name: None,
        email: None,
        phone: None,
        address: None,
        narratives: Some(Vec::new()),
    };
    for record in records {
        let (kind, incident_no) = (record.kind, record.incident_no);
        let mut plaintext = vault::open(identity, &record.ciphertext, None)?;
        let parsed: Result<serde_json::Value, _> = serde_json::from_slice(&plaintext);
        plaintext.zeroize();
        let value = parsed.map_err(|e| vault::Error::Damaged(e.to_string()))?;
        let text = |field: &str| value[field].as_str().map(str::to_owned);
        match kind.as_str() {
            "survivor" => {
                revealed.name = text("name");
                revealed.email = text("email");
                revealed.phone = text("phone");
            }
            _ => {
                if let (Some(no), Some(narrative)) = (incident_no, text("narrative")) {
                    revealed
                        .narratives
                        .get_or_insert_with(Vec::new)
                        .push(Narrative { incident_id: no, text: narrative });
                }
            }
        }
    }
    Ok(revealed)
}
