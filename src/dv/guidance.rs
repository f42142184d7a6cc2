//! Summary, safety recommendations and crisis resources: versioned, reviewed templates chosen by the detected
//! patterns and the level, per locale.
//!
//! Trauma-informed by construction: sentences describe the perpetrator's behaviour and the options open to the
//! survivor, never the survivor's choices; research figures are worded as odds and risks ("about 7 times the odds" after Glass et al. 2008, "more than 5 times the risk" after Campbell et al. 2003), never as inflated percentages. A test
//! checks every template against a list of victim-blaming phrasings. Nothing here is generated freely.

use super::{Assessment, Level, Pattern};
use serde::Serialize;

/// Version of these templates, reported with every assessment.
pub const VERSION: &str = "dv-guidance-2026.11-1";

/// Locales with a resource list. US is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Locale {
    #[default]
    #[serde(rename = "en-US")]
    EnUs,
}

/// A crisis resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    pub name: &'static str,
    pub contact: &'static str,
    pub hours: &'static str,
    pub description: &'static str,
}

const US_RESOURCES: [Resource; 3] = [
    Resource {
        name: "National Domestic Violence Hotline",
        contact: "1-800-799-7233",
        hours: "24/7",
        description: "free, confidential support, safety planning and referrals to local shelters",
    },
    Resource {
        name: "RAINN National Sexual Assault Hotline",
        contact: "1-800-656-4673",
        hours: "24/7",
        description: "confidential support after sexual violence, and help finding a medical exam",
    },
    Resource { name: "Emergency services", contact: "911", hours: "24/7", description: "immediate danger" },
];

pub fn resources(locale: Locale) -> &'static [Resource] {
    match locale {
        Locale::EnUs => &US_RESOURCES,
    }
}

/// What the advocate and the survivor read beside the scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Guidance {
    pub summary: String,
    pub recommendations: Vec<&'static str>,
    pub crisis_resources: Vec<Resource>,
    pub locale: Locale,
    pub version: &'static str,
}

/// How a pattern is named in a summary, in priority order (most dangerous first).
const FACTORS: [(Pattern, &str); 9] = [
    (Pattern::StrangulationChoking, "strangulation, which is linked to about 7 times the odds of later homicide"),
    (Pattern::WeaponsInvolved, "access to weapons, linked to more than 5 times the risk"),
    (Pattern::ThreatsToKill, "threats to kill"),
    (Pattern::SeparationViolence, "violence around a separation, the period of highest risk"),
    (Pattern::EscalatingSeverity, "violence that is getting more severe"),
    (Pattern::IncreasingFrequency, "incidents that are becoming more frequent"),
    (Pattern::StalkingBehavior, "stalking"),
    (Pattern::SexualViolence, "sexual violence"),
    (Pattern::ControllingBehavior, "controlling and jealous behaviour"),
];

/// Recommendations by pattern, in priority order.
const BY_PATTERN: [(Pattern, &str); 9] = [
    (
        Pattern::StrangulationChoking,
        "Get a medical check even without visible injury: strangulation can cause delayed harm, and an exam can document it.",
    ),
    (
        Pattern::WeaponsInvolved,
        "Ask an advocate about a protective order that removes or restricts the perpetrator's access to firearms.",
    ),
    (
        Pattern::SeparationViolence,
        "Plan the safest time, route and people to call before any move, since risk from the perpetrator peaks around separation.",
    ),
    (
        Pattern::ThreatsToKill,
        "Take the perpetrator's threats seriously: share them with an advocate and, if safe, with the police so they are on record.",
    ),
    (
        Pattern::StalkingBehavior,
        "Keep a dated log of the perpetrator's messages, visits and sightings, and check phone and car for trackers with an advocate.",
    ),
    (
        Pattern::SexualViolence,
        "Confidential support and a medical exam after sexual violence are available through RAINN, at any time.",
    ),
    (
        Pattern::ViolenceWhilePregnant,
        "Share the safety plan with a trusted prenatal care provider: pregnancy is a time of increased danger from an abusive partner.",
    ),
    (
        Pattern::ControllingBehavior,
        "Set up a separate, safe way to reach money and documents (ID, bank card, children's papers) that the perpetrator cannot control.",
    ),
    (
        Pattern::SubstanceAbusePresent,
        "Plan for times when the perpetrator is intoxicated, when their behaviour may be harder to predict.",
    ),
];

const URGENT: &str =
    "Connect with an advocate today to make an emergency safety plan; shelter can be arranged if wanted.";
const BASE: [&str; 3] = [
    "Keep a charged phone and the hotline number within reach, with emergency contacts saved under safe names.",
    "Pack a go-bag with ID, medicines, keys and some money, and keep it somewhere the perpetrator will not find it.",
    "Choose safe places to go at any hour, and a code word that tells a trusted person to call for help.",
];

fn factors(assessment: &Assessment) -> Vec<&'static str> {
    FACTORS
        .iter()
        .filter(|(p, _)| assessment.patterns.iter().any(|d| d.pattern == *p))
        .map(|(_, words)| *words)
        .take(3)
        .collect()
}

/// Joins phrases into a list; phrases with commas of their own are separated by semicolons.
fn join(parts: &[&str]) -> String {
    let separator = if parts.iter().any(|p| p.contains(',')) { "; " } else { ", " };
    match parts {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [a, b] if separator == ", " => format!("{a} and {b}"),
        [init @ .., last] => format!("{}{separator}and {last}", init.join(separator)),
    }
}

fn summary(assessment: &Assessment) -> String {
    let factors = factors(assessment);
    let seen = if factors.is_empty() {
        "The recorded incidents do not show the strongest danger signs.".to_owned()
    } else {
        format!("The perpetrator's recorded behaviour includes {}.", join(&factors))
    };
    let next = match assessment.level {
        Level::Critical => {
            "This points to a high risk of serious harm, and an advocate should review it today. Emergency options and a safety plan are below."
        }
        Level::High => {
            "Research links this to escalating danger; an advocate should reach out soon to plan for safety together."
        }
        Level::Moderate => "Staying in regular contact and updating the safety plan as things change is recommended.",
        Level::Low => "Support and the resources below remain available at any time, whatever happens next.",
    };
    format!("{seen} {next}")
}

/// The guidance for an assessment: a 2–3 sentence summary, 3–5 recommendations, and the locale's resources.
pub fn guidance(assessment: &Assessment, locale: Locale) -> Guidance {
    let mut recommendations: Vec<&'static str> = Vec::new();
    if assessment.level == Level::Critical {
        recommendations.push(URGENT);
    }
    for (pattern, text) in BY_PATTERN {
        if recommendations.len() >= 4 {
            break;
        }
        if assessment.patterns.iter().any(|d| d.pattern == pattern) {
            recommendations.push(text);
        }
    }
    for text in BASE {
        if recommendations.len() >= 5 {
            break;
        }
        recommendations.push(text);
    }
    recommendations.truncate(5);
    Guidance {
        summary: summary(assessment),
        recommendations,
        crisis_resources: resources(locale).to_vec(),
        locale,
        version: VERSION,
    }
}

/// Every sentence the templates can produce, for review and for the phrasing test.
pub fn all_templates() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = FACTORS.iter().map(|(_, t)| *t).collect();
    all.extend(BY_PATTERN.iter().map(|(_, t)| *t));
    all.push(URGENT);
    all.extend(BASE);
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dv::fixtures::{date, incident, profile};
    use crate::dv::{IncidentType, assess};

    /// Phrasings that put the survivor's choices, not the perpetrator's behaviour, at the centre.
    const VICTIM_BLAMING: [&str; 16] = [
        "provoke",
        "your fault",
        "why didn't you",
        "why did you",
        "you should have",
        "if you had",
        "you let",
        "you stayed",
        "chose to stay",
        "stop making",
        "you made",
        "deserve",
        "overreact",
        "exaggerat",
        "just leave",
        "asking for it",
    ];

    fn level_assessments() -> Vec<Assessment> {
        let mut out = Vec::new();
        let mut incidents = vec![
            incident(1, "2025-12-05", &[IncidentType::Physical, IncidentType::Stalking, IncidentType::Sexual], 5),
            incident(2, "2025-12-10", &[IncidentType::Physical], 5),
            incident(3, "2025-12-20", &[IncidentType::Financial], 4),
        ];
        for i in &mut incidents {
            i.strangulation = true;
            i.threats_to_kill = true;
            i.controlling_behavior = true;
            i.substance_use = true;
        }
        let severe =
            crate::dv::Profile { perpetrator_has_weapons: true, recent_separation: true, pregnant: true, ..profile() };
        out.push(assess(&severe, &incidents, date("2025-12-31")));
        out.push(assess(&profile(), &incidents[..1], date("2025-12-31")));
        out.push(assess(&profile(), &[], date("2025-12-31")));
        out
    }

    #[test]
    fn no_template_blames_the_survivor() {
        let mut texts: Vec<String> = all_templates().into_iter().map(str::to_owned).collect();
        for a in level_assessments() {
            let g = guidance(&a, Locale::EnUs);
            texts.push(g.summary);
        }
        for level in [Level::Low, Level::Moderate, Level::High, Level::Critical] {
            let mut a = level_assessments().remove(2);
            a.level = level;
            texts.push(summary(&a));
        }
        for text in texts {
            let lower = text.to_lowercase();
            for phrase in VICTIM_BLAMING {
                assert!(!lower.contains(phrase), "{phrase:?} in {text:?}");
            }
            assert!(!lower.contains("750"), "research figures must be worded as odds: {text}");
        }
    }

    #[test]
    fn three_to_five_recommendations_and_a_short_summary() {
        for a in level_assessments() {
            let g = guidance(&a, Locale::EnUs);
            assert!((3..=5).contains(&g.recommendations.len()), "{:?}", g.recommendations);
            let sentences = g.summary.matches(". ").count() + 1;
            assert!((2..=3).contains(&sentences), "{}", g.summary);
            assert!(g.crisis_resources.iter().any(|r| r.contact == "1-800-799-7233"));
        }
    }

    #[test]
    fn critical_cases_lead_with_urgent_planning_and_name_the_factors() {
        let critical = level_assessments().remove(0);
        assert_eq!(critical.level, Level::Critical);
        let g = guidance(&critical, Locale::EnUs);
        assert_eq!(g.recommendations[0], URGENT);
        assert!(g.summary.contains("strangulation") && g.summary.contains("about 7 times the odds"));
        assert!(g.recommendations.iter().any(|r| r.contains("medical check")));
    }
}
