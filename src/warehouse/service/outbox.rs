//! The hand-off outbox in the service database: signals and their workflow state (`svc.signals`), every event
//! about them, append only (`svc.outbox`), and each event's delivery to each webhook destination
//! (`svc.deliveries`, `svc.destinations`). An act writes its signal and its event in the caller's transaction, so
//! an event exists exactly when its act does; only the delivery worker writes deliveries and destinations.

use super::{Result, Service};
use crate::handoff::signal::{Event, Payload, SignalId};
use duckdb::Row;
use serde::Serialize;

mod sql {
    pub const SIGNAL_GET: &str = include_str!("../../../sql/service/signal_get.sql");
    pub const SIGNAL_LIST: &str = include_str!("../../../sql/service/signal_list.sql");
    pub const SIGNAL_UNACKNOWLEDGED: &str = include_str!("../../../sql/service/signal_unacknowledged.sql");
    pub const SIGNAL_UPSERT: &str = include_str!("../../../sql/service/signal_upsert.sql");
    pub const OUTBOX_APPEND: &str = include_str!("../../../sql/service/outbox_append.sql");
    pub const OUTBOX_RANGE: &str = include_str!("../../../sql/service/outbox_range.sql");
    pub const OUTBOX_LAST: &str = include_str!("../../../sql/service/outbox_last.sql");
    pub const OUTBOX_EVENT: &str = include_str!("../../../sql/service/outbox_event.sql");
    pub const DELIVERY_ENQUEUE: &str = include_str!("../../../sql/service/delivery_enqueue.sql");
    pub const DELIVERY_DUE: &str = include_str!("../../../sql/service/delivery_due.sql");
    pub const DELIVERY_NEXT_DUE: &str = include_str!("../../../sql/service/delivery_next_due.sql");
    pub const DELIVERY_LIST: &str = include_str!("../../../sql/service/delivery_list.sql");
    pub const DELIVERY_GET: &str = include_str!("../../../sql/service/delivery_get.sql");
    pub const DELIVERY_UPDATE: &str = include_str!("../../../sql/service/delivery_update.sql");
    pub const DELIVERY_COUNTS: &str = include_str!("../../../sql/service/delivery_counts.sql");
    pub const DESTINATION_GET: &str = include_str!("../../../sql/service/destination_get.sql");
    pub const DESTINATION_UPSERT: &str = include_str!("../../../sql/service/destination_upsert.sql");
}

/// A signal's workflow record. The payload is the latest event's; the owner (who acknowledged it) stays here and
/// in the audit log, never in what is sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Signal {
    pub owner: Option<String>,
    pub acknowledged_at: Option<String>,
    pub handed_off_at: Option<String>,
    pub closed_at: Option<String>,
    pub escalation_step: u32,
    #[serde(flatten)]
    pub payload: Payload,
}

/// One event's delivery to one destination.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub number: i64,
    pub event_no: i64,
    pub destination: String,
    /// `pending`, `delivered` or `dead` (a dead letter: the schedule is spent, or the destination is gone).
    pub status: String,
    pub attempts: u32,
    pub next_at: Option<String>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub delivered_at: Option<String>,
}

/// A destination's cursor (the last event given a delivery) and whether it is disabled.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    pub name: String,
    pub cursor: i64,
    pub disabled_at: Option<String>,
    pub disabled_reason: Option<String>,
}

fn corrupt(e: serde_json::Error) -> duckdb::Error {
    duckdb::Error::FromSqlConversionFailure(0, duckdb::types::Type::Text, Box::new(e))
}

fn signal_from_row(row: &Row<'_>) -> duckdb::Result<Signal> {
    let payload: String = row.get(13)?;
    Ok(Signal {
        owner: row.get(6)?,
        acknowledged_at: row.get(9)?,
        handed_off_at: row.get(10)?,
        closed_at: row.get(11)?,
        escalation_step: row.get(12)?,
        payload: serde_json::from_str(&payload).map_err(corrupt)?,
    })
}

fn event_from_row(row: &Row<'_>) -> duckdb::Result<Event> {
    let payload: String = row.get(1)?;
    Ok(Event { number: row.get(0)?, payload: serde_json::from_str(&payload).map_err(corrupt)? })
}

fn delivery_from_row(row: &Row<'_>) -> duckdb::Result<Delivery> {
    Ok(Delivery {
        number: row.get(0)?,
        event_no: row.get(1)?,
        destination: row.get(2)?,
        status: row.get(3)?,
        attempts: row.get(4)?,
        next_at: row.get(5)?,
        last_status: row.get(6)?,
        last_error: row.get(7)?,
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
        delivered_at: row.get(10)?,
    })
}

impl Service {
    pub fn signal(&self, id: &SignalId) -> Result<Option<Signal>> {
        let mut stmt = self.conn.prepare_cached(sql::SIGNAL_GET)?;
        let mut rows = stmt.query([id.as_str()])?;
        match rows.next()? {
            Some(row) => Ok(Some(signal_from_row(row)?)),
            None => Ok(None),
        }
    }

    /// Signals, newest first (at most 500): all, or of one kind (`alert`, `case`).
    pub fn signals(&self, kind: Option<&str>) -> Result<Vec<Signal>> {
        let mut stmt = self.conn.prepare_cached(sql::SIGNAL_LIST)?;
        let rows = stmt.query_map(duckdb::params![kind, kind], signal_from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Signals still open (nobody acknowledged, handed off or closed them), oldest first.
    pub fn open_signals(&self) -> Result<Vec<Signal>> {
        let mut stmt = self.conn.prepare_cached(sql::SIGNAL_UNACKNOWLEDGED)?;
        let rows = stmt.query_map([], signal_from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Records an event: the signal's new state and the event in the outbox. Call it inside the transaction of
    /// the act that caused it. Returns the event as numbered.
    pub fn record_event(&self, signal: &Signal) -> Result<Event> {
        let p = &signal.payload;
        let payload = serde_json::to_string(p).map_err(|e| super::Error::Corrupt {
            path: self.dir.join(super::FILE_NAME),
            detail: format!("an event payload could not be written: {e}"),
        })?;
        self.conn.execute(
            sql::SIGNAL_UPSERT,
            duckdb::params![
                p.signal_id.as_str(),
                p.kind.name(),
                p.masked_id,
                p.state.name(),
                p.queue,
                p.route,
                signal.owner,
                p.crm_id,
                p.opened_at,
                signal.acknowledged_at,
                signal.handed_off_at,
                signal.closed_at,
                signal.escalation_step,
                payload
            ],
        )?;
        let number: i64 = self.conn.query_row(
            sql::OUTBOX_APPEND,
            duckdb::params![p.signal_id.as_str(), p.type_name, p.occurred_at, payload],
            |row| row.get(0),
        )?;
        Ok(Event { number, payload: p.clone() })
    }

    /// Events after `after`, up to and including `upto`, in order, at most `limit`.
    pub fn events(&self, after: i64, upto: i64, limit: usize) -> Result<Vec<Event>> {
        let mut stmt = self.conn.prepare_cached(sql::OUTBOX_RANGE)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(duckdb::params![after, upto, limit], event_from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The newest event's number (0 when the outbox is empty).
    pub fn last_event_no(&self) -> Result<i64> {
        Ok(self.conn.query_row(sql::OUTBOX_LAST, [], |row| row.get(0))?)
    }

    pub fn event(&self, number: i64) -> Result<Option<Event>> {
        let mut stmt = self.conn.prepare_cached(sql::OUTBOX_EVENT)?;
        let mut rows = stmt.query([number])?;
        match rows.next()? {
            Some(row) => Ok(Some(event_from_row(row)?)),
            None => Ok(None),
        }
    }

    /// A delivery of `event_no` to `destination`, due at `due`; a second call for the same pair does nothing.
    pub fn enqueue_delivery(&self, event_no: i64, destination: &str, due: &str, now: &str) -> Result<()> {
        self.conn.execute(sql::DELIVERY_ENQUEUE, duckdb::params![event_no, destination, due, now, now])?;
        Ok(())
    }

    /// Pending deliveries due by `now` (RFC 3339, UTC), oldest event first.
    pub fn due_deliveries(&self, now: &str, limit: usize) -> Result<Vec<Delivery>> {
        let mut stmt = self.conn.prepare_cached(sql::DELIVERY_DUE)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(duckdb::params![now, limit], delivery_from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// When the next pending delivery is due.
    pub fn next_due_delivery(&self) -> Result<Option<String>> {
        Ok(self.conn.query_row(sql::DELIVERY_NEXT_DUE, [], |row| row.get(0))?)
    }

    /// Deliveries, newest first (at most 500): all, or those with `status`.
    pub fn deliveries(&self, status: Option<&str>) -> Result<Vec<Delivery>> {
        let mut stmt = self.conn.prepare_cached(sql::DELIVERY_LIST)?;
        let rows = stmt.query_map(duckdb::params![status, status], delivery_from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    pub fn delivery(&self, number: i64) -> Result<Option<Delivery>> {
        let mut stmt = self.conn.prepare_cached(sql::DELIVERY_GET)?;
        let mut rows = stmt.query([number])?;
        match rows.next()? {
            Some(row) => Ok(Some(delivery_from_row(row)?)),
            None => Ok(None),
        }
    }

    /// Stores an attempt's outcome (or a replay's reset).
    pub fn update_delivery(&self, d: &Delivery) -> Result<()> {
        self.conn.execute(
            sql::DELIVERY_UPDATE,
            duckdb::params![
                d.status,
                d.attempts,
                d.next_at,
                d.last_status,
                d.last_error,
                d.updated_at,
                d.delivered_at,
                d.number
            ],
        )?;
        Ok(())
    }

    /// Deliveries by (destination, status): counts only.
    pub fn delivery_counts(&self) -> Result<Vec<(String, String, i64)>> {
        let mut stmt = self.conn.prepare_cached(sql::DELIVERY_COUNTS)?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    pub fn destination(&self, name: &str) -> Result<Option<Destination>> {
        let mut stmt = self.conn.prepare_cached(sql::DESTINATION_GET)?;
        let mut rows = stmt.query([name])?;
        match rows.next()? {
            Some(row) => Ok(Some(Destination {
                name: row.get(0)?,
                cursor: row.get(1)?,
                disabled_at: row.get(2)?,
                disabled_reason: row.get(3)?,
            })),
            None => Ok(None),
        }
    }

    pub fn set_destination(&self, d: &Destination) -> Result<()> {
        self.conn
            .execute(sql::DESTINATION_UPSERT, duckdb::params![d.name, d.cursor, d.disabled_at, d.disabled_reason])?;
        Ok(())
    }
}
