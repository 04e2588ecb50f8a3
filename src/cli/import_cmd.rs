//! `trawl import`: files into the store, with a report per file.

use super::{ImportArgs, StoreArg};
use crate::import::{ImportError, ImportOptions, import_file};
use crate::ingest::{Format, IngestReport};
use anyhow::{Result, bail};

pub fn run(args: &ImportArgs, store_arg: &StoreArg) -> Result<i32> {
    let format = match &args.format {
        None => None,
        Some(f) => match Format::from_flag(f) {
            Some(f) => Some(f),
            None => bail!("--format {f}: unknown format (known: otlp)"),
        },
    };
    let mut store = store_arg.open()?;
    let mut reports: Vec<IngestReport> = Vec::new();
    let mut strict_failed = false;
    for path in &args.sources {
        let opts = ImportOptions {
            strict: args.strict,
            format: format.clone(),
            on_progress: None,
        };
        match import_file(&mut store, path, opts) {
            Ok(r) => {
                if !args.json {
                    print_report(&r);
                }
                if args.strict && r.fatal.is_some() {
                    strict_failed = true;
                }
                reports.push(r);
            }
            Err(ImportError::Strict(msg)) => {
                eprintln!("{msg}");
                eprintln!(
                    "{}: --strict: import rolled back, nothing from this file was kept",
                    path.display()
                );
                strict_failed = true;
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let traces: u64 = reports.iter().map(|r| r.traces_new).sum();
    let spans: u64 = reports.iter().map(|r| r.spans_new).sum();
    let dups: u64 = reports.iter().map(|r| r.duplicates).sum();
    let bad: u64 = reports.iter().map(|r| r.bad_lines_total).sum();
    let ok_lines: u64 = reports.iter().map(|r| r.lines_ok).sum();
    if args.json {
        let out = serde_json::json!({
            "store": store_arg.path().display().to_string(),
            "traces_imported": traces,
            "spans_imported": spans,
            "duplicates_skipped": dups,
            "bad_lines": bad,
            "files": reports,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else if reports.len() > 1 {
        println!(
            "total: {traces} traces, {spans} spans imported, {dups} duplicates skipped, {bad} bad line{}",
            if bad == 1 { "" } else { "s" }
        );
    }
    if strict_failed {
        return Ok(1);
    }
    if args.strict && bad > 0 {
        return Ok(1);
    }
    if ok_lines == 0 {
        if !args.json {
            eprintln!("trawl: nothing could be imported");
        }
        return Ok(1);
    }
    Ok(0)
}

fn print_report(r: &IngestReport) {
    if let Some(f) = &r.fatal {
        eprintln!("{}: {}", r.file, f);
        return;
    }
    for b in &r.bad_lines {
        eprintln!("{}", crate::sanitize::clean_line(&b.to_string()));
    }
    if r.bad_lines_total > r.bad_lines.len() as u64 {
        eprintln!(
            "{}: … and {} more bad lines",
            r.file,
            r.bad_lines_total - r.bad_lines.len() as u64
        );
    }
    let mut line = format!(
        "{}: {} traces, {} spans imported, {} duplicates skipped",
        r.file, r.traces_new, r.spans_new, r.duplicates
    );
    if r.bad_lines_total > 0 {
        line.push_str(&format!(
            ", {} bad line{} skipped",
            r.bad_lines_total,
            if r.bad_lines_total == 1 { "" } else { "s" }
        ));
    }
    if r.traces_touched > r.traces_new {
        line.push_str(&format!(
            " ({} existing traces updated)",
            r.traces_touched - r.traces_new
        ));
    }
    println!("{line}");
}
