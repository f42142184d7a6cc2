//! The vocabulary the dashboard's filters offer: regions, credit groups and age bands from the catalog, the case
//! list's indicators from the analytics, the alert statuses from the alert queue. The dashboard keeps no copy of
//! these lists, and the OpenAPI document lists the same values.

use crate::analytics::Indicator;
use crate::catalog::{AGE_BANDS, CREDIT_GROUP_NAMES, REGIONS};
use axum::Json;
use serde::Serialize;

/// One region as the dashboard lists it.
#[derive(Debug, Serialize)]
pub struct Region {
    pub code: &'static str,
    pub name: &'static str,
    /// (row, column) in the 8 × 11 tile-grid map.
    pub tile: (u8, u8),
}

/// `GET /api/v1/vocabulary`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Vocabulary {
    pub regions: Vec<Region>,
    pub credit_groups: &'static [&'static str],
    pub age_bands: &'static [&'static str],
    pub indicators: Vec<&'static str>,
    pub alert_statuses: &'static [&'static str],
}

pub fn vocabulary() -> Vocabulary {
    Vocabulary {
        regions: REGIONS.iter().map(|r| Region { code: r.code, name: r.name, tile: r.tile }).collect(),
        credit_groups: &CREDIT_GROUP_NAMES,
        age_bands: &AGE_BANDS,
        indicators: Indicator::ALL.iter().map(|(name, _)| *name).collect(),
        alert_statuses: &super::dv::alerts::STATUSES,
    }
}

/// `GET /api/v1/vocabulary` (any signed-in user).
pub async fn get() -> Json<Vocabulary> {
    Json(vocabulary())
}
