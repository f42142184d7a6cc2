//! The hand-off worker, one per server: the escalation clock (an open signal nobody acknowledged in time gets its
//! route's next notification, as an `escalated` event) and the deliveries' one writer: it gives each new event a
//! delivery per destination that takes its queue (due when quiet hours end, if its route has them), sends what is
//! due with Standard Webhooks signatures, retries on the schedule with jitter and `Retry-After`, disables a
//! destination that answers 410, turns a spent schedule into a dead letter, and replays on an admin's request
//! under the same `webhook-id`. A delivery is marked delivered only after the receiver's 2xx, so a crash between
//! the two sends it again: receivers deduplicate on `webhook-id`.

use super::{Handoff, Move, parse_time as parse, stamp, transition};
use crate::config::Webhook;
use crate::handoff::signal::Event;
use crate::handoff::webhook::Outcome;
use crate::handoff::workflow::Act;
use crate::server::{ApiError, AppState};
use crate::warehouse::service::{Delivery, Destination, Service};
use chrono::Utc;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// A delivery's statuses.
pub const STATUSES: [&str; 3] = ["pending", "delivered", "dead"];

/// An admin's request to send a delivery again; answered with the delivery as reset.
pub struct Replay {
    pub delivery: i64,
    pub reply: tokio::sync::oneshot::Sender<Result<Delivery, ApiError>>,
}

pub fn delivery_id(number: i64) -> String {
    format!("DL-{number:07}")
}

pub fn parse_delivery_id(id: &str) -> Option<i64> {
    id.strip_prefix("DL-").and_then(|n| n.parse().ok()).filter(|n| *n > 0)
}

pub fn render_delivery(d: &Delivery) -> Value {
    json!({
        "deliveryId": delivery_id(d.number),
        "eventNo": d.event_no,
        "destination": d.destination,
        "status": d.status,
        "attempts": d.attempts,
        "nextAt": d.next_at,
        "lastStatus": d.last_status,
        "lastError": d.last_error,
        "createdAt": d.created_at,
        "updatedAt": d.updated_at,
        "deliveredAt": d.delivered_at,
    })
}

/// At most this many events are given deliveries, and this many deliveries sent, per round.
const BATCH: usize = 256;
/// How often the escalation clock looks, at least.
const TICK: Duration = Duration::from_secs(1);

/// Runs for the life of the server.
pub async fn run(state: Arc<AppState>) {
    let handoff = state.handoff();
    let Some(mut replays) = handoff.replay_inbox.lock().ok().and_then(|mut inbox| inbox.take()) else {
        return; // another worker already runs
    };
    let mut escalated_at: Option<std::time::Instant> = None;
    loop {
        if escalated_at.is_none_or(|t| t.elapsed() >= TICK) {
            escalated_at = Some(std::time::Instant::now());
            if let Err(e) = escalate(&state, &handoff).await {
                let cause = e.cause();
                tracing::error!(error = %e.message(), ?cause, "hand-off escalation round failed");
            }
        }
        if let Err(e) = round(&state, &handoff).await {
            let cause = e.cause();
            tracing::error!(error = %e.message(), ?cause, "hand-off worker round failed");
        }
        let wait = next_wait(&state).await.unwrap_or(TICK).min(TICK);
        tokio::select! {
            () = handoff.wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
            Some(request) = replays.recv() => {
                let result = replay(&state, request.delivery).await;
                let _ = request.reply.send(result);
            }
        }
    }
}

async fn next_wait(state: &Arc<AppState>) -> Option<Duration> {
    let next = state.with_service(|service| service.next_due_delivery()).await.ok()??;
    let due = parse(&next)?;
    Some((due - Utc::now()).to_std().unwrap_or_default())
}

/// One round of deliveries: new events' deliveries, then what is due. (Escalations are looked at once a tick.)
async fn round(state: &Arc<AppState>, handoff: &Arc<Handoff>) -> Result<(), ApiError> {
    if !handoff.webhooks.is_empty() {
        enqueue(state, handoff).await?;
        send_due(state, handoff).await?;
    }
    Ok(())
}

/// Records the escalations that fell due: each notification of an open signal's chain past its step.
async fn escalate(state: &Arc<AppState>, handoff: &Arc<Handoff>) -> Result<(), ApiError> {
    let h = handoff.clone();
    let audit = state.audit.clone();
    let escalated = state
        .with_service_result(move |service| {
            let now = Utc::now();
            let mut escalated = 0usize;
            for signal in service.open_signals()? {
                let Some(routed) = h.route(&signal.payload) else { continue };
                let Some(opened) = parse(&signal.payload.opened_at) else { continue };
                // Only the newest step that fell due is recorded: after an outage the chain resumes where it
                // stands, it does not replay every missed repeat.
                let due = routed
                    .notifications(opened, None, now)
                    .into_iter()
                    .rfind(|n| n.step > signal.escalation_step && n.at <= now);
                if let Some(notification) = due {
                    let at = stamp(notification.at.max(opened));
                    let event = crate::privacy::audit::Event {
                        actor: "safehaven".into(),
                        action: format!("{}.escalate", signal.payload.kind.name()),
                        subject: signal.payload.signal_id.to_string(),
                        reason: format!("unacknowledged: step {} to {}", notification.step, notification.queue),
                    };
                    audit.append(event, stamp(now)).map_err(ApiError::internal)?;
                    let m = Move {
                        act: Act::Escalate,
                        actor: "safehaven",
                        at: &at,
                        reason: None,
                        crm_id: None,
                        escalation: Some((notification.step, notification.queue.clone())),
                        note: None,
                    };
                    transition(service, &signal.payload.signal_id, m)?;
                    escalated += 1;
                }
            }
            Ok(escalated)
        })
        .await?;
    if escalated > 0 {
        state.metrics.escalations.inc_by(escalated as u64);
    }
    Ok(())
}

/// Whether `webhook` takes events of `queue`: its own `queues`, or routing.toml's queue naming it.
/// A destination that takes a signal's routed queue takes every event about it, escalations to other queues
/// included, so its record follows the signal to the end.
fn takes(handoff: &Handoff, webhook: &Webhook, event: &Event) -> bool {
    let routed = handoff.route(&event.payload).map(|r| r.queue);
    let queues = std::iter::once(event.payload.queue.as_str()).chain(routed.as_deref());
    queues.into_iter().any(|queue| {
        let named = handoff.rules.queue(queue).is_some_and(|q| q.webhooks.iter().any(|w| w == &webhook.name));
        named || webhook.queues.as_ref().is_none_or(|queues| queues.iter().any(|q| q == queue))
    })
}

/// Gives the events after each destination's cursor their deliveries (one transaction per destination).
async fn enqueue(state: &Arc<AppState>, handoff: &Arc<Handoff>) -> Result<(), ApiError> {
    let h = handoff.clone();
    state
        .with_service_result(move |service| {
            for webhook in &h.webhooks {
                // Registered when the server started (`AppState::with_handoff`), from the newest event then.
                let destination = service.destination(&webhook.name)?.unwrap_or(Destination {
                    name: webhook.name.clone(),
                    cursor: 0,
                    disabled_at: None,
                    disabled_reason: None,
                });
                let events = service.events(destination.cursor, i64::MAX, BATCH)?;
                let Some(last) = events.last().map(|e| e.number) else { continue };
                let now = stamp(Utc::now());
                for event in &events {
                    if !takes(&h, webhook, event) {
                        continue;
                    }
                    service.enqueue_delivery(event.number, &webhook.name, &due_at(&h, event), &now)?;
                }
                service.set_destination(&Destination { cursor: last, ..destination })?;
            }
            Ok(())
        })
        .await
}

/// When an event's delivery is due: when it happened, or when its route's quiet hours end.
fn due_at(handoff: &Handoff, event: &Event) -> String {
    let at = parse(&event.payload.occurred_at).unwrap_or_else(Utc::now);
    let due = handoff.route(&event.payload).map_or(at, |routed| routed.defer(at));
    stamp(due)
}

/// Sends the deliveries that are due, a few at a time, and records their outcomes together (one transaction).
async fn send_due(state: &Arc<AppState>, handoff: &Arc<Handoff>) -> Result<(), ApiError> {
    let now = stamp(Utc::now());
    let due = state.with_service(move |service| service.due_deliveries(&now, BATCH)).await?;
    let mut sends = tokio::task::JoinSet::new();
    let mut outcomes = Vec::new();
    for delivery in due {
        let Some(webhook) = handoff.webhooks.iter().find(|w| w.name == delivery.destination).cloned() else {
            continue; // a destination no longer configured keeps its deliveries pending until it is again
        };
        let state = state.clone();
        sends.spawn(async move { attempt(&state, &webhook, delivery).await });
        while sends.len() >= 8 {
            if let Some(result) = sends.join_next().await {
                collect(&mut outcomes, result);
            }
        }
    }
    while let Some(result) = sends.join_next().await {
        collect(&mut outcomes, result);
    }
    if outcomes.is_empty() {
        return Ok(());
    }
    state
        .with_service_result(move |service| {
            for (d, disable) in outcomes {
                record(service, &d, disable)?;
            }
            Ok(())
        })
        .await
}

/// Keeps an attempt's outcome; one that failed to be made is logged and stays pending (tried again next round),
/// and never costs the others their outcomes.
/// A delivery after its attempt, and when its destination was disabled (410), if it was.
type Attempted = (Delivery, Option<String>);

fn collect(outcomes: &mut Vec<Attempted>, result: Result<Result<Option<Attempted>, ApiError>, tokio::task::JoinError>) {
    match result {
        Ok(Ok(outcome)) => outcomes.extend(outcome),
        Ok(Err(e)) => {
            let cause = e.cause();
            tracing::error!(error = %e.message(), ?cause, "a webhook attempt could not be made");
        }
        Err(e) => tracing::error!(error = %e, "a webhook attempt failed"),
    }
}

/// One attempt of one delivery: the delivery as it stands after it, and when its destination was disabled, if
/// the receiver said 410 (`None` when the event is gone).
async fn attempt(
    state: &Arc<AppState>,
    webhook: &Webhook,
    delivery: Delivery,
) -> Result<Option<(Delivery, Option<String>)>, ApiError> {
    let (number, name) = (delivery.event_no, webhook.name.clone());
    let (event, destination) =
        state.with_service(move |service| Ok((service.event(number)?, service.destination(&name)?))).await?;
    let Some(event) = event else { return Ok(None) };
    let now = Utc::now();
    let mut d = delivery;
    if let Some(disabled) = destination.as_ref().and_then(|d| d.disabled_at.clone()) {
        d.status = "dead".into();
        d.next_at = None;
        d.last_error =
            Some(format!("the destination answered 410 Gone at {disabled} and is disabled: replay to enable it"));
        d.updated_at = stamp(now);
        return Ok(Some((d, None)));
    }
    let body = event.webhook_body();
    let (id, timestamp) = (event.id(), now.timestamp());
    let headers = [
        ("webhook-id", id.clone()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", webhook.secret.sign(&id, timestamp, body.as_bytes())),
    ];
    let started = std::time::Instant::now();
    let answer = webhook.target.post(&headers, body, webhook.timeout).await;
    state.metrics.observe_delivery(&webhook.name, started.elapsed().as_secs_f64());
    d.attempts += 1;
    d.updated_at = stamp(Utc::now());
    let (outcome, status, error) = match answer {
        Ok(answer) => {
            let after =
                answer.retry_after.as_deref().and_then(|h| crate::handoff::webhook::retry_after(h, now.timestamp()));
            (Outcome::of(answer.status, after), Some(answer.status), None)
        }
        Err(why) => (Outcome::Retry { after: None }, None, Some(why)),
    };
    d.last_status = status;
    let mut disable = None;
    match outcome {
        Outcome::Delivered => {
            d.status = "delivered".into();
            d.next_at = None;
            d.last_error = None;
            d.delivered_at = Some(d.updated_at.clone());
        }
        Outcome::Gone => {
            d.status = "dead".into();
            d.next_at = None;
            d.last_error = Some("the receiver answered 410 Gone: the destination is disabled".into());
            disable = Some(d.updated_at.clone());
        }
        Outcome::Retry { after } => {
            d.last_error = error.or_else(|| status.map(|s| format!("the receiver answered {s}")));
            let mut unit = [0u8; 8];
            getrandom::fill(&mut unit).unwrap_or_default();
            let unit = (u64::from_le_bytes(unit) >> 11) as f64 / (1u64 << 53) as f64;
            match webhook.schedule.next(d.attempts, unit, after) {
                Some(wait) => {
                    d.next_at = Some(stamp(Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default()));
                }
                None => {
                    d.status = "dead".into();
                    d.next_at = None;
                }
            }
        }
    }
    if d.status == "dead" {
        tracing::warn!(destination = %d.destination, attempts = d.attempts, "a webhook delivery became a dead letter");
    }
    Ok(Some((d, disable)))
}

fn record(service: &Service, d: &Delivery, disable: Option<String>) -> Result<(), ApiError> {
    service.update_delivery(d)?;
    if let Some(at) = disable
        && let Some(destination) = service.destination(&d.destination)?
    {
        service.set_destination(&Destination {
            disabled_at: Some(at),
            disabled_reason: Some("410 Gone".into()),
            ..destination
        })?;
    }
    Ok(())
}

/// Resets a delivery to be sent now, under the same `webhook-id` (its event's), and enables its destination.
async fn replay(state: &Arc<AppState>, number: i64) -> Result<Delivery, ApiError> {
    state
        .with_service_result(move |service| {
            let mut d = service
                .delivery(number)?
                .ok_or_else(|| ApiError::NotFound(format!("no delivery {}", delivery_id(number))))?;
            if d.status == "pending" && d.attempts == 0 {
                return Err(ApiError::Conflict(format!("delivery {} has not been attempted yet", delivery_id(number))));
            }
            let now = stamp(Utc::now());
            d.status = "pending".into();
            d.attempts = 0;
            d.next_at = Some(now.clone());
            d.updated_at = now;
            d.delivered_at = None;
            service.update_delivery(&d)?;
            if let Some(destination) = service.destination(&d.destination)?
                && destination.disabled_at.is_some()
            {
                service.set_destination(&Destination { disabled_at: None, disabled_reason: None, ..destination })?;
            }
            Ok(d)
        })
        .await
}

/// Counts by two labels: (destination, status) or (route, timer).
pub type Counts = Vec<(String, String, i64)>;

/// Delivery counts by destination and status, and SLA violations by route, for `/metrics` (no IDs).
pub fn gauges(service: &Service, handoff: &Handoff) -> crate::warehouse::Result<(Counts, Counts)> {
    let deliveries = service.delivery_counts()?;
    let now = Utc::now();
    let mut violations: std::collections::BTreeMap<(String, String), i64> = Default::default();
    for signal in service.signals(None)? {
        let Some([acknowledge, handoff]) = super::clocks(handoff, &signal, now) else { continue };
        for (timer, clock) in [("acknowledge", acknowledge), ("handoff", handoff)] {
            let entry = violations.entry((signal.payload.route.clone(), timer.to_owned())).or_default();
            *entry += i64::from(clock.state == crate::handoff::rules::SlaState::Violated);
        }
    }
    Ok((deliveries, violations.into_iter().map(|((route, timer), n)| (route, timer, n)).collect()))
}
