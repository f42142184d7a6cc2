//! What each command does: thin glue between the CLI and the modules.

use crate::charts::thousands;
use crate::cli::{BenchCommand, Cli, Command, ListenArgs, PopulationArgs};
use crate::error::Error;
use crate::privacy::KGuard;
use crate::synth::Params;
use crate::warehouse::{self, SeedOptions, Warehouse};
use crate::{bench, config, server};
use std::io::{IsTerminal, Write};
use std::path::Path;

/// Runs a parsed command, writing results to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<(), Error> {
    match cli.command {
        Command::Seed(args) => {
            let options = seed_options(&args.population, args.force);
            let report = warehouse::seed(&args.data_dir.data_dir, &options)?;
            writeln!(
                out,
                "seeded {} ({} rows) in {:.1} s",
                report.path.display(),
                thousands(report.rows()),
                report.elapsed.as_secs_f64()
            )?;
            Ok(())
        }
        Command::Info(args) => {
            let warehouse =
                Warehouse::open_read_only(&warehouse::path_in(&args.data_dir.data_dir))?;
            let info = warehouse.info()?;
            if args.json {
                serde_json::to_writer_pretty(&mut *out, &info).map_err(std::io::Error::from)?;
                writeln!(out)?;
            } else {
                print_info(out, warehouse.path(), &info)?;
            }
            Ok(())
        }
        Command::Serve(args) => {
            let warehouse =
                Warehouse::open_read_only(&warehouse::path_in(&args.data_dir.data_dir))?;
            serve(warehouse, &args.listen, out)
        }
        Command::Demo(args) => {
            let data_dir = &args.data_dir.data_dir;
            let path = warehouse::path_in(data_dir);
            if !path.exists() {
                eprintln!(
                    "No warehouse in {}: seeding {} synthetic customers (seed {}); later runs reuse it.",
                    data_dir.display(),
                    thousands(args.population.customers),
                    args.population.seed
                );
                let report = warehouse::seed(data_dir, &seed_options(&args.population, false))?;
                eprintln!(
                    "Seeded {} rows in {:.1} s.",
                    thousands(report.rows()),
                    report.elapsed.as_secs_f64()
                );
            }
            let warehouse = Warehouse::open_read_only(&path)?;
            let generation = warehouse.generation()?;
            if generation.seed != args.population.seed
                || generation.customers != args.population.customers
            {
                eprintln!(
                    "Using the existing warehouse in {} (seed {}, {} customers); run `safehaven seed --force` to regenerate it.",
                    data_dir.display(),
                    generation.seed,
                    thousands(generation.customers)
                );
            }
            serve(warehouse, &args.listen, out)
        }
        Command::Export(args) => {
            let table = warehouse::export::exportable_table(&args.table)?;
            let warehouse =
                Warehouse::open_read_only(&warehouse::path_in(&args.data_dir.data_dir))?;
            let rows = warehouse::export(&warehouse, table, args.format, &args.out)?;
            writeln!(
                out,
                "wrote {} rows of {} to {}",
                thousands(rows),
                table,
                args.out.display()
            )?;
            Ok(())
        }
        Command::Bench(BenchCommand::Seed(args)) => {
            let options = seed_options(&args.population, true);
            let result = bench::seed(options.params, options.threads)?;
            if args.json {
                serde_json::to_writer_pretty(&mut *out, &result).map_err(std::io::Error::from)?;
                writeln!(out)?;
            } else {
                result.print(out)?;
            }
            Ok(())
        }
    }
}

fn seed_options(population: &PopulationArgs, force: bool) -> SeedOptions {
    SeedOptions {
        params: Params {
            customers: population.customers,
            seed: population.seed,
        },
        threads: population
            .threads
            .map_or_else(config::default_threads, |t| t as usize),
        force,
        progress: std::io::stderr().is_terminal(),
    }
}

fn serve(warehouse: Warehouse, listen: &ListenArgs, out: &mut dyn Write) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = server::bind(listen.bind, listen.port, listen.allow_remote).await?;
        let addr = listener.local_addr()?;
        writeln!(out, "SafeHaven is serving http://{addr}/ (Ctrl-C to stop)")?;
        out.flush()?;
        tracing::info!(%addr, warehouse = %warehouse.path().display(), "listening");
        server::serve(
            listener,
            server::AppState::new(warehouse, KGuard::default()),
        )
        .await?;
        Ok::<(), Error>(())
    })
}

fn print_info(out: &mut dyn Write, path: &Path, info: &warehouse::Info) -> std::io::Result<()> {
    let g = &info.generation;
    writeln!(out, "warehouse    {}", path.display())?;
    writeln!(
        out,
        "generated    seed {}, {} customers, {} survivors, observed {} (generator v{}, schema v{})",
        g.seed,
        thousands(g.customers),
        thousands(g.survivors),
        g.observation_date,
        g.generator_version,
        g.schema_version
    )?;
    writeln!(out, "fingerprint  {}", info.fingerprint)?;
    writeln!(out)?;
    writeln!(out, "{:<22}{:>14}", "table", "rows")?;
    for t in &info.tables {
        writeln!(out, "{:<22}{:>14}", t.name, thousands(t.rows))?;
    }
    Ok(())
}
