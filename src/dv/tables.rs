//! The scoring tables: versioned data, each entry with its rationale. Changing a weight means a new version.
//!
//! The tables reproduce the source document's worked examples exactly (example 1: L 75, F 100, E 70, I 45 →
//! 77, critical; example 2: L 0, F 25, E 20, I 10 → 12.25, low). Weights follow its stated priorities
//! (strangulation 30, weapon threat 25, threats to kill 20) and the lethality research cited beside each weight.

use super::patterns::Pattern;
use super::{Immigration, LethalityIndicators, Profile, Scores, Statistics, SupportNetwork};
use std::collections::BTreeSet;

/// Version of these tables, reported with every assessment.
pub const VERSION: &str = "dv-scoring-2026.11-1";

/// One row of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weight<K> {
    pub key: K,
    pub points: u32,
    pub rationale: &'static str,
}

/// What raises the lethality score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LethalityFactor {
    Strangulation,
    Weapon,
    ThreatsToKill,
    RecentSeparation,
    ExtremeJealousy,
}

pub const LETHALITY: [Weight<LethalityFactor>; 5] = [
    Weight {
        key: LethalityFactor::Strangulation,
        points: 30,
        rationale: "prior non-fatal strangulation: about 7 times the odds of later homicide (Glass et al. 2008)",
    },
    Weight {
        key: LethalityFactor::Weapon,
        points: 25,
        rationale: "access to a gun, or a weapon used or shown: more than 5 times the risk (Campbell et al. 2003); counted once",
    },
    Weight {
        key: LethalityFactor::ThreatsToKill,
        points: 20,
        rationale: "threats to kill are among the strongest risk factors (Campbell et al. 2003)",
    },
    Weight {
        key: LethalityFactor::RecentSeparation,
        points: 10,
        rationale: "separation, especially from a controlling partner, is the highest-risk period",
    },
    Weight {
        key: LethalityFactor::ExtremeJealousy,
        points: 10,
        rationale: "violent or constant jealousy is a Danger Assessment and LAP item",
    },
];

/// Frequency: the highest score whose condition holds.
/// (minimum incidents, within the last N days, points, rationale)
pub const FREQUENCY: [(usize, i64, u32, &str); 7] = [
    (5, 30, 100, "five or more incidents in 30 days: near-continuous abuse"),
    (3, 30, 75, "three or four incidents in 30 days"),
    (6, 90, 75, "six or more incidents in 90 days"),
    (2, 30, 50, "two incidents in 30 days"),
    (4, 90, 50, "four or five incidents in 90 days"),
    (2, 90, 25, "two or three incidents in 90 days"),
    (1, 90, 10, "one incident in 90 days"),
];

/// Escalation: points per detected pattern that signals escalating dynamics. Patterns already scored as
/// lethality (strangulation, threats to kill) or frequency (increasing frequency) are not counted again.
pub const ESCALATION: [Weight<Pattern>; 8] = [
    Weight { key: Pattern::EscalatingSeverity, points: 40, rationale: "violence is getting worse over time" },
    Weight {
        key: Pattern::ControllingBehavior,
        points: 20,
        rationale: "coercive control precedes and predicts escalation",
    },
    Weight { key: Pattern::WeaponsInvolved, points: 15, rationale: "weapons raise the stakes of each incident" },
    Weight {
        key: Pattern::StalkingBehavior,
        points: 15,
        rationale: "stalking, especially after separation, precedes severe attacks",
    },
    Weight {
        key: Pattern::SeparationViolence,
        points: 15,
        rationale: "violence around separation marks the highest-risk period",
    },
    Weight {
        key: Pattern::ViolenceWhilePregnant,
        points: 15,
        rationale: "abuse during pregnancy is a Danger Assessment item",
    },
    Weight {
        key: Pattern::SexualViolence,
        points: 10,
        rationale: "sexual violence is a Danger Assessment and DASH item",
    },
    Weight {
        key: Pattern::MultipleIncidentTypes,
        points: 10,
        rationale: "abuse across several domains (physical, financial, stalking)",
    },
];

/// Isolation: points for barriers to help.
pub fn isolation_points(profile: &Profile) -> Vec<(u32, &'static str)> {
    let mut points = Vec::new();
    match profile.immigration_status {
        Immigration::Undocumented => points.push((25, "undocumented: fear of contact with authorities")),
        Immigration::Unknown => points.push((10, "immigration status unknown")),
        Immigration::Resident => points.push((5, "resident: status may depend on the partner")),
        Immigration::Citizen => {}
    }
    if !profile.employed {
        points.push((10, "not employed: financial dependence"));
    }
    if profile.has_children {
        points.push((10, "children: leaving is harder and children may be at risk"));
    }
    match profile.support_network {
        SupportNetwork::None => points.push((20, "no support network")),
        SupportNetwork::Limited => points.push((10, "limited support network")),
        SupportNetwork::Strong => {}
    }
    points
}

fn lethality(indicators: &LethalityIndicators) -> u32 {
    LETHALITY
        .iter()
        .filter(|w| match w.key {
            LethalityFactor::Strangulation => indicators.strangulation_attempted,
            LethalityFactor::Weapon => indicators.has_weapons || indicators.threatened_with_weapon,
            LethalityFactor::ThreatsToKill => indicators.threats_to_kill,
            LethalityFactor::RecentSeparation => indicators.recent_separation,
            LethalityFactor::ExtremeJealousy => indicators.extremely_jealous,
        })
        .map(|w| w.points)
        .sum::<u32>()
        .min(100)
}

fn frequency(statistics: &Statistics) -> u32 {
    FREQUENCY
        .iter()
        .filter(|(n, days, _, _)| {
            let count = if *days == 30 { statistics.incidents_last_30_days } else { statistics.incidents_last_90_days };
            count >= *n
        })
        .map(|(_, _, points, _)| *points)
        .max()
        .unwrap_or(0)
}

/// The four component scores and the overall.
pub fn score(
    indicators: &LethalityIndicators,
    statistics: &Statistics,
    patterns: &BTreeSet<Pattern>,
    profile: &Profile,
) -> Scores {
    let lethality = lethality(indicators);
    let frequency = frequency(statistics);
    let escalation = ESCALATION.iter().filter(|w| patterns.contains(&w.key)).map(|w| w.points).sum::<u32>().min(100);
    let isolation = isolation_points(profile).iter().map(|(p, _)| p).sum::<u32>().min(100);
    let overall = 0.40 * f64::from(lethality)
        + 0.25 * f64::from(frequency)
        + 0.25 * f64::from(escalation)
        + 0.10 * f64::from(isolation);
    Scores { lethality, frequency, escalation, isolation, overall: (overall * 100.0).round() / 100.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(last30: usize, last90: usize) -> Statistics {
        Statistics {
            total_incidents: last90,
            incidents_last_30_days: last30,
            incidents_last_90_days: last90,
            days_since_last_incident: None,
            average_days_between_incidents: None,
        }
    }

    #[test]
    fn frequency_table_boundaries() {
        for ((last30, last90), expected) in [
            ((0, 0), 0),
            ((0, 1), 10),
            ((1, 1), 10),
            ((0, 2), 25),
            ((1, 3), 25),
            ((0, 4), 50),
            ((2, 2), 50),
            ((0, 5), 50),
            ((0, 6), 75),
            ((3, 3), 75),
            ((4, 4), 75),
            ((5, 5), 100),
        ] {
            assert_eq!(frequency(&stats(last30, last90)), expected, "{last30} in 30 days, {last90} in 90 days");
        }
    }

    fn indicators() -> LethalityIndicators {
        LethalityIndicators {
            has_weapons: false,
            threatened_with_weapon: false,
            strangulation_attempted: false,
            threats_to_kill: false,
            extremely_jealous: false,
            recent_separation: false,
        }
    }

    #[test]
    fn lethality_table_counts_a_weapon_once_and_caps_at_100() {
        assert_eq!(lethality(&indicators()), 0);
        assert_eq!(lethality(&LethalityIndicators { strangulation_attempted: true, ..indicators() }), 30);
        assert_eq!(
            lethality(&LethalityIndicators { has_weapons: true, threatened_with_weapon: true, ..indicators() }),
            25
        );
        assert_eq!(lethality(&LethalityIndicators { threats_to_kill: true, ..indicators() }), 20);
        assert_eq!(lethality(&LethalityIndicators { recent_separation: true, ..indicators() }), 10);
        assert_eq!(lethality(&LethalityIndicators { extremely_jealous: true, ..indicators() }), 10);
        let all = LethalityIndicators {
            has_weapons: true,
            threatened_with_weapon: true,
            strangulation_attempted: true,
            threats_to_kill: true,
            extremely_jealous: true,
            recent_separation: true,
        };
        assert_eq!(lethality(&all), 95);
    }

    #[test]
    fn escalation_and_isolation_cap_at_100() {
        let every: BTreeSet<Pattern> = ESCALATION.iter().map(|w| w.key).collect();
        let profile = Profile {
            employed: false,
            immigration_status: Immigration::Undocumented,
            has_children: true,
            support_network: SupportNetwork::None,
            pregnant: true,
            recent_separation: true,
            perpetrator_has_weapons: true,
            restraining_order: super::super::RestrainingOrder::Active,
        };
        let s = score(&indicators(), &stats(0, 0), &every, &profile);
        assert_eq!(s.escalation, 100);
        assert_eq!(s.isolation, 65);
    }

    #[test]
    fn every_weight_has_a_rationale() {
        assert!(LETHALITY.iter().all(|w| !w.rationale.is_empty()));
        assert!(ESCALATION.iter().all(|w| !w.rationale.is_empty()));
        assert!(FREQUENCY.iter().all(|f| !f.3.is_empty()));
    }
}
