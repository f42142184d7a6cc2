//! The timers of a routed signal: its escalation chain and the notification times it makes, quiet hours in a named
//! time zone (daylight saving by chrono-tz) that defer a notification to their end, and the SLA clocks.

use super::Routed;
use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Serialize, Serializer};

/// Who is told next while a signal stays unacknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Escalation {
    /// Step i (1-based) is due i × this many minutes after the signal opened.
    pub after_minutes: u32,
    /// The queues of steps 1, 2, …, in order.
    pub then: Vec<String>,
    /// After the last step, its queue is notified again every this many minutes until acknowledged or closed.
    pub repeat_minutes: Option<u32>,
}

/// A daily window, in a named time zone, in which notifications wait; it may cross midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuietHours {
    #[serde(serialize_with = "tz_name")]
    pub time_zone: Tz,
    /// Local time the window opens (inclusive).
    #[serde(serialize_with = "hh_mm")]
    pub start: NaiveTime,
    /// Local time the window closes (exclusive); earlier than `start` when it crosses midnight.
    #[serde(serialize_with = "hh_mm")]
    pub end: NaiveTime,
}

fn tz_name<S: Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

fn hh_mm<S: Serializer>(time: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&time.format("%H:%M").to_string())
}

impl QuietHours {
    /// Whether a local time of day is inside the window.
    fn contains(&self, time: NaiveTime) -> bool {
        if self.start < self.end {
            self.start <= time && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }

    /// `at`, or the end of the window `at` falls in: the first instant after `at` at which local clocks read
    /// `end`. On the night clocks go forward past `end`, that is when they jump; on the night they go back over
    /// it, its first reading after `at`.
    pub fn defer(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let local = at.with_timezone(&self.time_zone);
        if !self.contains(local.time()) {
            return at;
        }
        let date = local.date_naive();
        let crossed = self.start > self.end && local.time() >= self.start;
        let end_date = if crossed { date.succ_opt().unwrap_or(date) } else { date };
        self.first_reading(end_date.and_time(self.end), at)
    }

    fn first_reading(&self, local: NaiveDateTime, after: DateTime<Utc>) -> DateTime<Utc> {
        // A gap (clocks forward) is at most a few hours; walk out of it a minute at a time.
        for minutes in 0..=24 * 60 {
            let naive = local + Duration::minutes(minutes);
            match self.time_zone.from_local_datetime(&naive) {
                LocalResult::Single(t) => return t.with_timezone(&Utc),
                LocalResult::Ambiguous(first, second) => {
                    let (first, second) = (first.with_timezone(&Utc), second.with_timezone(&Utc));
                    return if first > after { first } else { second };
                }
                LocalResult::None => {}
            }
        }
        after
    }
}

/// One notification of a signal's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// 0 for the route's queue; i for the escalation's i-th `then` queue; past the last, its repeats.
    pub step: u32,
    pub queue: String,
    /// When the plain schedule puts it (opened + group wait, opened + i × after, then every repeat).
    pub due: DateTime<Utc>,
    /// When it is sent: `due`, unless quiet hours deferred it or an earlier step of the chain.
    pub at: DateTime<Utc>,
    /// `at` is later than `due`.
    pub deferred: bool,
}

/// The chain of one routed signal, step by step: each step's `at` is its gap from the previous step after that
/// step's `at`, deferred by quiet hours, so a deferral pushes the rest of the chain and `at` strictly increases.
pub(super) struct Chain<'a> {
    routed: &'a Routed,
    opened: DateTime<Utc>,
    step: u32,
    previous: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl<'a> Chain<'a> {
    pub fn new(routed: &'a Routed, opened: DateTime<Utc>) -> Chain<'a> {
        Chain { routed, opened, step: 0, previous: None }
    }

    /// The plain schedule: step `step`'s queue and due time, or `None` past the chain's end.
    fn scheduled(&self, step: u32) -> Option<(&'a str, DateTime<Utc>)> {
        let routed: &'a Routed = self.routed;
        let minutes = |m: i64| self.opened.checked_add_signed(Duration::try_minutes(m)?);
        if step == 0 {
            return Some((&routed.queue, minutes(i64::from(routed.group_wait_minutes))?));
        }
        let escalation = routed.escalation.as_ref()?;
        let (after, n, i) = (i64::from(escalation.after_minutes), escalation.then.len() as u32, step);
        if i <= n {
            return Some((&escalation.then[i as usize - 1], minutes(after * i64::from(i))?));
        }
        let repeat = i64::from(escalation.repeat_minutes?);
        Some((escalation.then.last()?, minutes(after * i64::from(n) + repeat * i64::from(i - n))?))
    }
}

impl Iterator for Chain<'_> {
    type Item = Notification;

    fn next(&mut self) -> Option<Notification> {
        let (queue, due) = self.scheduled(self.step)?;
        let pushed = match self.previous {
            Some((previous_due, previous_at)) => previous_at.checked_add_signed(due - previous_due)?,
            None => due,
        };
        let at = self.routed.defer(pushed);
        let notification = Notification { step: self.step, queue: queue.to_owned(), due, at, deferred: at > due };
        self.previous = Some((due, at));
        self.step += 1;
        Some(notification)
    }
}

/// A route's service-level timers, from when the signal opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sla {
    /// Opened → acknowledged [default: warning at 15 minutes, violated at 60].
    pub acknowledge: Timer,
    /// Opened → handed off to the CRM [default: warning at 240 minutes, violated at 1440].
    pub handoff: Timer,
}

impl Sla {
    pub const DEFAULT: Sla = Sla {
        acknowledge: Timer { warn_minutes: 15, violate_minutes: 60 },
        handoff: Timer { warn_minutes: 240, violate_minutes: 1440 },
    };
}

/// A warning and a violation threshold, in minutes after the clock starts; warning < violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timer {
    pub warn_minutes: u32,
    pub violate_minutes: u32,
}

/// Where an SLA clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SlaState {
    /// Running, before the warning.
    Ok,
    /// Running, past the warning, before the violation.
    Warning,
    /// Past the violation, running or done late.
    Violated,
    /// Done before the violation.
    Met,
}

impl SlaState {
    pub fn name(self) -> &'static str {
        match self {
            SlaState::Ok => "ok",
            SlaState::Warning => "warning",
            SlaState::Violated => "violated",
            SlaState::Met => "met",
        }
    }
}

/// An SLA clock at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaClock {
    pub state: SlaState,
    /// Whole minutes from the start to when it was done, or to now while it runs.
    pub elapsed_minutes: i64,
    /// Whole minutes (rounded down) left before the violation; negative once over.
    pub minutes_to_violation: i64,
    pub warning_at: DateTime<Utc>,
    pub violated_at: DateTime<Utc>,
}

impl Timer {
    /// The clock started at `since`, done at `done` (if it is, and not after `now`), read at `now`. Quiet hours
    /// do not stop it: an SLA is wall-clock time.
    pub fn state(&self, since: DateTime<Utc>, done: Option<DateTime<Utc>>, now: DateTime<Utc>) -> SlaClock {
        let done = done.filter(|d| *d <= now);
        let elapsed = (done.unwrap_or(now) - since).max(Duration::zero());
        let (warn, violate) =
            (Duration::minutes(self.warn_minutes.into()), Duration::minutes(self.violate_minutes.into()));
        let state = match done {
            Some(_) if elapsed < violate => SlaState::Met,
            _ if elapsed >= violate => SlaState::Violated,
            None if elapsed >= warn => SlaState::Warning,
            _ => SlaState::Ok,
        };
        SlaClock {
            state,
            elapsed_minutes: elapsed.num_minutes(),
            minutes_to_violation: (violate - elapsed).num_seconds().div_euclid(60),
            warning_at: since + warn,
            violated_at: since + violate,
        }
    }
}
