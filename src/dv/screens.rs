//! Published screens, implemented exactly as their published trigger rules, with the rule that fired.
//!
//! - LAP Lethality Screen (Maryland Network Against Domestic Violence, "Lethality Screen for First Responders"):
//!   11 questions, Yes / No / Not answered. Screened in if any Yes on Q1–3; else if at least 4 Yes among
//!   Q4–11; else if the practitioner believes the person is in danger. There is no "moderate".
//! - DASH risk checklist with MARAC referral (SafeLives): 24 questions, Yes / No / Don't know. Referral when
//!   14 or more Yes ("visible high risk"), on professional judgement with a written reason (which can refer
//!   below 14 but never downgrade 14 or more), on potential escalation (default: 3 or more incidents in 12
//!   months, a local setting), or as a repeat (a new incident within 12 months of the last referral).
//!
//! "Not answered" and "Don't know" are never Yes. Question wording is paraphrased in the UI, not copied.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Source and version of the screen constants.
pub const LAP_SOURCE: &str = "Maryland Network Against Domestic Violence, Lethality Screen for First Responders";
pub const DASH_SOURCE: &str = "SafeLives, DASH risk identification checklist and MARAC guidance";

/// LAP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LapAnswer {
    Yes,
    No,
    NotAnswered,
}

/// Why a LAP screened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LapReason {
    #[serde(rename = "protocol_q1_3")]
    ProtocolQ1To3,
    #[serde(rename = "protocol_4_of_q4_11")]
    Protocol4OfQ4To11,
    PractitionerBelief,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LapOutcome {
    pub screened_in: bool,
    pub reason: Option<LapReason>,
}

/// Scores a LAP: `answers[0]` is Q1 … `answers[10]` is Q11.
pub fn lap(answers: &[LapAnswer; 11], practitioner_belief: bool) -> LapOutcome {
    let yes = |range: std::ops::Range<usize>| answers[range].iter().filter(|a| **a == LapAnswer::Yes).count();
    let reason = if yes(0..3) > 0 {
        Some(LapReason::ProtocolQ1To3)
    } else if yes(3..11) >= 4 {
        Some(LapReason::Protocol4OfQ4To11)
    } else if practitioner_belief {
        Some(LapReason::PractitionerBelief)
    } else {
        None
    };
    LapOutcome { screened_in: reason.is_some(), reason }
}

/// DASH answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DashAnswer {
    Yes,
    No,
    DontKnow,
}

/// Why a DASH leads to a MARAC referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DashReason {
    VisibleHighRisk,
    ProfessionalJudgement,
    PotentialEscalation,
    Repeat,
}

/// SafeLives bands by number of Yes: standard (< 10), medium (10–13), high (14+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DashBand {
    Standard,
    Medium,
    High,
}

/// A practitioner's judgement: a referral must give its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfessionalJudgement {
    pub refer: bool,
    #[serde(default)]
    pub reason: String,
}

/// The inputs beside the answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashContext {
    pub professional_judgement: Option<ProfessionalJudgement>,
    pub incidents_last_12_months: u32,
    pub last_marac_referral: Option<NaiveDate>,
    pub new_incident_date: Option<NaiveDate>,
    /// The local potential-escalation threshold (default 3).
    pub escalation_threshold: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DashOutcome {
    pub refer: bool,
    pub reasons: Vec<DashReason>,
    pub yes_count: u32,
    pub band: DashBand,
}

/// A judgement to refer without a written reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("professionalJudgement.reason is required when professionalJudgement.refer is true: write why")]
pub struct MissingReason;

pub const DEFAULT_ESCALATION_THRESHOLD: u32 = 3;
const VISIBLE_HIGH_RISK: u32 = 14;

/// Scores a DASH: `answers[0]` is Q1 … `answers[23]` is Q24.
pub fn dash(answers: &[DashAnswer; 24], context: &DashContext) -> Result<DashOutcome, MissingReason> {
    let yes_count = answers.iter().filter(|a| **a == DashAnswer::Yes).count() as u32;
    let mut reasons = Vec::new();
    if yes_count >= VISIBLE_HIGH_RISK {
        reasons.push(DashReason::VisibleHighRisk);
    }
    if let Some(judgement) = &context.professional_judgement
        && judgement.refer
    {
        if judgement.reason.trim().is_empty() {
            return Err(MissingReason);
        }
        reasons.push(DashReason::ProfessionalJudgement);
    }
    if context.incidents_last_12_months >= context.escalation_threshold {
        reasons.push(DashReason::PotentialEscalation);
    }
    if let (Some(last), Some(new)) = (context.last_marac_referral, context.new_incident_date)
        && new >= last
        && last.checked_add_months(chrono::Months::new(12)).is_none_or(|limit| new <= limit)
    {
        reasons.push(DashReason::Repeat);
    }
    let band = match yes_count {
        0..=9 => DashBand::Standard,
        10..=13 => DashBand::Medium,
        _ => DashBand::High,
    };
    Ok(DashOutcome { refer: !reasons.is_empty(), reasons, yes_count, band })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lap_with(yes: &[usize], not_answered: &[usize]) -> [LapAnswer; 11] {
        let mut answers = [LapAnswer::No; 11];
        for &q in yes {
            answers[q - 1] = LapAnswer::Yes;
        }
        for &q in not_answered {
            answers[q - 1] = LapAnswer::NotAnswered;
        }
        answers
    }

    #[test]
    fn lap_rules_at_their_boundaries() {
        for q in 1..=3 {
            assert_eq!(lap(&lap_with(&[q], &[]), false).reason, Some(LapReason::ProtocolQ1To3), "Q{q}");
        }
        assert_eq!(lap(&lap_with(&[4, 5, 6], &[]), false), LapOutcome { screened_in: false, reason: None });
        assert_eq!(lap(&lap_with(&[4, 5, 6, 11], &[]), false).reason, Some(LapReason::Protocol4OfQ4To11));
        assert_eq!(lap(&lap_with(&[4, 5, 6], &[]), true).reason, Some(LapReason::PractitionerBelief));
        assert_eq!(lap(&lap_with(&[1], &[]), true).reason, Some(LapReason::ProtocolQ1To3), "protocol first");
        let all_unanswered = lap_with(&[], &(1..=11).collect::<Vec<_>>());
        assert!(!lap(&all_unanswered, false).screened_in, "not answered is not yes");
    }

    fn dash_with(yes: u32, dont_know: u32) -> [DashAnswer; 24] {
        let mut answers = [DashAnswer::No; 24];
        for a in answers.iter_mut().take(yes as usize) {
            *a = DashAnswer::Yes;
        }
        for a in answers.iter_mut().skip(yes as usize).take(dont_know as usize) {
            *a = DashAnswer::DontKnow;
        }
        answers
    }

    fn context() -> DashContext {
        DashContext {
            professional_judgement: None,
            incidents_last_12_months: 0,
            last_marac_referral: None,
            new_incident_date: None,
            escalation_threshold: DEFAULT_ESCALATION_THRESHOLD,
        }
    }

    #[test]
    fn dash_visible_high_risk_at_14() {
        let thirteen = dash(&dash_with(13, 11), &context()).unwrap();
        assert!(!thirteen.refer);
        assert_eq!(thirteen.band, DashBand::Medium);
        let fourteen = dash(&dash_with(14, 0), &context()).unwrap();
        assert_eq!(fourteen.reasons, vec![DashReason::VisibleHighRisk]);
        assert_eq!(fourteen.band, DashBand::High);
        assert_eq!(dash(&dash_with(9, 0), &context()).unwrap().band, DashBand::Standard);
        assert_eq!(dash(&dash_with(10, 0), &context()).unwrap().band, DashBand::Medium);
    }

    #[test]
    fn professional_judgement_refers_below_14_never_downgrades_and_needs_a_reason() {
        let refer = ProfessionalJudgement { refer: true, reason: "fear of imminent harm".into() };
        let low = dash(&dash_with(5, 0), &DashContext { professional_judgement: Some(refer), ..context() }).unwrap();
        assert_eq!(low.reasons, vec![DashReason::ProfessionalJudgement]);
        let no = ProfessionalJudgement { refer: false, reason: String::new() };
        let high = dash(&dash_with(15, 0), &DashContext { professional_judgement: Some(no), ..context() }).unwrap();
        assert!(high.refer, "judgement cannot downgrade 14 or more");
        let bare = ProfessionalJudgement { refer: true, reason: "  ".into() };
        assert_eq!(
            dash(&dash_with(1, 0), &DashContext { professional_judgement: Some(bare), ..context() }),
            Err(MissingReason)
        );
    }

    #[test]
    fn potential_escalation_and_repeat() {
        let two = dash(&dash_with(0, 0), &DashContext { incidents_last_12_months: 2, ..context() }).unwrap();
        assert!(!two.refer);
        let three = dash(&dash_with(0, 0), &DashContext { incidents_last_12_months: 3, ..context() }).unwrap();
        assert_eq!(three.reasons, vec![DashReason::PotentialEscalation]);
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let repeat = |new: &str| {
            dash(
                &dash_with(0, 0),
                &DashContext {
                    last_marac_referral: Some(d("2025-01-15")),
                    new_incident_date: Some(d(new)),
                    ..context()
                },
            )
            .unwrap()
            .refer
        };
        assert!(repeat("2026-01-15"), "exactly 12 months later is within");
        assert!(!repeat("2026-01-16"));
        assert!(repeat("2025-01-15"));
    }

    #[test]
    fn dont_know_is_not_yes() {
        assert_eq!(dash(&dash_with(0, 24), &context()).unwrap().yes_count, 0);
    }
}
