//! Shared fixtures: a test identity, small seeded warehouses, users with tokens, shared runs; the real binary
//! ([`binary`]) and the application in-process ([`http`]).

use safehaven::commands;
use safehaven::privacy::keys::NewIdentity;
use safehaven::privacy::roles::{Role, Users};
use safehaven::synth::Params;
use safehaven::warehouse::{self, SeedOptions, Warehouse};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tempfile::TempDir;

pub mod binary;
pub mod http;

pub use binary::{assert_exit, safehaven, serve, stderr, stdout};

/// Customers in the shared test warehouse: small enough to seed in well under a second.
pub const CUSTOMERS: u64 = 2_000;
pub const SEED: u64 = 42;

/// The identity every test warehouse's PII is sealed to, written to a file for `reveal`.
pub struct TestIdentity {
    pub identity: NewIdentity,
    pub path: PathBuf,
    _dir: TempDir,
}

pub fn test_identity() -> &'static TestIdentity {
    static IDENTITY: OnceLock<TestIdentity> = OnceLock::new();
    IDENTITY.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("test.identity.txt");
        let identity = NewIdentity::generate();
        identity.write(&path, "test").expect("identity written");
        TestIdentity { identity, path, _dir: dir }
    })
}

/// Seeds a warehouse into `dir` and returns its path.
pub fn seed_into(dir: &Path, customers: u64, seed: u64, threads: usize) -> PathBuf {
    let options = SeedOptions { params: Params { customers, seed }, threads, force: false, progress: false };
    commands::seed_installation(dir, &options, &test_identity().identity.recipient()).expect("seeding succeeds").path
}

/// A warehouse seeded once per test run, with one user per role, shared read-only by the tests that only read.
pub struct Shared {
    pub dir: TempDir,
    pub tokens: BTreeMap<Role, String>,
}

pub fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        // A fixed installation key, so the shared warehouse's masked IDs (and what depends on them, such as which
        // survivors a drill picks) are the same on every run, and its documents can be snapshotted.
        let key = format!("{}\n", "5a".repeat(32));
        safehaven::privacy::write_private(&dir.path().join(safehaven::privacy::masked::KEY_FILE), key.as_bytes())
            .expect("installation key written");
        seed_into(dir.path(), CUSTOMERS, SEED, 2);
        let users = Users::new(dir.path());
        let tokens = Role::ALL
            .into_iter()
            .map(|role| (role, users.add(&format!("test-{role}"), role, "test".into()).expect("user added")))
            .collect();
        Shared { dir, tokens }
    })
}

pub fn shared_data_dir() -> &'static Path {
    shared().dir.path()
}

pub fn token(role: Role) -> &'static str {
    &shared().tokens[&role]
}

pub fn open_shared() -> Warehouse {
    Warehouse::open_read_only(&warehouse::path_in(shared_data_dir())).expect("shared warehouse opens")
}

/// The shared warehouse's service database. DuckDB lets one process open a file read-write once, so tests share
/// one database instance and each app gets its own connection to it.
pub fn shared_service() -> safehaven::warehouse::service::Service {
    static SERVICE: OnceLock<std::sync::Mutex<safehaven::warehouse::service::Service>> = OnceLock::new();
    let service = SERVICE.get_or_init(|| {
        std::sync::Mutex::new(safehaven::warehouse::service::Service::open(shared_data_dir()).expect("service opens"))
    });
    service.lock().unwrap().handle().expect("service handle")
}

/// The shared warehouse's dashboard analytics: a model trained on it in-process, and the portfolio it scores.
pub fn shared_portfolio() -> std::sync::Arc<safehaven::analytics::Portfolio> {
    static PORTFOLIO: OnceLock<std::sync::Arc<safehaven::analytics::Portfolio>> = OnceLock::new();
    // Built on a plain thread: polars must not block inside a test's async runtime.
    PORTFOLIO.get_or_init(|| std::thread::spawn(build_shared_portfolio).join().expect("portfolio thread")).clone()
}

fn build_shared_portfolio() -> std::sync::Arc<safehaven::analytics::Portfolio> {
    use safehaven::model;
    let warehouse = open_shared();
    let data = warehouse.labelled(model::SPLIT_SALT, model::VALIDATION_SHARE).expect("labelled rows");
    let provenance = warehouse.provenance().expect("provenance");
    let (artifact, _) = model::train(&data, provenance, &model::TrainOptions::default()).expect("trains");
    std::sync::Arc::new(warehouse.portfolio(artifact).expect("portfolio loads"))
}

/// A bank customer's masked ID in the shared warehouse.
pub fn shared_customer() -> String {
    open_shared().people(1).expect("people").remove(0).masked_id
}

pub fn fingerprint(data_dir: &Path) -> String {
    Warehouse::open_read_only(&warehouse::path_in(data_dir)).expect("opens").info().expect("info").fingerprint
}

/// A chaos run on the shared warehouse, made once through the API.
pub async fn shared_chaos_run() -> String {
    static RUN: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    RUN.get_or_init(|| async {
        let body = serde_json::json!({ "scenario": "market_boom" });
        let (status, _, text) = http::call_json(
            Some(token(safehaven::privacy::roles::Role::Trainer)),
            axum::http::Method::POST,
            "/api/v1/chaos/runs",
            Some(body),
        )
        .await;
        assert_eq!(status, axum::http::StatusCode::CREATED, "{text}");
        let run: serde_json::Value = serde_json::from_str(&text).expect("a run");
        run["runId"].as_str().expect("a run ID").to_owned()
    })
    .await
    .clone()
}

/// A finished drill run in the shared data dir, run once through the API at top speed.
pub async fn shared_drill_run() -> String {
    static RUN: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    RUN.get_or_init(|| async {
        use axum::http::{Method, StatusCode};
        let app = http::app();
        let body = serde_json::json!({ "drill": "layoff_wave", "daysPerMinute": 100000 }).to_string().into_bytes();
        let trainer = Some(token(safehaven::privacy::roles::Role::Trainer));
        let (status, _, text) =
            http::send(app.clone(), trainer, Method::POST, "/api/v1/drills", Some(body), "application/json").await;
        assert_eq!(status, StatusCode::CREATED, "{text}");
        let run: serde_json::Value = serde_json::from_str(&text).expect("a run");
        let id = run["state"]["runId"].as_str().expect("a run ID").to_owned();
        for _ in 0..500 {
            let (_, _, text) =
                http::send(app.clone(), trainer, Method::GET, &format!("/api/v1/drills/{id}"), None, "").await;
            if text.contains("\"status\":\"finished\"") {
                return id;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the shared drill did not finish");
    })
    .await
    .clone()
}

/// A route with its `{runId}` filled: a drill run's for drill routes, a chaos run's otherwise; the analyst's chart takes the plan of an answer.
pub fn with_run(route: &str, chaos_run: &str, drill_run: &str) -> String {
    if route == "/api/v1/analyst/chart.svg" {
        return format!(
            "{route}?plan=%7B%22intent%22%3A%22breakdown%22%2C%22metrics%22%3A%5B%22people%22%5D%2C%22groupBy%22%3A%22credit_group%22%7D"
        );
    }
    route.replace("{runId}", if route.starts_with("/api/v1/drills/") { drill_run } else { chaos_run })
}

/// Routes whose response never ends (server-sent events): generic request loops skip them.
pub fn streams(route: &str) -> bool {
    route.ends_with("/live/events")
}
