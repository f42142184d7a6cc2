//! Survivors of the DV support service and their incidents: metadata only, with hidden trajectories.

use super::identity::{self, IncidentFacts, Narrative, Pii, SurvivorRecord};
use super::{Chunk, Params, epoch_days, observation_date, pick};
use crate::catalog::regions::{self, REGIONS};
use crate::catalog::{AGE_BANDS, Table};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::ops::Range;
use std::sync::LazyLock;

const AGE_CUMULATIVE: [f64; 6] = [0.22, 0.54, 0.78, 0.91, 0.97, 1.0];
const IMMIGRATION: [&str; 4] = ["citizen", "resident", "undocumented", "unknown"];
const IMMIGRATION_CUMULATIVE: [f64; 4] = [0.80, 0.90, 0.96, 1.0];
const RESTRAINING: [&str; 3] = ["none", "active", "expired"];
const RESTRAINING_CUMULATIVE: [f64; 3] = [0.72, 0.90, 1.0];
const RELATIONSHIPS: [&str; 6] = ["current_partner", "former_partner", "spouse", "ex_spouse", "dating", "family"];
const RELATIONSHIP_CUMULATIVE: [f64; 6] = [0.40, 0.65, 0.80, 0.92, 0.97, 1.0];

/// Hidden trajectory of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trajectory {
    Stable,
    Moderate,
    Escalating,
}

impl Trajectory {
    fn name(self) -> &'static str {
        match self {
            Trajectory::Stable => "stable",
            Trajectory::Moderate => "moderate",
            Trajectory::Escalating => "escalating",
        }
    }
}

static REGION_CUMULATIVE: LazyLock<[f64; 51]> = LazyLock::new(regions::cumulative_weights);

columns!(Survivors => Table::DvSurvivors, {
    survivor_key: I64, region: Str, age_band: Str, employed: Bool, immigration_status: Str, has_children: Bool,
    support_network: Str, pregnant: Bool, recent_separation: Bool, perpetrator_has_weapons: Bool,
    restraining_order: Str, registered_on: Date,
});
columns!(Incidents => Table::DvIncidents, {
    incident_id: I64, survivor_key: I64, incident_date: Date, physical: Bool, verbal: Bool, sexual: Bool,
    financial: Bool, stalking: Bool, severity: I16, strangulation: Bool, weapon_used: Bool, weapon_type: Str,
    threats_to_kill: Bool, police_involved: Bool, medical_attention: Bool, perpetrator_relationship: Str,
    substance_use: Bool, extreme_jealousy: Bool, controlling_behavior: Bool,
});
columns!(Truth => Table::TruthSurvivors, { survivor_key: I64, trajectory: Str });

#[derive(Default)]
struct Out {
    survivors: Survivors,
    incidents: Incidents,
    truth: Truth,
    records: Vec<SurvivorRecord>,
}

/// Generates survivors `range` (0-based positions; survivor key = position + 1) from chunk stream `index`.
pub fn generate(params: &Params, index: u64, range: Range<u64>) -> Chunk {
    let mut rng = super::rng::stream(params.seed, "dv", index);
    // Identities and narratives draw from their own stream, so the tables do not depend on them.
    let mut identity_rng = super::rng::stream(params.seed, "dv-identity", index);
    let mut out = Out::default();
    for position in range {
        survivor(&mut rng, &mut identity_rng, position as i64 + 1, &mut out);
    }
    let batches = vec![out.survivors.into_batch(), out.incidents.into_batch(), out.truth.into_batch()];
    Chunk { batches, pii: Pii::Survivors(out.records) }
}

/// Incident days, as offsets back from the observation date, oldest first.
fn incident_days(rng: &mut ChaCha8Rng, trajectory: Trajectory) -> Vec<u64> {
    match trajectory {
        Trajectory::Stable | Trajectory::Moderate => {
            let n = if trajectory == Trajectory::Stable { rng.random_range(1..=3) } else { rng.random_range(3..=6) };
            let mut days: Vec<u64> = (0..n).map(|_| rng.random_range(0..730)).collect();
            days.sort_unstable_by(|a, b| b.cmp(a));
            days
        }
        Trajectory::Escalating => {
            // Gaps shrink geometrically towards a recent last incident.
            let n: usize = rng.random_range(5..=12);
            let last = rng.random_range(0..30u64);
            let first = rng.random_range(330..730u64);
            let ratio = 0.75f64;
            let weights: Vec<f64> = (0..n - 1).map(|k| ratio.powi(k as i32)).collect();
            let total: f64 = weights.iter().sum();
            let span = (first - last) as f64;
            let mut day = first as f64;
            let mut days = vec![first];
            for w in weights {
                day -= span * w / total;
                days.push(day.round().max(last as f64) as u64);
            }
            days
        }
    }
}

fn survivor(rng: &mut ChaCha8Rng, identity_rng: &mut ChaCha8Rng, key: i64, out: &mut Out) {
    let trajectory = match rng.random::<f64>() {
        u if u < 0.55 => Trajectory::Stable,
        u if u < 0.85 => Trajectory::Moderate,
        _ => Trajectory::Escalating,
    };
    let escalating = trajectory == Trajectory::Escalating;
    let region = &REGIONS[pick(&*REGION_CUMULATIVE, rng.random())];
    let age = pick(&AGE_CUMULATIVE, rng.random());
    let employed = rng.random_bool(if escalating { 0.50 } else { 0.62 });
    let immigration = IMMIGRATION[pick(&IMMIGRATION_CUMULATIVE, rng.random())];
    let has_children = rng.random_bool(0.55);
    let isolated = if escalating { 0.30 } else { 0.15 };
    let support = match rng.random::<f64>() {
        u if u < isolated => "none",
        u if u < 0.60 => "limited",
        _ => "strong",
    };
    let pregnant = age < 3 && rng.random_bool(0.07);
    let recent_separation = rng.random_bool(if escalating { 0.45 } else { 0.25 });
    let weapons = rng.random_bool(if escalating { 0.50 } else { 0.22 });
    let restraining = RESTRAINING[pick(&RESTRAINING_CUMULATIVE, rng.random())];
    let relationship = if recent_separation {
        if rng.random_bool(0.6) { "former_partner" } else { "ex_spouse" }
    } else {
        RELATIONSHIPS[pick(&RELATIONSHIP_CUMULATIVE, rng.random())]
    };
    let substance_prone = rng.random_bool(0.3);
    let pronoun = if identity_rng.random_bool(0.78) { ("He", "him") } else { ("She", "her") };
    let mut narratives = Vec::new();

    let days = incident_days(rng, trajectory);
    let n = days.len();
    let observed = observation_date();
    for (k, &back) in days.iter().enumerate() {
        let t = if n > 1 { k as f64 / (n - 1) as f64 } else { 0.0 };
        let (physical_p, sexual_p, stalking_p) = match trajectory {
            Trajectory::Stable => (0.15, 0.03, 0.05),
            Trajectory::Moderate => (0.45, 0.08, 0.15),
            Trajectory::Escalating => {
                (0.3 + 0.6 * t, 0.08 + 0.2 * t, (0.1 + 0.4 * t) * if recent_separation { 1.5 } else { 1.0 })
            }
        };
        let physical = rng.random_bool(physical_p);
        let mut verbal = rng.random_bool(0.8);
        let sexual = rng.random_bool(sexual_p);
        let financial = rng.random_bool(0.25);
        let stalking = rng.random_bool(stalking_p.min(0.95));
        if !(physical || verbal || sexual || financial || stalking) {
            verbal = true;
        }
        let noise: f64 = StandardNormal.sample(rng);
        let severity = match trajectory {
            Trajectory::Stable => 1 + i16::from(rng.random_bool(0.3)),
            Trajectory::Moderate => 2 + i16::from(rng.random_bool(0.4)),
            Trajectory::Escalating => (1.5 + 3.2 * t + 0.4 * noise).round().clamp(1.0, 5.0) as i16,
        };
        let strangulation = physical
            && rng.random_bool(match trajectory {
                Trajectory::Stable => 0.0,
                Trajectory::Moderate => 0.04,
                Trajectory::Escalating => 0.05 + 0.4 * t,
            });
        let weapon_used = rng.random_bool(match (trajectory, weapons) {
            (Trajectory::Escalating, true) => 0.05 + 0.3 * t,
            (Trajectory::Stable, _) => 0.01,
            _ => 0.04,
        });
        let weapon_type = match (weapon_used, weapons) {
            (false, _) => "none",
            (true, true) => match rng.random::<f64>() {
                u if u < 0.6 => "firearm",
                u if u < 0.9 => "knife",
                _ => "other",
            },
            (true, false) => {
                if rng.random_bool(0.6) {
                    "knife"
                } else {
                    "other"
                }
            }
        };
        let threats = rng.random_bool(match trajectory {
            Trajectory::Stable => 0.01,
            Trajectory::Moderate => 0.06,
            Trajectory::Escalating => 0.05 + 0.45 * t,
        });
        let police = rng.random_bool(0.15 + 0.1 * f64::from(severity));
        let medical = rng.random_bool(match severity {
            5 | 4 => 0.6,
            3 => 0.2,
            _ => 0.03,
        });
        let jealousy = rng.random_bool(match trajectory {
            Trajectory::Stable => 0.1,
            Trajectory::Moderate => 0.3,
            Trajectory::Escalating => 0.3 + 0.4 * t,
        });
        let controlling = rng.random_bool(match trajectory {
            Trajectory::Stable => 0.15,
            Trajectory::Moderate => 0.35,
            Trajectory::Escalating => 0.4 + 0.4 * t,
        });
        let substance = rng.random_bool(if substance_prone { 0.6 } else { 0.05 });

        let incident_id = key * 32 + k as i64;
        let facts = IncidentFacts {
            physical,
            verbal,
            sexual,
            financial,
            stalking,
            strangulation,
            threats_to_kill: threats,
            weapon: weapon_used.then_some(weapon_type),
            police,
            medical,
        };
        narratives.push(Narrative { incident_id, text: identity::narrative(identity_rng, &facts, pronoun) });
        let incidents = &mut out.incidents;
        incidents.incident_id.push(incident_id);
        incidents.survivor_key.push(key);
        incidents.incident_date.push(epoch_days(observed - chrono::Days::new(back)));
        incidents.physical.push(physical);
        incidents.verbal.push(verbal);
        incidents.sexual.push(sexual);
        incidents.financial.push(financial);
        incidents.stalking.push(stalking);
        incidents.severity.push(severity);
        incidents.strangulation.push(strangulation);
        incidents.weapon_used.push(weapon_used);
        incidents.weapon_type.push(weapon_type);
        incidents.threats_to_kill.push(threats);
        incidents.police_involved.push(police);
        incidents.medical_attention.push(medical);
        incidents.perpetrator_relationship.push(relationship);
        incidents.substance_use.push(substance);
        incidents.extreme_jealousy.push(jealousy);
        incidents.controlling_behavior.push(controlling);
    }

    let first = days.first().copied().unwrap_or(0);
    let registered = observed - chrono::Days::new(first + rng.random_range(0..60));
    let s = &mut out.survivors;
    s.survivor_key.push(key);
    s.region.push(region.code);
    s.age_band.push(AGE_BANDS[age]);
    s.employed.push(employed);
    s.immigration_status.push(immigration);
    s.has_children.push(has_children);
    s.support_network.push(support);
    s.pregnant.push(pregnant);
    s.recent_separation.push(recent_separation);
    s.perpetrator_has_weapons.push(weapons);
    s.restraining_order.push(restraining);
    s.registered_on.push(epoch_days(registered));
    out.truth.survivor_key.push(key);
    out.truth.trajectory.push(trajectory.name());
    out.records.push(SurvivorRecord { identity: identity::identity(identity_rng, key, region.code), narratives });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::Column;

    #[test]
    fn escalating_cases_end_recently_with_shrinking_gaps() {
        let mut rng = crate::synth::rng::stream(1, "test", 0);
        for _ in 0..50 {
            let days = incident_days(&mut rng, Trajectory::Escalating);
            assert!(days.len() >= 5);
            assert!(*days.last().unwrap() < 30);
            assert!(days.windows(2).all(|w| w[0] >= w[1]), "{days:?}");
            let first_gap = days[0] - days[1];
            let last_gap = days[days.len() - 2] - days[days.len() - 1];
            assert!(first_gap >= last_gap, "{days:?}");
        }
    }

    #[test]
    fn a_minority_escalates_and_escalation_raises_severity() {
        let params = Params { customers: 40_000, seed: 42 };
        let batches = generate(&params, 0, 0..2000).batches;
        let trajectories = match &batches[2].columns[1].1 {
            Column::Str(t) => t.clone(),
            other => panic!("{other:?}"),
        };
        let escalating = trajectories.iter().filter(|t| **t == "escalating").count();
        assert!((200..400).contains(&escalating), "{escalating} escalating of 2000");
        let incidents = &batches[1];
        assert!(incidents.rows() > 2000);
        let severity = match &incidents.columns[8].1 {
            Column::I16(v) => v.clone(),
            other => panic!("{other:?}"),
        };
        assert!(severity.iter().all(|s| (1..=5).contains(s)));
        assert!(severity.contains(&5));
    }
}
