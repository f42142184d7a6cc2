//! The application in-process: requests through `oneshot`, no socket, on the shared warehouse with its analytics loaded.

use crate::support::{open_shared, shared_data_dir, shared_portfolio, shared_service, test_identity, token};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use safehaven::privacy::KGuard;
use safehaven::privacy::roles::Role;
use safehaven::server::{AppState, router};
use serde_json::Value;
use tower::ServiceExt;

pub async fn call_as(bearer: Option<&str>, method: Method, uri: &str) -> (StatusCode, String, String) {
    call_json(bearer, method, uri, None).await
}

/// Calls the application with an optional bearer token and JSON body.
pub async fn call_json(
    bearer: Option<&str>,
    method: Method,
    uri: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, String, String) {
    let body = body.map(|b| b.to_string().into_bytes());
    call_raw(bearer, method, uri, body, "application/json").await
}

/// The state of a server on the shared warehouse (analytics loaded, no sealer) whose users, audit log and drills
/// live in `dir`.
pub fn state_in(dir: &std::path::Path) -> std::sync::Arc<AppState> {
    let masker = safehaven::privacy::masked::Masker::load_or_create(shared_data_dir()).unwrap();
    AppState::new(
        open_shared(),
        shared_service(),
        KGuard::default(),
        dir,
        masker,
        None,
        safehaven::server::Analytics::Ready(shared_portfolio()),
    )
}

/// The application on the shared warehouse, with its analytics loaded.
pub fn app() -> axum::Router {
    let masker = safehaven::privacy::masked::Masker::load_or_create(shared_data_dir()).unwrap();
    let sealer = safehaven::privacy::vault::Sealer::new(test_identity().identity.recipient());
    router(AppState::new(
        open_shared(),
        shared_service(),
        KGuard::default(),
        shared_data_dir(),
        masker,
        Some(sealer),
        safehaven::server::Analytics::Ready(shared_portfolio()),
    ))
}

/// Calls the application with raw body bytes and a content type.
pub async fn call_raw(
    bearer: Option<&str>,
    method: Method,
    uri: &str,
    body: Option<Vec<u8>>,
    content_type: &str,
) -> (StatusCode, String, String) {
    send(app(), bearer, method, uri, body, content_type).await
}

/// Sends one request to `app`.
pub async fn send(
    app: axum::Router,
    bearer: Option<&str>,
    method: Method,
    uri: &str,
    body: Option<Vec<u8>>,
    content_type: &str,
) -> (StatusCode, String, String) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match body {
        Some(bytes) => {
            request = request.header(header::CONTENT_TYPE, content_type);
            Body::from(bytes)
        }
        None => Body::empty(),
    };
    let response = app.oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let content_type =
        response.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let body = axum::body::to_bytes(response.into_body(), 16 << 20).await.unwrap();
    (status, content_type, String::from_utf8_lossy(&body).into_owned())
}

/// `GET uri` as `role`: the status and the JSON body (the test fails on a body that is not JSON).
pub async fn get(role: Role, uri: &str) -> (StatusCode, Value) {
    let (status, _, body) = call_as(Some(token(role)), Method::GET, uri).await;
    (status, serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")))
}

/// `POST route` with a JSON `body` as `role`: the status and the JSON answer (`Null` when it is not JSON).
pub async fn post(role: Role, route: &str, body: Value) -> (StatusCode, Value) {
    let (status, _, text) = call_json(Some(token(role)), Method::POST, route, Some(body)).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
