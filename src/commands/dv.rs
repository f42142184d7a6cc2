//! `safehaven assess`: DV lethality assessments of one survivor or all, synthetic and API ones.

use super::{open, print_json};
use crate::dv;
use crate::error::Error;
use crate::privacy::KGuard;
use crate::privacy::masked::{Domain, Masker};
use crate::text::thousands;
use crate::warehouse;
use std::io::Write;

pub fn assess(args: crate::cli::AssessArgs, out: &mut dyn Write) -> Result<(), Error> {
    use rayon::prelude::*;
    let warehouse = open(&args.data_dir.data_dir)?;
    let as_of = match args.as_of {
        Some(date) => date,
        None => warehouse
            .generation()?
            .observation_date
            .parse()
            .map_err(|_| Error::Usage("warehouse has no observation date: pass --as-of".into()))?,
    };
    let data_dir = &args.data_dir.data_dir;
    let started = std::time::Instant::now();
    // Survivors created through the API live in the service database, which a running server holds.
    let service = warehouse::service::Service::open_read_only(data_dir);
    // Synthetic survivors are assessed as of the warehouse's observation date, API survivors as of today
    // (as the server does), unless --as-of says otherwise.
    let api_as_of = args.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let mut api_ids = std::collections::HashSet::new();
    let cases = match &args.user_id {
        Some(user) => {
            let external =
                Masker::load_or_create(data_dir)?.mask(Domain::ExternalUser, user.trim().as_bytes(), 0).to_string();
            let api_case = match &service {
                Ok(Some(service)) => service.dv_case(&external)?,
                _ => None,
            };
            match api_case {
                Some(case) => {
                    api_ids.insert(case.0.clone());
                    vec![case]
                }
                None => {
                    let synthetic = user.parse::<crate::privacy::masked::MaskedId>().ok().map(|m| m.to_string());
                    let cases = match &synthetic {
                        Some(id) => warehouse.dv_cases(Some(id))?,
                        None => Vec::new(),
                    };
                    if cases.is_empty() {
                        if let Err(busy) = service {
                            return Err(Error::Usage(format!(
                                "{user} is not a synthetic survivor, and API survivors cannot be read now: {busy}; or use POST /api/v1/risk-assessment/create"
                            )));
                        }
                        return Err(Error::NotFound(format!("no survivor with userId {user}")));
                    }
                    cases
                }
            }
        }
        None => {
            let mut cases = warehouse.dv_cases(None)?;
            match service {
                Ok(Some(service)) => {
                    let api = service.dv_cases()?;
                    api_ids.extend(api.iter().map(|c| c.0.clone()));
                    cases.extend(api);
                }
                Ok(None) => {}
                Err(busy) => eprintln!("API survivors are not included: {busy}"),
            }
            cases
        }
    };
    let assessed: Vec<(String, dv::Assessment)> = cases
        .par_iter()
        .map(|(id, profile, incidents)| {
            let day = if api_ids.contains(id) { api_as_of } else { as_of };
            (id.clone(), dv::assess(profile, incidents, day))
        })
        .collect();
    let elapsed = started.elapsed();
    if args.json {
        let docs: Vec<serde_json::Value> = assessed
            .iter()
            .map(|(id, a)| {
                let guidance = dv::guidance::guidance(a, dv::guidance::Locale::default());
                serde_json::json!({ "maskedId": id, "level": a.level, "assessment": a, "guidance": guidance })
            })
            .collect();
        let doc = if args.all { serde_json::Value::Array(docs) } else { docs.into_iter().next().unwrap_or_default() };
        print_json(out, &doc)?;
        return Ok(());
    }
    if !args.all {
        let (id, a) = &assessed[0];
        return print_assessment(out, id, a);
    }
    // Counts by level leave through the k-anonymity guard like every other aggregate.
    let levels = [dv::Level::Critical, dv::Level::High, dv::Level::Moderate, dv::Level::Low];
    let counts = KGuard::default().counts(
        levels.iter().map(|l| (l.name(), assessed.iter().filter(|(_, a)| a.level == *l).count() as u64)).collect(),
    );
    let shown: Vec<String> = counts
        .cells
        .iter()
        .map(|c| format!("{} {}", c.label, c.count.map_or_else(|| "suppressed".to_owned(), thousands)))
        .collect();
    writeln!(
        out,
        "assessed {} survivors as of {as_of} in {} ms: {}",
        thousands(assessed.len() as u64),
        elapsed.as_millis(),
        shown.join(", ")
    )?;
    let mut top: Vec<&(String, dv::Assessment)> = assessed.iter().collect();
    top.sort_by(|a, b| b.1.scores.overall.total_cmp(&a.1.scores.overall).then(a.0.cmp(&b.0)));
    writeln!(out, "\nhighest scores:")?;
    for (id, a) in top.into_iter().take(10) {
        let patterns: Vec<&str> = a.patterns.iter().map(|p| p.pattern.name()).collect();
        writeln!(out, "  {id}  {:>6.2}  {:<9} {}", a.scores.overall, a.level.name(), patterns.join(", "))?;
    }
    Ok(())
}

fn print_assessment(out: &mut dyn Write, id: &str, a: &dv::Assessment) -> Result<(), Error> {
    let s = &a.scores;
    writeln!(out, "survivor     {id} (as of {})", a.as_of)?;
    writeln!(out, "level        {} (overall {:.2})", a.level.name(), s.overall)?;
    writeln!(
        out,
        "components   lethality {}, frequency {}, escalation {}, isolation {}",
        s.lethality, s.frequency, s.escalation, s.isolation
    )?;
    let st = &a.statistics;
    writeln!(
        out,
        "incidents    {} in all, {} in 30 days, {} in 90 days, last {} days ago",
        st.total_incidents,
        st.incidents_last_30_days,
        st.incidents_last_90_days,
        st.days_since_last_incident.map_or_else(|| "-".into(), |d| d.to_string())
    )?;
    writeln!(out, "confidence   {} / 100 (tables {})", a.confidence, a.tables_version)?;
    for p in &a.patterns {
        let evidence: Vec<String> = p.evidence.iter().map(|e| e.to_string()).collect();
        writeln!(out, "pattern      {}: {} (incidents {})", p.pattern.name(), p.rule, evidence.join(", "))?;
    }
    let g = dv::guidance::guidance(a, dv::guidance::Locale::default());
    writeln!(out, "\n{}\n", g.summary)?;
    for (n, r) in g.recommendations.iter().enumerate() {
        writeln!(out, "{}. {r}", n + 1)?;
    }
    writeln!(out)?;
    for r in &g.crisis_resources {
        writeln!(out, "{}: {} ({}), {}", r.name, r.contact, r.hours, r.description)?;
    }
    Ok(())
}
