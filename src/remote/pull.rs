//! Pulling a slice of `otel_traces` into the store. Two threads: the fetcher
//! ([`super::otel_fetch`]) pages through trace ids, streams their spans from the HTTP body and
//! prepares them; this thread writes them and commits a page at a time. The two meet at a
//! bounded channel, so ClickHouse's time, parsing and SQLite's writes overlap.
//!
//! Idempotent and resumable: the writer keeps a span once however often it is pulled, so an
//! interrupted pull is resumed by running it again (committed pages are kept; the rest is
//! fetched). Memory is one page of ids plus the rows in the channel, whatever the slice's
//! size; the rest of the process's memory is the store's page cache, a fixed cap.

use super::client::Client;
use super::otel_fetch::{CHANNEL_CHUNKS, Message, Row, Slice, fetch};
use super::otel_sql::conditions;
use super::{RemoteError, url::Schema};
use crate::filter::TraceFilter;
use crate::ingest::IngestReport;
use crate::store::{SourceOutcome, SourceRecord, SpanWriter, Store};
use std::sync::mpsc::Receiver;

pub use super::otel_fetch::PAGE_TRACES;

/// What to pull.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    pub filter: TraceFilter,
    pub limit_traces: Option<u64>,
}

/// Where a pull is, after each page.
#[derive(Debug, Clone, Default)]
pub struct PullProgress {
    pub traces: u64,
    pub spans: u64,
    pub spans_new: u64,
}

/// Pulls the traces matching `opts` from `client`'s source into `store`. The report is an
/// import report (the source's display form as its file, rows as its lines).
pub fn pull(
    store: &mut Store,
    client: &Client,
    opts: &PullOptions,
    on_progress: &mut dyn FnMut(&PullProgress),
) -> Result<IngestReport, RemoteError> {
    match &client.source().schema {
        Schema::Otel { table } => pull_otel(store, client, table, opts, on_progress),
        Schema::Langfuse => super::langfuse::pull(store, client, opts, on_progress),
    }
}

fn pull_otel(
    store: &mut Store,
    client: &Client,
    table: &str,
    opts: &PullOptions,
    on_progress: &mut dyn FnMut(&PullProgress),
) -> Result<IngestReport, RemoteError> {
    let display = client.source().display();
    let mut report = IngestReport::new(&display);
    report.format = format!("clickhouse {table}");
    if !client.has_table(table)? {
        return Err(RemoteError::Schema(format!(
            "{display}: no table '{table}' in database '{}'",
            client.source().database
        )));
    }
    let ts_name = format!("{table}_trace_id_ts");
    let ts_table = client.has_table(&ts_name)?.then_some(ts_name);
    let conds = conditions(&opts.filter)?;
    let source = SourceRecord {
        path: display.clone(),
        format: report.format.clone(),
        size: None,
        mtime_ns: None,
    };
    let mut writer = store.begin_import(&source)?;
    let slice = Slice {
        table,
        ts_table: ts_table.as_deref(),
        opts,
        conds: &conds,
    };
    let (tx, rx) = std::sync::mpsc::sync_channel(CHANNEL_CHUNKS);
    std::thread::scope(|scope| -> Result<(), RemoteError> {
        std::thread::Builder::new()
            .name("trawl-ch-fetch".into())
            .spawn_scoped(scope, move || fetch(client, &slice, &tx))
            .map_err(|e| RemoteError::Io(format!("cannot start the fetch thread: {e}")))?;
        // Returning drops `rx`, which stops the fetcher at its next send.
        write_rows(&mut writer, &mut report, &rx, on_progress)
    })?;
    let stats = writer.finish(&SourceOutcome {
        lines: report.lines,
        lines_ok: report.lines_ok,
        lines_bad: report.bad_lines_total,
        errors_json: serde_json::to_string(&report.bad_lines).unwrap_or_default(),
    })?;
    report.spans_new = stats.spans_new;
    report.duplicates = stats.duplicates;
    report.traces_touched = stats.traces_touched;
    report.traces_new = stats.traces_new;
    Ok(report)
}

/// The writer's side: stores what the fetcher sends, commits after each page of traces (so a
/// viewer sees whole traces arrive) and reports progress then.
fn write_rows(
    writer: &mut SpanWriter<'_>,
    report: &mut IngestReport,
    rx: &Receiver<Message>,
    on_progress: &mut dyn FnMut(&PullProgress),
) -> Result<(), RemoteError> {
    let mut progress = PullProgress::default();
    // The loop ends when the fetcher is done and hangs up.
    for msg in rx {
        match msg {
            Message::Rows(rows) => {
                for row in rows {
                    report.lines += 1;
                    progress.spans += 1;
                    match row {
                        Row::Read { spans, problems } => {
                            report.lines_ok += 1;
                            for (span, reason) in problems {
                                report.span_problem(report.lines, span, reason);
                            }
                            for span in &spans {
                                writer.write_prepared(span)?;
                            }
                        }
                        Row::Bad(reason) => report.bad(report.lines, reason),
                    }
                    if writer.batch_full() {
                        writer.commit_batch()?;
                    }
                }
            }
            Message::PageDone { traces } => {
                writer.commit_batch()?;
                progress.traces += traces;
                progress.spans_new = writer.stats.spans_new;
                on_progress(&progress);
            }
            Message::Failed(e) => return Err(e),
        }
    }
    Ok(())
}
