//! Deterministic, atomic seeding.

use crate::support::{fingerprint, seed_into};
use safehaven::synth::Params;
use safehaven::warehouse::{self, SeedOptions, Warehouse};

/// The fingerprint of `seed --customers 500 --seed 7`, computed once and pinned: a change means the generator,
/// the schema or the fingerprint changed, and every evaluation built on seeded data must be redone.
const GOLDEN_500_SEED_7: &str = "314353db3a93948c08a8eea00f24c80205864f6aed89a879f2aa2821486a6531";

#[test]
fn same_seed_same_fingerprint_whatever_the_thread_count() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    seed_into(one.path(), 3_000, 11, 1);
    seed_into(two.path(), 3_000, 11, 2);
    assert_eq!(fingerprint(one.path()), fingerprint(two.path()));
}

#[test]
fn different_seed_different_fingerprint() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    seed_into(a.path(), 1_000, 1, 2);
    seed_into(b.path(), 1_000, 2, 2);
    assert_ne!(fingerprint(a.path()), fingerprint(b.path()));
}

#[test]
fn fingerprint_is_pinned_across_machines() {
    let dir = tempfile::tempdir().unwrap();
    seed_into(dir.path(), 500, 7, 2);
    assert_eq!(fingerprint(dir.path()), GOLDEN_500_SEED_7);
}

#[test]
fn row_counts_follow_the_population_size() {
    let dir = tempfile::tempdir().unwrap();
    seed_into(dir.path(), 2_000, 5, 2);
    let info = Warehouse::open_read_only(&warehouse::path_in(dir.path())).unwrap().info().unwrap();
    let rows = |name: &str| info.tables.iter().find(|t| t.name == name).unwrap().rows;
    assert_eq!(rows("bank.customers"), 2_000);
    assert_eq!(rows("bank.outcomes"), 2_000);
    assert_eq!(rows("truth.customers"), 2_000);
    assert_eq!(rows("dv.survivors"), 100);
    assert_eq!(rows("truth.survivors"), 100);
    // 70 % of customers plus insurer-only members (15 % of customers).
    let members = rows("insurer.members");
    assert!((1_600..2_100).contains(&members), "{members} members");
    assert!(rows("insurer.claims") > members, "claims over 24 months outnumber members");
    assert!(rows("bank.events") > 1_000);
    assert!(rows("dv.incidents") > 200);
    assert_eq!(info.generation.customers, 2_000);
    assert_eq!(info.generation.seed, 5);
}

#[test]
fn regions_cover_the_states_with_realistic_weights() {
    let warehouse = crate::support::open_shared();
    let counts = warehouse.population_by_region().unwrap();
    assert!(counts.len() >= 45, "{} regions present", counts.len());
    let get = |code: &str| counts.iter().find(|(c, _)| c == code).map_or(0, |(_, n)| *n);
    assert!(get("CA") > get("TX") && get("TX") > get("OH") && get("OH") > get("WY"));
}

#[test]
fn warehouse_columns_match_the_generator() {
    let warehouse = crate::support::open_shared();
    let columns = warehouse.columns().unwrap();
    let params = Params { customers: 300, seed: 1 };
    for index in 0..params.chunk_count() {
        for batch in safehaven::synth::chunk(&params, index).batches {
            let in_db: Vec<&str> =
                columns.iter().filter(|(t, _)| t == batch.table.name()).map(|(_, c)| c.as_str()).collect();
            let generated: Vec<&str> = batch.columns.iter().map(|(name, _)| *name).collect();
            assert_eq!(in_db, generated, "{}", batch.table);
        }
    }
}

#[test]
fn existing_warehouse_is_not_replaced_without_force() {
    let dir = tempfile::tempdir().unwrap();
    seed_into(dir.path(), 300, 1, 2);
    let before = fingerprint(dir.path());
    let options = SeedOptions { params: Params { customers: 400, seed: 2 }, threads: 2, force: false, progress: false };
    let recipient = crate::support::test_identity().identity.recipient();
    let err = safehaven::commands::seed_installation(dir.path(), &options, &recipient).unwrap_err();
    assert!(err.to_string().contains("warehouse.duckdb"), "{err}");
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(fingerprint(dir.path()), before);
    let forced = SeedOptions { force: true, ..options };
    safehaven::commands::seed_installation(dir.path(), &forced, &recipient).unwrap();
    assert_ne!(fingerprint(dir.path()), before);
}

/// Kill a seed at some point while it runs: the data dir then holds the previous warehouse or the complete new
/// one, never a partial one, and the next seed cleans up what the killed one left.
#[test]
fn killed_seed_leaves_previous_warehouse_intact() {
    let dir = tempfile::tempdir().unwrap();
    seed_into(dir.path(), 300, 1, 2);
    let before = fingerprint(dir.path());
    let data_dir = dir.path().to_str().unwrap();
    let recipient = crate::support::test_identity().identity.recipient().to_string();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_safehaven"))
        .args([
            "seed",
            "--force",
            "--customers",
            "300000",
            "--seed",
            "9",
            "--data-dir",
            data_dir,
            "--recipient",
            &recipient,
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the seed has started writing its temporary file, then kill it.
    for _ in 0..200 {
        let started = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains(".seeding-"));
        if started {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let after = fingerprint(dir.path());
    if after != before {
        // The seed won the race and completed: the warehouse must then be the whole new one.
        let info = Warehouse::open_read_only(&warehouse::path_in(dir.path())).unwrap().info().unwrap();
        assert_eq!(info.generation.customers, 300_000);
    }
    let options = SeedOptions { params: Params { customers: 300, seed: 1 }, threads: 2, force: true, progress: false };
    let recipient = crate::support::test_identity().identity.recipient();
    safehaven::commands::seed_installation(dir.path(), &options, &recipient).unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| {
            !["warehouse.duckdb", "installation.key", "appliance.toml"].contains(&name.as_str())
                && !name.starts_with("vault-")
        })
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
    assert_eq!(fingerprint(dir.path()), before);
}
