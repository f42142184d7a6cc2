//! `ask` and `brief`: the offline analyst on the command line. The CLI is the operator's, with the administrator's
//! view of every figure (and, like every CLI read, outside the differential-privacy budget); the figures still
//! pass the k-anonymity guard.

use super::{guard, load_model, open, print_json};
use crate::analyst::{self, Answer, Context, DvCounts, Plan, ScenarioRun};
use crate::analytics::{Filter, Portfolio};
use crate::cli::{AskArgs, BriefArgs, GuardArgs, ModelArg};
use crate::error::Error;
use crate::privacy::KGuard;
use crate::privacy::roles::Role;
use crate::warehouse::chaos_runs::ChaosRuns;
use std::io::Write;
use std::path::Path;

/// What a question or the brief runs on.
struct Loaded {
    portfolio: Portfolio,
    guard: KGuard,
    observation_date: String,
}

impl Loaded {
    /// The analyst's context for the operator: every figure an administrator may see, exact (the CLI is not
    /// budgeted), through the guard.
    fn context<'a>(
        &'a self,
        executive: &'a analyst::Views<'a>,
        scenarios: &'a [ScenarioRun],
        dv: Option<&'a DvCounts>,
    ) -> Context<'a> {
        Context {
            portfolio: &self.portfolio,
            guard: self.guard,
            role: Role::Admin,
            executive,
            scenarios,
            dv,
            noisy: false,
        }
    }
}

fn load(data_dir: &Path, model: &ModelArg, guard_args: &GuardArgs) -> Result<Loaded, Error> {
    let guard = guard(data_dir, guard_args)?;
    let path = model.model.clone().unwrap_or_else(|| data_dir.join(super::MODEL_FILE));
    let artifact = load_model(&path)?;
    let warehouse = open(data_dir)?;
    let observation_date = warehouse.observation_date()?.to_string();
    let portfolio = warehouse.portfolio(artifact)?;
    Ok(Loaded { portfolio, guard, observation_date })
}

pub(super) fn scenario_runs(data_dir: &Path) -> Result<Vec<ScenarioRun>, Error> {
    if !data_dir.join(crate::warehouse::chaos_runs::FILE_NAME).exists() {
        return Ok(Vec::new());
    }
    ChaosRuns::with(data_dir, |store| Ok(store.scenario_runs()?))
}

pub(super) fn dv_counts(data_dir: &Path, as_of: &str) -> Result<DvCounts, Error> {
    use rayon::prelude::*;
    let date: chrono::NaiveDate =
        as_of.parse().map_err(|_| Error::Usage(format!("the warehouse's observation date `{as_of}` is not a date")))?;
    let cases = open(data_dir)?.dv_cases(None)?;
    let assessed: Vec<crate::dv::Assessment> =
        cases.into_par_iter().map(|(_, profile, incidents)| crate::dv::assess(&profile, &incidents, date)).collect();
    Ok(DvCounts::of(as_of.to_owned(), assessed.iter()))
}

/// A previous answer's plan, from `ask --json` output or a plan on its own; `None` for an answer that had none (a
/// refusal, or a clarifying question): the question is then asked afresh.
fn previous_plan(path: &Path) -> Result<Option<Plan>, Error> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::Usage(format!("cannot read {}: {e}", path.display())))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Error::Usage(format!("{}: not JSON ({e}); pass the output of `safehaven ask --json`", path.display()))
    })?;
    let plan = if value.get("intent").is_some() { &value } else { value.get("plan").unwrap_or(&value) };
    if plan.is_null() {
        return Ok(None);
    }
    Plan::from_json(plan, analyst::Semantic::embedded())
        .map(Some)
        .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))
}

fn suggestions(out: &mut dyn Write, json: bool) -> Result<(), Error> {
    let list = analyst::verified();
    if json {
        return print_json(out, &list);
    }
    let mut topic = "";
    for v in list.iter().filter(|v| v.onboarding).chain(list.iter().filter(|v| !v.onboarding)) {
        if v.topic != topic {
            topic = &v.topic;
            writeln!(out, "\n{topic}:")?;
        }
        writeln!(out, "  {}", v.question)?;
    }
    Ok(())
}

pub fn ask(args: AskArgs, out: &mut dyn Write) -> Result<(), Error> {
    let Some(question) = args.question.as_deref().filter(|_| !args.suggestions) else {
        return suggestions(out, args.json);
    };
    analyst::check_question(question).map_err(Error::Usage)?;
    let previous = args.previous.as_deref().map(previous_plan).transpose()?.flatten();
    let data_dir = &args.data_dir.data_dir;
    let llm = crate::config::Appliance::load(data_dir)?
        .llm_endpoint(args.llm.llm_endpoint.as_deref())
        .map_err(Error::Usage)?;
    let loaded = load(data_dir, &args.model, &args.guard)?;
    let calendar = analyst::Calendar { months: loaded.portfolio.months() };
    let parsed = analyst::parse(question, previous.as_ref(), &calendar);
    let plan = match &parsed.outcome {
        analyst::Outcome::Answer(plan) => Some(plan),
        _ => None,
    };
    let model = analyst::Semantic::embedded();
    let scenarios = if plan.is_some_and(|p| p.intent == analyst::Intent::CompareScenario) {
        scenario_runs(data_dir)?
    } else {
        Vec::new()
    };
    let wants_dv = plan.is_some_and(|p| p.metrics.iter().filter_map(|m| model.metric(m)).any(|m| m.population == "dv"));
    let dv = if wants_dv { Some(dv_counts(data_dir, &loaded.observation_date)?) } else { None };
    let executive = |t: f64, f: Filter| loaded.portfolio.executive(t, f, &loaded.guard);
    let ctx = loaded.context(&executive, &scenarios, dv.as_ref());
    let mut answer = analyst::respond(question, parsed, &ctx)?;
    if let (Some(llm), "answer") = (&llm, answer.outcome) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let reply = runtime.block_on(llm.complete(
            analyst::reword::SYSTEM,
            &analyst::reword::prompt(&answer),
            analyst::reword::TIMEOUT,
        ));
        analyst::apply_rewording(&mut answer, reply);
    }
    if let (Some(path), Some(chart)) = (&args.chart, &answer.chart) {
        std::fs::write(path, crate::charts::analyst::answer_chart(chart))
            .map_err(|e| Error::Usage(format!("cannot write {}: {e}", path.display())))?;
    }
    if args.json {
        return print_json(out, &answer);
    }
    print_answer(out, &answer)
}

fn print_answer(out: &mut dyn Write, a: &Answer) -> Result<(), Error> {
    if !a.interpretation.is_empty() {
        writeln!(out, "Q: {}", a.interpretation)?;
    }
    writeln!(out, "{}", a.text)?;
    for (i, o) in a.options.iter().enumerate() {
        writeln!(out, "  {}. {}", i + 1, o.question)?;
    }
    if let Some(table) = &a.table {
        writeln!(out)?;
        let cells = &table.display;
        let widths: Vec<usize> = (0..table.columns.len())
            .map(|c| {
                cells
                    .iter()
                    .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                    .chain([table.columns[c].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |row: &[String]| -> String {
            row.iter()
                .zip(&widths)
                .map(|(s, w)| format!("{s:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        };
        writeln!(out, "{}", line(&table.columns))?;
        for row in cells {
            writeln!(out, "{}", line(row))?;
        }
    }
    if let Some(sql) = &a.sql {
        writeln!(out, "\nSQL: {sql}")?;
        writeln!(out, "  parameters: {}", serde_json::Value::Array(a.sql_parameters.clone()))?;
        if let Some(note) = &a.sql_note {
            writeln!(out, "  note: {note}")?;
        }
    }
    if let Some(link) = &a.link {
        writeln!(out, "\nDashboard: {link}")?;
    }
    for w in &a.warnings {
        writeln!(out, "Note: {w}")?;
    }
    if !a.suggestions.is_empty() {
        writeln!(out, "Next: {}", a.suggestions.join(" · "))?;
    }
    Ok(())
}

pub fn brief(args: BriefArgs, out: &mut dyn Write) -> Result<(), Error> {
    let data_dir = &args.data_dir.data_dir;
    let loaded = load(data_dir, &args.model, &args.guard)?;
    let scenarios = scenario_runs(data_dir)?;
    let dv = dv_counts(data_dir, &loaded.observation_date)?;
    let executive = |t: f64, f: Filter| loaded.portfolio.executive(t, f, &loaded.guard);
    let ctx = loaded.context(&executive, &scenarios, Some(&dv));
    let brief = analyst::brief(&ctx, &loaded.observation_date)?;
    if let Some(path) = &args.out {
        std::fs::write(path, crate::charts::analyst::brief_html(&brief))
            .map_err(|e| Error::Usage(format!("cannot write {}: {e}", path.display())))?;
        if !args.json {
            writeln!(out, "wrote {}", path.display())?;
        }
    }
    if args.json {
        return print_json(out, &brief);
    }
    if args.out.is_none() {
        writeln!(out, "{} — as of {} (model {})", brief.title, brief.as_of, brief.model_version)?;
        for line in &brief.lines {
            writeln!(out, "- {} [{}]", line.text, line.link)?;
        }
    }
    Ok(())
}
