//! Hand-off: signals (crisis alerts and cases flagged for review) through their workflow, each act written with
//! its outbox event in the act's own transaction; routing by `routing.toml`; and the admin's view of the outbox,
//! the deliveries and the dead letters, with replay. The delivery worker and the escalation clock are `worker`.

pub mod bench;
pub mod outcomes;
pub mod worker;

use crate::config::Webhook;
use crate::handoff::rules::{self, Routed, Rules, SlaClock};
use crate::handoff::salesforce::FieldMap;
use crate::handoff::signal::{EventKind, Payload, SignalId, alert_id};
use crate::handoff::workflow::{Act, ClosingReason, State};
use crate::privacy::audit::Event as AuditEvent;
use crate::server::json::{ApiJson, ApiPath};
use crate::server::{ApiError, AppState, Caller, Shared};
use crate::text::clip;
use crate::warehouse::service::{Alert, Service, Signal};
use axum::Json;
use axum::extract::{Extension, Query, State as AxumState};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// What the server knows about hand-off: the routing rules, the webhook destinations, the Salesforce field map,
/// and how to wake the worker.
pub struct Handoff {
    /// The routing rules; `rules.file()` says where they came from (`DATA_DIR/routing.toml`, or the built-in ones).
    pub rules: Rules,
    pub webhooks: Vec<Webhook>,
    pub field_map: FieldMap,
    /// Rung after every act, so the worker sends its event at once.
    pub(super) wake: tokio::sync::Notify,
    /// Replays for the worker, the deliveries' one writer.
    pub(super) replays: tokio::sync::mpsc::UnboundedSender<worker::Replay>,
    pub(super) replay_inbox: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<worker::Replay>>>,
}

impl Handoff {
    pub fn new(rules: Rules, webhooks: Vec<Webhook>, field_map: FieldMap) -> Handoff {
        let (replays, inbox) = tokio::sync::mpsc::unbounded_channel();
        Handoff {
            rules,
            webhooks,
            field_map,
            wake: tokio::sync::Notify::new(),
            replays,
            replay_inbox: std::sync::Mutex::new(Some(inbox)),
        }
    }

    /// The built-in rules, no webhooks, the default field map.
    pub fn builtin() -> Handoff {
        Handoff::new(Rules::builtin(), Vec::new(), FieldMap::default())
    }

    /// The route a signal lands in: the first of the rules' results (`continue` routes add notifications, not
    /// owners), or the root's queue when no route takes it (drill traffic without a training queue).
    pub fn route(&self, payload: &Payload) -> Option<Routed> {
        self.rules.route(&facts(payload)).into_iter().next()
    }
}

/// The facts routing matches on, from a signal's payload.
pub fn facts(p: &Payload) -> rules::Facts {
    rules::Facts {
        kind: p.kind,
        region: p.region.clone(),
        // A case's level (high at the model's threshold) is for the CRM's priority; routing matches its score.
        level: (p.kind == crate::handoff::SignalKind::Alert).then(|| p.level.clone()).flatten(),
        patterns: p.patterns.clone(),
        score: p.score,
        score_change: p.score_change,
        scenario: None,
        drill: p.drill,
    }
}

/// A time as signals store it: RFC 3339, UTC, milliseconds.
fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A stored time, back.
fn parse_time(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t).ok().map(|t| t.with_timezone(&Utc))
}

/// Now, as signals store it.
pub fn now() -> String {
    stamp(Utc::now())
}

/// What a new signal is about: everything but its workflow.
pub struct NewSignal {
    pub id: SignalId,
    pub masked_id: String,
    pub level: Option<String>,
    pub patterns: Vec<String>,
    pub score: Option<f64>,
    pub score_change: Option<f64>,
    pub region: Option<String>,
    pub version: String,
}

/// A crisis alert's signal: what the assessment or screen that opened it found.
pub fn alert_signal(
    number: i64,
    masked_id: &str,
    level: &str,
    patterns: Vec<String>,
    score: Option<f64>,
    score_change: Option<f64>,
    region: Option<String>,
) -> NewSignal {
    NewSignal {
        id: SignalId::alert(number),
        masked_id: masked_id.to_owned(),
        level: Some(level.to_owned()),
        patterns,
        score,
        score_change,
        region,
        version: crate::dv::tables::VERSION.to_owned(),
    }
}

/// Opens a signal (or reopens a closed one: a case flagged again) and records its `opened` event, in the
/// caller's transaction. A signal already open, acknowledged or handed off is left as it is (`None`).
pub fn open(handoff: &Handoff, service: &Service, new: NewSignal, at: &str) -> Result<Option<Signal>, ApiError> {
    if let Some(existing) = service.signal(&new.id)?
        && existing.payload.state != State::Closed
    {
        return Ok(None);
    }
    let kind = new.id.kind();
    let mut payload = Payload {
        type_name: EventKind::Opened.type_name(kind),
        kind,
        signal_id: new.id,
        event: EventKind::Opened,
        masked_id: new.masked_id,
        level: new.level,
        patterns: new.patterns,
        score: new.score,
        score_change: new.score_change,
        region: new.region,
        version: new.version,
        state: State::Open,
        queue: String::new(),
        route: String::new(),
        escalation_step: None,
        closing_reason: None,
        crm_id: None,
        drill: false,
        opened_at: at.to_owned(),
        occurred_at: at.to_owned(),
    };
    let routed = handoff.route(&payload).ok_or_else(|| ApiError::internal("the routing rules have no root queue"))?;
    payload.queue = routed.queue.clone();
    payload.route = routed.route.clone();
    let signal = Signal {
        owner: None,
        acknowledged_at: None,
        handed_off_at: None,
        closed_at: None,
        escalation_step: 0,
        payload,
    };
    service.record_event(&signal)?;
    Ok(Some(signal))
}

/// What a person does to a signal, with what it needs.
pub struct Move<'a> {
    pub act: Act,
    pub actor: &'a str,
    pub at: &'a str,
    pub reason: Option<ClosingReason>,
    pub crm_id: Option<String>,
    /// For an escalation: the step and the queue notified.
    pub escalation: Option<(u32, String)>,
    /// A note for SafeHaven's own record of an alert (never sent: the payload has no field for it).
    pub note: Option<&'a str>,
}

/// The state `act` moves a signal to, or 409. A signal handed off before its CRM record was known takes the
/// record's ID when it arrives (a hand-off again, with a new CRM ID).
fn next_state(signal: &Signal, act: Act, crm_id: Option<&str>) -> Result<State, ApiError> {
    let p = &signal.payload;
    let new_crm_id = crm_id.is_some() && crm_id != p.crm_id.as_deref();
    match (act, p.state) {
        (Act::HandOff, State::HandedOff) if new_crm_id => Ok(State::HandedOff),
        (act, state) => state.after(act).map_err(|why| ApiError::Conflict(format!("{}: {why}", p.signal_id))),
    }
}

/// Whether `act` is possible on the signal now (409 if not): checked before the act is audited, so the audit log
/// holds only acts that happened.
pub fn possible(service: &Service, id: &SignalId, act: Act, crm_id: Option<&str>) -> Result<(), ApiError> {
    let signal = service.signal(id)?.ok_or_else(|| ApiError::NotFound(format!("no signal {id}")))?;
    next_state(&signal, act, crm_id).map(|_| ())
}

/// The signal of an alert, opening it now for an alert from before hand-off (so an act on it has an event to
/// follow); 409 for such an alert that is closed already.
pub fn alert_signal_of(handoff: &Handoff, service: &Service, alert: &Alert) -> Result<SignalId, ApiError> {
    let id = SignalId::alert(alert.number);
    if service.signal(&id)?.is_none() {
        if alert.status == State::Closed.name() {
            return Err(ApiError::Conflict(format!("alert {} is closed", alert_id(alert.number))));
        }
        let new = alert_signal(alert.number, &alert.masked_id, &alert.level, Vec::new(), None, None, None);
        open(handoff, service, new, &alert.opened_at)?;
    }
    Ok(id)
}

/// Moves a signal through its workflow and records the event, in the caller's transaction; 409 when the act
/// is not possible now, 404 when there is no such signal.
pub fn transition(service: &Service, id: &SignalId, m: Move<'_>) -> Result<Signal, ApiError> {
    let mut signal = service.signal(id)?.ok_or_else(|| ApiError::NotFound(format!("no signal {id}")))?;
    let state = next_state(&signal, m.act, m.crm_id.as_deref())?;
    let before = signal.payload.state;
    let p = &mut signal.payload;
    let event = match m.act {
        Act::Acknowledge => {
            signal.owner = Some(m.actor.to_owned());
            signal.acknowledged_at = Some(m.at.to_owned());
            EventKind::Acknowledged
        }
        Act::Escalate => {
            let (step, queue) = m.escalation.clone().unwrap_or((signal.escalation_step + 1, p.queue.clone()));
            signal.escalation_step = step;
            p.queue = queue;
            EventKind::Escalated
        }
        Act::HandOff => {
            // A CRM ID arriving later does not move the hand-off's time (its SLA was met, or not, then).
            signal.handed_off_at.get_or_insert_with(|| m.at.to_owned());
            EventKind::HandedOff
        }
        Act::Close => {
            signal.closed_at = Some(m.at.to_owned());
            p.closing_reason = m.reason;
            EventKind::Closed
        }
    };
    if let Some(crm) = m.crm_id {
        p.crm_id = Some(crm);
    }
    p.escalation_step = (event == EventKind::Escalated).then_some(signal.escalation_step);
    p.state = state;
    p.event = event;
    p.type_name = event.type_name(p.kind);
    p.occurred_at = m.at.to_owned();
    service.record_event(&signal)?;
    // An alert's own row follows its signal (the DV queue lists it), with the act's note if it has one.
    if let Some(number) = id.alert_number()
        && (state != before || m.note.is_some())
    {
        service.update_alert(number, state.name(), m.at, m.actor, m.note)?;
    }
    Ok(signal)
}

/// A signal's SLA clocks by its route: time to acknowledge (stopped by an acknowledgement, a hand-off or a close)
/// and time to hand off (stopped by a hand-off or a close). `None` when no route takes it.
pub fn clocks(handoff: &Handoff, signal: &Signal, now: DateTime<Utc>) -> Option<[SlaClock; 2]> {
    let time = |t: Option<&str>| t.and_then(parse_time);
    let routed = handoff.route(&signal.payload)?;
    let opened = time(Some(&signal.payload.opened_at)).unwrap_or(now);
    let (acknowledged, handed, closed) = (
        time(signal.acknowledged_at.as_deref()),
        time(signal.handed_off_at.as_deref()),
        time(signal.closed_at.as_deref()),
    );
    Some([
        routed.sla.acknowledge.state(opened, acknowledged.or(handed).or(closed), now),
        routed.sla.handoff.state(opened, handed.or(closed), now),
    ])
}

/// A signal as the dashboard shows it: its workflow and its SLA clocks.
pub fn render(handoff: &Handoff, signal: &Signal, now: DateTime<Utc>) -> Value {
    let p = &signal.payload;
    let sla = clocks(handoff, signal, now)
        .map(|[acknowledge, handoff]| json!({ "acknowledge": acknowledge, "handoff": handoff }));
    json!({
        "signalId": p.signal_id,
        "kind": p.kind,
        "maskedId": p.masked_id,
        "state": p.state,
        "queue": p.queue,
        "route": p.route,
        "owner": signal.owner,
        "crmId": p.crm_id,
        "level": p.level,
        "openedAt": p.opened_at,
        "acknowledgedAt": signal.acknowledged_at,
        "handedOffAt": signal.handed_off_at,
        "closedAt": signal.closed_at,
        "closingReason": p.closing_reason,
        "escalationStep": signal.escalation_step,
        "sla": sla,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HandoffRequest {
    /// The CRM's record ID, when the hand-off made one (else it is read back from the CRM's outcomes).
    #[serde(default)]
    crm_id: Option<String>,
}

/// A CRM record ID as given: 1–64 letters, digits, `-` or `_` (Salesforce's are 15 or 18 characters).
fn check_crm_id(crm_id: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(id) = crm_id.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()) else { return Ok(None) };
    if id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)) {
        return Err(ApiError::Unprocessable(format!(
            "crmId `{}` is not a record ID: 1–64 letters, digits, - or _",
            clip(&id, 40)
        )));
    }
    Ok(Some(id))
}

/// Hands a signal off (audited first), then wakes the worker.
async fn hand_off(
    state: Arc<AppState>,
    caller: Caller,
    id: SignalId,
    crm_id: Option<String>,
) -> Result<Json<Value>, ApiError> {
    let crm_id = check_crm_id(crm_id)?;
    let handoff = state.handoff();
    let audit = state.audit.clone();
    let h = handoff.clone();
    let rules = handoff.clone();
    let signal = state
        .with_service_result(move |service| {
            let at = now();
            if service.signal(&id)?.is_none() {
                // An alert from before hand-off has its signal opened now; a case must be flagged first.
                let alert = id.alert_number().map(|n| service.alert(n)).transpose()?.flatten();
                let Some(alert) = alert else {
                    return Err(ApiError::NotFound(match id.alert_number() {
                        Some(n) => format!("no alert {}", alert_id(n)),
                        None => format!("{id} has not been flagged for review: flag the case first"),
                    }));
                };
                alert_signal_of(&rules, service, &alert)?;
            }
            possible(service, &id, Act::HandOff, crm_id.as_deref())?;
            let event = AuditEvent {
                actor: caller.name.clone(),
                action: format!("{}.handoff", id.kind().name()),
                subject: id.to_string(),
                reason: crm_id.as_deref().map(|c| format!("CRM record {c}")).unwrap_or_default(),
            };
            audit.append(event, at.clone()).map_err(ApiError::internal)?;
            let m = Move {
                act: Act::HandOff,
                actor: &caller.name,
                at: &at,
                reason: None,
                crm_id,
                escalation: None,
                note: None,
            };
            transition(service, &id, m)
        })
        .await?;
    handoff.wake.notify_one();
    Ok(Json(render(&h, &signal, chrono::Utc::now())))
}

/// `POST /api/v1/alerts/{alertId}/handoff` with `{ "crmId": "500…" }` (optional).
pub async fn alert_handoff(
    AxumState(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<HandoffRequest>,
) -> Result<Json<Value>, ApiError> {
    let number = crate::handoff::signal::parse_alert_id(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no alert {}", clip(&id, 40))))?;
    hand_off(state, caller, SignalId::alert(number), request.crm_id).await
}

/// `POST /api/v1/cases/{maskedId}/handoff` with `{ "crmId": "500…" }` (optional): a flagged case to the CRM.
pub async fn case_handoff(
    AxumState(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiPath(masked_id): ApiPath<String>,
    ApiJson(request): ApiJson<HandoffRequest>,
) -> Result<Json<Value>, ApiError> {
    let id = case_signal(&masked_id)?;
    hand_off(state, caller, id, request.crm_id).await
}

/// The case's signal ID, if the path names a masked ID.
pub fn case_signal(masked_id: &str) -> Result<SignalId, ApiError> {
    masked_id
        .parse::<crate::privacy::masked::MaskedId>()
        .map(|m| SignalId::case(m.as_str()))
        .map_err(|_| ApiError::NotFound(format!("no case with masked ID {}", clip(masked_id, 20))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    reason: Option<String>,
}

/// `POST /api/v1/cases/{maskedId}/acknowledge`: the caller owns the flagged case.
pub async fn case_acknowledge(
    AxumState(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiPath(masked_id): ApiPath<String>,
    ApiJson(_): ApiJson<serde_json::Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    case_act(state, caller, &masked_id, Act::Acknowledge, None).await
}

/// `POST /api/v1/cases/{maskedId}/close` with `{ "reason": "actioned|referred|no_action|duplicate|not_applicable" }`.
pub async fn case_close(
    AxumState(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiPath(masked_id): ApiPath<String>,
    ApiJson(request): ApiJson<CloseRequest>,
) -> Result<Json<Value>, ApiError> {
    let reason = closing_reason(request.reason.as_deref())?;
    case_act(state, caller, &masked_id, Act::Close, Some(reason)).await
}

/// The required closing reason.
pub fn closing_reason(reason: Option<&str>) -> Result<ClosingReason, ApiError> {
    let valid: Vec<&str> = ClosingReason::ALL.iter().map(|r| r.name()).collect();
    match reason {
        None => Err(ApiError::Unprocessable(format!("reason is required to close: one of {}", valid.join(", ")))),
        Some(r) => ClosingReason::parse(r).map_err(ApiError::Unprocessable),
    }
}

async fn case_act(
    state: Arc<AppState>,
    caller: Caller,
    masked_id: &str,
    act: Act,
    reason: Option<ClosingReason>,
) -> Result<Json<Value>, ApiError> {
    let id = case_signal(masked_id)?;
    let handoff = state.handoff();
    let audit = state.audit.clone();
    let h = handoff.clone();
    let signal = state
        .with_service_result(move |service| {
            let at = now();
            let verb = if act == Act::Close { "close" } else { "acknowledge" };
            if service.signal(&id)?.is_none() {
                return Err(ApiError::NotFound(format!("{id} has not been flagged for review")));
            }
            possible(service, &id, act, None)?;
            let event = AuditEvent {
                actor: caller.name.clone(),
                action: format!("case.{verb}"),
                subject: id.to_string(),
                reason: reason.map(|r| r.name().to_owned()).unwrap_or_default(),
            };
            audit.append(event, at.clone()).map_err(ApiError::internal)?;
            let m = Move { act, actor: &caller.name, at: &at, reason, crm_id: None, escalation: None, note: None };
            transition(service, &id, m)
        })
        .await?;
    handoff.wake.notify_one();
    Ok(Json(render(&h, &signal, chrono::Utc::now())))
}

/// `GET /api/v1/cases/flagged`: flagged cases with their workflow and SLA clocks, newest first.
pub async fn flagged_cases(AxumState(state): Shared) -> Result<Json<Value>, ApiError> {
    let handoff = state.handoff();
    let signals = state.with_service(|service| service.signals(Some("case"))).await?;
    let now = chrono::Utc::now();
    Ok(Json(json!({ "cases": signals.iter().map(|s| render(&handoff, s, now)).collect::<Vec<_>>() })))
}

fn query_number(query: &HashMap<String, String>, key: &str, default: i64, max: i64) -> Result<i64, ApiError> {
    match query.get(key) {
        None => Ok(default),
        Some(v) => v.parse::<i64>().ok().filter(|n| (0..=max).contains(n)).ok_or_else(|| {
            ApiError::Unprocessable(format!("{key} must be a whole number from 0 to {max}; got `{}`", clip(v, 20)))
        }),
    }
}

fn only(query: &HashMap<String, String>, allowed: &[&str]) -> Result<(), ApiError> {
    match query.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(ApiError::Unprocessable(format!(
            "unknown query parameter `{}`; use {}",
            clip(key, 30),
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

/// `GET /api/v1/handoff/outbox?after=N&limit=M`: events in order, with the signals' workflow.
pub async fn outbox(
    AxumState(state): Shared,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    only(&query, &["after", "limit"])?;
    let after = query_number(&query, "after", 0, i64::MAX)?;
    let limit = query_number(&query, "limit", 200, 1000)?;
    let handoff = state.handoff();
    let (events, last, signals) = state
        .with_service(move |service| {
            let events = service.events(after, i64::MAX, limit as usize)?;
            Ok((events, service.last_event_no()?, service.signals(None)?))
        })
        .await?;
    let now = chrono::Utc::now();
    Ok(Json(json!({
        "events": events.iter().map(|e| json!({ "eventNo": e.number, "eventId": e.id(), "payload": e.payload })).collect::<Vec<_>>(),
        "lastEventNo": last,
        "signals": signals.iter().map(|s| render(&handoff, s, now)).collect::<Vec<_>>(),
        "rules": handoff.rules.file(),
    })))
}

/// `GET /api/v1/handoff/deliveries?status=pending|delivered|dead`: deliveries and the destinations.
pub async fn deliveries(
    AxumState(state): Shared,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    only(&query, &["status"])?;
    let status = query.get("status").cloned();
    if let Some(s) = &status
        && !worker::STATUSES.contains(&s.as_str())
    {
        return Err(ApiError::Unprocessable(format!(
            "status must be one of {}; got `{}`",
            worker::STATUSES.join(", "),
            clip(s, 20)
        )));
    }
    let handoff = state.handoff();
    let names: Vec<String> = handoff.webhooks.iter().map(|w| w.name.clone()).collect();
    let (deliveries, destinations) = state
        .with_service(move |service| {
            let deliveries = service.deliveries(status.as_deref())?;
            let destinations =
                names.iter().map(|n| service.destination(n)).collect::<crate::warehouse::Result<Vec<_>>>()?;
            Ok((deliveries, destinations))
        })
        .await?;
    let destinations: Vec<Value> = handoff
        .webhooks
        .iter()
        .zip(destinations)
        .map(|(w, d)| {
            json!({
                "name": w.name,
                "url": w.target.url(),
                "queues": w.queues,
                "attempts": w.schedule.attempts(),
                "cursor": d.as_ref().map_or(0, |d| d.cursor),
                "disabledAt": d.as_ref().and_then(|d| d.disabled_at.clone()),
                "disabledReason": d.and_then(|d| d.disabled_reason),
            })
        })
        .collect();
    Ok(Json(json!({
        "deliveries": deliveries.iter().map(worker::render_delivery).collect::<Vec<_>>(),
        "destinations": destinations,
    })))
}

/// `POST /api/v1/handoff/deliveries/{id}/replay`: a delivery (a dead letter, usually) sent again under the same
/// `webhook-id`; a disabled destination is enabled again. Audited.
pub async fn replay(
    AxumState(state): Shared,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(_): ApiJson<serde_json::Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let number =
        worker::parse_delivery_id(&id).ok_or_else(|| ApiError::NotFound(format!("no delivery {}", clip(&id, 30))))?;
    let exists = state.with_service(move |service| service.delivery(number)).await?;
    if exists.is_none() {
        return Err(ApiError::NotFound(format!("no delivery {}", worker::delivery_id(number))));
    }
    let at = now();
    let event = AuditEvent {
        actor: caller.name.clone(),
        action: "handoff.replay".into(),
        subject: worker::delivery_id(number),
        reason: String::new(),
    };
    let audit = state.audit.clone();
    crate::server::blocking(move || audit.append(event, at).map_err(ApiError::internal)).await?;
    let handoff = state.handoff();
    let (reply, answer) = tokio::sync::oneshot::channel();
    handoff
        .replays
        .send(worker::Replay { delivery: number, reply })
        .map_err(|_| ApiError::Unavailable("the delivery worker is not running; try again in a moment".into()))?;
    handoff.wake.notify_one();
    let delivery = answer
        .await
        .map_err(|_| ApiError::Unavailable("the delivery worker did not answer; try again in a moment".into()))??;
    Ok(Json(worker::render_delivery(&delivery)))
}

/// Runs a hand-off command from the CLI's inbox (`None` for the drills' commands): its reply's message is the
/// manifest or the report, as JSON.
pub async fn inbox_command(
    state: &Arc<AppState>,
    command: &crate::warehouse::drill_log::Command,
) -> Option<crate::warehouse::drill_log::Reply> {
    use crate::warehouse::drill_log::{Command, Reply};
    let handoff = state.handoff();
    let audit = state.audit.clone();
    let result: Result<Value, ApiError> = match command.clone() {
        Command::HandoffExport { out, since, until, actor } => {
            state
                .with_service_result(move |service| {
                    let manifest = outcomes::export_to(&handoff, service, &audit, &out, since, until, &actor)?;
                    serde_json::to_value(manifest).map_err(ApiError::internal)
                })
                .await
        }
        Command::HandoffOutcomes { file, text, actor } => {
            let h = handoff.clone();
            let result = state
                .with_service_result(move |service| {
                    let report = apply_outcomes(&h, service, &audit, &file, &text, &actor)?;
                    serde_json::to_value(report).map_err(ApiError::internal)
                })
                .await;
            handoff.wake.notify_one();
            result
        }
        _ => return None,
    };
    Some(match result {
        Ok(value) => Reply { ok: true, run_id: None, message: value.to_string() },
        Err(e) => Reply { ok: false, run_id: None, message: e.message() },
    })
}

/// Imports an outcomes file (audited first, in the caller's transaction).
pub fn apply_outcomes(
    handoff: &Handoff,
    service: &Service,
    audit: &crate::privacy::audit::AuditLog,
    file: &str,
    text: &str,
    actor: &str,
) -> Result<outcomes::OutcomeReport, ApiError> {
    let at = now();
    let event = AuditEvent {
        actor: actor.to_owned(),
        action: "handoff.import_outcomes".into(),
        subject: crate::text::clip(file, 120),
        reason: format!("{} bytes", text.len()),
    };
    audit.append(event, at.clone()).map_err(ApiError::internal)?;
    outcomes::import(handoff, service, file, text, actor, &at)
}
