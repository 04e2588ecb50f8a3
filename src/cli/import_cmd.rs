//! `trawl import`: files into the store, with a report per file.

use crate::config::Config;
use crate::import::{ImportError, ImportOptions, follow_file, import_file};
use crate::ingest::detect::FORMAT_FLAGS;
use crate::ingest::{Format, IngestReport};
use anyhow::{Result, bail};
use clap::Args;
use std::path::PathBuf;

const EXAMPLES: &str = "Examples:
  trawl import traces.jsonl more/*.jsonl
  trawl import --store team.db --strict export.jsonl
  trawl import 'clickhouse://reader@ch:8123/otel?table=otel_traces' --since 2026-11-10 --until 2026-11-11
  trawl import 'clickhouses://reader@ch:8443/langfuse?schema=langfuse' --since 7d

A clickhouse:// (or TLS clickhouses://) source pulls whole traces whose root starts in the window
from the OpenTelemetry exporter's table (or Langfuse v3's tables); the filter flags become SQL
run in ClickHouse. The password comes from TRAWL_CLICKHOUSE_PASSWORD (or --password-env VAR);
one in the URL works but is warned about, and is never logged or stored. Pulling again is safe:
a span already in the store is kept once, so an interrupted pull resumes by running it again.

Prints traces and spans imported, duplicates skipped, and each bad line as file:line: reason.
Exit status: 0 when everything valid was imported (bad lines are skipped and reported),
1 when nothing could be imported or --strict met an error, 2 for usage errors.";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ImportArgs {
    /// Files to import.
    #[arg(required = true, value_name = "SOURCES")]
    pub sources: Vec<PathBuf>,
    /// Stop at the first bad line and roll that file's import back.
    #[arg(long)]
    pub strict: bool,
    /// Skip format detection (otlp, langfuse, langsmith, phoenix, llm, console).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Keep reading a growing dump (like tail -f) until interrupted.
    #[arg(long)]
    pub follow: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Which traces to pull from a clickhouse:// source (files are imported whole).
    #[command(flatten)]
    pub filter: super::FilterArgs,
    /// Pull at most N traces (the oldest first) from a clickhouse:// source.
    #[arg(long, value_name = "N")]
    pub limit_traces: Option<u64>,
    /// Environment variable holding the ClickHouse password (default TRAWL_CLICKHOUSE_PASSWORD).
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
}

pub fn run(args: &ImportArgs, cfg: &Config) -> Result<i32> {
    let format = match &args.format {
        None => None,
        Some(f) => match Format::from_flag(f) {
            Some(f) => Some(f),
            None => bail!("--format {f}: unknown format (known: {FORMAT_FLAGS})"),
        },
    };
    let remote = args
        .sources
        .iter()
        .any(|p| p.to_str().is_some_and(crate::remote::is_clickhouse_url));
    if remote {
        return pull(args, cfg);
    }
    if !args.filter.terms().is_empty() || args.limit_traces.is_some() {
        bail!(
            "the filter flags and --limit-traces select what to pull from a clickhouse:// source; files are imported whole"
        );
    }
    let mut store = super::open_store(cfg)?;
    if args.follow {
        return follow(args, format, &mut store);
    }
    let mut reports: Vec<IngestReport> = Vec::new();
    let mut strict_failed = false;
    // Set when the reader of stdout went away (`trawl import a b | head -1`): the remaining
    // files are still imported and the exit code still says how it went; only the printing stops.
    let mut stdout_gone = false;
    for path in &args.sources {
        let opts = ImportOptions {
            strict: args.strict,
            format: format.clone(),
            on_progress: None,
        };
        match import_file(&mut store, path, opts) {
            Ok(r) => {
                if !args.json && !stdout_gone {
                    stdout_gone = reader_gone(print_report(&r))?;
                }
                if args.strict && r.fatal.is_some() {
                    strict_failed = true;
                }
                reports.push(r);
            }
            Err(ImportError::Strict(msg)) => {
                errln!("{msg}");
                errln!(
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
    let span_problems: u64 = reports.iter().map(|r| r.span_problems).sum();
    let ok_lines: u64 = reports.iter().map(|r| r.lines_ok).sum();
    if args.json {
        let out = serde_json::json!({
            "store": cfg.store.display().to_string(),
            "traces_imported": traces,
            "spans_imported": spans,
            "duplicates_skipped": dups,
            "bad_lines": bad,
            "files": reports,
        });
        reader_gone(print_json(&out))?;
    } else if reports.len() > 1 && !stdout_gone {
        // `bad` counts span problems too; the total names them apart, as each file's line does.
        let bad_lines = bad.saturating_sub(span_problems);
        let mut line = format!(
            "total: {traces} traces, {spans} spans imported, {dups} duplicates skipped, {bad_lines} bad line{}",
            plural(bad_lines)
        );
        if span_problems > 0 {
            line.push_str(&span_problems_note(span_problems));
        }
        reader_gone(print_line(&line))?;
    }
    if strict_failed {
        return Ok(1);
    }
    if args.strict && bad > 0 {
        return Ok(1);
    }
    if ok_lines == 0 {
        if !args.json {
            errln!("trawl: nothing could be imported");
        }
        return Ok(1);
    }
    Ok(0)
}

/// `trawl import clickhouse://…`: pulls one slice from ClickHouse into the store.
fn pull(args: &ImportArgs, cfg: &Config) -> Result<i32> {
    let [source] = args.sources.as_slice() else {
        bail!("a clickhouse:// source is pulled on its own; import files in another run");
    };
    if args.follow || args.strict || args.format.is_some() {
        bail!("--follow, --strict and --format apply to files, not to a clickhouse:// source");
    }
    let url = source.to_str().unwrap_or_default();
    let filter = args.filter.to_filter(crate::timefilter::now())?;
    let client = super::remote_src::connect(url, args.password_env.as_deref())?;
    let mut store = super::open_store(cfg)?;
    let display = client.source().display();
    let opts = crate::remote::PullOptions {
        filter,
        limit_traces: args.limit_traces,
    };
    let mut progress = super::remote_src::progress(&display);
    let result = crate::remote::pull(&mut store, &client, &opts, &mut progress);
    super::remote_src::end_progress();
    let report = result?;
    if args.json {
        let out = serde_json::json!({
            "store": cfg.store.display().to_string(),
            "traces_imported": report.traces_new,
            "spans_imported": report.spans_new,
            "duplicates_skipped": report.duplicates,
            "bad_lines": report.bad_lines_total,
            "files": [&report],
        });
        outln!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_report(&report)?;
    }
    if report.lines == 0 {
        if !args.json {
            errln!("trawl: nothing matched in {display}");
        }
        return Ok(1);
    }
    Ok(0)
}

/// `trawl import --follow FILE`: tails one OTLP/JSON lines dump until interrupted. Every
/// commit is durable, so Ctrl-C (which ends the process) loses nothing already reported.
fn follow(
    args: &ImportArgs,
    format: Option<Format>,
    store: &mut crate::store::Store,
) -> Result<i32> {
    let [path] = args.sources.as_slice() else {
        bail!("--follow takes exactly one file");
    };
    if let Some(f) = format.filter(|f| *f != Format::OtlpJson) {
        bail!(
            "--follow reads OTLP/JSON lines only, not {}; import that file without --follow",
            f.name()
        );
    }
    let stop = std::sync::atomic::AtomicBool::new(false);
    let display = crate::sanitize::clean_line(&path.display().to_string());
    errln!("{display}: following (Ctrl-C to stop)");
    let mut on_progress = |p: &crate::import::Progress| {
        errln!(
            "{}: +{} traces updated; {} spans, {} new traces so far",
            crate::sanitize::clean_line(&p.file),
            p.touched.len(),
            p.spans,
            p.traces_new
        );
    };
    let r = follow_file(store, path, &stop, &mut on_progress)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print_report(&r)?;
    }
    Ok(if r.fatal.is_some() { 1 } else { 0 })
}

fn print_report(r: &IngestReport) -> Result<()> {
    // A file name is user input too (a crafted name can carry escape sequences).
    let file = crate::sanitize::clean_line(&r.file);
    if let Some(f) = &r.fatal {
        errln!("{file}: {}", crate::sanitize::clean_line(f));
        return Ok(());
    }
    for b in &r.bad_lines {
        errln!("{}", crate::sanitize::clean_line(&b.to_string()));
    }
    if r.bad_lines_total > r.bad_lines.len() as u64 {
        errln!(
            "{}: … and {} more bad lines",
            file,
            r.bad_lines_total - r.bad_lines.len() as u64
        );
    }
    let mut line = format!(
        "{}: {} traces, {} spans imported, {} duplicates skipped",
        file, r.traces_new, r.spans_new, r.duplicates
    );
    // Span problems cost one span (or attribute), not the line: counted apart.
    let bad_lines = r.bad_lines_total.saturating_sub(r.span_problems);
    if bad_lines > 0 {
        line.push_str(&format!(
            ", {} bad line{} skipped",
            bad_lines,
            if bad_lines == 1 { "" } else { "s" }
        ));
    }
    if r.span_problems > 0 {
        line.push_str(&span_problems_note(r.span_problems));
    }
    if r.traces_touched > r.traces_new {
        line.push_str(&format!(
            " ({} existing traces updated)",
            r.traces_touched - r.traces_new
        ));
    }
    super::out::say(&line, 2)?;
    Ok(())
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Span problems cost one span (or attribute), not the line: counted apart from bad lines.
fn span_problems_note(n: u64) -> String {
    format!(
        ", {n} span problem{} (the rest of the line kept)",
        plural(n)
    )
}

/// `Ok(true)` when `printed` failed only because stdout's reader went away; other errors pass.
fn reader_gone(printed: Result<()>) -> Result<bool> {
    match printed {
        Ok(()) => Ok(false),
        Err(e) if super::out::is_broken_pipe(&e) => Ok(true),
        Err(e) => Err(e),
    }
}

fn print_json(v: &serde_json::Value) -> Result<()> {
    outln!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn print_line(line: &str) -> Result<()> {
    super::out::say(line, 2)?;
    Ok(())
}
