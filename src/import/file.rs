//! Whole-file sources (exports and databases): the adapter builds every span, which then goes
//! through the same writer as OTLP, followed by the source's scores.

use super::{
    ImportError, ImportOptions, Progress, finish_report, io_reason, source_outcome, source_record,
};
use crate::ingest::lines::UTF8_BOM;
use crate::ingest::{
    Format, Imported, IngestReport, console, langfuse, langsmith, llm_logs, phoenix,
};
use crate::model::Score;
use crate::pricing::{self, PriceBook};
use crate::store::{PreparedSpan, Store};
use std::path::Path;

/// Spans handed to the writer at once (see [`crate::store::SpanWriter::write_all`]).
const WRITE_PART: usize = 512;

/// Whole-file formats (exports and databases): the adapter builds every span, which then goes
/// through the same writer as OTLP, followed by the source's scores.
pub(super) fn import_whole(
    store: &mut Store,
    path: &Path,
    format: &Format,
    meta: &std::fs::Metadata,
    mut report: IngestReport,
    mut opts: ImportOptions<'_>,
) -> Result<IngestReport, ImportError> {
    let display = report.file.clone();
    // A byte order mark is not part of the JSON (or text) the adapters read.
    let read_bytes = || {
        std::fs::read(path)
            .map(|mut b| {
                if b.starts_with(UTF8_BOM) {
                    b.drain(..UTF8_BOM.len());
                }
                b
            })
            .map_err(|e| io_reason(&e))
    };
    let parsed: Result<Imported, String> = match format {
        Format::Langfuse => read_bytes().map(|b| langfuse::parse(&b)),
        Format::LangSmith => read_bytes().map(|b| langsmith::parse(&b)),
        Format::Console => read_bytes().map(|b| console::parse(&b)),
        Format::Phoenix => phoenix::read(path),
        Format::LlmLogs => llm_logs::read(path),
        _ => Err(format!("{} is not a whole-file format", format.name())),
    };
    let imported = match parsed {
        Ok(i) => i,
        Err(reason) => {
            report.fatal = Some(reason);
            return Ok(report);
        }
    };
    report.lines = imported.records;
    let bad_records = imported.bad.iter().filter(|(n, _)| *n > 0).count() as u64;
    report.lines_ok = if imported.spans.is_empty() {
        0
    } else {
        imported.records.saturating_sub(bad_records).max(1)
    };
    for (n, reason) in imported.bad {
        report.bad(n, reason);
    }
    if opts.strict
        && let Some(b) = report.bad_lines.first()
    {
        return Err(ImportError::Strict(b.to_string()));
    }
    if imported.spans.is_empty() && imported.scores.is_empty() {
        if report.bad_lines_total == 0 {
            report.fatal = Some(format!("no traces found in this {} source", format.name()));
        }
        return Ok(report);
    }
    let source = source_record(path, &report.format, Some(meta));
    let book = PriceBook::active();
    let total = imported.spans.len() as u64;
    let mut writer = store.begin_import(&source)?;
    let mut spans = imported.spans.into_iter().peekable();
    let mut written = 0u64;
    while spans.peek().is_some() {
        // A few hundred at a time, so their text is indexed together (see `write_all`).
        let part = spans
            .by_ref()
            .take(WRITE_PART)
            .map(|mut span| {
                pricing::apply(book, &mut span);
                PreparedSpan::new(span)
            })
            .collect::<Result<Vec<_>, _>>()?;
        written += part.len() as u64;
        writer.write_all(part)?;
        if writer.batch_full() {
            let touched = writer.commit_batch()?;
            if let Some(cb) = opts.on_progress.as_mut() {
                cb(&Progress {
                    file: display.clone(),
                    bytes_read: report.bytes * written / total.max(1),
                    bytes_total: report.bytes,
                    spans: writer.stats.spans_new,
                    traces_new: writer.stats.traces_new,
                    touched,
                });
            }
        }
    }
    let stats = writer.finish(&source_outcome(&report))?;
    insert_imported_scores(store, &imported.scores)?;
    finish_report(&mut report, &stats, &mut opts, display);
    Ok(report)
}

/// Stores a source's evaluations as imported scores, once: a score whose cache key (the
/// source's own score id) is already stored is skipped, so re-importing adds nothing.
fn insert_imported_scores(store: &mut Store, scores: &[Score]) -> Result<(), ImportError> {
    if scores.is_empty() {
        return Ok(());
    }
    store.transaction(|store| {
        for s in scores {
            if let Some(k) = &s.cache_key
                && store.score_by_cache_key(k)?.is_some()
            {
                continue;
            }
            store.insert_score(s)?;
        }
        Ok(())
    })
}
