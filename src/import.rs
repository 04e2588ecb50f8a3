//! Import orchestration: detect the format, stream records through the adapter on one thread
//! while the store writes on another, report bad lines as `file:line: reason`, and keep going.

use crate::ingest::lines::{Line, LineReader};
use crate::ingest::{Format, IngestReport, detect::SUPPORTED, detect_format, otlp};
use crate::pricing::{self, PriceBook};
use crate::store::{PreparedSpan, SourceRecord, Store, StoreError};
use std::path::Path;
use std::sync::mpsc;

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

/// A chunk of parsed records sent from the parser thread to the writer.
enum Chunk {
    Spans(Vec<PreparedSpan>, u64),
    Bad(u64, String),
}

const CHUNK_LINES: usize = 64;

/// Imports one file. File-level problems (missing, unreadable, wrong format) are returned in
/// `report.fatal`, not as errors, so a multi-file import goes on; store errors are errors.
pub fn import_file(
    store: &mut Store,
    path: &Path,
    mut opts: ImportOptions<'_>,
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
        Format::OtlpJson => {}
        Format::Empty => {
            report.fatal = Some("empty file, no traces".into());
            return Ok(report);
        }
        Format::TrawlStore => {
            report.fatal =
                Some("this is a trawl store; open it with --store instead of importing it".into());
            return Ok(report);
        }
        Format::OtherSqlite(what) => {
            report.fatal = Some(format!(
                "SQLite database ({what}) that trawl cannot import yet; trawl reads {SUPPORTED}"
            ));
            return Ok(report);
        }
        Format::Unknown(what) => {
            report.fatal = Some(format!(
                "unrecognised format ({what}); trawl reads {SUPPORTED}"
            ));
            return Ok(report);
        }
    }
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            report.fatal = Some(io_reason(&e));
            return Ok(report);
        }
    };
    let source = SourceRecord {
        path: std::fs::canonicalize(path)
            .map(|p| p.display().to_string())
            .unwrap_or(display.clone()),
        format: report.format.clone(),
        size: Some(meta.len()),
        mtime_ns: mtime_ns(&meta),
    };

    // A short queue: the parser may run ahead of the writer by a few chunks, no more, so memory
    // stays flat however big the file is.
    let (tx, rx) = mpsc::sync_channel::<Chunk>(4);
    let (progress_tx, progress_rx) = mpsc::channel::<u64>();
    let strict = opts.strict;
    let parser = std::thread::spawn(move || parse_otlp_lines(file, tx, progress_tx, strict));

    let mut writer = store.begin_import(&source)?;
    if strict {
        // One transaction for the whole file, so a bad line can roll everything back.
        writer.set_batch_size(usize::MAX);
    }
    let mut bytes_read = 0;
    let mut strict_failure: Option<String> = None;
    let mut write_error: Option<StoreError> = None;
    for chunk in rx.iter() {
        match chunk {
            Chunk::Spans(spans, lines) => {
                report.lines_ok += lines;
                for s in &spans {
                    if let Err(e) = writer.write_prepared(s) {
                        write_error = Some(e);
                        break;
                    }
                }
            }
            Chunk::Bad(line, reason) => {
                report.bad(line, reason.clone());
                if strict {
                    strict_failure = Some(format!("{display}:{line}: {reason}"));
                    break;
                }
            }
        }
        if write_error.is_some() {
            break;
        }
        while let Ok(b) = progress_rx.try_recv() {
            bytes_read = b;
        }
        if writer.batch_full() {
            let touched = writer.commit_batch()?;
            if let Some(cb) = opts.on_progress.as_mut() {
                cb(&Progress {
                    file: display.clone(),
                    bytes_read,
                    bytes_total: report.bytes,
                    spans: writer.stats.spans_new,
                    traces_new: writer.stats.traces_new,
                    touched,
                });
            }
        }
    }
    drop(rx);
    let lines = parser.join().unwrap_or(0);
    report.lines = lines;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    if let Some(msg) = strict_failure {
        writer.rollback()?;
        return Err(ImportError::Strict(msg));
    }
    let stats = writer.finish(&report)?;
    report.spans_new = stats.spans_new;
    report.duplicates = stats.duplicates;
    report.traces_touched = stats.traces_touched;
    report.traces_new = stats.traces_new;
    if let Some(cb) = opts.on_progress.as_mut() {
        cb(&Progress {
            file: display.clone(),
            bytes_read: report.bytes,
            bytes_total: report.bytes,
            spans: stats.spans_new,
            traces_new: stats.traces_new,
            touched: Vec::new(),
        });
    }
    Ok(report)
}

/// The parser thread: lines → spans (priced) → channel. Returns the number of lines read.
fn parse_otlp_lines(
    file: std::fs::File,
    tx: mpsc::SyncSender<Chunk>,
    progress: mpsc::Sender<u64>,
    strict: bool,
) -> u64 {
    let book = PriceBook::embedded();
    let mut reader = LineReader::new(file);
    let mut batch: Vec<PreparedSpan> = Vec::new();
    let mut batch_lines = 0u64;
    let mut lines = 0;
    loop {
        let line = match reader.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => {
                let _ = tx.send(Chunk::Bad(
                    lines + 1,
                    format!("read error: {}", io_reason(&e)),
                ));
                break;
            }
        };
        let bad = match line {
            Line::TooLong { number, len } => {
                lines = number;
                Some((
                    number,
                    format!(
                        "line of {} skipped (over the {} limit)",
                        crate::sanitize::human_bytes(len as u64),
                        crate::sanitize::human_bytes(crate::ingest::lines::MAX_LINE_BYTES as u64)
                    ),
                ))
            }
            Line::Data {
                number,
                bytes,
                last_unterminated,
            } => {
                lines = number;
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    None
                } else {
                    match otlp::parse_line(bytes) {
                        Ok(spans) => {
                            let mut failed = None;
                            for mut s in spans {
                                pricing::apply(book, &mut s);
                                match PreparedSpan::new(s) {
                                    Ok(p) => batch.push(p),
                                    Err(e) => failed = Some(e.to_string()),
                                }
                            }
                            batch_lines += 1;
                            failed.map(|e| (number, format!("span could not be stored: {e}")))
                        }
                        Err(reason) if last_unterminated => Some((
                            number,
                            format!("truncated last line (no newline at end of file): {reason}"),
                        )),
                        Err(reason) => Some((number, reason)),
                    }
                }
            }
        };
        if let Some((n, reason)) = bad {
            if !batch.is_empty() {
                let _ = tx.send(Chunk::Spans(std::mem::take(&mut batch), batch_lines));
                batch_lines = 0;
            }
            if tx.send(Chunk::Bad(n, reason)).is_err() || strict {
                // In strict mode the writer stops at the first bad line.
                if strict {
                    break;
                }
                return lines;
            }
        }
        if batch_lines as usize >= CHUNK_LINES || batch.len() >= 500 {
            let _ = progress.send(reader.bytes_read);
            if tx
                .send(Chunk::Spans(std::mem::take(&mut batch), batch_lines))
                .is_err()
            {
                return lines;
            }
            batch_lines = 0;
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(Chunk::Spans(batch, batch_lines));
    }
    let _ = progress.send(reader.bytes_read);
    lines
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

pub fn mtime_ns(meta: &std::fs::Metadata) -> Option<i64> {
    let t = meta.modified().ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(d.as_nanos()).ok()
}

impl Store {
    pub fn begin_import(
        &mut self,
        source: &SourceRecord,
    ) -> crate::store::Result<crate::store::SpanWriter<'_>> {
        crate::store::SpanWriter::begin(self, source)
    }
}
