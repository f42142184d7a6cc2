//! `ApiError`: the one error type at the HTTP boundary. Client mistakes get a 4xx with a message; failures get a
//! 500 that says only "internal error" while the cause goes to the log.

use crate::privacy::roles::{Permission, Role};
use crate::warehouse;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug)]
pub enum ApiError {
    Unauthenticated,
    Forbidden {
        role: Role,
        permission: Permission,
    },
    NotFound(String),
    MethodNotAllowed,
    BadRequest(String),
    Conflict(String),
    Unprocessable(String),
    UnsupportedMediaType,
    PayloadTooLarge,
    /// The server cannot answer yet or at all (analytics loading, no model); the message says what to do.
    Unavailable(String),
    Internal(String),
}

impl ApiError {
    pub fn internal(cause: impl Into<String>) -> Self {
        ApiError::Internal(cause.into())
    }
}

impl From<warehouse::Error> for ApiError {
    fn from(e: warehouse::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<warehouse::drill_log::Error> for ApiError {
    fn from(e: warehouse::drill_log::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<crate::charts::ChartError> for ApiError {
    fn from(e: crate::charts::ChartError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl ApiError {
    /// What a client is told (an internal error's cause is logged, not told).
    pub fn message(self) -> String {
        self.parts().2
    }

    fn parts(self) -> (StatusCode, &'static str, String) {
        match self {
            ApiError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "sign in: send `Authorization: Bearer <token>` (tokens come from `safehaven user add`)".into(),
            ),
            ApiError::Forbidden { role, permission } => (
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("the {role} role may not use {}: ask an admin for a role that may", permission.describe()),
            ),
            ApiError::NotFound(what) => (StatusCode::NOT_FOUND, "not_found", what),
            ApiError::BadRequest(message) => (StatusCode::BAD_REQUEST, "bad_request", message),
            ApiError::Conflict(message) => (StatusCode::CONFLICT, "conflict", message),
            ApiError::Unprocessable(message) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid", message),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `Content-Type: application/json`".into(),
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is over the {} KiB limit", super::json::BODY_LIMIT / 1024),
            ),
            ApiError::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not accept that method".into())
            }
            ApiError::Unavailable(message) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", message),
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error".into())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        (status, Json(json!({ "error": { "code": code, "message": message } }))).into_response()
    }
}
