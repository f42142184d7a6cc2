//! What `safehaven bench handoff` measures on the server's own code: events through the outbox (each act its own
//! transaction) and into Salesforce files, and webhooks through the real delivery worker to a receiver on
//! 127.0.0.1 (throughput, and the time from an alert being opened to its webhook arriving).

use super::{Handoff, alert_signal, open, outcomes};
use crate::server::{ApiError, AppState};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A receiver on 127.0.0.1 that answers 204 and notes when each `webhook-id` arrived.
pub struct Receiver {
    pub url: String,
    arrived: Arc<Mutex<HashMap<String, Instant>>>,
}

impl Receiver {
    pub async fn start() -> std::io::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/bench", listener.local_addr()?);
        let arrived: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
        let log = arrived.clone();
        let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap| {
            let log = log.clone();
            async move {
                if let Some(id) = headers.get("webhook-id").and_then(|v| v.to_str().ok())
                    && let Ok(mut log) = log.lock()
                {
                    log.entry(id.to_owned()).or_insert_with(Instant::now);
                }
                axum::http::StatusCode::NO_CONTENT
            }
        });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Receiver { url, arrived })
    }

    fn count(&self) -> usize {
        self.arrived.lock().map_or(0, |log| log.len())
    }

    fn arrival(&self, id: &str) -> Option<Instant> {
        self.arrived.lock().ok().and_then(|log| log.get(id).copied())
    }
}

/// Events through the outbox and into files.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxBench {
    pub events: usize,
    pub append_seconds: f64,
    pub append_events_per_second: f64,
    pub export_seconds: f64,
    pub export_events_per_second: f64,
    pub case_csv_bytes: usize,
}

/// Webhooks through the worker.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryBench {
    pub events: usize,
    pub seconds: f64,
    pub events_per_second: f64,
    /// From an alert being opened (its transaction committed) to its webhook arriving, one at a time.
    pub latency_samples: usize,
    pub latency_p50_ms: f64,
    pub latency_p95_ms: f64,
}

/// Opens `n` alerts' signals, each in its own transaction as an act would, on the server's service connection.
async fn open_alerts(state: &Arc<AppState>, handoff: &Arc<Handoff>, from: i64, n: usize) -> Result<i64, ApiError> {
    let (state, handoff) = (state.clone(), handoff.clone());
    crate::server::blocking(move || {
        let service = state.service.lock().map_err(|_| ApiError::internal("service lock poisoned"))?;
        open_each(&handoff, &service, from, n)?;
        Ok(service.last_event_no()?)
    })
    .await
}

fn open_each(
    handoff: &Handoff,
    service: &crate::warehouse::service::Service,
    from: i64,
    n: usize,
) -> Result<(), ApiError> {
    for i in 0..n as i64 {
        let at = super::now();
        let number = from + i;
        let masked = format!("SH-{:04}-BNCH", number % 10_000);
        let new = alert_signal(
            number,
            &masked,
            "critical",
            vec!["threats_to_kill".into()],
            Some(81.0),
            Some(4.0),
            Some("OH".into()),
        );
        service.transaction(|service| open(handoff, service, new, &at).map(|_| ()))?;
    }
    Ok(())
}

/// Appends `events` events, one transaction each, then exports them all.
pub async fn outbox(state: &Arc<AppState>, events: usize) -> Result<OutboxBench, ApiError> {
    let handoff = state.handoff();
    let started = Instant::now();
    open_alerts(state, &handoff, 1_000_000, events).await?;
    let append = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let h = handoff.clone();
    let export = state.with_service_result(move |service| outcomes::export(&h, service, 0, None)).await?;
    let export_seconds = started.elapsed().as_secs_f64();
    Ok(OutboxBench {
        events,
        append_seconds: append,
        append_events_per_second: events as f64 / append.max(1e-9),
        export_seconds,
        export_events_per_second: export.manifest.events as f64 / export_seconds.max(1e-9),
        case_csv_bytes: export.files[0].1.len(),
    })
}

/// Sends `events` webhooks through the worker to `receiver` (all at once), then `samples` one at a time.
pub async fn deliveries(
    state: &Arc<AppState>,
    receiver: &Receiver,
    events: usize,
    samples: usize,
) -> Result<DeliveryBench, ApiError> {
    let handoff = state.handoff();
    let worker = tokio::spawn(super::worker::run(state.clone()));
    let before = receiver.count();
    let started = Instant::now();
    open_alerts(state, &handoff, 2_000_000, events).await?;
    handoff.wake.notify_one();
    let deadline = Instant::now() + Duration::from_secs(300);
    while receiver.count() < before + events && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let delivered = receiver.count() - before;
    let mut latencies = Vec::with_capacity(samples);
    for i in 0..samples as i64 {
        let number = 3_000_000 + i;
        let event_no = open_alerts(state, &handoff, number, 1).await?;
        let opened = Instant::now();
        handoff.wake.notify_one();
        let id = format!("{}.{event_no}", crate::handoff::SignalId::alert(number));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(at) = receiver.arrival(&id) {
                latencies.push(at.saturating_duration_since(opened).as_secs_f64() * 1000.0);
                break;
            }
            if Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
    worker.abort();
    latencies.sort_by(f64::total_cmp);
    let quantile =
        |q: f64| latencies.get(((latencies.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(f64::NAN);
    Ok(DeliveryBench {
        events: delivered,
        seconds,
        events_per_second: delivered as f64 / seconds.max(1e-9),
        latency_samples: latencies.len(),
        latency_p50_ms: quantile(0.5),
        latency_p95_ms: quantile(0.95),
    })
}
