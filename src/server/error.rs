//! `ApiError`: the one error type at the HTTP boundary. Client mistakes get a 4xx with a message; failures get a
//! 500 that says only "internal error", and carry their cause (with its sources) to the one middleware that logs
//! it ([`log_failures`]).

use crate::privacy::roles::{Permission, Role};
use crate::warehouse;
use axum::Json;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::error::Error as StdError;
use std::sync::Arc;

/// A failure's cause, as the log shows it: the error and each of its sources.
type Cause = Box<dyn StdError + Send + Sync>;

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
    /// The caller's differential-privacy budget for today is spent; `retry_after` is the seconds until it refills.
    BudgetSpent {
        message: String,
        retry_after: u64,
    },
    /// Our failure: the client is told only "internal error"; the cause is logged.
    Internal(Cause),
}

impl ApiError {
    /// A failure, from an error (its sources are kept) or a description.
    pub fn internal(cause: impl Into<Cause>) -> Self {
        ApiError::Internal(cause.into())
    }
}

impl From<warehouse::Error> for ApiError {
    fn from(e: warehouse::Error) -> Self {
        ApiError::internal(e)
    }
}

impl From<warehouse::drill_log::Error> for ApiError {
    fn from(e: warehouse::drill_log::Error) -> Self {
        ApiError::internal(e)
    }
}

impl From<crate::charts::ChartError> for ApiError {
    fn from(e: crate::charts::ChartError) -> Self {
        ApiError::internal(e)
    }
}

/// The cause of a 5xx response, carried in its extensions to [`log_failures`].
#[derive(Debug, Clone)]
struct Failure(Arc<str>);

/// An error with each of its sources: "cannot open X: permission denied".
fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Middleware: logs the cause of every 5xx answer, once, in the request's span (which names the route pattern,
/// never the URI).
pub async fn log_failures(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(Failure(cause)) = response.extensions().get::<Failure>() {
        tracing::error!(status = response.status().as_u16(), %cause, "internal error");
    }
    response
}

impl ApiError {
    /// The cause of a failure, with its sources, for the log; `None` for a client's mistake.
    pub fn cause(&self) -> Option<String> {
        match self {
            ApiError::Internal(cause) => Some(chain(cause.as_ref())),
            _ => None,
        }
    }

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
            ApiError::BudgetSpent { message, .. } => (StatusCode::TOO_MANY_REQUESTS, "budget_spent", message),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error".into()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let failure = self.cause().map(|cause| Failure(cause.into()));
        let retry_after = match &self {
            ApiError::BudgetSpent { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let (status, code, message) = self.parts();
        let mut response = (status, Json(json!({ "error": { "code": code, "message": message } }))).into_response();
        if let Some(failure) = failure {
            response.extensions_mut().insert(failure);
        }
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}
