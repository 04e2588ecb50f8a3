//! Import orchestration: detect the format, read the source through its adapter, write the
//! spans through the store's writer, report bad lines as `file:line: reason`, and keep going.
//!
//! - `pipeline`: OTLP/JSON lines, parsed on every core and handed to the writer in file order;
//! - `file`: whole-file sources (exports and databases) and their scores;
//! - `follow`: tailing a growing OTLP/JSON file;
//! - `current`: whether a file is already imported as it is now.

mod current;
pub(crate) mod dictionary;
mod file;
mod follow;
mod pipeline;
#[cfg(test)]
mod tests;

pub use current::{is_current, mtime_ns};
pub use follow::follow_file;
// The ClickHouse pull (`crate::remote`) reads rows as OTLP and finishes spans the same way.
pub use pipeline::finish_otlp_span;

use crate::ingest::{Format, IngestReport, detect::SUPPORTED, detect_format};
use crate::store::{SourceOutcome, SourceRecord, Store, StoreError};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Strict(String),
}

/// Progress reported after each committed batch.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub file: String,
    pub bytes_read: u64,
    pub bytes_total: u64,
    pub spans: u64,
    pub traces_new: u64,
    /// Traces whose roll-ups changed in the batch just committed.
    pub touched: Vec<String>,
}

#[derive(Default)]
pub struct ImportOptions<'a> {
    /// Stop at the first bad line and roll the file's import back.
    pub strict: bool,
    /// Skip detection.
    pub format: Option<Format>,
    pub on_progress: Option<&'a mut dyn FnMut(&Progress)>,
}

/// Imports one file. File-level problems (missing, unreadable, wrong format) are returned in
/// `report.fatal`, not as errors, so a multi-file import goes on; store errors are errors.
pub fn import_file(
    store: &mut Store,
    path: &Path,
    opts: ImportOptions<'_>,
) -> Result<IngestReport, ImportError> {
    let display = path.display().to_string();
    let mut report = IngestReport::new(&display);
    let meta = match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            report.fatal = Some("is a directory; name the trace files inside it".into());
            return Ok(report);
        }
        Ok(m) => m,
        Err(e) => {
            report.fatal = Some(io_reason(&e));
            return Ok(report);
        }
    };
    report.bytes = meta.len();
    let format = match opts.format.clone() {
        Some(f) => f,
        None => match detect_format(path) {
            Ok(f) => f,
            Err(e) => {
                report.fatal = Some(io_reason(&e));
                return Ok(report);
            }
        },
    };
    report.format = format.name().to_string();
    match format {
        Format::OtlpJson => pipeline::import_lines(store, path, &meta, report, opts),
        Format::Langfuse
        | Format::LangSmith
        | Format::Phoenix
        | Format::LlmLogs
        | Format::Console => file::import_whole(store, path, &format, &meta, report, opts),
        Format::Empty => fatal(report, "empty file, no traces".into()),
        Format::TrawlStore => fatal(
            report,
            "this is a trawl store; open it with --store instead of importing it".into(),
        ),
        Format::OtherSqlite(what) => fatal(
            report,
            format!(
                "SQLite database ({what}) that trawl cannot import yet; trawl reads {SUPPORTED}"
            ),
        ),
        Format::Unknown(what) => fatal(
            report,
            format!("unrecognised format ({what}); trawl reads {SUPPORTED}"),
        ),
    }
}

/// A file-level problem: the report says why, and the import of other files goes on.
fn fatal(mut report: IngestReport, reason: String) -> Result<IngestReport, ImportError> {
    report.fatal = Some(reason);
    Ok(report)
}

/// What the store records about `path` before its import: the canonical path (so the same file
/// named two ways is one source), the format, and size and mtime when known (a followed file
/// has neither: it keeps changing).
fn source_record(path: &Path, format: &str, meta: Option<&std::fs::Metadata>) -> SourceRecord {
    SourceRecord {
        path: current::canonical_path(path),
        format: format.to_string(),
        size: meta.map(std::fs::Metadata::len),
        mtime_ns: meta.and_then(mtime_ns),
    }
}

/// What the store records about how a source's import ended.
fn source_outcome(report: &IngestReport) -> SourceOutcome {
    SourceOutcome {
        lines: report.lines,
        lines_ok: report.lines_ok,
        lines_bad: report.bad_lines_total,
        errors_json: serde_json::to_string(&report.bad_lines).unwrap_or_default(),
    }
}

/// Copies the writer's counts into the report and tells the caller the file is done (one last
/// progress event with every byte read), shared by the whole-file and streaming imports.
fn finish_report(
    report: &mut IngestReport,
    stats: &crate::store::WriteStats,
    opts: &mut ImportOptions,
    display: String,
) {
    report.spans_new = stats.spans_new;
    report.duplicates = stats.duplicates;
    report.traces_touched = stats.traces_touched;
    report.traces_new = stats.traces_new;
    if let Some(cb) = opts.on_progress.as_mut() {
        cb(&Progress {
            file: display,
            bytes_read: report.bytes,
            bytes_total: report.bytes,
            spans: stats.spans_new,
            traces_new: stats.traces_new,
            touched: Vec::new(),
        });
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
