//! `safehaven rules`, run as a user runs it: a bad rules file is refused at its line and column, the shipped
//! fixtures pass, a wrong expectation fails naming its case, and explain walks a signal through the tree.

use crate::support::{assert_exit, safehaven, stderr, stdout};
use serde_json::Value;

fn shipped(path: &str) -> String {
    format!("{}/routing/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_bad_rules_file_is_refused_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("routing.toml");
    std::fs::write(&file, "[[queue]]\nname = \"a\"\nrole = \"boss\"\n\n[route]\nqueue = \"a\"\n").unwrap();
    let output = safehaven(&["rules", "check", file.to_str().unwrap()]);
    assert_exit(&output, 2);
    let expected = format!("{}:3:8: role: unknown role `boss`", file.display());
    assert!(stderr(&output).contains(&expected), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
}

#[test]
fn the_shipped_rules_check_and_print_their_tree() {
    let output = safehaven(&["rules", "check", &shipped("default.toml")]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("ok: 5 queues, 4 routes"), "{text}");
    assert!(text.contains("critical-dv [kind = alert, level = [critical]] → crisis; urgency high"), "{text}");
    let json = safehaven(&["rules", "check", &shipped("examples/quiet.toml"), "--json"]);
    assert_exit(&json, 0);
    let rules: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(rules["route"]["routes"][1]["quietHours"]["timeZone"], "Europe/London");
}

#[test]
fn the_shipped_fixtures_pass() {
    for fixtures in ["fixtures.toml", "examples/quiet.fixtures.toml"] {
        let output = safehaven(&["rules", "test", &shipped(fixtures)]);
        assert_exit(&output, 0);
        assert!(stdout(&output).contains(" 0 failed"), "{}", stdout(&output));
    }
}

#[test]
fn a_wrong_expectation_fails_and_names_its_case() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wrong.toml");
    let text = format!(
        "rules = {:?}\n\n[[case]]\nname = \"critical goes to advocates\"\nfacts = {{ kind = \"alert\", level = \"critical\" }}\nopened_at = 2025-01-10T09:00:00Z\nexpect.queues = [\"advocates\"]\n",
        shipped("default.toml")
    );
    std::fs::write(&file, text).unwrap();
    let output = safehaven(&["rules", "test", file.to_str().unwrap()]);
    assert_exit(&output, 1);
    assert!(stdout(&output).contains("FAIL  critical goes to advocates"), "{}", stdout(&output));
    assert!(stdout(&output).contains("queues: expected advocates, got crisis"), "{}", stdout(&output));
    assert!(stderr(&output).contains("1 of 1 fixture cases failed: critical goes to advocates"), "{}", stderr(&output));
    // A mistake in the fixture file itself is an input error, at its place.
    std::fs::write(&file, "[[case]]\nname = \"x\"\nfacts = { kind = \"call\" }\nopened_at = 2025-01-10T09:00:00Z\n")
        .unwrap();
    let output = safehaven(&["rules", "test", file.to_str().unwrap(), "--rules", &shipped("default.toml")]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("wrong.toml:3:"), "{}", stderr(&output));
}

#[test]
fn explain_walks_a_signal_through_the_rules() {
    let alert = shipped("alert.example.json");
    let args = ["rules", "explain", &alert, "--rules", &shipped("default.toml"), "--at", "2025-01-10T09:00:00Z"];
    let output = safehaven(&args);
    assert_exit(&output, 0);
    let text = stdout(&output);
    for line in [
        "root/drill        no: not drill traffic",
        "→ root/critical-dv → queue crisis (urgency high",
        "step 1   2025-01-10T09:15:00Z  supervisors",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
    let output = safehaven(&[&args[..], &["--json"][..]].concat());
    assert_exit(&output, 0);
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["outcomes"][0]["route"], "root/critical-dv");
    assert_eq!(json["outcomes"][0]["notifications"][1]["at"], "2025-01-10T09:15:00Z");
}
