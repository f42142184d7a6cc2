//! The privacy ledger in the service database: each release of an aggregate view under differential privacy (its
//! noise seed, so asking again returns the same answer) and each user's charges against their daily budget.

use super::Service;
use crate::warehouse::{Error, Result};

/// The SQL this file runs, from `sql/service/`.
mod sql {
    pub const RELEASE_GET: &str = include_str!("../../../sql/service/dp_release_get.sql");
    pub const RELEASE_INSERT: &str = include_str!("../../../sql/service/dp_release_insert.sql");
    pub const CHARGED: &str = include_str!("../../../sql/service/dp_charged.sql");
    pub const CHARGE_INSERT: &str = include_str!("../../../sql/service/dp_charge_insert.sql");
    pub const SPENT: &str = include_str!("../../../sql/service/dp_spent.sql");
}

/// A release: a view with its parameters (hashed) on one UTC day (`YYYY-MM-DD`).
#[derive(Debug, Clone, Copy)]
pub struct ReleaseKey<'a> {
    pub view: &'a str,
    pub params: &'a str,
    pub day: &'a str,
}

impl Service {
    /// The seed of today's release, making it (drawn by `fresh`) if there is none yet.
    pub fn dp_release(
        &self,
        key: ReleaseKey<'_>,
        fresh: impl FnOnce() -> [u8; 32],
        epsilon: f64,
        at: &str,
    ) -> Result<[u8; 32]> {
        let mut stmt = self.conn.prepare_cached(sql::RELEASE_GET)?;
        let mut rows = stmt.query(duckdb::params![key.view, key.params, key.day])?;
        if let Some(row) = rows.next()? {
            let text: String = row.get(0)?;
            let bytes = hex::decode(&text).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
            return bytes.ok_or_else(|| Error::Corrupt {
                path: self.dir.join(super::FILE_NAME),
                detail: format!("the noise seed of release {}/{} is damaged", key.view, key.day),
            });
        }
        let seed = fresh();
        self.conn.execute(
            sql::RELEASE_INSERT,
            duckdb::params![key.view, key.params, key.day, hex::encode(seed), epsilon, at],
        )?;
        Ok(seed)
    }

    /// Whether `user` has been charged for the release.
    pub fn dp_charged(&self, user: &str, key: ReleaseKey<'_>) -> Result<bool> {
        let n: i64 =
            self.conn
                .query_row(sql::CHARGED, duckdb::params![user, key.view, key.params, key.day], |row| row.get(0))?;
        Ok(n > 0)
    }

    /// Charges `user` `epsilon` for the release.
    pub fn dp_charge(&self, user: &str, key: ReleaseKey<'_>, epsilon: f64, at: &str) -> Result<()> {
        self.conn.execute(sql::CHARGE_INSERT, duckdb::params![user, key.view, key.params, key.day, epsilon, at])?;
        Ok(())
    }

    /// What `user` has spent on `day`.
    pub fn dp_spent(&self, user: &str, day: &str) -> Result<f64> {
        Ok(self.conn.query_row(sql::SPENT, duckdb::params![user, day], |row| row.get(0))?)
    }
}
