//! The DV engine on the synthetic service: against the ground truth, and through the CLI.

use crate::support::{CUSTOMERS, assert_exit, open_shared, safehaven, shared_data_dir, stderr, stdout};
use safehaven::dv::{self, Level};
use std::collections::HashMap;

mod alerts;
mod assessments;
mod ingest;
mod screens;

#[test]
fn escalating_cases_score_higher_than_stable_ones() {
    let warehouse = open_shared();
    let as_of = "2025-12-31".parse().unwrap();
    let cases = warehouse.dv_cases(None).unwrap();
    assert_eq!(cases.len() as u64, CUSTOMERS / 20);
    let truth: HashMap<String, String> = warehouse.truth_trajectories().unwrap().into_iter().collect();
    let mut by_trajectory: HashMap<&str, Vec<f64>> = HashMap::new();
    let mut critical_escalating = 0;
    for (id, profile, incidents) in &cases {
        let a = dv::assess(profile, incidents, as_of);
        let trajectory = truth[id].as_str();
        by_trajectory.entry(trajectory).or_default().push(a.scores.overall);
        if trajectory == "escalating" && a.level >= Level::High {
            critical_escalating += 1;
        }
    }
    let mean = |t: &str| by_trajectory[t].iter().sum::<f64>() / by_trajectory[t].len() as f64;
    assert!(mean("escalating") > mean("moderate") + 10.0, "{by_trajectory:?}");
    assert!(mean("moderate") > mean("stable"));
    let escalating = by_trajectory["escalating"].len();
    assert!(
        critical_escalating * 2 > escalating,
        "most escalating cases are high or critical: {critical_escalating}/{escalating}"
    );
}

#[test]
fn assess_cli_one_and_all() {
    let data_dir = shared_data_dir().to_str().unwrap();
    let all = safehaven(&["assess", "--all", "--json", "--data-dir", data_dir]);
    assert_exit(&all, 0);
    let docs: Vec<serde_json::Value> = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(docs.len() as u64, CUSTOMERS / 20);
    let id = docs[0]["maskedId"].as_str().unwrap();
    let one = safehaven(&["assess", id, "--as-of", "2025-12-31", "--json", "--data-dir", data_dir]);
    assert_exit(&one, 0);
    let doc: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(doc, docs[0]);
    let text = safehaven(&["assess", id, "--data-dir", data_dir]);
    assert!(stdout(&text).contains("components   lethality"));
}

#[test]
fn assess_cli_errors() {
    // Its own data dir: the shared one's service database is held by this test process.
    let dir = tempfile::tempdir().unwrap();
    crate::support::seed_into(dir.path(), 200, 1, 2);
    let data_dir = dir.path().to_str().unwrap();
    let unknown = safehaven(&["assess", "SH-0000-0000", "--data-dir", data_dir]);
    assert_exit(&unknown, 1);
    assert!(stderr(&unknown).contains("no survivor"), "{}", stderr(&unknown));
    assert_exit(&safehaven(&["assess", "--data-dir", data_dir]), 2);
    assert_exit(&safehaven(&["assess", "--all", "--as-of", "31/12/2025", "--data-dir", data_dir]), 2);
    assert_exit(&safehaven(&["assess", "SH-0000-0000", "--all", "--data-dir", data_dir]), 2);
}

#[test]
fn assessment_never_carries_narratives_or_raw_keys() {
    let data_dir = shared_data_dir().to_str().unwrap();
    let all = safehaven(&["assess", "--all", "--json", "--data-dir", data_dir]);
    let text = stdout(&all);
    assert!(!text.contains("narrative") && !text.contains("survivor_key") && !text.contains("incident_id"));
    // Evidence cites incidents by their number within the survivor's record.
    let docs: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    for doc in docs {
        let total = doc["assessment"]["statistics"]["totalIncidents"].as_i64().unwrap();
        for pattern in doc["assessment"]["patterns"].as_array().unwrap() {
            for e in pattern["evidence"].as_array().unwrap() {
                assert!((1..=total).contains(&e.as_i64().unwrap()), "{e} of {total}");
            }
        }
    }
}

#[test]
fn assess_cli_reads_api_survivors_unless_a_server_holds_them() {
    use safehaven::privacy::masked::{Domain, Masker};
    use safehaven::warehouse::service::{NewSurvivor, Service};
    let dir = tempfile::tempdir().unwrap();
    crate::support::seed_into(dir.path(), 200, 1, 2);
    let data_dir = dir.path().to_str().unwrap();
    let masked = Masker::load_or_create(dir.path()).unwrap().mask(Domain::ExternalUser, b"api-user-1", 0).to_string();
    let (_, mut profile, mut incidents) = open_shared().dv_cases(None).unwrap().remove(0);
    profile.recent_separation = true;
    incidents.truncate(2);
    {
        let service = Service::open(dir.path()).unwrap();
        service.add_survivor(&masked, &NewSurvivor { region: "OH", profile }, "now").unwrap();
        for incident in &incidents {
            service.add_incident(&masked, incident, "now").unwrap();
        }
    }
    let one = safehaven(&["assess", "api-user-1", "--json", "--data-dir", data_dir]);
    assert_exit(&one, 0);
    let doc: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(doc["maskedId"], masked.as_str());
    assert_eq!(doc["assessment"]["statistics"]["totalIncidents"], incidents.len());
    let all = safehaven(&["assess", "--all", "--json", "--data-dir", data_dir]);
    let docs: Vec<serde_json::Value> = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(docs.len(), 10 + 1, "10 synthetic survivors and the API one");

    // While a server holds the service database, the CLI says so instead of failing obscurely.
    let _held = Service::open(dir.path()).unwrap();
    let busy = safehaven(&["assess", "api-user-1", "--data-dir", data_dir]);
    assert_exit(&busy, 2);
    assert!(stderr(&busy).contains("in use by another SafeHaven process"), "{}", stderr(&busy));
    let all = safehaven(&["assess", "--all", "--data-dir", data_dir]);
    assert_exit(&all, 0);
    assert!(stderr(&all).contains("API survivors are not included"));
}
