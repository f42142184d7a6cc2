//! The DV lethality assessment engine: pure, deterministic, explainable. No I/O, no model, no LLM.
//!
//! From a survivor's profile and incident metadata (never narratives), evaluated as of a date:
//!
//! - incident statistics (total, last 30 / 90 days, days since last, average days between);
//! - the source document's 12 patterns, each detected by a stated rule and returned with its evidence
//!   ([`patterns`]);
//! - the six lethality indicators;
//! - component scores 0–100 for lethality, frequency, escalation and isolation from versioned tables
//!   ([`tables`]), the overall score 0.40·L + 0.25·F + 0.25·E + 0.10·I, and its level
//!   (critical 76–100, high 51–75, moderate 26–50, low 0–25, on the overall rounded half away from zero);
//! - a confidence score for how much the engine had to go on.
//!
//! The published screens (LAP, DASH/MARAC) are in [`screens`]; they are shown beside the score, never folded
//! into it.

pub mod guidance;
pub mod patterns;
pub mod screens;
pub mod tables;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

pub use patterns::{DetectedPattern, Pattern};

/// Parses a name as the API spells it (`undocumented`, `firearm`, …) into one of this module's enums.
pub fn parse_name<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    use serde::de::IntoDeserializer;
    let deserializer: serde::de::value::StrDeserializer<'_, serde::de::value::Error> = name.into_deserializer();
    T::deserialize(deserializer).ok()
}

/// A kind of abuse in an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IncidentType {
    Physical,
    Verbal,
    Sexual,
    Financial,
    Stalking,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeaponType {
    Firearm,
    Knife,
    Other,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Immigration {
    Citizen,
    Resident,
    Undocumented,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SupportNetwork {
    None,
    Limited,
    Strong,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RestrainingOrder {
    None,
    Active,
    Expired,
}

/// What the service knows about a survivor: metadata only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub employed: bool,
    pub immigration_status: Immigration,
    pub has_children: bool,
    pub support_network: SupportNetwork,
    pub pregnant: bool,
    pub recent_separation: bool,
    pub perpetrator_has_weapons: bool,
    pub restraining_order: RestrainingOrder,
}

/// One incident's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Incident {
    /// The incident's number within the survivor's record (1, 2, …: date order for synthetic survivors, order of
    /// entry for survivors created through the API); patterns cite it as evidence.
    pub id: i64,
    pub date: NaiveDate,
    pub types: BTreeSet<IncidentType>,
    /// 1–5.
    pub severity: u8,
    pub strangulation: bool,
    pub weapon_used: bool,
    pub weapon_type: WeaponType,
    pub threats_to_kill: bool,
    pub police_involved: bool,
    pub medical_attention: bool,
    pub perpetrator_relationship: String,
    pub substance_use: bool,
    pub extreme_jealousy: bool,
    pub controlling_behavior: bool,
}

impl Incident {
    pub fn has(&self, t: IncidentType) -> bool {
        self.types.contains(&t)
    }

    /// A weapon was used or shown.
    pub fn weapon(&self) -> bool {
        self.weapon_used || self.weapon_type != WeaponType::None
    }
}

/// Counts and intervals of the incidents up to the assessment date.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Statistics {
    pub total_incidents: usize,
    pub incidents_last_30_days: usize,
    pub incidents_last_90_days: usize,
    pub days_since_last_incident: Option<i64>,
    pub average_days_between_incidents: Option<f64>,
}

/// The six lethality indicators of the source document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LethalityIndicators {
    /// The perpetrator has or can get weapons.
    pub has_weapons: bool,
    /// A weapon was used or shown in an incident.
    pub threatened_with_weapon: bool,
    pub strangulation_attempted: bool,
    pub threats_to_kill: bool,
    pub extremely_jealous: bool,
    pub recent_separation: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    Moderate,
    High,
    Critical,
}

impl Level {
    /// Every level, most urgent first.
    pub const ALL: [Level; 4] = [Level::Critical, Level::High, Level::Moderate, Level::Low];

    /// The level of an overall score, on the score rounded half away from zero (as shown).
    pub fn of(overall: f64) -> Level {
        match overall.round() as i64 {
            i64::MIN..=25 => Level::Low,
            26..=50 => Level::Moderate,
            51..=75 => Level::High,
            _ => Level::Critical,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Moderate => "moderate",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

/// Component scores 0–100 and the weighted overall.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scores {
    pub lethality: u32,
    pub frequency: u32,
    pub escalation: u32,
    pub isolation: u32,
    /// 0.40·L + 0.25·F + 0.25·E + 0.10·I, unrounded.
    pub overall: f64,
}

/// The result of one assessment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Assessment {
    pub as_of: NaiveDate,
    pub statistics: Statistics,
    pub patterns: Vec<DetectedPattern>,
    pub indicators: LethalityIndicators,
    pub scores: Scores,
    pub level: Level,
    /// 0–100: how much the engine had to go on (see [`confidence`]).
    pub confidence: u32,
    /// Version of the scoring tables used.
    pub tables_version: &'static str,
}

/// Assesses a survivor as of `as_of`: incidents after that date are ignored.
pub fn assess(profile: &Profile, incidents: &[Incident], as_of: NaiveDate) -> Assessment {
    let mut known: Vec<&Incident> = incidents.iter().filter(|i| i.date <= as_of).collect();
    known.sort_by_key(|i| (i.date, i.id));
    let statistics = statistics(&known, as_of);
    let patterns = patterns::detect(profile, &known, as_of);
    let indicators = LethalityIndicators {
        has_weapons: profile.perpetrator_has_weapons,
        threatened_with_weapon: known.iter().any(|i| i.weapon()),
        strangulation_attempted: known.iter().any(|i| i.strangulation),
        threats_to_kill: known.iter().any(|i| i.threats_to_kill),
        extremely_jealous: known.iter().any(|i| i.extreme_jealousy),
        recent_separation: profile.recent_separation,
    };
    let detected: BTreeSet<Pattern> = patterns.iter().map(|p| p.pattern).collect();
    let scores = tables::score(&indicators, &statistics, &detected, profile);
    Assessment {
        as_of,
        level: Level::of(scores.overall),
        confidence: confidence(profile, &known, as_of),
        statistics,
        patterns,
        indicators,
        scores,
        tables_version: tables::VERSION,
    }
}

fn days_between(a: NaiveDate, b: NaiveDate) -> i64 {
    (b - a).num_days()
}

fn statistics(known: &[&Incident], as_of: NaiveDate) -> Statistics {
    let within = |days: i64| known.iter().filter(|i| days_between(i.date, as_of) < days).count();
    let average = (known.len() >= 2).then(|| {
        let span = days_between(known[0].date, known[known.len() - 1].date) as f64;
        (span / (known.len() - 1) as f64 * 10.0).round() / 10.0
    });
    Statistics {
        total_incidents: known.len(),
        incidents_last_30_days: within(30),
        incidents_last_90_days: within(90),
        days_since_last_incident: known.last().map(|i| days_between(i.date, as_of)),
        average_days_between_incidents: average,
    }
}

/// Confidence 0–100, from data completeness:
/// up to 50 for the incident history (10 per incident, five or more give 50),
/// 20 when the last incident is within a year of the assessment date (the picture is current),
/// 20 when the history spans at least 30 days (a trend can be seen at all),
/// 10 when the survivor's immigration status is known.
pub fn confidence(profile: &Profile, known: &[&Incident], as_of: NaiveDate) -> u32 {
    let history = (known.len().min(5) * 10) as u32;
    let current = match known.last() {
        Some(last) if days_between(last.date, as_of) <= 365 => 20,
        _ => 0,
    };
    let span = match (known.first(), known.last()) {
        (Some(first), Some(last)) if days_between(first.date, last.date) >= 30 => 20,
        _ => 0,
    };
    let status = if profile.immigration_status == Immigration::Unknown { 0 } else { 10 };
    history + current + span + status
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub fn date(s: &str) -> NaiveDate {
        s.parse().expect("test date")
    }

    pub fn profile() -> Profile {
        Profile {
            employed: true,
            immigration_status: Immigration::Citizen,
            has_children: false,
            support_network: SupportNetwork::Strong,
            pregnant: false,
            recent_separation: false,
            perpetrator_has_weapons: false,
            restraining_order: RestrainingOrder::None,
        }
    }

    pub fn incident(id: i64, day: &str, types: &[IncidentType], severity: u8) -> Incident {
        Incident {
            id,
            date: date(day),
            types: types.iter().copied().collect(),
            severity,
            strangulation: false,
            weapon_used: false,
            weapon_type: WeaponType::None,
            threats_to_kill: false,
            police_involved: false,
            medical_attention: false,
            perpetrator_relationship: "current_partner".into(),
            substance_use: false,
            extreme_jealousy: false,
            controlling_behavior: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::IncidentType::*;
    use super::fixtures::*;
    use super::*;

    /// The source document's example 1, built so that exactly its stated factors are present.
    pub fn example_1() -> (Profile, Vec<Incident>, NaiveDate) {
        let profile = Profile {
            employed: false,
            immigration_status: Immigration::Undocumented,
            has_children: true,
            perpetrator_has_weapons: true,
            ..profile()
        };
        let mut incidents = vec![
            incident(1, "2025-11-03", &[Verbal], 1),
            incident(2, "2025-11-09", &[Verbal], 2),
            incident(3, "2025-11-15", &[Physical, Verbal], 3),
            incident(4, "2025-11-21", &[Physical, Stalking], 4),
            incident(5, "2025-11-27", &[Physical], 5),
        ];
        incidents[4].strangulation = true;
        incidents[3].threats_to_kill = true;
        (profile, incidents, date("2025-11-30"))
    }

    /// The source document's example 2.
    pub fn example_2() -> (Profile, Vec<Incident>, NaiveDate) {
        let profile = Profile { support_network: SupportNetwork::Limited, ..profile() };
        let mut incidents = vec![incident(1, "2025-09-20", &[Verbal], 1), incident(2, "2025-11-10", &[Verbal], 2)];
        incidents[1].controlling_behavior = true;
        (profile, incidents, date("2025-11-30"))
    }

    #[test]
    fn seed_example_1_is_77_critical() {
        let (profile, incidents, as_of) = example_1();
        let a = assess(&profile, &incidents, as_of);
        assert_eq!(
            (a.scores.lethality, a.scores.frequency, a.scores.escalation, a.scores.isolation),
            (75, 100, 70, 45)
        );
        assert_eq!(a.scores.overall, 77.0);
        assert_eq!(a.level, Level::Critical);
    }

    #[test]
    fn seed_example_2_is_12_25_low() {
        let (profile, incidents, as_of) = example_2();
        let a = assess(&profile, &incidents, as_of);
        assert_eq!((a.scores.lethality, a.scores.frequency, a.scores.escalation, a.scores.isolation), (0, 25, 20, 10));
        assert_eq!(a.scores.overall, 12.25);
        assert_eq!(a.level, Level::Low);
    }

    #[test]
    fn level_boundaries() {
        for (score, level) in [
            (0.0, Level::Low),
            (25.0, Level::Low),
            (25.49, Level::Low),
            (25.5, Level::Moderate),
            (26.0, Level::Moderate),
            (50.0, Level::Moderate),
            (51.0, Level::High),
            (75.0, Level::High),
            (76.0, Level::Critical),
            (100.0, Level::Critical),
        ] {
            assert_eq!(Level::of(score), level, "{score}");
        }
    }

    #[test]
    fn statistics_and_as_of() {
        let incidents = vec![
            incident(1, "2025-01-01", &[Verbal], 1),
            incident(2, "2025-10-01", &[Verbal], 1),
            incident(3, "2025-11-20", &[Verbal], 1),
            incident(4, "2026-01-05", &[Verbal], 1),
        ];
        let a = assess(&profile(), &incidents, date("2025-11-30"));
        assert_eq!(a.statistics.total_incidents, 3, "incidents after asOf are ignored");
        assert_eq!(a.statistics.incidents_last_30_days, 1);
        assert_eq!(a.statistics.incidents_last_90_days, 2);
        assert_eq!(a.statistics.days_since_last_incident, Some(10));
        assert_eq!(a.statistics.average_days_between_incidents, Some(161.5));
    }

    #[test]
    fn confidence_reflects_completeness() {
        let none = assess(&Profile { immigration_status: Immigration::Unknown, ..profile() }, &[], date("2025-11-30"));
        assert_eq!(none.confidence, 0);
        let (profile, incidents, as_of) = example_1();
        // Five incidents (50), the last within a year (20), a span under 30 days (0), status known (10).
        assert_eq!(assess(&profile, &incidents, as_of).confidence, 80);
    }

    #[test]
    fn names_parse_as_the_api_spells_them() {
        assert_eq!(parse_name::<Immigration>("undocumented"), Some(Immigration::Undocumented));
        assert_eq!(parse_name::<WeaponType>("firearm"), Some(WeaponType::Firearm));
        assert_eq!(parse_name::<SupportNetwork>("nope"), None);
    }

    #[test]
    fn assessment_is_deterministic() {
        let (profile, incidents, as_of) = example_1();
        assert_eq!(assess(&profile, &incidents, as_of), assess(&profile, &incidents, as_of));
    }
}
