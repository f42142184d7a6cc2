//! The Salesforce files and the CRM's outcomes, with the real binary: `handoff export` while the server holds the
//! service database (through the inbox) and when it does not, parsed with a real CSV reader and checked against
//! the manifest; a second export of the same range is byte-identical; `import-outcomes` stores the CRM's IDs,
//! moves signals on, and reports (never creates) what it does not know.

use super::delivery::{data_dir_with_users, open_alerts};
use crate::support::binary::serve;
use crate::support::binary::{assert_exit, safehaven, stderr, stdout};
use serde_json::{Value, json};
use sha2::Digest;
use std::collections::BTreeMap;
use std::path::Path;

fn export(data_dir: &Path, out: &Path, extra: &[&str]) -> Value {
    let mut args =
        vec!["handoff", "export", "--out", out.to_str().unwrap(), "--json", "--data-dir", data_dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = safehaven(&args);
    assert_exit(&output, 0);
    serde_json::from_str(&stdout(&output)).unwrap()
}

fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    reader.records().map(|r| header.iter().cloned().zip(r.unwrap().iter().map(str::to_owned)).collect()).collect()
}

#[test]
fn salesforce_files_match_their_manifest_and_outcomes_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_admin, advocate) = data_dir_with_users(&data);
    let server = serve(&data);
    let alerts = open_alerts(&server, &advocate, "files", 3);
    let (status, _) =
        server.call("POST", &format!("/api/v1/alerts/{}/acknowledge", alerts[1]), &advocate, Some(json!({})));
    assert_eq!(status, 200);
    let (status, _) = server.call(
        "POST",
        &format!("/api/v1/alerts/{}/close", alerts[2]),
        &advocate,
        Some(json!({ "note": "duplicate of another alert", "reason": "duplicate" })),
    );
    assert_eq!(status, 200);

    // While serving: handed to the server through the inbox.
    let first = dir.path().join("first");
    let manifest = export(&data, &first, &[]);
    assert_eq!((manifest["cursor"]["from"].as_i64(), manifest["cursor"]["to"].as_i64()), (Some(0), Some(5)));
    for file in manifest["files"].as_array().unwrap() {
        let bytes = std::fs::read(first.join(file["file"].as_str().unwrap())).unwrap();
        assert_eq!(file["sha256"].as_str().unwrap(), hex::encode(sha2::Sha256::digest(&bytes)));
        assert!(!bytes.contains(&b'\r'), "LF line endings");
        assert_eq!(file["job"]["operation"], "upsert");
        let text = String::from_utf8(bytes).unwrap();
        assert!(!text.contains("files-") && !text.contains("duplicate of another"), "nothing personal:\n{text}");
    }
    assert_eq!(
        manifest["files"][0]["job"],
        json!({
            "object": "Case", "externalIdFieldName": "SafeHaven_Signal_Id__c", "contentType": "CSV",
            "operation": "upsert", "lineEnding": "LF", "columnDelimiter": "COMMA"
        })
    );
    let cases = rows(&first.join("Case.csv"));
    assert_eq!(cases.len(), 3, "one row per signal");
    assert_eq!(manifest["files"][0]["rows"], 3);
    let by_signal: BTreeMap<&str, &BTreeMap<String, String>> =
        cases.iter().map(|r| (r["SafeHaven_Signal_Id__c"].as_str(), r)).collect();
    let signal = |alert: &str| format!("SH-A-{}", alert.trim_start_matches("AL-"));
    assert_eq!(by_signal[signal(&alerts[0]).as_str()]["Status"], "New");
    assert_eq!(by_signal[signal(&alerts[1]).as_str()]["Status"], "Working");
    assert_eq!(by_signal[signal(&alerts[2]).as_str()]["Status"], "Closed");
    assert_eq!(by_signal[signal(&alerts[2]).as_str()]["SafeHaven_Closing_Reason__c"], "duplicate");
    assert_eq!(by_signal[signal(&alerts[0]).as_str()]["SafeHaven_Closing_Reason__c"], "#N/A");
    assert!(by_signal[signal(&alerts[0]).as_str()]["SafeHaven_Opened_At__c"].ends_with('Z'));

    // The same range again, now from the CLI itself: the same bytes.
    drop(server);
    let second = dir.path().join("second");
    let again = export(&data, &second, &["--until", "5"]);
    assert_eq!(again, manifest);
    for name in ["Case.csv", "Task.csv", "manifest.json"] {
        assert_eq!(std::fs::read(first.join(name)).unwrap(), std::fs::read(second.join(name)).unwrap(), "{name}");
    }
    let audit = std::fs::read_to_string(data.join("audit.log")).unwrap();
    assert_eq!(audit.matches("handoff.export").count(), 2, "every export is audited");

    // Outcomes from Salesforce: one still open there, one closed; an unknown ID is reported, not created.
    let outcomes = dir.path().join("outcomes.csv");
    std::fs::write(
        &outcomes,
        format!(
            "SafeHaven_Signal_Id__c,Id,Status,IsClosed,ClosedDate\n{},5003000000D8cuIAAR,Working,false,\n{},5003000000D8cuJAAR,Closed,true,{}\nSH-A-0099999,5003000000D8cuKAAR,New,false,\n",
            signal(&alerts[0]),
            signal(&alerts[1]),
            (chrono::Utc::now() + chrono::Duration::minutes(5)).format("%Y-%m-%dT%H:%M:%S%.3fZ")
        ),
    )
    .unwrap();
    let output =
        safehaven(&["handoff", "import-outcomes", outcomes.to_str().unwrap(), "--data-dir", data.to_str().unwrap()]);
    assert_exit(&output, 2);
    let printed = stdout(&output);
    assert!(printed.contains("3 rows; 2 handed off, 1 closed, 0 unchanged"), "{printed}");
    assert!(printed.contains(":4: unknown signal ID (nothing created): SH-A-0099999"), "{printed}");
    assert!(stderr(&output).contains("1 rows were not applied"));
    let third = dir.path().join("third");
    let later = export(&data, &third, &["--since", "5"]);
    let cases = rows(&third.join("Case.csv"));
    let by_signal: BTreeMap<&str, &BTreeMap<String, String>> =
        cases.iter().map(|r| (r["SafeHaven_Signal_Id__c"].as_str(), r)).collect();
    assert_eq!(by_signal.len(), 2, "only what changed since the cursor");
    assert_eq!(by_signal[signal(&alerts[0]).as_str()]["Status"], "Escalated", "handed off");
    assert_eq!(by_signal[signal(&alerts[1]).as_str()]["Status"], "Closed");
    assert_eq!(by_signal[signal(&alerts[1]).as_str()]["SafeHaven_Closing_Reason__c"], "referred");
    assert_eq!(rows(&third.join("Task.csv")).len(), 2, "a follow-up task per hand-off");
    assert_eq!(later["nextSince"], later["cursor"]["to"]);

    // The same file again changes nothing; a file with an unknown column changes nothing at all.
    let output =
        safehaven(&["handoff", "import-outcomes", outcomes.to_str().unwrap(), "--data-dir", data.to_str().unwrap()]);
    assert!(stdout(&output).contains("0 handed off, 0 closed, 2 unchanged"), "{}", stdout(&output));
    std::fs::write(&outcomes, "SafeHaven_Signal_Id__c,Id,Status,IsClosed,ClosedDate,Description\n").unwrap();
    let output =
        safehaven(&["handoff", "import-outcomes", outcomes.to_str().unwrap(), "--data-dir", data.to_str().unwrap()]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains(":1: unknown column `Description`"), "{}", stderr(&output));
    let fourth = dir.path().join("fourth");
    let after = export(&data, &fourth, &["--since", later["nextSince"].as_i64().unwrap().to_string().as_str()]);
    assert_eq!(after["events"], 0, "nothing changed");

    for (args, needle) in [
        (vec!["--since", "9", "--until", "3"], "must run forward"),
        (vec!["--until", "999"], "past the outbox's newest event"),
    ] {
        let mut all = vec!["handoff", "export", "--out", "/tmp/unused-export", "--data-dir", data.to_str().unwrap()];
        all.extend(args);
        let output = safehaven(&all);
        assert_exit(&output, 2);
        assert!(stderr(&output).contains(needle), "{}", stderr(&output));
    }
}
