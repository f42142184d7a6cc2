//! The DV service's survivors and incidents as the engine reads them, from the warehouse's clean room; the row
//! readers are shared with the service database, so synthetic and API survivors are read by the same code.

use super::{Error, Result, Warehouse};
use crate::dv;
use std::path::Path;

/// The SQL this file runs, from `sql/warehouse/`.
mod sql {
    pub const DV_SURVIVORS: &str = include_str!("../../sql/warehouse/dv_survivors.sql");
    pub const DV_INCIDENTS: &str = include_str!("../../sql/warehouse/dv_incidents.sql");
    pub const DV_SURVIVOR_ONE: &str = include_str!("../../sql/warehouse/dv_survivor_one.sql");
    pub const DV_INCIDENTS_ONE: &str = include_str!("../../sql/warehouse/dv_incidents_one.sql");
    pub const DV_SURVIVOR_REGIONS: &str = include_str!("../../sql/warehouse/dv_survivor_regions.sql");
    pub const DV_SURVIVOR_REGION: &str = include_str!("../../sql/warehouse/dv_survivor_region.sql");
    pub const TRUTH_TRAJECTORIES: &str = include_str!("../../sql/warehouse/truth_trajectories.sql");
}

/// A survivor's case for the DV engine: masked ID, profile, incidents in date order.
pub type DvCase = (String, dv::Profile, Vec<dv::Incident>);

impl Warehouse {
    /// Every synthetic survivor with their region, as of the observation date: what a chaos run or a drill
    /// reassesses.
    pub fn dv_input(&self) -> Result<crate::chaos::dv::DvInput> {
        Ok(crate::chaos::dv::DvInput {
            cases: self.dv_cases(None)?,
            regions: self.survivor_regions()?,
            as_of: self.observation_date()?,
        })
    }

    /// One synthetic survivor's region, by masked ID.
    pub fn survivor_region(&self, masked_id: &str) -> Result<Option<String>> {
        let mut stmt = self.conn.prepare_cached(sql::DV_SURVIVOR_REGION)?;
        let mut rows = stmt.query([masked_id])?;
        Ok(match rows.next()? {
            Some(row) => Some(row.get(0)?),
            None => None,
        })
    }

    /// Each synthetic survivor's region, by masked ID.
    pub fn survivor_regions(&self) -> Result<std::collections::HashMap<String, String>> {
        let mut stmt = self.conn.prepare(sql::DV_SURVIVOR_REGIONS)?;
        let rows = stmt.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// DV cases from the clean room: every survivor, or the one with `masked_id`.
    pub fn dv_cases(&self, masked_id: Option<&str>) -> Result<Vec<DvCase>> {
        let mut stmt = match masked_id {
            Some(_) => self.conn.prepare_cached(sql::DV_SURVIVOR_ONE)?,
            None => self.conn.prepare_cached(sql::DV_SURVIVORS)?,
        };
        let mut rows = match masked_id {
            Some(id) => stmt.query([id])?,
            None => stmt.query([])?,
        };
        let mut cases: Vec<DvCase> = Vec::new();
        while let Some(row) = rows.next()? {
            let (id, profile) = profile_from_row(row, &self.path)?;
            cases.push((id, profile, Vec::new()));
        }
        let mut stmt = match masked_id {
            Some(_) => self.conn.prepare_cached(sql::DV_INCIDENTS_ONE)?,
            None => self.conn.prepare_cached(sql::DV_INCIDENTS)?,
        };
        let mut rows = match masked_id {
            Some(id) => stmt.query([id])?,
            None => stmt.query([])?,
        };
        let mut case = 0;
        while let Some(row) = rows.next()? {
            let (owner, incident) = incident_from_row(row, &self.path)?;
            while case < cases.len() && cases[case].0 < owner {
                case += 1;
            }
            if let Some((_, _, incidents)) = cases.get_mut(case).filter(|c| c.0 == owner) {
                incidents.push(incident);
            }
        }
        Ok(cases)
    }

    /// Ground truth for evaluating the DV engine: each survivor's hidden trajectory by masked ID.
    /// Never shown or served.
    pub fn truth_trajectories(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare(sql::TRUTH_TRAJECTORIES)?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn unexpected(path: &Path, what: &str, value: &str) -> Error {
    Error::NotSafeHaven { path: path.to_owned(), detail: format!("unexpected {what} `{value}` in the DV tables") }
}

/// A survivor's profile from a row of `sql/warehouse/dv_survivors.sql`'s shape (shared by the warehouse and the service
/// database, so synthetic and API survivors are read by the same code).
pub(super) fn profile_from_row(row: &duckdb::Row<'_>, path: &Path) -> Result<(String, dv::Profile)> {
    let (immigration, support, order): (String, String, String) = (row.get(2)?, row.get(4)?, row.get(8)?);
    let profile = dv::Profile {
        employed: row.get(1)?,
        immigration_status: dv::parse_name(&immigration)
            .ok_or_else(|| unexpected(path, "immigration status", &immigration))?,
        has_children: row.get(3)?,
        support_network: dv::parse_name(&support).ok_or_else(|| unexpected(path, "support network", &support))?,
        pregnant: row.get(5)?,
        recent_separation: row.get(6)?,
        perpetrator_has_weapons: row.get(7)?,
        restraining_order: dv::parse_name(&order).ok_or_else(|| unexpected(path, "restraining order", &order))?,
    };
    Ok((row.get(0)?, profile))
}

/// An incident from a row of `sql/warehouse/dv_incidents.sql`'s shape, with its owner's masked ID.
pub(super) fn incident_from_row(row: &duckdb::Row<'_>, path: &Path) -> Result<(String, dv::Incident)> {
    let kinds = [
        dv::IncidentType::Physical,
        dv::IncidentType::Verbal,
        dv::IncidentType::Sexual,
        dv::IncidentType::Financial,
        dv::IncidentType::Stalking,
    ];
    let mut types = std::collections::BTreeSet::new();
    for (n, kind) in kinds.into_iter().enumerate() {
        if row.get::<_, bool>(3 + n)? {
            types.insert(kind);
        }
    }
    let (date, weapon): (String, String) = (row.get(2)?, row.get(11)?);
    let incident = dv::Incident {
        id: row.get(1)?,
        date: date.parse().map_err(|_| unexpected(path, "incident date", &date))?,
        types,
        severity: row.get::<_, i16>(8)?.clamp(1, 5) as u8,
        strangulation: row.get(9)?,
        weapon_used: row.get(10)?,
        weapon_type: dv::parse_name(&weapon).ok_or_else(|| unexpected(path, "weapon type", &weapon))?,
        threats_to_kill: row.get(12)?,
        police_involved: row.get(13)?,
        medical_attention: row.get(14)?,
        perpetrator_relationship: row.get(15)?,
        substance_use: row.get(16)?,
        extreme_jealousy: row.get(17)?,
        controlling_behavior: row.get(18)?,
    };
    Ok((row.get(0)?, incident))
}
