//! The chaos engine end to end: presets parse, runs move the figures in the scenario's direction, the baseline
//! warehouse is never touched (by fingerprint, even when a run is killed), and runs are listed, shown and
//! dropped.

use crate::support::{assert_exit, fingerprint, safehaven, seed_into, stderr, stdout};
use safehaven::chaos::Scenario;
use serde_json::Value;
use std::sync::OnceLock;
use tempfile::TempDir;

/// A 5,000-customer warehouse with a trained model, shared by the tests (runs only add to chaos.duckdb).
fn trained() -> &'static TempDir {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        seed_into(dir.path(), 5_000, 21, 2);
        assert_exit(&safehaven(&["train", "--data-dir", dir.path().to_str().unwrap()]), 0);
        dir
    })
}

fn run(args: &[&str]) -> Value {
    let data_dir = trained().path().to_str().unwrap();
    let mut all = vec!["chaos", "run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--data-dir", data_dir, "--json"]);
    let output = safehaven(&all);
    assert_exit(&output, 0);
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn the_presets_parse() {
    for name in ["recession", "health_crisis", "market_boom"] {
        let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
        let scenario = Scenario::parse(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(scenario.name, name);
        assert!(!scenario.source.is_empty());
    }
}

#[test]
fn a_recession_raises_risk_and_a_boom_lowers_it_and_the_baseline_is_untouched() {
    let before = fingerprint(trained().path());
    let recession = run(&["recession"]);
    assert!(recession["runId"].as_str().unwrap().starts_with("CR-"));
    let high = |v: &Value, key: &str| v[key]["highRiskCount"].as_u64().unwrap();
    let expected = |v: &Value, key: &str| v[key]["expectedDistress"].as_f64().unwrap();
    assert!(high(&recession, "scenario") > high(&recession, "baseline"), "{}", recession["scenario"]);
    assert!(expected(&recession, "scenario") > expected(&recession, "baseline"));
    assert_eq!(recession["months"].as_array().unwrap().len(), 21);
    assert_eq!(recession["unmodelled"], serde_json::json!(["house_prices"]));
    let boom = run(&["market_boom"]);
    assert!(high(&boom, "scenario") < high(&boom, "baseline"));
    assert!(expected(&boom, "scenario") < expected(&boom, "baseline"));
    assert_eq!(fingerprint(trained().path()), before, "a run changed the baseline warehouse");
}

#[test]
fn a_health_crisis_concentrates_medical_exposure_where_it_was_shocked() {
    let crisis = run(&["health_crisis"]);
    let hotspots = ["NY", "NJ", "MA", "IL", "LA", "MI"];
    let share = |key: &str| -> f64 {
        crisis["regions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| hotspots.contains(&r["label"].as_str().unwrap()))
            .filter_map(|r| r["stats"][key].as_f64())
            .sum()
    };
    assert!(
        share("scenarioShare") > share("baselineShare"),
        "{} vs {}",
        share("scenarioShare"),
        share("baselineShare")
    );
    // A V shape peaks mid-horizon and recovers by the end, but the missed payments and overdrafts made during
    // the crisis stay on people's 12-month records: distress ends above the baseline and below the peak.
    assert_eq!(crisis["peakMonth"], 6);
    let distress = |key: &str| crisis[key]["expectedDistress"].as_f64().unwrap();
    assert!(distress("scenario") > distress("baseline") && distress("scenario") < distress("peak"), "{crisis}");
    // Months whose added events are below k are withheld; each month reports the field.
    assert!(crisis["months"][0].get("extraMissedPayments").is_some());
    // DV incidents rise: survivors are reassessed at the strongest month, and no level count falls at the top.
    let dv = &crisis["dv"];
    assert_eq!(dv["month"], 6);
    assert!(dv["extraIncidents"].as_u64().unwrap() > 0, "{dv}");
    let count = |side: &str, level: &str| -> u64 {
        dv[side]["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["label"] == level)
            .and_then(|c| c["count"].as_u64())
            .unwrap_or(0)
    };
    assert!(
        count("scenario", "critical") + count("scenario", "high")
            >= count("baseline", "critical") + count("baseline", "high")
    );
    assert_eq!(crisis["unmodelled"], serde_json::json!([]));
    let w = run(&["health_crisis", "--shape", "w"]);
    assert_eq!(w["definition"]["shape"], "w");
}

#[test]
fn runs_are_listed_shown_and_dropped() {
    let data_dir = trained().path().to_str().unwrap();
    let id = run(&["market_boom"])["runId"].as_str().unwrap().to_owned();
    let list = safehaven(&["chaos", "list", "--data-dir", data_dir, "--json"]);
    assert_exit(&list, 0);
    let runs: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert!(runs.as_array().unwrap().iter().any(|r| r["runId"] == id.as_str()));
    let show = safehaven(&["chaos", "show", &id, "--data-dir", data_dir, "--json"]);
    assert_exit(&show, 0);
    assert_eq!(serde_json::from_slice::<Value>(&show.stdout).unwrap()["runId"], id.as_str());
    assert_exit(&safehaven(&["chaos", "drop", &id, "--data-dir", data_dir]), 0);
    let gone = safehaven(&["chaos", "show", &id, "--data-dir", data_dir]);
    assert_exit(&gone, 1);
    assert!(stderr(&gone).contains("no run"));
}

#[test]
fn bad_scenarios_are_named_and_change_nothing() {
    let data_dir = trained().path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "name = \"x\"\ndescription = \"d\"\nsource = \"s\"\nhorizon_months = 6\nshape = \"linear\"\nseed = 1\n\n[[shock]]\ndriver = \"inflation\"\npercent = 3\n").unwrap();
    let before = safehaven(&["chaos", "list", "--data-dir", data_dir, "--json"]);
    let cases: [(&[&str], &str); 4] = [
        (&[file.to_str().unwrap()], "bad.toml:9:"),
        (&[file.to_str().unwrap()], "driver: unknown variant `inflation`, expected one of `unemployment`"),
        (&["depression"], "no scenario `depression`: use a preset (recession, health_crisis, market_boom)"),
        (&["recession", "--shape", "zigzag"], "--shape: unknown shape `zigzag`"),
    ];
    for (args, message) in cases {
        let mut all = vec!["chaos", "run"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--data-dir", data_dir]);
        let output = safehaven(&all);
        assert_exit(&output, 2);
        assert!(stderr(&output).contains(message), "{message:?} not in {}", stderr(&output));
    }
    let after = safehaven(&["chaos", "list", "--data-dir", data_dir, "--json"]);
    assert_eq!(stdout(&before), stdout(&after));
}

#[test]
fn a_killed_run_leaves_the_baseline_and_no_half_run() {
    let dir = tempfile::tempdir().unwrap();
    seed_into(dir.path(), 5_000, 22, 2);
    let data_dir = dir.path().to_str().unwrap();
    assert_exit(&safehaven(&["train", "--data-dir", data_dir]), 0);
    let before = fingerprint(dir.path());
    for delay in [50, 200, 400] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_safehaven"))
            .args(["chaos", "run", "recession", "--data-dir", data_dir])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(fingerprint(dir.path()), before, "killed after {delay} ms");
        // Every run listed is whole: its document reads back.
        let list = safehaven(&["chaos", "list", "--data-dir", data_dir, "--json"]);
        assert_exit(&list, 0);
        for run in serde_json::from_slice::<Value>(&list.stdout).unwrap().as_array().unwrap() {
            let id = run["runId"].as_str().unwrap();
            let show = safehaven(&["chaos", "show", id, "--data-dir", data_dir, "--json"]);
            assert_exit(&show, 0);
            assert!(serde_json::from_slice::<Value>(&show.stdout).unwrap()["scenario"]["expectedDistress"].is_number());
        }
    }
}
