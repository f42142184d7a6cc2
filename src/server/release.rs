//! Releases of aggregate views: every one is audited (who, which view, a hash of its parameters, the ε it cost),
//! once per user, view, parameters and day, so a reviewer can see a user walking towards a small cell. Under
//! differential privacy a release also has a noise seed, made on its first request of the day and kept in the
//! service database (asking again returns the same noisy answer, also after a restart), and each user is charged
//! for it once against their daily budget; a spent budget answers 429 with when it refills.

use super::{ApiError, AppState, Caller};
use crate::privacy::audit::Event;
use crate::privacy::dp::{Noise, Policy};
use crate::warehouse::service::ReleaseKey;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The routes that release an aggregate view (audited; noisy and charged under differential privacy, so they may
/// answer 429 when the budget is spent). A chart or export of a view is the same release as the view.
pub(super) const RELEASED_ROUTES: &[&str] = &[
    "/api/v1/population/regions",
    "/api/v1/charts/population-by-region.svg",
    "/api/v1/executive",
    "/api/v1/charts/{name}",
    "/api/v1/export/executive/{table}",
];

/// A release under differential privacy: the seed of its noise and the ε it was made with.
pub(super) struct Release {
    pub(super) seed: [u8; 32],
    pub(super) epsilon: f64,
}

impl Release {
    pub(super) fn noise(&self) -> Noise {
        Noise::from_seed(self.seed)
    }
}

/// The exact releases audited today without differential privacy: the day, and (user, view, parameters hash).
#[derive(Default)]
pub(super) struct Released {
    day: String,
    seen: std::collections::HashSet<(String, &'static str, String)>,
}

/// The UTC day, and the seconds until the next one.
fn today() -> (String, u64) {
    let now = chrono::Utc::now();
    let tomorrow = (now.date_naive() + chrono::Days::new(1)).and_hms_opt(0, 0, 0).expect("midnight exists");
    let left = (tomorrow - now.naive_utc()).num_seconds().max(1) as u64;
    (now.date_naive().to_string(), left)
}

fn stamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A short, stable hash of a view's parameters (with the model and k they were computed under).
fn params_hash(params: &str) -> String {
    hex::encode(&Sha256::digest(params.as_bytes())[..12])
}

/// Records that `caller` was shown the exact aggregate `view` with `params`: once per user, view, parameters and
/// day (kept in memory: after a restart the first release of the day is audited again).
pub(super) async fn audited(
    state: &Arc<AppState>,
    caller: &Caller,
    view: &'static str,
    params: &str,
) -> Result<(), ApiError> {
    let day = today().0;
    let hash = params_hash(&format!("{} {params}", state.data_version));
    let first = state
        .released
        .lock()
        .map(|mut released| {
            if released.day != day {
                *released = Released { day, seen: Default::default() };
            }
            released.seen.insert((caller.name.clone(), view, hash.clone()))
        })
        .unwrap_or(true);
    if first {
        let (audit, event) = (state.audit.clone(), release_event(caller, view, &hash, 0.0));
        super::blocking(move || audit.append(event, stamp()).map(|_| ()).map_err(ApiError::internal)).await?;
    }
    Ok(())
}

/// Releases `view` with `params` to `caller` under differential privacy `policy`: given its noise seed, and the
/// first time today charged and audited. Check the request first: a request refused after this has been paid for.
pub(super) async fn release(
    state: &Arc<AppState>,
    policy: Policy,
    caller: &Caller,
    view: &'static str,
    params: String,
) -> Result<Release, ApiError> {
    let (day, refill) = today();
    // The release's ε is part of what it is: a changed policy makes new releases, never the old noise at a new ε.
    let epsilon = policy.epsilon_per_release;
    let hash = params_hash(&format!("{} ε={epsilon} {params}", state.data_version));
    let (audit, user) = (state.audit.clone(), caller.name.clone());
    let event = release_event(caller, view, &hash, epsilon);
    state
        .with_service_result(move |service| {
            let key = ReleaseKey { view, params: &hash, day: &day };
            let seed = service.dp_release(key, Noise::new_seed, epsilon, &stamp())?;
            if !service.dp_charged(&user, key)? {
                let spent = millionths(service.dp_spent(&user, &day)?);
                if spent + epsilon > policy.epsilon_per_day + 1e-9 {
                    return Err(ApiError::BudgetSpent {
                        message: format!(
                            "today's privacy budget is spent (ε {spent:.2} of {:.2}; this view costs {epsilon:.2}): it refills at 00:00 UTC, in {} h {} min; views already opened today can be opened again",
                            policy.epsilon_per_day,
                            refill / 3600,
                            refill % 3600 / 60
                        ),
                        retry_after: refill,
                    });
                }
                // Audited first: if the audit log cannot be written, nothing is charged or released.
                audit.append(event, stamp()).map_err(ApiError::internal)?;
                service.dp_charge(&user, key, epsilon, &stamp())?;
            }
            Ok(Release { seed, epsilon })
        })
        .await
}

/// ε spent, as people read it: a sum of charges rounded to millionths (the mechanism's unit), not 17.59999999999997.
fn millionths(epsilon: f64) -> f64 {
    (epsilon * 1e6).round() / 1e6
}

fn release_event(caller: &Caller, view: &str, hash: &str, epsilon: f64) -> Event {
    Event {
        actor: caller.name.clone(),
        action: "aggregate.release".into(),
        subject: view.into(),
        reason: format!("parameters {hash}; epsilon {epsilon}"),
    }
}

/// How aggregate views are protected, for `/api/v1/me` and the dashboard: the k of the guard, and under
/// differential privacy the caller's budget today.
pub(super) async fn budget(state: &Arc<AppState>, caller: &Caller) -> Result<serde_json::Value, ApiError> {
    let k = state.guard.k();
    let Some(policy) = state.dp.get().copied() else { return Ok(serde_json::json!({ "mode": "suppress", "k": k })) };
    let (day, refill) = today();
    let user = caller.name.clone();
    let spent = millionths(state.with_service(move |service| service.dp_spent(&user, &day)).await?);
    Ok(serde_json::json!({
        "mode": "dp",
        "k": k,
        "epsilonPerDay": policy.epsilon_per_day,
        "epsilonPerRelease": policy.epsilon_per_release,
        "spentToday": spent,
        "remainingToday": millionths((policy.epsilon_per_day - spent).max(0.0)),
        "refillsInSeconds": refill,
    }))
}
