//! Shared fixtures: small seeded warehouses and a way to run the real binary.

use safehaven::synth::Params;
use safehaven::warehouse::{self, SeedOptions, Warehouse};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use tempfile::TempDir;

/// Customers in the shared test warehouse: small enough to seed in well under a second.
pub const CUSTOMERS: u64 = 2_000;
pub const SEED: u64 = 42;

/// Seeds a warehouse into `dir` and returns its path.
pub fn seed_into(dir: &Path, customers: u64, seed: u64, threads: usize) -> PathBuf {
    let options = SeedOptions {
        params: Params { customers, seed },
        threads,
        force: false,
        progress: false,
    };
    warehouse::seed(dir, &options)
        .expect("seeding succeeds")
        .path
}

/// A warehouse seeded once per test run and shared read-only by every test that only reads.
pub fn shared_data_dir() -> &'static Path {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        seed_into(dir.path(), CUSTOMERS, SEED, 2);
        dir
    })
    .path()
}

pub fn open_shared() -> Warehouse {
    Warehouse::open_read_only(&warehouse::path_in(shared_data_dir()))
        .expect("shared warehouse opens")
}

pub fn fingerprint(data_dir: &Path) -> String {
    Warehouse::open_read_only(&warehouse::path_in(data_dir))
        .expect("opens")
        .info()
        .expect("info")
        .fingerprint
}

/// Runs the `safehaven` binary with `args`.
pub fn safehaven(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_safehaven"))
        .args(args)
        .env_remove("SAFEHAVEN_LOG")
        .env_remove("RUST_LOG")
        .output()
        .expect("binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the exit code, showing the output when it differs.
#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}
