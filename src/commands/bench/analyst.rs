//! `safehaven bench analyst`: question → answer and the executive brief on a data dir's portfolio (it needs a
//! trained model), timed per question; and the verified set's score: how many questions and paraphrases parse to
//! their plans, and how many of them the analyst answers, clarifies and refuses.

use super::percentile;
use crate::analyst::{self, Context, Outcome};
use crate::analytics::Filter;
use crate::commands::{MODEL_FILE, load_model};
use crate::error::Error;
use crate::privacy::KGuard;
use crate::privacy::roles::Role;
use crate::warehouse::{self, Warehouse};
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalystBench {
    pub people: u64,
    pub load_seconds: f64,
    /// Verified questions and paraphrases asked.
    pub questions: usize,
    /// Of those, parsed to exactly their verified plan.
    pub parsed_to_plan: usize,
    pub answered: usize,
    pub clarified: usize,
    pub refused: usize,
    /// The first round: every executive view a question reads is computed then (the dashboard's cache is empty).
    pub first_p50_ms: f64,
    pub first_p95_ms: f64,
    pub first_max_ms: f64,
    /// Later rounds (views cached, as on a serving dashboard).
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    pub brief_p50_ms: f64,
    pub brief_p95_ms: f64,
    /// The five slowest questions of the first round, with their milliseconds.
    pub slowest_first: Vec<(String, f64)>,
}

impl AnalystBench {
    pub fn print(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "analyst at {} people (portfolio loaded in {:.1} s)",
            crate::text::thousands(self.people),
            self.load_seconds
        )?;
        writeln!(
            out,
            "verified set: {} questions and paraphrases, {} parse to their plans; {} answered, {} clarified, {} refused",
            self.questions, self.parsed_to_plan, self.answered, self.clarified, self.refused
        )?;
        writeln!(
            out,
            "question → answer, first round: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
            self.first_p50_ms, self.first_p95_ms, self.first_max_ms
        )?;
        writeln!(
            out,
            "question → answer, later rounds: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
            self.p50_ms, self.p95_ms, self.max_ms
        )?;
        writeln!(out, "brief: p50 {:.2} ms, p95 {:.2} ms", self.brief_p50_ms, self.brief_p95_ms)?;
        for (q, ms) in &self.slowest_first {
            writeln!(out, "  slowest first asks: {ms:.1} ms  {q}")?;
        }
        Ok(())
    }
}

pub fn run(data_dir: &Path) -> Result<AnalystBench, Error> {
    let started = Instant::now();
    let artifact = load_model(&data_dir.join(MODEL_FILE))?;
    let warehouse = Warehouse::open_read_only(&warehouse::path_in(data_dir))?;
    let as_of = warehouse.observation_date()?.to_string();
    let portfolio = warehouse.portfolio(artifact)?;
    let load_seconds = started.elapsed().as_secs_f64();
    let guard = KGuard::default();
    let scenarios = crate::commands::analyst::scenario_runs(data_dir)?;
    let dv = crate::commands::analyst::dv_counts(data_dir, &as_of)?;
    let executive = |t: f64, f: Filter| portfolio.executive(t, f, &guard);
    let ctx = Context {
        portfolio: &portfolio,
        guard,
        role: Role::Admin,
        executive: &executive,
        scenarios: &scenarios,
        dv: Some(&dv),
        noisy: false,
    };
    let questions: Vec<(&str, &analyst::Plan)> = analyst::verified()
        .iter()
        .flat_map(|v| {
            std::iter::once(v.question.as_str())
                .chain(v.paraphrases.iter().map(String::as_str))
                .map(move |q| (q, &v.plan))
        })
        .collect();
    let calendar = analyst::Calendar { months: portfolio.months() };
    let parsed_to_plan = questions
        .iter()
        .filter(|(q, plan)| matches!(analyst::parse(q, None, &calendar).outcome, Outcome::Answer(p) if p == **plan))
        .count();
    let (mut answered, mut clarified, mut refused) = (0, 0, 0);
    let mut first = Vec::new();
    let mut later = Vec::new();
    let mut slowest: Vec<(String, f64)> = Vec::new();
    for round in 0..4 {
        for (q, _) in &questions {
            let t = Instant::now();
            let answer = analyst::ask(q, None, &ctx)?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            if round == 0 {
                slowest.push((q.to_string(), ms));
                first.push(ms);
                match answer.outcome {
                    "answer" => answered += 1,
                    "clarify" => clarified += 1,
                    _ => refused += 1,
                }
            } else {
                later.push(ms);
            }
        }
    }
    let mut brief = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        analyst::brief(&ctx, &as_of)?;
        brief.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    slowest.sort_by(|a, b| b.1.total_cmp(&a.1));
    slowest.truncate(5);
    Ok(AnalystBench {
        people: portfolio.len() as u64,
        load_seconds,
        questions: questions.len(),
        parsed_to_plan,
        answered,
        clarified,
        refused,
        first_p50_ms: percentile(first.clone(), 0.5),
        first_p95_ms: percentile(first.clone(), 0.95),
        first_max_ms: max(&first),
        p50_ms: percentile(later.clone(), 0.5),
        p95_ms: percentile(later.clone(), 0.95),
        max_ms: max(&later),
        brief_p50_ms: percentile(brief.clone(), 0.5),
        brief_p95_ms: percentile(brief, 0.95),
        slowest_first: slowest,
    })
}
