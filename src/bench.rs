//! `safehaven bench`: measurements printed for people (or as JSON), never asserted in tests.

use crate::charts::thousands;
use crate::privacy::masked::Masker;
use crate::privacy::{keys, reveal};
use crate::synth::Params;
use crate::warehouse::{self, SeedOptions, Warehouse};
use serde::Serialize;
use std::io::Write;

/// The result of `bench seed`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedBench {
    pub customers: u64,
    pub threads: usize,
    pub rows: u64,
    pub wall_seconds: f64,
    pub rows_per_second: f64,
    pub peak_rss_mib: Option<f64>,
    /// Worker seconds spent serialising and encrypting PII, summed over threads (divide by threads for wall).
    pub sealing_worker_seconds: f64,
    /// Sealed vault bytes per PII record (age header, JSON and all).
    pub vault_bytes_per_record: f64,
    /// Reveal of one record (lookup, decrypt its chunk, parse), over random masked IDs.
    pub reveal_mean_ms: f64,
    pub reveal_p95_ms: f64,
}

/// Seeds a throw-away warehouse in a temporary directory and measures it.
pub fn seed(params: Params, threads: usize) -> Result<SeedBench, warehouse::Error> {
    let dir = std::env::temp_dir().join(format!("safehaven-bench-{}", std::process::id()));
    let options = SeedOptions { params, threads, force: true, progress: false };
    // A throw-away identity and installation key: the timings include masking and sealing.
    let identity = keys::NewIdentity::generate();
    let started = std::time::Instant::now();
    let masker = Masker::from_key(rand_key());
    let report = crate::privacy::seed_sealed_with(&dir, &options, &identity.recipient(), &masker);
    let wall = started.elapsed().as_secs_f64();
    let measured = report.and_then(|report| {
        let warehouse = Warehouse::open_read_only(&report.path)?;
        let stats = warehouse.vault_stats()?;
        Ok((report, stats, time_reveals(&warehouse, &identity)?))
    });
    let _ = std::fs::remove_dir_all(&dir);
    let (report, stats, (reveal_mean_ms, reveal_p95_ms)) = measured?;
    Ok(SeedBench {
        customers: params.customers,
        threads,
        rows: report.rows(),
        wall_seconds: wall,
        rows_per_second: report.rows() as f64 / wall.max(1e-9),
        peak_rss_mib: peak_rss_mib(),
        sealing_worker_seconds: report.sealing.as_secs_f64(),
        vault_bytes_per_record: stats.bytes as f64 / stats.records.max(1) as f64,
        reveal_mean_ms,
        reveal_p95_ms,
    })
}

fn rand_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("the OS provides randomness");
    key
}

/// Reveals 50 people (the first by masked ID, so spread at random over the population); returns mean and
/// 95th-percentile milliseconds.
fn time_reveals(warehouse: &Warehouse, identity: &keys::NewIdentity) -> warehouse::Result<(f64, f64)> {
    let identity = identity.secret();
    let ids: Vec<String> = warehouse.people(50)?.into_iter().map(|p| p.masked_id).collect();
    let mut times: Vec<f64> = ids
        .iter()
        .filter_map(|id| id.parse().ok())
        .map(|id| {
            let started = std::time::Instant::now();
            let revealed = reveal::reveal(warehouse, identity, &id);
            let ms = started.elapsed().as_secs_f64() * 1e3;
            revealed.map(|_| ms).unwrap_or(f64::NAN)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    let p95 = times.get(times.len() * 95 / 100).copied().unwrap_or(f64::NAN);
    Ok((mean, p95))
}

impl SeedBench {
    pub fn print(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "customers     {}", thousands(self.customers))?;
        writeln!(out, "threads       {}", self.threads)?;
        writeln!(out, "rows          {}", thousands(self.rows))?;
        writeln!(out, "wall time     {:.2} s", self.wall_seconds)?;
        writeln!(out, "throughput    {} rows/s", thousands(self.rows_per_second.round() as u64))?;
        match self.peak_rss_mib {
            Some(mib) => writeln!(out, "peak RSS      {mib:.0} MiB"),
            None => writeln!(out, "peak RSS      unavailable on this platform"),
        }?;
        writeln!(
            out,
            "PII sealing   {:.2} worker-s (serialise + age encrypt, summed over threads)",
            self.sealing_worker_seconds
        )?;
        writeln!(out, "vault         {:.0} bytes per PII record", self.vault_bytes_per_record)?;
        writeln!(out, "reveal        {:.2} ms mean, {:.2} ms p95", self.reveal_mean_ms, self.reveal_p95_ms)
    }
}

/// Peak resident set size of this process (Linux `VmHWM`).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
