//! The command line, declared with clap derive. `--help` on every command says what it does and what to do next.

use crate::privacy::masked::MaskedId;
use crate::privacy::roles::Role;
use crate::warehouse::ExportFormat;
use clap::{Args, Parser, Subcommand};
use std::net::IpAddr;
use std::path::PathBuf;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  a check failed, nothing was found, or an operation failed
  2  usage or input error (bad flag or value, missing or invalid file, port in use); nothing was changed";

/// SafeHaven: an offline risk-intelligence appliance.
///
/// One binary with a synthetic bank, insurer and domestic-violence-service warehouse, a dashboard and an API.
/// No network, no account. Start with `safehaven demo`.
#[derive(Debug, Parser)]
#[command(name = "safehaven", version, after_help = EXIT_CODES, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Seed a warehouse if there is none, serve the dashboard and print its URL. The one command to start with.
    #[command(
        after_help = "Example:\n  safehaven demo                     # seeds ./safehaven-data on first run\n  safehaven demo --customers 10000   # a smaller, faster first run"
    )]
    Demo(DemoArgs),
    /// Generate the deterministic synthetic warehouse (same --seed and size give the same fingerprint).
    #[command(
        after_help = "Example:\n  safehaven seed --customers 100000 --seed 42\n  safehaven info   # check the fingerprint"
    )]
    Seed(SeedArgs),
    /// Show how the warehouse was generated, its row counts and its content fingerprint.
    Info(InfoArgs),
    /// Serve the dashboard and API on an existing warehouse.
    Serve(ServeArgs),
    /// Write a non-sensitive table to a CSV or Parquet file.
    #[command(after_help = "Example:\n  safehaven export bank.customers --format parquet --out customers.parquet")]
    Export(ExportArgs),
    /// Generate an age identity (secret key, file mode 0600) and print its recipient (public key).
    #[command(
        after_help = "Example:\n  safehaven keygen --out ~/safehaven.identity.txt\n  safehaven seed --recipient age1…   # PII is sealed to this key"
    )]
    Keygen(KeygenArgs),
    /// Manage dashboard and API users.
    #[command(subcommand)]
    User(UserCommand),
    /// List masked IDs with non-identifying attributes.
    People(PeopleArgs),
    /// Show one person's PII: needs the identity file and a reason, and writes an audit entry.
    #[command(
        after_help = "Example:\n  safehaven reveal SH-7K2Q-9XPM --identity ./safehaven-data.identity.txt --reason \"case 1142: outreach approved\""
    )]
    Reveal(RevealArgs),
    /// Assess a DV survivor's lethality risk (or every survivor with --all) from incident metadata.
    #[command(
        after_help = "Examples:\n  safehaven assess SH-7K2Q-9XPM --as-of 2025-12-31\n  safehaven assess --all --json > assessments.json"
    )]
    Assess(AssessArgs),
    /// Inspect the hash-chained audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Train the financial-distress model on the warehouse and write its artifact (DATA_DIR/model.json).
    #[command(
        after_help = "Example:\n  safehaven train\n  safehaven model show   # the evaluation\n  safehaven score        # write everyone's score"
    )]
    Train(TrainArgs),
    /// Inspect the model: evaluation, coefficients, drift; export its training data.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Score everyone with the model: probability, points and top reasons, into the warehouse's model.scores.
    Score(ScoreArgs),
    /// Rescore one person (or everyone, with --all) with drivers shocked: medical costs, income, unemployment.
    #[command(
        after_help = "Examples:\n  safehaven whatif SH-7K2Q-9XPM --medical-cost +30%\n  safehaven whatif --all --income -10% --unemployment +3 --threshold 0.2"
    )]
    Whatif(WhatifArgs),
    /// Ask the offline analyst a question in plain English: the answer with its figures, table, SQL and dashboard
    /// link, from the same guarded views the dashboard shows.
    #[command(
        after_help = "Examples:\n  safehaven ask \"high-risk share by region\"\n  safehaven ask \"high risk share in Ohio\" --json > answer.json\n  safehaven ask \"what about Texas?\" --previous answer.json\n  safehaven ask \"why did expected distress rise over the last year\"\nSuggestions: safehaven ask --suggestions"
    )]
    Ask(AskArgs),
    /// The executive brief: headline figures now and 3 and 12 months ago, the biggest movers, the latest stress
    /// runs and the DV level mix, every sentence written from figures.
    #[command(
        after_help = "Examples:\n  safehaven brief\n  safehaven brief --out brief.html   # a printable page\n  safehaven brief --json"
    )]
    Brief(BriefArgs),
    /// Run stress scenarios on a copy of the population (the warehouse is never written); list, show, drop runs.
    #[command(subcommand)]
    Chaos(ChaosCommand),
    /// Run timed crisis drills: start, pause, resume, stop, list, debrief.
    #[command(subcommand)]
    Drill(DrillCommand),
    /// Hand signals off to the CRM: Salesforce files of the outbox, the CRM's outcomes read back, webhook
    /// destinations.
    #[command(subcommand)]
    Handoff(HandoffCommand),
    /// Measure performance.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Check routing rules (routing.toml), run their fixtures, and explain where a signal goes and who is told when.
    #[command(subcommand)]
    Rules(RulesCommand),
}

#[derive(Debug, Subcommand)]
pub enum HandoffCommand {
    /// Write the outbox's events as Salesforce Bulk API 2.0 files: Case.csv, Task.csv and manifest.json (each
    /// file's upsert job, row count and SHA-256). The same range gives the same bytes.
    #[command(
        after_help = "Examples:\n  safehaven handoff export --out ./to-salesforce\n  safehaven handoff export --out ./next --since 42   # what came after the last export\nEach row is an upsert on SafeHaven_Signal_Id__c, so loading a file twice updates, never duplicates."
    )]
    Export(HandoffExportArgs),
    /// Read a Salesforce export of the Cases SafeHaven sent (SafeHaven_Signal_Id__c, Id, Status, IsClosed,
    /// ClosedDate): stores each CRM ID and moves the signal to handed_off or closed. Unknown IDs are reported.
    #[command(
        name = "import-outcomes",
        after_help = "Example:\n  safehaven handoff import-outcomes ./cases-from-salesforce.csv"
    )]
    ImportOutcomes(HandoffOutcomesArgs),
    /// Manage webhook destinations.
    #[command(subcommand)]
    Webhook(WebhookCommand),
}

#[derive(Debug, Args)]
pub struct HandoffExportArgs {
    /// Directory to write Case.csv, Task.csv and manifest.json into (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Export the events after this cursor (a manifest's nextSince) [default: from the first].
    #[arg(long, value_name = "CURSOR", default_value_t = 0)]
    pub since: i64,
    /// Up to and including this cursor [default: the newest event].
    #[arg(long, value_name = "CURSOR")]
    pub until: Option<i64>,
    /// Print the manifest as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data_dir: DataDirArg,
}

#[derive(Debug, Args)]
pub struct HandoffOutcomesArgs {
    /// The CSV exported from Salesforce.
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data_dir: DataDirArg,
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Add a webhook destination to appliance.toml with its signing secret sealed; prints a new secret once
    /// (or seals the one given on stdin). Checked as the server checks it: plain HTTP to loopback or an allowed
    /// network.
    #[command(
        after_help = "Examples:\n  safehaven handoff webhook add --name relay --url http://127.0.0.1:9000/safehaven\n  echo whsec_… | safehaven handoff webhook add --name crm --url http://10.20.0.7/hooks --secret-stdin --queues crisis,supervisors\nOther networks than loopback: list them in appliance.toml, [handoff] allowed_networks = [\"10.20.0.0/16\"]."
    )]
    Add(WebhookAddArgs),
}

#[derive(Debug, Args)]
pub struct WebhookAddArgs {
    /// The destination's name: a-z, 0-9, _ and -.
    #[arg(long)]
    pub name: String,
    /// Where to POST: http:// on loopback or an allowed network.
    #[arg(long)]
    pub url: String,
    /// Read the signing secret (whsec_…) from stdin instead of generating one.
    #[arg(long)]
    pub secret_stdin: bool,
    /// Only these queues' events [default: every queue].
    #[arg(long, value_delimiter = ',', value_name = "QUEUE,…")]
    pub queues: Option<Vec<String>>,
    #[command(flatten)]
    pub data_dir: DataDirArg,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the identity; an existing file is never overwritten.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; prints their bearer token once, alone on stdout (only its hash is stored).
    Add(UserAddArgs),
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// User name: letters, digits, dots, dashes, underscores.
    pub name: String,
    /// What the user may see and do.
    #[arg(long, value_enum)]
    pub role: Role,
    #[command(flatten)]
    pub data_dir: DataDirArg,
}

#[derive(Debug, Args)]
pub struct PeopleArgs {
    #[command(flatten)]
    pub data_dir: DataDirArg,
    /// How many to list.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub limit: u64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RevealArgs {
    /// The masked ID, as listed by `safehaven people` (SH-XXXX-XXXX).
    #[arg(value_name = "MASKED_ID")]
    pub masked_id: MaskedId,
    /// The age identity file the warehouse's PII was sealed to.
    #[arg(long, value_name = "FILE")]
    pub identity: PathBuf,
    /// Why you need to see this person; written to the audit log.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Print JSON (name, email, phone, address).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data_dir: DataDirArg,
}

#[derive(Debug, Args)]
pub struct AssessArgs {
    /// The survivor: the userId an API client created it with, or a synthetic survivor's masked ID
    /// (SH-XXXX-XXXX); omit with --all.
    #[arg(value_name = "USER_ID", required_unless_present = "all", conflicts_with = "all")]
    pub user_id: Option<String>,
    /// Assess every survivor.
    #[arg(long)]
    pub all: bool,
    /// Evaluate as of this date (YYYY-MM-DD); incidents after it are ignored [default: the warehouse's observation date].
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<chrono::NaiveDate>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data_dir: DataDirArg,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain; exit 1 and name the first broken entry if any was edited, removed or reordered.
    Verify(DataDirArg),
    /// List audit entries.
    Show(AuditShowArgs),
}

#[derive(Debug, Args)]
pub struct AuditShowArgs {
    #[command(flatten)]
    pub data_dir: DataDirArg,
    /// Print JSON lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RecipientArg {
    /// age recipient (public key, age1…) to seal PII to [env: SAFEHAVEN_RECIPIENT]. Without one, the
    /// installation's recipient is reused, or a new identity is written next to the data dir.
    #[arg(long, value_name = "AGE1…")]
    pub recipient: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct GuardArgs {
    /// Minimum group size for aggregates (k-anonymity), at least 2 [default: appliance.toml's k, else 11].
    #[arg(long, value_name = "K")]
    pub k: Option<u64>,
}

#[derive(Debug, Clone, Args)]
pub struct DataDirArg {
    /// Directory holding the warehouse and the appliance's state.
    #[arg(long, value_name = "DIR", default_value = "./safehaven-data")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct PopulationArgs {
    /// Bank customers to generate (insurer members, survivors and events scale with it).
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=50_000_000))]
    pub customers: u64,
    /// Random seed; the same seed and size always give the same warehouse.
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub seed: u64,
    /// Worker threads for generation [default: all cores]; the result does not depend on it.
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u64).range(1..=256))]
    pub threads: Option<u64>,
}

/// The dashboard's default port.
pub const DEFAULT_PORT: u16 = 7300;

#[derive(Debug, Clone, Args)]
pub struct ListenArgs {
    /// Address to listen on. Only loopback addresses are allowed without --allow-remote.
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, value_name = "PORT", default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Allow listening on a non-loopback address, making the dashboard reachable from other machines.
    #[arg(long)]
    pub allow_remote: bool,
}

#[derive(Debug, Clone, Args)]
pub struct LlmArgs {
    /// An OpenAI-compatible chat endpoint on this machine (http://127.0.0.1:PORT/v1) that may reword the analyst's
    /// answers; its reply is checked against the figures [default: appliance.toml's [analyst] llm_endpoint, else none].
    #[arg(long, value_name = "URL")]
    pub llm_endpoint: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub data_dir: DataDirArg,
    #[command(flatten)]
    pub population: PopulationArgs,
    #[command(flatten)]
    pub listen: ListenArgs,
    #[command(flatten)]
    pub recipient: RecipientArg,
    #[command(flatten)]
    pub guard: GuardArgs,
    #[command(flatten)]
    pub llm: LlmArgs,
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    #[command(flatten)]
    pub data_dir: DataDirArg,
    #[command(flatten)]
    pub population: PopulationArgs,
    /// Replace an existing warehouse (the old one stays in place until the new one is complete).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub recipient: RecipientArg,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    #[command(flatten)]
    pub data_dir: DataDirArg,
    /// Print JSON (the same document as GET /api/v1/info).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data_dir: DataDirArg,
    #[command(flatten)]
    pub listen: ListenArgs,
    #[command(flatten)]
    pub guard: GuardArgs,
    #[command(flatten)]
    pub llm: LlmArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Table to export, as schema.table (e.g. bank.customers); `safehaven export --help` lists them.
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// File to write; replaced only once the export is complete.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub data_dir: DataDirArg,
}

#[derive(Debug, Subcommand)]
pub enum ChaosCommand {
    /// Run a scenario: a preset (recession, health_crisis, market_boom) or a scenario file.
    #[command(
        after_help = "Examples:\n  safehaven chaos run recession\n  safehaven chaos run health_crisis --shape w --json\n  safehaven chaos run ./my-scenario.toml"
    )]
    Run(ChaosRunArgs),
    /// List stored runs, newest first.
    List(ListArgs),
    /// Show a stored run.
    Show(ChaosRunIdArgs),
    /// Delete a stored run.
    Drop(ChaosRunIdArgs),
}

#[derive(Debug, Args)]
pub struct ChaosRunArgs {
    /// A preset name (recession, health_crisis, market_boom) or a path to a scenario .toml file.
    #[arg(value_name = "NAME|FILE.toml")]
    pub scenario: String,
    /// Override the scenario's shape: linear, v, u or w.
    #[arg(long, value_name = "SHAPE")]
    pub shape: Option<String>,
    #[command(flatten)]
    pub model: ModelArg,
    #[command(flatten)]
    pub guard: GuardArgs,
    #[command(flatten)]
    pub data_dir: DataDirArg,
    /// Print the run as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A data dir and --json: what the `list` commands take.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub data_dir: DataDirArg,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ChaosRunIdArgs {
    /// The run's ID, as `chaos run` and `chaos list` print it (CR-…).
    #[arg(value_name = "RUN_ID")]
    pub run_id: String,
    #[command(flatten)]
    pub data_dir: DataDirArg,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum DrillCommand {
    /// Start a drill: a preset (winter_surge, layoff_wave) or a drill file. Handed to the server serving the
    /// data dir if there is one; otherwise this command serves the dashboard with the drill running.
    #[command(
        after_help = "Examples:\n  safehaven drill start winter_surge\n  safehaven drill start layoff_wave --days-per-minute 60\n  safehaven drill start ./my-drill.toml --port 7400"
    )]
    Start(DrillStartArgs),
    /// Pause the running drill (its clock stops; actions wait).
    Pause(DataDirOnly),
    /// Resume the paused drill.
    Resume(DataDirOnly),
    /// Stop the running drill; its debrief is then ready.
    Stop(DataDirOnly),
    /// The preset drills and this data dir's runs, newest first, with their status.
    List(ListArgs),
    /// Write a run's debrief: RUN_ID.html (charts, timeline, late and missed alerts, actions by role) and RUN_ID.json.
    #[command(
        after_help = "Examples:\n  safehaven drill report DR-20261123-093000-1a2b3c\n  safehaven drill report DR-20261123-093000-1a2b3c --replay --out ./debriefs"
    )]
    Report(DrillReportArgs),
}

#[derive(Debug, Args)]
pub struct DrillStartArgs {
    /// A preset drill (winter_surge, layoff_wave) or a path to a drill .toml file.
    #[arg(value_name = "NAME|FILE.toml")]
    pub drill: String,
    /// Override the drill's speed, in drill days per wall-clock minute (30 = one drill month per minute).
    #[arg(long, value_name = "DAYS")]
    pub days_per_minute: Option<f64>,
    #[command(flatten)]
    pub data_dir: DataDirArg,
    /// Where to serve when no server serves the data dir yet.
    #[command(flatten)]
    pub listen: ListenArgs,
    #[command(flatten)]
    pub guard: GuardArgs,
}

#[derive(Debug, Args)]
pub struct DataDirOnly {
    #[command(flatten)]
    pub data_dir: DataDirArg,
}

#[derive(Debug, Args)]
pub struct DrillReportArgs {
    /// The run's ID, as `drill start` and `drill list` print it (DR-…).
    #[arg(value_name = "RUN_ID")]
    pub run_id: String,
    /// Directory to write RUN_ID.html and RUN_ID.json into [default: DATA_DIR/drills/reports].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Rebuild the run from its drill definition, seed and logged actions (reading the warehouse and the model)
    /// and check it matches the log before writing the report.
    #[arg(long)]
    pub replay: bool,
    /// Also print the JSON report on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub guard: GuardArgs,
    #[command(flatten)]
    pub data_dir: DataDirArg,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Seed a throw-away warehouse in a temporary directory and report rows/s, wall time and peak memory.
    Seed(BenchSeedArgs),
    /// Train on a throw-away warehouse of --rows customers and compare with scikit-learn on the same matrix.
    Train(BenchTrainArgs),
    /// Batch-score a throw-away warehouse of --rows customers: rows/s in-process.
    Score(BenchTrainArgs),
    /// Population what-if on a throw-away warehouse of --rows customers: seconds per rescoring.
    Whatif(BenchTrainArgs),
    /// The k-guard on a data dir's executive view (it needs a trained model): what the derived-cell rule withholds
    /// at thresholds 0.1–0.5, and the view's compute time, uncached.
    Guard(BenchGuardArgs),
    /// The analyst on a data dir's portfolio (it needs a trained model): every verified question and paraphrase
    /// asked four times, the brief twenty; the verified set's score.
    Analyst(BenchGuardArgs),
    /// Hand-off on a throw-away data dir: events/s through the outbox into Salesforce files and through the
    /// delivery worker into a receiver on 127.0.0.1, alert-to-webhook latency, routing at 10,000 routes.
    Handoff(BenchHandoffArgs),
}

#[derive(Debug, Args)]
pub struct BenchHandoffArgs {
    /// Events to push through the outbox, the files and the webhooks.
    #[arg(long, value_name = "N", default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(10..=1_000_000))]
    pub events: u64,
    /// Alerts opened one at a time for the latency figures.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub samples: u64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BenchGuardArgs {
    #[command(flatten)]
    pub data_dir: DataDirArg,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BenchTrainArgs {
    /// Customers in the throw-away warehouse (one training row each).
    #[arg(long, value_name = "N", default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1_000..=20_000_000))]
    pub rows: u64,
    /// Random seed of the throw-away warehouse.
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub seed: u64,
    /// Reuse this data dir's warehouse instead of seeding a throw-away one.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data_dir: DataDirArg,
    /// Also write the artifact here.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// L2 penalty on the (standardised) coefficients; the loss is a sum over rows.
    #[arg(long, value_name = "A", default_value_t = 1.0)]
    pub alpha: f64,
    /// Newton iterations at most; the artifact records whether the fit converged.
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_iterations: u32,
    /// Converged when no parameter moves more than this in a step.
    #[arg(long, value_name = "T", default_value_t = 1e-8)]
    pub tolerance: f64,
    /// Default high-risk threshold stored with the model (0–1).
    #[arg(long, value_name = "P", default_value_t = crate::model::DEFAULT_THRESHOLD)]
    pub threshold: f64,
    #[command(flatten)]
    pub guard: GuardArgs,
    /// Print the evaluation as JSON (as `model show --json`).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ModelArg {
    /// Model artifact to use [default: DATA_DIR/model.json].
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Print the model's evaluation (AUC vs the Bayes ceiling, Gini, KS, Brier, calibration, thresholds,
    /// coefficients, fairness) and the current population's drift.
    Show(ModelShowArgs),
    /// Write the exact feature matrix the model was trained on (masked ID, features, label, split flag) to Parquet.
    #[command(after_help = "Example:\n  safehaven model export-training --out training.parquet")]
    ExportTraining(ExportTrainingArgs),
    /// PSI of the score and each feature: training population vs the current one, optionally shocked.
    #[command(after_help = "Example:\n  safehaven model drift --medical-cost +30% --unemployment +3")]
    Drift(DriftArgs),
}

#[derive(Debug, Args)]
pub struct ModelShowArgs {
    #[command(flatten)]
    pub data_dir: DataDirArg,
    #[command(flatten)]
    pub model: ModelArg,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExportTrainingArgs {
    #[command(flatten)]
    pub data_dir: DataDirArg,
    /// Parquet file to write; replaced only once complete.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub data_dir: DataDirArg,
    #[command(flatten)]
    pub model: ModelArg,
    #[command(flatten)]
    pub shock: ShockArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub data_dir: DataDirArg,
    #[command(flatten)]
    pub model: ModelArg,
    #[command(flatten)]
    pub guard: GuardArgs,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

/// Drivers to shock. Percentages may be written +30%, 30, -10% …
#[derive(Debug, Clone, Args)]
pub struct ShockArgs {
    /// Change medical and out-of-pocket costs by this percentage.
    #[arg(long, value_name = "PCT", allow_hyphen_values = true, value_parser = parse_percent)]
    pub medical_cost: Option<f64>,
    /// Change income by this percentage.
    #[arg(long, value_name = "PCT", allow_hyphen_values = true, value_parser = parse_percent)]
    pub income: Option<f64>,
    /// Raise unemployment by this many percentage points of the population (with --all or `model drift`).
    #[arg(long, value_name = "POINTS", allow_hyphen_values = true, value_parser = parse_percent)]
    pub unemployment: Option<f64>,
    /// The person loses their job (`whatif MASKED_ID` only).
    #[arg(long)]
    pub unemployed: bool,
}

impl ShockArgs {
    pub fn shock(&self) -> crate::model::whatif::Shock {
        crate::model::whatif::Shock {
            medical_cost_pct: self.medical_cost.unwrap_or(0.0),
            income_pct: self.income.unwrap_or(0.0),
            unemployment_points: self.unemployment.unwrap_or(0.0),
            unemployed: self.unemployed,
        }
    }
}

/// Parses "+30%", "30%", "-10", "2.5" into a number.
fn parse_percent(text: &str) -> Result<f64, String> {
    let trimmed = text.trim().trim_end_matches('%').trim_start_matches('+');
    match trimmed.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("`{text}` is not a percentage: write it like +30%, -10% or 5")),
    }
}

#[derive(Debug, Args)]
pub struct WhatifArgs {
    /// The person, by masked ID (SH-XXXX-XXXX); omit with --all.
    #[arg(value_name = "MASKED_ID", required_unless_present = "all", conflicts_with = "all")]
    pub masked_id: Option<MaskedId>,
    /// Rescore everyone and compare high-risk counts at --threshold.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub shock: ShockArgs,
    /// High-risk threshold for --all [default: the model's].
    #[arg(long, value_name = "P", allow_negative_numbers = true)]
    pub threshold: Option<f64>,
    #[command(flatten)]
    pub model: ModelArg,
    #[command(flatten)]
    pub guard: GuardArgs,
    #[command(flatten)]
    pub data_dir: DataDirArg,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AskArgs {
    /// The question (at most 1,000 characters); omit with --suggestions.
    #[arg(value_name = "QUESTION", required_unless_present = "suggestions")]
    pub question: Option<String>,
    /// A follow-up: the previous answer's JSON (`ask --json` output) or its plan.
    #[arg(long, value_name = "FILE")]
    pub previous: Option<PathBuf>,
    /// Also write the answer's chart as SVG.
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<PathBuf>,
    /// List the verified questions instead of asking.
    #[arg(long, conflicts_with_all = ["previous", "chart"])]
    pub suggestions: bool,
    #[command(flatten)]
    pub llm: LlmArgs,
    #[command(flatten)]
    pub model: ModelArg,
    #[command(flatten)]
    pub guard: GuardArgs,
    #[command(flatten)]
    pub data_dir: DataDirArg,
    /// Print JSON (the API's answer).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BriefArgs {
    /// Write the brief as a printable HTML page.
    #[arg(long, value_name = "FILE.html")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub model: ModelArg,
    #[command(flatten)]
    pub guard: GuardArgs,
    #[command(flatten)]
    pub data_dir: DataDirArg,
    /// Print JSON (the API's brief).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BenchSeedArgs {
    #[command(flatten)]
    pub population: PopulationArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check a rules file: a mistake is reported as FILE:LINE:COLUMN and nothing is loaded; prints its queues and
    /// route tree.
    #[command(
        after_help = "Examples:\n  safehaven rules check ./safehaven-data/routing.toml\n  safehaven rules check routing/default.toml --json   # every setting resolved"
    )]
    Check(RulesCheckArgs),
    /// Run a fixture file's cases against the rules: each passes or says what differed (exit 1 if one fails).
    #[command(
        after_help = "Examples:\n  safehaven rules test routing/fixtures.toml\n  safehaven rules test my-fixtures.toml --rules ./safehaven-data/routing.toml"
    )]
    Test(RulesTestArgs),
    /// Walk one signal (its facts as JSON) through the rules: each route tried and why, where it lands, who is
    /// told when, and its SLA deadlines.
    #[command(
        after_help = "Examples:\n  safehaven rules explain routing/alert.example.json --at 2025-01-10T09:00:00Z\n  safehaven rules explain alert.json --rules ./routing.toml --json"
    )]
    Explain(RulesExplainArgs),
}

#[derive(Debug, Args)]
pub struct RulesCheckArgs {
    /// The rules file (routing/README.md says how to write one).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print the checked rules as JSON, every setting resolved.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RulesTestArgs {
    /// The fixture file: [[case]] tables of facts and expectations.
    #[arg(value_name = "FIXTURES.toml")]
    pub fixtures: PathBuf,
    /// The rules file [default: the fixture file's `rules`, relative to it; else DATA_DIR/routing.toml; else the
    /// built-in rules].
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    #[command(flatten)]
    pub data_dir: DataDirArg,
    /// Print each case's outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RulesExplainArgs {
    /// The signal's facts as JSON: kind, region, level, patterns, score, scoreChange, scenario, drill.
    #[arg(value_name = "SIGNAL.json")]
    pub signal: PathBuf,
    /// The rules file [default: DATA_DIR/routing.toml, else the built-in rules].
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// When the signal opened, for its notification times (RFC 3339) [default: now].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    #[command(flatten)]
    pub data_dir: DataDirArg,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Parses an RFC 3339 time with an offset ("2025-01-10T09:00:00Z").
fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| format!("`{text}` is not an RFC 3339 time: write it like 2025-01-10T09:00:00Z"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn percentages_parse_with_or_without_sign_and_percent() {
        assert_eq!(parse_percent("+30%"), Ok(30.0));
        assert_eq!(parse_percent("-10%"), Ok(-10.0));
        assert_eq!(parse_percent("2.5"), Ok(2.5));
        assert!(parse_percent("thirty").unwrap_err().contains("+30%"));
        assert!(parse_percent("inf").is_err());
    }
}
