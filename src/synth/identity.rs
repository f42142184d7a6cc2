//! Synthetic identities (names, emails, phones, addresses) and incident narratives.
//!
//! They come from their own random streams, so adding them leaves every warehouse table unchanged, and they
//! leave the generating worker only sealed in the vault: no table, log or response ever holds them.

use crate::text::capitalise;
use fake::Fake;
use fake::faker::address::en::{BuildingNumber, CityName, StreetName, ZipCode};
use fake::faker::name::en::{FirstName, LastName};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// A person's identifying details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub key: i64,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub address: String,
}

/// A survivor's own words about one incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Narrative {
    pub incident_id: i64,
    pub text: String,
}

/// A survivor's identifying details and narratives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurvivorRecord {
    #[serde(flatten)]
    pub identity: Identity,
    pub narratives: Vec<Narrative>,
}

/// The PII of one chunk, for the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "records", rename_all = "lowercase")]
pub enum Pii {
    People(Vec<Identity>),
    Survivors(Vec<SurvivorRecord>),
}

/// A borrowed slice of one chunk's PII; serialises exactly like [`Pii`], without copying the records.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "kind", content = "records", rename_all = "lowercase")]
pub enum PiiSlice<'a> {
    People(&'a [Identity]),
    Survivors(&'a [SurvivorRecord]),
}

impl Pii {
    /// The records in slices of at most `n`.
    pub fn slices(&self, n: usize) -> Vec<PiiSlice<'_>> {
        match self {
            Pii::People(v) => v.chunks(n).map(PiiSlice::People).collect(),
            Pii::Survivors(v) => v.chunks(n).map(PiiSlice::Survivors).collect(),
        }
    }
}

impl PiiSlice<'_> {
    pub fn kind(&self) -> &'static str {
        match self {
            PiiSlice::People(_) => "people",
            PiiSlice::Survivors(_) => "survivors",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            PiiSlice::People(v) => v.len(),
            PiiSlice::Survivors(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// First and last record key, if any.
    pub fn key_range(&self) -> Option<(i64, i64)> {
        let keys: Vec<i64> = match self {
            PiiSlice::People(v) => v.iter().map(|i| i.key).collect(),
            PiiSlice::Survivors(v) => v.iter().map(|s| s.identity.key).collect(),
        };
        Some((*keys.iter().min()?, *keys.iter().max()?))
    }
}

const DOMAINS: [&str; 3] = ["example.com", "example.org", "example.net"];
const STATES: [&str; 51] = [
    "AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "IA", "ID", "IL", "IN", "KS", "KY", "LA",
    "MA", "MD", "ME", "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR",
    "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VA", "VT", "WA", "WI", "WV", "WY",
];

/// An identity living in `region` (postal code).
pub fn identity(rng: &mut ChaCha8Rng, key: i64, region: &str) -> Identity {
    let first: String = FirstName().fake_with_rng(rng);
    let last: String = LastName().fake_with_rng(rng);
    let local: String = format!("{}.{}{}", first, last, rng.random_range(1..1000))
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    let email = format!("{local}@{}", DOMAINS[rng.random_range(0..DOMAINS.len())]);
    // 555-01xx numbers are reserved for fiction.
    let phone = format!("+1 ({}) 555-01{:02}", rng.random_range(201..990), rng.random_range(0..100));
    let building: String = BuildingNumber().fake_with_rng(rng);
    let street: String = StreetName().fake_with_rng(rng);
    let city: String = CityName().fake_with_rng(rng);
    let zip: String = ZipCode().fake_with_rng(rng);
    let state = STATES.iter().find(|s| **s == region).copied().unwrap_or("OH");
    Identity {
        key,
        name: format!("{first} {last}"),
        email,
        phone,
        address: format!("{building} {street}, {city}, {state} {zip}"),
    }
}

/// What a narrative is about: the incident's metadata.
#[derive(Debug, Clone, Copy, Default)]
pub struct IncidentFacts {
    pub physical: bool,
    pub verbal: bool,
    pub sexual: bool,
    pub financial: bool,
    pub stalking: bool,
    pub strangulation: bool,
    pub threats_to_kill: bool,
    pub weapon: Option<&'static str>,
    pub police: bool,
    pub medical: bool,
}

fn one<'a>(rng: &mut ChaCha8Rng, options: &[&'a str]) -> &'a str {
    options[rng.random_range(0..options.len())]
}

/// A first-person narrative of one incident, varied by template and consistent with its metadata.
pub fn narrative(rng: &mut ChaCha8Rng, facts: &IncidentFacts, pronoun: (&str, &str)) -> String {
    let (they, them) = pronoun;
    let mut sentences: Vec<String> = Vec::new();
    let trigger = one(
        rng,
        &[
            "after I came home later than usual",
            "when I said I wanted to see my sister",
            "after an argument about money",
            "when I didn't answer my phone at work",
            "after the kids went to bed",
            "when I asked for the car keys",
            "after a friend's birthday dinner",
        ],
    );
    if facts.physical {
        let act = one(
            rng,
            &[
                "shoved me into the door frame",
                "grabbed my arm hard enough to leave bruises",
                "pushed me to the floor",
                "hit me across the face",
                "threw a mug at me",
            ],
        );
        sentences.push(format!("{they} {act} {trigger}."));
    } else if facts.verbal {
        let act = one(
            rng,
            &[
                "screamed at me for over an hour",
                "called me worthless in front of the children",
                "kept shouting that nobody would believe me",
                "said I was stupid and useless",
            ],
        );
        sentences.push(format!("{they} {act} {trigger}."));
    }
    if facts.strangulation {
        sentences.push(format!(
            "{they} put {} hands around my neck and I couldn't breathe.",
            if them == "him" {
                "his"
            } else if them == "her" {
                "her"
            } else {
                "their"
            }
        ));
    }
    if facts.sexual {
        sentences.push(format!("{they} forced sexual contact on me that I did not want."));
    }
    if let Some(weapon) = facts.weapon {
        let weapon = match weapon {
            "firearm" => "a gun",
            "knife" => "a kitchen knife",
            _ => "a bat",
        };
        sentences.push(format!("{they} {} {weapon}.", one(rng, &["showed me", "picked up", "threatened me with"])));
    }
    if facts.threats_to_kill {
        sentences.push(format!("{they} said {} would kill me if I ever left.", they.to_lowercase()));
    }
    if facts.financial {
        sentences.push(format!(
            "{they} {}.",
            one(
                rng,
                &[
                    "took my bank card and changed the PIN",
                    "won't let me see our account statements",
                    "made me hand over my paycheck",
                    "ran up debt in my name"
                ]
            )
        ));
    }
    if facts.stalking {
        sentences.push(format!(
            "{}.",
            one(
                rng,
                &[
                    &format!("{they} turned up outside my work again"),
                    "I found a tracker under my car",
                    &format!("{they} sent dozens of messages overnight"),
                    &format!("{they} keeps driving past my friend's house")
                ]
            )
        ));
    }
    if sentences.is_empty() {
        sentences.push(format!("{they} was angry {trigger} and I felt unsafe."));
    }
    let closing = if facts.police {
        "Police came and took a report."
    } else if facts.medical {
        "I went to urgent care afterwards."
    } else {
        one(
            rng,
            &[
                "I stayed with a friend that night.",
                "I didn't tell anyone at the time.",
                "I locked myself in the bathroom until it stopped.",
                "The kids were in the next room.",
            ],
        )
    };
    sentences.push(closing.to_owned());
    sentences.iter().map(|s| capitalise(s)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_deterministic_and_plausible() {
        let a = identity(&mut crate::synth::rng::stream(1, "identity", 0), 7, "TX");
        let b = identity(&mut crate::synth::rng::stream(1, "identity", 0), 7, "TX");
        assert_eq!(a, b);
        assert!(a.name.contains(' '));
        assert!(
            a.email.contains('@') && a.email.ends_with(".com")
                || a.email.ends_with(".org")
                || a.email.ends_with(".net")
        );
        assert!(a.phone.contains("555-01"));
        assert!(a.address.contains(", TX "));
    }

    #[test]
    fn narratives_follow_the_metadata() {
        let mut rng = crate::synth::rng::stream(1, "narrative", 0);
        let facts = IncidentFacts { physical: true, strangulation: true, police: true, ..Default::default() };
        let text = narrative(&mut rng, &facts, ("He", "him"));
        assert!(text.contains("neck") && text.contains("Police"), "{text}");
        let texts: std::collections::HashSet<String> = (0..50)
            .map(|_| narrative(&mut rng, &IncidentFacts { verbal: true, ..Default::default() }, ("She", "her")))
            .collect();
        assert!(texts.len() > 10, "narratives should vary");
    }
}
