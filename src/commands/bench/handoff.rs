//! `safehaven bench handoff`: events per second through the outbox into Salesforce files and, through the real
//! delivery worker, into a receiver on 127.0.0.1; the time from an alert being opened to its webhook arriving
//! (p50/p95); and routing at 10,000 routes. On a throw-away data dir (a 200-customer warehouse).

use crate::cli::BenchHandoffArgs;
use crate::error::Error;
use crate::handoff::SignalKind;
use crate::handoff::rules::{Facts, Rules};
use crate::server::handoff::bench::{self, DeliveryBench, OutboxBench};
use serde::Serialize;
use std::io::Write;
use std::time::Instant;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HandoffBench {
    pub outbox: OutboxBench,
    pub webhooks: DeliveryBench,
    pub rules: RulesBench,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RulesBench {
    pub routes: usize,
    pub parse_ms: f64,
    /// One alert walked through every route (the last one matches), averaged.
    pub evaluations: usize,
    pub microseconds_per_alert: f64,
}

/// A rules file of `routes` routes, each a narrow score window no alert at 99.5 falls in, then one that takes it.
fn many_routes(routes: usize) -> String {
    let mut text = String::from(
        "[[queue]]\nname = \"advocates\"\nrole = \"advocate\"\n\n[[queue]]\nname = \"crisis\"\nrole = \"advocate\"\n\n[route]\nqueue = \"advocates\"\n",
    );
    for i in 0..routes - 1 {
        let low = i as f64 * 90.0 / routes as f64;
        text.push_str(&format!(
            "\n[[route.routes]]\nname = \"r{i}\"\nmatch = {{ kind = \"alert\", score_min = {low:.6}, score_max = {:.6} }}\nqueue = \"crisis\"\n",
            low + 0.001
        ));
    }
    text.push_str(
        "\n[[route.routes]]\nname = \"last\"\nmatch = { kind = \"alert\", score_min = 99 }\nqueue = \"crisis\"\n",
    );
    text
}

fn rules_bench(routes: usize) -> Result<RulesBench, Error> {
    let text = many_routes(routes);
    let started = Instant::now();
    let rules = Rules::parse("bench-routing.toml", &text).map_err(|e| Error::CheckFailed(e.to_string()))?;
    let parse_ms = started.elapsed().as_secs_f64() * 1000.0;
    let facts = Facts {
        kind: SignalKind::Alert,
        region: Some("OH".into()),
        level: Some("critical".into()),
        patterns: vec!["threats_to_kill".into()],
        score: Some(99.5),
        score_change: Some(3.0),
        scenario: None,
        drill: false,
    };
    let evaluations = 1_000;
    let started = Instant::now();
    let mut landed = 0;
    for _ in 0..evaluations {
        landed += rules.route(std::hint::black_box(&facts)).len();
    }
    let seconds = started.elapsed().as_secs_f64();
    if landed != evaluations {
        return Err(Error::CheckFailed(format!(
            "the benchmark's alert landed in {landed} routes over {evaluations} evaluations"
        )));
    }
    Ok(RulesBench { routes, parse_ms, evaluations, microseconds_per_alert: seconds * 1e6 / evaluations as f64 })
}

pub fn run(args: BenchHandoffArgs, out: &mut dyn Write) -> Result<(), Error> {
    let dir = std::env::temp_dir().join(format!("safehaven-bench-handoff-{}", std::process::id()));
    let result = measure(&dir, &args);
    let _ = std::fs::remove_dir_all(&dir);
    let result = result?;
    if args.json {
        return super::super::print_json(out, &result);
    }
    let (o, w, r) = (&result.outbox, &result.webhooks, &result.rules);
    writeln!(
        out,
        "outbox: {} events appended, one transaction each: {:.0} events/s ({:.2} s)",
        o.events, o.append_events_per_second, o.append_seconds
    )?;
    writeln!(
        out,
        "files:  {} events into Case.csv and Task.csv: {:.0} events/s ({:.3} s, Case.csv {} bytes)",
        o.events, o.export_events_per_second, o.export_seconds, o.case_csv_bytes
    )?;
    writeln!(
        out,
        "webhooks: {} events through the delivery worker to 127.0.0.1: {:.0} events/s ({:.2} s)",
        w.events, w.events_per_second, w.seconds
    )?;
    writeln!(
        out,
        "latency: alert opened → webhook received, {} one at a time: p50 {:.2} ms, p95 {:.2} ms",
        w.latency_samples, w.latency_p50_ms, w.latency_p95_ms
    )?;
    writeln!(
        out,
        "rules: {} routes parsed in {:.0} ms; one alert through all of them: {:.1} µs",
        r.routes, r.parse_ms, r.microseconds_per_alert
    )?;
    Ok(())
}

fn measure(dir: &std::path::Path, args: &BenchHandoffArgs) -> Result<HandoffBench, Error> {
    use crate::privacy::masked::Masker;
    let options = crate::warehouse::SeedOptions {
        params: crate::synth::Params { customers: 200, seed: 1 },
        threads: 2,
        force: true,
        progress: false,
    };
    let identity = crate::privacy::keys::NewIdentity::generate();
    let report = crate::warehouse::seed_sealed(dir, &options, &identity.recipient(), &Masker::from_key([9; 32]))?;
    let rules = rules_bench(10_000)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let receiver = bench::Receiver::start().await?;
        let allowed = crate::egress::AllowedNetworks::default();
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).unwrap_or_default();
        let webhook = crate::config::Webhook {
            name: "bench".into(),
            target: crate::egress::WebhookTarget::new("bench", &receiver.url, &allowed).map_err(Error::Usage)?,
            secret: crate::handoff::webhook::Secret::from_bytes(key),
            queues: None,
            schedule: crate::handoff::webhook::Schedule::default(),
            timeout: std::time::Duration::from_secs(10),
        };
        let make_state = |sub: &str| -> Result<_, Error> {
            let data = dir.join(sub);
            std::fs::create_dir_all(&data)?;
            let warehouse = crate::warehouse::Warehouse::open_read_only(&report.path)?;
            let service = crate::warehouse::service::Service::open(&data)?;
            let state = crate::server::AppState::new(
                warehouse,
                service,
                crate::privacy::KGuard::default(),
                &data,
                Masker::from_key([9; 32]),
                None,
                crate::server::Analytics::Unavailable("a benchmark".into()),
            );
            Ok(state)
        };
        let files = make_state("files")?;
        let outbox = bench::outbox(&files, args.events as usize).await.map_err(|e| Error::CheckFailed(e.message()))?;
        let rules_only = crate::handoff::rules::Rules::builtin();
        let handoff = crate::server::Handoff::new(rules_only, vec![webhook], Default::default());
        let hooks = make_state("webhooks")?.with_handoff(handoff);
        let webhooks = bench::deliveries(&hooks, &receiver, args.events as usize, args.samples as usize)
            .await
            .map_err(|e| Error::CheckFailed(e.message()))?;
        Ok(HandoffBench { outbox, webhooks, rules })
    })
}
