//! Prometheus metrics at `/metrics` (text format, no token, like `/healthz`): requests and their latency by
//! route pattern (never the raw path, which can carry an ID), method and status, the warehouse's size on disk,
//! and the dashboard's population.

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
        Metrics { registry, requests, latency, warehouse_bytes, people }
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
    let mut body = String::new();
    if encode(&mut body, &metrics.registry).is_err() {
        return super::ApiError::internal("metrics encoding failed").into_response();
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body).into_response()
}
