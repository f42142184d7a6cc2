//! Bearer-token authentication and the per-route permission check, as tower layers.
//!
//! `authenticate` resolves `Authorization: Bearer …` to a user (401 without a valid token); `require(p)` then
//! lets the request through only if the user's role has permission `p` in the role matrix (403 otherwise).

use super::{ApiError, Shared, blocking};
use crate::privacy::roles::{Permission, Role};
use axum::Json;
use axum::extract::{Extension, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};

/// The authenticated caller, available to handlers as an extension.
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: String,
    pub role: Role,
}

pub async fn authenticate(State(state): Shared, mut request: Request, next: Next) -> Result<Response, ApiError> {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .ok_or(ApiError::Unauthenticated)?;
    let users = state.users.clone();
    let user = blocking(move || users.authenticate(&token).map_err(ApiError::internal))
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    request.extensions_mut().insert(Caller { name: user.name, role: user.role });
    Ok(next.run(request).await)
}

pub async fn require(permission: Permission, request: Request, next: Next) -> Result<Response, ApiError> {
    let caller = request.extensions().get::<Caller>().ok_or(ApiError::Unauthenticated)?;
    if !caller.role.may(permission) {
        return Err(ApiError::Forbidden { role: caller.role, permission });
    }
    Ok(next.run(request).await)
}

/// Who the token belongs to, and what they may do (the dashboard builds its navigation from this).
/// `privacy` says how aggregate views are protected, and under differential privacy the caller's budget today.
pub async fn me(State(state): Shared, Extension(caller): Extension<Caller>) -> Result<Json<Value>, ApiError> {
    let permissions: Vec<_> = caller.role.permissions().to_vec();
    let privacy = super::release::budget(&state, &caller).await?;
    Ok(Json(json!({ "name": caller.name, "role": caller.role, "permissions": permissions, "privacy": privacy })))
}
