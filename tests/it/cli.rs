//! The binary's commands, their output and their errors (each error: exit code, message, nothing changed).

use crate::support::{assert_exit, safehaven, shared_data_dir, stderr, stdout};
use std::path::Path;

fn shared() -> &'static str {
    shared_data_dir().to_str().unwrap()
}

#[test]
fn help_teaches_commands_and_exit_codes() {
    let output = safehaven(&["--help"]);
    assert_exit(&output, 0);
    let help = stdout(&output);
    for word in ["demo", "seed", "info", "serve", "export", "bench", "Exit codes"] {
        assert!(help.contains(word), "--help lacks {word}:\n{help}");
    }
}

#[test]
fn customers_must_be_a_positive_number() {
    for bad in ["0", "-5", "abc", "1.5"] {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let output = safehaven(&["seed", "--customers", bad, "--data-dir", data_dir.to_str().unwrap()]);
        assert_exit(&output, 2);
        assert!(stderr(&output).contains("--customers") || stderr(&output).contains(bad), "{}", stderr(&output));
        assert!(!data_dir.exists(), "nothing may be written for --customers {bad}");
    }
}

#[test]
fn seed_refuses_to_overwrite_and_names_the_file() {
    let output = safehaven(&["seed", "--customers", "100", "--data-dir", shared()]);
    assert_exit(&output, 2);
    let message = stderr(&output);
    assert!(message.contains("warehouse.duckdb") && message.contains("--force"), "{message}");
}

#[test]
fn unwritable_data_dir_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let data_dir = file.join("data");
    let output = safehaven(&["seed", "--customers", "100", "--data-dir", data_dir.to_str().unwrap()]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("cannot write to"), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a directory");
}

fn corrupt_data_dir() -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let bytes = b"this is not a database, and must survive every command".repeat(100);
    std::fs::write(dir.path().join("warehouse.duckdb"), &bytes).unwrap();
    (dir, bytes)
}

#[test]
fn corrupt_warehouse_is_named_and_never_overwritten() {
    let (dir, bytes) = corrupt_data_dir();
    let data_dir = dir.path().to_str().unwrap();
    for args in [
        vec!["info", "--data-dir", data_dir],
        vec!["serve", "--data-dir", data_dir, "--port", "0"],
        vec!["demo", "--data-dir", data_dir, "--port", "0", "--customers", "100"],
        vec!["export", "bank.customers", "--format", "csv", "--out", "/dev/null", "--data-dir", data_dir],
    ] {
        let output = safehaven(&args);
        assert_exit(&output, 2);
        let message = stderr(&output);
        assert!(message.contains("warehouse.duckdb") && message.contains("not a readable DuckDB"), "{message}");
        assert_eq!(std::fs::read(dir.path().join("warehouse.duckdb")).unwrap(), bytes, "{args:?} touched the file");
    }
}

#[test]
fn missing_warehouse_says_how_to_create_one() {
    let dir = tempfile::tempdir().unwrap();
    let output = safehaven(&["info", "--data-dir", dir.path().to_str().unwrap()]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("safehaven seed"), "{}", stderr(&output));
}

#[test]
fn info_prints_counts_and_fingerprint() {
    let text = safehaven(&["info", "--data-dir", shared()]);
    assert_exit(&text, 0);
    let json = safehaven(&["info", "--json", "--data-dir", shared()]);
    assert_exit(&json, 0);
    let info: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let fingerprint = info["fingerprint"].as_str().unwrap();
    assert_eq!(fingerprint.len(), 64);
    assert!(stdout(&text).contains(fingerprint));
    assert!(stdout(&text).contains("bank.customers"));
    assert_eq!(info["generation"]["customers"], 2000);
    assert_eq!(info["tables"].as_array().unwrap().len(), 10);
}

#[test]
fn export_writes_csv_and_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("customers.csv");
    let output = safehaven(&[
        "export",
        "bank.customers",
        "--format",
        "csv",
        "--out",
        csv.to_str().unwrap(),
        "--data-dir",
        shared(),
    ]);
    assert_exit(&output, 0);
    let content = std::fs::read_to_string(&csv).unwrap();
    let mut lines = content.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("masked_id,region,age_band"), "{header}");
    assert!(!content.contains("person_key"));
    assert_eq!(lines.count(), 2000);

    let parquet = dir.path().join("claims.parquet");
    let output = safehaven(&[
        "export",
        "insurer.claims",
        "--format",
        "parquet",
        "--out",
        parquet.to_str().unwrap(),
        "--data-dir",
        shared(),
    ]);
    assert_exit(&output, 0);
    let bytes = std::fs::read(&parquet).unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 2, "temporary files left: {leftovers:?}");
}

#[test]
fn export_refuses_unknown_and_sensitive_tables_listing_the_valid_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.csv");
    for table in ["bank.nope", "dv.survivors", "truth.customers"] {
        let output =
            safehaven(&["export", table, "--format", "csv", "--out", out.to_str().unwrap(), "--data-dir", shared()]);
        assert_exit(&output, 2);
        let message = stderr(&output);
        assert!(message.contains(table) && message.contains("bank.customers, "), "{message}");
        assert!(!message.contains("truth.customers,"), "{message}");
        assert!(!out.exists());
    }
}

#[test]
fn export_into_a_missing_directory_is_a_clear_error() {
    let output = safehaven(&[
        "export",
        "bank.events",
        "--format",
        "csv",
        "--out",
        "/nonexistent-dir/x.csv",
        "--data-dir",
        shared(),
    ]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("does not exist"), "{}", stderr(&output));
}

#[test]
fn port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = safehaven(&["serve", "--data-dir", shared(), "--port", &port]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("already in use"), "{}", stderr(&output));
}

#[test]
fn remote_bind_needs_allow_remote() {
    let output = safehaven(&["serve", "--data-dir", shared(), "--bind", "0.0.0.0", "--port", "0"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("--allow-remote"), "{}", stderr(&output));
}

#[test]
fn bench_seed_reports_throughput_and_memory() {
    let output = safehaven(&["bench", "seed", "--customers", "500", "--json"]);
    assert_exit(&output, 0);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["customers"], 500);
    assert!(report["rows"].as_u64().unwrap() > 500);
    assert!(report["rowsPerSecond"].as_f64().unwrap() > 0.0);
    assert!(report["peakRssMib"].as_f64().unwrap() > 0.0);
}

#[test]
fn seed_then_info_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("fresh");
    let output = safehaven(&["seed", "--customers", "300", "--seed", "3", "--data-dir", data_dir.to_str().unwrap()]);
    assert_exit(&output, 0);
    assert!(stdout(&output).contains("seeded"));
    assert!(Path::new(&data_dir).join("warehouse.duckdb").is_file());
}

/// `demo` on a fresh directory: seeds, writes an identity next to the data dir, trains and scores the risk model,
/// creates one user per role with their tokens in a 0600 file, and serves; the printed token signs in.
#[test]
fn demo_seeds_creates_users_and_serves() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_safehaven"))
        .args(["demo", "--customers", "5000", "--port", "0", "--data-dir", data_dir.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut url = None;
    let mut printed = String::new();
    for _ in 0..10 {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        printed.push_str(&line);
        if let Some(u) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            url = Some(u.trim_end_matches('/').trim_start_matches("http://").to_owned());
            break;
        }
    }
    let authority = url.expect("demo prints its URL");
    let tokens_file = data_dir.join("demo-tokens.txt");
    let tokens = std::fs::read_to_string(&tokens_file).unwrap();
    let mode = std::fs::metadata(&tokens_file).unwrap().permissions().mode() & 0o777;
    let executive =
        tokens.lines().find(|l| l.starts_with("executive\t")).unwrap().split('\t').nth(2).unwrap().to_owned();
    let mut stream = std::net::TcpStream::connect(&authority).unwrap();
    write!(
        stream,
        "GET /api/v1/me HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {executive}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(mode, 0o600);
    assert_eq!(tokens.lines().filter(|l| !l.starts_with('#')).count(), 6);
    assert!(response.starts_with("HTTP/1.1 200") && response.contains("\"role\":\"executive\""), "{response}");
    assert!(dir.path().join("data.identity.txt").is_file());
    assert!(data_dir.join("model.json").is_file());
    assert!(printed.contains("validation AUC") && printed.contains("scored: 5,000 people"), "{printed}");
}

#[test]
fn a_second_server_on_the_same_data_dir_is_refused() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    crate::support::seed_into(dir.path(), 200, 1, 2);
    let data_dir = dir.path().to_str().unwrap();
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_safehaven"))
        .args(["serve", "--port", "0", "--data-dir", data_dir])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(first.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let second = safehaven(&["serve", "--port", "0", "--data-dir", data_dir]);
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(line.contains("http://"), "{line}");
    assert_exit(&second, 2);
    assert!(stderr(&second).contains("in use by another SafeHaven process"), "{}", stderr(&second));
    assert!(stdout(&second).is_empty(), "no URL is printed for a server that cannot start");
}

#[test]
fn a_service_database_of_another_version_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    crate::support::seed_into(dir.path(), 200, 1, 2);
    drop(safehaven::warehouse::service::Service::open(dir.path()).unwrap());
    // As if a later build had written it.
    let path = dir.path().join("service.duckdb");
    {
        let conn = duckdb::Connection::open(&path).unwrap();
        conn.execute_batch("UPDATE svc.meta SET schema_version = 99; CHECKPOINT;").unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let output = safehaven(&["serve", "--port", "0", "--data-dir", dir.path().to_str().unwrap()]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("schema version 99"), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
    assert_eq!(std::fs::read(&path).unwrap(), before, "the old database is left as it was");
}
