//! The HTTP server: the only module that imports `axum`.
//!
//! `router(state)` builds the whole application (API, charts, embedded dashboard), so tests can drive it with
//! `oneshot` without a socket. Warehouse work runs on blocking threads, carrying the request's span.

mod analyst;
mod assets;
mod auth;
mod chaos;
mod drill;
mod dv;
mod error;
pub mod handoff;
mod json;
mod metrics;
mod model;
mod openapi;
mod portfolio;
mod release;
mod state;
mod summary;
mod vocabulary;

pub use auth::Caller;
pub use error::ApiError;
pub use handoff::Handoff;
pub use state::{Analytics, AppState};

use crate::privacy::roles::Permission;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Uri, header};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio::net::TcpListener;

/// The state handlers extract: every handler takes `State(state): Shared`.
type Shared = State<Arc<AppState>>;

use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Runs CPU-bound or blocking work (the portfolio's views, the model, files) on a blocking thread, in the request's
/// span: polars must not run on an async worker.
async fn blocking<T, F>(work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work)).await.map_err(ApiError::internal)?
}

/// An SVG chart as a response: never cached, since its figures follow the data.
fn svg(body: String) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], body)
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {}", uri.path()))
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("port {port} on {ip} is already in use: stop the other process or choose another --port")]
    PortInUse { ip: IpAddr, port: u16 },
    #[error("cannot listen on {addr}: {source}: choose another --bind address or --port")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(
        "refusing to listen on {ip}: the dashboard would be reachable from other machines; bind to 127.0.0.1, or pass --allow-remote if that is intended"
    )]
    Remote { ip: IpAddr },
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

impl Error {
    /// Whether the user can fix this by choosing another address or port (exit code 2), rather than the server
    /// failing while it ran (1).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Error::Serve(_))
    }
}

/// The whole application.
pub fn router(state: Arc<AppState>) -> Router {
    let headers = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        ),
    ];
    let mut app = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::metrics))
        .route("/api/openapi.json", get(openapi::openapi))
        .route("/", get(assets::index))
        .route("/assets/{*path}", get(assets::asset))
        .merge(api_routes(state.clone()))
        .layer(DefaultBodyLimit::max(json::BODY_LIMIT))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), metrics::record))
        .layer(middleware::from_fn(error::log_failures))
        .with_state(state);
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    }
    // Spans name the route pattern, never the URI: paths can carry a caller's userId.
    app.layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<axum::body::Body>| {
        let route = request
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map_or("unmatched", |path| path.as_str())
            .to_owned();
        tracing::info_span!("request", method = %request.method(), route)
    }))
}

/// Every API route (method, path) with the permission it needs: the server's half of the role matrix.
pub const API_ROUTES: &[(&str, &str, Option<Permission>)] = &[
    ("GET", "/api/v1/me", None),
    ("GET", "/api/v1/vocabulary", None),
    ("POST", "/api/v1/analyst/ask", None),
    ("GET", "/api/v1/analyst/suggestions", None),
    ("GET", "/api/v1/analyst/brief", None),
    ("GET", "/api/v1/analyst/chart.svg", None),
    ("GET", "/api/v1/info", Some(Permission::Aggregates)),
    ("GET", "/api/v1/population/regions", Some(Permission::Aggregates)),
    ("GET", "/api/v1/charts/population-by-region.svg", Some(Permission::Aggregates)),
    ("GET", "/api/v1/executive", Some(Permission::Aggregates)),
    ("GET", "/api/v1/charts/exposure-map.svg", Some(Permission::Aggregates)),
    ("GET", "/api/v1/charts/credit-groups.svg", Some(Permission::Aggregates)),
    ("GET", "/api/v1/charts/trends.svg", Some(Permission::Aggregates)),
    ("GET", "/api/v1/charts/model/roc.svg", Some(Permission::Model)),
    ("GET", "/api/v1/charts/model/ks.svg", Some(Permission::Model)),
    ("GET", "/api/v1/charts/model/calibration.svg", Some(Permission::Model)),
    ("GET", "/api/v1/export/executive/{table}", Some(Permission::Aggregates)),
    ("GET", "/api/v1/cases", Some(Permission::CaseList)),
    ("GET", "/api/v1/cases/flagged", Some(Permission::CaseList)),
    ("GET", "/api/v1/export/cases/{format}", Some(Permission::CaseList)),
    ("GET", "/api/v1/cases/{maskedId}", Some(Permission::CaseDetail)),
    ("POST", "/api/v1/cases/{maskedId}/what-if", Some(Permission::CaseDetail)),
    ("POST", "/api/v1/cases/{maskedId}/flag", Some(Permission::CaseDetail)),
    ("POST", "/api/v1/cases/{maskedId}/acknowledge", Some(Permission::CaseDetail)),
    ("POST", "/api/v1/cases/{maskedId}/handoff", Some(Permission::CaseDetail)),
    ("POST", "/api/v1/cases/{maskedId}/close", Some(Permission::CaseDetail)),
    ("GET", "/api/v1/model", Some(Permission::Model)),
    ("GET", "/api/v1/chaos/scenarios", Some(Permission::Drills)),
    ("POST", "/api/v1/chaos/runs", Some(Permission::Drills)),
    ("GET", "/api/v1/chaos/runs", Some(Permission::Drills)),
    ("GET", "/api/v1/chaos/runs/{runId}", Some(Permission::Drills)),
    ("GET", "/api/v1/charts/chaos/{runId}.svg", Some(Permission::Drills)),
    ("GET", "/api/v1/drills", Some(Permission::Participate)),
    ("POST", "/api/v1/drills", Some(Permission::Drills)),
    ("GET", "/api/v1/drills/live", Some(Permission::Participate)),
    ("GET", "/api/v1/drills/live/events", Some(Permission::Participate)),
    ("GET", "/api/v1/drills/{runId}", Some(Permission::Participate)),
    ("POST", "/api/v1/drills/{runId}/actions", Some(Permission::Participate)),
    ("POST", "/api/v1/drills/{runId}/pause", Some(Permission::Drills)),
    ("POST", "/api/v1/drills/{runId}/resume", Some(Permission::Drills)),
    ("POST", "/api/v1/drills/{runId}/stop", Some(Permission::Drills)),
    ("GET", "/api/v1/drills/{runId}/report", Some(Permission::Drills)),
    ("GET", "/api/v1/drills/{runId}/report.html", Some(Permission::Drills)),
    ("GET", "/api/v1/dv/overview", Some(Permission::DvService)),
    ("POST", "/api/v1/screens/lap", Some(Permission::DvService)),
    ("POST", "/api/v1/screens/dash", Some(Permission::DvService)),
    ("POST", "/api/v1/survivors", Some(Permission::DvService)),
    ("POST", "/api/v1/survivors/{userId}/incidents", Some(Permission::DvService)),
    ("GET", "/api/v1/alerts", Some(Permission::DvService)),
    ("POST", "/api/v1/alerts/{alertId}/acknowledge", Some(Permission::DvService)),
    ("POST", "/api/v1/alerts/{alertId}/handoff", Some(Permission::DvService)),
    ("POST", "/api/v1/alerts/{alertId}/close", Some(Permission::DvService)),
    ("GET", "/api/v1/handoff/outbox", Some(Permission::Admin)),
    ("GET", "/api/v1/handoff/deliveries", Some(Permission::Admin)),
    ("POST", "/api/v1/handoff/deliveries/{id}/replay", Some(Permission::Admin)),
    ("POST", "/api/v1/risk-assessment/create", Some(Permission::DvService)),
    ("GET", "/api/v1/risk-assessment/{userId}", Some(Permission::DvService)),
    ("POST", "/services/apexrest/safehaven/v1/risk-assessment/create", Some(Permission::DvService)),
    ("GET", "/services/apexrest/safehaven/v1/risk-assessment/{userId}", Some(Permission::DvService)),
];

/// `routes`, letting a request through only if the caller's role has `permission`.
fn requiring(permission: Permission, routes: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    routes
        .route_layer(middleware::from_fn(move |request: Request, next: Next| auth::require(permission, request, next)))
}

/// The authenticated API: every route needs a bearer token, and most a permission from the role matrix.
fn api_routes(state: Arc<AppState>) -> Router<Arc<AppState>> {
    let aggregates = requiring(
        Permission::Aggregates,
        Router::new()
            .route("/api/v1/info", get(summary::info))
            .route("/api/v1/population/regions", get(summary::population_by_region))
            .route("/api/v1/charts/population-by-region.svg", get(summary::population_chart))
            .route("/api/v1/executive", get(portfolio::executive))
            .route("/api/v1/charts/{name}", get(portfolio::executive_chart))
            .route("/api/v1/export/executive/{table}", get(portfolio::export_executive)),
    );
    let case_list = requiring(
        Permission::CaseList,
        Router::new()
            .route("/api/v1/cases", get(portfolio::cases))
            .route("/api/v1/cases/flagged", get(handoff::flagged_cases))
            .route("/api/v1/export/cases/{format}", get(portfolio::export_cases)),
    );
    let case_detail = requiring(
        Permission::CaseDetail,
        Router::new()
            .route("/api/v1/cases/{maskedId}", get(portfolio::case))
            .route("/api/v1/cases/{maskedId}/what-if", post(portfolio::what_if))
            .route("/api/v1/cases/{maskedId}/flag", post(portfolio::flag))
            .route("/api/v1/cases/{maskedId}/acknowledge", post(handoff::case_acknowledge))
            .route("/api/v1/cases/{maskedId}/handoff", post(handoff::case_handoff))
            .route("/api/v1/cases/{maskedId}/close", post(handoff::case_close)),
    );
    let model_page = requiring(
        Permission::Model,
        Router::new()
            .route("/api/v1/model", get(model::model))
            .route("/api/v1/charts/model/{name}", get(model::model_chart)),
    );
    let drills = requiring(
        Permission::Drills,
        Router::new()
            .route("/api/v1/chaos/scenarios", get(chaos::scenarios))
            .route("/api/v1/chaos/runs", post(chaos::create).get(chaos::list))
            .route("/api/v1/chaos/runs/{runId}", get(chaos::get))
            .route("/api/v1/charts/chaos/{file}", get(chaos::chart))
            .route("/api/v1/drills", post(drill::create))
            .route("/api/v1/drills/{runId}/pause", post(drill::pause))
            .route("/api/v1/drills/{runId}/resume", post(drill::resume))
            .route("/api/v1/drills/{runId}/stop", post(drill::stop))
            .route("/api/v1/drills/{runId}/report", get(drill::report_json))
            .route("/api/v1/drills/{runId}/report.html", get(drill::report_html)),
    );
    let participate = requiring(
        Permission::Participate,
        Router::new()
            .route("/api/v1/drills", get(drill::list))
            .route("/api/v1/drills/live", get(drill::live))
            .route("/api/v1/drills/live/events", get(drill::events))
            .route("/api/v1/drills/{runId}", get(drill::run))
            .route("/api/v1/drills/{runId}/actions", post(drill::action)),
    );
    let dv_service = Router::new()
        .route("/api/v1/screens/lap", post(dv::screens::lap))
        .route("/api/v1/screens/dash", post(dv::screens::dash))
        .route("/api/v1/survivors", post(dv::survivors::create_survivor))
        .route("/api/v1/survivors/{userId}/incidents", post(dv::survivors::create_incident))
        .route("/api/v1/alerts", get(dv::alerts::list))
        .route("/api/v1/dv/overview", get(dv::overview))
        .route("/api/v1/alerts/{alertId}/acknowledge", post(dv::alerts::acknowledge))
        .route("/api/v1/alerts/{alertId}/handoff", post(handoff::alert_handoff))
        .route("/api/v1/alerts/{alertId}/close", post(dv::alerts::close));
    let dv_service = requiring(Permission::DvService, dv_service);
    let admin = requiring(
        Permission::Admin,
        Router::new()
            .route("/api/v1/handoff/outbox", get(handoff::outbox))
            .route("/api/v1/handoff/deliveries", get(handoff::deliveries))
            .route("/api/v1/handoff/deliveries/{id}/replay", post(handoff::replay)),
    );
    // The mobile client's routes, under SafeHaven's prefix and the source document's, with its error envelope.
    let mobile = Router::new()
        .route("/api/v1/risk-assessment/create", post(dv::assessments::create))
        .route("/api/v1/risk-assessment/{userId}", get(dv::assessments::latest))
        .route("/services/apexrest/safehaven/v1/risk-assessment/create", post(dv::assessments::create))
        .route("/services/apexrest/safehaven/v1/risk-assessment/{userId}", get(dv::assessments::latest));
    let mobile = requiring(Permission::DvService, mobile)
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .route_layer(middleware::map_response(dv::assessments::mobile_envelope));
    Router::new()
        .route("/api/v1/me", get(auth::me))
        .route("/api/v1/vocabulary", get(vocabulary::get))
        .route("/api/v1/analyst/ask", post(analyst::ask))
        .route("/api/v1/analyst/suggestions", get(analyst::suggestions))
        .route("/api/v1/analyst/brief", get(analyst::brief))
        .route("/api/v1/analyst/chart.svg", get(analyst::chart))
        .merge(aggregates)
        .merge(case_list)
        .merge(case_detail)
        .merge(model_page)
        .merge(drills)
        .merge(participate)
        .merge(dv_service)
        .merge(admin)
        .route_layer(middleware::from_fn_with_state(state, auth::authenticate))
        .merge(mobile)
}

/// Binds the listener, refusing non-loopback addresses unless `allow_remote`.
pub async fn bind(ip: IpAddr, port: u16, allow_remote: bool) -> Result<TcpListener, Error> {
    if !ip.is_loopback() && !allow_remote {
        return Err(Error::Remote { ip });
    }
    let addr = SocketAddr::new(ip, port);
    TcpListener::bind(addr).await.map_err(|source| match source.kind() {
        std::io::ErrorKind::AddrInUse => Error::PortInUse { ip, port },
        _ => Error::Bind { addr, source },
    })
}

/// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests; a running drill is stopped (and says so
/// in its log). Drill commands from the CLI are taken from the data dir's inbox meanwhile.
pub async fn serve(listener: TcpListener, state: Arc<AppState>) -> Result<(), Error> {
    let inbox = tokio::spawn(drill::watch_inbox(state.clone()));
    let handoff = tokio::spawn(handoff::worker::run(state.clone()));
    let closing = state.clone();
    let served = axum::serve(listener, router(state.clone()))
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            // A running drill stops (participants see it), then the live event streams, which never end by
            // themselves, are ended so in-flight requests can finish.
            closing.drills.shutdown();
            closing.drills.close_streams();
        })
        .await
        .map_err(Error::Serve);
    inbox.abort();
    handoff.abort();
    state.drills.shutdown();
    served
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
