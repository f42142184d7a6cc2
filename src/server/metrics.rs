//! Prometheus metrics at `/metrics` (text format, no token, like `/healthz`): requests and their latency by
//! route pattern (never the raw path, which can carry an ID), method and status, the warehouse's size on disk,
//! the dashboard's population, and hand-off: webhook deliveries by destination and status (dead letters
//! included), delivery latency, escalations, and SLA violations by route. Counts only, never a signal or person.

use super::Analytics;
use super::Shared;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

fn latency_histogram() -> Histogram {
    // 0.25 ms … about 4 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    warehouse_bytes: Gauge,
    people: Gauge,
    /// Escalation notifications recorded since the server started.
    pub(super) escalations: Counter,
    deliveries: Family<Labels, Gauge>,
    delivery_latency: Family<Labels, Histogram, fn() -> Histogram>,
    sla_violations: Family<Labels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("safehaven");
        let requests = Family::<Labels, Counter>::default();
        let latency = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let warehouse_bytes = Gauge::default();
        let people = Gauge::default();
        registry.register("http_requests", "HTTP requests by route pattern, method and status", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route pattern and method",
            latency.clone(),
        );
        registry.register("warehouse_size_bytes", "Size of warehouse.duckdb on disk", warehouse_bytes.clone());
        registry.register(
            "dashboard_people",
            "People in the dashboard's scored population (0 until loaded)",
            people.clone(),
        );
        let escalations = Counter::default();
        let deliveries = Family::<Labels, Gauge>::default();
        let delivery_latency = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let sla_violations = Family::<Labels, Gauge>::default();
        registry.register(
            "handoff_escalations",
            "Escalation notifications since the server started",
            escalations.clone(),
        );
        registry.register(
            "handoff_deliveries",
            "Webhook deliveries by destination and status (pending, delivered, dead: dead letters)",
            deliveries.clone(),
        );
        registry.register(
            "handoff_delivery_duration_seconds",
            "Webhook delivery attempts' duration by destination",
            delivery_latency.clone(),
        );
        registry.register(
            "handoff_sla_violations",
            "Signals whose time to acknowledge or to hand off passed its route's violation threshold, by route and timer",
            sla_violations.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            warehouse_bytes,
            people,
            escalations,
            deliveries,
            delivery_latency,
            sla_violations,
        }
    }
}

impl Metrics {
    pub(super) fn observe_delivery(&self, destination: &str, seconds: f64) {
        self.delivery_latency.get_or_create(&vec![("destination", destination.to_owned())]).observe(seconds);
    }
}

/// Middleware: counts and times every request by its route pattern.
pub async fn record(State(state): Shared, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let method = request.method().as_str().to_owned();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    let metrics = &state.metrics;
    metrics
        .requests
        .get_or_create(&vec![
            ("route", route.clone()),
            ("method", method.clone()),
            ("status", response.status().as_u16().to_string()),
        ])
        .inc();
    metrics.latency.get_or_create(&vec![("route", route), ("method", method)]).observe(seconds);
    response
}

/// `GET /metrics`
pub async fn metrics(State(state): Shared) -> Response {
    let metrics = &state.metrics;
    if let Ok(meta) = std::fs::metadata(&state.warehouse_path) {
        metrics.warehouse_bytes.set(i64::try_from(meta.len()).unwrap_or(i64::MAX));
    }
    if let Ok(analytics) = state.analytics.read()
        && let Analytics::Ready(portfolio) = &*analytics
    {
        metrics.people.set(i64::try_from(portfolio.len()).unwrap_or(i64::MAX));
    }
    let handoff = state.handoff();
    if let Ok((deliveries, violations)) =
        state.with_service(move |service| super::handoff::worker::gauges(service, &handoff)).await
    {
        metrics.deliveries.clear();
        for (destination, status, n) in deliveries {
            metrics.deliveries.get_or_create(&vec![("destination", destination), ("status", status)]).set(n);
        }
        metrics.sla_violations.clear();
        for (route, timer, n) in violations {
            metrics.sla_violations.get_or_create(&vec![("route", route), ("timer", timer)]).set(n);
        }
    }
    let mut body = String::new();
    if encode(&mut body, &metrics.registry).is_err() {
        return super::ApiError::internal("metrics encoding failed").into_response();
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body).into_response()
}
