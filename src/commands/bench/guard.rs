//! `safehaven bench guard`: what the k-guard's derived-cell rule costs a user (the figures it withholds that a
//! group-size rule alone showed) and what it costs the server (the executive view's compute time, uncached); and
//! the same view under differential privacy: its compute time and how wide its noise is.

use super::percentile;
use crate::analytics::{Executive, Filter};
use crate::catalog::REGIONS;
use crate::commands::{MODEL_FILE, load_model};
use crate::error::Error;
use crate::privacy::KGuard;
use crate::warehouse::{self, Warehouse};
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// What the rule withholds at one threshold, in the unfiltered executive view.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Withheld {
    pub threshold: f64,
    /// Regions and credit groups whose size shows but whose high-risk share is withheld.
    pub shares: usize,
    /// Of those, the ones that would have shown 1..k−1 people (share × size, or the rest) themselves.
    pub small_cells: usize,
    /// Shares shown.
    pub shares_shown: usize,
    /// KPI changes withheld (of the high-risk count and share).
    pub changes: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardBench {
    pub people: u64,
    pub k: u64,
    pub withheld: Vec<Withheld>,
    /// The unfiltered executive view, computed afresh at 41 thresholds (0.10, 0.11, …, 0.50).
    pub unfiltered_p50_ms: f64,
    pub unfiltered_p95_ms: f64,
    /// Filtered to one region (which also consults the unfiltered view, cached), at the same thresholds.
    pub filtered_p50_ms: f64,
    pub filtered_p95_ms: f64,
    pub dp: DpBench,
}

/// The executive view under differential privacy at the default release cost, threshold 0.3.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DpBench {
    pub epsilon: f64,
    /// The noisy view computed afresh for 41 release seeds.
    pub p50_ms: f64,
    pub p95_ms: f64,
    /// 95 % half-widths, in people: the headline count, one region's, one credit group's, one month's trend count.
    pub headline_people: f64,
    pub region_people: f64,
    pub credit_group_people: f64,
    pub trend_count: f64,
    /// Regions whose count shows: exactly, and on average over the noisy releases.
    pub regions_shown_exact: usize,
    pub regions_shown_noisy: f64,
}

fn usage(e: crate::analytics::Error) -> Error {
    Error::Usage(e.to_string())
}

fn withheld(view: &Executive, threshold: f64) -> Withheld {
    let mut out = Withheld { threshold, shares: 0, small_cells: 0, shares_shown: 0, changes: 0 };
    let rows = view.regions.iter().map(|g| (g.count, g.stats.as_ref().map(|s| s.high_risk_share)));
    let rows = rows.chain(view.credit_groups.iter().map(|g| (g.count, g.stats.as_ref().map(|s| s.high_risk_share))));
    for (count, share) in rows {
        let (Some(n), Some(share)) = (count, share) else { continue };
        if share.is_shown() {
            out.shares_shown += 1;
        } else if n > 0 {
            out.shares += 1;
        }
    }
    let k = &view.kpis;
    out.changes = [&k.high_risk_count, &k.high_risk_share]
        .iter()
        .flat_map(|kpi| [kpi.change_3m, kpi.change_12m])
        .filter(|c| !c.is_shown())
        .count();
    out
}

pub fn run(data_dir: &Path) -> Result<GuardBench, Error> {
    let warehouse = Warehouse::open_read_only(&warehouse::path_in(data_dir))?;
    let artifact = load_model(&data_dir.join(MODEL_FILE))?;
    let started = Instant::now();
    let portfolio = warehouse.portfolio(artifact)?;
    eprintln!("portfolio of {} people loaded in {:.1} s", portfolio.len(), started.elapsed().as_secs_f64());
    let guard = KGuard::default();
    // Small cells a group-size rule alone would have shown: counted with k = 2 (which shows nearly everything).
    let loose = KGuard::new(2).expect("2 is a valid k");
    let mut withheld_at = Vec::new();
    for t in [0.1, 0.2, 0.3, 0.4, 0.5] {
        let view = portfolio.executive(t, Filter::default(), &guard).map_err(usage)?;
        let mut row = withheld(&view, t);
        let open = portfolio.executive(t, Filter::default(), &loose).map_err(usage)?;
        let groups = open.regions.iter().map(|g| (g.count, g.stats.as_ref().and_then(|s| s.high_risk_share.get())));
        let groups = groups.chain(
            open.credit_groups.iter().map(|g| (g.count, g.stats.as_ref().and_then(|s| s.high_risk_share.get()))),
        );
        row.small_cells = groups
            .filter_map(|(n, s)| Some((n?, s?)))
            .filter(|&(n, _)| guard.shows(n))
            .filter(|&(n, s)| {
                let h = (s * n as f64).round() as u64;
                !guard.shows(h) || !guard.shows(n - h)
            })
            .count();
        withheld_at.push(row);
    }
    let thresholds: Vec<f64> = (10..=50).map(|t| f64::from(t) / 100.0 + 0.000_1).collect();
    let time = |filter: Filter| -> Result<Vec<f64>, Error> {
        thresholds
            .iter()
            .map(|&t| {
                let started = Instant::now();
                portfolio.executive(t, filter, &guard).map_err(usage)?;
                Ok(started.elapsed().as_secs_f64() * 1000.0)
            })
            .collect()
    };
    let unfiltered = time(Filter::default())?;
    let region = REGIONS.iter().position(|r| r.code == "TX").unwrap_or(0);
    let filtered = time(portfolio.filter(Some(REGIONS[region].code), None, None).map_err(usage)?)?;
    let dp = dp_bench(&portfolio, &guard)?;
    Ok(GuardBench {
        people: portfolio.len() as u64,
        k: guard.k(),
        withheld: withheld_at,
        unfiltered_p50_ms: percentile(unfiltered.clone(), 0.5),
        unfiltered_p95_ms: percentile(unfiltered, 0.95),
        filtered_p50_ms: percentile(filtered.clone(), 0.5),
        filtered_p95_ms: percentile(filtered, 0.95),
        dp,
    })
}

fn dp_bench(portfolio: &crate::analytics::Portfolio, guard: &KGuard) -> Result<DpBench, Error> {
    let epsilon = crate::privacy::dp::DEFAULT_EPSILON_PER_RELEASE;
    let shown = |view: &Executive| view.regions.iter().filter(|g| g.count.is_some()).count();
    let exact = portfolio.executive(0.3, Filter::default(), guard).map_err(usage)?;
    let (mut ms, mut noisy_shown, mut release) = (Vec::new(), 0usize, None);
    for s in 0..41u8 {
        let started = Instant::now();
        let view = portfolio.executive_dp(0.3, Filter::default(), guard, [s; 32], epsilon).map_err(usage)?;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
        noisy_shown += shown(&view);
        release = view.dp.clone();
    }
    let release = release.expect("a noisy view states its noise");
    Ok(DpBench {
        epsilon,
        p50_ms: percentile(ms.clone(), 0.5),
        p95_ms: percentile(ms, 0.95),
        headline_people: release.kpis.people,
        region_people: release.regions.people,
        credit_group_people: release.credit_groups.people,
        trend_count: release.trend_count,
        regions_shown_exact: shown(&exact),
        regions_shown_noisy: noisy_shown as f64 / 41.0,
    })
}

impl GuardBench {
    pub fn print(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "people        {} (k = {})", crate::text::thousands(self.people), self.k)?;
        writeln!(out, "threshold  shares shown  withheld  of which small cells  KPI changes withheld")?;
        for w in &self.withheld {
            writeln!(
                out,
                "  {:.1}       {:>5}        {:>5}     {:>5}                 {:>3}",
                w.threshold, w.shares_shown, w.shares, w.small_cells, w.changes
            )?;
        }
        writeln!(
            out,
            "executive     p50 {:.2} ms, p95 {:.2} ms (unfiltered, uncached)",
            self.unfiltered_p50_ms, self.unfiltered_p95_ms
        )?;
        writeln!(
            out,
            "filtered      p50 {:.2} ms, p95 {:.2} ms (one region, uncached)",
            self.filtered_p50_ms, self.filtered_p95_ms
        )?;
        let dp = &self.dp;
        writeln!(
            out,
            "dp (ε {})    p50 {:.2} ms, p95 {:.2} ms (unfiltered, a new release each time)",
            dp.epsilon, dp.p50_ms, dp.p95_ms
        )?;
        writeln!(
            out,
            "dp 95 % ±     headline people {:.0}, a region {:.0}, a credit group {:.0}, a month's trend count {:.0}",
            dp.headline_people, dp.region_people, dp.credit_group_people, dp.trend_count
        )?;
        writeln!(
            out,
            "dp regions    {} of {} shown exactly, {:.1} on average when noisy",
            dp.regions_shown_exact,
            REGIONS.len(),
            dp.regions_shown_noisy
        )
    }
}
