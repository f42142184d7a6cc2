//! The workflow every signal follows: `open → acknowledged (an owner) → handed_off (the CRM's ID known) →
//! closed`, with a required closing reason. Nothing moves by itself: escalation notifies another queue but leaves
//! the signal open, and only a person (or the CRM's own outcome, read back) closes it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Open,
    Acknowledged,
    HandedOff,
    Closed,
}

impl State {
    pub const ALL: [State; 4] = [State::Open, State::Acknowledged, State::HandedOff, State::Closed];

    pub fn name(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Acknowledged => "acknowledged",
            State::HandedOff => "handed_off",
            State::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.name() == text)
    }

    /// The state after `act`, or why `act` is not possible now.
    pub fn after(self, act: Act) -> Result<State, String> {
        let refuse = |what: &str| Err(format!("it is {}; it cannot be {what}", self.name().replace('_', " ")));
        match (act, self) {
            (_, State::Closed) => refuse(act.done()),
            (Act::Acknowledge, State::Open) => Ok(State::Acknowledged),
            (Act::Acknowledge, _) => refuse("acknowledged"),
            (Act::Escalate, State::Open) => Ok(State::Open),
            (Act::Escalate, _) => refuse("escalated"),
            (Act::HandOff, State::Open | State::Acknowledged) => Ok(State::HandedOff),
            (Act::HandOff, State::HandedOff) => refuse("handed off again"),
            (Act::Close, _) => Ok(State::Closed),
        }
    }
}

/// What a person (or the clock, for escalation) does to a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Acknowledge,
    Escalate,
    HandOff,
    Close,
}

impl Act {
    fn done(self) -> &'static str {
        match self {
            Act::Acknowledge => "acknowledged",
            Act::Escalate => "escalated",
            Act::HandOff => "handed off",
            Act::Close => "closed again",
        }
    }
}

/// Why a signal was closed: one of five, so reports can count them (a free-text note stays in SafeHaven).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosingReason {
    Actioned,
    Referred,
    NoAction,
    Duplicate,
    NotApplicable,
}

impl ClosingReason {
    pub const ALL: [ClosingReason; 5] = [
        ClosingReason::Actioned,
        ClosingReason::Referred,
        ClosingReason::NoAction,
        ClosingReason::Duplicate,
        ClosingReason::NotApplicable,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ClosingReason::Actioned => "actioned",
            ClosingReason::Referred => "referred",
            ClosingReason::NoAction => "no_action",
            ClosingReason::Duplicate => "duplicate",
            ClosingReason::NotApplicable => "not_applicable",
        }
    }

    /// A closing reason as written, or an error listing the valid ones.
    pub fn parse(text: &str) -> Result<ClosingReason, String> {
        ClosingReason::ALL.into_iter().find(|r| r.name() == text.trim()).ok_or_else(|| {
            let valid: Vec<&str> = ClosingReason::ALL.iter().map(|r| r.name()).collect();
            format!("reason must be one of {}; got `{}`", valid.join(", "), crate::text::clip(text, 40))
        })
    }
}

/// What a CRM's own record says about a signal it received (`Status`, `IsClosed`, `ClosedDate` of a Salesforce
/// export): handed off once the CRM has it; closed when the CRM closed it.
pub fn outcome_state(is_closed: bool) -> State {
    if is_closed { State::Closed } else { State::HandedOff }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workflow_moves_one_way() {
        assert_eq!(State::Open.after(Act::Acknowledge), Ok(State::Acknowledged));
        assert_eq!(State::Open.after(Act::HandOff), Ok(State::HandedOff));
        assert_eq!(State::Acknowledged.after(Act::HandOff), Ok(State::HandedOff));
        assert_eq!(State::HandedOff.after(Act::Close), Ok(State::Closed));
        assert_eq!(State::Open.after(Act::Escalate), Ok(State::Open));
        assert!(State::Acknowledged.after(Act::Escalate).is_err(), "acknowledging stops the chain");
        assert!(State::Acknowledged.after(Act::Acknowledge).unwrap_err().contains("acknowledged"));
        assert!(State::HandedOff.after(Act::HandOff).is_err());
        for act in [Act::Acknowledge, Act::Escalate, Act::HandOff, Act::Close] {
            assert!(State::Closed.after(act).unwrap_err().starts_with("it is closed"), "{act:?}");
        }
        for state in State::ALL {
            assert_eq!(State::parse(state.name()), Some(state));
        }
    }

    #[test]
    fn closing_reasons_are_a_closed_list() {
        assert_eq!(ClosingReason::parse("no_action"), Ok(ClosingReason::NoAction));
        let err = ClosingReason::parse("fixed").unwrap_err();
        assert!(err.contains("actioned, referred, no_action, duplicate, not_applicable") && err.contains("`fixed`"));
    }
}
