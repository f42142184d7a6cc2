//! The source document's 12 dangerous patterns, each detected by a stated rule over incident metadata and
//! returned with its evidence (the incidents that made it fire).

use super::{Incident, IncidentType, Profile};
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    IncreasingFrequency,
    EscalatingSeverity,
    WeaponsInvolved,
    StrangulationChoking,
    ThreatsToKill,
    StalkingBehavior,
    ControllingBehavior,
    SexualViolence,
    ViolenceWhilePregnant,
    SubstanceAbusePresent,
    SeparationViolence,
    MultipleIncidentTypes,
}

impl Pattern {
    pub const ALL: [Pattern; 12] = [
        Pattern::IncreasingFrequency,
        Pattern::EscalatingSeverity,
        Pattern::WeaponsInvolved,
        Pattern::StrangulationChoking,
        Pattern::ThreatsToKill,
        Pattern::StalkingBehavior,
        Pattern::ControllingBehavior,
        Pattern::SexualViolence,
        Pattern::ViolenceWhilePregnant,
        Pattern::SubstanceAbusePresent,
        Pattern::SeparationViolence,
        Pattern::MultipleIncidentTypes,
    ];

    /// The pattern's name in the API (`escalating_severity`, …).
    pub fn name(self) -> &'static str {
        match self {
            Pattern::IncreasingFrequency => "increasing_frequency",
            Pattern::EscalatingSeverity => "escalating_severity",
            Pattern::WeaponsInvolved => "weapons_involved",
            Pattern::StrangulationChoking => "strangulation_choking",
            Pattern::ThreatsToKill => "threats_to_kill",
            Pattern::StalkingBehavior => "stalking_behavior",
            Pattern::ControllingBehavior => "controlling_behavior",
            Pattern::SexualViolence => "sexual_violence",
            Pattern::ViolenceWhilePregnant => "violence_while_pregnant",
            Pattern::SubstanceAbusePresent => "substance_abuse_present",
            Pattern::SeparationViolence => "separation_violence",
            Pattern::MultipleIncidentTypes => "multiple_incident_types",
        }
    }

    /// The rule, as stated to the people who read the assessment.
    pub fn rule(self) -> &'static str {
        match self {
            Pattern::IncreasingFrequency => {
                "at least 3 incidents in the last 90 days, and more than in the 90 days before"
            }
            Pattern::EscalatingSeverity => {
                "at least 3 incidents, and the mean severity of the later half exceeds the earlier half's by 1 or more"
            }
            Pattern::WeaponsInvolved => "a weapon used or shown in an incident, or the perpetrator has weapons",
            Pattern::StrangulationChoking => "strangulation or choking in any incident",
            Pattern::ThreatsToKill => "threats to kill in any incident",
            Pattern::StalkingBehavior => "stalking in any incident",
            Pattern::ControllingBehavior => "extreme jealousy or controlling behaviour in any incident",
            Pattern::SexualViolence => "sexual abuse in any incident",
            Pattern::ViolenceWhilePregnant => {
                "the survivor is pregnant and a physical or sexual incident happened in the last 280 days"
            }
            Pattern::SubstanceAbusePresent => "perpetrator substance use in any incident",
            Pattern::SeparationViolence => {
                "recent separation, and a physical, sexual, stalking or threat-to-kill incident in the last 180 days"
            }
            Pattern::MultipleIncidentTypes => {
                "at least 3 of physical, sexual, financial and stalking abuse across the incidents"
            }
        }
    }
}

/// A pattern that fired, the rule that fired it, and the incidents that are its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DetectedPattern {
    pub pattern: Pattern,
    pub rule: &'static str,
    /// Incident IDs; empty when the evidence is the survivor's profile (e.g. weapon access).
    pub evidence: Vec<i64>,
}

fn ids<'a>(incidents: impl IntoIterator<Item = &'a &'a Incident>) -> Vec<i64> {
    incidents.into_iter().map(|i| i.id).collect()
}

fn days_before(i: &Incident, as_of: NaiveDate) -> i64 {
    (as_of - i.date).num_days()
}

/// Evidence for one pattern, or `None` if it does not fire. `known` is sorted by date, all on or before `as_of`.
fn evidence(pattern: Pattern, profile: &Profile, known: &[&Incident], as_of: NaiveDate) -> Option<Vec<i64>> {
    let any = |pred: &dyn Fn(&Incident) -> bool| {
        let hits: Vec<i64> = known.iter().filter(|i| pred(i)).map(|i| i.id).collect();
        (!hits.is_empty()).then_some(hits)
    };
    match pattern {
        Pattern::IncreasingFrequency => {
            let recent: Vec<&&Incident> = known.iter().filter(|i| days_before(i, as_of) < 90).collect();
            let before = known.iter().filter(|i| (90..180).contains(&days_before(i, as_of))).count();
            (recent.len() >= 3 && recent.len() > before).then(|| ids(recent))
        }
        Pattern::EscalatingSeverity => {
            if known.len() < 3 {
                return None;
            }
            let half = known.len() / 2;
            let mean = |s: &[&Incident]| s.iter().map(|i| f64::from(i.severity)).sum::<f64>() / s.len() as f64;
            let (earlier, later) = (&known[..half], &known[known.len() - half..]);
            (mean(later) - mean(earlier) >= 1.0).then(|| ids(known.iter()))
        }
        Pattern::WeaponsInvolved => {
            let hits = ids(known.iter().filter(|i| i.weapon()));
            (!hits.is_empty() || profile.perpetrator_has_weapons).then_some(hits)
        }
        Pattern::StrangulationChoking => any(&|i| i.strangulation),
        Pattern::ThreatsToKill => any(&|i| i.threats_to_kill),
        Pattern::StalkingBehavior => any(&|i| i.has(IncidentType::Stalking)),
        Pattern::ControllingBehavior => any(&|i| i.extreme_jealousy || i.controlling_behavior),
        Pattern::SexualViolence => any(&|i| i.has(IncidentType::Sexual)),
        Pattern::ViolenceWhilePregnant => {
            if !profile.pregnant {
                return None;
            }
            any(&|i| (i.has(IncidentType::Physical) || i.has(IncidentType::Sexual)) && days_before(i, as_of) < 280)
        }
        Pattern::SubstanceAbusePresent => any(&|i| i.substance_use),
        Pattern::SeparationViolence => {
            if !profile.recent_separation {
                return None;
            }
            any(&|i| {
                days_before(i, as_of) < 180
                    && (i.has(IncidentType::Physical)
                        || i.has(IncidentType::Sexual)
                        || i.has(IncidentType::Stalking)
                        || i.threats_to_kill)
            })
        }
        Pattern::MultipleIncidentTypes => {
            let kinds = [IncidentType::Physical, IncidentType::Sexual, IncidentType::Financial, IncidentType::Stalking];
            let present = kinds.iter().filter(|k| known.iter().any(|i| i.has(**k))).count();
            if present < 3 {
                return None;
            }
            Some(ids(known.iter().filter(|i| i.types.iter().any(|t| *t != IncidentType::Verbal))))
        }
    }
}

/// Every pattern that fires, in the order of [`Pattern::ALL`].
pub fn detect(profile: &Profile, known: &[&Incident], as_of: NaiveDate) -> Vec<DetectedPattern> {
    Pattern::ALL
        .into_iter()
        .filter_map(|pattern| {
            evidence(pattern, profile, known, as_of).map(|evidence| DetectedPattern {
                pattern,
                rule: pattern.rule(),
                evidence,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::IncidentType::*;
    use super::super::fixtures::{date, incident, profile};
    use super::super::{Incident, WeaponType};
    use super::*;

    const AS_OF: &str = "2025-12-31";

    fn fires(pattern: Pattern, profile: &Profile, incidents: &[Incident]) -> Option<Vec<i64>> {
        let mut known: Vec<&Incident> = incidents.iter().collect();
        known.sort_by_key(|i| (i.date, i.id));
        evidence(pattern, profile, &known, date(AS_OF))
    }

    fn with(mut i: Incident, f: impl FnOnce(&mut Incident)) -> Incident {
        f(&mut i);
        i
    }

    #[test]
    fn increasing_frequency() {
        let p = profile();
        let recent = [
            incident(1, "2025-11-01", &[Verbal], 1),
            incident(2, "2025-12-01", &[Verbal], 1),
            incident(3, "2025-12-20", &[Verbal], 1),
        ];
        assert_eq!(fires(Pattern::IncreasingFrequency, &p, &recent), Some(vec![1, 2, 3]));
        let mut steady = recent.to_vec();
        steady.extend([
            incident(4, "2025-08-01", &[Verbal], 1),
            incident(5, "2025-08-15", &[Verbal], 1),
            incident(6, "2025-09-01", &[Verbal], 1),
        ]);
        assert_eq!(fires(Pattern::IncreasingFrequency, &p, &steady), None, "3 vs 3: not increasing");
        assert_eq!(fires(Pattern::IncreasingFrequency, &p, &recent[..2]), None, "fewer than 3");
    }

    #[test]
    fn escalating_severity() {
        let p = profile();
        let rising = [
            incident(1, "2025-10-01", &[Verbal], 1),
            incident(2, "2025-11-01", &[Verbal], 2),
            incident(3, "2025-12-01", &[Physical], 3),
        ];
        assert!(fires(Pattern::EscalatingSeverity, &p, &rising).is_some());
        let flat = [
            incident(1, "2025-10-01", &[Verbal], 2),
            incident(2, "2025-11-01", &[Verbal], 2),
            incident(3, "2025-12-01", &[Physical], 2),
        ];
        assert_eq!(fires(Pattern::EscalatingSeverity, &p, &flat), None);
        assert_eq!(fires(Pattern::EscalatingSeverity, &p, &rising[..2]), None, "fewer than 3");
    }

    #[test]
    fn weapons_involved_by_incident_or_access() {
        let p = profile();
        let plain = [incident(1, "2025-12-01", &[Physical], 3)];
        assert_eq!(fires(Pattern::WeaponsInvolved, &p, &plain), None);
        let armed = [with(incident(1, "2025-12-01", &[Physical], 3), |i| i.weapon_type = WeaponType::Knife)];
        assert_eq!(fires(Pattern::WeaponsInvolved, &p, &armed), Some(vec![1]));
        let access = Profile { perpetrator_has_weapons: true, ..profile() };
        assert_eq!(fires(Pattern::WeaponsInvolved, &access, &plain), Some(vec![]));
    }

    #[test]
    fn single_flag_patterns() {
        let p = profile();
        let base = incident(7, "2025-12-01", &[Verbal], 2);
        let cases: [(Pattern, Incident); 6] = [
            (Pattern::StrangulationChoking, with(base.clone(), |i| i.strangulation = true)),
            (Pattern::ThreatsToKill, with(base.clone(), |i| i.threats_to_kill = true)),
            (Pattern::StalkingBehavior, incident(7, "2025-12-01", &[Stalking], 2)),
            (Pattern::ControllingBehavior, with(base.clone(), |i| i.extreme_jealousy = true)),
            (Pattern::SexualViolence, incident(7, "2025-12-01", &[Sexual], 4)),
            (Pattern::SubstanceAbusePresent, with(base.clone(), |i| i.substance_use = true)),
        ];
        for (pattern, positive) in cases {
            assert_eq!(fires(pattern, &p, &[positive]), Some(vec![7]), "{pattern:?}");
            assert_eq!(fires(pattern, &p, std::slice::from_ref(&base)), None, "{pattern:?}");
        }
        let controlling = with(base.clone(), |i| i.controlling_behavior = true);
        assert!(fires(Pattern::ControllingBehavior, &p, &[controlling]).is_some());
    }

    #[test]
    fn violence_while_pregnant() {
        let pregnant = Profile { pregnant: true, ..profile() };
        let recent = [incident(1, "2025-10-01", &[Physical], 3)];
        let old = [incident(1, "2025-01-01", &[Physical], 3)];
        let verbal = [incident(1, "2025-10-01", &[Verbal], 3)];
        assert_eq!(fires(Pattern::ViolenceWhilePregnant, &pregnant, &recent), Some(vec![1]));
        assert_eq!(fires(Pattern::ViolenceWhilePregnant, &pregnant, &old), None);
        assert_eq!(fires(Pattern::ViolenceWhilePregnant, &pregnant, &verbal), None);
        assert_eq!(fires(Pattern::ViolenceWhilePregnant, &profile(), &recent), None);
    }

    #[test]
    fn separation_violence() {
        let separated = Profile { recent_separation: true, ..profile() };
        let stalking = [incident(1, "2025-11-01", &[Stalking], 2)];
        assert_eq!(fires(Pattern::SeparationViolence, &separated, &stalking), Some(vec![1]));
        assert_eq!(fires(Pattern::SeparationViolence, &profile(), &stalking), None);
        let old = [incident(1, "2025-03-01", &[Physical], 2)];
        assert_eq!(fires(Pattern::SeparationViolence, &separated, &old), None);
    }

    #[test]
    fn multiple_incident_types() {
        let p = profile();
        let three = [
            incident(1, "2025-10-01", &[Physical, Verbal], 2),
            incident(2, "2025-11-01", &[Financial], 1),
            incident(3, "2025-12-01", &[Stalking], 2),
            incident(4, "2025-12-02", &[Verbal], 1),
        ];
        assert_eq!(fires(Pattern::MultipleIncidentTypes, &p, &three), Some(vec![1, 2, 3]));
        assert_eq!(fires(Pattern::MultipleIncidentTypes, &p, &three[..2]), None, "verbal does not count");
    }

    #[test]
    fn every_pattern_has_a_rule_and_a_name() {
        for pattern in Pattern::ALL {
            assert!(!pattern.rule().is_empty());
            let json = serde_json::to_value(pattern).unwrap();
            assert_eq!(json, pattern.name());
        }
    }
}
