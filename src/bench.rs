//! `safehaven bench`: measurements printed for people (or as JSON), never asserted in tests.

use crate::charts::thousands;
use crate::synth::Params;
use crate::warehouse::{self, SeedOptions};
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
}

/// Seeds a throw-away warehouse in a temporary directory and measures it.
pub fn seed(params: Params, threads: usize) -> Result<SeedBench, warehouse::Error> {
    let dir = std::env::temp_dir().join(format!("safehaven-bench-{}", std::process::id()));
    let options = SeedOptions {
        params,
        threads,
        force: true,
        progress: false,
    };
    let report = warehouse::seed(&dir, &options);
    let _ = std::fs::remove_dir_all(&dir);
    let report = report?;
    let wall = report.elapsed.as_secs_f64();
    Ok(SeedBench {
        customers: params.customers,
        threads,
        rows: report.rows(),
        wall_seconds: wall,
        rows_per_second: report.rows() as f64 / wall.max(1e-9),
        peak_rss_mib: peak_rss_mib(),
    })
}

impl SeedBench {
    pub fn print(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "customers     {}", thousands(self.customers))?;
        writeln!(out, "threads       {}", self.threads)?;
        writeln!(out, "rows          {}", thousands(self.rows))?;
        writeln!(out, "wall time     {:.2} s", self.wall_seconds)?;
        writeln!(
            out,
            "throughput    {} rows/s",
            thousands(self.rows_per_second.round() as u64)
        )?;
        match self.peak_rss_mib {
            Some(mib) => writeln!(out, "peak RSS      {mib:.0} MiB"),
            None => writeln!(out, "peak RSS      unavailable on this platform"),
        }
    }
}

/// Peak resident set size of this process (Linux `VmHWM`).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
