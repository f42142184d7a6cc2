//! Whole-document snapshots of the deterministic outputs: `info --json` of the shared warehouse, `model show
//! --json` of the shipped model, and the JSON debrief of a scripted drill. A change to any of them shows as a diff
//! of the document; when it is intended, refresh the files with `UPDATE_EXPECT=1 cargo test snapshots`.

use crate::support::{assert_exit, safehaven, shared_data_dir, stdout};
use expect_test::expect_file;

#[test]
fn info_json_of_the_shared_warehouse() {
    let output = safehaven(&["info", "--json", "--data-dir", shared_data_dir().to_str().unwrap()]);
    assert_exit(&output, 0);
    expect_file!["snapshots/info.json"].assert_eq(&stdout(&output));
}

#[test]
fn model_show_json_of_the_shipped_model() {
    // A data dir without a warehouse: the report without the current population's drift.
    let empty = tempfile::tempdir().unwrap();
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/financial-distress.json");
    let output =
        safehaven(&["model", "show", "--model", model, "--json", "--data-dir", empty.path().to_str().unwrap()]);
    assert_exit(&output, 0);
    expect_file!["snapshots/model-show.json"].assert_eq(&stdout(&output));
}

#[test]
fn drill_report_json_of_a_scripted_run() {
    let report = crate::drill::scripted_winter_report();
    let text = serde_json::to_string_pretty(&report).unwrap() + "\n";
    expect_file!["snapshots/drill-report.json"].assert_eq(&text);
}
