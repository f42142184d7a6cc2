//! DV service ingest: `POST /api/v1/survivors` and `POST /api/v1/survivors/{userId}/incidents`.
//!
//! The caller's `userId` is stored only as a masked ID. Names, contacts and narratives are sealed with age
//! before anything is stored, and are never analysed or returned. Every field is checked before anything is
//! written; an invalid request stores nothing.

use crate::catalog::regions;
use crate::dv::{Immigration, Incident, IncidentType, Profile, RestrainingOrder, SupportNetwork, WeaponType};
use crate::privacy::masked::Domain;
use crate::server::json::{ApiJson, ApiPath};
use crate::server::{ApiError, AppState, Shared};
use crate::text::clip;
use crate::warehouse::DvCase;
use crate::warehouse::service::NewSurvivor;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

const MAX_TEXT: usize = 200;
const MAX_NARRATIVE: usize = 20_000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SurvivorRequest {
    user_id: String,
    region: String,
    employed: bool,
    immigration_status: Immigration,
    has_children: bool,
    support_network: SupportNetwork,
    pregnant: bool,
    recent_separation: bool,
    perpetrator_has_weapons: bool,
    restraining_order: RestrainingOrder,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IncidentRequest {
    date: NaiveDate,
    types: Vec<IncidentType>,
    severity: u8,
    strangulation: bool,
    weapon_used: bool,
    weapon_type: WeaponType,
    threats_to_kill: bool,
    police_involved: bool,
    medical_attention: bool,
    perpetrator_relationship: String,
    substance_use: bool,
    extreme_jealousy: bool,
    controlling_behavior: bool,
    #[serde(default)]
    narrative: Option<String>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::Unprocessable(message.into())
}

/// Dates the service accepts: from 1900-01-01 to today.
pub fn check_date(field: &str, date: NaiveDate) -> Result<(), ApiError> {
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date");
    let today = chrono::Utc::now().date_naive();
    if date < earliest {
        return Err(invalid(format!("{field} {date} is before 1900-01-01")));
    }
    if date > today {
        return Err(invalid(format!("{field} {date} is in the future")));
    }
    Ok(())
}

/// Who the perpetrator is to the survivor.
pub const RELATIONSHIPS: [&str; 7] =
    ["current_partner", "former_partner", "spouse", "ex_spouse", "dating", "family", "other"];

/// Checks a user-supplied ID and returns its masked form.
pub fn masked_user(state: &AppState, user_id: &str) -> Result<String, ApiError> {
    let user_id = user_id.trim();
    if user_id.is_empty() || user_id.chars().count() > 128 {
        return Err(invalid("userId must be 1–128 characters"));
    }
    Ok(state.masker.mask(Domain::ExternalUser, user_id.as_bytes(), 0).to_string())
}

fn seal(state: &AppState, record: &Value) -> Result<Vec<u8>, ApiError> {
    let sealer = state.sealer.as_ref().ok_or_else(|| {
        invalid("this installation has no age recipient to seal personal data to: seed it first (appliance.toml)")
    })?;
    sealer.seal(serde_json::to_vec(record).expect("JSON serialises")).map_err(ApiError::internal)
}

pub async fn create_survivor(
    State(state): Shared,
    ApiJson(request): ApiJson<SurvivorRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let masked = masked_user(&state, &request.user_id)?;
    let region = regions::by_code(&request.region)
        .ok_or_else(|| {
            invalid(format!("region must be a US postal code such as OH or DC; got `{}`", clip(&request.region, 10)))
        })?
        .code;
    for (field, value) in [("name", &request.name), ("phone", &request.phone), ("email", &request.email)] {
        if value.as_ref().is_some_and(|v| v.chars().count() > MAX_TEXT) {
            return Err(invalid(format!("{field} must be at most {MAX_TEXT} characters")));
        }
    }
    let has_pii = request.name.is_some() || request.phone.is_some() || request.email.is_some();
    let sealed = if has_pii {
        Some(seal(&state, &json!({ "name": request.name, "phone": request.phone, "email": request.email }))?)
    } else {
        None
    };
    let survivor = NewSurvivor {
        region,
        profile: Profile {
            employed: request.employed,
            immigration_status: request.immigration_status,
            has_children: request.has_children,
            support_network: request.support_network,
            pregnant: request.pregnant,
            recent_separation: request.recent_separation,
            perpetrator_has_weapons: request.perpetrator_has_weapons,
            restraining_order: request.restraining_order,
        },
    };
    let created_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let id = masked.clone();
    state
        .with_service_result(move |service| {
            if service.has_survivor(&id)? {
                return Err(ApiError::Conflict("a survivor with this userId already exists".into()));
            }
            if let Some(sealed) = &sealed {
                service.append_sealed(&id, "survivor", None, sealed)?;
            }
            service.add_survivor(&id, &survivor, &created_at)?;
            Ok(())
        })
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "success": true, "survivorId": masked }))))
}

pub async fn create_incident(
    State(state): Shared,
    ApiPath(user_id): ApiPath<String>,
    ApiJson(request): ApiJson<IncidentRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let masked = masked_user(&state, &user_id)?;
    if !(1..=5).contains(&request.severity) {
        return Err(invalid(format!("severity must be between 1 and 5; got {}", request.severity)));
    }
    if request.types.is_empty() {
        return Err(invalid("types must name at least one of physical, verbal, sexual, financial, stalking"));
    }
    check_date("date", request.date)?;
    // A closed list, not free text: nothing typed here can identify anyone.
    let relationship = request.perpetrator_relationship.trim().to_owned();
    if !RELATIONSHIPS.contains(&relationship.as_str()) {
        return Err(invalid(format!("perpetratorRelationship must be one of {}", RELATIONSHIPS.join(", "))));
    }
    if request.narrative.as_ref().is_some_and(|n| n.chars().count() > MAX_NARRATIVE) {
        return Err(invalid(format!("narrative must be at most {MAX_NARRATIVE} characters")));
    }
    let sealed = match &request.narrative {
        Some(text) if !text.trim().is_empty() => Some(seal(&state, &json!({ "narrative": text }))?),
        _ => None,
    };
    let incident = Incident {
        id: 0,
        date: request.date,
        types: request.types.into_iter().collect(),
        severity: request.severity,
        strangulation: request.strangulation,
        weapon_used: request.weapon_used,
        weapon_type: request.weapon_type,
        threats_to_kill: request.threats_to_kill,
        police_involved: request.police_involved,
        medical_attention: request.medical_attention,
        perpetrator_relationship: relationship,
        substance_use: request.substance_use,
        extreme_jealousy: request.extreme_jealousy,
        controlling_behavior: request.controlling_behavior,
    };
    let created_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let number = state
        .with_service_result(move |service| {
            if !service.has_survivor(&masked)? {
                return Err(ApiError::NotFound(
                    "no survivor with this userId: create it with POST /api/v1/survivors".into(),
                ));
            }
            let number = service.add_incident(&masked, &incident, &created_at)?;
            if let Some(sealed) = &sealed {
                service.append_sealed(&masked, "narrative", Some(number), sealed)?;
            }
            Ok(number)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "success": true, "incidentNo": number }))))
}

/// Where a named survivor lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Created through the API (the service database).
    Api,
    /// The synthetic population (the warehouse).
    Synthetic,
}

/// The case of the survivor a caller names: one created through the API, by its userId or by the survivorId it
/// was given back; else a synthetic survivor, by its masked ID. `None` if there is no such survivor.
pub async fn find_case(state: &Arc<AppState>, user: &str) -> Result<Option<(DvCase, Source)>, ApiError> {
    let external = masked_user(state, user)?;
    let given = user.trim().parse::<crate::privacy::masked::MaskedId>().ok().map(|m| m.to_string());
    let also = given.clone();
    let api = state
        .with_service(move |service| match service.dv_case(&external)? {
            Some(case) => Ok(Some(case)),
            None => match also {
                Some(id) => service.dv_case(&id),
                None => Ok(None),
            },
        })
        .await?;
    if let Some(case) = api {
        return Ok(Some((case, Source::Api)));
    }
    let Some(masked) = given else { return Ok(None) };
    let case = state.with_warehouse(move |w| Ok(w.dv_cases(Some(&masked))?.into_iter().next())).await?;
    Ok(case.map(|case| (case, Source::Synthetic)))
}

/// A survivor's region (API survivors' from the service database, synthetic ones' from the warehouse), for
/// routing their alerts.
pub async fn survivor_region(
    state: &Arc<AppState>,
    masked_id: &str,
    source: Source,
) -> Result<Option<String>, ApiError> {
    let id = masked_id.to_owned();
    match source {
        Source::Api => state.with_service(move |service| service.survivor_region(&id)).await,
        Source::Synthetic => state.with_warehouse(move |w| w.survivor_region(&id)).await,
    }
}
