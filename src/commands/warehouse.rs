//! `safehaven info` and `safehaven export`: what the warehouse holds, and its non-sensitive tables written out.

use super::{open, print_json};
use crate::cli::{ExportArgs, InfoArgs};
use crate::error::Error;
use crate::text::thousands;
use crate::warehouse;
use std::io::Write;
use std::path::Path;

pub fn info(args: InfoArgs, out: &mut dyn Write) -> Result<(), Error> {
    let warehouse = open(&args.data_dir.data_dir)?;
    let info = warehouse.info()?;
    if args.json {
        print_json(out, &info)?;
    } else {
        print_info(out, warehouse.path(), &info)?;
    }
    Ok(())
}

pub fn export(args: ExportArgs, out: &mut dyn Write) -> Result<(), Error> {
    let table = warehouse::export::exportable_table(&args.table)?;
    let warehouse = open(&args.data_dir.data_dir)?;
    let rows = warehouse::export(&warehouse, table, args.format, &args.out)?;
    writeln!(out, "wrote {} rows of {} to {}", thousands(rows), table, args.out.display())?;
    Ok(())
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
